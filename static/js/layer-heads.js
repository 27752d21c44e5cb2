// The network's shape above the diagram: a head per layer (its units − and +, its activation
// select; short names where the columns are narrow) and the hidden layers added or removed.
// Like the other controls they edit the State and call back (controls.js wires them).
import { el } from "./util.js";

/** Activation names where a layer head has little room (the full name is the option's title). */
const SHORT = { linear: "lin", sigmoid: "sigm", tanh: "tanh", relu: "relu", leaky_relu: "lrelu", softplus: "soft+", softmax: "smax" };

/** `hidden` and `activations` after `op`: "add" a hidden layer (copying the last one's width
 * and activation), "remove" the last, or "units": `delta` units on hidden layer `layer`, within
 * the catalog's limits; null when nothing changes. */
export function editedLayers(state, catalog, op, layer = null, delta = 0) {
  const hidden = [...state.get("hidden")];
  const acts = [...state.get("activations")];
  const limits = catalog.limits || {};
  const maxLayers = limits.max_hidden_layers ?? 8, maxUnits = limits.max_units_per_layer ?? 32;
  if (op === "add" && hidden.length < maxLayers) {
    hidden.push(hidden.at(-1) ?? 4);
    acts.splice(acts.length - 1, 0, acts.length > 1 ? acts.at(-2) : "tanh");
  } else if (op === "remove" && hidden.length > 0) {
    hidden.pop();
    acts.splice(acts.length - 2, 1);
  } else if (op === "units") {
    hidden[layer] = Math.max(1, Math.min(maxUnits, hidden[layer] + delta));
  } else return null;
  return { hidden, activations: acts };
}

/** The per-layer heads above the diagram columns, into `box`: units ± and the activation
 * select. With little room per column (diagram.layout.heads) they get short names, and on a
 * narrow or deep diagram they alternate between two rows. `onActivation()` after a layer's
 * activation changed in the State; `onUnits(layer, delta)` for a unit more or less. */
export function renderLayerHeads(box, diagram, { catalog, state, onActivation, onUnits }) {
  box.replaceChildren();
  const mode = diagram.layout?.heads ?? "full";
  const full = mode === "full";
  box.className = `layer-heads ${mode}`;
  const acts = state.get("activations");
  const hidden = state.get("hidden");
  diagram.cols.forEach((col, l) => {
    const head = el("div", { class: `layer-head${mode === "stagger" && l % 2 ? " low" : ""}`, style: `left:${col.x}px`, "data-head": l });
    box.append(head);
    if (l === 0) {
      head.append(el("span", { text: full ? `${col.n} input${col.n > 1 ? "s" : ""}` : `${col.n} in` }));
      return;
    }
    const isOut = l === diagram.cols.length - 1;
    const sel = el("select", { "aria-label": `activation of layer ${l}`, "data-layer": l, "data-ctl": "activations", title: `g for layer ${l}` });
    if (isOut) sel.dataset.output = "1";
    for (const a of catalog.activations) {
      if (a.output_only && !isOut) continue;
      sel.append(el("option", { value: a.name, text: full ? a.name : SHORT[a.name] ?? a.name, title: a.name }));
    }
    sel.value = acts[l - 1];
    sel.addEventListener("change", () => {
      const next = [...state.get("activations")];
      next[l - 1] = sel.value;
      state.set("activations", next);
      onActivation();
    });
    if (!isOut) {
      const minus = el("button", { title: "remove a unit", "aria-label": `remove unit from layer ${l}`, "data-units": `-${l}`, "data-ctl": "hidden_layers", text: "−" });
      const plus = el("button", { title: "add a unit", "aria-label": `add unit to layer ${l}`, "data-units": `+${l}`, "data-ctl": "hidden_layers", text: "+" });
      minus.addEventListener("click", () => onUnits(l - 1, -1));
      plus.addEventListener("click", () => onUnits(l - 1, +1));
      head.append(el("span", { class: "units" }, minus, el("span", { text: full ? `${hidden[l - 1]} units` : String(hidden[l - 1]), title: `${hidden[l - 1]} units` }), plus));
    } else head.append(el("span", { text: full ? "output" : "out" }));
    head.append(sel);
  });
}
