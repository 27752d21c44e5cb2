// The render benchmark: main-thread milliseconds per frame of the largest allowed network with
// heatmaps, drawn off screen at the diagram's width (tests read it; so can anyone, from the
// console: `await __bpp.benchRender()`).
import { api } from "./api.js";
import { Diagram } from "./diagram.js";
import { layerSizes } from "./frame.js";

export async function benchRender(catalog, width, n = 30) {
  const lim = catalog.limits || {};
  const hidden = Array(lim.max_hidden_layers ?? 8).fill(lim.max_units_per_layer ?? 32);
  const s = await api.createSession({ network: { hidden_layers: hidden, activations: Array(hidden.length + 1).fill("tanh") }, dataset: { name: "circle", n: 200 } });
  const host = document.createElement("div");
  host.className = "diagram";
  Object.assign(host.style, { position: "absolute", left: "0", top: "0", width: `${width}px`, visibility: "hidden" });
  document.body.append(host);
  const d = new Diagram(host, { onHover() {}, onSelect() {} });
  const f = s.frame;
  d.setNetwork({ layerSizes: layerSizes(f), activations: s.config.network.activations,
    featureNames: s.data.feature_names, showBias: false, heatmaps: true });
  const times = [];
  for (let k = 0; k < n; k++) {
    const t0 = performance.now();
    d.invalidate(); // every frame drawn whole: the worst case (a frame that changed everything)
    d.render(f);
    void host.offsetHeight; // include style and layout
    times.push(performance.now() - t0);
  }
  const counts = d.counts();
  host.remove();
  api.deleteSession(s.id).catch(() => {});
  times.sort((a, b) => a - b);
  return { n, median_ms: times[n >> 1], mean_ms: times.reduce((a, b) => a + b, 0) / n, max_ms: times.at(-1),
    units: counts.units, edges: counts.edges, grid_resolution: f.grid?.resolution ?? null };
}
