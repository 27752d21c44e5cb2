// The teacher's live dashboard: a tile per student fed by summary messages from one socket
// (/api/summaries), the roster from GET /api/classrooms/{id} every few seconds, and the
// pacing, lesson and export actions of the classroom API. Every number on a tile is the number
// the server's summary carries. The socket is summary-socket.js, the challenge's leaderboard
// leaderboard.js, the "push a lesson" dialog push-dialog.js, an activity's steps steps-panel.js.
import { boot, call, el, showError } from "./http.js";
import { drawBoundary, drawLossLine } from "./boundary.js";
import { Leaderboard } from "./leaderboard.js";
import { pushDialog } from "./push-dialog.js";
import { StepsPanel } from "./steps-panel.js";
import { SummarySocket } from "./summary-socket.js";

const B = boot();
const ID = B.classroom_id;
const base = `/api/classrooms/${encodeURIComponent(ID)}`;
const SPARK_POINTS = 60;
const ROSTER_SECONDS = 3;
const INFO_SECONDS = 6; // how long "pause: 4 sessions" and the like stay in view
const $ = (id) => document.getElementById(id);

let room = null;
const tiles = new Map(); // seat id → {seat, node, parts, summary, losses}
const bySession = new Map(); // session id → seat id
const errorBox = $("dash-error"), info = $("dash-info");

let infoTimer = null;
function say(text) {
  info.textContent = text;
  info.hidden = !text;
  clearTimeout(infoTimer);
  if (text) infoTimer = setTimeout(() => say(""), INFO_SECONDS * 1000);
}
function fail(err) { showError(errorBox, err); }
// an activity's steps, results and snapshots (steps-panel.js): fed by the roster read below
const steps = new StepsPanel({ base, fail, say, shownName: (s) => shownName(s), projector: (on) => projector(on), reload: () => loadRoster() });
// the challenge's leaderboard (leaderboard.js): read with the roster, then following the summaries
const board = new Leaderboard({ base, fail, tiles, room: () => room, anonymous: () => anonymous(), fmt: (x) => fmt(x) });

// ---------- the roster ----------

let rosterAsked = 0, rosterShown = 0; // answers that arrive out of order: the newest wins

async function loadRoster() {
  const seq = ++rosterAsked;
  let answer;
  try {
    answer = await call("GET", base);
  } catch (err) { fail(err); return; }
  if (seq < rosterShown) return;
  rosterShown = seq;
  room = answer;
  showError(errorBox, null);
  $("room-name").textContent = room.name;
  const open = room.status === "open";
  $("room-state").textContent = open ? "open" : "closed";
  $("room-state").className = `pill ${open ? "ok" : "muted"}`;
  $("join-code").textContent = room.code || "closed";
  $("join-url").textContent = room.join_url ? room.join_url.replace(/\/join\/.*$/, "/join") : "—";
  $("joinbox").classList.toggle("closed", !open);
  // the server's text marks commands with `…`: shown as code, every part as text (never HTML)
  const warning = open && room.join_warning ? `⚠ ${room.join_warning}` : "";
  $("join-warning").replaceChildren(...warning.split("`").map((part, i) => (i % 2 ? el("code", {}, part) : part)));
  $("join-warning").hidden = !(open && room.join_warning);
  for (const input of document.querySelectorAll("[data-option]")) {
    if (!pendingOptions.has(input.dataset.option)) input.checked = !!room[input.dataset.option];
  }
  const ch = $("btn-challenge");
  ch.hidden = !room.challenge;
  ch.textContent = room.challenge_active ? "Stop challenge" : "Start challenge";
  for (const b of document.querySelectorAll("[data-pace], #btn-push, #btn-close, #btn-challenge")) b.disabled = !open;
  $("btn-csv").href = `${base}/export.csv`;
  $("btn-json").href = `${base}/export.json`;
  const active = room.seats.filter((s) => s.status !== "removed");
  $("room-count").textContent = `${active.length} student${active.length === 1 ? "" : "s"}`;
  const seen = new Set();
  for (const seat of room.seats) { seen.add(seat.id); upsertTile(seat); }
  for (const [id, t] of tiles) if (!seen.has(id)) { t.node.remove(); tiles.delete(id); }
  $("tiles-empty").hidden = tiles.size > 0;
  bySession.clear();
  for (const t of tiles.values()) if (t.seat.session_id && t.seat.status === "active") bySession.set(t.seat.session_id, t.seat.id);
  summaries.watch();
  sortTiles();
  steps.update(room);
  board.update(room);
}

/** Names are hidden when the teacher hides them, and always on the projector: what the class
 * sees there is anonymous ("Student 3"), as the step results and the snapshots are. */
function anonymous() { return !!room?.hide_names || document.body.classList.contains("projector"); }
function shownName(seat) { return anonymous() ? seat.label : seat.name; }

function upsertTile(seat) {
  let t = tiles.get(seat.id);
  if (!t) {
    const parts = {
      name: el("b", { class: "name" }),
      status: el("span", { class: "pill" }),
      thumb: el("canvas", { class: "thumb", width: 16, height: 16 }),
      epoch: el("span", { class: "v" }, "–"),
      train: el("span", { class: "v" }, "–"),
      test: el("span", { class: "v" }, "–"),
      spark: el("canvas", { class: "spark", width: 160, height: 34 }),
      diffs: el("ul", { class: "diffs" }),
      actions: el("div", { class: "actions" }),
    };
    const stats = el("dl", { class: "stats" },
      el("dt", {}, "epoch"), el("dd", {}, parts.epoch),
      el("dt", {}, "train"), el("dd", {}, parts.train),
      el("dt", {}, "test"), el("dd", {}, parts.test));
    const node = el("article", { class: "tile", "data-seat": seat.id },
      el("header", {}, parts.name, parts.status),
      el("div", { class: "body" }, parts.thumb, stats),
      parts.spark, parts.diffs, parts.actions);
    t = { seat, node, parts, summary: null, losses: [] };
    tiles.set(seat.id, t);
    $("tiles").append(node);
  }
  const sessionChanged = t.seat.session_id !== seat.session_id;
  t.seat = seat;
  if (sessionChanged) { t.summary = null; t.losses = []; }
  renderName(t);
  renderActions(t);
  renderStatus(t);
  renderDiffs(t);
}

function renderName(t) {
  t.parts.name.textContent = shownName(t.seat);
  t.parts.name.title = anonymous() ? "" : `Student ${t.seat.number}`;
}

function renderActions(t) {
  const seat = t.seat;
  const buttons = [];
  if (seat.status === "active" && seat.session_id) {
    buttons.push(el("a", { class: "button small", href: `/classrooms/${encodeURIComponent(ID)}/students/${encodeURIComponent(seat.id)}`, target: "_blank", "data-spectate": seat.id }, "spectate"));
    buttons.push(el("a", { class: "button small", href: `/classrooms/${encodeURIComponent(ID)}/projector/${encodeURIComponent(seat.id)}`, target: "_blank", "data-project": seat.id }, "project"));
  }
  if (seat.status !== "active") buttons.push(el("button", { class: "small primary", "data-approve": seat.id, onclick: () => seatAction("POST", seat, "approve") }, seat.status === "waiting" ? "let in" : "bring back"));
  else buttons.push(el("button", { class: "small", "data-remove": seat.id, onclick: () => seatAction("DELETE", seat, "") }, "remove"));
  t.parts.actions.replaceChildren(...buttons);
}

async function seatAction(method, seat, what) {
  if (method === "DELETE" && !confirm(`Remove ${shownName(seat)} from the classroom? Their work is kept.`)) return;
  try { await call(method, `${base}/seats/${encodeURIComponent(seat.id)}${what ? "/" + what : ""}`); } catch (err) { fail(err); }
  loadRoster();
}

// ---------- summaries ----------

// one socket (summary-socket.js) watching the sessions of the seats let in
const summaries = new SummarySocket({ ids: () => [...bySession.keys()], onSummary: (m) => onSummary(m) });

function onSummary(m) {
  const seatId = bySession.get(m.id);
  const t = seatId && tiles.get(seatId);
  if (!t) return;
  const last = t.summary;
  t.summary = m;
  if (!last) seedSpark(t, m.id);
  if (!last || last.epoch !== m.epoch) {
    if (last && m.epoch < last.epoch) t.losses = []; // a reset
    t.losses.push(m.loss.train);
    if (t.losses.length > SPARK_POINTS) t.losses.shift();
  }
  const p = t.parts;
  p.epoch.textContent = String(m.epoch);
  p.train.textContent = fmt(m.loss.train);
  p.test.textContent = m.loss.test == null ? "–" : fmt(m.loss.test);
  renderStatus(t);
  drawThumb(p.thumb, m.thumbnail, m.setup);
  drawLossLine(p.spark, t.losses);
  renderDiffs(t);
  scheduleSort();
  board.follows(seatId, m);
}

/** The sparkline starts from the session's loss history (a dashboard opened mid-lesson). */
async function seedSpark(t, sessionId) {
  try {
    const h = await call("GET", `/api/sessions/${encodeURIComponent(sessionId)}/history`);
    if (t.seat.session_id !== sessionId) return;
    const before = h.train.slice(-SPARK_POINTS);
    t.losses = [...before, ...t.losses.filter((_, i) => i > 0)].slice(-SPARK_POINTS);
    drawLossLine(t.parts.spark, t.losses);
  } catch { /* the sparkline fills from summaries anyway */ }
}

function renderStatus(t) {
  const s = t.seat.status !== "active" ? t.seat.status : (t.summary ? t.summary.status : "…");
  const shown = { running: "playing", paused: "paused", diverged: "diverged", waiting: "waiting", removed: "removed" }[s] || s;
  t.parts.status.textContent = shown;
  t.parts.status.className = `pill ${shown}`;
  t.node.dataset.status = shown;
  t.node.classList.toggle("flagged", s === "diverged");
}

const fmt = (x) => (x == null || !Number.isFinite(x) ? String(x) : Math.abs(x) >= 1e4 || (x !== 0 && Math.abs(x) < 1e-3) ? x.toExponential(2) : x.toPrecision(3));

const drawThumb = drawBoundary; // boundary.js: the snapshots draw it the same way

/** The student's settings where they differ from the lesson's: the roster's `differs`, which
 * the server computes with the locks' own compare (app/classroom/controls.py). */
function renderDiffs(t) {
  const diffs = t.seat.differs || {};
  const show = (v) => (Array.isArray(v) ? v.join("/") : String(v));
  t.parts.diffs.replaceChildren(...Object.entries(diffs).map(([k, v]) => el("li", {}, `${k} = ${show(v)}`)));
}

// ---------- sorting ----------

let sortTimer = null;
function scheduleSort() { if (!sortTimer) sortTimer = setTimeout(() => { sortTimer = null; sortTiles(); }, 1000); }
const STATUS_ORDER = { diverged: 0, playing: 1, paused: 2, waiting: 3, removed: 4 };
function sortTiles() {
  const how = $("sort").value;
  const list = [...tiles.values()];
  const loss = (t) => (t.summary ? (t.summary.loss.test ?? t.summary.loss.train) : Infinity);
  const key = {
    number: (a, b) => a.seat.number - b.seat.number,
    name: (a, b) => shownName(a.seat).localeCompare(shownName(b.seat)),
    loss: (a, b) => (Number.isFinite(loss(a)) ? loss(a) : Infinity) - (Number.isFinite(loss(b)) ? loss(b) : Infinity) || a.seat.number - b.seat.number,
    status: (a, b) => (STATUS_ORDER[a.node.dataset.status] ?? 9) - (STATUS_ORDER[b.node.dataset.status] ?? 9) || a.seat.number - b.seat.number,
  }[how];
  list.sort(key);
  const container = $("tiles");
  list.forEach((t, i) => { if (container.children[i] !== t.node) container.insertBefore(t.node, container.children[i] || null); });
}
$("sort").addEventListener("change", sortTiles);

// ---------- actions ----------

for (const b of document.querySelectorAll("[data-pace]")) {
  b.addEventListener("click", async () => {
    const op = b.dataset.pace;
    if (op === "reset" && !confirm("Reset every student's weights?")) return;
    b.disabled = true;
    try {
      const r = await call("POST", `${base}/pace`, { op, epochs: Math.max(1, parseInt($("pace-epochs").value, 10) || 1) });
      const failed = Object.keys(r.failed).length;
      say(`${op.replace("_", " ")}: ${r.sessions} session${r.sessions === 1 ? "" : "s"}${failed ? `, ${failed} failed` : ""}`);
    } catch (err) { fail(err); }
    b.disabled = false;
  });
}

// an option being saved is not overwritten by a roster read that started before the save
const pendingOptions = new Set();
for (const input of document.querySelectorAll("[data-option]")) {
  input.addEventListener("change", async () => {
    const name = input.dataset.option;
    pendingOptions.add(name);
    try { await call("PATCH", base, { [name]: input.checked }); } catch (err) { fail(err); input.checked = !input.checked; }
    await loadRoster();
    pendingOptions.delete(name);
  });
}

$("btn-challenge").addEventListener("click", async () => {
  try { await call("PATCH", base, { challenge_active: !room.challenge_active }); } catch (err) { fail(err); }
  board.soon();
  loadRoster();
});

$("btn-close").addEventListener("click", async () => {
  if (!confirm("Close the room? The code stops working; students' work stays, read-only.")) return;
  try { await call("POST", `${base}/close`); } catch (err) { fail(err); }
  loadRoster();
});

// "push a lesson" (push-dialog.js)
const dialog = $("push-dialog");
pushDialog({ base, controls: B.controls, room: () => room, say, reload: () => loadRoster() });

// ---------- projector view: the join code and the tiles, large, without controls ----------

function projector(on) {
  document.body.classList.toggle("projector", on);
  $("btn-projector").setAttribute("aria-pressed", on ? "true" : "false");
  const url = new URL(location.href);
  if (on) url.searchParams.set("projector", "1"); else url.searchParams.delete("projector");
  history.replaceState(null, "", url);
  if (room) { // the names hidden (or shown again) at once: tiles, leaderboard, results
    for (const t of tiles.values()) renderName(t);
    board.render();
    steps.update(room);
  }
}
$("btn-projector").addEventListener("click", () => projector(true));
$("projector-exit").addEventListener("click", () => projector(false));
document.addEventListener("keydown", (ev) => { if (ev.key === "Escape" && document.body.classList.contains("projector") && !dialog.open) projector(false); });
projector(new URLSearchParams(location.search).get("projector") === "1");

loadRoster();
summaries.connect();
setInterval(loadRoster, ROSTER_SECONDS * 1000);
