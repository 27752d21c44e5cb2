// The epochs/s box: how fast the epoch counter moves — the engine's epoch numbers, as frames and
// statuses bring them, over the page's clock in the last couple of seconds. So it agrees with
// the counter beside it at any speed (paced or max), and it is empty while nothing trains.

const WINDOW_MS = 2000;
const MIN_SPAN_MS = 400;

export class EpochRate {
  constructor() {
    this.samples = []; // [time ms, epoch]
  }

  /** An epoch number seen at time `t` (ms). */
  note(epoch, t = performance.now()) {
    const s = this.samples;
    if (s.length && epoch < s.at(-1)[1]) s.length = 0; // a reset or a new session
    s.push([t, epoch]);
    while (s.length > 2 && t - s[0][0] > WINDOW_MS) s.shift();
  }

  /** Epochs per second over the window, or null while there is too little to tell. */
  value() {
    const s = this.samples;
    if (s.length < 2) return null;
    const [t0, e0] = s[0], [t1, e1] = s.at(-1);
    return t1 - t0 < MIN_SPAN_MS ? null : ((e1 - e0) * 1000) / (t1 - t0);
  }

  reset() {
    this.samples = [];
  }
}
