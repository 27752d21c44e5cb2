// The diagram as text (WCAG 1.1.1): a table of the layers — their units, activation g, the probe
// sample's a_j and δ_j (Eq. 14/5 of the derivation) and the size of the weights into them — and a
// table of the last losses. Visually hidden (a screen reader reads it) until its toggle shows it.
// Frames arrive at up to 60/s; the tables are rewritten at most every TABLE_REFRESH_MS.
import { fmt } from "./util.js";

export const TABLE_REFRESH_MS = 1000;
export const LOSSES_KEPT = 5;
const VALUES_SHOWN = 16; // per cell; a wider layer says how many more

export class DiagramTable {
  /**
   * @param {HTMLElement} host  where the tables go
   * @param {HTMLInputElement|null} toggle  a checkbox that shows them
   */
  constructor(host, toggle) {
    this.host = host;
    this.toggle = toggle;
    this.net = null;
    this.frame = null;
    this.losses = [];
    this.drawnAt = -Infinity;
    this.timer = null;
    toggle?.addEventListener("change", () => this.show(toggle.checked));
    if (toggle?.checked) this.show(true); // a checkbox the browser restored
  }

  /** Show the tables on the page, or hide them again (a screen reader reads them either way). */
  show(on) {
    this.host.classList.toggle("sr-only", !on);
    this._draw();
  }

  /** A new shape: the losses of the old one no longer apply. */
  setNetwork(net) {
    this.net = net;
    this.losses = [];
    this.frame = null;
    this._draw();
  }

  /** Every frame: its loss is kept (one entry per epoch), the tables redrawn at a modest rate. */
  update(frame) {
    this.frame = frame;
    const last = this.losses.at(-1);
    if (frame.loss && last?.epoch !== frame.epoch) {
      this.losses.push({ epoch: frame.epoch, train: frame.loss.train, test: frame.loss.test });
      if (this.losses.length > LOSSES_KEPT) this.losses.shift();
    }
    const wait = this.drawnAt + TABLE_REFRESH_MS - performance.now();
    if (wait <= 0) this._draw();
    else if (!this.timer) this.timer = setTimeout(() => this._draw(), wait);
  }

  _draw() {
    clearTimeout(this.timer);
    this.timer = null;
    this.drawnAt = performance.now();
    const net = this.net, f = this.frame;
    if (!net) { this.host.replaceChildren(); return; }
    const sizes = net.layerSizes, L = sizes.length - 1;
    const probe = f?.probe;
    const layers = table(
      f ? `The network at epoch ${f.epoch}, for probe sample #${probe?.index ?? 0}` : "The network",
      ["layer", "units", "activation g", "a (probe sample)", "δ (probe sample)", "weights in: mean |w|, max |w|"],
      sizes.map((n, l) => {
        const P = l > 0 ? probe?.layers?.[l - 1] : null;
        const name = l === 0 ? "input" : l === L ? "output" : `hidden ${l}`;
        const units = l === 0 ? `${n}: ${(net.featureNames || []).join(", ")}` : String(n);
        return [name, units, l === 0 ? "–" : net.activations?.[l - 1] ?? "–",
          values(l === 0 ? probe?.input : P?.a), values(P?.delta), l === 0 ? "–" : sizeOf(f?.weights?.[l - 1])];
      }),
    );
    const rows = this.losses.slice().reverse().map((x) => [String(x.epoch), fmt(x.train), fmt(x.test)]);
    if (!rows.length) rows.push(["–", "–", "–"]);
    const extra = probe?.target ? [`targets t: ${values(probe.target)}`, `error E on the sample: ${fmt(probe.error)}`] : [];
    const losses = table("The last losses (newest first)", ["epoch", "train loss", "test loss"], rows);
    const notes = extra.map((t) => Object.assign(document.createElement("p"), { textContent: t }));
    this.host.replaceChildren(layers, ...notes, losses);
  }
}

function values(xs) {
  if (!xs) return "–";
  const shown = Array.from(xs.slice(0, VALUES_SHOWN), (v) => fmt(v, 3)).join(", ");
  return xs.length > VALUES_SHOWN ? `${shown} … (${xs.length - VALUES_SHOWN} more)` : shown;
}

function sizeOf(W) {
  if (!W) return "–";
  let sum = 0, max = 0, n = 0;
  for (const row of W) for (const w of row) { const a = Math.abs(w); sum += a; n++; if (a > max) max = a; }
  return `${fmt(sum / Math.max(1, n), 3)}, ${fmt(max, 3)}`;
}

/** A table with a caption, column headers and a row header in the first cell of each row. */
function table(caption, heads, rows) {
  const t = document.createElement("table");
  t.createCaption().textContent = caption;
  const hr = t.createTHead().insertRow();
  for (const h of heads) {
    const th = document.createElement("th");
    th.scope = "col";
    th.textContent = h;
    hr.append(th);
  }
  const body = t.createTBody();
  for (const r of rows) {
    const tr = body.insertRow();
    r.forEach((text, k) => {
      const cell = document.createElement(k === 0 ? "th" : "td");
      if (k === 0) cell.scope = "row";
      cell.textContent = text;
      tr.append(cell);
    });
  }
  return t;
}
