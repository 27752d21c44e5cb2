// The page's one event bus: the stream's messages (by their `type`: frame, status, history,
// gradient_flow, confusion, replay_range, sample_step, error) and the page's own events
// (`session`: a session was adopted; `setup-restored`: a refused change went back). Modules
// subscribe to what they show instead of the App reaching into them, or they into the App.

export class Emitter {
  constructor() {
    this.handlers = new Map();
  }

  /** Call `fn(payload)` on every `type` event; returns the function that unsubscribes. */
  on(type, fn) {
    let set = this.handlers.get(type);
    if (!set) this.handlers.set(type, (set = new Set()));
    set.add(fn);
    return () => set.delete(fn);
  }

  /** Call every subscriber of `type` in the order they subscribed; one that throws is
   * reported and does not keep the others from running. */
  emit(type, payload) {
    const set = this.handlers.get(type);
    if (!set) return;
    for (const fn of [...set]) {
      try {
        fn(payload);
      } catch (err) {
        console.error(`the ${type} handler failed`, err); // eslint-disable-line no-console
      }
    }
  }
}
