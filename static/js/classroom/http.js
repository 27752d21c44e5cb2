// JSON over fetch for the classroom pages; a refusal becomes an ApiError naming the field.
import { ApiError, parseDetail } from "../api.js";

export async function call(method, path, body) {
  const opts = { method, headers: {}, credentials: "same-origin" };
  if (body !== undefined) {
    opts.headers["Content-Type"] = "application/json";
    opts.body = JSON.stringify(body);
  }
  let res;
  try { res = await fetch(path, opts); } catch (e) { throw new ApiError(0, "", `server unreachable (${e.message})`); }
  if (res.status === 204) return null;
  const text = await res.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch { data = { detail: text }; }
  if (!res.ok) {
    const { field, message } = parseDetail(data, res.status);
    throw new ApiError(res.status, field, message);
  }
  return data;
}

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
