// Downloads: the diagram as SVG/PNG, the network as the server's export JSON, the loss history
// as CSV; and importing a network JSON (POST /api/sessions accepts the export back).
import { download } from "./util.js";

export function downloadSVG(diagram) {
  download("network.svg", new Blob([diagram.toSVG()], { type: "image/svg+xml" }));
}

export function downloadPNG(diagram) {
  const [w, h] = diagram.size;
  const img = new Image();
  const url = URL.createObjectURL(new Blob([diagram.toSVG()], { type: "image/svg+xml" }));
  img.onload = () => {
    const c = document.createElement("canvas");
    c.width = w * 2;
    c.height = h * 2;
    const ctx = c.getContext("2d");
    ctx.scale(2, 2);
    ctx.drawImage(img, 0, 0, w, h);
    URL.revokeObjectURL(url);
    c.toBlob((blob) => download("network.png", blob), "image/png");
  };
  img.src = url;
}

export function downloadJSON(doc) {
  download("network.json", new Blob([JSON.stringify(doc, null, 1)], { type: "application/json" }));
}

/** {epoch, train, test} → CSV text. */
export function historyCSV(h) {
  const lines = ["epoch,train_loss,test_loss"];
  h.epoch.forEach((e, i) => lines.push(`${e},${h.train[i]},${h.test[i] ?? ""}`));
  return lines.join("\n") + "\n";
}

export function downloadCSV(h) {
  download("loss-history.csv", new Blob([historyCSV(h)], { type: "text/csv" }));
}

/** Read a File as JSON. */
export async function readJSON(file) {
  const text = await file.text();
  return JSON.parse(text);
}
