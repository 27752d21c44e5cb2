// The issue-11 "Build" features, each its own module: the network as code, gradient flow, stop
// condition and confusion matrix, your own data, replay and compare. Their panels follow the
// page's bus (an EventTarget): the stream pushes the history (with its gradient flow), the gradient
// flow while training runs, the confusion matrix and the replay range — nothing is polled.
import { wireExportCode } from "./exportcode.js";
import { GradientFlowChart } from "./gradflow.js";
import { ConfusionView, StopControls } from "./stopconf.js";
import { Compare } from "./compare.js";
import { Replay } from "./replay.js";
import { OwnData } from "./upload.js";

const $ = (id) => document.getElementById(id);

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
    const bus = app.bus;
    this.replay = new Replay({ slider: $("replay"), label: $("replay-label"), live: $("replay-live"), bar: $("replay-bar") },
      { bus, sessionId: () => app.session?.id, pause: () => app.pause(), show: (f) => app.showFrame(f) });
    this.compare = new Compare(app, {
      open: $("btn-compare"), panel: $("compare-panel"), close: $("compare-close"), start: $("compare-start"),
      play: $("compare-play"), step: $("compare-step"), speed: $("compare-speed"), field: $("compare-field"),
      value: $("compare-value"), what: $("compare-what"), err: $("compare-err"), view: $("compare-view"),
      labelA: $("compare-label-a"), labelB: $("compare-label-b"), statA: $("compare-stat-a"), statB: $("compare-stat-b"),
      diagramA: $("compare-diagram-a"), diagramB: $("compare-diagram-b"), chart: $("compare-chart"),
    });
    bus.addEventListener("session", (e) => this.sessionShown(e.detail.session));
    bus.addEventListener("history", (e) => this.flow.setFlow(e.detail.gradient_flow));
    bus.addEventListener("gradient_flow", (e) => this.flow.setFlow(e.detail));
    bus.addEventListener("confusion", (e) => this.confusion.set(e.detail));
    bus.addEventListener("status", (e) => this.status(e.detail));
    bus.addEventListener("error", (e) => { if (e.detail.field === "stop") app.pause(); }); // play refused: the stop condition holds
    bus.addEventListener("frame", (e) => this.compare.messageA(e.detail));
    bus.addEventListener("error", (e) => this.compare.messageA(e.detail));
  }

  /** A session was adopted (created, joined, imported). */
  sessionShown(s) {
    this.flow.reset();
    this.confusion.set(null);
    this.confusion.show(s.data?.task === "classification");
    this.stop.sessionShown(s);
    this.ownData.sessionShown(s);
    if (this.compare.active) this.compare.end(); // a new session A: the comparison is over
  }

  /** Every status says why training stopped while the stop condition holds. */
  status(m) {
    if (!m.stopped) return;
    this.stop.showReached(m.stopped);
    // the trainer stopped it: a paced play (steps sent by the page) stops stepping too
    if (this.app.player.paced) this.app.pause();
  }
}
