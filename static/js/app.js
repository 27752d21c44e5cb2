// The page's coordinator: builds the widgets, wires the controls and draws the newest frame.
// The stream's messages go out on the page's bus (an EventTarget), to which the App and the other
// modules subscribe; nothing reaches back into the App. The session's life is in session.js,
// play in player.js, the small messages in ui.js; the widgets are one module each. The App's
// wiring of the page's buttons and keys is in app-wiring.js, its training actions in
// app-training.js (mixed into the App below).
import { Training } from "./app-training.js";
import { Wiring } from "./app-wiring.js";
import { Controls, errorField } from "./controls.js";
import { Derivation } from "./derivation.js";
import { Diagram } from "./diagram.js";
import { Extras } from "./extras.js";
import { gridCurve } from "./grid.js";
import { accuracy, inputDims, layerSizes, targetRange } from "./frame.js";
import { OutputPlot } from "./heatmap.js";
import { adaptToDataset, pairOutputAndLoss } from "./pairing.js";
import { Inspector } from "./inspector.js";
import { CurveChart, LossChart } from "./losschart.js";
import { Notice } from "./notice.js";
import { Player } from "./player.js";
import { EpochRate } from "./rate.js";
import { SessionKeeper } from "./session.js";
import { Stream } from "./stream.js";
import { PageUI } from "./ui.js";
import { fmt, setText } from "./util.js";

const $ = (id) => document.getElementById(id);

export class App {
  constructor(catalog, state) {
    this.catalog = catalog;
    this.state = state;
    this.frame = null;
    this.selection = null;
    this.framesSeen = 0;
    this.ui = new PageUI();
    this.bus = new EventTarget(); // each event a CustomEvent, its payload the `detail`
    this.diagram = new Diagram($("diagram"), {
      onHover: (hit, e) => this.ui.tooltip(hit, e, this.frame, this.session),
      onSelect: (hit) => this.select(hit),
    });
    this.plot = new OutputPlot($("output-plot"), (i) => this.stream.send({ type: "probe", index: i }));
    this.loss = new LossChart($("loss-chart"));
    this.curve = new CurveChart($("curve-chart"));
    this.inspector = new Inspector($("inspector"), { onEdit: (...a) => this.editParam(...a), bus: this.bus });
    this.derivation = new Derivation($("derivation"), {
      onStart: () => this.stepSample(),
      onHighlight: (hl) => this.diagram.highlight(hl),
    });
    this.stream = new Stream(this.bus, (s, text) => this.sessions.connState(s, text));
    this.controls = new Controls(catalog, state, {
      onChange: (group, name) => this.changed(group, name),
      onRegenerate: () => { this.state.set("dataSeed", (this.state.get("dataSeed") || 0) + 1); this.changed("dataset", "dataSeed"); },
      onGradCheck: () => this.gradCheck(),
    }, { bus: this.bus, stream: this.stream });
    this.rate = new EpochRate();
    this.player = new Player(this.stream, $("btn-play"), {
      epoch: () => this.frame?.epoch ?? 0,
      onRunning: (on) => { this.rate.reset(); if (!on) this.ui.clearRate(); },
    });
    this.notice = new Notice($("notice"));
    this.sessions = new SessionKeeper({
      bus: this.bus, state, ui: this.ui, notice: this.notice, stream: this.stream, player: this.player,
      play: () => this.play(),
    });
    this.listen();
    this.wire();
    this.extras = new Extras(this);
  }

  /** What the App shows of the bus: frames, statuses, sample steps, errors, the loss history,
   * an adopted session and a refused setup gone back. */
  listen() {
    const bus = this.bus;
    bus.addEventListener("session", (e) => this.showSession(e.detail.session, e.detail.own));
    bus.addEventListener("setup-restored", () => { this.controls.sync(); this.layout(); });
    bus.addEventListener("frame", (e) => this.frameArrived(e.detail));
    bus.addEventListener("status", (e) => this.statusArrived(e.detail));
    bus.addEventListener("history", (e) => { this.history = e.detail; this.loss.setHistory(e.detail, this.frame); });
    bus.addEventListener("sample_step", (e) => {
      this.tab("derivation");
      this.derivation.load(e.detail, this.session.config, this.catalog);
    });
    bus.addEventListener("error", (e) => this.errorArrived(e.detail));
  }

  get session() { return this.sessions.session; }
  get ownSession() { return this.sessions.own; }
  get gone() { return this.sessions.gone; }
  get running() { return this.player.running; }
  get backup() { return this.sessions.backup; }
  createSession(body) { return this.sessions.create(body); }
  joinSession(id) { return this.sessions.join(id); }

  /** Show a newly adopted session: its data, its controls, an empty inspector. */
  showSession(s, own) {
    this.controls.sync();
    this.range = targetRange(s.data);
    this.plot.setData(s.data, this.range);
    this.plot.showTest = !!this.state.get("showTest");
    this.plot.drawPoints();
    this.controls.preview(s.data, this.range);
    this.controls.renderFeatures(inputDims(s));
    const oneD = inputDims(s) === 1;
    $("curve-section").hidden = !oneD;
    $("output-section").hidden = inputDims(s) !== 2;
    if (oneD) this.curve.setData(s.data.train.points, s.data.train.targets);
    $("acc-box").hidden = s.data.task !== "classification"; // regression: no accuracy
    this.ui.setJoined(!own);
    this.frame = s.frame;
    this.history = null;
    this.selection = null;
    this.inspector.clear();
    this.derivation.idle();
    this.layout();
    this.loss.reset();
  }

  /** Copy a link that lets another browser watch this very session live. */
  async shareLive() {
    const url = `${location.origin}${location.pathname}#join=${encodeURIComponent(this.session.id)}`;
    let copied = false;
    try { await navigator.clipboard.writeText(url); copied = true; } catch { /* not a secure context */ }
    if (copied) this.ui.toast(`Copied: ${url} — whoever opens it watches (and can drive) this session live.`, "info");
    else this.ui.showLink(url, "Whoever opens this link watches — and can drive — this session live. The browser did not let the page copy it (the clipboard needs https or localhost): copy it by hand.");
    return url;
  }

  changed(group, name) {
    this.ui.clearErrors();
    // a change that makes another setting invalid changes that one too, and says so
    const notes = name === "dataset" ? adaptToDataset(this.state, this.catalog)
      : name === "activations" ? pairOutputAndLoss(this.state, this.catalog, "activation")
        : name === "loss" ? pairOutputAndLoss(this.state, this.catalog, "loss") : [];
    this.state.writeHash();
    this.controls.sync();
    // a live training setting went to the running session from the controls (sendLive)
    if (group === "training" && name !== "seed") return;
    this.sessions.recreate().then((ok) => { if (ok) for (const n of notes) this.ui.showNote(n.field, n.text); });
  }

  layout() {
    const f = this.frame;
    if (!f || !this.session) return;
    const dims = inputDims(this.session);
    this.diagram.setNetwork({
      layerSizes: layerSizes(f),
      activations: this.session.config.network.activations,
      featureNames: this.session.data.feature_names || [],
      showBias: !!this.state.get("bias"),
      heatmaps: (dims === 1 || dims === 2) && !!f.grid, // 2-D: heatmaps; 1-D: curves a(x)
    });
    this.diagram.setView(this.state.get("view") || "forward");
    this.controls.renderLayerHeads(this.diagram);
    this.diagram.select(this.selection);
    this.draw();
  }

  // ---------- stream ----------
  frameArrived(m) {
    this.framesSeen++;
    this.frame = m;
    this.player.frameArrived(m);
    this.noteDiverged(m.status);
    if (layerSizes(m).join() !== this.diagram.cols.map((c) => c.n).join()) this.layout();
    this.loss.add(m.epoch, m.loss.train, m.loss.test);
    if (!this._raf) this._raf = requestAnimationFrame(() => { this._raf = 0; this.draw(); });
  }

  statusArrived(m) {
    if (m.status === "restoring") return; // session.js shows it
    const wasRunning = this.running;
    this.player.setRunning(m.status === "running");
    if (wasRunning && !this.running) this.sessions.backupSoon();
    if (this.running) this.rate.note(m.epoch);
    this.noteDiverged(m.status);
  }

  errorArrived(m) {
    if (m.field === "session_id") return; // the socket closes with 4404 next: see connState
    if (this.player.paced) this.pause(); // a refused step would otherwise be waited for forever
    // (a refused live setting is put back by the controls, which sent it)
    this.ui.showError(errorField(this.catalog, m, this.controls.lastSetField), m.message);
  }

  /** Show `f` (a replayed epoch's frame, the live one again, an edit's answer) until the next
   * frame, the inspector too (live frames reach it on the bus). */
  showFrame(f) {
    this.frame = f;
    this.draw();
    if (this.selection) this.inspector.refresh(this.ctx());
  }

  // ---------- drawing ----------
  draw() {
    const f = this.frame;
    if (!f) return;
    this.diagram.render(f);
    const dims = inputDims(this.session);
    if (f.grid && dims === 2) this.plot.render(f.grid);
    if (f.grid && dims === 1) this.drawCurve(f.grid);
    this.plot.setProbe(f.probe?.index ?? 0);
    setText($("epoch"), String(f.epoch)); // (only what changed is written: issue 21)
    if (this.running) { this.rate.note(f.epoch); this.ui.setRate(this.rate.value()); }
    setText($("loss-train"), fmt(f.loss.train, 4));
    setText($("loss-test"), fmt(f.loss.test, 4));
    const acc = accuracy(f);
    setText($("acc"), acc == null ? "–" : `${(acc * 100).toFixed(1)}%`);
    setText($("probe-label"), `probe #${f.probe?.index ?? 0}`);
    if (f.status === "diverged") this.player.setRunning(false);
  }

  /** 1-D data: the network's output curve, looked up at the data's x (nearest grid cell). */
  drawCurve(grid) {
    const out = grid.layers.at(-1)?.[0];
    if (!out) return;
    const { xs, ys, lo, hi, R } = gridCurve(grid, out);
    const as = this.curve.xs.map((x) => ys[Math.max(0, Math.min(R - 1, Math.floor(((x - lo) / (hi - lo)) * R)))]);
    this.curve.setCurve(xs, as);
  }

  ctx() {
    return { frame: this.frame, config: this.session.config, catalog: this.catalog };
  }

  setView(view) {
    this.state.set("view", view);
    this.state.writeHash();
    $("view-forward").classList.toggle("on", view === "forward");
    $("view-backward").classList.toggle("on", view === "backward");
    $("view-forward").setAttribute("aria-checked", String(view === "forward"));
    $("view-backward").setAttribute("aria-checked", String(view === "backward"));
    this.diagram.setView(view);
  }

  select(hit) {
    this.selection = hit;
    this.diagram.select(hit);
    if (hit) this.tab("inspector");
    this.inspector.show(hit, this.ctx());
  }

  tab(name) {
    for (const t of ["inspector", "derivation"]) {
      $(`tab-${t}`).classList.toggle("on", t === name);
      $(`tab-${t}`).setAttribute("aria-selected", String(t === name));
      $(t).hidden = t !== name;
    }
    if (name === "inspector") this.diagram.highlight(null);
    else if (this.derivation.stages.length) this.derivation.go(this.derivation.i);
  }
}

mixIn(App, Wiring, Training);

/** Give `target`'s instances the methods of each class in `sources`, as if declared in it
 * (not enumerable, like a class's own methods). */
function mixIn(target, ...sources) {
  for (const source of sources) {
    for (const name of Object.getOwnPropertyNames(source.prototype)) {
      if (name !== "constructor") Object.defineProperty(target.prototype, name, Object.getOwnPropertyDescriptor(source.prototype, name));
    }
  }
}
