// The steps of an activity in the lesson mode (issue 18): add, remove and reorder steps, each
// with a title, instructions (Markdown, previewed), "continue with the network from the step
// before" or "this step's setup" (taken from the playground as it stands), its locks, and one
// question built from form fields (never JSON): a quantity of the derivation picked from a list
// with its layer/unit/source from the network's shape, choice options with their correct ticks,
// feedback and attempts. `steps()` gives the lesson's `steps` (StepIn, app/classroom/activity.py).
// The question's fields are in step-question.js, the DOM builders in step-dom.js.
import { renderInstructions } from "./markdown.js";
import { layerSizes } from "./frame.js";
import { setupOf } from "./classroom/seat.js";
import { node, options } from "./step-dom.js";
import { questionFields } from "./step-question.js";

export { MAX_OPTIONS } from "./step-question.js";

const KINDS = [
  ["", "no question"],
  ["network", "a quantity on the student's own network (checked by the engine)"],
  ["choice", "multiple choice"],
  ["number", "a number with a fixed answer"],
  ["text", "free text"],
  ["prediction", "a prediction (before a run)"],
];

/** A setup's layer sizes (inputs first), worked out from the setup alone as the engine does
 * (engine/datasets.py): inputs are the chosen features (x1, x2 by default; sine: one; inline:
 * its rows' width); one output unit per target column, two for a softmax on one 0/1 column.
 * null when the setup does not say enough. */
export function sizesOfSetup(setup) {
  const n = setup?.network, d = setup?.dataset || {};
  const hidden = n?.hidden_layers ?? n?.hidden;
  if (!Array.isArray(hidden)) return null;
  const inline = d.name === "inline";
  const inputs = Array.isArray(d.features) && d.features.length ? d.features.length
    : inline ? d.inputs?.[0]?.length : d.name === "sine" ? 1 : 2;
  let outputs = inline ? d.targets?.[0]?.length : 1;
  if (outputs === 1 && (n.activations || []).at(-1) === "softmax") outputs = 2;
  if (!(inputs > 0) || !(outputs > 0)) return null;
  return [inputs, ...hidden.map(Number), outputs];
}

/** "2–3–1 tanh/sigmoid · xor" — a setup in a few words. */
function setupSummary(setup, sizes) {
  if (!setup) return "";
  const n = setup.network || {};
  const shape = sizes ? sizes.join("–") : (n.hidden || n.hidden_layers || []).join("–");
  return `${shape ? `${shape} ` : ""}${(n.activations || []).join("/")} · ${setup.dataset?.name || "data"} · η = ${setup.training?.learning_rate ?? "–"}`;
}

export class StepEditor {
  /** @param {object} app the playground App  @param {{name, label}[]} controls  @param {HTMLElement} host */
  constructor(app, controls, host) {
    this.app = app;
    this.controls = controls;
    this.cards = []; // [{root, read(), fill(step), shape()}]
    this.seq = 0;
    this.list = node("ol", { id: "steps-editor-list", class: "steps-editor-list" });
    const add = node("button", { type: "button", id: "step-add" }, "+ add a step");
    add.addEventListener("click", () => { this.add(null); this.cards.at(-1).root.querySelector("input").focus(); });
    this.root = node("section", { id: "steps-editor", class: "steps-editor", "aria-labelledby": "steps-editor-heading" },
      node("h3", { id: "steps-editor-heading" }, "Steps of the activity ", node("small", {}, "(optional: without steps, the lesson is one screen)")),
      node("p", { class: "hint" }, "Students see one step at a time; you open each from the dashboard. A step may ask one question."),
      this.list, add);
    host.append(this.root);
    app.bus?.addEventListener("session", () => this.reshape());
  }

  /** The network's shape now (inputs first), for the layer/unit/source lists. */
  sizes() {
    try { return this.app.frame?.weights ? layerSizes(this.app.frame) : null; } catch { return null; }
  }

  /** The shape of step ``card``'s network: its own setup's when it has one, else the nearest
   * step before it with one, else the playground's network now. */
  sizesFor(card) {
    for (let i = this.cards.indexOf(card); i >= 0; i--) {
      const own = this.cards[i].ownSizes?.();
      if (own) return own;
    }
    return this.sizes();
  }

  fill(steps) {
    this.cards.forEach((c) => c.root.remove());
    this.cards = [];
    for (const s of steps || []) this.add(s);
  }

  steps() {
    return this.cards.map((c, i) => c.read(i));
  }

  /** Every step's layer/unit/source lists again (a step's network changed, or the order). */
  reshape() {
    this.cards.forEach((c) => c.shape());
  }

  renumber() {
    this.cards.forEach((c, i) => {
      c.root.querySelector(".step-number").textContent = `Step ${i + 1}`;
      c.root.dataset.step = String(i);
      c.root.querySelector("[data-move=up]").disabled = i === 0;
      c.root.querySelector("[data-move=down]").disabled = i === this.cards.length - 1;
    });
  }

  move(card, by) {
    const i = this.cards.indexOf(card), j = i + by;
    if (j < 0 || j >= this.cards.length) return;
    this.cards.splice(i, 1);
    this.cards.splice(j, 0, card);
    this.list.replaceChildren(...this.cards.map((c) => c.root));
    this.renumber();
    this.reshape();
    card.root.querySelector(`[data-move=${by < 0 ? "up" : "down"}]`)?.focus();
  }

  add(step) {
    const k = ++this.seq; // ids stay unique however the steps move
    const id = (s) => `step${k}-${s}`;
    const card = {};
    const title = node("input", { id: id("title"), maxlength: "200", autocomplete: "off", "data-field": "title" });
    const instr = node("textarea", { id: id("instructions"), rows: "4", "data-field": "instructions" });
    const preview = node("div", { class: "md instructions-body step-preview" }); // after its "Preview:" line
    instr.addEventListener("input", () => renderInstructions(preview, instr.value));
    // the network: the step before's, or this step's own (the playground's setup when taken)
    let ownSetup = null;
    const contRadio = node("input", { type: "radio", name: id("net"), id: id("continue"), value: "continue", checked: true, "data-field": "continue" });
    const ownRadio = node("input", { type: "radio", name: id("net"), id: id("own"), value: "own", "data-field": "own-setup" });
    const take = node("button", { type: "button", "data-field": "take-setup" }, "take the playground's setup");
    const setupNote = node("span", { class: "hint setup-note", role: "status" });
    const showSetup = () => { setupNote.textContent = ownSetup ? `this step's network: ${setupSummary(ownSetup, ownSetup === card.takenSetup ? card.takenSizes : null)}` : ""; };
    take.addEventListener("click", () => {
      ownSetup = setupOf(this.app); card.takenSetup = ownSetup; card.takenSizes = this.sizes();
      ownRadio.checked = true; showSetup(); this.reshape();
    });
    ownRadio.addEventListener("change", () => { if (ownRadio.checked && !ownSetup) take.click(); else this.reshape(); });
    contRadio.addEventListener("change", () => this.reshape());
    // locks
    const lockBoxes = this.controls.map((c) => {
      const box = node("input", { type: "checkbox", id: id(`lock-${c.name}`), value: c.name, "data-step-lock": c.name });
      return { box, li: node("li", {}, box, node("label", { for: id(`lock-${c.name}`) }, c.label)) };
    });
    // the question
    const kind = node("select", { id: id("kind"), "data-field": "kind" });
    options(kind, KINDS, "");
    const qBox = node("div", { class: "question-fields" });
    const q = questionFields(id, card, (c) => this.sizesFor(c));
    qBox.append(q.root);
    const showKind = () => { q.show(kind.value); qBox.hidden = !kind.value; };
    kind.addEventListener("change", showKind);

    const up = node("button", { type: "button", "data-move": "up", "aria-label": "move this step up", title: "move up" }, "↑");
    const down = node("button", { type: "button", "data-move": "down", "aria-label": "move this step down", title: "move down" }, "↓");
    const remove = node("button", { type: "button", class: "danger", "data-remove-step": "" }, "remove");
    up.addEventListener("click", () => this.move(card, -1));
    down.addEventListener("click", () => this.move(card, 1));
    remove.addEventListener("click", () => {
      const i = this.cards.indexOf(card);
      this.cards.splice(i, 1);
      card.root.remove();
      this.renumber();
      this.reshape();
      (this.cards[Math.min(i, this.cards.length - 1)]?.root.querySelector("input") || document.getElementById("step-add")).focus();
    });
    card.root = node("li", { class: "step-card" },
      node("div", { class: "step-card-head" }, node("b", { class: "step-number" }), up, down, remove),
      node("div", { class: "step-grid" },
        node("div", { class: "step-col" },
          node("label", { for: id("title") }, "Title"), title,
          node("label", { for: id("instructions") }, "Instructions ", node("small", {}, "(Markdown; math as $…$)")), instr,
          node("small", { class: "hint" }, "Preview:"), preview),
        node("div", { class: "step-col" },
          node("fieldset", {}, node("legend", {}, "Network"),
            node("div", { class: "radio" }, contRadio, node("label", { for: id("continue") }, "continue with the network from the step before")),
            node("div", { class: "radio" }, ownRadio, node("label", { for: id("own") }, "this step's setup"), " ", take),
            setupNote),
          node("details", { class: "step-locks" }, node("summary", {}, "Locked in this step"), node("ul", { class: "lesson-locks" }, ...lockBoxes.map((l) => l.li))),
          node("fieldset", {}, node("legend", {}, "Question"),
            node("label", { for: id("kind") }, "Kind"), kind, qBox))));
    card.read = () => {
      const s = { title: title.value.trim(), instructions: instr.value, setup: ownRadio.checked ? ownSetup : null, locks: lockBoxes.filter((l) => l.box.checked).map((l) => l.box.value), question: null };
      if (kind.value) s.question = q.read(kind.value);
      return s;
    };
    card.fill = (st) => {
      title.value = st?.title || "";
      instr.value = st?.instructions || "";
      renderInstructions(preview, instr.value);
      ownSetup = st?.setup || null;
      (ownSetup ? ownRadio : contRadio).checked = true;
      showSetup();
      const locks = new Set(st?.locks || []);
      lockBoxes.forEach((l) => { l.box.checked = locks.has(l.box.value); });
      kind.value = st?.question?.kind || "";
      q.fill(st?.question || null);
      showKind();
    };
    card.ownSizes = () => {
      if (!ownRadio.checked || !ownSetup) return null;
      return ownSetup === card.takenSetup && card.takenSizes ? card.takenSizes : sizesOfSetup(ownSetup);
    };
    card.shape = () => q.shape();
    this.cards.push(card); // before filling: its lists follow the steps before it
    card.fill(step);
    this.list.append(card.root);
    this.renumber();
  }
}
