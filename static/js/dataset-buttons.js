// The dataset buttons: a schematic icon each (illustration only, not the data) until a
// dataset is loaded, which its button then previews.
import { el, diverging, rgb } from "./util.js";

/** Tiny schematic icons for the dataset buttons (illustration only, not the data). */
const ICONS = {
  circle: (x, y) => (Math.hypot(x, y) < 0.5 ? 1 : -1),
  xor: (x, y) => (x * y > 0 ? 1 : -1),
  gaussian: (x, y) => (x + y > 0 ? 1 : -1),
  spiral: (x, y) => Math.sin(5 * Math.hypot(x, y) - Math.atan2(y, x)),
  plane: (x, y) => (x + y) / 2,
  multi_gaussian: (x, y) => Math.exp(-8 * ((x - 0.4) ** 2 + (y - 0.4) ** 2)) - Math.exp(-8 * ((x + 0.4) ** 2 + (y + 0.3) ** 2)),
  sine: (x, y) => (Math.abs(y - 0.6 * Math.sin(3 * x)) < 0.12 ? 1 : 0),
  xor_table: (x, y) => ((x > 0) !== (y > 0) ? 1 : -1),
};

function drawIcon(canvas, name) {
  const ctx = canvas.getContext("2d");
  const f = ICONS[name] || (() => 0);
  const N = 20;
  canvas.width = canvas.height = N;
  const img = ctx.createImageData(N, N);
  for (let r = 0; r < N; r++) for (let c = 0; c < N; c++) {
    const [R, G, B] = diverging(f((c / (N - 1)) * 2 - 1, 1 - (r / (N - 1)) * 2));
    const o = 4 * (r * N + c);
    img.data.set([R, G, B, 255], o);
  }
  ctx.putImageData(img, 0, 0);
}

/** A button per dataset of the catalog (but `inline`: your own rows) into `box`; `onPick(name)`
 * when one is clicked. */
export function datasetButtons(box, datasets, onPick) {
  for (const d of datasets) {
    if (d.name === "inline") continue;
    const c = el("canvas");
    drawIcon(c, d.name);
    const b = el("button", { class: "dataset-btn", "data-dataset": d.name, "data-ctl": "dataset", title: `${d.name}: ${d.description || d.task}`, role: "radio" },
      c, el("span", { text: d.name.replace("multi_gaussian", "multi-gauss").replace("xor_table", "xor table") }));
    b.addEventListener("click", () => onPick(d.name));
    box.append(b);
  }
}

/** Draw the loaded 2-D dataset `data` (targets coloured by `range`) into dataset `name`'s button. */
export function drawPreview(name, data, range) {
  const btn = document.querySelector(`.dataset-btn[data-dataset="${name}"] canvas`);
  if (!btn || !data?.domain || data.domain.length !== 2) return;
  const N = 40;
  btn.width = btn.height = N;
  const ctx = btn.getContext("2d");
  ctx.fillStyle = "#f5f6f8";
  ctx.fillRect(0, 0, N, N);
  const [[x0, x1], [y0, y1]] = data.domain;
  data.train.points.forEach((p, i) => {
    ctx.fillStyle = rgb(diverging((data.train.targets[i][0] - range.center) / range.half));
    ctx.fillRect(((p[0] - x0) / (x1 - x0)) * N - 1, N - ((p[1] - y0) / (y1 - y0)) * N - 1, 2, 2);
  });
}
