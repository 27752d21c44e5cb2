// The playground page in a classroom. Three modes, from the page's boot data:
// - "student": the student's own seat. Their session is the seat's (GET /api/classrooms/{id}/me);
//   a change of setup asks the classroom for a new session (POST …/me/session), and controls the
//   lesson locks are disabled. The server enforces the same locks on every command; the page
//   only mirrors them. Every few seconds the seat is read again: a lesson the teacher pushed
//   (a new session, new locks) arrives without a reload.
// - "spectate": a teacher watching one student, read-only (every control disabled).
// - "projector": the same, large, the student's name hidden.
import { api } from "../api.js";
import { pairAllowed } from "../pairing.js";
import { renderInstructions } from "../markdown.js";
import { call } from "./http.js";
import { SeatActivity } from "./activity.js";

const SEAT_POLL_SECONDS = 3;

// A control's elements carry data-ctl="<control>" (index.html, controls.js, inspector.js): the
// names are the registry's (app/controls.py, GET /api/catalog "controls"), nothing hand-listed.
export const controlSelector = (name) => `[data-ctl~="${name}"]`;
const READ_ONLY = [
  "[data-ctl]",
  "#btn-share", "#btn-gradcheck", "#btn-compare", "#stop-loss", "#stop-epochs",
];

/** (control, value) → why the page may not choose `value`: it would force a control the
 * lesson locks (the output activation and the loss go together; a regression data set needs
 * an sse loss and no softmax output). null where nothing locked is forced. */
export function forcedByLocks(catalog, locks, setup) {
  const locked = new Set(locks);
  const acts = setup?.network?.activations;
  const out = acts?.length ? acts.at(-1) : "tanh";
  const loss = setup?.network?.loss ?? "sse";
  return (control, value) => {
    if (control === "output" && locked.has("loss") && !locked.has("activations") && !pairAllowed(catalog, value, loss)) {
      return `the lesson locks the loss: ${loss}`;
    }
    if (control === "loss" && locked.has("activations") && !locked.has("loss") && !pairAllowed(catalog, out, value)) {
      return `the lesson locks the output activation: ${out}`;
    }
    if (control === "dataset" && !locked.has("dataset")) {
      const info = catalog.datasets.find((d) => d.name === value);
      if (info?.task === "regression") {
        if (locked.has("loss") && loss === "cross_entropy") return "needs the sse loss, and the lesson locks the loss";
        if (locked.has("activations") && out === "softmax") return "needs no softmax output, and the lesson locks the activations";
      }
    }
    return null;
  };
}

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

// the smallest diagram label the projector shows, as rendered (a label smaller is hidden)
export const MIN_PROJECTED_LABEL_PX = 16;

/** On the projector the diagram is scaled up (seat.css): hide each of its labels that would
 * still be smaller than MIN_PROJECTED_LABEL_PX, whenever the diagram is drawn anew. */
function projectorLabels() {
  const root = document.getElementById("diagram");
  const check = () => {
    const svgEl = root.querySelector("svg");
    if (!svgEl || !root.offsetWidth) return;
    const k = root.getBoundingClientRect().width / root.offsetWidth;
    for (const t of svgEl.querySelectorAll("text")) {
      const px = parseFloat(t.getAttribute("font-size") || "0") * k;
      t.classList.toggle("too-small", px < MIN_PROJECTED_LABEL_PX);
    }
  };
  new MutationObserver(check).observe(root, { childList: true });
  window.addEventListener("resize", check);
  check();
}

/** Start the page in classroom mode; resolves once its session is shown. */
export async function startClassroom(app, cfg) {
  document.body.classList.add("classroom", `classroom-${cfg.mode}`);
  const keeper = app.sessions;
  keeper.serverKeeps = true; // the classroom keeps students' sessions: the page never deletes one
  if (cfg.mode === "student") return startStudent(app, cfg);
  const locks = new Locks("read-only: you are watching a student's session");
  locks.set(READ_ONLY);
  if (cfg.mode === "projector") {
    banner(cfg.name, "");
    projectorLabels();
  } else banner(`Watching ${cfg.name}`, " · read-only");
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
  let me = null, ended = false;
  let key = null; // the rejoin key shown once after joining by code (LMS launches have none)
  try {
    key = sessionStorage.getItem(`bpp-seat-key-${cfg.id}`);
  } catch { /* storage denied: a third-party frame in a browser blocking it (an LMS) */ }

  let poll = null;
  // an open network question freezes the network (the server refuses play/step; issue 18)
  let frozen = null;
  const FROZEN = [controlSelector("play"), controlSelector("step"), controlSelector("reset"), controlSelector("weights")];
  const activity = new SeatActivity(app, base, (why) => {
    if (why === frozen) return;
    frozen = why;
    document.body.classList.toggle("activity-frozen", !!why);
    refresh().catch(() => {});
  });
  const refresh = async () => {
    if (ended) return;
    try {
      me = await call("GET", `${base}/me`);
    } catch (err) {
      if (err.status !== 403) throw err;
      // the teacher removed this seat, or it moved to another device: nothing to drive here,
      // and nothing to ask again (the answer stays the same)
      me = null;
      ended = true;
      clearInterval(poll);
      const moved = /moved/.test(err.message || "");
      locks.set(READ_ONLY, moved ? "your seat moved to another device" : "you are no longer in this classroom");
      if (moved) banner("Your seat moved to another device", " · carry on there; this page no longer follows the class");
      else banner("You are no longer in this classroom", " · ask your teacher, or join again at /join");
      app.stream.close();
      const conn = document.getElementById("conn");
      if (conn) { conn.textContent = moved ? "seat moved" : "left the class"; conn.className = "pill closed"; }
      return;
    }
    showInstructions(me.classroom.instructions);
    const c = me.classroom;
    const open = c.status === "open";
    const waiting = me.seat.status === "waiting";
    const selectors = (!open || waiting) ? READ_ONLY : c.locks.map(controlSelector);
    document.body.dataset.locks = c.locks.join(" ");
    app.controls.forcedBy = (!open || waiting) ? () => null : forcedByLocks(app.catalog, c.locks, c.setup);
    app.controls.markForced();
    // sharing and side-by-side runs make sessions outside the seat: not in a classroom
    locks.set([...selectors, ...(frozen ? FROZEN : []), "#btn-share", "#btn-compare"], !open ? "the classroom is closed: your work is read-only" : waiting ? "waiting for your teacher" : frozen || "your teacher has locked this in the lesson");
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
  await activity.load();
  if (!ended) poll = setInterval(() => refresh().catch(() => {}), SEAT_POLL_SECONDS * 1000);
  return true;
}

/** The lesson's instructions (Markdown, sanitised) above the playground; re-rendered only when
 * the teacher changes them, so an open <details> stays as the student left it. */
let shownInstructions = null;
function showInstructions(text) {
  text = text || "";
  if (text === shownInstructions) return;
  shownInstructions = text;
  let box = document.getElementById("seat-instructions");
  if (!box) { // a landmark of its own: <section aria-label> around an open <details>
    box = document.createElement("section");
    box.id = "seat-instructions";
    box.className = "seat-instructions";
    box.setAttribute("aria-label", "Your teacher's instructions");
    const details = document.createElement("details");
    details.open = true;
    const summary = document.createElement("summary");
    summary.textContent = "Instructions";
    const body = document.createElement("div");
    body.className = "instructions-body md";
    details.append(summary, body);
    box.append(details);
    document.querySelector(".topbar").after(box);
  }
  box.hidden = !renderInstructions(box.querySelector(".instructions-body"), text);
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

/** Where "teach this" leaves the playground's setup for the lesson editor: this tab's
 * sessionStorage survives the login a logged-out teacher goes through on the way. */
export const TEACH_DRAFT_KEY = "bpp-teach-setup";

/** The setup of the session the page shows (a POST /api/sessions body, no weights). */
export function setupOf(app) {
  const config = app.sessions?.session?.config;
  const body = config ? { network: { ...config.network }, dataset: { ...config.dataset }, training: { ...config.training } } : app.state.sessionBody();
  for (const part of Object.values(body)) for (const [k, v] of Object.entries(part || {})) if (v === null) delete part[k];
  return body;
}

/** "teach this": make a lesson of the playground as it stands (the lesson editor, /teach/new). */
export function addTeachLink(app) {
  const a = document.createElement("a");
  a.id = "btn-teach";
  a.className = "share";
  a.href = "/teach/new";
  a.textContent = "teach this";
  a.title = "Make a classroom lesson of this setup (teachers; you log in first if you have not)";
  a.addEventListener("click", () => {
    try { sessionStorage.setItem(TEACH_DRAFT_KEY, JSON.stringify(setupOf(app))); } catch { /* the hash still carries it */ }
    a.href = `/teach/new${app.state.toHash()}`;
  });
  const conn = document.querySelector(".conn");
  if (conn) conn.prepend(a, " ");
}
