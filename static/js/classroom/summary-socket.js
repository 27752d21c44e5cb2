// The dashboard's one socket to /api/summaries: it watches the sessions it is given (a "watch"
// message whenever that set changes, and again after each reconnect), hands every summary
// message on, and reconnects after a close, waiting 500 ms and doubling up to 8 s.
export class SummarySocket {
  /** @param {{ids: () => string[], onSummary: Function}} ctx  ids(): the sessions to watch now */
  constructor(ctx) {
    this.ctx = ctx;
    this.socket = null;
    this.watched = "";
    this.retry = 500;
  }

  watch() {
    const ids = this.ctx.ids().sort();
    const key = ids.join(",");
    if (this.socket && this.socket.readyState === WebSocket.OPEN && key !== this.watched) {
      this.socket.send(JSON.stringify({ type: "watch", ids }));
      this.watched = key;
    }
  }

  connect() {
    const proto = location.protocol === "https:" ? "wss" : "ws";
    const socket = (this.socket = new WebSocket(`${proto}://${location.host}/api/summaries`));
    socket.addEventListener("open", () => { this.retry = 500; this.watched = ""; this.watch(); });
    socket.addEventListener("message", (ev) => {
      let m;
      try { m = JSON.parse(ev.data); } catch { return; }
      if (m.type === "summary") this.ctx.onSummary(m);
    });
    socket.addEventListener("close", () => { setTimeout(() => this.connect(), this.retry); this.retry = Math.min(this.retry * 2, 8000); });
  }
}
