// Small shared helpers: number formatting, colour scales, DOM creation.

/** Format a number for display (the precision tests compare at). */
export function fmt(x, digits = 4) {
  if (x === null || x === undefined || Number.isNaN(x)) return "–";
  if (!Number.isFinite(x)) return x > 0 ? "∞" : "−∞";
  const ax = Math.abs(x);
  if (ax !== 0 && (ax < 1e-3 || ax >= 1e5)) return x.toExponential(digits - 1);
  return x.toFixed(digits);
}

/** LaTeX-safe number (wraps negatives in parentheses when asked). */
export function tex(x, paren = false, digits = 4) {
  let s = fmt(x, digits);
  const m = s.match(/^(-?[\d.]+)e([+-]?)(\d+)$/);
  if (m) s = `${m[1]}\\times 10^{${m[2] === "-" ? "-" : ""}${m[3]}}`;
  return paren && x < 0 ? `(${s})` : s;
}

export const POS = [8, 119, 189];   // blue: positive
export const NEG = [232, 113, 10];  // orange: negative
const WHITE = [245, 246, 248];

/** Diverging colour for t in [-1, 1] as [r, g, b]. */
export function diverging(t) {
  const c = t >= 0 ? POS : NEG;
  const u = Math.min(1, Math.abs(t));
  return [0, 1, 2].map((i) => Math.round(WHITE[i] + (c[i] - WHITE[i]) * u));
}

export function rgb(c, alpha = 1) {
  return alpha >= 1 ? `rgb(${c[0]},${c[1]},${c[2]})` : `rgba(${c[0]},${c[1]},${c[2]},${alpha})`;
}

/** A 256-entry packed-ABGR lookup table for t = -1 .. 1 (little-endian canvas pixels). */
export const LUT = (() => {
  const lut = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    const [r, g, b] = diverging((i / 255) * 2 - 1);
    lut[i] = (255 << 24) | (b << 16) | (g << 8) | r;
  }
  return lut;
})();

export function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") e.className = v;
    else if (k === "text") e.textContent = v;
    else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v);
  }
  for (const c of children) e.append(c);
  return e;
}

export const SVGNS = "http://www.w3.org/2000/svg";
export function svg(tag, attrs = {}) {
  const e = document.createElementNS(SVGNS, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  return e;
}

/** Set `node`'s text to `text` unless it already is that: writing the same text again still
 * makes the browser lay out and repaint (and tell MutationObservers), ~1 ms a frame (issue 21). */
export function setText(node, text) {
  if (node.textContent !== text) node.textContent = text;
}

/** Set attribute `name` of `node` to `value` (a string) unless it already is that. */
export function setAttr(node, name, value) {
  if (node.getAttribute(name) !== value) node.setAttribute(name, value);
}

/** Decode a base64 string to a Uint8Array. */
export function b64bytes(s) {
  const bin = atob(s);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/** Render LaTeX with KaTeX into an element (falls back to text if KaTeX is missing). */
export function katexInto(node, latex, display = true) {
  if (window.katex) {
    window.katex.render(latex, node, { displayMode: display, throwOnError: false, trust: false, strict: false });
  } else node.textContent = latex;
}

export function download(name, blob) {
  const a = document.createElement("a");
  a.href = URL.createObjectURL(blob);
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 1000);
}
