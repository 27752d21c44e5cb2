// Settings that depend on each other, kept valid as the user changes one of them, with a note
// saying what else changed: the input features and the output/loss for a dataset, and the
// output activation with the loss. The rules are the engine's (engine/datasets.py make_dataset,
// engine/network.py NetworkSpec, engine/losses.py); the server still checks every body.

const SOFTMAX_LOSS = "cross_entropy"; // engine/network.py: a softmax output needs cross-entropy

function lossInfo(catalog, name) {
  return catalog.losses.find((l) => (l.name ?? l) === name) || {};
}

/** The loss's allowed output activations (null: any). */
function allowedOutputs(catalog, loss) {
  return lossInfo(catalog, loss).allowed_outputs ?? null;
}

/** Whether an output activation and a loss go together (the engine's NetworkSpec rule). */
export function pairAllowed(catalog, out, loss) {
  const allowed = allowedOutputs(catalog, loss);
  return (allowed === null || allowed.includes(out)) && (out !== "softmax" || loss === SOFTMAX_LOSS);
}

/** Change the State so that it suits the dataset it now names. Returns notes ({field, text}). */
export function adaptToDataset(state, catalog) {
  const info = catalog.datasets.find((d) => d.name === state.get("dataset"));
  if (!info) return [];
  const notes = [];
  if (info.dims !== 2 && state.get("features") !== undefined) {
    state.set("features", undefined); // input features are for 2-D data only
  }
  if (info.task === "regression") {
    const acts = [...state.get("activations")];
    const out = acts.at(-1);
    if (out === "softmax") {
      acts[acts.length - 1] = "tanh";
      state.set("activations", acts);
      notes.push({ field: "dataset", text: `output activation set to tanh: ${info.name} is regression, and softmax is for classes` });
    }
    if (state.get("loss") === "cross_entropy") {
      state.set("loss", "sse");
      notes.push({ field: "dataset", text: `loss set to sse: cross-entropy needs class targets, and ${info.name} is regression` });
    }
  }
  return notes;
}

/** After the user set the output activation (`changed` = "activation") or the loss
 * ("loss"), change the other one if the pair is not allowed. Returns notes ({field, text}). */
export function pairOutputAndLoss(state, catalog, changed) {
  const acts = [...state.get("activations")];
  const out = acts.at(-1), loss = state.get("loss");
  const allowed = allowedOutputs(catalog, loss);
  if (pairAllowed(catalog, out, loss)) return [];
  if (changed === "activation") {
    const next = out === "softmax" ? SOFTMAX_LOSS : "sse";
    state.set("loss", next);
    const why = out === "softmax" ? "a softmax output needs cross-entropy" : `cross-entropy needs a ${allowed.join(" or ")} output`;
    return [{ field: "network", text: `loss switched to ${next}: ${why}` }];
  }
  const next = allowed ? allowed[0] : "sigmoid";
  acts[acts.length - 1] = next;
  state.set("activations", acts);
  const why = allowed ? `${loss} needs a ${allowed.join(" or ")} output` : `a softmax output needs cross-entropy, not ${loss}`;
  return [{ field: "network.loss", text: `output activation switched to ${next}: ${why}` }];
}
