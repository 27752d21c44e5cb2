// The lesson library on the teacher's home (issue 18): per lesson, duplicate, export as a file,
// a share link and delete; an import file picker; the starter activities ("use this" copies).
import { call, el, showError } from "./http.js";

const status = () => document.getElementById("library-status");
const error = () => document.getElementById("library-error");

function say(text) { status().textContent = text; showError(error(), null); }
function fail(err) { status().textContent = ""; showError(error(), err); }

/** The library's buttons for one lesson; ``refresh`` re-reads the lists after a change. */
export function lessonActions(lesson, refresh) {
  const id = encodeURIComponent(lesson.id);
  // the accessible name starts with the visible text (then names the lesson)
  const named = (label) => `${label}: ${lesson.title}`;
  const button = (label, data, run) => {
    const b = el("button", { type: "button", class: "small", "aria-label": named(label), [data]: lesson.id }, label);
    b.addEventListener("click", () => run().catch(fail));
    return b;
  };
  const duplicate = button("duplicate", "data-duplicate-lesson", async () => {
    const copy = await call("POST", `/api/lessons/${id}/duplicate`);
    await refresh();
    say(`Made “${copy.title}”.`);
  });
  // a plain link: the server's Content-Disposition names the file
  const exportLink = el("a", {
    class: "button small", href: `/api/lessons/${id}/export`, download: "",
    "aria-label": named("export file"), "data-export-lesson": lesson.id,
  }, "export file");
  const share = button("share link", "data-share-lesson", async () => {
    const s = await call("POST", `/api/lessons/${id}/share`);
    const box = el("input", { type: "text", readonly: true, value: s.url, size: 40, "aria-label": named("share link to copy"), "data-share-url": lesson.id });
    const revoke = button("revoke links", "data-revoke-lesson", async () => {
      const r = await call("DELETE", `/api/lessons/${id}/share`);
      box.remove(); revoke.remove();
      say(`${r.revoked} share link(s) of “${lesson.title}” stopped working.`);
    });
    share.after(box, revoke);
    box.select();
    await navigator.clipboard?.writeText(s.url).catch(() => {});
    say(`Share link made (works until ${s.expires_at.slice(0, 10)}): another teacher opens it, logged in, to get a copy.`);
  });
  const remove = button("delete", "data-delete-lesson", async () => {
    if (!confirm(`Delete the lesson “${lesson.title}”? Classrooms taught from it keep their copy.`)) return;
    await call("DELETE", `/api/lessons/${id}`);
    await refresh();
    say(`Deleted “${lesson.title}”.`);
  });
  return [duplicate, exportLink, share, remove];
}

/** The import picker and the starters list; call once. */
export function installLibrary(refresh) {
  const picker = document.getElementById("lesson-import");
  picker.addEventListener("change", async () => {
    const file = picker.files[0];
    if (!file) return;
    try {
      let data;
      try { data = JSON.parse(await file.text()); } catch (e) { throw new Error(`${file.name}: not valid JSON (${e.message})`); }
      const made = await call("POST", "/api/lessons/import", data);
      await refresh();
      say(`Imported “${made.title}”.`);
    } catch (err) { fail(err.field ? new Error(`${file.name}: ${err.field}: ${err.message}`) : err); }
    picker.value = "";
  });
  const list = document.getElementById("starters");
  call("GET", "/api/starters").then(({ starters }) => {
    list.replaceChildren(...starters.map((s) => {
      const use = el("button", { type: "button", class: "small primary", "aria-label": `use this: ${s.title}`, "data-use-starter": s.slug }, "use this");
      use.addEventListener("click", async () => {
        try {
          const made = await call("POST", `/api/starters/${encodeURIComponent(s.slug)}`);
          await refresh();
          say(`“${made.title}” is now among your lessons: open a classroom from it.`);
        } catch (err) { fail(err); }
      });
      return el("li", {}, el("b", {}, s.title), el("small", {}, ` · ${s.steps} steps, ${s.questions} questions · ${s.summary} `), use);
    }));
  }).catch(fail);
}
