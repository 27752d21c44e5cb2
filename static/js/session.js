// The page's session over its life: create (or join) it over REST, adopt it, keep its latest
// export, follow its connection (reconnecting, restoring), and say so when the server no longer
// has it — offering its setup and its last export back. It knows no App: it gets the few parts
// it drives as arguments and says on the page's bus when a session is adopted (`session`) or a
// refused setup went back (`setup-restored`); the widgets that show them subscribe.
import { api } from "./api.js";
import { Backup } from "./backup.js";

export class SessionKeeper {
  /**
   * @param {{bus: EventTarget, state: import("./state.js").State,
   *          ui: import("./ui.js").PageUI, notice: import("./notice.js").Notice,
   *          stream: import("./stream.js").Stream, player: import("./player.js").Player,
   *          play: () => void}} parts
   *   `play` starts playing at the page's speed (a session re-created while playing plays on)
   */
  constructor({ bus, state, ui, notice, stream, player, play }) {
    Object.assign(this, { bus, state, ui, notice, stream, player, play });
    this.session = null;
    this.own = false; // created by this page (not joined through a shared link)
    this.gone = null; // the id of the page's session once the server no longer has it
    this.seq = 0;
    this.editPending = false;
    this.restoringNow = false;
    this.goneChecks = 0;
    // The newest export of the page's own session, so that a session the server lost can be
    // created again (see sessionGone).
    this.backup = new Backup((id) => api.exportNet(id));
    bus.addEventListener("frame", () => this.frameArrived());
    bus.addEventListener("status", (e) => { if (e.detail.status === "restoring") this.restoring(e.detail); });
    // no export while training plays (nothing periodic beside the stream): one after it stops
    // (backupSoon), and one when the page is hidden while it plays (the tab left or closed)
    document.addEventListener("visibilitychange", () => {
      if (document.visibilityState === "hidden" && this.player.running) this.backupNow();
    });
  }

  /** Create a session from the State after quick edits have settled. */
  recreate() {
    clearTimeout(this._recreateTimer);
    this.editPending = true; // an edit waits for its session: an older answer must not undo it
    return new Promise((resolve) => {
      this._recreateTimer = setTimeout(async () => {
        this.editPending = false;
        resolve(await this.create(this.state.sessionBody()));
      }, 60);
    });
  }

  /** Create a session from `body` and adopt it; on refusal the State goes back to the current
   * session's setup and the error shows next to the field. Resolves to success. */
  async create(body) {
    this.ui.clearErrors();
    // Quick edits can overlap: only the newest request's session is adopted, whatever order
    // the answers come back in; a stale one is deleted again.
    const seq = ++this.seq;
    let s;
    try {
      s = await (this.createVia ? this.createVia(body) : api.createSession(body));
      // stale: a newer request was sent, or a newer edit waits to be (adopting this one would
      // put its older setup back into the State, and that edit would be lost)
      if (seq !== this.seq || this.editPending) {
        if (!this.serverKeeps) api.deleteSession(s.id).catch(() => {});
        return false;
      }
    } catch (err) {
      if (seq !== this.seq) return false;
      this.ui.showError(err.field || "network", err.message);
      const old = this.session;
      if (old) {
        this.state.fromConfig(old.config);
        this.state.writeHash();
        this.bus.dispatchEvent(new CustomEvent("setup-restored", { detail: old }));
      }
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
      this.state.set("join", undefined);
      this.ui.toast(`The shared session is gone (${err.message}); this is a new one.`);
      return false;
    }
    await this.adopt(s, false);
    this.ui.toast("You joined someone else's live session: play, pause, step and reset here drive their training too. Changing the network or the data gives you a copy of your own.", "info");
    return true;
  }

  /** Make `s` the page's session. A session this page created (`own`) is paused and deleted
   * when the page moves on; a joined one is left exactly as it is for its owner. */
  async adopt(s, own) {
    const old = this.session, oldOwn = this.own, oldGone = this.gone;
    const wasRunning = this.player.running && own;
    if (oldOwn) this.player.pause();
    else this.player.forget();
    this.session = s;
    this.own = own;
    this.gone = null;
    this.restoringNow = false;
    this.goneChecks = 0;
    clearTimeout(this._lostTimer);
    clearTimeout(this._backupTimer);
    this.notice.hide();
    this.state.fromConfig(s.config);
    this.state.set("join", own ? undefined : s.id);
    this.state.writeHash();
    this.bus.dispatchEvent(new CustomEvent("session", { detail: { session: s, own } }));
    this.stream.connect(s.id); // its history, confusion matrix and replay range come on it
    if (old && oldOwn && old.id !== s.id) {
      this.backup.forget(old.id);
      if (oldGone !== old.id && !this.serverKeeps) api.deleteSession(old.id).catch(() => {});
    }
    if (own) this.backupNow();
    if (wasRunning) this.play();
    else this.player.setRunning(s.status === "running");
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
    this.state.fromConfig(doc);
    return this.create(doc);
  }

  // ---------- connection ----------
  connState(s, text) {
    if (this.gone) return;
    // amber while it is being retried, red only once the session is gone
    this.ui.setPill(s === "gone" ? "closed" : s === "closed" ? "connecting" : s, text);
    clearTimeout(this._lostTimer);
    if (s === "open") {
      // back after a loss (a server restart, a blip): the socket's first messages are the
      // session as the server has it now (frame, status, history and the other panels)
      this.notice.hide("reconnecting");
    } else if (s === "closed") {
      // a paced step in flight is lost with the socket; a restarted server comes back paused
      this.player.stopPaced();
      if (this.notice.kind !== "reconnecting") this._lostTimer = setTimeout(() => this.showReconnecting(), 800);
    } else if (s === "gone") {
      this.checkGone(this.session?.id);
    }
  }

  showReconnecting() {
    if (this.gone || this.stream.live) return;
    this.notice.show({
      kind: "reconnecting",
      title: "Lost the connection to the server — reconnecting…",
      text: "Your session is kept on the server: the page picks it up again, paused where it was saved, as soon as the server answers.",
      actions: [{ id: "btn-retry-now", label: "retry now", onClick: () => this.stream.retryNow() }],
    });
  }

  /** The session's trainer stopped; the server is bringing it back from its last checkpoint. */
  restoring(m) {
    this.restoringNow = true;
    this.player.setRunning(false);
    this.ui.clearRate();
    this.ui.setPill("connecting", "restoring…");
    this.notice.show({
      kind: "restoring",
      title: "Trainer restarted — restoring from the last checkpoint…",
      text: m.message ? `The server says: ${m.message}.` : "",
    });
  }

  /** A frame arrived: the session is alive (and back, after `restoring`: its panels come
   * on the stream); while nothing plays, its export is kept once things settle. */
  frameArrived() {
    this.goneChecks = 0;
    if (!this.player.running) this.backupSoon();
    if (!this.restoringNow) return;
    this.restoringNow = false;
    this.player.unblock();
    this.notice.hide("restoring");
    if (this.stream.live) this.ui.setPill("open", "live");
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
    else setTimeout(() => { if (id === this.session?.id && !this.gone) this.stream.retryNow(); }, 400 * this.goneChecks);
  }

  /** A REST call about session `id` failed: a 404 means the session is gone; anything else is
   * shown next to `field` (when given). */
  failed(err, id, field) {
    if (err?.status === 404 && id === this.session?.id) this.sessionGone(id);
    else if (field) this.ui.showError(err.field || field, err.message);
  }

  /** The server no longer has the page's session (deleted, or removed after the retention
   * period). A shared one that ended is followed by a copy of its setup; the page's own work is
   * never dropped silently: it says so and offers its setup and its last export back. */
  sessionGone(id) {
    if (!this.session || id !== this.session.id || this.gone) return;
    if (!this.own) {
      // the owner of a shared session moved on or deleted it: carry on with a copy of its setup
      this.ui.toast("The shared session has ended; this page now trains its own copy of that setup.");
      this.create(this.state.sessionBody());
      return;
    }
    this.gone = id;
    this.restoringNow = false;
    clearTimeout(this._lostTimer);
    clearTimeout(this._backupTimer);
    this.player.stopPaced();
    this.player.setRunning(false);
    this.stream.close();
    this.ui.clearRate();
    this.ui.setPill("closed", "session gone");
    const kept = this.backup.get(id);
    const when = kept ? new Date(kept.at).toLocaleTimeString() : "";
    this.notice.show({
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
    if (this.gone) this.notice.pulse();
    return !!this.gone;
  }

  async startAgain() {
    this.notice.busy(true);
    const ok = await this.create(this.state.sessionBody());
    if (!ok) this.notice.busy(false);
  }

  async restoreExport(id) {
    const kept = this.backup.get(id);
    if (!kept) return;
    this.notice.busy(true);
    const ok = await this.importNet(structuredClone(kept.doc));
    if (!ok) this.notice.busy(false);
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
}
