// The inspector: click a unit or a weight to see the derivation's equations that produced its
// numbers, filled in with the server's live values for the probe sample: a unit's forward pass
// (z = b + Σ a·w, a = g(z)) and its δ (Eq. 5 / 14); a weight's gradient (Eq. 6/15, 8/18) and
// its update (Eq. 7, ending in the new value the engine computes). Every "Eq. N" links to the
// derivation page. Long sums are written out in full and wrap inside the panel. Live frames
// come straight from the page's bus (`frame`): the inspector reads δ, ∂E/∂w and Eq. 7's new
// value off the newest one itself, at most once per animation frame.
import { probeGradient, probeUpdate } from "./frame.js";
import { el, fmt, katexInto, tex } from "./util.js";

export const C = { err: "#d62728", gp: "#1f5fbf", act: "#1f7a34", delta: "#8e44ad" }; // text: ≥ 4.5:1 on white
const col = (c, s) => `{\\color{${c}}{${s}}}`;

/** A link to equation `n` (or a forward step "step-N") of the derivation page. */
export function eqLink(n, text = `Eq. ${n}`) {
  const anchor = String(n).startsWith("step") ? n : `eq-${n}`;
  return el("a", { class: "eq-ref", href: `/derivation#${anchor}`, target: "_blank", rel: "noopener", text });
}

/** Unit numbers as subscripts, 1-based (as on the diagram): w₁₂. */
export function sub(n) {
  return String(n).replace(/\d/g, (d) => "₀₁₂₃₄₅₆₇₈₉"[d]);
}

export class Inspector {
  /**
   * @param {HTMLElement} root
   * @param {{onEdit: Function, bus?: EventTarget}} handlers  the page's bus:
   *   its live `frame`s refresh what is shown
   */
  constructor(root, handlers) {
    this.root = root;
    this.handlers = handlers;
    this.sel = null;
    this.ctx = null;
    this.editor = null; // {key, wrap, input, err}: kept while the same parameter is shown
    this.pending = null; // the newest live frame, drawn at the next animation frame
    this._raf = 0;
    handlers.bus?.addEventListener("frame", (e) => this.frameArrived(e.detail));
    this.showEmpty();
  }

  showEmpty() {
    this.editor = null;
    this.root.replaceChildren(el("p", { class: "empty", text: "Click a unit or a weight in the diagram to see its equations with live numbers (the probe sample's)." }));
  }

  /** Nothing selected (another session was adopted): empty, and live frames change nothing. */
  clear() {
    this.sel = null;
    this.ctx = null;
    this.pending = null;
    this.showEmpty();
  }

  /** A live frame from the stream: shown with the selection at the next animation frame. */
  frameArrived(frame) {
    if (!this.sel || !this.ctx) return;
    this.pending = frame;
    if (this._raf) return;
    this._raf = requestAnimationFrame(() => {
      this._raf = 0;
      const f = this.pending;
      this.pending = null;
      if (f && this.sel && this.ctx) this.refresh({ ...this.ctx, frame: f });
    });
  }

  /** @param {object|null} sel  @param {object} ctx {frame, config, catalog} */
  show(sel, ctx) {
    this.sel = sel;
    this.ctx = ctx;
    if (!sel || !ctx.frame) return this.showEmpty();
    // the probe sample's own ∂E/∂w and Eq. 7's new value, as the engine computed them
    const sample = { ...ctx, sampleGrad: probeGradient(ctx.frame, sel), sampleUpdate: probeUpdate(ctx.frame, sel) };
    if (sel.kind === "unit") return this._unit(sel, sample);
    return this._weight(sel, sample);
  }

  /** Show the newest frame's numbers — not while the edit box is in use (that would take the
   * focus, and what is being typed, away). */
  refresh(ctx) {
    if (this.editor && document.activeElement === this.editor.input) return;
    if (this.sel) this.show(this.sel, ctx);
  }

  /** One equation: display mode with its tag, or (`wrap`) inline mode, which breaks after
   * + and = so that a long filled-in sum stays inside the panel. */
  _eq(latex, { wrap = false, eq = null, attrs = {} } = {}) {
    const d = el("div", { class: wrap ? "eq wrap" : "eq", ...attrs });
    const m = el("span", { class: "eq-math" });
    katexInto(m, latex, !wrap);
    d.append(m);
    if (eq) d.append(eqLink(eq));
    return d;
  }

  _kv(pairs) {
    const box = el("div", { class: "kv" });
    for (const [k, v, cls] of pairs) {
      // "–" for a field the frame lacks: while a question conceals it, say so (issue 18)
      const hidden = v === "–" && document.body.classList.contains("activity-frozen");
      box.append(el("span", { text: k }), el("span", { class: `v ${cls || ""}${hidden ? " concealed" : ""}`, "data-q": k, text: hidden ? "hidden until you answer" : v }));
    }
    return box;
  }

  _section(title, ...links) {
    return el("div", { class: "insp-sec" }, el("span", { text: title }), ...links);
  }

  _unit(sel, { frame, config }) {
    const probe = frame.probe;
    const layers = probe.layers;
    const L = layers.length;
    const l = sel.layer, j = sel.j;
    const root = this.root;
    root.replaceChildren();
    if (l === 0) {
      this.editor = null;
      root.append(el("div", { class: "insp-head" }, el("b", { text: `input unit a${sub(j + 1)} (layer 0)` }),
        el("span", { class: "muted", text: `probe sample #${probe.index}` })));
      root.append(this._kv([["a_i", fmt(probe.input[j])]]));
      root.append(this._eq(`a_{${j + 1}} = x_{${j + 1}} = ${tex(probe.input[j])}`, { eq: "step-1" }));
      return;
    }
    const P = layers[l - 1];
    const z = P.z?.[j], a = P.a?.[j], gp = P.g_prime?.[j], d = P.delta?.[j]; // a field an open question conceals is absent
    const out = l === L;
    const [u, v] = out ? ["k", "j"] : ["j", "i"]; // this unit's index letter, the layer below's
    const act = config.network.activations[l - 1];
    const head = el("div", { class: "insp-head" },
      el("b", { text: `${out ? "output" : "hidden"} unit ${u} = ${j + 1} of layer ${l}` }),
      el("span", { class: "muted", text: `g = ${act} · probe sample #${probe.index}` }));
    head.append(this._editor("bias", { layer: l - 1, j }, frame.biases[l - 1][j]));
    root.append(head);
    root.append(this._kv([["z", fmt(z)], ["a = g(z)", fmt(a)], ["g'(z)", fmt(gp), "c-gp"], ["δ", fmt(d), "c-delta"]]));

    // forward: z = b + Σ a·w over every unit below, then a = g(z)
    const below = (l === 1 ? probe.input : layers[l - 2].a) || [];
    const Wl = frame.weights[l - 1], b = frame.biases[l - 1][j];
    const n = j + 1;
    root.append(this._section("forward", eqLink(out ? "step-4" : "step-2", out ? "Steps 4–5" : "Steps 2–3")));
    root.append(this._eq(`z_${u} = b_${u} + \\sum_${v} ${col(C.act, `a_${v}`)}\\, w_{${v}${u}}, \\qquad a_${u} = g_${u}(z_${u})`));
    const fwd = below.map((ai, i) => `${col(C.act, tex(ai, true))}\\cdot ${tex(Wl[i][j], true)}`);
    root.append(this._eq(`z_{${n}} = ${tex(b, true)} + ${fterms(fwd)} = ${tex(z)}`, { wrap: true, attrs: { "data-forward-terms": String(below.length) } }));
    root.append(this._eq(`a_{${n}} = \\text{${act.replace(/_/g, "\\_")}}(${tex(z)}) = ${tex(a)}`, { wrap: true }));

    // backward
    if (out) {
      const t = probe.target[j];
      const ce = config.network.loss === "cross_entropy";
      root.append(this._section("backward", eqLink(5)));
      if (ce) {
        root.append(this._eq(`${col(C.delta, "\\delta_k")} = ${col(C.err, "a_k - t_k")}`));
        root.append(this._eq(`${col(C.delta, `\\delta_{${n}}`)} = ${col(C.err, `${tex(a)} - ${tex(t, true)}`)} = ${col(C.delta, tex(d))}`, { wrap: true }));
        root.append(el("p", { class: "hint", text: "With cross-entropy and a sigmoid/softmax output, g'(z) cancels: δ_k = a_k − t_k (Eq. 5 with this loss)." }));
      } else {
        root.append(this._eq(`${col(C.delta, "\\delta_k")} = ${col(C.err, "(a_k - t_k)")}\\,${col(C.gp, "g'_k(z_k)")} \\tag{5}`));
        root.append(this._eq(`${col(C.delta, `\\delta_{${n}}`)} = ${col(C.err, `(${tex(a)} - ${tex(t, true)})`)} \\cdot ${col(C.gp, tex(gp, true))} = ${col(C.delta, tex(d))}`, { wrap: true }));
      }
      return;
    }
    // hidden: Eq. 14 — δ_j = g'_j(z_j) Σ_k δ_k w_jk, every k of the layer above
    const above = layers[l].delta || []; // absent while a question conceals it
    const Wn = frame.weights[l][j];
    const terms = above.map((dk, k) => `${col(C.delta, tex(dk, true))}\\cdot ${tex(Wn[k], true)}`);
    root.append(this._section("backward", eqLink(14)));
    root.append(this._eq(`${col(C.delta, "\\delta_j")} = ${col(C.gp, "g'_j(z_j)")} \\sum_k ${col(C.delta, "\\delta_k")}\\, w_{jk} \\tag{14}`));
    root.append(this._eq(`${col(C.delta, `\\delta_{${n}}`)} = ${col(C.gp, tex(gp, true))} \\cdot \\big( ${fterms(terms)} \\big) = ${col(C.delta, tex(d))}`,
      { wrap: true, attrs: { "data-terms": String(above.length) } }));
    root.append(el("p", { class: "hint", text: `δ_k: the error signals of layer ${l + 1}; w_jk: the weights out of this unit. The bias gradient ∂E/∂b_j is δ_j (Eq. 18).` }));
  }

  _weight(sel, { frame, config, sampleGrad, sampleUpdate }) {
    const probe = frame.probe;
    const l = sel.layer, j = sel.j;
    const isBias = sel.kind === "bias";
    const i = sel.i;
    const L = probe.layers.length;
    const below = (l === 0 ? probe.input : probe.layers[l - 1].a) || [];
    const d = probe.layers[l].delta?.[j]; // absent while a question conceals it
    const w = isBias ? frame.biases[l][j] : frame.weights[l][i][j];
    const eta = probe.learning_rate ?? config.training.learning_rate; // the η of probe.updated
    const out = l + 1 === L;
    const [ui, uj] = out ? ["j", "k"] : ["i", "j"];
    const grad = sampleGrad; // the engine's ∂E/∂w for the probe sample (frame.probe.gradients)
    const G = grad == null ? "\\ldots" : tex(grad);
    const mean = isBias ? frame.gradients?.biases?.[l]?.[j] : frame.gradients?.weights?.[l]?.[i]?.[j];
    const root = this.root;
    root.replaceChildren();
    const name = isBias ? `bias b${sub(j + 1)} of layer ${l + 1} — b[${l}][${j}]`
      : `weight w${sub(i + 1)}${sub(j + 1)}: layer ${l} unit ${i + 1} → layer ${l + 1} unit ${j + 1} — W[${l}][${i}][${j}]`;
    const head = el("div", { class: "insp-head" }, el("b", { text: name }), el("span", { class: "muted", text: `probe sample #${probe.index}` }));
    head.append(this._editor(isBias ? "bias" : "weight", isBias ? { layer: l, j } : { layer: l, i, j }, w));
    root.append(head);
    const pairs = [[isBias ? "b" : "w", fmt(w)], ["δ", fmt(d), "c-delta"]];
    if (!isBias) pairs.push(["a_i", fmt(below[i]), "c-act"]);
    pairs.push([isBias ? "∂E/∂b" : "∂E/∂w", grad == null ? "…" : fmt(grad)], ["η", String(eta)], ["epoch mean", fmt(mean)]);
    root.append(this._kv(pairs));
    const W = isBias ? `b_${uj}` : `w_{${ui}${uj}}`;
    const gEq = isBias ? (out ? 8 : 18) : (out ? 6 : 15);
    root.append(this._section("gradient", eqLink(gEq)));
    if (isBias) {
      root.append(this._eq(`\\frac{\\partial E}{\\partial b_${uj}} = ${col(C.delta, `\\delta_${uj}`)} = ${col(C.delta, tex(d))} \\tag{${gEq}}`));
    } else {
      root.append(this._eq(`\\frac{\\partial E}{\\partial ${W}} = ${col(C.delta, `\\delta_${uj}`)}\\,${col(C.act, `a_${ui}`)} = ${col(C.delta, tex(d, true))}\\cdot${col(C.act, tex(below[i], true))} = ${G} \\tag{${gEq}}`));
    }
    const next = sampleUpdate == null ? "\\ldots" : tex(sampleUpdate);
    root.append(this._section("update", eqLink(7)));
    root.append(this._eq(`${W} \\leftarrow ${W} - \\eta \\frac{\\partial E}{\\partial ${W}} \\tag{7}`));
    root.append(this._eq(`${W} \\leftarrow ${tex(w)} - ${tex(eta)}\\cdot ${grad == null ? G : tex(grad, true)} = ${next}`, { wrap: true, attrs: { "data-q": "updated" } }));
    root.append(el("p", { class: "hint", text: "Eq. 7 for this one sample (plain gradient descent, the engine's update of one step on it); training applies the batch mean, momentum and regularisation." }));
  }

  /** The box that sets a weight or bias. One request per edit: on `change` (Enter or leaving
   * the box with a new value); an empty box sets nothing. Kept (with what is being typed)
   * while the same parameter stays shown and frames arrive. */
  _editor(kind, where, value) {
    const key = `${kind}:${where.layer}:${where.i ?? ""}:${where.j}`;
    const shown = String(+value.toPrecision(6));
    if (this.editor?.key === key) {
      this.editor.input.value = shown;
      return this.editor.wrap;
    }
    const input = el("input", { type: "number", step: "any", value: shown, "aria-label": `edit ${kind}`, id: "edit-param", "data-control": "edit-param", "data-ctl": "weights" });
    const wrap = el("label", { class: "edit" }, el("span", { class: "muted", text: `set ${kind}` }), input);
    const err = el("span", { class: "err", "data-err": kind === "bias" ? "biases" : "weights" });
    input.addEventListener("keydown", (e) => e.stopPropagation()); // no shortcuts while typing
    input.addEventListener("change", () => {
      const text = input.value.trim();
      if (text === "") { err.textContent = "enter a number"; return; }
      this.handlers.onEdit(kind, where, Number(text), err);
    });
    wrap.append(err);
    this.editor = { key, wrap, input };
    return wrap;
  }
}

/** Terms joined by +, so that inline KaTeX may break the line after any of them. */
function fterms(terms) {
  return terms.join(" + ");
}
