// The teacher's live dashboard: a tile per student fed by summary messages from one socket
// (/api/summaries), the roster from GET /api/classrooms/{id} every few seconds, and the
// pacing, lesson and export actions of the classroom API. Every number on a tile is the number
// the server's summary carries.
import { boot, call, el, showError } from "./http.js";
import { drawBoundary, drawLossLine } from "./boundary.js";
import { StepsPanel } from "./steps-panel.js";

const B = boot();
const ID = B.classroom_id;
const base = `/api/classrooms/${encodeURIComponent(ID)}`;
const SPARK_POINTS = 60;
const ROSTER_SECONDS = 3;
const BOARD_SECONDS = 6; // who is on the leaderboard: asks every student's session, not too often
const INFO_SECONDS = 6; // how long "pause: 4 sessions" and the like stay in view
let boardAt = 0;
let board = null; // the last leaderboard read; its numbers follow the summaries, as the tiles do
const $ = (id) => document.getElementById(id);

let room = null;
const tiles = new Map(); // seat id → {seat, node, parts, summary, losses}
const bySession = new Map(); // session id → seat id
let socket = null, watched = "", retry = 500;
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
  watch();
  sortTiles();
  steps.update(room);
  if (!(room.challenge && (room.challenge_active || room.leaderboard))) $("board").hidden = true;
  else if (Date.now() - boardAt > BOARD_SECONDS * 1000) { boardAt = Date.now(); loadBoard(); }
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

function watch() {
  const ids = [...bySession.keys()].sort();
  const key = ids.join(",");
  if (socket && socket.readyState === WebSocket.OPEN && key !== watched) {
    socket.send(JSON.stringify({ type: "watch", ids }));
    watched = key;
  }
}

function connect() {
  const proto = location.protocol === "https:" ? "wss" : "ws";
  socket = new WebSocket(`${proto}://${location.host}/api/summaries`);
  socket.addEventListener("open", () => { retry = 500; watched = ""; watch(); });
  socket.addEventListener("message", (ev) => {
    let m;
    try { m = JSON.parse(ev.data); } catch { return; }
    if (m.type === "summary") onSummary(m);
  });
  socket.addEventListener("close", () => { setTimeout(connect, retry); retry = Math.min(retry * 2, 8000); });
}

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
  boardFollows(seatId, m);
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

// ---------- the leaderboard ----------

async function loadBoard() {
  try {
    board = await call("GET", `${base}/leaderboard`);
    // the server's read may be a few seconds old: the tiles' own numbers are newer
    for (const r of board.rows) {
      const t = tiles.get(r.seat);
      if (t?.summary) Object.assign(r, boardNumbers(t.summary));
    }
    renderBoard();
  } catch (err) { fail(err); }
}

function boardNumbers(m) {
  return { test_loss: m.loss.test ?? m.loss.train, epoch: m.epoch };
}

/** A summary moves its seat's row on the board at once (the same number as its tile). */
function boardFollows(seatId, m) {
  const row = board?.rows.find((r) => r.seat === seatId);
  if (!row) return;
  Object.assign(row, boardNumbers(m));
  renderBoard(); // with the tile, in the same task: never a frame apart (ten rows at most)
}

function renderBoard() {
  if (!board || !(room?.challenge && (room.challenge_active || room.leaderboard))) return;
  const b = board;
  $("board").hidden = false;
  const c = b.challenge || {};
  const rule = `test loss < ${c.test_loss_below}${c.max_hidden_units != null ? ` with at most ${c.max_hidden_units} hidden units` : ""}`;
  $("board-title").textContent = `Challenge: ${c.title || rule}${b.active ? "" : " (stopped)"}`;
  $("board-title").title = rule;
  const rows = [...b.rows].sort((x, y) => (x.test_loss == null) - (y.test_loss == null) || (x.test_loss ?? 0) - (y.test_loss ?? 0));
  $("board-rows").replaceChildren(...rows.slice(0, 10).map((r) => {
    const met = r.met || (b.active && r.test_loss != null && r.test_loss < c.test_loss_below);
    const seat = tiles.get(r.seat)?.seat;
    const name = anonymous() && !room.hide_names ? (seat ? seat.label : "Student") : r.name;
    return el("li", { class: met ? "met" : "", "data-seat": r.seat },
      `${name}: `, el("span", { class: "v" }, fmt(r.test_loss)), ` (epoch ${r.epoch}, ${r.hidden_units} units)${met ? " ✓" : ""}`);
  }));
}

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
  boardAt = 0;
  loadRoster();
});

$("btn-close").addEventListener("click", async () => {
  if (!confirm("Close the room? The code stops working; students' work stays, read-only.")) return;
  try { await call("POST", `${base}/close`); } catch (err) { fail(err); }
  loadRoster();
});

const dialog = $("push-dialog");
let pushLessons = []; // the teacher's lessons, for "start from one of your lessons"

/** The dialog's fields from a lesson (or the room's own): no JSON to write — the setup is
 * summed up in words; its JSON stays under "advanced". */
function fillPush(from) {
  $("push-setup").value = JSON.stringify(from.setup, null, 1);
  $("push-summary").textContent = `Setup: ${setupSummary(from.setup)}`;
  $("push-instructions").value = from.instructions || "";
  const locks = $("push-locks");
  locks.replaceChildren(...Object.entries(B.controls).map(([name, what]) =>
    el("label", { class: "lock", title: `lock name: ${name}` }, el("input", { type: "checkbox", value: name, checked: (from.locks || []).includes(name), "data-control": name }), ` ${what}`)));
  const c = from.challenge || {};
  $("push-ch-title").value = c.title || "";
  $("push-ch-loss").value = c.test_loss_below ?? "";
  $("push-ch-units").value = c.max_hidden_units ?? "";
}

function setupSummary(setup) {
  const n = setup?.network || {}, d = setup?.dataset || {}, t = setup?.training || {};
  const layers = (n.hidden_layers || []).join("–") || "no hidden layer";
  return `${d.name || "default data"}, hidden ${layers}${n.activations ? ` (${n.activations.join("/")})` : ""}, η = ${t.learning_rate ?? "default"}`;
}

$("push-from").addEventListener("change", () => {
  const lesson = pushLessons.find((x) => x.id === $("push-from").value);
  fillPush(lesson || room);
});
$("push-setup").addEventListener("change", () => {
  try { $("push-summary").textContent = `Setup: ${setupSummary(JSON.parse($("push-setup").value))}`; } catch { /* shown at push */ }
});

$("btn-push").addEventListener("click", async () => {
  fillPush(room);
  $("push-from").value = "";
  showError($("push-error"), null);
  dialog.showModal();
  try {
    pushLessons = (await call("GET", "/api/lessons")).lessons.filter((x) => !(x.steps || []).length);
    $("push-from").replaceChildren(el("option", { value: "" }, "— the lesson running now —"),
      ...pushLessons.map((x) => el("option", { value: x.id }, x.title)));
  } catch (err) { showError($("push-error"), err); }
});
$("push-go").addEventListener("click", async (ev) => {
  ev.preventDefault();
  let setup;
  try { setup = JSON.parse($("push-setup").value); } catch (e) { showError($("push-error"), new Error(`setup: not valid JSON (${e.message})`)); return; }
  const loss = parseFloat($("push-ch-loss").value), units = $("push-ch-units").value;
  const body = {
    setup,
    instructions: $("push-instructions").value,
    locks: [...$("push-locks").querySelectorAll("input:checked")].map((i) => i.value),
    challenge: Number.isFinite(loss) ? { title: $("push-ch-title").value, test_loss_below: loss, max_hidden_units: units === "" ? null : parseInt(units, 10) } : null,
  };
  try {
    const r = await call("PUT", `${base}/lesson`, body);
    dialog.close();
    say(`lesson pushed: ${r.replaced} new session${r.replaced === 1 ? "" : "s"}`);
    loadRoster();
  } catch (err) { showError($("push-error"), err); }
});

// ---------- projector view: the join code and the tiles, large, without controls ----------

function projector(on) {
  document.body.classList.toggle("projector", on);
  $("btn-projector").setAttribute("aria-pressed", on ? "true" : "false");
  const url = new URL(location.href);
  if (on) url.searchParams.set("projector", "1"); else url.searchParams.delete("projector");
  history.replaceState(null, "", url);
  if (room) { // the names hidden (or shown again) at once: tiles, leaderboard, results
    for (const t of tiles.values()) renderName(t);
    renderBoard();
    steps.update(room);
  }
}
$("btn-projector").addEventListener("click", () => projector(true));
$("projector-exit").addEventListener("click", () => projector(false));
document.addEventListener("keydown", (ev) => { if (ev.key === "Escape" && document.body.classList.contains("projector") && !dialog.open) projector(false); });
projector(new URLSearchParams(location.search).get("projector") === "1");

loadRoster();
connect();
setInterval(loadRoster, ROSTER_SECONDS * 1000);
