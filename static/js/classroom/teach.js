// The teacher's home: lessons (a setup, locked controls, a challenge) and classrooms.
import { boot, call, el, showError } from "./http.js";
import { installLibrary, lessonActions } from "./library.js";

const B = boot();
const XOR = {
  network: { hidden_layers: [2], activations: ["sigmoid", "sigmoid"], loss: "sse", init: { scheme: "xavier", seed: 7 } },
  dataset: { name: "inline", n: 4, inputs: [[0, 0], [0, 1], [1, 0], [1, 1]], targets: [[0], [1], [1], [0]] },
  training: { learning_rate: 0.5, batch_size: 1, seed: 7 },
};
const DEEP = {
  network: { hidden_layers: [4, 4, 4, 4, 4, 4], activations: Array(7).fill("sigmoid"), loss: "sse" },
  dataset: { name: "circle", n: 200 },
  training: { learning_rate: 0.3, batch_size: 10 },
};
const FREE_BY_DEFAULT = new Set(["play", "step"]);
const TEACH_DRAFT_KEY = "bpp-teach-setup"; // read by the lesson editor (classroom/seat.js)

// a preset opens the lesson editor on the playground with its setup
for (const b of document.querySelectorAll("[data-preset]")) {
  b.addEventListener("click", () => {
    sessionStorage.setItem(TEACH_DRAFT_KEY, JSON.stringify({ xor: XOR, deep: DEEP }[b.dataset.preset]));
    location.assign("/teach/new");
  });
}
document.getElementById("new-on-playground").addEventListener("click", () => sessionStorage.removeItem(TEACH_DRAFT_KEY));

/** The setup a playground link carries (#setup=<JSON>, from the playground's "teach this"). */
function linkSetup() {
  try {
    const m = location.hash.match(/(?:^#|&)setup=([^&]*)/);
    return m ? JSON.parse(decodeURIComponent(m[1])) : null;
  } catch { return null; }
}

const setupBox = document.getElementById("lesson-setup");
const preset = document.getElementById("lesson-preset");
const fromLink = linkSetup();
if (fromLink) { document.getElementById("preset-link").hidden = false; preset.value = "link"; }
function fillSetup() {
  const s = { xor: XOR, deep: DEEP, playground: B.defaults, link: fromLink }[preset.value] || XOR;
  setupBox.value = JSON.stringify(s, null, 1);
}
preset.addEventListener("change", fillSetup);
fillSetup();

const locks = document.getElementById("lesson-locks");
for (const [name, what] of Object.entries(B.controls)) {
  locks.append(el("label", { class: "lock", title: `lock name: ${name}` },
    el("input", { type: "checkbox", value: name, checked: !FREE_BY_DEFAULT.has(name), "data-control": name }), ` ${what}`));
}

async function refresh() {
  const [{ lessons }, { classrooms }] = await Promise.all([call("GET", "/api/lessons"), call("GET", "/api/classrooms")]);
  const lessonList = document.getElementById("lessons");
  lessonList.replaceChildren(...(lessons.length ? lessons.map(lessonItem) : [el("li", { class: "empty" }, "No lesson yet: make one below.")]));
  const roomList = document.getElementById("rooms");
  roomList.replaceChildren(...(classrooms.length ? classrooms.map(roomItem) : [el("li", { class: "empty" }, "No classroom yet: open one from a lesson.")]));
}

function lessonItem(lesson) {
  const open = el("button", { class: "primary small", "data-open-lesson": lesson.id }, "open a classroom");
  open.addEventListener("click", async () => {
    try {
      const room = await call("POST", "/api/classrooms", { lesson_id: lesson.id });
      location.assign(`/classrooms/${encodeURIComponent(room.id)}`);
    } catch (err) { alert(err.message); }
  });
  const locked = lesson.locks.length ? `locks ${lesson.locks.join(", ")}` : "nothing locked";
  const edit = el("a", { class: "button small", href: `/teach/new?lesson=${encodeURIComponent(lesson.id)}`, "data-edit-lesson": lesson.id }, "edit on the playground");
  return el("li", {}, el("b", {}, lesson.title), el("small", {}, ` · ${locked}${lesson.challenge ? " · challenge" : ""} `), open, edit, ...lessonActions(lesson, refresh));
}

function roomItem(room) {
  const state = room.status === "open" ? `code ${room.code}` : "closed";
  return el("li", {}, el("a", { href: `/classrooms/${encodeURIComponent(room.id)}` }, room.name), el("small", {}, ` · ${state}`));
}

document.getElementById("lesson-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const error = document.getElementById("lesson-error");
  showError(error, null);
  let setup;
  try { setup = JSON.parse(setupBox.value); } catch (e) { showError(error, new Error(`setup: not valid JSON (${e.message})`)); return; }
  const lossBelow = parseFloat(document.getElementById("ch-loss").value);
  const units = document.getElementById("ch-units").value;
  const challenge = Number.isFinite(lossBelow) ? {
    title: document.getElementById("ch-title").value,
    test_loss_below: lossBelow,
    max_hidden_units: units === "" ? null : parseInt(units, 10),
  } : null;
  try {
    await call("POST", "/api/lessons", {
      title: document.getElementById("lesson-title").value,
      instructions: document.getElementById("lesson-instructions").value,
      setup,
      locks: [...locks.querySelectorAll("input:checked")].map((i) => i.value),
      challenge,
    });
    await refresh();
  } catch (err) { showError(error, err); }
});

document.getElementById("logout").addEventListener("click", async () => {
  await call("POST", "/api/auth/logout").catch(() => {});
  location.assign("/login");
});

installLibrary(refresh);
refresh().catch((err) => alert(err.message));
