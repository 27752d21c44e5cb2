// The steps of an activity on a student's seat (issue 18, docs/activities.md): the open step's
// title, instructions and question; earlier steps below it, read-only and collapsed. The page
// reads GET /api/classrooms/{id}/activity when it starts and again whenever the stream says
// `activity` (the teacher opened a step or revealed one) or a new session is adopted — never on
// a timer. Answers go to POST …/steps/{n}/answer; the server checks them (a correct answer is
// never in what the page reads before the teacher reveals it).
import { call, el } from "./http.js";
import { renderInstructions } from "../markdown.js";
import { layerSizes } from "../frame.js";
import { quantityText, answerText } from "./quantity.js";

/** What the page shows where a concealed quantity would be (the frames simply lack it). */
export const HIDDEN_TEXT = "hidden until you answer";

/** "0,25" → "0,25" kept as typed: the server reads a decimal comma; the page only checks that
 * it is a number at all, so that a typo is named before it costs an attempt. */
export function parseDecimal(text) {
  const s = String(text ?? "").trim().replace(/\s/g, "");
  if (!/^[+-]?(\d+([.,]\d*)?|[.,]\d+)([eE][+-]?\d+)?$/.test(s)) return null;
  return Number(s.replace(",", "."));
}

/** Is the student's network frozen by this step (an open network question not yet done)? */
export function isFrozen(step) {
  const q = step?.question;
  if (!q || q.kind !== "network" || step.state !== "open" || step.revealed) return false;
  const a = step.answer;
  if (!a) return true;
  if (q.feedback === "reveal") return false;
  return !a.correct && a.attempts_left > 0;
}

export class SeatActivity {
  /** @param {object} app the playground App  @param {string} base /api/classrooms/{id}
   *  @param {(frozen: string|null) => void} onFreeze told whenever the freeze starts or ends */
  constructor(app, base, onFreeze) {
    this.app = app;
    this.base = base;
    this.onFreeze = onFreeze;
    this.activity = null;
    this.shownKey = "";
    this.asked = 0;
    this.box = null;
    app.bus.addEventListener("activity", () => this.load());
    app.bus.addEventListener("session", () => this.load());
    app.bus.addEventListener("frame", () => this.whatHappened());
  }

  async load() {
    const seq = ++this.asked;
    let a;
    try {
      a = await call("GET", `${this.base}/activity`);
    } catch (err) {
      if (err.status === 404 || err.status === 405) { this.hide(); return; } // no activities here
      return;
    }
    if (seq !== this.asked) return; // a newer read is on its way
    this.activity = a;
    this.render();
  }

  /** The open step's fields as the student left them: [id, value, checked]. */
  typed() {
    const body = this.box?.querySelector(".activity-body");
    if (!body) return [];
    return [...body.querySelectorAll("input[id], textarea[id]")].map((x) => [x.id, x.value, x.checked]);
  }

  hide() {
    if (this.box) this.box.hidden = true;
    this.onFreeze(null);
  }

  /** The steps as the student may see them: the open one first, the earlier ones collapsed. */
  render() {
    const a = this.activity;
    const steps = (a?.steps || []).filter((s) => s.state !== "locked");
    // a lesson without steps reads as one untitled step without a question: the lesson as
    // before, its instructions box says it all (later steps of an activity are not listed yet,
    // so the count alone cannot tell)
    if (!steps.length || (steps.length === 1 && !steps[0].title && !steps[0].question)) {
      this.hide();
      return;
    }
    const key = JSON.stringify(a);
    if (key === this.shownKey) return;
    const moved = this.openIndex !== a.step_open;
    this.shownKey = key;
    this.openIndex = a.step_open;
    if (!this.box) {
      this.box = el("section", { id: "activity", class: "activity", "aria-labelledby": "activity-heading" });
      const anchor = document.getElementById("seat-instructions") || document.querySelector(".topbar");
      anchor.after(this.box);
    }
    this.box.hidden = false;
    // the step this student is on (self-paced: any up to the open one), else the open one
    const here = a.current ?? a.step_open;
    const open = steps.find((s) => s.index === here) || steps.at(-1);
    const earlier = steps.filter((s) => s !== open).sort((x, y) => y.index - x.index);
    const focusWasInside = this.box.contains(document.activeElement) && document.activeElement?.id;
    // what the student typed but has not sent stays when the same step is drawn again (a new
    // session, an event): the re-read must not wipe an answer being written
    const typed = this.shownStep === open.index ? this.typed() : [];
    this.shownStep = open.index;
    this.box.replaceChildren(
      el("h2", { id: "activity-heading", class: "activity-heading" },
        `Step ${open.index + 1}`, el("span", { class: "muted" }, ` of ${a.steps.length}${a.mode === "self" ? " · at your own pace" : ""}`)),
      this.stepBody(open, true),
      ...(a.mode === "self" ? [this.pager(open.index, a.step_open)] : []),
      ...(earlier.length ? [el("div", { class: "activity-earlier" }, el("h3", {}, "Earlier steps"), ...earlier.map((s) => this.earlier(s)))] : []));
    for (const [id, value, checked] of typed) {
      const input = document.getElementById(id);
      if (!input || input.disabled || !this.box.contains(input)) continue;
      if (input.type === "radio" || input.type === "checkbox") input.checked = checked;
      else input.value = value;
    }
    if (focusWasInside) document.getElementById(focusWasInside)?.focus();
    if (moved) this.box.scrollIntoView({ block: "nearest" });
    const frozen = isFrozen(open);
    if (frozen) this.box.querySelector(".activity-body").prepend(el("p", { class: "frozen-note", id: "frozen-note" }, "Your network is frozen while you answer: play and step are off until you answer (or your teacher reveals the answer). What the question asks for is hidden until you answer."));
    this.concealedNote(frozen);
    this.onFreeze(frozen ? "your network is frozen while you answer this step's question" : null);
    this.whatHappened();
  }

  /** Self-paced: go back or on, up to the step the teacher opened (POST …/me/step). */
  pager(here, last) {
    const go = (n) => async () => {
      try { await call("POST", `${this.base}/me/step`, { step: n }); } catch { /* the read below shows where it is */ }
      this.load();
    };
    return el("div", { class: "activity-pager" },
      el("button", { type: "button", disabled: here <= 0, onclick: go(here - 1), "data-step-prev": "" }, "← previous step"),
      el("button", { type: "button", disabled: last == null || here >= last, onclick: go(here + 1), "data-step-next": "" }, "next step →"));
  }

  /** Over the diagram: the quantities the frames lack are hidden, not zero. */
  concealedNote(on) {
    let note = document.getElementById("concealed-note");
    if (!note && on) {
      note = el("p", { id: "concealed-note", class: "concealed-note", role: "note" }, `δ, ∂E/∂w and the other values this question asks for: ${HIDDEN_TEXT}.`);
      document.getElementById("diagram")?.before(note);
    }
    if (note) note.hidden = !on;
  }

  earlier(step) {
    return el("details", { class: "activity-step done", "data-step": step.index },
      el("summary", {}, `Step ${step.index + 1}${step.title ? `: ${step.title}` : ""}`),
      this.stepBody(step, false));
  }

  stepBody(step, live) {
    const body = el("div", { class: "activity-body", "data-step": step.index, "data-state": step.state });
    if (live && step.title) body.append(el("h3", { class: "activity-title" }, step.title));
    const md = el("div", { class: "md instructions-body" });
    if (renderInstructions(md, step.instructions)) body.append(md);
    const q = step.question;
    if (q) body.append(this.question(step, q, live && step.state === "open"));
    return body;
  }

  question(step, q, live) {
    const form = el("form", { class: "activity-question", "data-kind": q.kind, "aria-label": `Question of step ${step.index + 1}` });
    const prompt = el("div", { class: "md prompt" });
    renderInstructions(prompt, q.prompt);
    form.append(prompt);
    if (q.kind === "network") form.append(el("p", { class: "quantity", "data-quantity": q.quantity?.name || "" }, quantityText(q.quantity, q.sample, this.outputLayer())));
    if (q.kind === "network" && q.predict_then_step) form.append(el("p", { class: "hint step-hint" }, "Predict first: answer before you press step — your answer is checked on the network as it is now, then press step and see."));
    const a = step.answer;
    const done = !live || step.revealed || (a && (a.correct === true || a.attempts_left === 0));
    const field = this.field(step, q, done);
    form.append(field.node);
    const out = el("p", { class: "feedback", role: "status", "aria-live": "polite" });
    if (!done) {
      const send = el("button", { type: "submit", class: "primary" }, q.kind === "prediction" ? "Record my prediction" : "Answer");
      form.append(el("div", { class: "row" }, send));
      form.addEventListener("submit", (ev) => { ev.preventDefault(); this.submit(step, q, field, out, send); });
    }
    form.append(out);
    this.feedback(out, step, q, a);
    if (q.kind === "prediction" && a) form.append(el("p", { class: "what-happened", "data-what-happened": "" }));
    return form;
  }

  outputLayer() {
    const f = this.app.frame;
    try { return f?.weights ? layerSizes(f).length - 1 : null; } catch { return null; }
  }

  /** The answer's input by kind; `read()` gives the AnswerIn body or throws naming the problem. */
  field(step, q, done) {
    const id = `answer-${step.index}`;
    const prev = step.answer?.answer || {};
    if (q.kind === "network" || q.kind === "number") {
      const input = el("input", { id, type: "text", inputmode: "decimal", autocomplete: "off", class: "num-answer", "aria-describedby": `${id}-hint` });
      if (prev.value != null) input.value = String(prev.value);
      input.disabled = done;
      const node = el("div", { class: "answer-field" },
        el("label", { for: id }, q.kind === "network" ? "Your value" : "Your answer"), input,
        el("small", { id: `${id}-hint`, class: "hint" }, "a number; 0,5 and 0.5 both work"));
      return { node, read: () => {
        if (parseDecimal(input.value) == null) throw new Error("Type a number (e.g. -0,125 or 3.2e-2)");
        return { value: input.value.trim() };
      } };
    }
    const options = q.options || [];
    if (q.kind === "choice" || (q.kind === "prediction" && options.length)) {
      const several = q.kind === "choice" && !!q.multiple;
      const chosen = new Set(prev.choices || []);
      const fs = el("fieldset", { class: "choices" }, el("legend", {}, several ? "Tick every right answer" : "Pick one"));
      options.forEach((text, i) => {
        const box = el("input", { type: several ? "checkbox" : "radio", name: id, id: `${id}-${i}`, value: String(i) });
        box.checked = chosen.has(i);
        box.disabled = done;
        const label = el("label", { for: `${id}-${i}`, class: "md-inline" });
        renderInstructions(label, text);
        fs.append(el("div", { class: "choice" }, box, label));
      });
      return { node: fs, read: () => {
        const picked = [...fs.querySelectorAll("input:checked")].map((b) => Number(b.value));
        if (!picked.length) throw new Error(several ? "Tick at least one answer" : "Pick an answer");
        return { choices: picked };
      } };
    }
    const area = el("textarea", { id, rows: "3", maxlength: "2000" });
    area.value = prev.text || "";
    area.disabled = done;
    const node = el("div", { class: "answer-field" }, el("label", { for: id }, q.kind === "prediction" ? "Your prediction" : "Your answer"), area);
    return { node, read: () => {
      if (!area.value.trim()) throw new Error("Write your answer first");
      return { text: area.value };
    } };
  }

  async submit(step, q, field, out, send) {
    let body;
    try { body = field.read(); } catch (err) { out.textContent = err.message; out.className = "feedback wrong"; return; }
    send.disabled = true;
    try {
      const answer = await call("POST", `${this.base}/steps/${step.index}/answer`, body);
      this.asked++; // a read sent before this answer was recorded must not draw over it
      const shown = this.activity?.steps?.find((s) => s.index === step.index) || step;
      shown.answer = answer;
      this.shownKey = "";
      this.render();
    } catch (err) {
      out.textContent = err.message || String(err);
      out.className = "feedback wrong";
      send.disabled = false;
    }
  }

  /** Right/wrong with attempts left, "recorded", and after the reveal the answer and why. */
  feedback(out, step, q, a) {
    const parts = [];
    let cls = "feedback";
    if (a) {
      if (q.kind === "prediction") parts.push("Prediction recorded.");
      else if (q.kind === "text") parts.push("Answer recorded.");
      else if (a.correct === true) { parts.push("Right."); cls += " right"; }
      else if (a.correct === false) {
        parts.push(a.attempts_left > 0 ? `Not quite — ${a.attempts_left} attempt${a.attempts_left === 1 ? "" : "s"} left.` : "Not right, and no attempts left.");
        cls += " wrong";
      } else parts.push("Answer recorded — your teacher will reveal the answer.");
    } else if (q.feedback === "reveal" && step.state === "open" && !step.revealed) {
      parts.push("Your teacher reveals the answer later.");
    } else if (q.feedback !== "reveal" && step.state === "open" && !step.revealed && q.max_attempts) {
      parts.push(`${q.max_attempts} attempt${q.max_attempts === 1 ? "" : "s"}.`);
    }
    out.className = cls;
    out.textContent = parts.join(" ");
    const expected = step.expected ?? a?.expected;
    const explanation = step.explanation ?? a?.explanation;
    if (step.revealed || expected != null) {
      const box = el("div", { class: "reveal", "data-revealed": "" });
      if (expected != null) box.append(el("p", {}, el("b", {}, "Correct answer: "), answerText(q, expected)));
      if (explanation) {
        const md = el("div", { class: "md" });
        renderInstructions(md, explanation);
        box.append(md);
      }
      if (box.childNodes.length) out.after(box);
    }
  }

  /** A prediction beside what happened: the loss and epoch the page shows now. */
  whatHappened() {
    if (!this.box) return;
    const f = this.app.frame;
    for (const p of this.box.querySelectorAll("[data-what-happened]")) {
      const loss = document.getElementById("loss-train")?.textContent;
      p.textContent = f ? `What happened so far: epoch ${f.epoch ?? "–"}, train loss ${loss || "–"}.` : "";
    }
  }
}
