// What is under the pointer in the diagram: a unit, a weight, a bias, or nothing.

/** @param {object} layout from layoutNetwork  @param {boolean} showBias */
export function hitTest(layout, showBias, x, y) {
  const cols = layout.cols;
  for (const col of cols) {
    if (x < col.inX - 4 || x > col.outX + 4) continue;
    const half = Math.max(col.s / 2, Math.min(6, col.spacing / 2));
    for (let j = 0; j < col.n; j++) {
      if (Math.abs(y - col.ys[j]) <= half) return { kind: "unit", layer: col.l, j };
    }
  }
  let best = null, bestD = 5;
  for (let l = 0; l + 1 < cols.length; l++) {
    const a = cols[l], b = cols[l + 1];
    if (x < a.outX - 2 || x > b.inX + 2) continue;
    for (let i = 0; i < a.n; i++) {
      for (let j = 0; j < b.n; j++) {
        const d = segDist(x, y, a.outX, a.ys[i], b.inX, b.ys[j]);
        if (d < bestD) { bestD = d; best = { kind: "weight", layer: l, i, j }; }
      }
    }
    if (showBias) {
      for (let j = 0; j < b.n; j++) {
        const d = segDist(x, y, a.x + 8, a.biasY, b.inX, b.ys[j]);
        if (d < bestD) { bestD = d; best = { kind: "bias", layer: l, j }; }
      }
    }
  }
  return best;
}

/** Distance from (px, py) to the segment a–b. */
export function segDist(px, py, ax, ay, bx, by) {
  const dx = bx - ax, dy = by - ay;
  const len = dx * dx + dy * dy || 1;
  let t = ((px - ax) * dx + (py - ay) * dy) / len;
  t = Math.max(0, Math.min(1, t));
  const qx = ax + t * dx - px, qy = ay + t * dy - py;
  return Math.sqrt(qx * qx + qy * qy);
}
