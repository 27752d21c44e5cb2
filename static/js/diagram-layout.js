// Where everything of the diagram goes: columns of units, the Σ glyphs, the targets and E. Pure
// arithmetic on the network's shape and the width available (no DOM), so that rendering
// (diagram.js) and hit-testing (diagram-hit.js) read one layout.

export const H = 400;

/**
 * @param {{layerSizes: number[], showBias: boolean}} net
 * @param {number} width  the diagram's width in CSS pixels
 */
export function layoutNetwork(net, width) {
  const W = Math.max(420, width || 640);
  const L = net.layerSizes.length - 1;
  const x0 = 78, x1 = W - 150;
  const top = 14, bottom = net.showBias ? 36 : 12;
  const cols = net.layerSizes.map((n, l) => {
    const spacing = Math.min(70, (H - top - bottom) / n);
    const s = Math.max(4, Math.min(38, spacing * 0.74));
    const showSigma = l > 0 && s >= 14;
    const rs = showSigma ? Math.max(6, s * 0.3) : 0;
    const x = L === 0 ? x0 : x0 + ((x1 - x0) * l) / L;
    const mid = top + (H - top - bottom) / 2;
    const ys = Array.from({ length: n }, (_, j) => mid + (j - (n - 1) / 2) * spacing);
    const kind = l === 0 ? "input" : l === L ? "output" : "hidden";
    return { l, n, x, ys, s, rs, showSigma, kind, spacing,
      inX: x - s / 2 - (showSigma ? 2 * rs + 6 : 0), outX: x + s / 2,
      biasY: H - 18 };
  });
  return { W, H, cols, tX: W - 92, eX: W - 30 };
}

/** Centre of unit j in layer l. */
export function unitCenter(layout, l, j) {
  const c = layout.cols[l];
  return [c.x, c.ys[j]];
}

/** The point a fraction t along weight w_ij of W[l] (0: its start, 1: its end). */
export function edgePoint(layout, l, i, j, t = 0.5) {
  const a = layout.cols[l], b = layout.cols[l + 1];
  return [a.outX + (b.inX - a.outX) * t, a.ys[i] + (b.ys[j] - a.ys[i]) * t];
}
