// The playground page in a classroom. Three modes, from the page's boot data:
// - "student": the student's own seat. Their session is the seat's (GET /api/classrooms/{id}/me);
//   a change of setup asks the classroom for a new session (POST …/me/session), and controls the
//   lesson locks are disabled. The server enforces the same locks on every command; the page
//   only mirrors them. Every few seconds the seat is read again: a lesson the teacher pushed
//   (a new session, new locks) arrives without a reload.
// - "spectate": a teacher watching one student, read-only (every control disabled).
// - "projector": the same, large, the student's name hidden.
import { api } from "../api.js";
import { call } from "./http.js";

const SEAT_POLL_SECONDS = 3;

// control (app/classroom/controls.py) → the page's elements it covers
export const CONTROL_ELEMENTS = {
  play: ["#btn-play", "#speed"],
  step: ["#btn-step", "#btn-step-sample"],
  reset: ["#btn-reset"],
  weights: ["#inspector input", "#inspector button[data-edit]"],
  learning_rate: ["#lr"],
  batch_size: ["#batch"],
  momentum: ["#momentum"],
  regularization: ["#reg", "#reg-rate"],
  dataset: ["#datasets button", "#noise", "#split", "#n", "#data-seed", "#btn-regenerate", "#features button",
    "#import-file", "#csv-file", "#btn-upload", "#edit-points", "#edit-class"],
  hidden_layers: ["#btn-add-layer", "#btn-remove-layer", "#layer-heads button"],
  activations: ["#layer-heads select"],
  loss: ["#loss"],
  init: ["#init", "#init-seed"],
};
const READ_ONLY = [
  ...Object.values(CONTROL_ELEMENTS).flat(),
  "#btn-share", "#btn-gradcheck", "#btn-compare", "#stop-loss", "#stop-epochs",
];

/** Disable what `locks` names now and whenever the page re-renders those widgets. */
class Locks {
  constructor(reason) {
    this.selectors = [];
    this.reason = reason;
    this.pending = false;
    new MutationObserver(() => this.soon()).observe(document.body, { childList: true, subtree: true });
  }

  set(selectors, reason) {
    const before = new Set(this.selectors);
    this.selectors = selectors;
    if (reason) this.reason = reason;
    for (const sel of before) if (!selectors.includes(sel)) for (const n of document.querySelectorAll(sel)) this.free(n);
    this.apply();
  }

  soon() {
    if (this.pending) return;
    this.pending = true;
    requestAnimationFrame(() => { this.pending = false; this.apply(); });
  }

  apply() {
    for (const sel of this.selectors) {
      for (const n of document.querySelectorAll(sel)) {
        if (n.dataset.locked === "1") continue;
        n.dataset.locked = "1";
        n.dataset.lockTitle = n.title || "";
        n.disabled = true;
        n.title = this.reason;
        n.classList.add("locked");
      }
    }
  }

  free(n) {
    if (n.dataset.locked !== "1") return;
    n.disabled = false;
    n.title = n.dataset.lockTitle || "";
    delete n.dataset.locked;
    n.classList.remove("locked");
  }
}

function banner(text, extra) {
  let bar = document.getElementById("classroom-bar");
  if (!bar) {
    bar = document.createElement("div");
    bar.id = "classroom-bar";
    bar.className = "classroom-bar";
    bar.setAttribute("role", "status");
    document.body.prepend(bar);
  }
  bar.replaceChildren();
  const b = document.createElement("b");
  b.textContent = text;
  bar.append(b);
  if (extra) { const s = document.createElement("span"); s.textContent = extra; bar.append(s); }
  return bar;
}

/** Start the page in classroom mode; resolves once its session is shown. */
export async function startClassroom(app, cfg) {
  document.body.classList.add("classroom", `classroom-${cfg.mode}`);
  const keeper = app.sessions;
  keeper.serverKeeps = true; // the classroom keeps students' sessions: the page never deletes one
  if (cfg.mode === "student") return startStudent(app, cfg);
  const locks = new Locks("read-only: you are watching a student's session");
  locks.set(READ_ONLY);
  banner(cfg.mode === "projector" ? cfg.name : `Watching ${cfg.name}`, " · read-only");
  const s = await api.getSession(cfg.session_id);
  await keeper.adopt(s, false);
  return true;
}

async function startStudent(app, cfg) {
  const base = `/api/classrooms/${encodeURIComponent(cfg.id)}`;
  const keeper = app.sessions;
  const locks = new Locks("your teacher has locked this in the lesson");
  keeper.createVia = async (body) => {
    const { state: _state, ...setup } = body;
    const r = await call("POST", `${base}/me/session`, { setup });
    return api.getSession(r.session_id);
  };
  let me = null;
  let key = null; // the rejoin key shown once after joining by code (LMS launches have none)
  try {
    key = sessionStorage.getItem(`bpp-seat-key-${cfg.id}`);
  } catch { /* storage denied: a third-party frame in a browser blocking it (an LMS) */ }

  const refresh = async () => {
    try {
      me = await call("GET", `${base}/me`);
    } catch (err) {
      if (err.status !== 403) throw err;
      // the teacher removed this seat (or it moved to another device): nothing to drive here
      me = null;
      locks.set(READ_ONLY, "you are no longer in this classroom");
      banner("You are no longer in this classroom", " · ask your teacher, or join again at /join");
      app.stream.close();
      return;
    }
    const c = me.classroom;
    const open = c.status === "open";
    const waiting = me.seat.status === "waiting";
    const selectors = (!open || waiting) ? READ_ONLY : c.locks.flatMap((name) => CONTROL_ELEMENTS[name] || []);
    // sharing and side-by-side runs make sessions outside the seat: not in a classroom
  locks.set([...selectors, "#btn-share", "#btn-compare"], !open ? "the classroom is closed: your work is read-only" : waiting ? "waiting for your teacher" : "your teacher has locked this in the lesson");
    const challenge = c.challenge && c.challenge_active
      ? ` · challenge: ${c.challenge.title || `test loss < ${c.challenge.test_loss_below}`}` : "";
    const rank = c.leaderboard && c.challenge ? await standing(base, me.seat.id) : "";
    banner(`${c.name} · ${me.seat.name}`, `${waiting ? " · waiting for your teacher to let you in" : ""}${!open ? " · the classroom is closed" : ""}${challenge}${rank}${key ? ` · seat key ${key} (to move to another device)` : ""}`);
    const sid = me.seat.session_id;
    if (sid && (!keeper.session || keeper.session.id !== sid)) await keeper.adopt(await api.getSession(sid), true);
  };
  // The seat's session closed under the page (the teacher pushed a lesson, removed the seat):
  // ask the seat first, before the playground's "gone" checks.
  const checkGone = keeper.checkGone.bind(keeper);
  keeper.checkGone = async (id) => {
    await refresh().catch(() => {});
    if (me && keeper.session?.id === id && me.seat.status === "active") await checkGone(id);
  };
  await refresh();
  setInterval(() => refresh().catch(() => {}), SEAT_POLL_SECONDS * 1000);
  return true;
}

/** Where the student stands on the leaderboard the teacher shows (names as the teacher chose). */
async function standing(base, seatId) {
  try {
    const b = await call("GET", `${base}/leaderboard`);
    const i = b.rows.findIndex((r) => r.seat === seatId);
    const best = b.rows[0];
    if (!best) return "";
    const fmt = (x) => (x == null ? "–" : Number(x).toPrecision(3));
    const mine = i >= 0 ? ` · you are ${i + 1} of ${b.rows.length} (test loss ${fmt(b.rows[i].test_loss)})` : "";
    return `${mine} · best ${fmt(best.test_loss)} (${best.seat === seatId ? "you" : best.name})`;
  } catch { return ""; }
}

/** "teach this": a link to a new lesson made from the playground as it stands (its setup). */
export function addTeachLink(state) {
  const a = document.createElement("a");
  a.id = "btn-teach";
  a.className = "share";
  a.href = "/teach";
  a.textContent = "teach this";
  a.title = "Make a classroom lesson of this setup (teachers)";
  a.addEventListener("click", () => {
    a.href = `/teach#setup=${encodeURIComponent(JSON.stringify(state.sessionBody()))}`;
  });
  const conn = document.querySelector(".conn");
  if (conn) conn.prepend(a, " ");
}
