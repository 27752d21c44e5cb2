// WebSocket to /api/sessions/{id}/stream with automatic reconnect and a visible status.

export class Stream {
  /**
   * @param {(msg: object) => void} onMessage  every server message (frame, sample_step, status, error)
   * @param {(state: "connecting"|"open"|"closed", text: string) => void} onState
   */
  constructor(onMessage, onState) {
    this.onMessage = onMessage;
    this.onState = onState;
    this.ws = null;
    this.id = null;
    this.retry = 0;
    this.timer = null;
    this.queue = [];
  }

  connect(sessionId) {
    this.close();
    this.id = sessionId;
    this.retry = 0;
    this._open();
  }

  _open() {
    const id = this.id;
    if (!id) return;
    const proto = location.protocol === "https:" ? "wss" : "ws";
    const ws = new WebSocket(`${proto}://${location.host}/api/sessions/${id}/stream`);
    this.ws = ws;
    this.onState("connecting", this.retry ? `reconnecting (try ${this.retry})…` : "connecting…");
    ws.onopen = () => {
      if (ws !== this.ws) return;
      this.retry = 0;
      this.onState("open", "live");
      for (const m of this.queue.splice(0)) ws.send(JSON.stringify(m));
    };
    ws.onmessage = (ev) => {
      if (ws !== this.ws) return;
      let msg;
      try { msg = JSON.parse(ev.data); } catch { return; }
      this.onMessage(msg);
    };
    ws.onclose = (ev) => {
      if (ws !== this.ws) return;
      this.ws = null;
      if (ev.code === 4404 || ev.code === 1008) {
        this.onState("closed", "session gone");
        return;
      }
      this.retry += 1;
      const delay = Math.min(5000, 250 * 2 ** Math.min(this.retry, 5));
      this.onState("closed", `disconnected — retrying in ${(delay / 1000).toFixed(1)} s`);
      this.timer = setTimeout(() => this._open(), delay);
    };
    ws.onerror = () => {};
  }

  /** Send a command; queued until the socket is open. */
  send(msg) {
    if (this.ws && this.ws.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(msg));
    else this.queue.push(msg);
  }

  /** Drop the socket on purpose (tests use it to check reconnection). */
  drop() {
    if (this.ws) closeQuietly(this.ws, 4000, "dropped by client");
  }

  close() {
    clearTimeout(this.timer);
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
