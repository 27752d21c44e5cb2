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
//
// Here: the Diagram (laying out, frames in, selection and highlights, the SVG export); the edges
// are diagram-edges.js, the units, targets and E diagram-nodes.js, the units' heatmaps
// diagram-maps.js.
import { drawEdges, edgeLines } from "./diagram-edges.js";
import { hitTest } from "./diagram-hit.js";
import { DiagramKeys } from "./diagram-keys.js";
import { DiagramTable } from "./diagram-table.js";
import { edgePoint, H, layoutNetwork, unitCenter } from "./diagram-layout.js";
import { drawMaps } from "./diagram-maps.js";
import { buildUnits, drawNodes, featureLabel } from "./diagram-nodes.js";
import { forgetShown } from "./grid.js";
import { svg } from "./util.js";

export { featureLabel };

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
    buildUnits(this, gStatic, gUnits);
    const net = this.net;
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
    drawEdges(this, backward ? frame.gradients?.weights : frame.weights,
      backward ? frame.gradients?.biases : frame.biases);
    drawNodes(this, frame, backward);
    if (this.net.heatmaps && frame.grid) drawMaps(this, frame.grid);
    this.table?.update(frame);
  }

  /** Draw everything again at the next render (a benchmark, a canvas that lost its pixels). */
  invalidate() {
    this._edgeKeys = undefined;
    for (const row of this.maps || []) for (const c of row) if (c) forgetShown(c);
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
    const f = this.frame;
    const backward = this.view === "backward";
    const Ws = f ? (backward ? f.gradients?.weights : f.weights) : null;
    const edges = edgeLines(this, Ws);
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
