// The issue-11 "Build" features, hooked into the App at four points (constructor, showSession,
// loadHistory, draw) so that app.js stays small: the network as code, gradient flow, stop
// condition and confusion matrix, your own data, replay and compare live in their own modules.
import { api } from "./api.js";
import { wireExportCode } from "./exportcode.js";
import { GradientFlowChart } from "./gradflow.js";

const $ = (id) => document.getElementById(id);
const FLOW_REFRESH_MS = 1000; // the gradient-flow chart follows stepping at most this often

export class Extras {
  constructor(app) {
    this.app = app;
    wireExportCode({
      numpyButton: $("btn-code-numpy"), torchButton: $("btn-code-torch"),
      sessionId: () => app.session?.id, onError: (field, msg) => app.ui.showError(field, msg),
    });
    this.flow = new GradientFlowChart($("gradflow-chart"), { delta: $("gradflow-delta"), grad: $("gradflow-grad") });
    this.flowEpoch = -1;
  }

  /** A session was adopted (created, joined, imported). */
  sessionShown(_s) {
    this.flow.reset();
    this.flowEpoch = -1;
  }

  /** The server's history arrived (GET …/history). */
  history(h) {
    if (!h.gradient_flow) return;
    this.flow.setFlow(h.gradient_flow);
    this.flowEpoch = h.gradient_flow.epoch.at(-1) ?? -1;
  }

  /** A frame was drawn: while the page steps (or after a reset), fetch the flow again. */
  frame(f) {
    if (f.epoch === this.flowEpoch || this._flowTimer) return;
    const wait = Math.max(0, FLOW_REFRESH_MS - (performance.now() - (this._flowAt || 0)));
    this._flowTimer = setTimeout(() => this.refreshFlow(), wait);
  }

  async refreshFlow() {
    this._flowAt = performance.now();
    const id = this.app.session?.id;
    try {
      if (!id || this.app.gone) return;
      const h = await api.history(id);
      if (this.app.session?.id === id) this.history(h);
    } catch { /* optional: a gone session is noticed by the page's own requests */ } finally {
      this._flowTimer = null;
    }
  }
}
