// The network as the derivation's Figure 1: columns of units a_i → (Σ → g) … → a_k, targets t_k, E.
// Nodes are SVG (few, interactive); edges are drawn on a canvas in sign/width buckets so that the
// largest allowed network still renders a frame in a few milliseconds. Every number drawn comes
// from the server's frame; this module only maps numbers to colours and widths.
//
// A frame's work is proportional to what it changed (issue 21: up to 60 frames a second): the
// edges canvas is redrawn only when an edge moves to another bucket, a unit's heatmap only when
// its bytes or range differ from the ones painted, and an SVG attribute or text only when its
// string differs from the one set (an unchanged write still costs the browser a layout and a
// paint).
import { hitTest } from "./diagram-hit.js";
import { DiagramKeys } from "./diagram-keys.js";
import { DiagramTable } from "./diagram-table.js";
import { edgePoint, H, layoutNetwork, unitCenter } from "./diagram-layout.js";
import { colourTable, decodeUnit, forgetShown, paintGrid, shownChanged, unitScale } from "./grid.js";
import { diverging, fmt, rgb, setAttr, setText, svg, POS, NEG } from "./util.js";

const LEVELS = 8;

/** Pretty label for a feature name such as "x1", "x1^2", "x1*x2", "sin(x1)". */
export function featureLabel(name) {
  return String(name)
    .replace(/^sin_/, "sin ").replace(/_sq$/, "²").replace(/^(x\d)(x\d)$/, "$1·$2")
    .replace(/x(\d)/g, (_, d) => "x" + "₀₁₂₃₄₅₆₇₈₉"[d]);
}

export class Diagram {
  /**
   * @param {HTMLElement} root
   * @param {{onHover: Function, onSelect: Function}} handlers
   */
  constructor(root, handlers) {
    this.root = root;
    this.handlers = handlers;
    this.cols = [];
    this.frame = null;
    this.view = "forward";
    this.selection = null;
    this.stage = null;
    this.edgesDrawn = 0;
    this.painted = { edges: 0, maps: 0 }; // redraws done (tests check that unchanged parts are skipped)
    root.addEventListener("mousemove", (e) => this._hover(e));
    root.addEventListener("mouseleave", () => handlers.onHover(null));
    root.addEventListener("click", (e) => {
      const hit = this._hit(e);
      handlers.onSelect(hit);
    });
    // the keyboard's way in (diagram-keys.js) and the text view (diagram-table.js): a host
    // marked data-table-for="<this root's id>" gets the tables, its aria-controls checkbox shows them
    this.keys = new DiagramKeys(this);
    const host = root.id && document.querySelector(`[data-table-for="${root.id}"]`);
    this.table = host ? new DiagramTable(host, document.querySelector(`[aria-controls="${host.id}"]`)) : null;
  }

  /**
   * Lay the network out.
   * @param {{layerSizes: number[], activations: string[], featureNames: string[], showBias: boolean,
   *          heatmaps: boolean}} net
   */
  setNetwork(net) {
    this.net = net;
    const lay = layoutNetwork(net, this.root.clientWidth, featureLabel);
    this.layout = lay;
    this.W = lay.W;
    this.cols = lay.cols;
    this.tX = lay.tX;
    this.eX = lay.eX;
    this._build();
    this.table?.setNetwork(net);
    this.frame = null; // the caller draws a frame of the new shape
  }

  /** Does a frame's W fit the laid-out columns? */
  fits(frame) {
    const Ws = frame.weights;
    if (!Ws || Ws.length !== this.cols.length - 1) return false;
    return Ws.every((W, l) => W.length === this.cols[l].n && W[0]?.length === this.cols[l + 1].n);
  }

  _build() {
    const root = this.root;
    const refocus = this.keys.hasFocus();
    root.replaceChildren();
    this._edgeKeys = null; // a new, blank canvas
    const dpr = window.devicePixelRatio || 1;
    const canvas = document.createElement("canvas");
    canvas.className = "edges";
    canvas.width = this.W * dpr;
    canvas.height = H * dpr;
    canvas.style.width = `${this.W}px`;
    canvas.style.height = `${H}px`;
    this.ctx = canvas.getContext("2d");
    this.ctx.scale(dpr, dpr);
    root.append(canvas);

    const s = svg("svg", { width: this.W, height: H, viewBox: `0 0 ${this.W} ${H}`, id: "diagram-svg" });
    this.svg = s;
    const gStatic = svg("g");
    const gUnits = svg("g", { class: "units" });
    this.gHl = svg("g", { class: "highlights" });
    s.append(gStatic, this.gHl, gUnits);
    this.els = [];
    this.maps = [];
    this.mapLayer = document.createElement("div");
    this.mapLayer.className = "maps";
    const net = this.net;
    const L = this.cols.length - 1;

    // targets, E and the lines between
    const lay = this.layout;
    const out = this.cols[L];
    this.targetEls = [];
    const ey = out.ys.reduce((a, b) => a + b, 0) / out.n;
    const ts = lay.ts;
    for (let k = 0; k < out.n; k++) {
      const y = out.ys[k], owner = `t${k}`;
      gStatic.append(svg("line", { x1: out.outX + 2, y1: y, x2: this.tX - ts / 2, y2: y, stroke: "#b6bdcc", "stroke-dasharray": "3 3" }));
      gStatic.append(svg("line", { x1: this.tX + ts / 2, y1: y, x2: this.eX - 14, y2: ey, stroke: "#b6bdcc" }));
      const r = svg("rect", { x: this.tX - ts / 2, y: y - ts / 2, width: ts, height: ts, rx: 3, fill: "#fff", class: "unit-box", "data-target": k, "data-owner": owner });
      gStatic.append(r);
      if (lay.showTargetLabels) {
        const t = svg("text", { x: this.tX, y: y - ts / 2 - 3, "text-anchor": "middle", "font-size": 10, fill: "#6b7385", "data-owner": owner });
        t.textContent = out.n === 1 ? "t" : `t${k + 1}`;
        gStatic.append(t);
      }
      const v = svg("text", { x: this.tX, y: y + ts / 2 + 11, "text-anchor": "middle", "font-size": 10, fill: "#1d2330", "data-owner": owner });
      gStatic.append(v);
      this.targetEls.push({ rect: r, text: v });
    }
    this.eEl = svg("circle", { cx: this.eX, cy: ey, r: 14, fill: "#fff", stroke: "#c53030", "stroke-width": 1.5, id: "unit-E", "data-owner": "E" });
    const eLabel = svg("text", { x: this.eX, y: ey + 5, "text-anchor": "middle", "font-size": 14, "font-style": "italic", fill: "#c53030", "data-owner": "E" });
    eLabel.textContent = "E";
    this.eVal = svg("text", { x: this.eX, y: ey + 28, "text-anchor": "middle", "font-size": 10, fill: "#1d2330", "data-owner": "E" });
    gStatic.append(this.eEl, eLabel, this.eVal);

    for (const col of this.cols) {
      const row = [];
      const mapRow = [];
      const { l, s, rs } = col;
      // column caption, as long as the room allows
      if (lay.captions !== "none") {
        const cap = svg("text", { x: col.x, y: H - 2, "text-anchor": "middle", "font-size": 10, fill: "#6b7385", "data-owner": `cap${l}` });
        const full = lay.captions === "full";
        cap.textContent = l === 0 ? (full ? "inputs aᵢ" : "aᵢ") : col.kind === "output" ? (full ? "outputs aₖ" : "aₖ") : full ? `hidden ${l}` : `h${l}`;
        gStatic.append(cap);
      }
      for (let j = 0; j < col.n; j++) {
        const y = col.ys[j], owner = `u${l}-${j}`;
        const g = svg("g", { class: "unit", "data-layer": l, "data-unit": j });
        let sigma = null;
        if (col.showSigma) {
          const cx = col.x - s / 2 - rs - 6;
          sigma = svg("circle", { cx, cy: y, r: rs, fill: "#fff", class: "unit-box sigma", "data-owner": owner });
          const t = svg("text", { x: cx, y: y + rs * 0.42, "text-anchor": "middle", "font-size": rs * 1.2, fill: "#1d2330", "pointer-events": "none" });
          t.textContent = "Σ";
          g.append(sigma, t, svg("line", { x1: cx + rs, y1: y, x2: col.x - s / 2, y2: y, stroke: "#8c96ab" }));
        }
        const box = svg("rect", { x: col.x - s / 2, y: y - s / 2, width: s, height: s, rx: Math.min(5, s / 5), fill: "#fff", class: "unit-box", "data-owner": owner });
        g.append(box);
        if (col.labelFont) {
          const lab = svg("text", { x: col.x - s / 2 - 6, y: y + col.labelFont * 0.35, "text-anchor": "end", "font-size": col.labelFont, fill: "#1d2330", "data-owner": owner });
          lab.textContent = featureLabel(net.featureNames[j] ?? `a${j + 1}`);
          g.append(lab);
        }
        if (l > 0 && s >= 22 && !net.heatmaps) {
          const lab = svg("text", { x: col.x, y: y + 3.5, "text-anchor": "middle", "font-size": 9, fill: "#1d2330", "pointer-events": "none" });
          lab.textContent = "g";
          g.append(lab);
        }
        let val = null;
        if (col.showValue) {
          val = svg("text", { x: col.x, y: y + s / 2 + 10, "text-anchor": "middle", "font-size": 9.5, fill: "#3a4256", class: "val", "data-owner": owner });
          g.append(val);
        }
        gUnits.append(g);
        row.push({ g, box, sigma, val });
        if (net.heatmaps && col.showMap) {
          const c = document.createElement("canvas");
          c.className = "unit-map";
          c.dataset.owner = owner;
          Object.assign(c.style, { left: `${col.x - s / 2 + 1}px`, top: `${y - s / 2 + 1}px`, width: `${s - 2}px`, height: `${s - 2}px` });
          this.mapLayer.append(c);
          mapRow.push(c);
        } else mapRow.push(null);
      }
      if (net.showBias && l < this.cols.length - 1) {
        const bx = col.x, by = col.biasY;
        const bg = svg("g", { class: "bias", "data-layer": l });
        bg.append(svg("circle", { cx: bx, cy: by, r: 8, fill: "#fff", stroke: "#8c96ab", "data-owner": `b${l}` }));
        const t = svg("text", { x: bx, y: by + 3, "text-anchor": "middle", "font-size": 8, fill: "#1d2330" });
        t.textContent = "+1";
        bg.append(t);
        gUnits.append(bg);
      }
      this.els.push(row);
      this.maps.push(mapRow);
    }
    root.append(s, this.mapLayer);
    const densest = Math.max(1, ...this.cols.slice(1).map((c, i) => c.n * this.cols[i].n));
    this.edgeScale = Math.min(1, 12 / Math.sqrt(densest));
    this.edgeCount = this.cols.slice(1).reduce((acc, c, i) => acc + c.n * this.cols[i].n, 0)
      + (net.showBias ? this.cols.slice(1).reduce((a, c) => a + c.n, 0) : 0);
    this._drawOverlay();
    this.keys.attach(refocus);
  }

  /** Units and edges currently drawn (tests compare these with the network's shape). */
  counts() {
    return {
      units: this.root.querySelectorAll("g.unit").length,
      edges: this.edgesDrawn,
      layers: this.cols.map((c) => c.n),
    };
  }

  setView(view) {
    this.view = view;
    if (this.frame) this.render(this.frame);
  }

  /** Draw one frame (weights, probe, grid) — the hot path measured by benchRender. */
  render(frame) {
    this.frame = frame;
    if (!this.cols.length || !frame || !this.fits(frame)) return;
    const backward = this.view === "backward";
    this._drawEdges(backward ? frame.gradients?.weights : frame.weights,
      backward ? frame.gradients?.biases : frame.biases);
    this._drawNodes(frame, backward);
    if (this.net.heatmaps && frame.grid) this._drawMaps(frame.grid);
    this.table?.update(frame);
  }

  /** The edges in 2·LEVELS buckets (sign × |v|/max), weak first and the strongest on top; the
   * canvas is redrawn only when some edge's bucket differs from the one drawn (the picture is a
   * function of the buckets alone once the network is laid out). */
  _drawEdges(Ws, bs) {
    if (!Ws) {
      if (this._edgeKeys !== null) this.ctx.clearRect(0, 0, this.W, H);
      this._edgeKeys = null;
      this.edgesDrawn = 0;
      return;
    }
    const showBias = this.net.showBias && !!bs;
    let max = 1e-12;
    for (const W of Ws) for (const row of W) for (const w of row) { const a = Math.abs(w); if (a > max) max = a; }
    if (showBias) for (const b of bs) for (const v of b) { const a = Math.abs(v); if (a > max) max = a; }
    const n = this.edgeCount;
    const keys = this._keyBuf?.length === n ? this._keyBuf : (this._keyBuf = new Uint8Array(n));
    let e = 0;
    const bucket = (v) => {
      const u = Math.abs(v) / max;
      const lev = u >= 1 ? LEVELS - 1 : u > 0 ? Math.floor(u * LEVELS) : 0; // NaN: the weakest
      return (v >= 0 ? 0 : LEVELS) + lev;
    };
    for (let l = 0; l < Ws.length; l++) {
      const W = Ws[l], nb = this.cols[l + 1].n;
      for (const row of W) for (let j = 0; j < nb; j++) keys[e++] = bucket(row[j]);
      if (showBias) for (let j = 0; j < nb; j++) keys[e++] = bucket(bs[l][j]);
    }
    const used = e;
    const last = this._edgeKeys;
    if (last && last.length === used && last.every((k, i) => k === keys[i])) return;
    this._edgeKeys = keys.slice(0, used);
    this._strokeEdges(this._edgeKeys, showBias);
  }

  _strokeEdges(keys, showBias) {
    this.painted.edges++;
    const ctx = this.ctx;
    ctx.clearRect(0, 0, this.W, H);
    const buckets = Array.from({ length: 2 * LEVELS }, () => new Path2D());
    const counts = new Int32Array(2 * LEVELS);
    let e = 0;
    const put = (xa, ya, xb, yb) => {
      const k = keys[e++];
      buckets[k].moveTo(xa, ya);
      buckets[k].lineTo(xb, yb);
      counts[k]++;
    };
    for (let l = 0; l + 1 < this.cols.length; l++) {
      const a = this.cols[l], b = this.cols[l + 1];
      for (let i = 0; i < a.n; i++) {
        const ya = a.ys[i];
        for (let j = 0; j < b.n; j++) put(a.outX, ya, b.inX, b.ys[j]);
      }
      if (showBias) for (let j = 0; j < b.n; j++) put(a.x + 8, a.biasY, b.inX, b.ys[j]);
    }
    // weak edges first, the strongest of either sign on top; dense layers get thinner lines,
    // so that a 32×32 layer is not one block of whichever colour is drawn last
    const thin = this.edgeScale;
    this.edgesDrawn = 0;
    for (let lev = 0; lev < LEVELS; lev++) {
      const u = (lev + 0.5) / LEVELS;
      for (const k of [lev, LEVELS + lev]) {
        if (!counts[k]) continue;
        ctx.strokeStyle = rgb(k < LEVELS ? POS : NEG, 0.25 + 0.7 * u);
        ctx.lineWidth = 0.5 + 5 * u * thin;
        ctx.stroke(buckets[k]);
        this.edgesDrawn += counts[k];
      }
    }
  }

  /** Draw everything again at the next render (a benchmark, a canvas that lost its pixels). */
  invalidate() {
    this._edgeKeys = undefined;
    for (const row of this.maps || []) for (const c of row) if (c) forgetShown(c);
  }

  _drawNodes(frame, backward) {
    const layers = frame.probe?.layers || [];
    const input = frame.probe?.input || [];
    for (let l = 0; l < this.cols.length; l++) {
      const row = this.els[l];
      const P = l === 0 ? null : layers[l - 1];
      const main = l === 0 ? input : backward ? P?.delta : P?.a;
      const side = l === 0 ? null : backward ? P?.delta : P?.z;
      let scale = backward ? 1e-12 : 1;
      if (main) for (const v of main) scale = Math.max(scale, Math.abs(v));
      const hasMap = this.maps[l][0] && !backward;
      for (let j = 0; j < row.length; j++) {
        const e = row[j];
        const v = main ? main[j] : null;
        if (!hasMap) setAttr(e.box, "fill", v == null ? "#fff" : rgb(diverging(v / scale)));
        if (e.sigma && side) setAttr(e.sigma, "fill", rgb(diverging(side[j] / (backward ? scale : Math.max(1, Math.abs(side[j]))))));
        if (e.val) setText(e.val, v == null ? "" : `${backward && l > 0 ? "δ" : "a"}=${fmt(v, 3)}`);
      }
      for (const m of this.maps[l]) if (m && m.style.visibility !== (backward ? "hidden" : "visible")) m.style.visibility = backward ? "hidden" : "visible";
    }
    const probe = frame.probe;
    if (probe) {
      const t = probe.target || [];
      this.targetEls.forEach((te, k) => {
        const v = t[k];
        setAttr(te.rect, "fill", v == null ? "#fff" : rgb(diverging(v)));
        setText(te.text, v == null ? "" : fmt(v, 2));
      });
      setText(this.eVal, probe.error == null ? "" : `E=${fmt(probe.error, 3)}`);
    }
  }

  _drawMaps(grid) {
    if (grid.domain.length === 1) return this._drawCurves(grid);
    const table = this._table || (this._table = new Uint32Array(256));
    for (const [c, u] of this._unitMaps(grid)) {
      const unit = decodeUnit(u);
      const scale = unitScale(u);
      if (paintGrid(c, unit, grid.resolution, colourTable(unit, (v) => v / scale, table))) this.painted.maps++;
    }
  }

  /** Every (unit canvas, grid unit) pair the frame's grid has a drawing for. */
  *_unitMaps(grid) {
    for (let l = 0; l < this.maps.length; l++) {
      const units = grid.layers[l];
      if (!units) continue;
      for (let j = 0; j < this.maps[l].length; j++) {
        if (this.maps[l][j] && units[j]) yield [this.maps[l][j], units[j]];
      }
    }
  }

  /** 1-D data: each unit's box shows its activation a(x) over the input range as a curve, on
   * the same symmetric scale as the heatmaps (max(1, |a|)), with a = 0 as a faint line. */
  _drawCurves(grid) {
    const R = grid.resolution, S = 48;
    for (const [c, u] of this._unitMaps(grid)) {
      if (c.width !== S) { c.width = S; c.height = S; c._img = null; c._shown = null; }
      const unit = decodeUnit(u), bytes = unit.bytes;
      const scale = unitScale(u);
      if (!shownChanged(c, bytes, [unit.lo, unit.hi, scale])) continue; // the same curve
      this.painted.maps++;
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

  // ---------- interaction ----------
  _hit(e) {
    const r = this.root.getBoundingClientRect();
    const k = r.width / (this.root.offsetWidth || r.width) || 1; // a CSS scale (the projector's)
    return hitTest(this.layout, this.net.showBias, (e.clientX - r.left) / k, (e.clientY - r.top) / k);
  }

  _hover(e) {
    this.handlers.onHover(this._hit(e), e);
  }

  /** Centre of unit j in layer l (page tests click here). */
  unitCenter(l, j) {
    return unitCenter(this.layout, l, j);
  }

  /** A point along weight w_ij of W[l]. */
  edgePoint(l, i, j, t = 0.5) {
    return edgePoint(this.layout, l, i, j, t);
  }

  select(sel) {
    this.selection = sel;
    this.keys.follow(sel);
    this._drawOverlay();
  }

  /** Highlight a derivation stage: {units: [layer indices], weights: [W indices], target: bool, error: bool}. */
  highlight(stage) {
    this.stage = stage;
    this._drawOverlay();
  }

  _drawOverlay() {
    const g = this.gHl;
    if (!g) return;
    g.replaceChildren();
    for (const row of this.els) for (const e of row) e.box.classList.remove("sel", "hl");
    const st = this.stage;
    if (st) {
      for (const l of st.weights || []) {
        const a = this.cols[l], b = this.cols[l + 1];
        if (!a || !b) continue;
        let d = "";
        for (let i = 0; i < a.n; i++) for (let j = 0; j < b.n; j++) d += `M${a.outX},${a.ys[i]}L${b.inX},${b.ys[j]}`;
        g.append(svg("path", { d, class: "edge-hl" }));
      }
      for (const l of st.units || []) for (const e of this.els[l] || []) e.box.classList.add("hl");
      this.eEl.setAttribute("stroke-width", st.error ? 4 : 1.5);
      for (const te of this.targetEls) te.rect.classList.toggle("hl", !!st.target);
    } else {
      this.eEl && this.eEl.setAttribute("stroke-width", 1.5);
      for (const te of this.targetEls || []) te.rect.classList.remove("hl");
    }
    const sel = this.selection;
    if (sel?.kind === "unit") this.els[sel.layer]?.[sel.j]?.box.classList.add("sel");
    if (sel?.kind === "weight" && this.cols[sel.layer + 1]) {
      const [xa, ya] = this.edgePoint(sel.layer, sel.i, sel.j, 0);
      const [xb, yb] = this.edgePoint(sel.layer, sel.i, sel.j, 1);
      g.append(svg("path", { d: `M${xa},${ya}L${xb},${yb}`, class: "edge-sel" }));
    }
  }

  /** A standalone SVG document of the current diagram (edges as lines, heatmaps as images). */
  toSVG() {
    const clone = this.svg.cloneNode(true);
    clone.setAttribute("xmlns", "http://www.w3.org/2000/svg");
    const edges = svg("g", { class: "edges" });
    const f = this.frame;
    const backward = this.view === "backward";
    const Ws = f ? (backward ? f.gradients?.weights : f.weights) : null;
    if (Ws) {
      let max = 1e-12;
      for (const W of Ws) for (const r of W) for (const w of r) max = Math.max(max, Math.abs(w));
      for (let l = 0; l < Ws.length; l++) {
        const a = this.cols[l], b = this.cols[l + 1];
        for (let i = 0; i < a.n; i++) for (let j = 0; j < b.n; j++) {
          const v = Ws[l][i][j], u = Math.abs(v) / max;
          edges.append(svg("line", { x1: a.outX, y1: a.ys[i], x2: b.inX, y2: b.ys[j],
            stroke: rgb(v >= 0 ? POS : NEG), "stroke-opacity": (0.25 + 0.7 * u).toFixed(3), "stroke-width": (0.5 + 5 * u).toFixed(2) }));
        }
      }
    }
    clone.insertBefore(svg("rect", { width: this.W, height: H, fill: "#fff" }), clone.firstChild);
    clone.insertBefore(edges, clone.children[1]);
    const imgs = svg("g");
    for (const c of this.root.querySelectorAll("canvas.unit-map")) {
      if (c.style.visibility === "hidden" || !c.width) continue;
      imgs.append(svg("image", { href: c.toDataURL(), x: parseFloat(c.style.left), y: parseFloat(c.style.top),
        width: parseFloat(c.style.width), height: parseFloat(c.style.height), preserveAspectRatio: "none" }));
    }
    clone.append(imgs);
    return new XMLSerializer().serializeToString(clone);
  }

  get size() { return [this.W, H]; }
}
