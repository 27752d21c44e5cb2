// The left panel (data, training, check), the per-layer heads and the transport bar. Controls
// edit the State and call back (app.js rebuilds the session for a change of setup); a live
// training setting (η, batch size, ...) goes from here to the running session's socket, its
// own field (the catalog's) only if it changed, and comes back here if the server refuses it.
import { datasetButtons, drawPreview } from "./dataset-buttons.js";
import { editedLayers, renderLayerHeads } from "./layer-heads.js";
import { el } from "./util.js";

// The controls are the registry's (app/controls.py, GET /api/catalog "controls"): their labels,
// help, bounds, choices and presets come from there. The page only says where each request
// field it shows lives (path → element id) and which State property holds it (state.js PROPS).
export const ELEMENT_IDS = {
  "training.learning_rate": "lr",
  "training.batch_size": "batch",
  "training.momentum": "momentum",
  "training.regularization": "reg",
  "training.regularization_rate": "reg-rate",
  "network.loss": "loss",
  "network.init.scheme": "init",
  "network.init.seed": "init-seed",
};
const STATE_NAMES = { lr: "lr", batch: "batch", momentum: "momentum", reg: "reg", "reg-rate": "regRate", loss: "loss", init: "init", "init-seed": "initSeed" };

// the Data section's own widgets (sliders with the page's ranges, the dataset buttons): their
// bounds and help still come from the registry
const DATA_IDS = { "dataset.n": "n", "dataset.seed": "data-seed", "dataset.noise": "noise", "dataset.train_fraction": "split" };

/** The element id of a setting the page shows: its own, or for a live setting the page has no
 * place for yet (a new optimizer setting), a generated row's. null: not shown here. */
export const idOf = (st) => ELEMENT_IDS[st.path] ?? (st.live ? `ctl-${st.field}` : null);
/** The State property (state.js PROPS) that holds a shown setting. */
const stateOf = (st) => STATE_NAMES[ELEMENT_IDS[st.path]] ?? st.field;

/** The catalog's control `name` (or undefined on an older server). */
export function controlOf(catalog, name) {
  return (catalog.controls || []).find((c) => c.name === name);
}

/** The setting an error message is about: a lock refusal names the control (its error slot
 * is its first setting's), other errors the field; `fallback` for one that names neither. */
export function errorField(catalog, m, fallback = "") {
  return controlOf(catalog, m.field)?.settings[0]?.path || m.field || fallback || "";
}

/** A control's rows: per shown setting a label, its widget (from the registry's entry:
 * bounds, choices, presets) and its error slot; the control's help is the group's title. */
function settingRow(control) {
  const group = el("div", { class: "setting", "data-setting": control.name, title: control.help });
  for (const st of control.settings.filter(idOf)) {
    const id = idOf(st);
    let w;
    if (st.presets || st.choices) {
      w = el("select", { id, "data-ctl": control.name });
      const values = st.presets || st.choices;
      w.replaceChildren(...values.map((v) => el("option", { value: String(v), text: String(v) })));
    } else {
      w = el("input", { type: "number", id, "data-ctl": control.name });
      const lo = st.ge ?? st.gt, hi = st.le ?? st.lt;
      if (lo !== undefined) w.min = String(lo);
      if (hi !== undefined) w.max = String(hi);
      w.step = st.type === "number" ? (hi !== undefined && hi <= 1 ? "0.1" : "any") : "1";
    }
    group.append(el("div", { class: "field row" }, el("label", { for: id, text: st.label }), w),
      el("div", { class: "err", "data-err": st.path }));
  }
  return [group];
}

export class Controls {
  /**
   * @param {object} catalog GET /api/catalog
   * @param {import("./state.js").State} state
   * @param {{onChange: (group: string, name: string) => void, onRegenerate: Function, onGradCheck: Function}} cb
   * @param {{bus?: EventTarget, stream?: import("./stream.js").Stream}} live
   *   the page's bus (the adopted session, the server's errors) and the socket a live setting
   *   is sent on
   */
  constructor(catalog, state, cb, { bus = null, stream = null } = {}) {
    this.catalog = catalog;
    this.state = state;
    this.cb = cb;
    this.stream = stream;
    this.session = null; // the adopted session (its config.training: what the server has)
    this.sentBefore = null; // its training settings before the last live `set`
    this.lastSetField = ""; // the first setting of the last live `set`
    bus?.addEventListener("session", (e) => { this.session = e.detail.session; this.sentBefore = null; });
    bus?.addEventListener("error", (e) => this.refused(e.detail));
    this.$ = (id) => document.getElementById(id);
    /** (control, value) → why choosing `value` would force a control the lesson locks, or
     * null: set by the classroom page (seat.js); the playground forces nothing. */
    this.forcedBy = () => null;
    this._rows();
    this._datasets();
    this._dataBounds();
    this._fill();
    this._wire();
    this.sync();
  }

  /** The Data section's inputs: bounds (the server's `limit` too) and help from the registry. */
  _dataBounds() {
    const data = controlOf(this.catalog, "dataset");
    if (!data) return;
    this.$("datasets").title = data.help;
    for (const st of data.settings) {
      const w = this.$(DATA_IDS[st.path] ?? "");
      if (!w) continue;
      w.title = `${st.label}: ${data.help}`;
      if (w.type !== "number") continue; // a slider keeps the page's range, inside the bounds
      if (st.ge !== undefined) w.min = String(st.ge);
      const hi = st.limit ? this.catalog.limits?.[st.limit] : st.le;
      if (hi !== undefined) w.max = String(hi);
    }
  }

  /** The rows of the controls the registry lists (in its order) that this page shows. */
  _rows() {
    const box = this.$("setting-rows");
    if (!box) return;
    for (const c of this.catalog.controls || []) {
      if (c.settings.some(idOf)) box.append(...settingRow(c));
    }
  }

  _datasets() {
    datasetButtons(this.$("datasets"), this.catalog.datasets, (name) => {
      this.state.set("dataset", name);
      this.cb.onChange("dataset", "dataset");
    });
  }

  /** Without the catalog's controls (an older server): the selects from its other lists. */
  _fill() {
    if (this.catalog.controls) return;
    const opts = (sel, values) => sel && sel.replaceChildren(...values.map((v) => el("option", { value: String(v), text: String(v) })));
    opts(this.$("loss"), this.catalog.losses.map((l) => l.name ?? l));
    opts(this.$("init"), this.catalog.init_schemes.map((s) => s.name ?? s));
    opts(this.$("reg"), this.catalog.regularizations);
  }

  /** Disable the choices that would force a control the lesson locks, the reason in view
   * (in the option's text and title). */
  markForced() {
    const mark = (opt, why) => {
      const base = opt.dataset.text ?? opt.textContent;
      opt.dataset.text = base;
      opt.disabled = !!why;
      opt.classList.toggle("forced", !!why);
      opt.textContent = why ? `${base} (${why})` : base;
      opt.title = why || "";
    };
    for (const o of this.$("loss")?.options || []) mark(o, this.forcedBy("loss", o.value));
    for (const b of document.querySelectorAll(".dataset-btn")) {
      const why = this.forcedBy("dataset", b.dataset.dataset), was = b.classList.contains("forced");
      b.classList.toggle("forced", !!why);
      if (why) { b.dataset.baseTitle ??= b.title; b.disabled = true; b.title = why; }
      else if (was) { b.disabled = false; b.title = b.dataset.baseTitle; }
    }
    const sel = document.querySelector("#layer-heads select[data-output]");
    for (const o of sel?.options || []) mark(o, this.forcedBy("output", o.value));
  }

  _wire() {
    const on = (id, ev, fn) => this.$(id).addEventListener(ev, fn);
    const numberProp = (id, name, group, parse = Number, field = null) => on(id, "change", () => {
      const v = parse(this.$(id).value);
      this.state.set(name, v);
      if (field) this.sendLive(field, v);
      this.cb.onChange(group, name);
    });
    numberProp("noise", "noise", "dataset");
    on("noise", "input", () => (this.$("noise-out").textContent = this.$("noise").value));
    numberProp("split", "split", "dataset");
    on("split", "input", () => (this.$("split-out").textContent = `${Math.round(this.$("split").value * 100)}%`));
    numberProp("n", "n", "dataset", (v) => Math.round(Number(v)));
    numberProp("data-seed", "dataSeed", "dataset", (v) => Math.round(Number(v)));
    // the registry's rows: live controls change the running session, the others rebuild it
    for (const c of this.catalog.controls || []) {
      for (const st of c.settings) {
        const id = idOf(st);
        if (!id || !this.$(id)) continue;
        const parse = st.choices ? String : st.type === "number" ? Number : (v) => Math.round(Number(v));
        const live = c.kind === "live" && st.live; // its request field goes to the session
        numberProp(id, stateOf(st), live ? "training" : "network", parse, live ? st.field : null);
      }
    }
    on("btn-regenerate", "click", () => this.cb.onRegenerate());
    on("btn-gradcheck", "click", () => this.cb.onGradCheck());
    on("btn-add-layer", "click", () => this.editLayers("add"));
    on("btn-remove-layer", "click", () => this.editLayers("remove"));
  }

  /** A live training setting changed: the session (its weights kept) gets this one field if it
   * differs from its settings; those before are kept for `refused` (the server's error). */
  sendLive(field, value) {
    const training = this.session?.config.training;
    if (!training || !this.stream || JSON.stringify(value) === JSON.stringify(training[field])) return;
    this.sentBefore = structuredClone(training);
    training[field] = value;
    this.stream.send({ type: "set", training: { [field]: value } });
    this.lastSetField = `training.${field}`;
  }

  /** An error on the socket: if it refuses the last live `set`, the controls go back to the
   * settings the session still has. */
  refused(m) {
    if (m.field === "session_id" || !this.sentBefore) return; // the socket closes next
    if (!errorField(this.catalog, m, this.lastSetField).startsWith("training")) return;
    this.session.config.training = this.sentBefore;
    this.sentBefore = null;
    this.state.fromConfig({ training: this.session.config.training });
    this.state.writeHash();
    this.sync();
  }

  /** Add or remove a hidden layer, or a unit of one (layer-heads.js). */
  editLayers(op, layer = null, delta = 0) {
    const next = editedLayers(this.state, this.catalog, op, layer, delta);
    if (!next) return;
    this.state.set("hidden", next.hidden);
    this.state.set("activations", next.activations);
    this.cb.onChange("network", "hidden");
  }

  /** The per-layer heads above the diagram columns (layer-heads.js). */
  renderLayerHeads(diagram) {
    renderLayerHeads(this.$("layer-heads"), diagram, {
      catalog: this.catalog, state: this.state,
      onActivation: () => this.cb.onChange("network", "activations"),
      onUnits: (layer, delta) => this.editLayers("units", layer, delta),
    });
    this.markForced();
  }

  /** Show the feature chips for 2-D data (features of the catalog). */
  renderFeatures(dims) {
    const box = this.$("features");
    this.$("features-box").hidden = dims !== 2;
    box.replaceChildren();
    if (dims !== 2) return;
    const on = new Set(this.state.get("features") || ["x1", "x2"]);
    for (const f of this.catalog.features || []) {
      const name = f.name ?? f;
      const b = el("button", { class: `chip${on.has(name) ? " on" : ""}`, "data-feature": name, "data-ctl": "dataset", text: name });
      b.addEventListener("click", () => {
        const cur = new Set(this.state.get("features") || ["x1", "x2"]);
        if (cur.has(name)) cur.delete(name); else cur.add(name);
        if (!cur.size) return;
        const order = (this.catalog.features || []).map((g) => g.name ?? g).filter((n) => cur.has(n));
        this.state.set("features", order);
        this.cb.onChange("dataset", "features");
      });
      box.append(b);
    }
  }

  /** Show only the dataset settings the chosen dataset uses (the catalog's `params`): a table
   * (the XOR truth table, your own rows) has no samples, noise, split or seed. */
  showDatasetParams(name = this.state.get("dataset")) {
    const info = this.catalog.datasets.find((d) => d.name === name);
    const params = new Set(info?.params ?? ["n", "noise", "train_fraction", "seed"]);
    for (const n of document.querySelectorAll("#controls [data-param]")) n.hidden = !params.has(n.dataset.param);
  }

  /** Put the State's values into the controls. */
  sync() {
    const s = this.state;
    const set = (id, v) => { if (v !== undefined && v !== null) this.$(id).value = String(v); };
    set("noise", s.get("noise")); this.$("noise-out").textContent = s.get("noise");
    set("split", s.get("split")); this.$("split-out").textContent = `${Math.round(s.get("split") * 100)}%`;
    set("n", s.get("n")); set("data-seed", s.get("dataSeed"));
    const lr = s.get("lr");
    if (![...this.$("lr").options].some((o) => Number(o.value) === lr)) this.$("lr").append(el("option", { value: String(lr), text: String(lr) }));
    this.$("lr").value = [...this.$("lr").options].find((o) => Number(o.value) === lr).value;
    const rr = s.get("regRate");
    if (![...this.$("reg-rate").options].some((o) => Number(o.value) === rr)) this.$("reg-rate").append(el("option", { value: String(rr), text: String(rr) }));
    this.$("reg-rate").value = [...this.$("reg-rate").options].find((o) => Number(o.value) === rr).value;
    set("batch", s.get("batch")); set("momentum", s.get("momentum")); set("reg", s.get("reg"));
    set("loss", s.get("loss")); set("init", s.get("init")); set("init-seed", s.get("initSeed"));
    for (const b of document.querySelectorAll(".dataset-btn")) {
      const on = b.dataset.dataset === s.get("dataset");
      b.classList.toggle("on", on);
      b.setAttribute("aria-checked", String(on));
    }
    this.$("show-bias").checked = !!s.get("bias");
    this.$("show-test").checked = !!s.get("showTest");
    this.$("log-scale").checked = !!s.get("logScale");
    for (const c of this.catalog.controls || []) { // rows without a line of their own above
      for (const st of c.settings) if (idOf(st) && !ELEMENT_IDS[st.path]) set(idOf(st), s.get(stateOf(st)));
    }
    this.showDatasetParams();
    this.markForced();
    const hidden = s.get("hidden");
    this.$("net-shape").textContent = `${hidden.length} hidden layer${hidden.length === 1 ? "" : "s"}`;
  }

  /** Draw the loaded dataset into its button (the preview of the real data). */
  preview(data, range) { drawPreview(this.state.get("dataset"), data, range); }
}
