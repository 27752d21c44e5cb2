// The page's session over its life: create (or join) it over REST, adopt it, keep its latest
// export, follow its connection (reconnecting, restoring), and say so when the server no longer
// has it — offering its setup and its last export back. The page's widgets are the App's; this
// module tells the App when to show a new session (`app.showSession`).
import { api } from "./api.js";
import { Backup } from "./backup.js";

export class SessionKeeper {
  /** @param {import("./app.js").App} app */
  constructor(app) {
    this.app = app;
    this.session = null;
    this.own = false; // created by this page (not joined through a shared link)
    this.gone = null; // the id of the page's session once the server no longer has it
    this.seq = 0;
    this.restoringNow = false;
    this.goneChecks = 0;
    // The newest export of the page's own session, so that a session the server lost can be
    // created again (see sessionGone).
    this.backup = new Backup((id) => api.exportNet(id));
  }

  /** Create a session from the State after quick edits have settled. */
  recreate() {
    clearTimeout(this._recreateTimer);
    return new Promise((resolve) => {
      this._recreateTimer = setTimeout(async () => resolve(await this.create(this.app.state.sessionBody())), 60);
    });
  }

  /** Create a session from `body` and adopt it; on refusal the State goes back to the current
   * session's setup and the error shows next to the field. Resolves to success. */
  async create(body) {
    const app = this.app;
    app.ui.clearErrors();
    // Quick edits can overlap: only the newest request's session is adopted, whatever order
    // the answers come back in; a stale one is deleted again.
    const seq = ++this.seq;
    let s;
    try {
      s = await (this.createVia ? this.createVia(body) : api.createSession(body));
      if (seq !== this.seq) {
        if (!this.serverKeeps) api.deleteSession(s.id).catch(() => {});
        return false;
      }
    } catch (err) {
      if (seq !== this.seq) return false;
      app.ui.showError(err.field || "network", err.message);
      const old = this.session;
      if (old) { app.state.fromConfig(old.config); app.controls.sync(); app.state.writeHash(); app.layout(); }
      return false;
    }
    await this.adopt(s, true);
    return true;
  }

  /** Watch (and drive) a live session somebody shared with a `#join=<id>` link. */
  async join(id) {
    const seq = ++this.seq;
    let s;
    try {
      s = await api.getSession(id);
      if (seq !== this.seq) return false;
    } catch (err) {
      this.app.state.set("join", undefined);
      this.app.ui.toast(`The shared session is gone (${err.message}); this is a new one.`);
      return false;
    }
    await this.adopt(s, false);
    this.app.ui.toast("You joined someone else's live session: play, pause, step and reset here drive their training too. Changing the network or the data gives you a copy of your own.", "info");
    return true;
  }

  /** Make `s` the page's session. A session this page created (`own`) is paused and deleted
   * when the page moves on; a joined one is left exactly as it is for its owner. */
  async adopt(s, own) {
    const app = this.app;
    const old = this.session, oldOwn = this.own, oldGone = this.gone;
    const wasRunning = app.player.running && own;
    if (oldOwn) app.pause();
    else app.player.forget();
    this.session = s;
    this.own = own;
    this.gone = null;
    this.restoringNow = false;
    this.goneChecks = 0;
    clearTimeout(this._lostTimer);
    clearTimeout(this._backupTimer);
    app.notice.hide();
    app.state.fromConfig(s.config);
    app.state.set("join", own ? undefined : s.id);
    app.state.writeHash();
    app.showSession(s, own);
    app.stream.connect(s.id);
    if (old && oldOwn && old.id !== s.id) {
      this.backup.forget(old.id);
      if (oldGone !== old.id && !this.serverKeeps) api.deleteSession(old.id).catch(() => {});
    }
    if (own) this.backupNow();
    await app.loadHistory();
    if (wasRunning) app.play();
    else app.player.setRunning(s.status === "running");
  }

  /** The page's own session, deleted when the tab closes (not one it joined). */
  deleteOnClose() {
    if (!this.session || !this.own || this.gone || this.serverKeeps) return;
    this.backup.forget(this.session.id);
    fetch(`/api/sessions/${encodeURIComponent(this.session.id)}`, { method: "DELETE", keepalive: true }).catch(() => {});
  }

  async exportNet() {
    const id = this.session.id;
    try {
      const doc = await api.exportNet(id);
      if (this.own) this.backup.keep(id, doc);
      return doc;
    } catch (err) {
      this.failed(err, id, "network");
      throw err;
    }
  }

  async importNet(doc) {
    if (!doc) return false;
    this.app.state.fromConfig(doc);
    return this.create(doc);
  }

  // ---------- connection ----------
  connState(s, text, info = {}) {
    const app = this.app;
    if (this.gone) return;
    // amber while it is being retried, red only once the session is gone
    app.ui.setPill(s === "gone" ? "closed" : s === "closed" ? "connecting" : s, text);
    clearTimeout(this._lostTimer);
    if (s === "open") {
      app.notice.hide("reconnecting");
      // back after a loss (a server restart, a blip): the server's history has every epoch,
      // and a restarted server may have gone back to the last checkpoint
      if (info.reconnect) app.loadHistory();
    } else if (s === "closed") {
      // a paced step in flight is lost with the socket; a restarted server comes back paused
      app.player.stopPaced();
      if (app.notice.kind !== "reconnecting") this._lostTimer = setTimeout(() => this.showReconnecting(), 800);
    } else if (s === "gone") {
      this.checkGone(this.session?.id);
    }
  }

  showReconnecting() {
    const app = this.app;
    if (this.gone || app.stream.live) return;
    app.notice.show({
      kind: "reconnecting",
      title: "Lost the connection to the server — reconnecting…",
      text: "Your session is kept on the server: the page picks it up again, paused where it was saved, as soon as the server answers.",
      actions: [{ id: "btn-retry-now", label: "retry now", onClick: () => app.stream.retryNow() }],
    });
  }

  /** The session's trainer stopped; the server is bringing it back from its last checkpoint. */
  restoring(m) {
    const app = this.app;
    this.restoringNow = true;
    app.player.setRunning(false);
    app.ui.clearRate();
    app.ui.setPill("connecting", "restoring…");
    app.notice.show({
      kind: "restoring",
      title: "Trainer restarted — restoring from the last checkpoint…",
      text: m.message ? `The server says: ${m.message}.` : "",
    });
  }

  /** A frame arrived: the session is alive (and back, after `restoring`). */
  frameArrived() {
    this.goneChecks = 0;
    if (!this.restoringNow) return;
    const app = this.app;
    this.restoringNow = false;
    app.player.unblock();
    app.notice.hide("restoring");
    if (app.stream.live) app.ui.setPill("open", "live");
    app.loadHistory();
  }

  /** The server closed the socket saying it has no such session (4404). That is also what a
   * server says of a session it is about to bring back, so ask REST before giving up. */
  async checkGone(id) {
    if (!id || id !== this.session?.id || this.gone) return;
    this.goneChecks += 1;
    let status = 200;
    try { await api.getSession(id); } catch (err) { status = err.status ?? 0; }
    if (id !== this.session?.id || this.gone) return;
    if (status === 404 || (status === 200 && this.goneChecks > 3)) this.sessionGone(id);
    else setTimeout(() => { if (id === this.session?.id && !this.gone) this.app.stream.retryNow(); }, 400 * this.goneChecks);
  }

  /** A REST call about session `id` failed: a 404 means the session is gone; anything else is
   * shown next to `field` (when given). */
  failed(err, id, field) {
    if (err?.status === 404 && id === this.session?.id) this.sessionGone(id);
    else if (field) this.app.ui.showError(err.field || field, err.message);
  }

  /** The server no longer has the page's session (deleted, or removed after the retention
   * period). A shared one that ended is followed by a copy of its setup; the page's own work is
   * never dropped silently: it says so and offers its setup and its last export back. */
  sessionGone(id) {
    const app = this.app;
    if (!this.session || id !== this.session.id || this.gone) return;
    if (!this.own) {
      // the owner of a shared session moved on or deleted it: carry on with a copy of its setup
      app.ui.toast("The shared session has ended; this page now trains its own copy of that setup.");
      this.create(app.state.sessionBody());
      return;
    }
    this.gone = id;
    this.restoringNow = false;
    clearTimeout(this._lostTimer);
    clearTimeout(this._backupTimer);
    app.player.stopPaced();
    app.player.setRunning(false);
    app.stream.close();
    app.ui.clearRate();
    app.ui.setPill("closed", "session gone");
    const kept = this.backup.get(id);
    const when = kept ? new Date(kept.at).toLocaleTimeString() : "";
    app.notice.show({
      kind: "gone",
      title: "This session is gone from the server",
      text: "It was deleted, or removed after long disuse. "
        + (kept ? `Start again from the same setup with fresh weights, or restore the network as the page last exported it (epoch ${kept.epoch ?? "?"}, ${when}).`
          : "The page kept no export of it: start again from the same setup with fresh weights."),
      actions: [
        { id: "btn-start-again", label: "start again from this setup", onClick: () => this.startAgain() },
        { id: "btn-restore-export", label: kept ? `restore from last export (epoch ${kept.epoch ?? "?"})` : "restore from last export",
          disabled: !kept, primary: !!kept, title: kept ? "Create the session again from its last export, weights and all" : "no export of this session was kept",
          onClick: () => this.restoreExport(id) },
      ],
    });
  }

  /** Whether the session is gone (a click it blocks draws the eye to the banner). */
  blockedByGone() {
    if (this.gone) this.app.notice.pulse();
    return !!this.gone;
  }

  async startAgain() {
    this.app.notice.busy(true);
    const ok = await this.create(this.app.state.sessionBody());
    if (!ok) this.app.notice.busy(false);
  }

  async restoreExport(id) {
    const kept = this.backup.get(id);
    if (!kept) return;
    this.app.notice.busy(true);
    const ok = await this.importNet(structuredClone(kept.doc));
    if (!ok) this.app.notice.busy(false);
  }

  // ---------- keeping the last export ----------
  /** Export the page's own session now (and keep it: memory and localStorage). */
  backupNow() {
    clearTimeout(this._backupTimer);
    if (!this.session || !this.own || this.gone) return;
    const id = this.session.id;
    this._backupAt = performance.now();
    this.backup.refresh(id).catch((err) => this.failed(err, id));
  }

  /** Export once things have settled (after a pause, a step, an edit). */
  backupSoon() {
    clearTimeout(this._backupTimer);
    if (!this.own || this.gone) return;
    this._backupTimer = setTimeout(() => this.backupNow(), 700);
  }

  /** A frame arrived: while training, export every ~10 s; otherwise soon after it. */
  backupAfterFrame(running) {
    if (!this.own || this.gone) return;
    if (!running) this.backupSoon();
    else if (performance.now() - (this._backupAt || 0) > 10000) this.backupNow();
  }
}
