// Compare two runs side by side: the page's session (A) and a duplicate with one change (B) —
// learning rate, hidden activation, init, batch size or momentum. Both start from epoch 0 with
// the same data and (unless the init is the change) the same initial weights, and train in
// lockstep: each tick sends one `step` to both sessions and waits for both frames. Two diagrams
// and one loss chart with both runs' curves; every number is from the two sessions' frames.
import { Diagram } from "./diagram.js";
import { layerSizes } from "./frame.js";
import { Stream } from "./stream.js";
import { fmt } from "./util.js";

const WIDTH_PAD = 24;

async function rest(method, path, body) {
  const opts = { method, headers: {} };
  if (body !== undefined) { opts.headers["Content-Type"] = "application/json"; opts.body = JSON.stringify(body); }
  const res = await fetch(path, opts);
  if (res.status === 204) return null;
  const data = await res.json().catch(() => null);
  if (!res.ok) {
    const d = data?.detail;
    throw new Error(Array.isArray(d) ? `${d[0].field}: ${d[0].msg}` : String(d ?? `HTTP ${res.status}`));
  }
  return data;
}

/** The changes one may make, each: how to read the value and apply it to a session body. */
export const CHANGES = {
  learning_rate: { label: "learning rate η", apply: (b, v) => { b.training.learning_rate = Number(v); } },
  activation: {
    label: "hidden activation",
    apply: (b, v) => { const a = b.network.activations; for (let l = 0; l < a.length - 1; l++) a[l] = v; },
  },
  init_seed: { label: "init seed", apply: (b, v) => { b.network.init.seed = Number(v); } },
  init_scheme: { label: "init scheme", apply: (b, v) => { b.network.init.scheme = v; } },
  batch_size: { label: "batch size", apply: (b, v) => { b.training.batch_size = Number(v); } },
  momentum: { label: "momentum", apply: (b, v) => { b.training.momentum = Number(v); } },
};

export class Compare {
  constructor(app, els) {
    this.app = app;
    this.els = els;
    this.active = false;
    this.b = null; // session B's state
    this.frames = { a: null, b: null };
    this.playing = false;
    this.stream = new Stream((m) => this.messageB(m), () => {});
    els.open.addEventListener("click", () => this.openPanel());
    els.close.addEventListener("click", () => this.end());
    els.start.addEventListener("click", () => this.start());
    els.play.addEventListener("click", () => (this.playing ? this.pause() : this.play()));
    els.step.addEventListener("click", () => { this.pause(); this.tick(); });
    els.field.addEventListener("change", () => this.fillValues());
    for (const [k, c] of Object.entries(CHANGES)) {
      const o = document.createElement("option");
      o.value = k; o.textContent = c.label;
      els.field.append(o);
    }
    this.fillValues();
  }

  /** Offer values that differ from A's setting. */
  fillValues() {
    const field = this.els.field.value, cat = this.app.catalog, sel = this.els.value;
    const options = {
      learning_rate: ["0.3", "0.1", "0.03", "0.01", "0.003", "1", "3"],
      activation: cat.activations.filter((a) => !a.output_only).map((a) => a.name),
      init_seed: ["1", "2", "3", "4"],
      init_scheme: cat.init_schemes,
      batch_size: ["1", "5", "10", "30", "100"],
      momentum: ["0", "0.5", "0.9"],
    }[field];
    sel.replaceChildren(...options.map((v) => { const o = document.createElement("option"); o.value = o.textContent = v; return o; }));
    const current = String(this.currentValue(field));
    sel.value = options.find((v) => v !== current) ?? options[0];
  }

  currentValue(field) {
    const c = this.app.session?.config;
    if (!c) return null;
    return {
      learning_rate: c.training.learning_rate, activation: c.network.activations[0],
      init_seed: c.network.init.seed, init_scheme: c.network.init.scheme,
      batch_size: c.training.batch_size, momentum: c.training.momentum,
    }[field];
  }

  openPanel() {
    this.els.panel.hidden = false;
    this.els.err.textContent = "";
    this.fillValues();
    this.els.what.textContent = "Run B is this session with one change; both start again from epoch 0 and train in lockstep.";
  }

  /** Create B, reset A, lay out both diagrams. */
  async start() {
    const app = this.app, els = this.els;
    els.err.textContent = "";
    this.pause();
    app.pause();
    const field = els.field.value, value = els.value.value;
    const bodyB = structuredClone(app.state.sessionBody());
    bodyB.network ??= {}; bodyB.training ??= {};
    bodyB.network.activations ??= structuredClone(app.session.config.network.activations);
    bodyB.network.init ??= structuredClone(app.session.config.network.init);
    CHANGES[field].apply(bodyB, value);
    await this.dropB();
    let b, a0;
    try {
      b = await rest("POST", "/api/sessions", bodyB);
      a0 = await rest("POST", `/api/sessions/${encodeURIComponent(app.session.id)}/reset`);
    } catch (err) {
      els.err.textContent = err.message;
      if (b) rest("DELETE", `/api/sessions/${encodeURIComponent(b.id)}`).catch(() => {});
      return;
    }
    this.b = b;
    this.change = `${CHANGES[field].label} = ${value} (A: ${this.currentValue(field)})`;
    this.active = true;
    els.view.hidden = false;
    els.labelA.textContent = `A: this session`;
    els.labelB.textContent = `B: ${this.change}`;
    this.frames = { a: a0?.weights ? a0 : null, b: b.frame };
    this.curves = { epoch: [], aTrain: [], aTest: [], bTrain: [], bTest: [] };
    this.layout();
    this.frameArrived("b", b.frame); // both at epoch 0: the curves' first point
    this.stream.connect(b.id);
    this.waiting = null;
    this.draw();
  }

  layout() {
    const els = this.els;
    const s = this.app.session;
    // room on the right of each diagram for a long E label (the svg lets it spill over)
    const w = Math.max(300, (els.view.clientWidth - WIDTH_PAD) / 2 - 44);
    for (const [key, el, sess] of [["a", els.diagramA, s], ["b", els.diagramB, this.b]]) {
      el.style.width = `${w}px`;
      const d = (this[`diagram_${key}`] ??= new Diagram(el, { onHover() {}, onSelect() {} }));
      const f = key === "a" ? this.frames.a ?? this.app.frame : this.frames.b;
      d.setNetwork({
        layerSizes: layerSizes(f), activations: sess.config.network.activations,
        featureNames: sess.data.feature_names || [], showBias: false,
        heatmaps: (sess.data.domain?.length ?? 0) === 2 && !!f.grid,
      });
    }
    this.makeChart();
  }

  makeChart() {
    if (this.chart) this.chart.destroy();
    const v = (u, x) => (x == null ? "–" : x.toPrecision(5));
    this.chart = new window.uPlot({
      width: Math.max(300, this.els.view.clientWidth - WIDTH_PAD), height: 150,
      legend: { live: true },
      cursor: { drag: { x: false, y: false } },
      scales: { x: { time: false } },
      axes: [
        { size: 26, font: "11px system-ui", incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000] },
        { size: 46, font: "11px system-ui" },
      ],
      series: [
        { label: "epoch" },
        { label: "A train", stroke: "#3454d1", width: 2, value: v },
        { label: "A test", stroke: "#3454d1", width: 2, dash: [5, 3], value: v },
        { label: "B train", stroke: "#c2410c", width: 2, value: v },
        { label: "B test", stroke: "#c2410c", width: 2, dash: [5, 3], value: v },
      ],
    }, this.chartData(), this.els.chart);
  }

  chartData() {
    const c = this.curves || { epoch: [], aTrain: [], aTest: [], bTrain: [], bTest: [] };
    return [c.epoch, c.aTrain, c.aTest, c.bTrain, c.bTest];
  }

  /** A frame of A (the page's stream) or B arrived. */
  frameArrived(key, f) {
    if (!this.active) return;
    this.frames[key] = f;
    const a = this.frames.a, b = this.frames.b;
    if (a && b && a.epoch === b.epoch && this.curves.epoch.at(-1) !== a.epoch) {
      const c = this.curves;
      if (c.epoch.length && a.epoch < c.epoch.at(-1)) for (const k of Object.keys(c)) c[k].length = 0;
      c.epoch.push(a.epoch); c.aTrain.push(a.loss.train); c.aTest.push(a.loss.test ?? null);
      c.bTrain.push(b.loss.train); c.bTest.push(b.loss.test ?? null);
      this.chart.setData(this.chartData());
    }
    if (!this._raf) this._raf = requestAnimationFrame(() => { this._raf = 0; this.draw(); });
    const w = this.waiting;
    if (w && a && b && a.epoch >= w && b.epoch >= w) {
      this.waiting = null;
      if (this.playing) this.timer = setTimeout(() => this.tick(), this.interval());
    }
  }

  messageA(m) {
    if (m.type === "frame") this.frameArrived("a", m);
    else if (m.type === "error" && this.active) { this.els.err.textContent = `A: ${m.message}`; this.pause(); }
  }

  messageB(m) {
    if (m.type === "frame") this.frameArrived("b", m);
    else if (m.type === "error") { this.els.err.textContent = `B: ${m.message}`; this.pause(); }
  }

  draw() {
    if (!this.active) return;
    const a = this.frames.a ?? this.app.frame, b = this.frames.b;
    if (a) this.diagram_a.render(a);
    if (b) this.diagram_b.render(b);
    const line = (f) => (f ? `epoch ${f.epoch} · train ${fmt(f.loss.train, 4)} · test ${fmt(f.loss.test, 4)}${f.status === "diverged" ? " · diverged" : ""}` : "");
    this.els.statA.textContent = line(a);
    this.els.statB.textContent = line(b);
  }

  interval() { return 1000 / Math.max(1, Number(this.els.speed.value)); }

  /** One lockstep step: one epoch on both, the next only once both frames are in. */
  tick() {
    if (!this.active || this.waiting !== null) return;
    const a = this.frames.a ?? this.app.frame, b = this.frames.b;
    if (!a || !b) return;
    if (a.status === "diverged" || b.status === "diverged") { this.pause(); return; }
    this.waiting = Math.max(a.epoch, b.epoch) + 1;
    this.app.stream.send({ type: "step", epochs: this.waiting - a.epoch });
    this.stream.send({ type: "step", epochs: this.waiting - b.epoch });
  }

  play() {
    if (!this.active) return;
    this.playing = true;
    this.els.play.textContent = "pause both";
    this.tick();
  }

  pause() {
    this.playing = false;
    clearTimeout(this.timer);
    this.els.play.textContent = "play both";
  }

  async dropB() {
    this.stream.close();
    if (this.b) {
      const id = this.b.id;
      this.b = null;
      await rest("DELETE", `/api/sessions/${encodeURIComponent(id)}`).catch(() => {});
    }
  }

  /** Close the comparison: B is deleted, A stays as it is. */
  async end() {
    this.pause();
    this.active = false;
    this.waiting = null;
    this.els.view.hidden = true;
    this.els.panel.hidden = true;
    await this.dropB();
  }
}
