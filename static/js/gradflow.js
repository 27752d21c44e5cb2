// Gradient flow over time: each layer's mean |δ| (or mean |∂E/∂w|) per recorded epoch, on a log
// scale, so that a vanishing gradient (values falling by orders of magnitude towards the input,
// e.g. six sigmoid layers) or an exploding one is visible as it develops. The numbers are the
// server's (GET …/history → gradient_flow, computed by engine.gradient_flow); drawn by uPlot.

const WIDTH = 276;

/** Layer l of L as a colour from light (near the input) to dark (the output). */
function layerColor(l, L) {
  const t = L <= 1 ? 1 : l / (L - 1);
  const hue = 200 + 140 * t; // blue → magenta
  return `hsl(${hue.toFixed(0)}, 70%, ${(58 - 22 * t).toFixed(0)}%)`;
}

export class GradientFlowChart {
  /** @param root the chart's element  @param toggle buttons {delta, grad} switching the measure */
  constructor(root, { delta, grad } = {}) {
    this.root = root;
    this.measure = "delta";
    this.flow = null;
    this.layers = 0;
    this.plot = null;
    this.buttons = { delta, grad };
    for (const [name, b] of Object.entries(this.buttons)) {
      b?.addEventListener("click", () => this.setMeasure(name));
    }
  }

  setMeasure(name) {
    this.measure = name;
    for (const [k, b] of Object.entries(this.buttons)) {
      b?.classList.toggle("on", k === name);
      b?.setAttribute("aria-checked", String(k === name));
    }
    this._make();
    this._flush();
  }

  reset() {
    this.flow = null;
    this._flush();
  }

  /** {epoch, delta: [[per layer]…], grad_w: [[…]…]} from the server. */
  setFlow(flow) {
    if (!flow) return;
    this.flow = flow;
    const L = flow.delta[0]?.length ?? 0;
    if (L !== this.layers || !this.plot) { this.layers = L; this._make(); }
    this._flush();
  }

  /** What is drawn: [epochs, layer 1, …, layer L] (values ≤ 0 have no place on a log scale). */
  data() {
    const f = this.flow;
    const L = this.layers;
    if (!f) return [[], ...Array.from({ length: L }, () => [])];
    const rows = this.measure === "delta" ? f.delta : f.grad_w;
    const cols = Array.from({ length: L }, (_, l) => rows.map((r) => (r[l] > 0 && Number.isFinite(r[l]) ? r[l] : null)));
    return [f.epoch.slice(), ...cols];
  }

  _make() {
    if (this.plot) this.plot.destroy();
    const L = this.layers;
    const sym = this.measure === "delta" ? "|δ|" : "|∂E/∂w|";
    const series = [{ label: "epoch" }];
    for (let l = 0; l < L; l++) {
      // δ of layer l+1; ∂E/∂w of W[l], the weights into layer l+1
      series.push({
        label: l === L - 1 ? "out" : `L${l + 1}`,
        stroke: layerColor(l, L), width: l === L - 1 ? 2 : 1.5,
        value: (u, v) => (v == null ? "–" : v.toExponential(2)),
      });
    }
    this.plot = new window.uPlot({
      width: WIDTH, height: 160,
      legend: { live: true },
      cursor: { drag: { x: false, y: false } },
      scales: { x: { time: false }, y: { distr: 3, log: 10 } },
      axes: [
        { size: 26, font: "11px system-ui", grid: { stroke: "#eef0f4" } },
        { size: 44, font: "11px system-ui", grid: { stroke: "#eef0f4" },
          values: (u, vals) => vals.map((v) => (v == null ? "" : v.toExponential(0))) },
      ],
      series,
    }, this.data(), this.root);
    this.root.dataset.measure = this.measure;
    this.root.title = `mean ${sym} per layer (log scale), by epoch`;
  }

  _flush() {
    if (!this.plot) return;
    this.plot.setData(this.data());
  }
}
