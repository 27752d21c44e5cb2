// The page's last export of its session (GET /api/sessions/{id}/export), kept in memory and in
// localStorage under the session's id, so that a session the server no longer has can be
// created again bit for bit (POST the export back to /api/sessions).

const PREFIX = "bpp.export.";
const KEEP = 8; // exports of this many sessions stay in localStorage, the newest

export class Backup {
  /** @param {(id: string) => Promise<object>} fetchExport  the export of session `id` */
  constructor(fetchExport) {
    this.fetchExport = fetchExport;
    this.latest = new Map(); // id -> {id, epoch, at, doc}
    this.inFlight = new Map(); // id -> Promise
  }

  /** Fetch the session's export now and keep it (one request per session at a time).
   * Resolves to the kept entry; rejects like the request (an ApiError). */
  refresh(id) {
    const busy = this.inFlight.get(id);
    if (busy) return busy;
    const p = this.fetchExport(id)
      .then((doc) => this.keep(id, doc))
      .finally(() => this.inFlight.delete(id));
    this.inFlight.set(id, p);
    return p;
  }

  keep(id, doc) {
    const entry = { id, epoch: doc?.state?.epoch ?? null, at: Date.now(), doc };
    this.latest.set(id, entry);
    try {
      localStorage.setItem(PREFIX + id, JSON.stringify(entry));
      prune();
    } catch { /* storage full or off: memory still has it */ }
    return entry;
  }

  /** The newest export kept for `id` (memory first, then localStorage), or null. */
  get(id) {
    if (this.latest.has(id)) return this.latest.get(id);
    try {
      const entry = JSON.parse(localStorage.getItem(PREFIX + id) || "null");
      return entry && entry.doc ? entry : null;
    } catch {
      return null;
    }
  }

  /** Drop what is kept for `id` (the page deleted that session on purpose). */
  forget(id) {
    this.latest.delete(id);
    try { localStorage.removeItem(PREFIX + id); } catch { /* nothing kept */ }
  }
}

/** Keep the KEEP newest exports in localStorage. */
function prune() {
  const kept = [];
  for (let i = 0; i < localStorage.length; i++) {
    const key = localStorage.key(i);
    if (!key?.startsWith(PREFIX)) continue;
    let at = 0;
    try { at = JSON.parse(localStorage.getItem(key)).at || 0; } catch { /* unreadable: oldest */ }
    kept.push([at, key]);
  }
  kept.sort((a, b) => b[0] - a[0]);
  for (const [, key] of kept.slice(KEEP)) localStorage.removeItem(key);
}
