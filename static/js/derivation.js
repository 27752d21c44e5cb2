// Step-by-step derivation mode: one training step on the probe sample (the server's
// `sample_step`), walked stage by stage — forward per layer (steps 1–5), E (Eq. 1), δ at the
// outputs (Eq. 5), δ back through each hidden layer (Eq. 14), the gradients (Eq. 6, 8, 15, 18)
// and the update (Eq. 7). Every number is the server's; this module only lays them out.
import { el, katexInto, tex } from "./util.js";
import { C, eqLink } from "./inspector.js";

const col = (c, s) => `{\\color{${c}}{${s}}}`;
const SHOW = 4;  // units written out per stage (every term of each unit's sum)

const row = (v) => (Array.isArray(v?.[0]) ? v[0] : v);

/** Build the list of stages for one sample_step message. */
export function buildStages(step, config, catalog) {
  const L = step.layers.length;
  const Wb = step.before.weights, bb = step.before.biases;
  const a = (l) => (l === 0 ? row(step.input) : row(step.layers[l - 1].a));
  const stages = [];
  const units = (n) => Array.from({ length: Math.min(n, SHOW) }, (_, j) => j);
  const more = (n) => (n > SHOW ? [`\\text{… and ${n - SHOW} more units}`] : []);

  stages.push({
    title: "Input", note: "Step 1: the sample's features are the input activations aᵢ.", refs: ["step-1"],
    hl: { units: [0] },
    eqs: units(a(0).length).map((i) => `a_{${i + 1}} = ${tex(a(0)[i])}`).concat(more(a(0).length)),
  });
  for (let l = 1; l <= L; l++) {
    const P = step.layers[l - 1];
    const z = row(P.z), av = row(P.a);
    const out = l === L;
    const [ui, uj] = out ? (L === 1 ? ["i", "k"] : ["j", "k"]) : ["i", "j"];
    const act = config.network.activations[l - 1];
    const eqs = [`z_${uj} = b_${uj} + \\sum_${ui} a_${ui}\\, w_{${ui}${uj}}, \\qquad a_${uj} = g_${uj}(z_${uj}) \\quad (g = \\text{${act}})`];
    for (const j of units(z.length)) {
      const prev = a(l - 1);
      const terms = prev.map((ai, i) => `${col(C.act, tex(ai, true))}\\cdot ${tex(Wb[l - 1][i][j], true)}`);
      eqs.push(`z_{${j + 1}} = ${tex(bb[l - 1][j], true)} + ${terms.join(" + ")} = ${tex(z[j])}, \\quad a_{${j + 1}} = ${tex(av[j])}`);
    }
    eqs.push(...more(z.length));
    stages.push({
      title: out ? "Forward: output layer" : `Forward: hidden layer ${l}`,
      note: out ? "Steps 4–5: weighted sum of the hidden activations plus bias, then the output activation gₖ." : "Steps 2–3: weighted sum plus bias (Σ), then the activation g.",
      refs: [out ? "step-4" : "step-2"],
      hl: { units: [l], weights: [l - 1] }, eqs,
    });
  }
  const aK = row(step.layers[L - 1].a), t = row(step.target);
  const lossName = config.network.loss;
  const lossTex = lossName === "sse" ? "E = \\tfrac12 \\sum_k (a_k - t_k)^2"
    : (catalog.losses.find((x) => (x.name ?? x) === lossName)?.latex || `E = \\text{${lossName}}`);
  const diffs = aK.slice(0, SHOW).map((ak, k) => `(${tex(ak)} - ${tex(t[k], true)})^2`);
  stages.push({
    title: "Error E", note: "Step 6: compare the output aₖ with the target tₖ (Eq. 1).", refs: [1],
    hl: { units: [L], target: true, error: true },
    eqs: [`${lossTex} \\tag{1}`, lossName === "sse" ? `E = \\tfrac12\\big(${diffs.join(" + ")}${aK.length > SHOW ? " + \\cdots" : ""}\\big) = ${tex(step.loss)}` : `E = ${tex(step.loss)}`],
  });
  const PL = step.layers[L - 1];
  const dK = row(PL.delta), gK = row(PL.g_prime);
  const ce = lossName === "cross_entropy";
  const outEqs = [ce ? `${col(C.delta, "\\delta_k")} = ${col(C.err, "(a_k - t_k)")} \\quad\\text{(cross-entropy: } g'\\text{ cancels)}`
    : `${col(C.delta, "\\delta_k")} = ${col(C.err, "(a_k - t_k)")}\\, ${col(C.gp, "g_k'(z_k)")} \\tag{5}`];
  for (const k of units(dK.length)) {
    outEqs.push(ce ? `${col(C.delta, `\\delta_{${k + 1}}`)} = ${col(C.err, `(${tex(aK[k])} - ${tex(t[k], true)})`)} = ${col(C.delta, tex(dK[k]))}`
      : `${col(C.delta, `\\delta_{${k + 1}}`)} = ${col(C.err, `(${tex(aK[k])} - ${tex(t[k], true)})`)}\\cdot ${col(C.gp, tex(gK[k], true))} = ${col(C.delta, tex(dK[k]))}`);
  }
  outEqs.push(...more(dK.length));
  stages.push({ title: "δ at the outputs", note: "Eq. 5: the output error back through the output activation.", hl: { units: [L], target: true }, eqs: outEqs, refs: [5] });
  for (let l = L - 1; l >= 1; l--) {
    const P = step.layers[l - 1], above = row(step.layers[l].delta);
    const d = row(P.delta), gp = row(P.g_prime);
    const eqs = [`${col(C.delta, "\\delta_j")} = ${col(C.gp, "g_j'(z_j)")} \\sum_k ${col(C.delta, "\\delta_k")}\\, w_{jk} \\tag{14}`];
    for (const j of units(d.length)) {
      const terms = above.map((dk, k) => `${col(C.delta, tex(dk, true))}\\cdot ${tex(Wb[l][j][k], true)}`);
      eqs.push(`${col(C.delta, `\\delta_{${j + 1}}`)} = ${col(C.gp, tex(gp[j], true))}\\cdot\\big(${terms.join(" + ")}\\big) = ${col(C.delta, tex(d[j]))}`);
    }
    eqs.push(...more(d.length));
    stages.push({ title: `δ back to hidden layer ${l}`, note: "Eq. 14: the next layer's δ, projected back through the weights and through g'.", hl: { units: [l], weights: [l] }, eqs, refs: [14] });
  }
  const gEqs = [`\\frac{\\partial E}{\\partial w_{ij}} = ${col(C.delta, "\\delta_j")}\\,${col(C.act, "a_i")} \\;(6,\\,15) \\qquad \\frac{\\partial E}{\\partial b_j} = ${col(C.delta, "\\delta_j")} \\;(8,\\,18)`];
  for (let l = 0; l < L; l++) {
    const gW = step.gradients.weights[l], gb = step.gradients.biases[l];
    const d = row(step.layers[l].delta), prev = a(l);
    const i = 0, j = 0;
    gEqs.push(`\\text{W[${l}]: } \\frac{\\partial E}{\\partial w_{11}} = ${col(C.delta, tex(d[j], true))}\\cdot ${col(C.act, tex(prev[i], true))} = ${tex(gW[i][j])}, \\quad \\frac{\\partial E}{\\partial b_1} = ${tex(gb[j])}`);
  }
  stages.push({ title: "Gradients", note: "Eq. 6/15 for every weight, Eq. 8/18 for every bias (shown: the first weight and bias of each layer; the edges show all).", hl: { units: Array.from({ length: L }, (_, l) => l + 1), weights: Array.from({ length: L }, (_, l) => l) }, eqs: gEqs, refs: [6, 8, 15, 18] });
  const eta = step.learning_rate;
  const uEqs = [`w \\leftarrow w - \\eta \\frac{\\partial E}{\\partial w} \\quad (\\eta = ${tex(eta)}) \\tag{7}`];
  for (let l = 0; l < L; l++) {
    const w0 = Wb[l][0][0], g0 = step.gradients.weights[l][0][0], w1 = step.updated.weights[l][0][0];
    uEqs.push(`\\text{W[${l}]: } w_{11} \\leftarrow ${tex(w0)} - ${tex(eta)}\\cdot ${tex(g0, true)} = ${tex(w1)}`);
  }
  stages.push({ title: "Update", note: "Eq. 7: every weight and bias moves against its gradient. The diagram now shows the updated network.", hl: { units: [], weights: Array.from({ length: L }, (_, l) => l) }, eqs: uEqs, refs: [7] });
  return stages;
}

export class Derivation {
  /** @param {HTMLElement} root  @param {{onStart: Function, onHighlight: Function}} cb */
  constructor(root, cb) {
    this.root = root;
    this.cb = cb;
    this.stages = [];
    this.i = 0;
    this.idle();
  }

  idle() {
    this.stages = [];
    const start = el("button", { id: "deriv-start", text: "▶ run one step on the probe sample" });
    start.addEventListener("click", () => this.cb.onStart());
    this.root.replaceChildren(
      el("p", { class: "empty", text: "Walk through one training step on the probe sample (the ringed point in the output plot), stage by stage: forward pass, error, δ at the outputs, δ flowing back, gradients, update." }),
      start);
    this.cb.onHighlight(null);
  }

  /** Load a sample_step message and show stage 0. */
  load(step, config, catalog) {
    this.stages = buildStages(step, config, catalog);
    this.go(0);
  }

  go(i) {
    if (!this.stages.length) return;
    this.i = Math.max(0, Math.min(this.stages.length - 1, i));
    const st = this.stages[this.i];
    const prev = el("button", { id: "deriv-prev", text: "◀ previous" });
    const next = el("button", { id: "deriv-next", text: "next ▶" });
    const again = el("button", { id: "deriv-again", text: "↻ new step" });
    prev.disabled = this.i === 0;
    next.disabled = this.i === this.stages.length - 1;
    prev.addEventListener("click", () => this.go(this.i - 1));
    next.addEventListener("click", () => this.go(this.i + 1));
    again.addEventListener("click", () => this.cb.onStart());
    const dots = el("span", { class: "dots" }, ...this.stages.map((_, k) => el("i", { class: k === this.i ? "on" : "" })));
    const body = el("div", { class: "deriv-body" });
    // the stage's equation in display mode; its filled-in lines inline, so that they wrap
    st.eqs.forEach((e, k) => {
      const d = el("div", { class: k === 0 ? "eq" : "eq wrap" });
      katexInto(d, e, k === 0);
      body.append(d);
    });
    this.root.replaceChildren(
      el("div", { class: "deriv-nav" }, prev, next,
        el("span", { class: "stage-name", id: "deriv-stage", "data-stage": String(this.i), text: `${this.i + 1}/${this.stages.length} · ${st.title}` }), dots, again),
      el("p", { class: "hint" }, st.note, " ", ...(st.refs || []).map((r) => eqLink(r, String(r).startsWith("step") ? `Step ${r.slice(5)}` : `Eq. ${r}`))), body);
    this.cb.onHighlight(st.hl);
  }
}
