// The diagram from the keyboard (WCAG 2.1.1): one Tab stop into it (a roving tabindex), the
// arrow keys between its units and weights, Enter or Space opens the inspector on the item, Escape
// closes it. The items are the columns of the derivation's Figure 1 read left to right: units of
// layer 0, the weights W[0] (w_ij, i-major, then the biases b_j when shown), units of layer 1, …
//   ↑ ↓        the previous / next item of the same column (Home, End: its first / last)
//   → ←        along the edges: a unit's first outgoing / incoming weight; a weight's target /
//              source unit
// The focus targets are SVG shapes of their own over the drawing (a ring round each unit; a path
// over the weight's edge, the edges themselves being canvas), without the drawing's text in them. Each item's accessible name says what it is and, when it gets focus,
// its numbers in the shown frame (the same numbers as the hover tooltip).
import { fmt, svg } from "./util.js";

const MOVES = new Set(["ArrowUp", "ArrowDown", "ArrowLeft", "ArrowRight", "Home", "End"]);
const SUB = "₀₁₂₃₄₅₆₇₈₉";
const sub = (n) => String(n).replace(/\d/g, (d) => SUB[d]);

export class DiagramKeys {
  /** @param {import("./diagram.js").Diagram} diagram */
  constructor(diagram) {
    this.d = diagram;
    this.pos = { kind: "unit", layer: 0, j: 0 };
    const root = diagram.root;
    root.setAttribute("role", "group");
    root.setAttribute("aria-roledescription", "network diagram");
    root.setAttribute("aria-label", "The network: arrow keys move between units and weights, "
      + "Enter opens the inspector");
    root.addEventListener("keydown", (e) => this._key(e));
    root.addEventListener("focusin", (e) => this._focused(e.target));
    root.addEventListener("focusout", (e) => {
      if (!root.contains(e.relatedTarget)) diagram.handlers.onHover(null);
    });
  }

  /** Whether focus is in the diagram (asked before a rebuild, which drops the focused node). */
  hasFocus() {
    return this.d.root.contains(document.activeElement);
  }

  /** After the diagram was (re)built: a focus target over every unit, two over the edges (a
   * move between weights focuses the other one, so that a screen reader announces it), the
   * current item clamped to the new shape and made the one Tab stop (focused again if it was). */
  attach(refocus) {
    const d = this.d;
    const g = svg("g", { class: "keys" });
    this.units = d.cols.map((col) => col.ys.map((y, j) => {
      const m = col.s / 2 + 3;
      const r = svg("rect", { class: "unit-focus", x: col.x - m, y: y - m, width: 2 * m, height: 2 * m, rx: 5,
        tabindex: "-1", role: "button", "data-layer": col.l, "data-unit": j,
        "aria-label": this._name({ kind: "unit", layer: col.l, j }) });
      g.append(r);
      return r;
    }));
    this.edges = [0, 1].map(() => svg("path", { class: "edge-focus", d: "M0,0" }));
    g.append(...this.edges);
    d.svg.append(g);
    this.pos = this._clamp(this.pos);
    this.edge = this.edges[0];
    this._rove(refocus);
  }

  /** The inspector's selection (a click) becomes the current item, without taking focus. */
  follow(sel) {
    if (!sel || !this.edge) return;
    const pos = this._clamp(sel);
    if (same(pos, this.pos)) return;
    this.pos = pos;
    this._rove(this.hasFocus());
  }

  // ---------- the items ----------
  _cols() { return this.d.cols; }

  /** The items of column c (2l: units of layer l; 2l+1: the weights of W[l], then its biases). */
  _items(c) {
    const cols = this._cols();
    if (c % 2 === 0) return Array.from({ length: cols[c / 2].n }, (_, j) => ({ kind: "unit", layer: c / 2, j }));
    const l = (c - 1) / 2, a = cols[l], b = cols[l + 1], items = [];
    for (let i = 0; i < a.n; i++) for (let j = 0; j < b.n; j++) items.push({ kind: "weight", layer: l, i, j });
    if (this.d.net.showBias) for (let j = 0; j < b.n; j++) items.push({ kind: "bias", layer: l, j });
    return items;
  }

  _column(p) { return p.kind === "unit" ? 2 * p.layer : 2 * p.layer + 1; }

  _clamp(p) {
    const cols = this._cols();
    const L = cols.length - 1;
    const layer = Math.max(0, Math.min(p.layer ?? 0, p.kind === "unit" ? L : L - 1));
    if (p.kind !== "unit" && L > 0) {
      const a = cols[layer], b = cols[layer + 1];
      if (p.kind === "bias" && this.d.net.showBias) return { kind: "bias", layer, j: Math.min(p.j, b.n - 1) };
      if (p.kind === "weight") return { kind: "weight", layer, i: Math.min(p.i, a.n - 1), j: Math.min(p.j, b.n - 1) };
    }
    const l = p.kind === "unit" ? layer : Math.min(L, layer);
    return { kind: "unit", layer: l, j: Math.min(p.j ?? 0, cols[l].n - 1) };
  }

  /** Where a key takes the item p; null where it leads nowhere. */
  _move(p, key) {
    const L = this._cols().length - 1;
    const items = this._items(this._column(p));
    const k = items.findIndex((q) => same(q, p));
    if (key === "ArrowUp") return items[Math.max(0, k - 1)];
    if (key === "ArrowDown") return items[Math.min(items.length - 1, k + 1)];
    if (key === "Home") return items[0];
    if (key === "End") return items.at(-1);
    if (p.kind === "unit") {
      if (key === "ArrowRight" && p.layer < L) return { kind: "weight", layer: p.layer, i: p.j, j: 0 };
      if (key === "ArrowLeft" && p.layer > 0) return { kind: "weight", layer: p.layer - 1, i: 0, j: p.j };
      return null;
    }
    if (key === "ArrowRight") return { kind: "unit", layer: p.layer + 1, j: p.j };
    if (key === "ArrowLeft") {
      return { kind: "unit", layer: p.layer, j: p.kind === "bias" ? this._cols()[p.layer].n - 1 : p.i };
    }
    return null;
  }

  _key(e) {
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    const key = e.key;
    if (key === "Enter" || key === " ") this.d.handlers.onSelect({ ...this.pos });
    else if (key === "Escape") this.d.handlers.onSelect(null);
    else if (MOVES.has(key)) {
      const next = this._move(this.pos, key);
      if (next) { this.pos = next; this._rove(true); }
    } else return;
    // handled here: not the page's shortcuts (space plays, → steps)
    e.preventDefault();
    e.stopPropagation();
  }

  _focused(target) {
    if (target.classList?.contains("unit-focus")) {
      const p = { kind: "unit", layer: Number(target.dataset.layer), j: Number(target.dataset.unit) };
      if (!same(p, this.pos)) { this.pos = p; this._rove(false); }
    }
    this._describe();
  }

  /** Make the current item the only Tab stop, draw a weight's path over its edge, and focus it. */
  _rove(focus) {
    const p = this.pos;
    for (const row of this.units) for (const r of row) r.setAttribute("tabindex", "-1");
    let el;
    if (p.kind === "unit") el = this.units[p.layer]?.[p.j];
    else {
      // the other path than the one focused now: focus moves, and the new name is announced
      if (this.hasFocus() && document.activeElement === this.edge) this.edge = this.edges[this.edge === this.edges[0] ? 1 : 0];
      const [xa, ya, xb, yb] = this._ends(p);
      this.edge.setAttribute("d", `M${xa},${ya}L${xb},${yb}`);
      el = this.edge;
    }
    if (!el) return;
    if (el === this.edge) { el.setAttribute("role", "button"); el.removeAttribute("aria-hidden"); }
    el.setAttribute("tabindex", "0");
    el.setAttribute("aria-label", this._name(p, true));
    if (focus) el.focus();
    for (const e of this.edges) if (e !== el) park(e);
  }

  _ends(p) {
    const d = this.d;
    if (p.kind === "weight") return [...d.edgePoint(p.layer, p.i, p.j, 0), ...d.edgePoint(p.layer, p.i, p.j, 1)];
    const a = d.cols[p.layer], b = d.cols[p.layer + 1];
    return [a.x + 8, a.biasY, b.inX, b.ys[p.j]];
  }

  /** The hover tooltip for the focused item, so that sighted keyboard users see its numbers. */
  _describe() {
    const p = this.pos;
    const el = p.kind === "unit" ? this.units[p.layer]?.[p.j] : this.edge;
    if (!el || document.activeElement !== el) return;
    el.setAttribute("aria-label", this._name(p, true));
    const r = el.getBoundingClientRect();
    this.d.handlers.onHover({ ...p }, { clientX: r.right, clientY: r.top + r.height / 2 });
  }

  /** What an item is, and (withValues) its numbers in the shown frame. */
  _name(p, withValues = false) {
    const cols = this._cols(), L = cols.length - 1, f = withValues ? this.d.frame : null;
    const layerName = (l) => (l === 0 ? "input" : l === L ? "output" : `hidden layer ${l}`);
    if (p.kind === "unit") {
      const n = cols[p.layer].n;
      let name = p.layer === 0
        ? `input ${this.d.net.featureNames?.[p.j] ?? `x${p.j + 1}`}, ${p.j + 1} of ${n}`
        : `${layerName(p.layer)} unit ${p.j + 1} of ${n}`;
      if (f?.probe) {
        if (p.layer === 0) name += `: a = ${fmt(f.probe.input?.[p.j])}`;
        else {
          const P = f.probe.layers?.[p.layer - 1];
          if (P) name += `: z = ${fmt(P.z[p.j])}, a = ${fmt(P.a[p.j])}, δ = ${fmt(P.delta[p.j])}`;
          if (p.layer === L && f.probe.target) name += `, target t = ${fmt(f.probe.target[p.j])}`;
        }
      }
      return name;
    }
    if (p.kind === "bias") {
      let name = `bias b${sub(p.j + 1)} into ${layerName(p.layer + 1)} unit ${p.j + 1}`;
      if (f?.biases) name += `: ${fmt(f.biases[p.layer][p.j])}, ∂E/∂b = ${fmt(f.gradients?.biases?.[p.layer]?.[p.j])}`;
      return name;
    }
    let name = `weight w${sub(p.i + 1)}${sub(p.j + 1)} from ${layerName(p.layer)} unit ${p.i + 1} `
      + `to ${layerName(p.layer + 1)} unit ${p.j + 1}`;
    if (f?.weights) name += `: ${fmt(f.weights[p.layer][p.i][p.j])}, ∂E/∂w = ${fmt(f.gradients?.weights?.[p.layer]?.[p.i]?.[p.j])}`;
    return name;
  }
}

/** A weight path not in use: no shape, not focusable, not in the accessibility tree. */
function park(e) {
  for (const a of ["tabindex", "role", "aria-label"]) e.removeAttribute(a);
  e.setAttribute("aria-hidden", "true");
  e.setAttribute("d", "M0,0");
}

function same(a, b) {
  return a.kind === b.kind && a.layer === b.layer && a.j === b.j && (a.kind !== "weight" || a.i === b.i);
}
