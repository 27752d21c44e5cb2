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
 * canvas keeps its context and image between frames, and what it shows: the pixels are a function
 * of the unit's bytes and the table alone, so a unit whose bytes and table equal the ones painted
 * last is not painted again (answers whether it painted). */
export function paintGrid(canvas, unit, R, table) {
  if (canvas.width !== R || canvas.height !== R) { canvas.width = R; canvas.height = R; canvas._img = null; canvas._shown = null; }
  const bytes = unit.bytes;
  if (!shownChanged(canvas, bytes, table)) return false;
  const ctx = canvas._ctx || (canvas._ctx = canvas.getContext("2d"));
  const img = canvas._img || (canvas._img = ctx.createImageData(R, R));
  const px = new Uint32Array(img.data.buffer);
  for (let r = 0; r < R; r++) {
    const src = r * R, dst = (R - 1 - r) * R;
    for (let q = 0; q < R; q++) px[dst + q] = table[bytes[src + q]];
  }
  ctx.putImageData(img, 0, 0);
  return true;
}

/** Whether `bytes` and `key` (numbers: a colour table, a scale) differ from what `canvas` shows;
 * if so they become what it shows (copied into buffers it keeps). */
export function shownChanged(canvas, bytes, key) {
  const s = canvas._shown;
  if (s && s.bytes.length === bytes.length && s.key.length === key.length
      && sameNumbers(s.bytes, bytes) && sameNumbers(s.key, key)) return false;
  if (s && s.bytes.length === bytes.length && s.key.length === key.length) {
    s.bytes.set(bytes);
    s.key.set(key);
  } else canvas._shown = { bytes: Uint8Array.from(bytes), key: Float64Array.from(key) };
  return true;
}

/** Forget what `canvas` shows: its next paint draws whatever it is given. */
export function forgetShown(canvas) {
  canvas._shown = null;
}

function sameNumbers(a, b) {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
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
