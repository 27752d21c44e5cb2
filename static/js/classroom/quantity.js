// The quantities a network question may ask for, in the derivation's notation (the names are
// app/classroom/activity.py's QuantityIn.name), and how a question's answer reads as text.
// One list for the student's seat, the teacher's step editor and the dashboard.

/** name → {label (the editor's list), symbol, eq, needs: which of layer/unit/source it takes} */
export const QUANTITIES = [
  { name: "z", label: "z_j — a unit's weighted input (forward pass)", needs: ["layer", "unit"], eq: "Steps 2–5" },
  { name: "a", label: "a_j — a unit's activation (forward pass)", needs: ["layer", "unit"], eq: "Steps 2–5" },
  { name: "delta", label: "δ — a unit's error signal (Eq. 5 at the output, Eq. 14 hidden)", needs: ["layer", "unit"], eq: "Eq. 5 / 14" },
  { name: "dE_dw", label: "∂E/∂w_ij — one weight's gradient (Eq. 6 / 15)", needs: ["layer", "unit", "source"], eq: "Eq. 6 / 15" },
  { name: "dE_db", label: "∂E/∂b_j — one bias's gradient", needs: ["layer", "unit"], eq: "Eq. 6 / 15" },
  { name: "w_updated", label: "w_ij after one step (Eq. 7)", needs: ["layer", "unit", "source"], eq: "Eq. 7" },
  { name: "b_updated", label: "b_j after one step (Eq. 7)", needs: ["layer", "unit"], eq: "Eq. 7" },
  { name: "E", label: "E — the sample's error (Eq. 1)", needs: [], eq: "Eq. 1" },
];

export const quantityInfo = (name) => QUANTITIES.find((q) => q.name === name);

/** "δ_k of output unit 0 for sample 3 (Eq. 5)": the question's quantity in words. Units are
 * counted from 0 as the API addresses them; `outputLayer` (L) tells the output from a hidden
 * layer (null: unknown, then the layer's number is named). */
export function quantityText(q, sample, outputLayer = null) {
  if (!q) return "";
  const out = outputLayer != null && q.layer === outputLayer;
  const where = out ? `output unit ${q.unit}` : outputLayer != null ? `hidden unit ${q.unit} of layer ${q.layer}` : `unit ${q.unit} of layer ${q.layer}`;
  const u = out ? "k" : "j";
  const from = q.source != null ? `unit ${q.source} of layer ${(q.layer ?? 1) - 1}` : "";
  const forSample = sample == null ? "for your probe sample" : `for sample ${sample}`;
  const text = {
    z: `z_${u} of ${where}`,
    a: `a_${u} of ${where}`,
    delta: `δ_${u} of ${where}`,
    dE_dw: `∂E/∂w from ${from} to ${where}`,
    dE_db: `∂E/∂b_${u} of ${where}`,
    w_updated: `the weight from ${from} to ${where} after one step`,
    b_updated: `the bias of ${where} after one step`,
    E: "E, the error",
  }[q.name] || q.name;
  const eq = q.name === "delta" ? (out ? "Eq. 5" : outputLayer != null ? "Eq. 14" : "Eq. 5 / 14")
    : q.name === "dE_dw" || q.name === "dE_db" ? (out ? "Eq. 6" : outputLayer != null ? "Eq. 15" : "Eq. 6 / 15")
      : quantityInfo(q.name)?.eq;
  return `${text} ${forSample}${eq ? ` (${eq})` : ""}`;
}

/** A question's correct answer (after the reveal) or a student's answer, as text. */
export function answerText(q, value) {
  if (value == null) return "–";
  if (Array.isArray(value)) return value.map((i) => (q?.options?.[i] ?? `option ${i + 1}`)).join("; ");
  if (typeof value === "number") return Number.isInteger(value) ? String(value) : value.toPrecision(6);
  if (typeof value === "object") {
    if (value.value != null) return String(value.value);
    if (value.choices) return answerText(q, value.choices);
    if (value.text != null) return String(value.text);
  }
  return String(value);
}
