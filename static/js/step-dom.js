// The small DOM builders of the lesson step editor (step-editor.js, step-question.js): an
// element with its attributes and children, a select's options, and a number as typed.

export function node(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") e.className = v;
    else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else if (v === true) e.setAttribute(k, "");
    else if (v !== false && v != null) e.setAttribute(k, v);
  }
  for (const c of children) if (c != null) e.append(c instanceof Node ? c : String(c));
  return e;
}

export const options = (select, pairs, value) => {
  select.replaceChildren(...pairs.map(([v, t]) => node("option", { value: String(v) }, t)));
  if (value != null && pairs.some(([v]) => String(v) === String(value))) select.value = String(value);
};

/** A decimal comma is the same number: "0,5" → 0.5 (NaN when it is no number). */
export const num = (s) => (String(s).trim() === "" ? NaN : Number(String(s).trim().replace(",", ".")));
