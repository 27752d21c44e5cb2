// What the classroom pages share: JSON calls, the boot data, text-only elements, errors.
// the playground's own JSON call (api.js): same-origin cookies, errors naming the field
export { call } from "../api.js";

export const boot = () => JSON.parse(document.getElementById("bpp-boot").textContent);

/** An element with text content only (never HTML: names and titles are the users'). */
export function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") e.className = v;
    else if (k === "dataset") Object.assign(e.dataset, v);
    else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else if (v === true) e.setAttribute(k, "");
    else if (v !== false && v != null) e.setAttribute(k, v);
  }
  for (const c of children) if (c != null) e.append(c instanceof Node ? c : String(c));
  return e;
}

export function showError(node, err) {
  node.textContent = err ? (err.message || String(err)) : "";
  node.hidden = !err;
}
