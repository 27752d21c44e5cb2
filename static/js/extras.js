// The issue-11 "Build" features, hooked into the App at five points (constructor, showSession,
// loadHistory, message, draw) so that app.js stays small: the network as code, gradient flow,
// stop condition and confusion matrix, your own data, replay and compare live in their own
// modules.
import { api } from "./api.js";
import { wireExportCode } from "./exportcode.js";
import { GradientFlowChart } from "./gradflow.js";
import { ConfusionView, StopControls, stopApi } from "./stopconf.js";
import { Compare } from "./compare.js";
import { Replay } from "./replay.js";
import { OwnData } from "./upload.js";

const $ = (id) => document.getElementById(id);
const REFRESH_MS = 1000; // flow and confusion follow stepping at most this often

export class Extras {
  constructor(app) {
    this.app = app;
    const showError = (field, msg) => app.ui.showError(field, msg);
    wireExportCode({
      numpyButton: $("btn-code-numpy"), torchButton: $("btn-code-torch"),
      sessionId: () => app.session?.id, onError: showError,
    });
    this.flow = new GradientFlowChart($("gradflow-chart"), { delta: $("gradflow-delta"), grad: $("gradflow-grad") });
    this.stop = new StopControls({
      loss: $("stop-loss"), epochs: $("stop-epochs"), note: $("stop-note"),
      sessionId: () => app.session?.id, onError: showError,
      clearError: () => { $("stop-note").textContent = ""; document.querySelector('[data-err="stop"]').textContent = ""; },
    });
    this.confusion = new ConfusionView({
      section: $("confusion-section"), table: $("confusion"),
      buttons: { test: $("confusion-test"), train: $("confusion-train") }, caption: $("confusion-epoch"),
    });
    this.ownData = new OwnData(app, {
      file: $("csv-file"), dialog: $("csv-dialog"), summary: $("csv-summary"), columns: $("csv-columns"),
      err: $("csv-err"), use: $("csv-use"), cancel: $("csv-cancel"),
      plot: $("output-plot"), edit: $("edit-points"), editBox: $("edit-box"), editClass: $("edit-class"),
      editT: $("edit-t-box"), hint: $("plot-hint"), note: $("own-data-note"),
    });
    this.replay = new Replay(app, { slider: $("replay"), label: $("replay-label"), live: $("replay-live"), bar: $("replay-bar") });
    this.compare = new Compare(app, {
      open: $("btn-compare"), panel: $("compare-panel"), close: $("compare-close"), start: $("compare-start"),
      play: $("compare-play"), step: $("compare-step"), speed: $("compare-speed"), field: $("compare-field"),
      value: $("compare-value"), what: $("compare-what"), err: $("compare-err"), view: $("compare-view"),
      labelA: $("compare-label-a"), labelB: $("compare-label-b"), statA: $("compare-stat-a"), statB: $("compare-stat-b"),
      diagramA: $("compare-diagram-a"), diagramB: $("compare-diagram-b"), chart: $("compare-chart"),
    });
    this.seenEpoch = -1;
  }

  get classification() { return this.app.session?.data?.task === "classification"; }

  /** A session was adopted (created, joined, imported). */
  sessionShown(s) {
    this.flow.reset();
    this.confusion.set(null);
    this.confusion.show(s.data?.task === "classification");
    this.seenEpoch = -1;
    this.stop.sessionShown(s);
    this.ownData.sessionShown(s);
    this.replay.reset();
    if (this.compare.active) this.compare.end(); // a new session A: the comparison is over
    this.refreshSoon();
  }

  /** The server's history arrived (GET …/history). */
  history(h) {
    if (h.gradient_flow) this.flow.setFlow(h.gradient_flow);
  }

  /** Every message of the session's stream, before the page handles it. */
  message(m) {
    this.replay.message(m);
    this.compare.messageA(m);
    if (m.type === "status" && m.stopped) {
      this.stop.showReached(m.stopped);
      // the trainer stopped it: a paced play (steps sent by the page) stops stepping too
      if (this.app.player.paced) { this.app.pause(); this.app.loadHistory(); }
    } else if (m.type === "error" && m.field === "stop") {
      this.app.pause(); // play refused: the stop condition holds
    }
  }

  /** A frame was drawn: fetch the flow and the confusion matrix again (throttled). */
  frame(f) {
    if (this.replay.active || f.epoch === this.seenEpoch) return;
    this.refreshSoon();
  }

  refreshSoon() {
    if (this._timer) return;
    const wait = Math.max(0, REFRESH_MS - (performance.now() - (this._at || 0)));
    this._timer = setTimeout(() => this.refresh(), wait);
  }

  async refresh() {
    this._at = performance.now();
    const id = this.app.session?.id;
    try {
      if (!id || this.app.gone) return;
      const epoch = this.app.frame?.epoch ?? -1;
      this.seenEpoch = epoch;
      const [h, c] = await Promise.all([
        api.history(id),
        this.classification ? stopApi.confusion(id) : Promise.resolve(null),
      ]);
      if (this.app.session?.id !== id) return;
      this.history(h);
      if (c) this.confusion.set(c);
      this.replay.refresh();
    } catch { /* optional: a gone session is noticed by the page's own requests */ } finally {
      this._timer = null;
      // frames that came while fetching: one more round
      if (this.app.session?.id === id && (this.app.frame?.epoch ?? -1) !== this.seenEpoch) this.refreshSoon();
    }
  }
}
