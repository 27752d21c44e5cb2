// WebSocket to /api/sessions/{id}/stream with automatic reconnect and a visible status.
//
// A socket that closes for any reason but "this session does not exist" (4404, or a policy
// close 1008) is opened again with a growing, jittered delay (0.25 s doubling to 5 s) until it
// is back, however long that takes: a server restart (1012, 1001, or 1006 with the server down
// and connections refused meanwhile) or a network blip. Commands sent meanwhile wait in a short
// queue and go out once the socket is open.
//
// Frames come binary (docs/contract.md, "Binary frames"; `?format=binary` on the socket) unless
// the page's address says `?frames=json`; either way every message goes out as the JSON form's
// object, in the order it arrived (a binary frame is decoded asynchronously, and the messages
// behind it wait for it): on the page's bus (an EventTarget) as a CustomEvent of its `type`, the
// message its `detail`, or to a function.
import { decodeFrame } from "./frame-binary.js";

const GONE_CODES = new Set([4404, 1008]);
const MAX_QUEUED = 64;

/** The frame form the page asks for: "binary", or "json" when its address says `frames=json`. */
export function frameFormat() {
  return new URLSearchParams(location.search).get("frames") === "json" ? "json" : "binary";
}

export class Stream {
  /**
   * @param {EventTarget | ((msg: object) => void)} onMessage  the page's bus, on which every
   *   server message (frame, sample_step, status, error, ...) is dispatched as a CustomEvent of
   *   its type with the message as its `detail`, or a function called with each
   * @param {(state: "connecting"|"open"|"closed"|"gone", text: string,
   *          info: {reconnect?: boolean, retry?: number, delay?: number}) => void} onState
   *   "open" with `reconnect` when the socket is back after a loss; "closed" while waiting to
   *   retry; "gone" when the server says the session does not exist (no retry).
   */
  constructor(onMessage, onState) {
    this.onMessage = typeof onMessage === "function"
      ? onMessage
      : (m) => onMessage.dispatchEvent(new CustomEvent(m.type, { detail: m }));
    this.onState = onState;
    this.ws = null;
    this.id = null;
    this.retry = 0;
    this.timer = null;
    this.queue = [];
    this.opened = false; // the socket of this session id has been open once
    this.format = frameFormat();
    this.decoding = null; // the last binary frame still being decoded (later messages wait)
    this.lastFrame = null; // the newest live frame handed on
  }

  /** Hand `msg` (an object, or a function answering a promise of one) to onMessage after the
   * messages before it; the newest live frame is kept (a binary frame may say "keep the last
   * grid and node statistics"). */
  _deliver(ws, msg) {
    const hand = (m) => {
      if (!m || ws !== this.ws) return;
      if (m.type === "frame" && !m.replay) this.lastFrame = m;
      this.onMessage(m);
    };
    if (!this.decoding && typeof msg !== "function") { hand(msg); return; }
    const turn = (this.decoding || Promise.resolve())
      .then(() => (typeof msg === "function" ? msg() : msg))
      .then(hand)
      .catch((e) => setTimeout(() => { throw e; })); // reported as today, the next ones go on
    this.decoding = turn;
    turn.then(() => { if (this.decoding === turn) this.decoding = null; });
  }

  connect(sessionId) {
    this.close();
    this.id = sessionId;
    this.retry = 0;
    this.opened = false;
    this._open();
  }

  _open() {
    const id = this.id;
    if (!id) return;
    clearTimeout(this.timer);
    this.timer = null;
    const proto = location.protocol === "https:" ? "wss" : "ws";
    this.lastFrame = null; // a new socket starts with a whole frame
    const ws = new WebSocket(`${proto}://${location.host}/api/sessions/${encodeURIComponent(id)}/stream?format=${this.format}`);
    ws.binaryType = "arraybuffer";
    this.ws = ws;
    this.onState("connecting", this.retry ? "reconnecting…" : "connecting…", { retry: this.retry });
    ws.onopen = () => {
      if (ws !== this.ws) return;
      const reconnect = this.opened;
      this.opened = true;
      this.retry = 0;
      this.onState("open", "live", { reconnect });
      for (const m of this.queue.splice(0)) ws.send(JSON.stringify(m));
    };
    ws.onmessage = (ev) => {
      if (ws !== this.ws) return;
      if (typeof ev.data !== "string") {
        const buf = ev.data;
        this._deliver(ws, () => decodeFrame(buf, this.lastFrame).catch((e) => {
          console.warn("binary frame refused:", e.message);
          return null;
        }));
        return;
      }
      let msg;
      try { msg = JSON.parse(ev.data); } catch { return; }
      this._deliver(ws, msg);
    };
    ws.onclose = (ev) => {
      if (ws !== this.ws) return;
      this.ws = null;
      if (GONE_CODES.has(ev.code)) {
        this.queue = [];
        this.onState("gone", "session gone", {});
        return;
      }
      this.retry += 1;
      const delay = Math.round(Math.min(5000, 250 * 2 ** (this.retry - 1)) * (0.8 + 0.4 * Math.random()));
      this.onState("closed", "reconnecting…", { retry: this.retry, delay });
      this.timer = setTimeout(() => this._open(), delay);
    };
    ws.onerror = () => {};
  }

  /** Try again now instead of waiting out the back-off (the browser is back online, or a
   * session the server said it did not have turned out to exist after all). */
  retryNow() {
    if (this.id && !this.ws) this._open();
  }

  /** Whether the socket is open now. */
  get live() {
    return !!this.ws && this.ws.readyState === WebSocket.OPEN;
  }

  /** Send a command; queued (the newest MAX_QUEUED) until the socket is open. */
  send(msg) {
    if (this.live) this.ws.send(JSON.stringify(msg));
    else {
      this.queue.push(msg);
      if (this.queue.length > MAX_QUEUED) this.queue.shift();
    }
  }

  /** Drop the socket on purpose (tests use it to check reconnection). */
  drop() {
    if (this.ws) closeQuietly(this.ws, 4000, "dropped by client");
  }

  close() {
    clearTimeout(this.timer);
    this.timer = null;
    this.id = null;
    this.queue = [];
    const ws = this.ws;
    this.ws = null;
    if (ws) closeQuietly(ws, 1000, "bye");
  }
}

/** Close a socket; one still connecting is closed once open, since closing it mid-handshake
 * makes the browser log a console error ("closed before the connection is established"). */
function closeQuietly(ws, code, reason) {
  if (ws.readyState === WebSocket.CONNECTING) {
    ws.onopen = () => ws.close(code, reason);
    ws.onmessage = null;
  } else {
    ws.close(code, reason);
  }
}
