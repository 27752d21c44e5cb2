// The dashboard's steps of an activity (issue 18, docs/activities.md): each step with "open for
// the class" / "self-paced up to here" and Reveal; the shown step's results (answered, correct,
// incorrect, unanswered, the distribution, free-text answers, the time each took); and the
// snapshots picker. The panel has no timer of its own: the dashboard calls `update(room)` on
// each roster read it already makes, and the panel then reads the shown step's results once.
import { call, el } from "./http.js";
import { answerText, quantityText } from "./quantity.js";
import { Snapshots } from "./snapshots.js";

const KIND = { network: "network question", choice: "multiple choice", number: "number", text: "free text", prediction: "prediction" };
const fmtSec = (s) => (s == null ? "–" : s < 60 ? `${Math.round(s)} s` : `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`);
const median = (xs) => { const v = xs.filter((x) => x != null).sort((a, b) => a - b); return v.length ? v[Math.floor((v.length - 1) / 2)] : null; };

export class StepsPanel {
  /** @param {{base: string, fail: Function, say: Function, shownName: Function, projector: Function}} ctx */
  constructor(ctx) {
    this.ctx = ctx;
    this.box = document.getElementById("steps-panel");
    this.list = document.getElementById("steps-list");
    this.results = document.getElementById("step-results");
    this.room = null;
    this.shown = null; // the step whose results are shown (default: the open one)
    this.key = "";
    this.asked = 0;
    this.snapshots = new Snapshots(ctx);
    document.getElementById("btn-answers-csv").href = `${ctx.base}/answers.csv`;
    document.getElementById("btn-answers-json").href = `${ctx.base}/answers.json`;
  }

  /** Called by the dashboard after each roster read (its one timer). */
  update(room) {
    this.room = room;
    const steps = stepsOf(room);
    const activity = steps.length > 1 || steps.some((s) => s.question);
    this.box.hidden = !activity;
    if (!activity) return;
    const open = room.step_open ?? null;
    const key = JSON.stringify([steps, open, room.step_mode, room.revealed, room.status]);
    if (key !== this.key) { this.key = key; this.renderList(steps, open); }
    this.snapshots.seats(room, this.ctx.shownName);
    const shown = this.shown ?? open;
    if (shown != null && steps[shown]?.question) this.loadResults(shown, steps[shown]);
    else this.results.replaceChildren();
  }

  renderList(steps, open) {
    const revealed = revealedSet(this.room);
    const closed = this.room.status !== "open";
    this.list.replaceChildren(...steps.map((s, n) => {
      const isOpen = n === open;
      const q = s.question;
      const state = isOpen ? (this.room.step_mode === "self" ? "open · self-paced up to here" : "open for the class") : open != null && n < open ? "done" : "not opened";
      const act = (label, cls, fn, attrs = {}) => el("button", { type: "button", class: `small ${cls}`, disabled: closed, onclick: fn, ...attrs }, label);
      return el("li", { class: `step-row${isOpen ? " open" : ""}`, "data-step": n },
        el("span", { class: "step-name" }, el("b", {}, `${n + 1}. `), s.title || `Step ${n + 1}`),
        el("span", { class: "step-kind" }, q ? KIND[q.kind] || q.kind : "no question"),
        el("span", { class: `pill${isOpen ? " ok" : ""}` }, state),
        el("span", { class: "step-actions" },
          act("Open for the class", isOpen && this.room.step_mode !== "self" ? "" : "primary", () => this.open(n, "class"), { "data-open-step": n }),
          act("Self-paced up to here", "", () => this.open(n, "self"), { "data-self-step": n }),
          q ? act(revealed.has(n) ? "Revealed" : "Reveal", "", () => this.reveal(n), { "data-reveal-step": n, disabled: closed || revealed.has(n) || open == null || n > open }) : null,
          q ? act("Results", this.shown === n ? "on" : "", () => { this.shown = n; this.key = ""; this.update(this.room); }, { "data-results-step": n, "aria-pressed": String((this.shown ?? open) === n) }) : null));
    }));
  }

  async open(n, mode) {
    try {
      await call("POST", `${this.ctx.base}/steps/open`, { step: n, mode });
      this.shown = null;
      this.ctx.say(`step ${n + 1} open ${mode === "self" ? "(self-paced up to here)" : "for the class"}`);
    } catch (err) { this.ctx.fail(err); }
    this.ctx.reload();
  }

  async reveal(n) {
    try {
      await call("POST", `${this.ctx.base}/steps/${n}/reveal`);
      this.ctx.say(`step ${n + 1}: answer revealed`);
    } catch (err) { this.ctx.fail(err); }
    this.ctx.reload();
  }

  async loadResults(n, step) {
    const seq = ++this.asked;
    let r;
    try { r = await call("GET", `${this.ctx.base}/steps/${n}/results`); } catch (err) { if (err.status !== 404) this.ctx.fail(err); return; }
    if (seq !== this.asked) return;
    this.renderResults(n, step, r);
  }

  renderResults(n, step, r) {
    const q = step.question;
    const hide = !!this.room.hide_names || document.body.classList.contains("projector");
    const who = (row, i) => (hide ? `Student ${String.fromCharCode(65 + (i % 26))}` : row.name);
    const count = (label, v, cls) => el("div", { class: `count ${cls}`, "data-count": cls }, el("b", {}, String(v ?? 0)), el("small", {}, label));
    const parts = [
      el("h3", { id: "step-results-heading" }, `Step ${n + 1} results`, el("span", { class: "muted" }, ` · ${r.seats ?? "–"} students${q.kind === "network" ? ` · ${quantityText(q.quantity, q.sample, outputLayer(this.room, n))}` : ""}`)),
      el("div", { class: "counts" },
        count("answered", r.answered, "answered"),
        ...(q.kind === "text" || q.kind === "prediction" ? [] : [count("correct", r.correct, "correct"), count("incorrect", r.incorrect, "incorrect")]),
        count("unanswered", r.unanswered, "unanswered"),
        el("div", { class: "count time" }, el("b", {}, fmtSec(median(r.seconds || []))), el("small", {}, "median time"))),
    ];
    const dist = r.distribution || {};
    if (dist.histogram?.length) parts.push(histogram(dist.histogram));
    if (dist.choices?.length) parts.push(choiceBars(dist.choices, q.options || []));
    if (r.texts?.length) {
      parts.push(el("h4", {}, q.kind === "prediction" ? "Predictions" : "Answers"),
        el("ul", { class: "texts" }, ...r.texts.map((t, i) => el("li", {}, el("b", {}, `${who(t, i)}: `), t.text))));
    }
    if (r.rows?.length) {
      parts.push(el("table", { class: "answers", "aria-label": `Answers to step ${n + 1}` },
        el("thead", {}, el("tr", {}, ...["student", "answer", "correct", "attempts", "time"].map((h) => el("th", { scope: "col" }, h)))),
        el("tbody", {}, ...r.rows.map((row, i) => el("tr", { "data-seat": row.seat_id },
          el("td", {}, who(row, i)), el("td", {}, row.answer == null ? "–" : answerText(q, row.answer)),
          el("td", {}, row.correct == null ? "–" : row.correct ? "✓ right" : "✗ wrong"),
          el("td", {}, String(row.attempts ?? 0)), el("td", {}, fmtSec(row.seconds)))))));
    }
    this.results.replaceChildren(...parts);
  }
}

/** L, the output layer's number, of step n's network (its own setup or the last one before). */
function outputLayer(room, n) {
  const steps = stepsOf(room);
  for (let i = n; i >= 0; i--) {
    const hidden = steps[i]?.setup?.network?.hidden_layers;
    if (Array.isArray(hidden)) return hidden.length + 1;
  }
  const hidden = room?.setup?.network?.hidden_layers;
  return Array.isArray(hidden) ? hidden.length + 1 : null;
}

/** The steps the room carries (the lesson's, copied into the classroom). */
export function stepsOf(room) {
  return room?.steps || room?.activity?.steps || [];
}

function revealedSet(room) {
  const r = room?.revealed;
  if (Array.isArray(r)) return new Set(r);
  if (r && typeof r === "object") return new Set(Object.entries(r).filter(([, v]) => v).map(([k]) => Number(k)));
  return new Set();
}

/** Bars for a numeric histogram: one per bin, its count written on it (sizes set through the
 * CSSOM: the CSP allows no inline style attributes). */
function histogram(bins) {
  const max = Math.max(1, ...bins.map((b) => b.count));
  const f = (x) => (Math.abs(x) >= 1e4 || (x !== 0 && Math.abs(x) < 1e-3) ? x.toExponential(2) : Number(x.toPrecision(3)).toString());
  return el("div", { class: "histogram", role: "img", "aria-label": `Answers: ${bins.map((b) => `${b.count} between ${f(b.lo)} and ${f(b.hi)}`).join(", ")}` },
    ...bins.map((b) => {
      const bar = el("span", { class: b.count ? "hbar" : "hbar empty" }, b.count ? String(b.count) : "");
      bar.style.height = b.count ? `${Math.max(18, 80 * (b.count / max))}px` : "2px";
      return el("div", { class: "bin" }, bar, el("small", {}, `${f(b.lo)} … ${f(b.hi)}`));
    }));
}

function choiceBars(counts, options) {
  const max = Math.max(1, ...counts);
  return el("ul", { class: "choice-counts" }, ...counts.map((c, i) => {
    const bar = el("span", { class: "hbar" }, String(c));
    bar.style.width = `${Math.max(6, 70 * (c / max))}%`;
    return el("li", {}, el("span", { class: "label" }, options[i] ?? `option ${i + 1}`), bar);
  }));
}
