// Boots the page: reads the server's boot data, builds the App (app.js) and its first session,
// and exposes `window.__bpp` for tests and the console.
import { api, ApiError } from "./api.js";
import { App } from "./app.js";
import { benchRender } from "./bench.js";
import { addSettings, State } from "./state.js";
import { addTeachLink, startClassroom } from "./classroom/seat.js";
import { startLessonEditor } from "./lesson-editor.js";

const $ = (id) => document.getElementById(id);

async function start() {
  const boot = JSON.parse($("bpp-boot").textContent);
  let catalog = boot.catalog;
  if (!catalog) catalog = await api.catalog();
  addSettings(catalog);
  const state = new State(boot.defaults);
  state.readHash();
  const app = new App(catalog, state);
  window.__bpp = {
    app,
    state,
    get sessionId() { return app.session?.id; },
    shareLive: () => app.shareLive(),
    get frame() { return app.frame; },
    get framesSeen() { return app.framesSeen; },
    counts: () => app.diagram.counts(),
    unitCenter: (l, j) => app.diagram.unitCenter(l, j),
    edgePoint: (l, i, j, t = 0.3) => app.diagram.edgePoint(l, i, j, t),
    get selection() { return app.selection; },
    dropSocket: () => app.stream.drop(),
    benchRender: (n) => benchRender(catalog, $("diagram").clientWidth, n),
    ready: false,
  };
  app.setView(state.get("view") || "forward");
  app.loss.setLog(!!state.get("logScale"));
  if (boot.classroom) { // a student's seat, or a teacher watching one (classroom/seat.js)
    await startClassroom(app, boot.classroom);
    window.__bpp.ready = true;
    return;
  }
  if (boot.lesson) { // a teacher making a lesson on the playground (lesson-editor.js)
    await startLessonEditor(app, state, boot.lesson);
    window.__bpp.ready = true;
    return;
  }
  addTeachLink(app);
  const join = state.get("join");
  if (!join || !(await app.joinSession(join))) await app.createSession(state.sessionBody());
  window.__bpp.ready = true;
}

window.addEventListener("DOMContentLoaded", () => {
  start().catch((err) => {
    const msg = err instanceof ApiError ? err.message : String(err);
    document.querySelector('[data-err="network"]').textContent = `could not start: ${msg}`;
  });
});
