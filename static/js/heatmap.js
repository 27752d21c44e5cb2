// The output plot: the network's output over the input plane (decision boundary or regression
// surface, decoded from the frame's grid) with the training and test points on top.
import { colourTable, decodeUnit, paintGrid } from "./grid.js";
import { diverging, rgb } from "./util.js";

const SIZE = 276;

export class OutputPlot {
  /** @param {HTMLElement} root  @param {(index: number) => void} onPickProbe */
  constructor(root, onPickProbe) {
    this.root = root;
    this.onPickProbe = onPickProbe;
    const dpr = window.devicePixelRatio || 1;
    this.map = document.createElement("canvas");
    this.pts = document.createElement("canvas");
    this.pts.width = this.pts.height = SIZE * dpr;
    this.pctx = this.pts.getContext("2d");
    this.pctx.scale(dpr, dpr);
    this.pts.id = "output-points";
    root.append(this.map, this.pts);
    this.data = null;
    this.showTest = false;
    this.discretize = false;
    this.probeIndex = 0;
    this.pts.addEventListener("click", (e) => this._click(e));
  }

  /** @param {object} data SessionState.data  @param {{center:number, half:number}} range target range */
  setData(data, range) {
    this.data = data;
    this.range = range;
    this.drawPoints();
  }

  _xy(p) {
    const [[x0, x1], [y0, y1]] = this.data.domain;
    return [((p[0] - x0) / (x1 - x0)) * SIZE, SIZE - ((p[1] - y0) / (y1 - y0)) * SIZE];
  }

  _tcolor(t) {
    const { center, half } = this.range;
    return rgb(diverging((t[0] - center) / half));
  }

  drawPoints() {
    const ctx = this.pctx;
    ctx.clearRect(0, 0, SIZE, SIZE);
    const d = this.data;
    if (!d || !d.domain || d.domain.length < 2) return;
    const draw = (set, stroke) => {
      set.points.forEach((p, n) => {
        const [x, y] = this._xy(p);
        ctx.beginPath();
        ctx.arc(x, y, 3.6, 0, 2 * Math.PI);
        ctx.fillStyle = this._tcolor(set.targets[n]);
        ctx.fill();
        ctx.lineWidth = 1;
        ctx.strokeStyle = stroke;
        ctx.stroke();
      });
    };
    draw(d.train, "#fff");
    if (this.showTest && d.test) draw(d.test, "#1d2330");
    const p = d.train.points[this.probeIndex];
    if (p) {
      const [x, y] = this._xy(p);
      ctx.beginPath();
      ctx.arc(x, y, 7, 0, 2 * Math.PI);
      ctx.lineWidth = 2.5;
      ctx.strokeStyle = "#111";
      ctx.stroke();
    }
  }

  setProbe(index) {
    if (index === this.probeIndex) return;
    this.probeIndex = index;
    this.drawPoints();
  }

  /** Paint the output unit's grid (the last grid layer, unit 0). */
  render(grid) {
    const out = grid?.layers.at(-1)?.[0];
    if (!out) return;
    const { center, half } = this.range || { center: 0, half: 1 };
    const unit = decodeUnit(out);
    const t = (v) => {
      const u = (v - center) / half;
      return 0.6 * (this.discretize ? (u >= 0 ? 1 : -1) : u); // paler than the points, so that they stand out
    };
    this.table = colourTable(unit, t, this.table);
    paintGrid(this.map, unit, grid.resolution, this.table);
  }

  _click(e) {
    const d = this.data;
    if (!d) return;
    const r = this.pts.getBoundingClientRect();
    // in plot units, whatever CSS zoom or scaling the panel is drawn at
    const x = ((e.clientX - r.left) * SIZE) / r.width, y = ((e.clientY - r.top) * SIZE) / r.height;
    let best = -1, bestD = 64;
    d.train.points.forEach((p, n) => {
      const [px, py] = this._xy(p);
      const dd = (px - x) ** 2 + (py - y) ** 2;
      if (dd < bestD) { bestD = dd; best = n; }
    });
    if (best >= 0) this.onPickProbe(best);
  }
}
