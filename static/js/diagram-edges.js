// The diagram's edges (diagram.js draws them through these): each weight w_ij — or ∂E/∂w_ij in
// the backward view — as a line coloured by its sign, wider and more opaque the larger |v|/max.
// On the page they are drawn on one canvas in sign/width buckets (a Path2D per bucket), so that
// the largest allowed network still renders a frame in a few milliseconds, and the canvas is
// redrawn only when an edge moves to another bucket; for the SVG export they are SVG lines.
import { H } from "./diagram-layout.js";
import { rgb, svg, POS, NEG } from "./util.js";

const LEVELS = 8;

/** The edges in 2·LEVELS buckets (sign × |v|/max), weak first and the strongest on top; the
 * canvas is redrawn only when some edge's bucket differs from the one drawn (the picture is a
 * function of the buckets alone once the network is laid out). */
export function drawEdges(d, Ws, bs) {
  if (!Ws) {
    if (d._edgeKeys !== null) d.ctx.clearRect(0, 0, d.W, H);
    d._edgeKeys = null;
    d.edgesDrawn = 0;
    return;
  }
  const showBias = d.net.showBias && !!bs;
  let max = 1e-12;
  for (const W of Ws) for (const row of W) for (const w of row) { const a = Math.abs(w); if (a > max) max = a; }
  if (showBias) for (const b of bs) for (const v of b) { const a = Math.abs(v); if (a > max) max = a; }
  const n = d.edgeCount;
  const keys = d._keyBuf?.length === n ? d._keyBuf : (d._keyBuf = new Uint8Array(n));
  let e = 0;
  const bucket = (v) => {
    const u = Math.abs(v) / max;
    const lev = u >= 1 ? LEVELS - 1 : u > 0 ? Math.floor(u * LEVELS) : 0; // NaN: the weakest
    return (v >= 0 ? 0 : LEVELS) + lev;
  };
  for (let l = 0; l < Ws.length; l++) {
    const W = Ws[l], nb = d.cols[l + 1].n;
    for (const row of W) for (let j = 0; j < nb; j++) keys[e++] = bucket(row[j]);
    if (showBias) for (let j = 0; j < nb; j++) keys[e++] = bucket(bs[l][j]);
  }
  const used = e;
  const last = d._edgeKeys;
  if (last && last.length === used && last.every((k, i) => k === keys[i])) return;
  d._edgeKeys = keys.slice(0, used);
  strokeEdges(d, d._edgeKeys, showBias);
}

function strokeEdges(d, keys, showBias) {
  d.painted.edges++;
  const ctx = d.ctx;
  ctx.clearRect(0, 0, d.W, H);
  const buckets = Array.from({ length: 2 * LEVELS }, () => new Path2D());
  const counts = new Int32Array(2 * LEVELS);
  let e = 0;
  const put = (xa, ya, xb, yb) => {
    const k = keys[e++];
    buckets[k].moveTo(xa, ya);
    buckets[k].lineTo(xb, yb);
    counts[k]++;
  };
  for (let l = 0; l + 1 < d.cols.length; l++) {
    const a = d.cols[l], b = d.cols[l + 1];
    for (let i = 0; i < a.n; i++) {
      const ya = a.ys[i];
      for (let j = 0; j < b.n; j++) put(a.outX, ya, b.inX, b.ys[j]);
    }
    if (showBias) for (let j = 0; j < b.n; j++) put(a.x + 8, a.biasY, b.inX, b.ys[j]);
  }
  // weak edges first, the strongest of either sign on top; dense layers get thinner lines,
  // so that a 32×32 layer is not one block of whichever colour is drawn last
  const thin = d.edgeScale;
  d.edgesDrawn = 0;
  for (let lev = 0; lev < LEVELS; lev++) {
    const u = (lev + 0.5) / LEVELS;
    for (const k of [lev, LEVELS + lev]) {
      if (!counts[k]) continue;
      ctx.strokeStyle = rgb(k < LEVELS ? POS : NEG, 0.25 + 0.7 * u);
      ctx.lineWidth = 0.5 + 5 * u * thin;
      ctx.stroke(buckets[k]);
      d.edgesDrawn += counts[k];
    }
  }
}

/** W's edges as SVG lines in a <g class="edges"> (the SVG export; no buckets, one line each). */
export function edgeLines(d, Ws) {
  const edges = svg("g", { class: "edges" });
  if (Ws) {
    let max = 1e-12;
    for (const W of Ws) for (const r of W) for (const w of r) max = Math.max(max, Math.abs(w));
    for (let l = 0; l < Ws.length; l++) {
      const a = d.cols[l], b = d.cols[l + 1];
      for (let i = 0; i < a.n; i++) for (let j = 0; j < b.n; j++) {
        const v = Ws[l][i][j], u = Math.abs(v) / max;
        edges.append(svg("line", { x1: a.outX, y1: a.ys[i], x2: b.inX, y2: b.ys[j],
          stroke: rgb(v >= 0 ? POS : NEG), "stroke-opacity": (0.25 + 0.7 * u).toFixed(3), "stroke-width": (0.5 + 5 * u).toFixed(2) }));
      }
    }
  }
  return edges;
}
