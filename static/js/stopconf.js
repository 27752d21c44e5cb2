// Stop condition (PUT /api/sessions/{id}/stop: test loss below x, or epoch n — enforced by the
// trainer) and the confusion matrix (the stream's `confusion`, as GET …/confusion answers it: the
// engine's counts, rows = true class, columns = predicted class).
import { call } from "./api.js";

export const stopApi = {
  setStop: (id, stop) => call("PUT", `/api/sessions/${encodeURIComponent(id)}/stop`, stop),
};

/** The two inputs of the stop condition; `onError(field, message)` shows a refusal. */
export class StopControls {
  constructor({ loss, epochs, note, sessionId, onError, clearError }) {
    Object.assign(this, { loss, epochs, note, sessionId, onError, clearError });
    for (const el of [loss, epochs]) el.addEventListener("change", () => this.send());
  }

  /** The condition the inputs ask for (empty inputs: none). */
  wanted() {
    const x = this.loss.value.trim(), n = this.epochs.value.trim();
    const out = {};
    if (x !== "") out.test_loss_below = Number(x);
    if (n !== "") out.max_epochs = Number(n);
    return out;
  }

  async send() {
    const id = this.sessionId();
    if (!id) return;
    this.clearError();
    this.note.textContent = "";
    try {
      const r = await stopApi.setStop(id, this.wanted());
      // (only to set it: a status saying "stopped" may have come in meanwhile)
      if (r.reached) this.showReached(r.reached);
    } catch (err) {
      this.onError("stop", err.message); // the message names the field (max_epochs, …)
    }
  }

  /** A session was adopted: show its condition, or give it the one the inputs hold (a
   * session re-created for a new dataset or network keeps the page's stop condition). */
  sessionShown(s) {
    const have = s.config?.stop || {};
    const want = this.wanted();
    if (!Object.keys(want).length) {
      this.loss.value = have.test_loss_below ?? "";
      this.epochs.value = have.max_epochs ?? "";
    } else if (JSON.stringify(have) !== JSON.stringify(want)) {
      this.send();
    }
    this.note.textContent = "";
  }

  showReached(reason) {
    this.note.textContent = reason ? `stopped: ${reason}` : "";
  }
}

/** The confusion matrix of the training or the test set, as a small table. */
export class ConfusionView {
  constructor({ section, table, buttons, caption }) {
    Object.assign(this, { section, table, buttons, caption });
    this.part = "test";
    this.data = null;
    for (const [part, b] of Object.entries(buttons)) b.addEventListener("click", () => this.setPart(part));
  }

  setPart(part) {
    this.part = part;
    for (const [k, b] of Object.entries(this.buttons)) {
      b.classList.toggle("on", k === part);
      b.setAttribute("aria-checked", String(k === part));
    }
    this.render();
  }

  show(on) { this.section.hidden = !on; }

  set(data) { this.data = data; this.render(); }

  render() {
    const d = this.data;
    const m = d?.[this.part] ?? (this.part === "test" ? d?.train : null);
    this.table.replaceChildren();
    if (this.caption) this.caption.textContent = d ? `rows: true class, columns: predicted · epoch ${d.epoch}` : "";
    if (!d || !m) return;
    const max = Math.max(1, ...m.flat());
    const head = this.table.createTHead().insertRow();
    const corner = document.createElement("th");
    corner.textContent = "true \\ pred.";
    corner.className = "corner";
    head.append(corner);
    for (const c of d.classes) { const th = document.createElement("th"); th.textContent = c; head.append(th); }
    const body = this.table.createTBody();
    m.forEach((row, i) => {
      const tr = body.insertRow();
      const th = document.createElement("th");
      th.textContent = d.classes[i];
      tr.append(th);
      row.forEach((n, j) => {
        const td = tr.insertCell();
        td.textContent = String(n);
        td.className = i === j ? "hit" : "miss";
        td.style.setProperty("--w", (n / max).toFixed(3));
      });
    });
    this.table.dataset.epoch = String(d.epoch);
    this.table.dataset.part = this.part;
  }
}
