// Wires the page: State ↔ URL, REST session lifecycle, the live stream, and the widgets.
import { api, ApiError } from "./api.js";
import { Backup } from "./backup.js";
import { Controls } from "./controls.js";
import { Derivation } from "./derivation.js";
import { Diagram, featureLabel } from "./diagram.js";
import * as exporter from "./export.js";
import { OutputPlot } from "./heatmap.js";
import { Inspector } from "./inspector.js";
import { CurveChart, LossChart } from "./losschart.js";
import { Notice } from "./notice.js";
import { State } from "./state.js";
import { Stream } from "./stream.js";
import { b64bytes, fmt } from "./util.js";

const $ = (id) => document.getElementById(id);

class App {
  constructor(catalog, state) {
    this.catalog = catalog;
    this.state = state;
    this.session = null;
    this.frame = null;
    this.running = false;
    this.selection = null;
    this.consoleErrors = [];
    this.framesSeen = 0;
    this.diagram = new Diagram($("diagram"), {
      onHover: (hit, e) => this.tooltip(hit, e),
      onSelect: (hit) => this.select(hit),
    });
    this.plot = new OutputPlot($("output-plot"), (i) => this.stream.send({ type: "probe", index: i }));
    this.loss = new LossChart($("loss-chart"));
    this.curve = new CurveChart($("curve-chart"));
    this.inspector = new Inspector($("inspector"), { onEdit: (...a) => this.editParam(...a) });
    this.derivation = new Derivation($("derivation"), {
      onStart: () => this.stepSample(),
      onHighlight: (hl) => this.diagram.highlight(hl),
    });
    this.controls = new Controls(catalog, state, {
      onChange: (group, name) => this.changed(group, name),
      onRegenerate: () => { this.state.set("dataSeed", (this.state.get("dataSeed") || 0) + 1); this.changed("dataset", "dataSeed"); },
      onGradCheck: () => this.gradCheck(),
    });
    this.stream = new Stream((m) => this.message(m), (s, text, info) => this.connState(s, text, info));
    this.notice = new Notice($("notice"));
    // The newest export of the page's own session, so that a session the server lost can be
    // created again (see sessionGone).
    this.backup = new Backup((id) => api.exportNet(id));
    this.gone = null; // the id of the page's session once the server no longer has it
    this.wire();
  }

  wire() {
    $("btn-play").addEventListener("click", () => this.togglePlay());
    $("btn-step").addEventListener("click", () => this.step());
    $("btn-step-sample").addEventListener("click", () => this.stepSample());
    $("btn-reset").addEventListener("click", () => {
      if (this.blockedByGone()) return;
      this.pause(); this.stream.send({ type: "reset" }); this.loss.reset();
    });
    $("speed").addEventListener("change", () => { if (this.running) { this.pause(); this.play(); } });
    $("view-forward").addEventListener("click", () => this.setView("forward"));
    $("view-backward").addEventListener("click", () => this.setView("backward"));
    $("show-bias").addEventListener("change", (e) => { this.state.set("bias", e.target.checked); this.state.writeHash(); this.layout(); });
    $("show-test").addEventListener("change", (e) => { this.state.set("showTest", e.target.checked); this.plot.showTest = e.target.checked; this.plot.drawPoints(); this.state.writeHash(); });
    $("discretize").addEventListener("change", (e) => { this.plot.discretize = e.target.checked; if (this.frame) this.plot.render(this.frame.grid); });
    $("log-scale").addEventListener("change", async (e) => { this.state.set("logScale", e.target.checked); this.state.writeHash(); this.loss.setLog(e.target.checked); await this.loadHistory(); });
    $("tab-inspector").addEventListener("click", () => this.tab("inspector"));
    $("tab-derivation").addEventListener("click", () => this.tab("derivation"));
    $("btn-svg").addEventListener("click", () => exporter.downloadSVG(this.diagram));
    $("btn-png").addEventListener("click", () => exporter.downloadPNG(this.diagram));
    $("btn-json").addEventListener("click", async () => {
      try { exporter.downloadJSON(await this.exportNet()); } catch { /* shown by exportNet */ }
    });
    $("btn-csv").addEventListener("click", async () => {
      const id = this.session.id;
      try { exporter.downloadCSV(await api.history(id)); } catch (err) { this.failed(err, id, "network"); }
    });
    $("import-file").addEventListener("change", async (e) => {
      const f = e.target.files[0];
      e.target.value = "";
      if (f) await this.importNet(await exporter.readJSON(f).catch((err) => { this.showError("network", `import: ${err.message}`); return null; }));
    });
    document.addEventListener("keydown", (e) => {
      if (e.target.closest("input, select, textarea")) return;
      if (e.code === "Space") { e.preventDefault(); this.togglePlay(); }
      else if (e.code === "ArrowRight") { e.preventDefault(); this.step(); }
    });
    window.addEventListener("hashchange", () => {
      if (!this.state.readHash()) return;
      const join = this.state.get("join");
      if (join && join !== this.session?.id) this.joinSession(join);
      else { this.controls.sync(); this.recreate(); }
    });
    $("btn-share").addEventListener("click", () => this.shareLive());
    window.addEventListener("resize", () => this.layout());
    window.addEventListener("online", () => { if (!this.gone) this.stream.retryNow(); });
    // A closed or reloaded tab deletes the session it created (not one it joined), so that
    // sessions do not pile up against the per-client limit or train on with nobody watching.
    window.addEventListener("pagehide", (e) => {
      if (e.persisted || !this.session || !this.ownSession || this.gone) return;
      this.backup.forget(this.session.id);
      fetch(`/api/sessions/${encodeURIComponent(this.session.id)}`, { method: "DELETE", keepalive: true }).catch(() => {});
    });
  }

  // ---------- session lifecycle ----------
  async recreate() {
    clearTimeout(this._recreateTimer);
    return new Promise((resolve) => {
      this._recreateTimer = setTimeout(async () => resolve(await this.createSession(this.state.sessionBody())), 60);
    });
  }

  async createSession(body) {
    this.clearErrors();
    // Quick edits can overlap: only the newest request's session is adopted, whatever order
    // the answers come back in; a stale one is deleted again.
    const seq = (this._seq = (this._seq || 0) + 1);
    let s;
    try {
      s = await api.createSession(body);
      if (seq !== this._seq) {
        api.deleteSession(s.id).catch(() => {});
        return false;
      }
    } catch (err) {
      if (seq !== this._seq) return false;
      this.showError(err.field || "network", err.message);
      const old = this.session;
      if (old) { this.state.fromConfig(old.config); this.controls.sync(); this.state.writeHash(); }
      return false;
    }
    await this.adopt(s, true);
    return true;
  }

  /** Watch (and drive) a live session somebody shared with a `#join=<id>` link. */
  async joinSession(id) {
    const seq = (this._seq = (this._seq || 0) + 1);
    let s;
    try {
      s = await api.getSession(id);
      if (seq !== this._seq) return false;
    } catch (err) {
      this.state.set("join", undefined);
      this.toast(`The shared session is gone (${err.message}); this is a new one.`);
      return false;
    }
    await this.adopt(s, false);
    return true;
  }

  /** Make `s` the page's session. A session this page created (`own`) is paused and deleted
   * when the page moves on; a joined one is left exactly as it is for its owner. */
  async adopt(s, own) {
    const old = this.session, oldOwn = this.ownSession;
    const wasRunning = this.running && own;
    if (oldOwn) this.pause();
    else { clearTimeout(this._timer); this._timer = null; this._paced = null; this.running = false; }
    const oldGone = this.gone;
    this.session = s;
    this.ownSession = own;
    this.gone = null;
    this._restoring = false;
    this._goneChecks = 0;
    clearTimeout(this._lostTimer);
    clearTimeout(this._backupTimer);
    this.notice.hide();
    this.state.fromConfig(s.config);
    this.state.set("join", own ? undefined : s.id);
    this.state.writeHash();
    this.controls.sync();
    this.range = targetRange(s.data);
    this.plot.setData(s.data, this.range);
    this.plot.showTest = !!this.state.get("showTest");
    this.plot.drawPoints();
    this.controls.preview(s.data, this.range);
    this.controls.renderFeatures(s.data.domain?.length ?? 0);
    const oneD = s.data.domain?.length === 1;
    $("curve-section").hidden = !oneD;
    $("output-section").hidden = s.data.domain?.length !== 2;
    if (oneD) this.curve.setData(s.data.train.points, s.data.train.targets);
    $("acc-box").hidden = s.data.task !== "classification";
    this.frame = s.frame;
    this.selection = null;
    this.inspector.showEmpty();
    this.derivation.idle();
    this.layout();
    this.loss.reset();
    this.stream.connect(s.id);
    if (old && oldOwn && old.id !== s.id) {
      this.backup.forget(old.id);
      if (oldGone !== old.id) api.deleteSession(old.id).catch(() => {});
    }
    if (own) this.backupNow();
    await this.loadHistory();
    if (wasRunning) this.play();
    else this.setRunning(s.status === "running");
  }

  /** Copy a link that lets another browser watch this very session live. */
  async shareLive() {
    const url = `${location.origin}${location.pathname}#join=${encodeURIComponent(this.session.id)}`;
    let copied = false;
    try { await navigator.clipboard.writeText(url); copied = true; } catch { /* not a secure context */ }
    this.toast(`${copied ? "Copied" : "Share this link"}: ${url} — whoever opens it watches (and can drive) this session live.`);
    return url;
  }

  async loadHistory() {
    if (!this.session || this.gone) return;
    const id = this.session.id;
    try {
      const h = await api.history(id);
      if (this.session?.id === id) this.loss.setHistory(h);
    } catch (err) {
      this.failed(err, id); // history is optional, but a 404 means the session is gone
    }
  }

  async exportNet() {
    const id = this.session.id;
    try {
      const doc = await api.exportNet(id);
      if (this.ownSession) this.backup.keep(id, doc);
      return doc;
    } catch (err) {
      this.failed(err, id, "network");
      throw err;
    }
  }

  async importNet(doc) {
    if (!doc) return false;
    this.state.fromConfig(doc);
    return this.createSession(doc);
  }

  changed(group, name) {
    this.clearErrors();
    this.state.writeHash();
    this.controls.sync();
    if (group === "training" && name !== "seed") {
      this.stream.send({ type: "set", training: this.state.trainingBody() });
      this._lastSetField = `training.${name}`;
    } else this.recreate();
  }

  layout() {
    const f = this.frame;
    if (!f || !this.session) return;
    const sizes = [f.weights[0].length, ...f.weights.map((W) => W[0].length)];
    const dims = this.session.data.domain?.length ?? 0;
    this.diagram.setNetwork({
      layerSizes: sizes,
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
  message(m) {
    if (m.type === "frame") {
      this.framesSeen++;
      this.frame = m;
      this._goneChecks = 0;
      if (this._restoring) this.restored();
      this.pacedFrame(m);
      this.noteDiverged(m.status);
      const sizes = [m.weights[0].length, ...m.weights.map((W) => W[0].length)];
      if (sizes.join() !== this.diagram.cols.map((c) => c.n).join()) this.layout();
      this.loss.add(m.epoch, m.loss.train, m.loss.test);
      if (!this._raf) this._raf = requestAnimationFrame(() => { this._raf = 0; this.draw(); });
      this.backupAfterFrame();
    } else if (m.type === "status") {
      if (m.status === "restoring") { this.restoring(m); return; }
      const wasRunning = this.running;
      this.setRunning(m.status === "running");
      if (wasRunning && !this.running) this.backupSoon();
      // Frames skip epochs; the server's history has them all: refresh the curve when training
      // stops, and every few seconds while it runs.
      const now = performance.now();
      if ((wasRunning && m.status !== "running") || (m.status === "running" && now - (this._historyAt || 0) > 3000)) {
        this._historyAt = now;
        this.loadHistory();
      }
      $("eps").textContent = m.epochs_per_second ? fmt(m.epochs_per_second, 3).replace(/\.?0+$/, "") : "–";
      this.noteDiverged(m.status);
    } else if (m.type === "sample_step") {
      this.tab("derivation");
      this.derivation.load(m, this.session.config, this.catalog);
    } else if (m.type === "error") {
      if (m.field === "session_id") return; // the socket closes with 4404 next: see connState
      if (this._paced) this.pause(); // a refused step would otherwise be waited for forever
      this.showError(m.field || this._lastSetField || "", m.message);
    }
  }

  connState(s, text, info = {}) {
    if (this.gone) return;
    // amber while it is being retried, red only once the session is gone
    this.setPill(s === "gone" ? "closed" : s === "closed" ? "connecting" : s, text);
    clearTimeout(this._lostTimer);
    if (s === "open") {
      this.notice.hide("reconnecting");
      // back after a loss (a server restart, a blip): the server's history has every epoch,
      // and a restarted server may have gone back to the last checkpoint
      if (info.reconnect) this.loadHistory();
    } else if (s === "closed") {
      // a paced step in flight is lost with the socket; a restarted server comes back paused
      this.stopPaced();
      if (this.notice.kind !== "reconnecting") this._lostTimer = setTimeout(() => this.showReconnecting(), 800);
    } else if (s === "gone") {
      this.checkGone(this.session?.id);
    }
  }

  setPill(cls, text) {
    const pill = $("conn");
    pill.className = `pill ${cls}`;
    pill.textContent = text;
  }

  showReconnecting() {
    if (this.gone || this.stream.live) return;
    this.notice.show({
      kind: "reconnecting",
      title: "Lost the connection to the server — reconnecting…",
      text: "Your session is kept on the server: the page picks it up again, paused where it was saved, as soon as the server answers.",
      actions: [{ id: "btn-retry-now", label: "retry now", onClick: () => this.stream.retryNow() }],
    });
  }

  /** The session's trainer stopped; the server is bringing it back from its last checkpoint. */
  restoring(m) {
    this._restoring = true;
    this.setRunning(false);
    $("eps").textContent = "–";
    this.setPill("connecting", "restoring…");
    this.notice.show({
      kind: "restoring",
      title: "Trainer restarted — restoring from the last checkpoint…",
      text: m.message ? `The server says: ${m.message}.` : "",
    });
  }

  /** The first frame after `restoring`: the session is back. */
  restored() {
    this._restoring = false;
    if (this._paced) this._paced.waitingFor = null; // a step sent before may have been lost
    this.notice.hide("restoring");
    if (this.stream.live) this.setPill("open", "live");
    this.loadHistory();
  }

  /** The server closed the socket saying it has no such session (4404). That is also what a
   * server says of a session it is about to bring back, so ask REST before giving up. */
  async checkGone(id) {
    if (!id || id !== this.session?.id || this.gone) return;
    this._goneChecks = (this._goneChecks || 0) + 1;
    let status = 200;
    try { await api.getSession(id); } catch (err) { status = err.status ?? 0; }
    if (id !== this.session?.id || this.gone) return;
    if (status === 404 || (status === 200 && this._goneChecks > 3)) this.sessionGone(id);
    else setTimeout(() => { if (id === this.session?.id && !this.gone) this.stream.retryNow(); }, 400 * this._goneChecks);
  }

  /** A REST call about session `id` failed: a 404 means the session is gone; anything else is
   * shown next to `field` (when given). */
  failed(err, id, field) {
    if (err?.status === 404 && id === this.session?.id) this.sessionGone(id);
    else if (field) this.showError(err.field || field, err.message);
  }

  /** The server no longer has the page's session (deleted, or removed after the retention
   * period). A shared one that ended is followed by a copy of its setup; the page's own work is
   * never dropped silently: it says so and offers its setup and its last export back. */
  sessionGone(id) {
    if (!this.session || id !== this.session.id || this.gone) return;
    if (!this.ownSession) {
      // the owner of a shared session moved on or deleted it: carry on with a copy of its setup
      this.toast("The shared session has ended; this page now trains its own copy of that setup.");
      this.createSession(this.state.sessionBody());
      return;
    }
    this.gone = id;
    this._restoring = false;
    clearTimeout(this._lostTimer);
    clearTimeout(this._backupTimer);
    this.stopPaced();
    this.setRunning(false);
    this.stream.close();
    $("eps").textContent = "–";
    this.setPill("closed", "session gone");
    const kept = this.backup.get(id);
    const when = kept ? new Date(kept.at).toLocaleTimeString() : "";
    this.notice.show({
      kind: "gone",
      title: "This session is gone from the server",
      text: "It was deleted, or removed after long disuse. "
        + (kept ? `Start again from the same setup with fresh weights, or restore the network as the page last exported it (epoch ${kept.epoch ?? "?"}, ${when}).`
          : "The page kept no export of it: start again from the same setup with fresh weights."),
      actions: [
        { id: "btn-start-again", label: "start again from this setup", onClick: () => this.startAgain() },
        { id: "btn-restore-export", label: kept ? `restore from last export (epoch ${kept.epoch ?? "?"})` : "restore from last export",
          disabled: !kept, primary: !!kept, title: kept ? "Create the session again from its last export, weights and all" : "no export of this session was kept",
          onClick: () => this.restoreExport(id) },
      ],
    });
  }

  blockedByGone() {
    if (this.gone) this.notice.pulse();
    return !!this.gone;
  }

  async startAgain() {
    this.notice.busy(true);
    const ok = await this.createSession(this.state.sessionBody());
    if (!ok) this.notice.busy(false);
  }

  async restoreExport(id) {
    const kept = this.backup.get(id);
    if (!kept) return;
    this.notice.busy(true);
    const ok = await this.importNet(structuredClone(kept.doc));
    if (!ok) this.notice.busy(false);
  }

  // ---------- keeping the last export ----------
  /** Export the page's own session now (and keep it: memory and localStorage). */
  backupNow() {
    clearTimeout(this._backupTimer);
    if (!this.session || !this.ownSession || this.gone) return;
    const id = this.session.id;
    this._backupAt = performance.now();
    this.backup.refresh(id).catch((err) => this.failed(err, id));
  }

  /** Export once things have settled (after a pause, a step, an edit). */
  backupSoon() {
    clearTimeout(this._backupTimer);
    if (!this.ownSession || this.gone) return;
    this._backupTimer = setTimeout(() => this.backupNow(), 700);
  }

  /** A frame arrived: while training, export every ~10 s; otherwise soon after it. */
  backupAfterFrame() {
    if (!this.ownSession || this.gone) return;
    if (!this.running) this.backupSoon();
    else if (performance.now() - (this._backupAt || 0) > 10000) this.backupNow();
  }

  // ---------- drawing ----------
  draw() {
    const f = this.frame;
    if (!f) return;
    this.diagram.render(f);
    if (f.grid && this.session?.data.domain?.length === 2) this.plot.render(f.grid);
    if (f.grid && this.session?.data.domain?.length === 1) this.drawCurve(f.grid);
    this.plot.setProbe(f.probe?.index ?? 0);
    $("epoch").textContent = String(f.epoch);
    $("loss-train").textContent = fmt(f.loss.train, 4);
    $("loss-test").textContent = fmt(f.loss.test, 4);
    const acc = f.metrics?.test_accuracy ?? f.metrics?.train_accuracy;
    $("acc").textContent = acc == null ? "–" : `${(acc * 100).toFixed(1)}%`;
    $("probe-label").textContent = `probe #${f.probe?.index ?? 0}`;
    if (f.status === "diverged") this.setRunning(false);
    if (this.selection) {
      this.inspector.refresh(this.ctx());
    }
  }

  drawCurve(grid) {
    const out = grid.layers.at(-1)?.[0];
    if (!out) return;
    const bytes = b64bytes(out.data);
    const R = grid.resolution, [lo, hi] = grid.domain[0];
    const gx = Array.from({ length: R }, (_, i) => lo + ((i + 0.5) * (hi - lo)) / R);
    const gy = Array.from(bytes, (b) => out.lo + ((out.hi - out.lo) * b) / 255);
    // the server's curve at grid cells, looked up at the data's x positions (nearest cell)
    const as = this.curve.xs.map((x) => gy[Math.max(0, Math.min(R - 1, Math.floor(((x - lo) / (hi - lo)) * R)))]);
    this.curve.setCurve(gx, as);
  }

  ctx() {
    // the probe sample's own ∂E/∂w = δ_j a_i and ∂E/∂b = δ_j, as the engine computed them
    const g = this.frame?.probe?.gradients, sel = this.selection;
    let sampleGrad = null;
    if (g && sel && sel.kind === "weight") sampleGrad = g.weights[sel.layer]?.[sel.i]?.[sel.j] ?? null;
    else if (g && sel && sel.kind === "bias") sampleGrad = g.biases[sel.layer]?.[sel.j] ?? null;
    return { frame: this.frame, config: this.session.config, catalog: this.catalog, sampleGrad };
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

  tooltip(hit, e) {
    const tip = $("tooltip");
    const f = this.frame;
    if (!hit || !f) { tip.hidden = true; return; }
    let html = "";
    if (hit.kind === "unit") {
      if (hit.layer === 0) {
        const name = this.session.data.feature_names?.[hit.j] ?? `x${hit.j + 1}`;
        html = `input a<sub>${hit.j + 1}</sub> = ${featureLabel(name)}: <b>${fmt(f.probe.input[hit.j])}</b>`;
      } else {
        const P = f.probe.layers[hit.layer - 1];
        html = `layer ${hit.layer} unit ${hit.j + 1}<br>z = <b>${fmt(P.z[hit.j])}</b> a = <b>${fmt(P.a[hit.j])}</b><br>g'(z) = <b>${fmt(P.g_prime[hit.j])}</b> δ = <b>${fmt(P.delta[hit.j])}</b>`;
      }
    } else if (hit.kind === "weight") {
      html = `w<sub>${hit.i + 1}${hit.j + 1}</sub> (layer ${hit.layer}→${hit.layer + 1}) = <b>${fmt(f.weights[hit.layer][hit.i][hit.j])}</b><br>epoch-mean ∂E/∂w = <b>${fmt(f.gradients.weights[hit.layer][hit.i][hit.j])}</b>`;
    } else if (hit.kind === "bias") {
      html = `b<sub>${hit.j + 1}</sub> (layer ${hit.layer + 1}) = <b>${fmt(f.biases[hit.layer][hit.j])}</b><br>epoch-mean ∂E/∂b = <b>${fmt(f.gradients.biases[hit.layer][hit.j])}</b>`;
    }
    tip.innerHTML = html + "<br><small>click to inspect</small>";
    tip.hidden = false;
    tip.style.left = `${e.clientX + 14}px`;
    tip.style.top = `${e.clientY + 12}px`;
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
    if (this.blockedByGone()) return;
    const speed = Number($("speed").value);
    this.setRunning(true);
    if (!speed) { this.stream.send({ type: "play" }); return; }
    // Paced by the page: one `step` at a time, the next only once the last one's frame is in,
    // so a slow network never piles up steps that go on after pause.
    this._paced = { interval: 1000 / speed, waitingFor: null };
    const tick = () => {
      const p = this._paced;
      if (!p) return;
      if (p.waitingFor === null) {
        p.waitingFor = (this.frame?.epoch ?? 0) + 1;
        this.stream.send({ type: "step", epochs: 1 });
      }
      this._timer = setTimeout(tick, p.interval);
    };
    tick();
  }

  /** Say so once when training diverges (from a status or a frame, whichever comes first). */
  noteDiverged(status) {
    if (status === "diverged" && !this._divergedShown) {
      this._divergedShown = true;
      this.toast("Training diverged (loss became NaN or infinite) — lower the learning rate and reset.");
    } else if (status !== "diverged") this._divergedShown = false;
  }

  /** A frame arrived: let the paced player send its next step; stop it on divergence. */
  pacedFrame(f) {
    const p = this._paced;
    if (!p) return;
    if (f.status === "diverged") this.pause();
    else if (p.waitingFor !== null && f.epoch >= p.waitingFor) p.waitingFor = null;
  }

  /** Stop the page's own paced play without telling the server (there is nothing to stop). */
  stopPaced() {
    if (!this._paced) return;
    clearTimeout(this._timer);
    this._timer = null;
    this._paced = null;
    this.setRunning(false);
  }

  pause() {
    clearTimeout(this._timer);
    this._timer = null;
    this._paced = null;
    if (this.running) this.stream.send({ type: "pause" });
    this.setRunning(false);
  }

  setRunning(on) {
    if (!on && this._paced) return; // client-paced play: status "paused" between steps
    this.running = on;
    const b = $("btn-play");
    b.classList.toggle("running", on);
    b.innerHTML = on ? '<svg viewBox="0 0 16 16"><rect x="3" y="2" width="3.5" height="12"/><rect x="9.5" y="2" width="3.5" height="12"/></svg>'
      : '<svg viewBox="0 0 16 16"><path d="M4 2l10 6-10 6z"/></svg>';
    b.setAttribute("aria-label", on ? "Pause" : "Play");
  }

  step() {
    if (this.blockedByGone()) return;
    this.pause();
    this.stream.send({ type: "step", epochs: 1 });
  }

  stepSample() {
    if (this.blockedByGone()) return;
    this.pause();
    this.stream.send({ type: "step_sample" });
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
      this.failed(err, this.session.id, "gradient_check");
    }
  }

  async editParam(kind, where, value, errEl) {
    errEl.textContent = "";
    if (!Number.isFinite(value)) { errEl.textContent = "enter a finite number"; return; }
    if (this.blockedByGone()) return;
    try {
      const r = kind === "bias" ? await api.setBias(this.session.id, where.layer, where.j, value)
        : await api.setWeight(this.session.id, where.layer, where.i, where.j, value);
      const f = r?.type === "frame" ? r : r?.frame;
      if (f?.weights) { this.frame = f; this.draw(); }
    } catch (err) {
      errEl.textContent = err.message;
      this.failed(err, this.session.id);
    }
  }

  // ---------- errors ----------
  showError(field, message) {
    const slots = [...document.querySelectorAll("[data-err]")];
    let best = null;
    for (const s of slots) {
      const k = s.dataset.err;
      if ((field === k || field.startsWith(k + ".") || field.startsWith(k + "[")) && (!best || k.length > best.dataset.err.length)) best = s;
    }
    if (!best) best = document.querySelector('[data-err="network"]');
    best.textContent = message;
  }

  clearErrors() {
    for (const s of document.querySelectorAll("[data-err]")) s.textContent = "";
  }

  toast(msg) {
    const t = $("toast");
    t.textContent = msg;
    t.hidden = false;
    clearTimeout(this._toastTimer);
    this._toastTimer = setTimeout(() => (t.hidden = true), 6000);
  }

  // ---------- speed ----------
  /** Main-thread ms per frame render for the largest allowed network with heatmaps. */
  async benchRender(n = 30) {
    const lim = this.catalog.limits || {};
    const hidden = Array(lim.max_hidden_layers ?? 8).fill(lim.max_units_per_layer ?? 32);
    const s = await api.createSession({ network: { hidden_layers: hidden, activations: Array(hidden.length + 1).fill("tanh") }, dataset: { name: "circle", n: 200 } });
    const host = document.createElement("div");
    host.className = "diagram";
    Object.assign(host.style, { position: "absolute", left: "0", top: "0", width: `${$("diagram").clientWidth}px`, visibility: "hidden" });
    document.body.append(host);
    const d = new Diagram(host, { onHover() {}, onSelect() {} });
    const f = s.frame;
    d.setNetwork({ layerSizes: [f.weights[0].length, ...f.weights.map((W) => W[0].length)], activations: s.config.network.activations,
      featureNames: s.data.feature_names, showBias: false, heatmaps: true });
    const times = [];
    for (let k = 0; k < n; k++) {
      const t0 = performance.now();
      d.render(f);
      void host.offsetHeight; // include style and layout
      times.push(performance.now() - t0);
    }
    const counts = d.counts();
    host.remove();
    api.deleteSession(s.id).catch(() => {});
    times.sort((a, b) => a - b);
    return { n, median_ms: times[n >> 1], mean_ms: times.reduce((a, b) => a + b, 0) / n, max_ms: times.at(-1),
      units: counts.units, edges: counts.edges, grid_resolution: f.grid?.resolution ?? null };
  }
}

function targetRange(data) {
  let lo = Infinity, hi = -Infinity;
  for (const t of data.train.targets) { lo = Math.min(lo, t[0]); hi = Math.max(hi, t[0]); }
  if (!Number.isFinite(lo)) return { center: 0, half: 1 };
  if (data.task === "classification") return { center: (lo + hi) / 2, half: (hi - lo) / 2 || 1 };
  const m = Math.max(Math.abs(lo), Math.abs(hi)) || 1;
  return { center: 0, half: m };
}

async function start() {
  const boot = JSON.parse($("bpp-boot").textContent);
  let catalog = boot.catalog;
  if (!catalog) catalog = await api.catalog();
  const state = new State(boot.defaults);
  state.readHash();
  const app = new App(catalog, state);
  window.__bpp = {
    app,
    state,
    get sessionId() { return app.session?.id; },
    shareLive: () => app.shareLive(),
    get frame() { return app.frame; },
    get framesSeen() { return app.framesSeen; },
    counts: () => app.diagram.counts(),
    unitCenter: (l, j) => app.diagram.unitCenter(l, j),
    edgePoint: (l, i, j, t = 0.3) => app.diagram.edgePoint(l, i, j, t),
    get selection() { return app.selection; },
    dropSocket: () => app.stream.drop(),
    benchRender: (n) => app.benchRender(n),
    ready: false,
  };
  app.setView(state.get("view") || "forward");
  app.loss.setLog(!!state.get("logScale"));
  const join = state.get("join");
  if (!join || !(await app.joinSession(join))) await app.createSession(state.sessionBody());
  window.__bpp.ready = true;
}

window.addEventListener("DOMContentLoaded", () => {
  start().catch((err) => {
    const msg = err instanceof ApiError ? err.message : String(err);
    document.querySelector('[data-err="network"]').textContent = `could not start: ${msg}`;
  });
});
