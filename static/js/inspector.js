// The inspector: click a unit or a weight to see the derivation's equation that produced its
// number, filled in with the server's live values (Eq. 5 / 14 for a unit, Eq. 6/15 and 7 for a weight).
import { el, fmt, katexInto, tex } from "./util.js";

export const C = { err: "#d62728", gp: "#1f5fbf", act: "#2a9d3c", delta: "#8e44ad" };
const col = (c, s) => `{\\color{${c}}{${s}}}`;
const MAX_TERMS = 5;

/** Index letters per layer: i for the layer below, j for this one, k for the one above. */
function idx(l, L) {
  if (l === L) return "k";
  return l === 0 ? "i" : "j";
}

export class Inspector {
  /** @param {HTMLElement} root  @param {{onEdit: Function}} handlers */
  constructor(root, handlers) {
    this.root = root;
    this.handlers = handlers;
    this.sel = null;
    this.showEmpty();
  }

  showEmpty() {
    this.root.replaceChildren(el("p", { class: "empty", text: "Click a unit or a weight in the diagram to see its equation with live numbers (the probe sample's)." }));
  }

  /** @param {object|null} sel  @param {object} ctx {frame, config, catalog} */
  show(sel, ctx) {
    this.sel = sel;
    this.ctx = ctx;
    if (!sel || !ctx.frame) return this.showEmpty();
    if (sel.kind === "unit") return this._unit(sel, ctx);
    return this._weight(sel, ctx);
  }

  refresh(ctx) {
    if (this.sel) this.show(this.sel, ctx);
  }

  _eq(latex) {
    const d = el("div", { class: "eq" });
    katexInto(d, latex);
    return d;
  }

  _kv(pairs) {
    const box = el("div", { class: "kv" });
    for (const [k, v, cls] of pairs) {
      box.append(el("span", { text: k }), el("span", { class: `v ${cls || ""}`, "data-q": k, text: v }));
    }
    return box;
  }

  _unit(sel, { frame, config }) {
    const probe = frame.probe;
    const layers = probe.layers;
    const L = layers.length;
    const l = sel.layer, j = sel.j;
    const root = this.root;
    root.replaceChildren();
    if (l === 0) {
      root.append(el("div", { class: "insp-head" }, el("b", { text: `input unit a${sub(j + 1)}` }),
        el("span", { class: "muted", text: `probe sample #${probe.index}` })));
      root.append(this._kv([["a_i", fmt(probe.input[j])]]));
      root.append(this._eq(`a_{${j + 1}} = x_{${j + 1}} = ${tex(probe.input[j])}`));
      return;
    }
    const P = layers[l - 1];
    const z = P.z[j], a = P.a[j], gp = P.g_prime[j], d = P.delta[j];
    const u = idx(l, L);
    const act = config.network.activations[l - 1];
    const head = el("div", { class: "insp-head" },
      el("b", { text: `${l === L ? "output" : "hidden"} unit ${u === "k" ? "k" : "j"} = ${j + 1}, layer ${l}` }),
      el("span", { class: "muted", text: `g = ${act} · probe sample #${probe.index}` }));
    head.append(this._editor("bias", { layer: l - 1, j }, frame.biases[l - 1][j]));
    root.append(head);
    root.append(this._kv([["z", fmt(z)], ["a = g(z)", fmt(a)], ["g'(z)", fmt(gp), "c-gp"], ["δ", fmt(d), "c-delta"]]));
    const uu = `_{${u}}`;
    if (l === L) {
      const t = probe.target[j];
      const ce = config.network.loss === "cross_entropy";
      if (ce) {
        root.append(this._eq(`\\underbrace{${col(C.delta, `\\delta${uu}`)}}_{(5')} = ${col(C.err, `(a${uu} - t${uu})`)} = ${col(C.err, `(${tex(a)} - ${tex(t, true)})`)} = ${col(C.delta, tex(d))}`));
        root.append(el("p", { class: "hint", text: "With cross-entropy and a sigmoid/softmax output, g'(z) cancels: δ_k = a_k − t_k." }));
      } else {
        root.append(this._eq(`${col(C.delta, `\\delta${uu}`)} = ${col(C.err, `(a${uu} - t${uu})`)}\\,${col(C.gp, `g'${uu}(z${uu})`)} \\tag{5}`));
        root.append(this._eq(`${col(C.delta, tex(d))} = ${col(C.err, `(${tex(a)} - ${tex(t, true)})`)} \\cdot ${col(C.gp, tex(gp, true))}`));
      }
      return;
    }
    // hidden: Eq. 14 — δ_j = g'_j(z_j) Σ_k δ_k w_jk
    const above = layers[l];
    const Wn = frame.weights[l][j];
    const terms = [];
    for (let k = 0; k < Math.min(MAX_TERMS, above.delta.length); k++) {
      terms.push(`${col(C.delta, tex(above.delta[k], true))}\\cdot ${tex(Wn[k], true)}`);
    }
    if (above.delta.length > MAX_TERMS) terms.push("\\cdots");
    root.append(this._eq(`${col(C.delta, `\\delta_j`)} = ${col(C.gp, `g'_j(z_j)`)} \\sum_k ${col(C.delta, `\\delta_k`)}\\, w_{jk} \\tag{14}`));
    root.append(this._eq(`${col(C.delta, tex(d))} = ${col(C.gp, tex(gp, true))} \\cdot \\big(${terms.join(" + ")}\\big)`));
    root.append(el("p", { class: "hint", text: `δ_k are the next layer's error signals (layer ${l + 1}); w_jk the current weights out of this unit. Bias gradient ∂E/∂b_j = δ_j (Eq. 18).` }));
  }

  _weight(sel, { frame, config, sampleGrad }) {
    const probe = frame.probe;
    const l = sel.layer, j = sel.j;
    const isBias = sel.kind === "bias";
    const i = sel.i;
    const L = probe.layers.length;
    const below = l === 0 ? probe.input : probe.layers[l - 1].a;
    const d = probe.layers[l].delta[j];
    const w = isBias ? frame.biases[l][j] : frame.weights[l][i][j];
    const eta = config.training.learning_rate;
    const out = l + 1 === L;
    const [ui, uj] = out ? (l === 0 ? ["i", "k"] : ["j", "k"]) : ["i", "j"];
    const grad = sampleGrad; // the engine's ∂E/∂w for the probe sample (frame.probe.gradients)
    const G = grad == null ? "\\ldots" : tex(grad);
    const mean = isBias ? frame.gradients?.biases?.[l]?.[j] : frame.gradients?.weights?.[l]?.[i]?.[j];
    const root = this.root;
    root.replaceChildren();
    const name = isBias ? `bias b${sub(j + 1)} of layer ${l + 1}` : `weight w${sub(i + 1)}${sub(j + 1)}: layer ${l} unit ${i + 1} → layer ${l + 1} unit ${j + 1}`;
    const head = el("div", { class: "insp-head" }, el("b", { text: name }), el("span", { class: "muted", text: `probe sample #${probe.index}` }));
    head.append(this._editor(isBias ? "bias" : "weight", isBias ? { layer: l, j } : { layer: l, i, j }, w));
    root.append(head);
    const pairs = [[isBias ? "b" : "w", fmt(w)], ["δ", fmt(d), "c-delta"]];
    if (!isBias) pairs.push(["a_i", fmt(below[i]), "c-act"]);
    pairs.push([isBias ? "∂E/∂b" : "∂E/∂w", grad == null ? "…" : fmt(grad)], ["η", String(eta)], ["epoch mean", fmt(mean)]);
    root.append(this._kv(pairs));
    const W = isBias ? `b_${uj}` : `w_{${ui}${uj}}`;
    if (isBias) {
      root.append(this._eq(`\\frac{\\partial E}{\\partial b_${uj}} = ${col(C.delta, `\\delta_${uj}`)} = ${col(C.delta, tex(d))} \\tag{${out ? 8 : 18}}`));
    } else {
      root.append(this._eq(`\\frac{\\partial E}{\\partial ${W}} = ${col(C.delta, `\\delta_${uj}`)}\\,${col(C.act, `a_${ui}`)} = ${col(C.delta, tex(d, true))}\\cdot${col(C.act, tex(below[i], true))} = ${G} \\tag{${out ? 6 : 15}}`));
    }
    root.append(this._eq(`${W} \\leftarrow ${W} - \\eta \\frac{\\partial E}{\\partial ${W}} = ${tex(w)} - ${tex(eta)}\\cdot ${grad == null ? G : tex(grad, true)} \\tag{7}`));
    root.append(el("p", { class: "hint", text: "Eq. 7 for this one sample (plain gradient descent); training applies the batch mean, momentum and regularisation." }));
  }

  _editor(kind, where, value) {
    const input = el("input", { type: "number", step: "any", value: String(+value.toPrecision(6)), "aria-label": `edit ${kind}`, id: "edit-param" });
    const wrap = el("label", { class: "edit" }, el("span", { class: "muted", text: `set ${kind}` }), input);
    const err = el("span", { class: "err", "data-err": kind === "bias" ? "biases" : "weights" });
    input.addEventListener("keydown", (e) => {
      if (e.key === "Enter") this.handlers.onEdit(kind, where, Number(input.value), err);
      e.stopPropagation();
    });
    input.addEventListener("change", () => this.handlers.onEdit(kind, where, Number(input.value), err));
    wrap.append(err);
    return wrap;
  }
}

function sub(n) {
  return String(n).replace(/\d/g, (d) => "₀₁₂₃₄₅₆₇₈₉"[d]);
}
