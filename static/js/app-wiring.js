// The App's wiring: the page's buttons, keys and window events (hash changes, resizing, going
// online, closing the tab) to the App's actions, and the speed select. Methods of the App
// (app.js mixes them in), kept apart so that the coordinator reads as one.
import { api } from "./api.js";
import * as exporter from "./export.js";

const $ = (id) => document.getElementById(id);

export class Wiring {
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
}
