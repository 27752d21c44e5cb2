// The App's training actions: play, pause, reset, one epoch's or one sample's step, the note
// that training diverged, the gradient check and a weight or bias edited in the inspector.
// Methods of the App (app.js mixes them in), kept apart so that the coordinator reads as one.
import { api } from "./api.js";
import { fmt } from "./util.js";

const $ = (id) => document.getElementById(id);

export class Training {
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
