// Where everything of the diagram goes: columns of units, the Σ glyphs, the targets and E, and
// which labels fit. Pure arithmetic on the network's shape and the width available (no DOM), so
// that rendering (diagram.js), the layer heads (controls.js) and hit-testing (diagram-hit.js)
// read one layout. Glyphs shrink, and labels are dropped, by the room there is — never overlap.

export const H = 400;
const TOP = 14;
const CAPTION = 14;        // the row of column captions at the bottom
const BIAS_ROW = 30;       // the row of +1 bias units at the bottom
const EDGE_GAP = 12;       // at least this much edge between two columns' glyphs
const VALUE_W = 46;        // "a=-0.123" at 9.5 px
const VALUE_H = 13;        // its height below a unit
const MAX_BOX = 38;
const MIN_MAP = 14;        // smallest box that holds a heatmap
const MIN_SIGMA_BOX = 20;  // Σ → box only while the box stays at least this big
const CAPTION_W = 56;      // "outputs aₖ" at 10 px
export const HEAD_FULL = 100;   // room a layer head needs with long names
export const HEAD_COMPACT = 64; // … with short names

/** Rough width of a label in pixels (the diagram's labels are short). */
function textWidth(text, size) {
  return String(text).length * size * 0.62;
}

/**
 * @param {{layerSizes: number[], showBias: boolean, featureNames?: string[]}} net
 * @param {number} width  the diagram's width in CSS pixels
 * @param {(name: string) => string} [label]  an input's label
 */
export function layoutNetwork(net, width, label = String) {
  const W = Math.max(420, width || 640);
  const sizes = net.layerSizes;
  const L = sizes.length - 1;
  const bottom = net.showBias ? BIAS_ROW : CAPTION;
  const area = H - TOP - bottom;
  const mid = TOP + area / 2;
  const eX = W - 24, tX = W - 70;
  const x1 = W - 120;
  // the inputs' labels set the left margin
  const spacing0 = Math.min(70, area / sizes[0]);
  const font0 = Math.min(13, spacing0 * 0.5);
  const names = Array.from({ length: sizes[0] }, (_, j) => label(net.featureNames?.[j] ?? `a${j + 1}`));
  const labelW = spacing0 >= 12 ? Math.max(0, ...names.map((n) => textWidth(n, font0))) : 0;
  const x0 = Math.max(30, Math.min(110, labelW + Math.min(MAX_BOX, spacing0 * 0.74) / 2 + 10));
  const pitch = L === 0 ? x1 - x0 : (x1 - x0) / L;
  const cols = sizes.map((n, l) => {
    const spacing = Math.min(70, area / n);
    const x = L === 0 ? x0 : x0 + pitch * l;
    const plain = Math.max(4, Math.min(MAX_BOX, spacing * 0.74, pitch - EDGE_GAP));
    const withSigma = Math.min(plain, (pitch - EDGE_GAP - 6) / 1.6);
    const showSigma = l > 0 && withSigma >= MIN_SIGMA_BOX;
    const s = showSigma ? withSigma : plain;
    const rs = showSigma ? Math.max(6, s * 0.3) : 0;
    const ys = Array.from({ length: n }, (_, j) => mid + (j - (n - 1) / 2) * spacing);
    const kind = l === 0 ? "input" : l === L ? "output" : "hidden";
    return { l, n, x, ys, s, rs, showSigma, kind, spacing, showValue: false,
      showMap: s >= MIN_MAP,
      labelFont: l === 0 && spacing >= 12 ? font0 : 0,
      inX: x - s / 2 - (showSigma ? 2 * rs + 6 : 0), outX: x + s / 2,
      biasY: H - 18 };
  });
  const out = cols[L];
  const ts = Math.min(26, Math.max(10, out.s * 0.8));
  // a unit's value under it: room below its box, and beside it up to the next column's glyphs
  // (or the targets) and the next column's values
  for (const col of cols) {
    const next = cols[col.l + 1];
    const room = next ? next.inX - col.x : tX - ts / 2 - col.x;
    col.showValue = col.spacing - col.s >= VALUE_H && room >= VALUE_W / 2 + 3 && (!next || pitch >= VALUE_W + 6);
  }
  // a unit with its value below is centred in its slot as one piece
  for (const col of cols) {
    if (col.showValue) col.ys = col.ys.map((y) => y - VALUE_H / 2);
  }
  const captions = net.showBias ? "none" : pitch >= CAPTION_W ? "full" : pitch >= 18 ? "short" : "none";
  const heads = pitch >= HEAD_FULL ? "full" : pitch >= HEAD_COMPACT ? "compact" : "stagger";
  return { W, H, cols, tX, eX, ts, pitch, captions, heads,
    showTargetLabels: out.spacing >= ts + 2 * VALUE_H };
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
