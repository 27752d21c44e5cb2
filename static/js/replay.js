// Replay: a slider over the epochs whose weights the server kept (GET …/replay, thinned within
// max_replay_bytes); moving it shows the network as it was — diagram, heatmaps, output plot,
// counters and inspector all draw the server's frame of that epoch (GET …/replay/{epoch}).
// Training on (play, step) or "live" returns to the present.

async function getJSON(path) {
  const res = await fetch(path);
  const data = await res.json().catch(() => null);
  if (!res.ok) {
    const d = data?.detail;
    throw new Error(Array.isArray(d) ? `${d[0].field}: ${d[0].msg}` : String(d ?? `HTTP ${res.status}`));
  }
  return data;
}

export class Replay {
  constructor(app, { slider, label, live, bar }) {
    Object.assign(this, { app, slider, label, liveButton: live, bar });
    this.epochs = [];
    this.active = false;
    this.present = null; // the live frame, kept while replaying
    this.seq = 0;
    slider.addEventListener("input", () => this.scrub());
    slider.addEventListener("pointerdown", () => this.refresh());
    live.addEventListener("click", () => this.exit(true));
  }

  get id() { return this.app.session?.id; }

  reset() {
    this.exit(false);
    this.epochs = [];
    this.sync();
  }

  /** Fetch the kept epochs again (after training moved on). */
  async refresh() {
    const id = this.id;
    if (!id || this.app.gone) return;
    try {
      const r = await getJSON(`/api/sessions/${encodeURIComponent(id)}/replay`);
      if (id !== this.id) return;
      this.epochs = r.epochs;
      this.sync();
    } catch { /* optional */ }
  }

  /** Put the slider where the shown frame is (the end while live). */
  sync() {
    const n = this.epochs.length;
    this.slider.max = String(Math.max(0, n - 1));
    this.slider.disabled = n < 2;
    if (!this.active) {
      this.slider.value = this.slider.max;
      this.label.textContent = n ? `epochs ${this.epochs[0]}–${this.epochs[n - 1]} kept` : "";
    }
    this.slider.setAttribute("aria-valuetext", this.active ? `epoch ${this.shownEpoch}` : "live");
  }

  async scrub() {
    const k = Number(this.slider.value);
    if (k >= this.epochs.length - 1) { this.exit(true); return; }
    const epoch = this.epochs[k];
    const id = this.id, seq = ++this.seq;
    if (!this.active) {
      this.app.pause();
      this.present = this.app.frame;
    }
    this.active = true;
    this.bar.classList.add("replaying");
    this.liveButton.hidden = false;
    this.label.textContent = `replay: epoch ${epoch} …`;
    let f;
    try {
      f = await getJSON(`/api/sessions/${encodeURIComponent(id)}/replay/${epoch}`);
    } catch (err) {
      this.label.textContent = err.message;
      return;
    }
    if (seq !== this.seq || !this.active || id !== this.id) return;
    this.shownEpoch = f.epoch;
    this.label.textContent = `replay: epoch ${f.epoch} of ${this.epochs.at(-1)}`;
    this.slider.setAttribute("aria-valuetext", `epoch ${f.epoch}`);
    this.app.frame = f;
    this.app.draw();
  }

  /** Back to the present (`redraw`: show the live frame again). */
  exit(redraw) {
    if (!this.active) return;
    this.active = false;
    this.seq++;
    this.bar.classList.remove("replaying");
    this.liveButton.hidden = true;
    if (redraw && this.present) { this.app.frame = this.present; this.app.draw(); }
    this.present = null;
    this.sync();
  }

  /** A message of the session's stream: training moved on, so the replay ends. */
  message(m) {
    if (!this.active) return;
    if (m.type === "frame" || (m.type === "status" && m.status === "running")) this.exit(false);
  }
}
