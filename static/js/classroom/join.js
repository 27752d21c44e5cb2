// A student's join page: a code and a name (or a seat key to move devices) → their seat.
import { call, showError } from "./http.js";

const form = document.getElementById("join-form");
const error = document.getElementById("join-error");
const name = document.getElementById("join-name");
(document.getElementById("join-code").value ? name : document.getElementById("join-code")).focus();
form.addEventListener("submit", async (ev) => {
  ev.preventDefault();
  showError(error, null);
  const key = document.getElementById("join-key").value.trim();
  try {
    const r = await call("POST", "/api/join", {
      code: document.getElementById("join-code").value, name: name.value, ...(key ? { key } : {}),
    });
    if (r.key) sessionStorage.setItem(`bpp-seat-key-${r.classroom_id}`, r.key);
    location.assign(r.url);
  } catch (err) {
    showError(error, err);
    if (err.field === "name") name.focus();
  }
});
