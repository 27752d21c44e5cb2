// One lesson step's question in the step editor (step-editor.js): the fields of every kind
// (a quantity on the student's network with its layer/unit/source from the network's shape, a
// number, choice or prediction options with their correct ticks, the prompt, feedback and
// attempts), shown by kind, read into the step's question and filled from one.
import { QUANTITIES, quantityInfo } from "./classroom/quantity.js";
import { node, num, options } from "./step-dom.js";

export const MAX_OPTIONS = 10; // ChoiceQuestion.options

/** The fields of a question, every kind's, shown by kind. */
export function questionFields(id, card, sizesFor) {
  const f = (name, el) => { el.dataset.field = name; return el; };
  const prompt = f("prompt", node("textarea", { id: id("prompt"), rows: "2" }));
  const explanation = f("explanation", node("textarea", { id: id("explanation"), rows: "2" }));
  const feedback = f("feedback", node("select", { id: id("feedback") }));
  options(feedback, [["immediate", "right/wrong at once"], ["reveal", "only when I reveal"]], "immediate");
  const attempts = f("attempts", node("input", { id: id("attempts"), type: "number", min: "1", max: "20", value: "3" }));
  // network
  const quantity = f("quantity", node("select", { id: id("quantity") }));
  options(quantity, QUANTITIES.map((x) => [x.name, x.label]), "delta");
  const layer = f("layer", node("select", { id: id("layer") }));
  const unit = f("unit", node("select", { id: id("unit") }));
  const source = f("source", node("select", { id: id("source") }));
  const probe = f("sample-probe", node("input", { type: "radio", name: id("sample"), id: id("probe"), checked: true }));
  const fixed = f("sample-fixed", node("input", { type: "radio", name: id("sample"), id: id("fixed") }));
  const sample = f("sample", node("input", { id: id("sample-index"), type: "number", min: "0", step: "1", value: "0", "aria-label": "sample index" }));
  const tolerance = f("tolerance", node("input", { id: id("tolerance"), type: "text", inputmode: "decimal", value: "1" }));
  const predict = f("predict", node("input", { id: id("predict"), type: "checkbox" }));
  // number
  const answer = f("answer", node("input", { id: id("answer"), type: "text", inputmode: "decimal" }));
  // choice / prediction options
  const optList = node("ol", { class: "option-list" });
  const addOpt = node("button", { type: "button", "data-field": "add-option" }, "+ option");
  const optionRow = (text = "", correct = false) => {
    const n = optList.children.length;
    const t = node("input", { type: "text", "aria-label": `option ${n + 1}`, "data-option": "" });
    t.value = text;
    const c = node("input", { type: "checkbox", "aria-label": `option ${n + 1} is correct`, "data-correct": "" });
    c.checked = correct;
    const rm = node("button", { type: "button", "aria-label": `remove option ${n + 1}` }, "×");
    const li = node("li", {}, t, node("label", { class: "correct" }, c, " correct"), rm);
    rm.addEventListener("click", () => li.remove());
    optList.append(li);
  };
  addOpt.addEventListener("click", () => { if (optList.children.length < MAX_OPTIONS) optionRow(); optList.lastChild?.querySelector("input").focus(); });

  const row = (label, el, forId) => node("div", { class: "qrow" }, node("label", { for: forId || el.id }, label), el);
  const net = node("div", { class: "q-network" },
    row("Quantity", quantity), row("Layer", layer), row("Unit", unit), node("div", { class: "qrow q-source" }, node("label", { for: id("source") }, "From unit (layer − 1)"), source),
    node("div", { class: "qrow" }, node("span", { class: "lbl" }, "Sample"),
      probe, node("label", { for: id("probe") }, "the student's probe sample"), fixed, node("label", { for: id("fixed") }, "sample"), sample),
    row("Tolerance (%)", tolerance),
    node("div", { class: "qrow" }, predict, node("label", { for: id("predict") }, "predict, then step (checked on the network before the step)")));
  const num_ = node("div", { class: "q-number" }, row("Correct answer", answer), row("Tolerance (%)", tolerance.cloneNode()));
  const numTol = num_.querySelector("input[data-field=tolerance]");
  numTol.id = id("tolerance-n");
  num_.querySelectorAll("label")[1].setAttribute("for", numTol.id);
  const choice = node("div", { class: "q-options" }, node("span", { class: "lbl" }, "Options (tick the correct ones)"), optList, addOpt);
  const common = node("div", { class: "q-common" },
    row("Prompt", prompt), row("Explanation (shown at the reveal)", explanation),
    node("div", { class: "q-feedback" }, row("Feedback", feedback), row("Attempts", attempts)));
  const root = node("div", {}, common, net, num_, choice);

  const shape = () => {
    const sizes = sizesFor(card);
    const L = sizes ? sizes.length - 1 : 2;
    const l0 = Number(layer.value) || L;
    options(layer, Array.from({ length: L }, (_, i) => [i + 1, i + 1 === L ? `${i + 1} (output)` : `${i + 1} (hidden)`]), card.want?.layer ?? l0);
    const l = Number(layer.value);
    const n = sizes ? sizes[l] : 8, m = sizes ? sizes[l - 1] : 8;
    options(unit, Array.from({ length: n }, (_, i) => [i, `${i}`]), card.want?.unit ?? unit.value);
    options(source, Array.from({ length: m }, (_, i) => [i, `${i}`]), card.want?.source ?? source.value);
    const needs = quantityInfo(quantity.value)?.needs || [];
    for (const [el, what] of [[layer, "layer"], [unit, "unit"], [source, "source"]]) el.closest(".qrow").hidden = !needs.includes(what);
  };
  layer.addEventListener("change", () => { card.want = null; shape(); });
  quantity.addEventListener("change", shape);
  sample.addEventListener("input", () => { fixed.checked = true; });

  const show = (kind) => {
    net.hidden = kind !== "network";
    num_.hidden = kind !== "number";
    choice.hidden = kind !== "choice" && kind !== "prediction";
    choice.querySelector(".lbl").textContent = kind === "prediction" ? "Options (none: a free-text prediction)" : "Options (tick the correct ones)";
    for (const c of optList.querySelectorAll(".correct")) c.hidden = kind !== "choice";
    if (kind === "choice" && optList.children.length < 2) { optionRow(); optionRow(); }
    if (kind === "network") shape();
  };
  const pct = (input) => { const v = num(input.value); if (!(v > 0)) throw new Error("tolerance: a percentage above 0"); return v / 100; };
  const read = (kind) => {
    const out = { kind, prompt: prompt.value.trim(), explanation: explanation.value, feedback: feedback.value, max_attempts: parseInt(attempts.value, 10) || 1 };
    if (kind === "network") {
      const needs = quantityInfo(quantity.value)?.needs || [];
      out.quantity = { name: quantity.value };
      for (const [el, what] of [[layer, "layer"], [unit, "unit"], [source, "source"]]) if (needs.includes(what)) out.quantity[what] = Number(el.value);
      out.sample = fixed.checked ? parseInt(sample.value, 10) || 0 : null;
      out.tolerance = pct(tolerance);
      out.predict_then_step = predict.checked;
    } else if (kind === "number") {
      out.answer = num(answer.value);
      if (!Number.isFinite(out.answer)) throw new Error("the correct answer: a number");
      out.tolerance = pct(numTol);
    } else if (kind === "choice" || kind === "prediction") {
      const rows = [...optList.children].map((li) => ({ text: li.querySelector("[data-option]").value.trim(), ok: li.querySelector("[data-correct]").checked })).filter((r) => r.text);
      out.options = rows.map((r) => r.text);
      if (kind === "choice") out.correct = rows.map((r, i) => (r.ok ? i : -1)).filter((i) => i >= 0);
    }
    return out;
  };
  const fill = (qq) => {
    prompt.value = qq?.prompt || "";
    explanation.value = qq?.explanation || "";
    feedback.value = qq?.feedback || "immediate";
    attempts.value = String(qq?.max_attempts ?? 3);
    optList.replaceChildren();
    if (qq?.options) qq.options.forEach((t, i) => optionRow(t, (qq.correct || []).includes(i)));
    if (qq?.kind === "network") {
      quantity.value = qq.quantity?.name || "delta";
      card.want = qq.quantity || null;
      (qq.sample == null ? probe : fixed).checked = true;
      sample.value = String(qq.sample ?? 0);
      tolerance.value = String((qq.tolerance ?? 0.01) * 100);
      predict.checked = !!qq.predict_then_step;
    }
    if (qq?.kind === "number") { answer.value = String(qq.answer ?? ""); numTol.value = String((qq.tolerance ?? 0.01) * 100); }
  };
  return { root, show, read, fill, shape };
}
