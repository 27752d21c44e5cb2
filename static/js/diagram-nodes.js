// The diagram's units, targets t_k and E as SVG (few, interactive): built once per layout —
// per unit its box, Σ (z = b + Σ a·w) and g, the input labels a_i, column captions, the bias
// "+1", the targets and E with the lines between — and coloured per frame from the probe's a and
// z (forward) or δ (backward), each attribute or text set only when its string differs.
import { H } from "./diagram-layout.js";
import { diverging, fmt, rgb, setAttr, setText, svg } from "./util.js";

/** Pretty label for a feature name such as "x1", "x1^2", "x1*x2", "sin(x1)". */
export function featureLabel(name) {
  return String(name)
    .replace(/^sin_/, "sin ").replace(/_sq$/, "²").replace(/^(x\d)(x\d)$/, "$1·$2")
    .replace(/x(\d)/g, (_, d) => "x" + "₀₁₂₃₄₅₆₇₈₉"[d]);
}

/** Build d's units, targets and E for its layout (d.cols, d.layout, d.net) into the SVG groups
 * gStatic and gUnits, and the heatmap canvases into d.mapLayer; fills d.els, d.maps, d.targetEls,
 * d.eEl and d.eVal. */
export function buildUnits(d, gStatic, gUnits) {
  d.els = [];
  d.maps = [];
  d.mapLayer = document.createElement("div");
  d.mapLayer.className = "maps";
  const net = d.net;
  const L = d.cols.length - 1;

  // targets, E and the lines between
  const lay = d.layout;
  const out = d.cols[L];
  d.targetEls = [];
  const ey = out.ys.reduce((a, b) => a + b, 0) / out.n;
  const ts = lay.ts;
  for (let k = 0; k < out.n; k++) {
    const y = out.ys[k], owner = `t${k}`;
    gStatic.append(svg("line", { x1: out.outX + 2, y1: y, x2: d.tX - ts / 2, y2: y, stroke: "#b6bdcc", "stroke-dasharray": "3 3" }));
    gStatic.append(svg("line", { x1: d.tX + ts / 2, y1: y, x2: d.eX - 14, y2: ey, stroke: "#b6bdcc" }));
    const r = svg("rect", { x: d.tX - ts / 2, y: y - ts / 2, width: ts, height: ts, rx: 3, fill: "#fff", class: "unit-box", "data-target": k, "data-owner": owner });
    gStatic.append(r);
    if (lay.showTargetLabels) {
      const t = svg("text", { x: d.tX, y: y - ts / 2 - 3, "text-anchor": "middle", "font-size": 10, fill: "#6b7385", "data-owner": owner });
      t.textContent = out.n === 1 ? "t" : `t${k + 1}`;
      gStatic.append(t);
    }
    const v = svg("text", { x: d.tX, y: y + ts / 2 + 11, "text-anchor": "middle", "font-size": 10, fill: "#1d2330", "data-owner": owner });
    gStatic.append(v);
    d.targetEls.push({ rect: r, text: v });
  }
  d.eEl = svg("circle", { cx: d.eX, cy: ey, r: 14, fill: "#fff", stroke: "#c53030", "stroke-width": 1.5, id: "unit-E", "data-owner": "E" });
  const eLabel = svg("text", { x: d.eX, y: ey + 5, "text-anchor": "middle", "font-size": 14, "font-style": "italic", fill: "#c53030", "data-owner": "E" });
  eLabel.textContent = "E";
  d.eVal = svg("text", { x: d.eX, y: ey + 28, "text-anchor": "middle", "font-size": 10, fill: "#1d2330", "data-owner": "E" });
  gStatic.append(d.eEl, eLabel, d.eVal);

  for (const col of d.cols) {
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
        d.mapLayer.append(c);
        mapRow.push(c);
      } else mapRow.push(null);
    }
    if (net.showBias && l < d.cols.length - 1) {
      const bx = col.x, by = col.biasY;
      const bg = svg("g", { class: "bias", "data-layer": l });
      bg.append(svg("circle", { cx: bx, cy: by, r: 8, fill: "#fff", stroke: "#8c96ab", "data-owner": `b${l}` }));
      const t = svg("text", { x: bx, y: by + 3, "text-anchor": "middle", "font-size": 8, fill: "#1d2330" });
      t.textContent = "+1";
      bg.append(t);
      gUnits.append(bg);
    }
    d.els.push(row);
    d.maps.push(mapRow);
  }
}

/** Colour the units, targets and E from a frame's probe (a and z, or δ when backward). */
export function drawNodes(d, frame, backward) {
  const layers = frame.probe?.layers || [];
  const input = frame.probe?.input || [];
  for (let l = 0; l < d.cols.length; l++) {
    const row = d.els[l];
    const P = l === 0 ? null : layers[l - 1];
    const main = l === 0 ? input : backward ? P?.delta : P?.a;
    const side = l === 0 ? null : backward ? P?.delta : P?.z;
    let scale = backward ? 1e-12 : 1;
    if (main) for (const v of main) scale = Math.max(scale, Math.abs(v));
    const hasMap = d.maps[l][0] && !backward;
    for (let j = 0; j < row.length; j++) {
      const e = row[j];
      const v = main ? main[j] : null;
      if (!hasMap) setAttr(e.box, "fill", v == null ? "#fff" : rgb(diverging(v / scale)));
      if (e.sigma && side) setAttr(e.sigma, "fill", rgb(diverging(side[j] / (backward ? scale : Math.max(1, Math.abs(side[j]))))));
      if (e.val) setText(e.val, v == null ? "" : `${backward && l > 0 ? "δ" : "a"}=${fmt(v, 3)}`);
    }
    for (const m of d.maps[l]) if (m && m.style.visibility !== (backward ? "hidden" : "visible")) m.style.visibility = backward ? "hidden" : "visible";
  }
  const probe = frame.probe;
  if (probe) {
    const t = probe.target || [];
    d.targetEls.forEach((te, k) => {
      const v = t[k];
      setAttr(te.rect, "fill", v == null ? "#fff" : rgb(diverging(v)));
      setText(te.text, v == null ? "" : fmt(v, 2));
    });
    setText(d.eVal, probe.error == null ? "" : `E=${fmt(probe.error, 3)}`);
  }
}
