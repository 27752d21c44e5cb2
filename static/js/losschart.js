// Loss curves (train and test per epoch) and, for 1-D regression, the data with the network's
// curve — both drawn by uPlot. The legend shows the exact value under the cursor.

const WIDTH = 276;
// Points the curve keeps while it grows from frames (as the server's max_history_points keeps
// its history): past this, every other point is dropped. A pause brings the full history.
const MAX_POINTS = 4000;

/** uPlot writes every legend value again at each redraw (up to 60 a second), the same text
 * included, and each write costs the page a layout and a repaint of its panel (issue 21): the
 * value cells' text nodes of `plot` take a new value only when it differs from the one shown. */
export function quietLegend(plot) {
  const nodeValue = Object.getOwnPropertyDescriptor(Node.prototype, "nodeValue");
  for (const td of plot.root.querySelectorAll(".u-legend .u-value")) {
    const text = td.firstChild;
    if (!text) continue;
    Object.defineProperty(text, "nodeValue", {
      configurable: true,
      get() { return nodeValue.get.call(this); },
      set(v) { if (String(v) !== nodeValue.get.call(this)) nodeValue.set.call(this, v); },
    });
  }
  return plot;
}

export class LossChart {
  constructor(root) {
    this.root = root;
    this.log = false;
    this.reset();
  }

  reset() {
    this.epochs = [];
    this.train = [];
    this.test = [];
    this._make();
  }

  _make() {
    if (this.plot) this.plot.destroy();
    const log = this.log;
    this.plot = new window.uPlot({
      width: WIDTH, height: 150,
      legend: { live: true },
      cursor: { drag: { x: false, y: false } },
      scales: { x: { time: false }, y: log ? { distr: 3, log: 10 } : { auto: true } },
      axes: [
        { size: 28, font: "11px system-ui", grid: { stroke: "#eef0f4" } },
        { size: 46, font: "11px system-ui", grid: { stroke: "#eef0f4" },
          values: (u, vals) => vals.map((v) => (v == null ? "" : Math.abs(v) < 1e-3 && v !== 0 ? v.toExponential(0) : +v.toPrecision(3))) },
      ],
      series: [
        { label: "epoch" },
        { label: "train", stroke: "#3454d1", width: 2, value: (u, v) => (v == null ? "–" : v.toPrecision(5)) },
        { label: "test", stroke: "#e8710a", width: 2, dash: [5, 3], value: (u, v) => (v == null ? "–" : v.toPrecision(5)) },
      ],
    }, [this.epochs, this.train, this.test], this.root);
    quietLegend(this.plot);
  }

  setLog(log) {
    this.log = log;
    this._make();
  }

  /** Replace the whole history ({epoch, train, test}: the stream's `history`), ending at the
   * shown frame's epoch (`latest`) when the thinned history stops before it, so that the
   * curve always ends where the epoch counter is. */
  setHistory(h, latest = null) {
    const clamp = (v) => (v == null ? null : this.log ? Math.max(v, 1e-12) : v);
    this.epochs = [...h.epoch];
    this.train = h.train.map(clamp);
    this.test = h.test.map(clamp);
    if (latest && !latest.replay && latest.epoch > (this.epochs.at(-1) ?? -1)) {
      this.epochs.push(latest.epoch);
      this.train.push(clamp(latest.loss.train));
      this.test.push(clamp(latest.loss.test));
    }
    this._flush();
  }

  /** The last epoch drawn (null before any). */
  get lastEpoch() {
    return this.epochs.at(-1) ?? null;
  }

  /** Append one frame's losses (frames skip epochs while training runs fast). */
  add(epoch, train, test) {
    const n = this.epochs.length;
    if (n && epoch <= this.epochs[n - 1]) {
      // a reset or a step back: drop what lies after
      while (this.epochs.length && this.epochs.at(-1) >= epoch) {
        this.epochs.pop(); this.train.pop(); this.test.pop();
      }
    }
    this.epochs.push(epoch);
    this.train.push(this.log ? Math.max(train, 1e-12) : train);
    this.test.push(test == null ? null : this.log ? Math.max(test, 1e-12) : test);
    if (this.epochs.length > MAX_POINTS) this._thin();
    if (!this._pending) {
      this._pending = true;
      requestAnimationFrame(() => { this._pending = false; this._flush(); });
    }
  }

  /** Every other point, keeping the newest (the curve ends at the counter's epoch). */
  _thin() {
    const keep = (_, i, a) => (a.length - 1 - i) % 2 === 0;
    this.epochs = this.epochs.filter(keep);
    this.train = this.train.filter(keep);
    this.test = this.test.filter(keep);
  }

  _flush() {
    this.plot.setData([this.epochs, this.train, this.test]);
  }
}

/** 1-D regression: the training points and the network's curve a(x). */
export class CurveChart {
  constructor(root) {
    this.root = root;
    this.plot = null;
  }

  setData(points, targets) {
    this.xs = points.map((p) => p[0]);
    this.ts = targets.map((t) => t[0]);
    const order = this.xs.map((_, i) => i).sort((a, b) => this.xs[a] - this.xs[b]);
    this.xs = order.map((i) => this.xs[i]);
    this.ts = order.map((i) => this.ts[i]);
    this.curve = this.xs.map(() => null);
    if (this.plot) this.plot.destroy();
    this.plot = new window.uPlot({
      width: WIDTH, height: 170,
      scales: { x: { time: false } },
      legend: { live: true },
      axes: [{ size: 28, font: "11px system-ui" }, { size: 40, font: "11px system-ui" }],
      series: [
        { label: "x" },
        { label: "t", stroke: "transparent", points: { show: true, size: 5, fill: "#0877bd", stroke: "#0877bd" }, paths: () => null },
        { label: "network a(x)", stroke: "#e8710a", width: 2 },
      ],
    }, [this.xs, this.ts, this.curve], this.root);
    quietLegend(this.plot);
  }

  /** @param {number[]} xs sorted inputs  @param {number[]} as the server's outputs at xs */
  setCurve(xs, as) {
    if (!this.plot) return;
    // plot on the data's x positions
    this.plot.setData([this.xs, this.ts, as.length === this.xs.length ? as : this.xs.map(() => null)]);
  }
}
