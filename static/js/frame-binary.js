// Reading a binary frame (docs/contract.md, "Binary frames", version 1) into the frame object
// the page reads from the JSON form, so that nothing past the stream knows which form came.
// The layout is app/frame_format.py's; grid units carry their bytes (`bytes`) instead
// of base64 text (grid.js reads either).

export const MAGIC = "BPF";
export const VERSIONS = [1];
const KIND_FRAME = 1;
const STATUSES = ["paused", "running", "diverged"];
const F_TEST_LOSS = 1, F_GRID = 2, F_NODE_STATS = 4, F_REPLAY = 8, F_KEEP = 32;
const PROBE_FIELDS = ["input", "target", "output", "error", "z", "a", "g_prime", "delta", "gradients", "updated"];
const LAYER_KEYS = ["z", "a", "g_prime", "delta"];
const HEADER_BYTES = 14;

/** Bytes that are no binary frame this page can read. */
export class FrameFormatError extends Error {}

/** Whether a WebSocket message's ArrayBuffer starts like a binary frame. */
export function isBinaryFrame(buf) {
  const u = new Uint8Array(buf, 0, Math.min(3, buf.byteLength));
  return u.length === 3 && String.fromCharCode(...u) === MAGIC;
}

class Reader {
  constructor(buf) { this.buf = buf; this.view = new DataView(buf); this.at = 0; }
  need(n) {
    if (this.at + n > this.buf.byteLength) {
      throw new FrameFormatError(`binary frame cut short: ${n} bytes wanted at ${this.at} of ${this.buf.byteLength}`);
    }
  }
  bytes(n) { this.need(n); const out = new Uint8Array(this.buf, this.at, n); this.at += n; return out; }
  // numbers read straight off the buffer (no copy of it, no typed array in between: a frame
  // holds dozens of small arrays, up to 60 frames a second)
  f32(n) { this.need(4 * n); const v = this.view, at = this.at, out = new Array(n); for (let i = 0; i < n; i++) out[i] = v.getFloat32(at + 4 * i, true); this.at += 4 * n; return out; }
  f64(n) { this.need(8 * n); const v = this.view, at = this.at, out = new Array(n); for (let i = 0; i < n; i++) out[i] = v.getFloat64(at + 8 * i, true); this.at += 8 * n; return out; }
  u16(n) { this.need(2 * n); const out = []; for (let i = 0; i < n; i++) out.push(this.view.getUint16(this.at + 2 * i, true)); this.at += 2 * n; return out; }
}

const num = (x) => (Number.isNaN(x) ? null : x);

/** A binary frame (ArrayBuffer) → the JSON form's frame object. Async: the grid is inflated
 * with the browser's DecompressionStream. A frame that says "keep" takes its grid and node
 * statistics from `previous` (the frame before it on the same stream). Throws
 * FrameFormatError for anything else. */
export async function decodeFrame(buf, previous = null) {
  if (buf.byteLength < HEADER_BYTES || !isBinaryFrame(buf)) throw new FrameFormatError("not a binary frame (its first bytes are not 'BPF')");
  const r = new Reader(buf), v = r.view;
  const version = v.getUint8(3);
  if (!VERSIONS.includes(version)) throw new FrameFormatError(`binary frame version ${version} is not one this page reads (${VERSIONS})`);
  const kind = v.getUint8(4), status = v.getUint8(5), flags = v.getUint16(6, true), mask = v.getUint16(8, true);
  const nSizes = v.getUint8(10), nMetrics = v.getUint8(11), namesLen = v.getUint8(12);
  if (kind !== KIND_FRAME) throw new FrameFormatError(`binary message kind ${kind} is unknown`);
  if (status >= STATUSES.length) throw new FrameFormatError(`status code ${status} is unknown`);
  r.at = HEADER_BYTES;
  const sizes = r.u16(nSizes);
  const names = namesLen ? new TextDecoder().decode(r.bytes(namesLen)).split(",") : [];
  if (names.length !== nMetrics) throw new FrameFormatError("metric names and count disagree");
  const sc = r.f64(6 + nMetrics);
  const L = sizes.length - 1;
  const has = (name) => (mask & (1 << PROBE_FIELDS.indexOf(name))) !== 0;
  const f32 = (n) => r.f32(n), f64 = (n) => r.f64(n);
  const mat = (rows, cols, read) => { const flat = read(rows * cols); const out = []; for (let i = 0; i < rows; i++) out.push(flat.slice(i * cols, (i + 1) * cols)); return out; };
  const mats = (read = f32) => Array.from({ length: L }, (_, l) => mat(sizes[l], sizes[l + 1], read));
  const vecs = (read = f32) => Array.from({ length: L }, (_, l) => read(sizes[l + 1]));
  const metrics = {};
  names.forEach((k, i) => { metrics[k] = sc[6 + i]; });
  const frame = {
    type: "frame",
    epoch: sc[0],
    status: STATUSES[status],
    loss: { train: num(sc[1]), test: flags & F_TEST_LOSS ? num(sc[2]) : null },
    metrics,
  };
  frame.weights = mats(f64);  // the exact (float64) block: W, b, the probe's sample, Eq. 7
  frame.biases = vecs(f64);
  const probe = { index: sc[3] };
  if (has("input")) probe.input = r.f64(sizes[0]);
  if (has("target")) probe.target = r.f64(sizes[L]);
  if (has("output")) probe.output = r.f64(sizes[L]);
  let updated = null;
  if (has("updated")) { probe.learning_rate = sc[5]; updated = { weights: mats(f64), biases: vecs(f64) }; }
  frame.gradients = { weights: mats(), biases: vecs() }; // the float32 block
  if (has("error")) probe.error = num(sc[4]);
  probe.layers = Array.from({ length: L }, (_, l) => {
    const layer = {};
    for (const k of LAYER_KEYS) if (has(k)) layer[k] = r.f32(sizes[l + 1]);
    return layer;
  });
  if (has("gradients")) probe.gradients = { weights: mats(), biases: vecs() };
  if (updated) probe.updated = updated;
  frame.probe = probe;
  frame.node_stats = flags & F_NODE_STATS
    ? sizes.slice(1).map((n) => ({ mean_a: r.f32(n), mean_abs_delta: r.f32(n) }))
    : [];
  frame.grid = flags & F_GRID ? await readGrid(r, sizes) : null;
  if (flags & F_KEEP) {
    frame.node_stats = previous?.node_stats ?? [];
    frame.grid = previous?.grid ?? null;
  }
  if (flags & F_REPLAY) frame.replay = true;
  if (r.at !== buf.byteLength) throw new FrameFormatError(`${buf.byteLength - r.at} bytes left over after the frame`);
  return frame;
}

/** zlib-deflated bytes → their inflated bytes, by the browser's DecompressionStream fed
 * directly (a Blob would cost a round trip through the browser process every frame). */
async function inflate(z) {
  const ds = new DecompressionStream("deflate");
  const writer = ds.writable.getWriter();
  writer.write(z).catch(() => {}); // a bad stream is reported by the reader below
  writer.close().catch(() => {});
  return new Uint8Array(await new Response(ds.readable).arrayBuffer());
}

async function readGrid(r, sizes) {
  r.need(4);
  const cells = r.view.getUint16(r.at, true), dims = r.view.getUint8(r.at + 2);
  r.at += 4;
  const flat = r.f64(2 * dims);
  const domain = Array.from({ length: dims }, (_, d) => [flat[2 * d], flat[2 * d + 1]]);
  const U = sizes.reduce((s, n) => s + n, 0);
  const lo = r.f32(U), hi = r.f32(U);
  r.need(4);
  const zlen = r.view.getUint32(r.at, true);
  r.at += 4;
  const z = r.bytes(zlen);
  let raw;
  try {
    raw = await inflate(z);
  } catch (e) {
    throw new FrameFormatError(`the grid's bytes do not inflate (${e})`);
  }
  const G = dims === 2 ? cells * cells : cells;
  if (raw.length !== U * G) throw new FrameFormatError(`the grid holds ${raw.length} bytes, not ${U} units × ${G} cells`);
  for (let j = 0; j < U; j++) { // undo the difference filter, mod 256
    const base = j * G;
    for (let i = 1; i < G; i++) raw[base + i] = (raw[base + i] + raw[base + i - 1]) & 255;
  }
  const layers = [];
  let start = 0;
  for (const n of sizes) {
    const units = [];
    for (let j = start; j < start + n; j++) units.push({ lo: lo[j], hi: hi[j], bytes: raw.subarray(j * G, (j + 1) * G) });
    layers.push(units);
    start += n;
  }
  return { resolution: cells, domain, layers };
}
