// The teacher's login page: POST /api/auth/login sets the HttpOnly login cookie.
import { boot, call, showError } from "./http.js";

const form = document.getElementById("login-form");
const error = document.getElementById("login-error");
form.addEventListener("submit", async (ev) => {
  ev.preventDefault();
  showError(error, null);
  try {
    await call("POST", "/api/auth/login", {
      name: document.getElementById("login-name").value,
      password: document.getElementById("login-password").value,
    });
    // the hash carries what the page before the login held (a playground's setup): keep it
    location.assign((boot().next || "/teach") + location.hash);
  } catch (err) { showError(error, err); }
});
