// Replay: a slider over the epochs whose weights the server kept (the stream's `replay_range`,
// thinned within max_replay_bytes); moving it shows the network as it was — diagram, heatmaps,
// output plot, counters and inspector all draw the server's frame of that epoch
// (GET …/replay/{epoch}, asked once per position the slider is moved to).
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
  /**
   * @param els the slider, its label, the "live" button and the bar around them
   * @param {{bus: EventTarget, sessionId: () => string | undefined,
   *          pause: () => void, show: (frame: object) => void}} page
   *   the page's bus (`replay_range` keeps the kept epochs current, `frame` / `status` of
   *   training end a replay, `session` starts over), and what the replay asks of the page:
   *   pause training, show a frame (a replayed one, or the live one again)
   */
  constructor({ slider, label, live, bar }, { bus, sessionId, pause, show }) {
    Object.assign(this, { slider, label, liveButton: live, bar, sessionId, pause, show });
    this.epochs = [];
    this.active = false;
    this.latest = null; // the newest live frame (shown again on "live")
    this.seq = 0;
    slider.addEventListener("input", () => this.scrub());
    live.addEventListener("click", () => this.exit(true));
    bus.addEventListener("session", () => this.reset());
    bus.addEventListener("replay_range", (e) => this.setRange(e.detail.epochs));
    bus.addEventListener("frame", (e) => { this.latest = e.detail; this.message(e.detail); });
    bus.addEventListener("status", (e) => this.message(e.detail));
  }

  get id() { return this.sessionId(); }

  reset() {
    this.exit(false);
    this.epochs = [];
    this.latest = null;
    this.sync();
  }

  /** The kept epochs, as the stream pushes them (`replay_range`). */
  setRange(epochs) {
    this.epochs = epochs;
    this.sync();
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
    if (!this.active) this.pause();
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
    this.show(f);
  }

  /** Back to the present (`redraw`: show the live frame again). */
  exit(redraw) {
    if (!this.active) return;
    this.active = false;
    this.seq++;
    this.bar.classList.remove("replaying");
    this.liveButton.hidden = true;
    if (redraw && this.latest) this.show(this.latest);
    this.sync();
  }

  /** A message of the session's stream: training moved on, so the replay ends. */
  message(m) {
    if (!this.active) return;
    if (m.type === "frame" || (m.type === "status" && m.status === "running")) this.exit(false);
  }
}
