// A student's decision boundary, small: the first output unit over the plane (a summary's or a
// snapshot's thumbnail), orange for one class and blue for the other (a sigmoid's a = 0.5, or 0
// for tanh, is the boundary; a softmax shows its class). The dashboard's tiles and the
// projected snapshots draw it the same way.
import { decodeUnit, colourTable, paintGrid } from "../grid.js";

/** Paint `th` ({dims, resolution, lo, hi, data}) on `canvas`; hidden when it is not a plane. */
export function drawBoundary(canvas, th, setup) {
  if (!th || th.dims !== 2) { canvas.hidden = true; return; }
  canvas.hidden = false;
  const unit = decodeUnit(th);
  const acts = setup?.network?.activations;
  const g = acts ? acts[acts.length - 1] : "tanh";
  const scale = Math.max(1, Math.abs(unit.lo), Math.abs(unit.hi));
  const t = g === "sigmoid" ? (v) => 2 * v - 1
    : g === "softmax" ? (v) => (v > 0.5 ? 1 : -1)
    : (v) => v / scale;
  paintGrid(canvas, unit, th.resolution, colourTable(unit, t));
}

/** A loss curve on a log scale, small (a tile's sparkline, a snapshot's loss): `ys` the train
 * losses, drawn edge to edge within `pad` pixels; nothing until two finite positive values. */
export function drawLossLine(canvas, ys, { color = "#e8710a", width = 1.5, pad = 1 } = {}) {
  const ctx = canvas.getContext("2d");
  const w = canvas.width, h = canvas.height;
  ctx.clearRect(0, 0, w, h);
  const finite = ys.filter((y) => Number.isFinite(y) && y > 0);
  if (finite.length < 2) return;
  const logs = finite.map(Math.log10);
  const lo = Math.min(...logs), hi = Math.max(...logs), span = hi - lo || 1;
  ctx.strokeStyle = color;
  ctx.lineWidth = width;
  ctx.beginPath();
  logs.forEach((v, i) => {
    const x = (i / (logs.length - 1)) * (w - 2 * pad) + pad, y = h - 2 * pad - ((v - lo) / span) * (h - 4 * pad);
    if (i) ctx.lineTo(x, y); else ctx.moveTo(x, y);
  });
  ctx.stroke();
}
