// The issue-11 "Build" features, hooked into the App at four points (constructor, showSession,
// loadHistory, draw) so that app.js stays small: the network as code, gradient flow, stop
// condition and confusion matrix, your own data, replay and compare live in their own modules.
import { wireExportCode } from "./exportcode.js";

const $ = (id) => document.getElementById(id);

export class Extras {
  constructor(app) {
    this.app = app;
    wireExportCode({
      numpyButton: $("btn-code-numpy"), torchButton: $("btn-code-torch"),
      sessionId: () => app.session?.id, onError: (field, msg) => app.ui.showError(field, msg),
    });
  }

  /** A session was adopted (created, joined, imported). */
  sessionShown(_s) {}

  /** The server's history arrived (GET …/history). */
  history(_h) {}

  /** A frame was drawn. */
  frame(_f) {}
}
