// The frame's grid (docs/contract.md): every unit's activation over the input plane (or line),
// quantised to one byte per cell: value = lo + (hi − lo)·byte/255. One decoder and one painter
// for every picture drawn from it (unit heatmaps, unit curves, the output plot, the 1-D curve).
import { b64bytes, LUT } from "./util.js";

/** One grid unit {data, lo, hi} (JSON form, base64) or {bytes, lo, hi} (binary form,
 * frame-binary.js) decoded: its bytes and the value of a byte. */
export function decodeUnit(u) {
  const bytes = u.bytes ?? b64bytes(u.data);
  const step = (u.hi - u.lo) / 255;
  return { bytes, lo: u.lo, hi: u.hi, value: (b) => u.lo + step * b };
}

/** The 256-entry colour table of a unit: byte → packed pixel of `t(value)` in [-1, 1]. */
export function colourTable(unit, t, table = new Uint32Array(256)) {
  for (let b = 0; b < 256; b++) {
    const v = t(unit.value(b));
    table[b] = LUT[Math.max(0, Math.min(255, Math.round((v + 1) * 127.5)))];
  }
  return table;
}

/** Paint a decoded R×R unit into `canvas` through `table` (row 0 of the grid is the bottom). The
 * canvas keeps its context and image between frames. */
export function paintGrid(canvas, unit, R, table) {
  if (canvas.width !== R || canvas.height !== R) { canvas.width = R; canvas.height = R; canvas._img = null; }
  const ctx = canvas._ctx || (canvas._ctx = canvas.getContext("2d"));
  const img = canvas._img || (canvas._img = ctx.createImageData(R, R));
  const px = new Uint32Array(img.data.buffer);
  const bytes = unit.bytes;
  for (let r = 0; r < R; r++) {
    const src = r * R, dst = (R - 1 - r) * R;
    for (let q = 0; q < R; q++) px[dst + q] = table[bytes[src + q]];
  }
  ctx.putImageData(img, 0, 0);
}

/** A 1-D grid unit as a curve: the cell centres x and the unit's values there. */
export function gridCurve(grid, u) {
  const unit = decodeUnit(u);
  const R = grid.resolution, [lo, hi] = grid.domain[0];
  const xs = Array.from({ length: R }, (_, i) => lo + ((i + 0.5) * (hi - lo)) / R);
  const ys = Array.from(unit.bytes, unit.value);
  return { xs, ys, lo, hi, R };
}

/** The symmetric scale the unit pictures share: max(1, |lo|, |hi|). */
export function unitScale(u) {
  return Math.max(1, Math.abs(u.lo), Math.abs(u.hi));
}
