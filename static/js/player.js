// Play, pause and step. At "max" speed the server trains freely (`play`); at a chosen speed the
// page paces it: one `step` at a time, the next only once the last one's frame is in, so a slow
// network never piles up steps that go on after pause.

const PLAY_ICON = '<svg viewBox="0 0 16 16"><path d="M4 2l10 6-10 6z"/></svg>';
const PAUSE_ICON = '<svg viewBox="0 0 16 16"><rect x="3" y="2" width="3.5" height="12"/><rect x="9.5" y="2" width="3.5" height="12"/></svg>';

export class Player {
  /**
   * @param {{send: (msg: object) => void}} stream
   * @param {HTMLButtonElement} button  the play/pause button (its icon and label follow)
   * @param {{epoch: () => number, onRunning?: (on: boolean) => void}} hooks
   */
  constructor(stream, button, hooks) {
    this.stream = stream;
    this.button = button;
    this.hooks = hooks;
    this.running = false;
    this.paced = null; // {interval, waitingFor} while the page paces play
    this.timer = null;
  }

  /** Start playing at `speed` epochs per second (0: as fast as the server trains). */
  play(speed) {
    this.setRunning(true);
    if (!speed) { this.stream.send({ type: "play" }); return; }
    this.paced = { interval: 1000 / speed, waitingFor: null };
    const tick = () => {
      const p = this.paced;
      if (!p) return;
      if (p.waitingFor === null) {
        p.waitingFor = this.hooks.epoch() + 1;
        this.stream.send({ type: "step", epochs: 1 });
      }
      this.timer = setTimeout(tick, p.interval);
    };
    tick();
  }

  /** Stop playing (and tell the server, if it was playing). */
  pause() {
    clearTimeout(this.timer);
    this.timer = null;
    this.paced = null;
    if (this.running) this.stream.send({ type: "pause" });
    this.setRunning(false);
  }

  /** Stop the page's own paced play without telling the server (there is nothing to stop). */
  stopPaced() {
    if (!this.paced) return;
    clearTimeout(this.timer);
    this.timer = null;
    this.paced = null;
    this.setRunning(false);
  }

  /** Forget play without a word to the server (a joined session is its owner's to stop). */
  forget() {
    clearTimeout(this.timer);
    this.timer = null;
    this.paced = null;
    this.running = false;
  }

  /** A frame arrived: let the paced player send its next step; stop it on divergence. */
  frameArrived(f) {
    const p = this.paced;
    if (!p) return;
    if (f.status === "diverged") this.pause();
    else if (p.waitingFor !== null && f.epoch >= p.waitingFor) p.waitingFor = null;
  }

  /** A step sent before may have been lost (the session was restored): send the next one. */
  unblock() {
    if (this.paced) this.paced.waitingFor = null;
  }

  /** Running or not, as the server or the page says; paced play stays on between its steps. */
  setRunning(on) {
    if (!on && this.paced) return; // client-paced play: status "paused" between steps
    const was = this.running;
    this.running = on;
    const b = this.button;
    b.classList.toggle("running", on);
    b.innerHTML = on ? PAUSE_ICON : PLAY_ICON;
    b.setAttribute("aria-label", on ? "Pause" : "Play");
    if (was !== on) this.hooks.onRunning?.(on);
  }
}
