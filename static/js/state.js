// The page's configuration as a declarative table of properties, mirrored in the URL hash.
// Only configuration lives here (never weights): a link reproduces a setup.

const num = { parse: Number, show: String };
const str = { parse: String, show: String };
const list = { parse: (s) => (s === "" ? [] : s.split(",")), show: (v) => v.join(",") };
const ints = { parse: (s) => (s === "" ? [] : s.split(",").map(Number)), show: (v) => v.join(",") };
const bool = { parse: (s) => s === "1", show: (v) => (v ? "1" : "0") };

/** name -> [codec, path in the session body (or null for view-only), group]. */
export const PROPS = {
  dataset: [str, "dataset.name"],
  n: [num, "dataset.n"],
  noise: [num, "dataset.noise"],
  split: [num, "dataset.train_fraction"],
  dataSeed: [num, "dataset.seed"],
  features: [list, "dataset.features"],
  hidden: [ints, "network.hidden_layers"],
  activations: [list, "network.activations"],
  loss: [str, "network.loss"],
  init: [str, "network.init.scheme"],
  initSeed: [num, "network.init.seed"],
  lr: [num, "training.learning_rate"],
  batch: [num, "training.batch_size"],
  momentum: [num, "training.momentum"],
  reg: [str, "training.regularization"],
  regRate: [num, "training.regularization_rate"],
  seed: [num, "training.seed"],
  view: [str, null],
  speed: [str, null], // epochs per second of play, "0" = as fast as the server trains
  join: [str, null], // the id of a live session this page watches (a shared link), if any
  bias: [bool, null],
  showTest: [bool, null],
  logScale: [bool, null],
};

/** Add a State property for each live setting of the catalog's controls (GET /api/catalog
 * "controls") that PROPS does not hold yet: a new setting of the registry reaches the page's
 * session body, the live `set` and the link without a line here. */
export function addSettings(catalog) {
  const known = new Set(Object.values(PROPS).map(([, path]) => path));
  for (const c of catalog.controls || []) {
    for (const st of c.settings) {
      if (!st.live || known.has(st.path) || Object.hasOwn(PROPS, st.field)) continue;
      PROPS[st.field] = [st.choices ? str : num, st.path];
    }
  }
}

const SESSION_ID = /^[A-Za-z0-9_-]{1,64}$/; // what the server hands out (URL-safe base64)

/** decodeURIComponent, or null for text that is not valid percent-encoded UTF-8. */
function safeDecode(text) {
  try {
    return decodeURIComponent(text);
  } catch {
    return null;
  }
}

function getPath(obj, path) {
  return path.split(".").reduce((o, k) => (o == null ? undefined : o[k]), obj);
}
function setPath(obj, path, value) {
  const keys = path.split(".");
  let o = obj;
  for (const k of keys.slice(0, -1)) o = o[k] ??= {};
  o[keys.at(-1)] = value;
}

export class State {
  /** @param {object} defaults a full session body (config) from the server, plus view defaults */
  constructor(defaults) {
    this.values = {};
    this.fromConfig(defaults);
    Object.assign(this.values, { view: "forward", speed: "0", bias: false, showTest: false, logScale: false });
  }

  /** Take every property from a session config (SessionState.config or an export). */
  fromConfig(config) {
    for (const [name, [, path]] of Object.entries(PROPS)) {
      if (!path) continue;
      const v = getPath(config, path);
      if (v === null) delete this.values[name]; // the server's default (e.g. no input features)
      else if (v !== undefined) this.values[name] = structuredClone(v);
    }
  }

  get(name) { return this.values[name]; }
  set(name, value) { this.values[name] = value; }

  /** The body for POST /api/sessions (no weights). */
  sessionBody() {
    const body = {};
    for (const [name, [, path]] of Object.entries(PROPS)) {
      if (path && this.values[name] !== undefined) setPath(body, path, structuredClone(this.values[name]));
    }
    return body;
  }

  /** Serialise into the URL hash. */
  toHash() {
    const parts = [];
    for (const [name, [codec]] of Object.entries(PROPS)) {
      const v = this.values[name];
      if (v !== undefined) parts.push(`${name}=${encodeURIComponent(codec.show(v))}`);
    }
    return "#" + parts.join("&");
  }

  writeHash() {
    const h = this.toHash();
    if (location.hash !== h) history.replaceState(null, "", h);
  }

  /** Read properties from a hash; unknown names (`__proto__` too), values that do not decode
   * (`%E0%A4%A`) and session ids that are not ids are ignored: a crafted link can only fail to
   * set something. Returns true if anything was read. */
  readHash(hash = location.hash) {
    const s = hash.replace(/^#/, "");
    if (!s) return false;
    let any = false;
    for (const kv of s.split("&")) {
      const eq = kv.indexOf("=");
      const name = kv.slice(0, eq);
      if (eq < 0 || !Object.hasOwn(PROPS, name)) continue;
      const text = safeDecode(kv.slice(eq + 1));
      if (text === null || (name === "join" && !SESSION_ID.test(text))) continue;
      const v = PROPS[name][0].parse(text);
      if (typeof v === "number" && Number.isNaN(v)) continue;
      this.values[name] = v;
      any = true;
    }
    if (any) this.fitActivations();
    return any;
  }

  /** Keep one activation per layer after the input (hidden layers, then the output): a link
   * that names only `hidden` keeps the hidden activation and the output activation it had. */
  fitActivations() {
    const hidden = this.values.hidden ?? [];
    const acts = this.values.activations ?? [];
    if (acts.length === hidden.length + 1) return;
    const output = acts.at(-1) ?? "tanh";
    const fill = acts.length > 1 ? acts[acts.length - 2] : "tanh";
    const kept = acts.slice(0, Math.max(0, acts.length - 1)).slice(0, hidden.length);
    while (kept.length < hidden.length) kept.push(fill);
    this.values.activations = [...kept, output];
  }
}
