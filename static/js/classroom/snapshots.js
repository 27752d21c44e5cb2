// Snapshots (issue 18): the teacher picks 2–6 students; POST …/snapshots answers their current
// networks, anonymous ("A", "B", …), and the dashboard's projector view shows them side by
// side — each one's diagram (the playground's own Diagram), decision boundary and loss curve.
// No name reaches the projected part: only the labels the server gives.
import { call, el } from "./http.js";
import { Diagram } from "../diagram.js";
import { H } from "../diagram-layout.js";
import { drawBoundary, drawLossLine } from "./boundary.js";

export const SNAPSHOTS_MIN = 2;
export const SNAPSHOTS_MAX = 6; // SnapshotsIn.seats in app/classroom/activity.py

export class Snapshots {
  constructor(ctx) {
    this.ctx = ctx;
    this.picker = document.getElementById("snap-seats");
    this.view = document.getElementById("snapshots");
    this.grid = document.getElementById("snapshots-grid");
    this.go = document.getElementById("snap-project");
    this.picked = new Set();
    this.drawn = []; // [{root, snap, diagram}]
    this.width = 0;
    new ResizeObserver(() => { if (this.grid.clientWidth !== this.width) requestAnimationFrame(() => this.layout()); }).observe(this.grid);
    this.seatKey = "";
    this.go.addEventListener("click", () => this.project());
    document.getElementById("snap-clear").addEventListener("click", () => this.clear());
    this.updateButton();
    // the ones kept from before a reload of the dashboard (GET reads them again)
    call("GET", `${ctx.base}/snapshots`).then((r) => { if (r?.snapshots?.length) this.show(r.snapshots); }).catch(() => {});
  }

  /** The picker's students (names as the dashboard shows them: the picker is not projected). */
  seats(room, shownName) {
    const active = (room.seats || []).filter((s) => s.status === "active" && s.session_id);
    const key = JSON.stringify(active.map((s) => [s.id, shownName(s)]));
    if (key === this.seatKey) return;
    this.seatKey = key;
    for (const id of [...this.picked]) if (!active.some((s) => s.id === id)) this.picked.delete(id);
    this.picker.replaceChildren(...active.map((s) => {
      const box = el("input", { type: "checkbox", value: s.id, id: `snap-${s.id}`, "data-snap-seat": s.id });
      box.checked = this.picked.has(s.id);
      box.addEventListener("change", () => {
        if (box.checked) this.picked.add(s.id); else this.picked.delete(s.id);
        this.updateButton();
      });
      return el("label", { class: "snap-seat", for: `snap-${s.id}` }, box, ` ${shownName(s)}`);
    }));
    this.updateButton();
  }

  updateButton() {
    const n = this.picked.size;
    this.go.disabled = n < SNAPSHOTS_MIN || n > SNAPSHOTS_MAX;
    this.go.title = n < SNAPSHOTS_MIN ? `Pick ${SNAPSHOTS_MIN} to ${SNAPSHOTS_MAX} students` : n > SNAPSHOTS_MAX ? `At most ${SNAPSHOTS_MAX} students` : `Project ${n} students side by side, anonymous`;
    this.go.textContent = `Project ${n >= SNAPSHOTS_MIN ? n : ""} snapshots`.replace("  ", " ");
  }

  async project() {
    let r;
    try { r = await call("POST", `${this.ctx.base}/snapshots`, { seats: [...this.picked] }); } catch (err) { this.ctx.fail(err); return; }
    this.show(r.snapshots || []);
    this.ctx.projector(true);
  }

  async clear() {
    try { await call("DELETE", `${this.ctx.base}/snapshots`); } catch { /* only the view is cleared then */ }
    this.view.hidden = true;
    document.body.classList.remove("show-snapshots");
    this.grid.replaceChildren();
  }

  show(snaps) {
    this.view.hidden = false;
    document.body.classList.add("show-snapshots");
    this.grid.dataset.count = String(snaps.length);
    this.grid.replaceChildren();
    this.drawn = [];
    for (const s of snaps) {
      const dia = el("div", { class: "diagram snap-diagram" });
      const boundary = el("canvas", { class: "snap-boundary", width: 16, height: 16, "aria-label": `decision boundary of ${s.label}`, role: "img" });
      const loss = el("canvas", { class: "snap-loss", width: 220, height: 70, "aria-label": `loss curve of ${s.label}`, role: "img" });
      const tail = lossTail(s.history_tail);
      const last = s.loss?.train ?? tail.at(-1);
      const epoch = s.epoch != null ? `epoch ${s.epoch} · ` : "";
      const card = el("article", { class: "snapshot", "data-label": s.label },
        el("h2", {}, s.label),
        dia,
        el("div", { class: "snap-bottom" }, boundary,
          el("div", { class: "snap-lossbox" }, loss, el("small", {}, `${epoch}${last == null ? "loss –" : `loss ${Number(last).toPrecision(3)}`}`))));
      this.grid.append(card);
      drawBoundary(boundary, s.boundary, s.setup);
      drawLossLine(loss, tail, { color: "#c2410c", width: 2, pad: 2 });
      this.drawn.push({ root: dia, snap: s, diagram: null });
    }
    requestAnimationFrame(() => this.layout());
  }

  /** Lay each diagram out to its card's width, now and whenever the grid's width changes
   * (the projector view, a resized window). */
  layout() {
    const w = this.grid.clientWidth;
    if (!w) return;
    this.width = w;
    for (const d of this.drawn) d.diagram = drawDiagram(d.root, d.snap, d.diagram);
  }
}

/** The params as a frame the Diagram draws: {weights, biases} (or {W, b}). */
function frameOf(params) {
  if (!params) return null;
  const weights = params.weights ?? params.W, biases = params.biases ?? params.b;
  return weights ? { weights, biases } : null;
}

// On the projector a diagram is laid out smaller and scaled up (as the projected student's is,
// seat.css), by as much as its card allows (the layout is at least MIN_LAYOUT_W × H wide and
// tall) up to PROJECTOR_SCALE; a label still under MIN_LABEL_PX is hidden.
const PROJECTOR_SCALE = 1.6;
const MIN_LAYOUT_W = 420; // diagram-layout.js: layoutNetwork's narrowest
const MIN_LABEL_PX = 16;

function drawDiagram(root, snap, diagram) {
  const frame = frameOf(snap.params);
  if (!frame?.weights?.length) return diagram;
  // room on the right for the targets and E, which the svg draws past its width (as compare.js)
  const room = Math.max(200, root.parentElement.clientWidth - 70);
  const projected = document.body.classList.contains("projector");
  const k = projected ? Math.min(PROJECTOR_SCALE, Math.max(1, room / MIN_LAYOUT_W)) : 1;
  root.style.width = `${room / k}px`;
  root.style.transform = k > 1 ? `scale(${k})` : "";
  root.style.marginBottom = k > 1 ? `${H * (k - 1)}px` : "";
  const d = diagram || new Diagram(root, { onHover() {}, onSelect() {} });
  const sizes = [frame.weights[0].length, ...frame.weights.map((W) => W[0].length)];
  d.setNetwork({
    layerSizes: sizes, activations: snap.setup?.network?.activations || sizes.slice(1).map(() => "tanh"),
    featureNames: snap.setup?.dataset?.features || [], showBias: false, heatmaps: false,
  });
  d.render(frame);
  for (const t of root.querySelectorAll("svg text")) {
    t.classList.toggle("too-small", projected && parseFloat(t.getAttribute("font-size") || "0") * k < MIN_LABEL_PX);
  }
  return d;
}

/** The train losses of a history tail: [x…], {train: [x…]}, or [{train}…]. */
export function lossTail(h) {
  if (!h) return [];
  if (Array.isArray(h)) return h.map((x) => (typeof x === "number" ? x : x?.train ?? x?.loss ?? null)).filter((x) => x != null);
  if (Array.isArray(h.train)) return h.train;
  return [];
}
