// Lesson mode: a teacher makes a lesson on the playground itself (/teach/new). The page as it
// stands is the lesson's setup; a padlock beside each control locks it (students keep the
// teacher's value) or frees it; a panel takes the title, the instructions (Markdown, previewed
// as students will see them) and an optional challenge. The lesson as JSON is an advanced
// option (copy it out, or load one), never the only way. Saving is POST /api/lessons.
import { call } from "./api.js";
import { renderInstructions } from "./markdown.js";
import { setupOf, TEACH_DRAFT_KEY } from "./classroom/seat.js";
import { StepEditor } from "./step-editor.js";

// controls free by default: the class drives its own training, the teacher the rest
const FREE_BY_DEFAULT = new Set(["play", "step"]);

// Where a control's padlock sits on the page: next to this element ("after" it, or at the end
// of it: "in"). A control not listed (a new one of the registry, its row built from the
// catalog) gets its padlock after its first element marked data-ctl with its name.
const ANCHORS = {
  play: ["#btn-play", "after"],
  step: ["#btn-step-sample", "after"],
  reset: ["#btn-reset", "after"],
  weights: [".bottom-tabs .tabs", "after"],
  learning_rate: ["#lr", "after"],
  batch_size: ["#batch", "after"],
  momentum: ["#momentum", "after"],
  regularization: ["#reg-rate", "after"],
  dataset: ["#controls section h2", "in"],
  hidden_layers: ["#btn-remove-layer", "after"],
  activations: ["#net-shape", "after"],
  loss: ["#loss", "after"],
  init: ["#init-seed", "after"],
};

// the groups of the lock list, in order (the catalog's controls[].group names them)
const GROUPS = [
  ["run", "Running the network"],
  ["training", "Training"],
  ["data", "Data"],
  ["network", "The network"],
];

const $ = (id) => document.getElementById(id);
const SVG_NS = "http://www.w3.org/2000/svg";

/** A padlock drawn in SVG (no emoji font needed): closed, or open with its shackle lifted. */
function padlockIcon(locked) {
  const s = document.createElementNS(SVG_NS, "svg");
  for (const [k, v] of Object.entries({ viewBox: "0 0 16 16", width: "14", height: "14", "aria-hidden": "true", focusable: "false" })) s.setAttribute(k, v);
  const shackle = document.createElementNS(SVG_NS, "path");
  shackle.setAttribute("d", locked ? "M5 7.5V5a3 3 0 0 1 6 0v2.5" : "M5 7.5V4a3 3 0 0 1 6 0v0.5");
  for (const [k, v] of Object.entries({ fill: "none", stroke: "currentColor", "stroke-width": "1.8", "stroke-linecap": "round" })) shackle.setAttribute(k, v);
  const body = document.createElementNS(SVG_NS, "rect");
  for (const [k, v] of Object.entries({ x: "2.5", y: "7.5", width: "11", height: "7.5", rx: "1.5", fill: "currentColor" })) body.setAttribute(k, v);
  s.append(shackle, body);
  return s;
}

function node(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") e.className = v;
    else if (v === true) e.setAttribute(k, "");
    else if (v !== false && v != null) e.setAttribute(k, v);
  }
  for (const c of children) if (c != null) e.append(c instanceof Node ? c : String(c));
  return e;
}

/** [{name, label, help, group}] in lock order: the catalog's controls (the registry,
 * app/controls.py); without a catalog, the lesson boot's names and help, each name its label. */
export function controlList(catalog, names) {
  const cap = (s) => s.charAt(0).toUpperCase() + s.slice(1);
  if (Array.isArray(catalog?.controls) && catalog.controls.length) {
    return catalog.controls.map((c) => {
      const symbol = c.symbol && !String(c.label).includes(c.symbol) ? ` ${c.symbol}` : "";
      return { name: c.name, label: cap(String(c.label || c.name)) + symbol, help: c.help || "", group: c.group || "run" };
    });
  }
  return Object.entries(names).map(([name, help]) => ({ name, label: cap(name.replaceAll("_", " ")), help, group: "run" }));
}

/** The lesson editor on this page; resolves once the page's session is shown. */
export async function startLessonEditor(app, state, cfg) {
  document.body.classList.add("lesson-mode");
  state.set("join", undefined); // the lesson is made on a session of the teacher's own
  let draft = null;
  try { draft = JSON.parse(sessionStorage.getItem(TEACH_DRAFT_KEY) || "null"); } catch { draft = null; }
  if (draft && typeof draft === "object") state.fromConfig(draft);
  const controls = controlList(app.catalog || window.__bpp?.app?.catalog, cfg.controls);
  const locked = new Set(controls.map((c) => c.name).filter((n) => !FREE_BY_DEFAULT.has(n)));
  const editor = new LessonEditor(app, controls, locked);
  const editing = new URLSearchParams(location.search).get("lesson");
  if (editing) { // "edit on the playground" from the teacher's home: the lesson's own setup
    const lesson = await call("GET", `/api/lessons/${encodeURIComponent(editing)}`);
    editor.editing(lesson);
    await editor.fill(lesson);
  } else await app.createSession(draft || state.sessionBody());
  editor.placePadlocks();
  return editor;
}

class LessonEditor {
  constructor(app, controls, locked) {
    this.app = app;
    this.controls = controls;
    this.locked = locked;
    this.padlocks = new Map(); // name → [buttons and checkbox]
    this.build();
  }

  build() {
    const panel = node("section", { id: "lesson-panel", class: "lesson-panel", "aria-labelledby": "lesson-heading" });
    const head = node("div", { class: "lesson-head" },
      node("h2", { id: "lesson-heading" }, "New lesson"),
      node("p", { class: "hint" }, "Set up the playground below as your students should start. Beside each control, a closed padlock ", padlockIcon(true), " keeps your value; an open one ", padlockIcon(false), " lets students change it."));
    const title = node("input", { id: "lesson-title", required: true, maxlength: "200", value: "Backprop by hand", autocomplete: "off" });
    const instructions = node("textarea", { id: "lesson-instructions", rows: "7", spellcheck: "true",
      placeholder: "What should students do? e.g.\n1. Step one sample and watch δ of the output.\n2. Why is $\\delta_j$ small when $a_j$ is near 1?" });
    const preview = node("div", { id: "lesson-preview", class: "md instructions-body", "aria-live": "off" });
    const chTitle = node("input", { id: "lesson-ch-title", maxlength: "200", placeholder: "test loss below 0.05 with at most 6 hidden units" });
    const chLoss = node("input", { id: "lesson-ch-loss", type: "number", step: "any", min: "0", placeholder: "0.05", inputmode: "decimal" });
    const chUnits = node("input", { id: "lesson-ch-units", type: "number", step: "1", min: "0", placeholder: "no limit" });
    const lockList = node("div", { id: "lesson-locks", class: "lesson-locks" });
    for (const [group, heading] of GROUPS) {
      const members = this.controls.filter((c) => c.group === group);
      if (!members.length) continue;
      const list = node("ul", { "aria-labelledby": `locks-${group}` });
      for (const c of members) {
        const box = node("input", { type: "checkbox", id: `lock-${c.name}`, "data-lock": c.name });
        box.checked = this.locked.has(c.name);
        box.addEventListener("change", () => this.setLocked(c.name, box.checked));
        this.remember(c.name, box);
        list.append(node("li", { title: c.help }, box, node("label", { for: `lock-${c.name}` }, c.label)));
      }
      lockList.append(node("div", { class: "lock-group" }, node("h3", { id: `locks-${group}` }, heading), list));
    }
    const jsonBox = node("textarea", { id: "lesson-json", rows: "8", spellcheck: "false", "aria-describedby": "lesson-json-hint" });
    const error = node("p", { id: "lesson-error", class: "error", role: "alert", hidden: true });
    const saved = node("p", { id: "lesson-saved", class: "saved", role: "status", hidden: true });
    const save = node("button", { id: "lesson-save", type: "submit", class: "primary" }, "Save lesson");

    const form = node("form", { id: "lesson-form", class: "lesson-form" },
      node("div", { class: "lesson-col" },
        node("label", { for: "lesson-title" }, "Lesson title"), title,
        node("label", { for: "lesson-instructions" }, "Instructions for students ", node("small", {}, "(Markdown: **bold**, lists, links; math as $…$)")), instructions,
        node("h3", { id: "lesson-preview-heading" }, "What students will read"), preview),
      node("div", { class: "lesson-col" },
        node("fieldset", {}, node("legend", {}, "Locked: students keep your value"),
          node("div", { class: "lock-all" },
            node("button", { type: "button", id: "lock-all" }, "lock all"),
            node("button", { type: "button", id: "unlock-all" }, "unlock all")),
          lockList),
        node("fieldset", {}, node("legend", {}, "Challenge (optional)"),
          node("label", { for: "lesson-ch-loss" }, "Met when the test loss is below"), chLoss,
          node("label", { for: "lesson-ch-units" }, "… using at most this many hidden units"), chUnits,
          node("label", { for: "lesson-ch-title" }, "The goal as students read it"), chTitle),
        node("details", { id: "lesson-advanced" },
          node("summary", {}, "Advanced: the lesson as JSON"),
          node("p", { id: "lesson-json-hint", class: "hint" }, "For copying a lesson between servers or the Python client. “Show JSON” writes this lesson out; “Load JSON” takes one in (its setup replaces the playground's)."),
          node("label", { for: "lesson-json" }, "Lesson JSON"), jsonBox,
          node("div", { class: "row" },
            node("button", { type: "button", id: "lesson-json-out" }, "Show JSON"),
            node("button", { type: "button", id: "lesson-json-in" }, "Load JSON"))),
        error, saved,
        node("div", { class: "row" }, save, node("a", { href: "/teach", class: "button" }, "Your lessons and classrooms"))));
    panel.append(head, form);
    document.querySelector("main.layout").before(panel);
    // the activity's steps (step-editor.js), below the lesson's own fields
    this.steps = new StepEditor(this.app, this.controls, form);

    instructions.addEventListener("input", () => renderInstructions(preview, instructions.value));
    renderInstructions(preview, "");
    $("lock-all").addEventListener("click", () => this.controls.forEach((c) => this.setLocked(c.name, true)));
    $("unlock-all").addEventListener("click", () => this.controls.forEach((c) => this.setLocked(c.name, false)));
    $("lesson-json-out").addEventListener("click", () => { jsonBox.value = JSON.stringify(this.lesson(), null, 1); });
    $("lesson-json-in").addEventListener("click", () => this.loadJson(jsonBox.value).catch((err) => this.fail(err)));
    form.addEventListener("submit", (ev) => { ev.preventDefault(); this.save().catch((err) => this.fail(err)); });
    this.fields = { title, instructions, preview, chTitle, chLoss, chUnits, error, saved };
  }

  remember(name, el) {
    if (!this.padlocks.has(name)) this.padlocks.set(name, []);
    this.padlocks.get(name).push(el);
  }

  /** A padlock button beside each control on the page: where ANCHORS puts it (static elements,
   * never re-rendered), else after the first element marked data-ctl (a new control). */
  placePadlocks() {
    for (const c of this.controls) {
      const [selector, where] = ANCHORS[c.name] || [`[data-ctl~="${c.name}"]`, "after"];
      const anchor = document.querySelector(selector);
      if (!anchor) continue;
      const b = node("button", { type: "button", class: "padlock", "data-padlock": c.name, title: c.help });
      b.addEventListener("click", (ev) => { ev.stopPropagation(); this.setLocked(c.name, !this.locked.has(c.name)); });
      if (where === "in") anchor.append(b); else anchor.after(b);
      this.remember(c.name, b);
    }
    for (const c of this.controls) this.setLocked(c.name, this.locked.has(c.name));
  }

  setLocked(name, on) {
    if (on) this.locked.add(name); else this.locked.delete(name);
    const label = this.controls.find((c) => c.name === name)?.label || name;
    for (const el of this.padlocks.get(name) || []) {
      if (el.type === "checkbox") { el.checked = on; continue; }
      el.replaceChildren(padlockIcon(on));
      el.setAttribute("aria-pressed", on ? "true" : "false");
      el.setAttribute("aria-label", `${label}: ${on ? "locked, students keep your value" : "free, students may change it"}`);
      el.title = `${label}: ${on ? "locked (click to let students change it)" : "free (click to lock it)"}`;
      el.classList.toggle("on", on);
    }
  }

  challenge() {
    const loss = parseFloat(this.fields.chLoss.value);
    if (!Number.isFinite(loss)) return null;
    const units = this.fields.chUnits.value;
    return { title: this.fields.chTitle.value, test_loss_below: loss, max_hidden_units: units === "" ? null : parseInt(units, 10) };
  }

  /** The lesson as POST /api/lessons takes it. */
  lesson() {
    return {
      title: this.fields.title.value.trim(),
      instructions: this.fields.instructions.value,
      setup: setupOf(this.app),
      locks: this.controls.map((c) => c.name).filter((n) => this.locked.has(n)),
      challenge: this.challenge(),
      // a new lesson without steps is sent as before; an edited one always (to clear them)
      ...(() => { const steps = this.steps.steps(); return steps.length || this.lessonId ? { steps } : {}; })(),
    };
  }

  /** Save changes to this stored lesson (PATCH) instead of making a new one. */
  editing(lesson) {
    this.lessonId = lesson.id;
    document.getElementById("lesson-heading").textContent = "Edit lesson";
    document.getElementById("lesson-save").textContent = "Save changes";
  }

  async loadJson(text) {
    let doc;
    try { doc = JSON.parse(text); } catch (e) { throw new Error(`lesson JSON: not valid JSON (${e.message})`); }
    if (!doc || typeof doc !== "object") throw new Error("lesson JSON: an object with title, setup, locks");
    await this.fill(doc);
  }

  /** Take a lesson's title, instructions, locks, challenge and setup into the page. */
  async fill(doc) {
    const f = this.fields;
    if (typeof doc.title === "string") f.title.value = doc.title;
    if (typeof doc.instructions === "string") { f.instructions.value = doc.instructions; renderInstructions(f.preview, doc.instructions); }
    if (Array.isArray(doc.locks)) for (const c of this.controls) this.setLocked(c.name, doc.locks.includes(c.name));
    const ch = doc.challenge;
    f.chLoss.value = ch?.test_loss_below ?? "";
    f.chUnits.value = ch?.max_hidden_units ?? "";
    f.chTitle.value = ch?.title ?? "";
    if (Array.isArray(doc.steps)) this.steps.fill(doc.steps);
    if (doc.setup && typeof doc.setup === "object") {
      this.app.state.fromConfig(doc.setup);
      await this.app.createSession(doc.setup);
    }
    this.fail(null);
  }

  fail(err) {
    const e = this.fields.error;
    e.textContent = err ? (err.message || String(err)) : "";
    e.hidden = !err;
  }

  async save() {
    this.fail(null);
    const saved = this.fields.saved;
    saved.hidden = true;
    const body = this.lesson();
    if (!body.title) { this.fields.title.focus(); throw new Error("Give the lesson a title"); }
    const lesson = this.lessonId
      ? await call("PATCH", `/api/lessons/${encodeURIComponent(this.lessonId)}`, body)
      : await call("POST", "/api/lessons", body);
    try { sessionStorage.removeItem(TEACH_DRAFT_KEY); } catch { /* nothing kept */ }
    const open = node("button", { type: "button", id: "lesson-open-room", class: "primary" }, "Open a classroom now");
    open.addEventListener("click", async () => {
      try {
        const room = await call("POST", "/api/classrooms", { lesson_id: lesson.id });
        location.assign(`/classrooms/${encodeURIComponent(room.id)}`);
      } catch (err) { this.fail(err); }
    });
    saved.replaceChildren(`Saved “${lesson.title}”. `, open, " or see it among ", node("a", { href: "/teach", id: "lesson-saved-link" }, "your lessons"));
    saved.dataset.lessonId = lesson.id;
    saved.hidden = false;
  }
}
