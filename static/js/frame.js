// Reading a frame (docs/contract.md) and a session's data: the few questions the page asks of
// them, answered in one place.

/** Units per layer, inputs first: [n_0, n_1, …, n_L]. */
export function layerSizes(frame) {
  return [frame.weights[0].length, ...frame.weights.map((W) => W[0].length)];
}

/** The input dimension of a session's data (1: a curve, 2: a plane, 0: a table). */
export function inputDims(session) {
  return session?.data?.domain?.length ?? 0;
}

/** The probe sample's own ∂E/∂w = δ_j a_i or ∂E/∂b = δ_j for a selected weight or bias, as the
 * engine computed it (frame.probe.gradients); null when there is none. */
export function probeGradient(frame, sel) {
  const g = frame?.probe?.gradients;
  if (!g || !sel) return null;
  if (sel.kind === "weight") return g.weights[sel.layer]?.[sel.i]?.[sel.j] ?? null;
  if (sel.kind === "bias") return g.biases[sel.layer]?.[sel.j] ?? null;
  return null;
}

/** Eq. 7's new value of a selected weight or bias after one plain gradient-descent step on the
 * probe sample, w − η ∂E_n/∂w, as the engine computed it (frame.probe.updated, the update
 * POST /api/backprop answers for the same state); null when there is none. */
export function probeUpdate(frame, sel) {
  const u = frame?.probe?.updated;
  if (!u || !sel) return null;
  if (sel.kind === "weight") return u.weights[sel.layer]?.[sel.i]?.[sel.j] ?? null;
  if (sel.kind === "bias") return u.biases[sel.layer]?.[sel.j] ?? null;
  return null;
}

/** The server's accuracy of a classifier (the test set's when there is one), or null. */
export function accuracy(frame) {
  const m = frame?.metrics || {};
  return m.test_accuracy ?? m.train_accuracy ?? null;
}

/** The colour range of the targets: classes span it, regression is symmetric about 0. */
export function targetRange(data) {
  let lo = Infinity, hi = -Infinity;
  for (const t of data.train.targets) { lo = Math.min(lo, t[0]); hi = Math.max(hi, t[0]); }
  if (!Number.isFinite(lo)) return { center: 0, half: 1 };
  if (data.task === "classification") return { center: (lo + hi) / 2, half: (hi - lo) / 2 || 1 };
  const m = Math.max(Math.abs(lo), Math.abs(hi)) || 1;
  return { center: 0, half: m };
}
