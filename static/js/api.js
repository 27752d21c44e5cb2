// REST client for /api (docs/contract.md). Every call rejects with an ApiError naming the field.

export class ApiError extends Error {
  constructor(status, field, message) {
    super(message);
    this.status = status;
    this.field = field;
  }
}

/** Turn a FastAPI/pydantic error body into {field, message}. */
export function parseDetail(body, status) {
  const d = body && body.detail;
  if (Array.isArray(d) && d.length) {
    const first = d[0];
    const field = first.field || (first.loc || []).filter((p) => p !== "body").join(".");
    return { field, message: `${field || "request"}: ${first.msg}` };
  }
  if (d && typeof d === "object") return { field: d.field || "", message: d.message || JSON.stringify(d) };
  if (typeof d === "string") {
    const m = d.match(/^([\w.[\]]+):/);
    return { field: m ? m[1] : "", message: d };
  }
  return { field: "", message: `HTTP ${status}` };
}

export async function call(method, path, body) {
  const opts = { method, headers: {} };
  if (body !== undefined) {
    opts.headers["Content-Type"] = "application/json";
    opts.body = JSON.stringify(body);
  }
  let res;
  try {
    res = await fetch(path, opts);
  } catch (e) {
    throw new ApiError(0, "", `server unreachable (${e.message})`);
  }
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

/** A session's URL: the id encoded, so that an id from a link can never name another path. */
const at = (id) => `/api/sessions/${encodeURIComponent(id)}`;

export const api = {
  catalog: () => call("GET", "/api/catalog"),
  createSession: (body) => call("POST", "/api/sessions", body),
  getSession: (id) => call("GET", at(id)),
  history: (id) => call("GET", `${at(id)}/history`),
  exportNet: (id) => call("GET", `${at(id)}/export`),
  deleteSession: (id) => call("DELETE", at(id)),
  setWeight: (id, layer, i, j, value) => call("POST", `${at(id)}/weights`, { layer, i, j, value }),
  setBias: (id, layer, j, value) => call("POST", `${at(id)}/biases`, { layer, j, value }),
  gradientCheck: (id) => call("POST", `${at(id)}/gradient_check`, {}),
};
