// The page's coordinator: builds the widgets, wires the controls and draws the newest frame.
// The stream's messages go out on the page's bus (an EventTarget), to which the App and the other
// modules subscribe; nothing reaches back into the App. The session's life is in session.js,
// play in player.js, the small messages in ui.js; the widgets are one module each.
import { api } from "./api.js";
import { Controls, errorField } from "./controls.js";
import { Derivation } from "./derivation.js";
import { Diagram } from "./diagram.js";
import * as exporter from "./export.js";
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

  wire() {
    $("btn-play").addEventListener("click", () => this.togglePlay());
    $("btn-step").addEventListener("click", () => this.step());
    $("btn-step-sample").addEventListener("click", () => this.stepSample());
    $("btn-reset").addEventListener("click", () => this.reset());
    $("speed").addEventListener("change", () => {
      this.state.set("speed", $("speed").value); // remembered in the URL
      this.state.writeHash();
      if (this.running) { this.pause(); this.play(); }
    });
    this.showSpeed();
    $("view-forward").addEventListener("click", () => this.setView("forward"));
    $("view-backward").addEventListener("click", () => this.setView("backward"));
    $("show-bias").addEventListener("change", (e) => { this.state.set("bias", e.target.checked); this.state.writeHash(); this.layout(); });
    $("show-test").addEventListener("change", (e) => { this.state.set("showTest", e.target.checked); this.plot.showTest = e.target.checked; this.plot.drawPoints(); this.state.writeHash(); });
    $("discretize").addEventListener("change", (e) => { this.plot.discretize = e.target.checked; if (this.frame) this.plot.render(this.frame.grid); });
    $("log-scale").addEventListener("change", (e) => {
      this.state.set("logScale", e.target.checked);
      this.state.writeHash();
      this.loss.setLog(e.target.checked);
      if (this.history) this.loss.setHistory(this.history, this.frame);
    });
    $("tab-inspector").addEventListener("click", () => this.tab("inspector"));
    $("tab-derivation").addEventListener("click", () => this.tab("derivation"));
    $("btn-svg").addEventListener("click", () => exporter.downloadSVG(this.diagram));
    $("btn-png").addEventListener("click", () => exporter.downloadPNG(this.diagram));
    $("btn-json").addEventListener("click", async () => {
      try { exporter.downloadJSON(await this.sessions.exportNet()); } catch { /* shown by exportNet */ }
    });
    $("btn-csv").addEventListener("click", async () => {
      const id = this.session.id;
      try { exporter.downloadCSV(await api.history(id)); } catch (err) { this.sessions.failed(err, id, "network"); }
    });
    $("import-file").addEventListener("change", async (e) => {
      const f = e.target.files[0];
      e.target.value = "";
      if (f) await this.sessions.importNet(await exporter.readJSON(f).catch((err) => { this.ui.showError("network", `import: ${err.message}`); return null; }));
    });
    document.addEventListener("keydown", (e) => {
      if (e.target.closest("input, select, textarea")) return;
      if (e.ctrlKey || e.metaKey || e.altKey) return;
      if (e.code === "Space") { e.preventDefault(); this.togglePlay(); }
      else if (e.code === "ArrowRight") { e.preventDefault(); this.step(); }
      else if (e.code === "KeyR") { e.preventDefault(); this.reset(); }
    });
    window.addEventListener("hashchange", () => {
      if (!this.state.readHash()) return;
      const join = this.state.get("join");
      if (join && join !== this.session?.id) this.sessions.join(join);
      else { this.controls.sync(); this.showSpeed(); this.sessions.recreate(); }
    });
    $("btn-share").addEventListener("click", () => this.shareLive());
    window.addEventListener("resize", () => this.layout());
    window.addEventListener("online", () => { if (!this.gone) this.stream.retryNow(); });
    // A closed or reloaded tab deletes the session it created (not one it joined), so that
    // sessions do not pile up against the per-client limit or train on with nobody watching.
    window.addEventListener("pagehide", (e) => { if (!e.persisted) this.sessions.deleteOnClose(); });
  }

  /** The speed select shows the State's speed (from the URL), if it is one it offers. */
  showSpeed() {
    const v = String(this.state.get("speed") ?? "0");
    if ([...$("speed").options].some((o) => o.value === v)) $("speed").value = v;
  }

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

  // ---------- training ----------
  togglePlay() { if (this.running) this.pause(); else this.play(); }

  play() {
    if (this.sessions.blockedByGone()) return;
    this.player.play(Number($("speed").value));
  }

  pause() { this.player.pause(); }

  reset() {
    if (this.sessions.blockedByGone()) return;
    this.pause();
    this.stream.send({ type: "reset" });
    this.loss.reset();
  }

  step() {
    if (this.sessions.blockedByGone()) return;
    this.pause();
    this.stream.send({ type: "step", epochs: 1 });
  }

  stepSample() {
    if (this.sessions.blockedByGone()) return;
    this.pause();
    this.stream.send({ type: "step_sample" });
  }

  /** Say so once when training diverges (from a status or a frame, whichever comes first). */
  noteDiverged(status) {
    if (status === "diverged" && !this._divergedShown) {
      this._divergedShown = true;
      this.ui.toast("Training diverged (loss became NaN or infinite) — lower the learning rate and reset.");
    } else if (status !== "diverged") this._divergedShown = false;
  }

  async gradCheck() {
    const out = $("gradcheck-out");
    out.textContent = "checking…";
    try {
      const r = await api.gradientCheck(this.session.id);
      const e = r.max_rel_error;
      const ok = e < 1e-4;
      out.innerHTML = `max relative error <b class="${ok ? "ok" : "bad"}">${fmt(e, 2)}</b> — ${ok ? "backprop agrees with finite differences" : "analytic and numeric gradients disagree"}`;
    } catch (err) {
      out.textContent = "";
      this.sessions.failed(err, this.session.id, "gradient_check");
    }
  }

  async editParam(kind, where, value, errEl) {
    errEl.textContent = "";
    if (!Number.isFinite(value)) { errEl.textContent = "enter a finite number"; return; }
    if (this.sessions.blockedByGone()) return;
    try {
      const r = kind === "bias" ? await api.setBias(this.session.id, where.layer, where.j, value)
        : await api.setWeight(this.session.id, where.layer, where.i, where.j, value);
      const f = r?.type === "frame" ? r : r?.frame;
      if (f?.weights) this.showFrame(f);
    } catch (err) {
      errEl.textContent = err.message;
      this.sessions.failed(err, this.session.id);
    }
  }
}
