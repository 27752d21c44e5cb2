// Your own data: a CSV file (columns → inputs and targets, chosen in a small dialog; the server
// reads the file, POST /api/csv, and names the line and column of anything wrong with it), or
// points clicked onto the plane (click: add a sample of the chosen class or target; click on a
// sample: remove it). Either way the page's session becomes one on an `inline` dataset.
import { call } from "./api.js";

export const readCSV = (text, inputs, targets) => call("POST", "/api/csv", inputs ? { text, inputs, targets } : { text });

const STORE_KEY = "bpp-inline-data";

/** Whether the lesson this page is in locks `control` (the classroom page writes the locks on
 * the body: seat.js). */
const lockedHere = (control) => (document.body.dataset.locks || "").split(" ").includes(control);

/** A session body on inline data: the page's settings with `dataset` replaced. */
export function inlineBody(base, inline) {
  const body = structuredClone(base);
  body.dataset = { name: "inline", inputs: inline.inputs, targets: inline.targets };
  return body;
}

/** The stored targets (0/1 labels for classification) of a generated 2-D dataset's points, from
 * the encoded t_k the session trains on (the inverse of engine.encode_targets: ±1 for a tanh
 * output, one-hot pairs for softmax). */
export function storedTargets(data, output) {
  const decode = (t) => {
    if (data.task !== "classification") return [t[0]];
    if (t.length === 2) return [t[1]];
    return [output === "tanh" ? (t[0] > 0 ? 1 : 0) : t[0]];
  };
  return [...data.train.targets, ...data.test.targets].map(decode);
}

export class OwnData {
  /** `app`: the page's App; `els`: the elements (see index.html). */
  constructor(app, els) {
    this.app = app;
    this.els = els;
    this.inline = null; // {inputs, targets} of the page's inline session
    this.file = null;
    try { this.inline = JSON.parse(sessionStorage.getItem(STORE_KEY) || "null"); } catch { this.inline = null; }
    // every re-created session keeps the inline data (a network change, a reset of the setup)
    const state = app.state, base = state.sessionBody.bind(state);
    state.sessionBody = () => {
      const body = base();
      return body.dataset?.name === "inline" && this.inline ? inlineBody(body, this.inline) : body;
    };
    if (state.get("dataset") === "inline" && !this.inline) state.set("dataset", "circle");
    els.file.addEventListener("change", async (e) => {
      const f = e.target.files[0];
      e.target.value = "";
      if (f) await this.openFile(f);
    });
    els.use.addEventListener("click", (e) => { e.preventDefault(); this.useColumns(); });
    els.cancel.addEventListener("click", (e) => { e.preventDefault(); els.dialog.close(); });
    els.edit.addEventListener("change", () => this.setEditing(els.edit.checked));
    // clicks on the plot while editing add or remove samples (before the probe picker sees them)
    els.plot.addEventListener("click", (e) => { if (this.editing) { e.stopPropagation(); this.plotClick(e); } }, true);
  }

  showError(message) {
    this.app.ui.showError("dataset", message);
  }

  // ---------- CSV ----------
  async openFile(file) {
    const els = this.els;
    this.app.ui.clearErrors();
    els.err.textContent = "";
    let text;
    try { text = await file.text(); } catch (err) { this.showError(`${file.name}: ${err.message}`); return; }
    let info;
    try {
      info = await readCSV(text);
    } catch (err) {
      this.showError(`${file.name}: ${err.message}`);
      return;
    }
    this.file = { name: file.name, text, info };
    els.summary.textContent = `${file.name}: ${info.rows} rows, ${info.columns.length} columns. Choose what each column is.`;
    els.columns.replaceChildren();
    info.columns.forEach((name, j) => {
      const row = document.createElement("tr");
      const th = document.createElement("th");
      th.textContent = name;
      const sel = document.createElement("select");
      sel.dataset.column = name;
      sel.setAttribute("aria-label", `column ${name}`);
      for (const [v, label] of [["input", "input"], ["target", "target"], ["ignore", "ignore"]]) {
        const o = document.createElement("option");
        o.value = v; o.textContent = label;
        sel.append(o);
      }
      sel.value = j === info.columns.length - 1 ? "target" : "input";
      const td = document.createElement("td");
      td.append(sel);
      const sample = document.createElement("td");
      sample.className = "muted";
      sample.textContent = info.preview.slice(0, 3).map((r) => r[j]).join(", ");
      row.append(th, td, sample);
      els.columns.append(row);
    });
    els.dialog.showModal();
  }

  chosen() {
    const out = { inputs: [], targets: [] };
    for (const sel of this.els.columns.querySelectorAll("select")) {
      if (sel.value === "input") out.inputs.push(sel.dataset.column);
      else if (sel.value === "target") out.targets.push(sel.dataset.column);
    }
    return out;
  }

  async useColumns() {
    const els = this.els;
    els.err.textContent = "";
    const { inputs, targets } = this.chosen();
    let tables;
    try {
      tables = await readCSV(this.file.text, inputs, targets);
    } catch (err) {
      els.err.textContent = err.message;
      return;
    }
    const ok = await this.adoptInline({ inputs: tables.inputs, targets: tables.targets });
    if (ok) els.dialog.close();
    else els.err.textContent = document.querySelector('[data-err="dataset"]')?.textContent
      || document.querySelector('[data-err="network"]')?.textContent || "the server refused this data";
  }

  /** Make the page's session one on `inline` data. */
  async adoptInline(inline) {
    const prev = this.inline;
    this.inline = inline;
    const body = inlineBody(this.app.state.sessionBody(), inline);
    const ok = await this.app.createSession(body);
    if (!ok) this.inline = prev;
    return ok;
  }

  /** A session was adopted: remember its inline data (for re-creations and a reload). */
  sessionShown(s) {
    const d = s.config?.dataset;
    if (d?.name === "inline" && d.inputs) {
      this.inline = { inputs: d.inputs, targets: d.targets };
      try { sessionStorage.setItem(STORE_KEY, JSON.stringify(this.inline)); } catch { /* full: a reload starts afresh */ }
    }
    const note = this.els.note;
    note.hidden = d?.name !== "inline";
    // input features apply to the generated 2-D data sets, not to your own columns
    const features = document.getElementById("features-box");
    if (features && !note.hidden) features.hidden = true;
    if (!note.hidden) {
      note.textContent = `Training on your data: ${s.data.train.points.length} samples, `
        + `${d.inputs[0].length} input${d.inputs[0].length > 1 ? "s" : ""}, ${d.targets[0].length} target${d.targets[0].length > 1 ? "s" : ""} `
        + "(all of them also the test set)."
        + (lockedHere("dataset") ? "" : " Pick a data set above to leave it.");
    }
    const twoD = (s.data?.domain?.length ?? 0) === 2;
    this.els.editBox.hidden = !twoD;
    const classes = s.data?.task === "classification";
    this.els.editClass.hidden = !classes;
    this.els.editT.hidden = classes;
    if (!twoD) this.setEditing(false);
  }

  // ---------- points on the plane ----------
  setEditing(on) {
    this.editing = on;
    this.els.edit.checked = on;
    this.els.plot.classList.toggle("editing", on);
    this.els.hint.textContent = on ? "Click to add a sample, click a sample to remove it." : "Click a point to make it the probe sample.";
  }

  /** The session's samples as stored: raw points and 0/1 labels (or regression targets). */
  samples() {
    const s = this.app.session;
    const d = s.config.dataset;
    if (d.name === "inline") return { inputs: structuredClone(d.inputs), targets: structuredClone(d.targets) };
    return {
      inputs: [...s.data.train.points, ...s.data.test.points].map((p) => [...p]),
      targets: storedTargets(s.data, s.config.network.activations.at(-1)),
    };
  }

  plotClick(e) {
    const s = this.app.session;
    if (!s || (s.data.domain?.length ?? 0) !== 2) return;
    const canvas = this.els.plot.querySelector("canvas:last-of-type") || this.els.plot;
    const r = canvas.getBoundingClientRect();
    const u = (e.clientX - r.left) / r.width, v = (e.clientY - r.top) / r.height;
    const [[x0, x1], [y0, y1]] = s.data.domain;
    const x = x0 + u * (x1 - x0), y = y1 - v * (y1 - y0);
    const { inputs, targets } = this._pending || this.samples();
    // a click within 6 px of a sample removes it
    let best = -1, bestD = 36;
    inputs.forEach((p, n) => {
      const dx = ((p[0] - x) / (x1 - x0)) * r.width, dy = ((p[1] - y) / (y1 - y0)) * r.height;
      if (dx * dx + dy * dy < bestD) { bestD = dx * dx + dy * dy; best = n; }
    });
    if (best >= 0) { inputs.splice(best, 1); targets.splice(best, 1); }
    else {
      inputs.push([+x.toPrecision(6), +y.toPrecision(6)]);
      const c = Number(this.els.editClass.value), K = targets[0]?.length ?? 1;
      targets.push(s.data.task !== "classification" ? [Number(this.els.editT.querySelector("input").value) || 0]
        : K > 1 ? Array.from({ length: K }, (_, k) => (k === c ? 1 : 0)) : [c]);
    }
    this._pending = { inputs, targets };
    clearTimeout(this._timer);
    this._timer = setTimeout(() => { const p = this._pending; this._pending = null; this.adoptInline(p); }, 250);
  }
}
