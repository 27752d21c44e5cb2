// Inside each unit's box of the diagram (diagram.js): its activation over the input plane as a
// heatmap, or for 1-D data its curve a(x), painted only when its bytes or range differ from the
// ones painted (d.painted.maps counts the paints).
import { colourTable, decodeUnit, paintGrid, shownChanged, unitScale } from "./grid.js";

/** Paint the frame's grid into the units' canvases (the curves for a 1-D grid). */
export function drawMaps(d, grid) {
  if (grid.domain.length === 1) return drawCurves(d, grid);
  const table = d._table || (d._table = new Uint32Array(256));
  for (const [c, u] of unitMaps(d, grid)) {
    const unit = decodeUnit(u);
    const scale = unitScale(u);
    if (paintGrid(c, unit, grid.resolution, colourTable(unit, (v) => v / scale, table))) d.painted.maps++;
  }
}

/** Every (unit canvas, grid unit) pair the frame's grid has a drawing for. */
function* unitMaps(d, grid) {
  for (let l = 0; l < d.maps.length; l++) {
    const units = grid.layers[l];
    if (!units) continue;
    for (let j = 0; j < d.maps[l].length; j++) {
      if (d.maps[l][j] && units[j]) yield [d.maps[l][j], units[j]];
    }
  }
}

/** 1-D data: each unit's box shows its activation a(x) over the input range as a curve, on
 * the same symmetric scale as the heatmaps (max(1, |a|)), with a = 0 as a faint line. */
function drawCurves(d, grid) {
  const R = grid.resolution, S = 48;
  for (const [c, u] of unitMaps(d, grid)) {
    if (c.width !== S) { c.width = S; c.height = S; c._img = null; c._shown = null; }
    const unit = decodeUnit(u), bytes = unit.bytes;
    const scale = unitScale(u);
    if (!shownChanged(c, bytes, [unit.lo, unit.hi, scale])) continue; // the same curve
    d.painted.maps++;
    const ctx = c._ctx || (c._ctx = c.getContext("2d"));
    const y = (b) => S / 2 - (unit.value(b) / scale) * (S / 2 - 3);
    ctx.fillStyle = "#fbfcfe";
    ctx.fillRect(0, 0, S, S);
    ctx.strokeStyle = "#d5dae4";
    ctx.lineWidth = 1;
    ctx.beginPath(); ctx.moveTo(0, S / 2); ctx.lineTo(S, S / 2); ctx.stroke();
    ctx.strokeStyle = "#1c2541";
    ctx.lineWidth = 2;
    ctx.beginPath();
    for (let q = 0; q < R; q++) {
      const x = ((q + 0.5) / R) * S;
      if (q === 0) ctx.moveTo(x, y(bytes[q])); else ctx.lineTo(x, y(bytes[q]));
    }
    ctx.stroke();
  }
}
