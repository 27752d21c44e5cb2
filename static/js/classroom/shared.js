// A share link opened by a teacher: what it gives, then a copy among their lessons on confirm.
import { boot, call, showError } from "./http.js";

const B = boot();
const what = document.getElementById("shared-what");
const copy = document.getElementById("shared-copy");
const error = document.getElementById("shared-error");
const path = `/api/lessons/shared/${encodeURIComponent(B.token)}`;

call("GET", path).then((s) => {
  const steps = s.steps ? ` — ${s.steps} steps, ${s.questions} questions` : "";
  what.textContent = `“${s.title}”${steps}. Your copy is yours to change; the original stays as it is.`;
  copy.disabled = false;
}).catch((err) => { what.textContent = ""; showError(error, err); });

copy.addEventListener("click", async () => {
  copy.disabled = true;
  try {
    await call("POST", path);
    location.assign("/teach");
  } catch (err) { showError(error, err); copy.disabled = false; }
});
