// The dashboard's "push a lesson" dialog: a new setup, instructions, locks and an optional
// challenge for every student at once (PUT /api/classrooms/{id}/lesson), filled from the lesson
// running now or one of the teacher's lessons without steps.
import { call, el, showError } from "./http.js";

const $ = (id) => document.getElementById(id);

/** Wire the dialog to #btn-push.
 * @param {{base: string, controls: Object, room: Function, say: Function, reload: Function}} ctx
 *   controls: name → label of the locks offered; room(): the roster's room; reload(): read it again */
export function pushDialog(ctx) {
  const dialog = $("push-dialog");
  let pushLessons = []; // the teacher's lessons, for "start from one of your lessons"

  $("push-from").addEventListener("change", () => {
    const lesson = pushLessons.find((x) => x.id === $("push-from").value);
    fillPush(lesson || ctx.room(), ctx.controls);
  });
  $("push-setup").addEventListener("change", () => {
    try { $("push-summary").textContent = `Setup: ${setupSummary(JSON.parse($("push-setup").value))}`; } catch { /* shown at push */ }
  });

  $("btn-push").addEventListener("click", async () => {
    fillPush(ctx.room(), ctx.controls);
    $("push-from").value = "";
    showError($("push-error"), null);
    dialog.showModal();
    try {
      pushLessons = (await call("GET", "/api/lessons")).lessons.filter((x) => !(x.steps || []).length);
      $("push-from").replaceChildren(el("option", { value: "" }, "— the lesson running now —"),
        ...pushLessons.map((x) => el("option", { value: x.id }, x.title)));
    } catch (err) { showError($("push-error"), err); }
  });
  $("push-go").addEventListener("click", async (ev) => {
    ev.preventDefault();
    let setup;
    try { setup = JSON.parse($("push-setup").value); } catch (e) { showError($("push-error"), new Error(`setup: not valid JSON (${e.message})`)); return; }
    const loss = parseFloat($("push-ch-loss").value), units = $("push-ch-units").value;
    const body = {
      setup,
      instructions: $("push-instructions").value,
      locks: [...$("push-locks").querySelectorAll("input:checked")].map((i) => i.value),
      challenge: Number.isFinite(loss) ? { title: $("push-ch-title").value, test_loss_below: loss, max_hidden_units: units === "" ? null : parseInt(units, 10) } : null,
    };
    try {
      const r = await call("PUT", `${ctx.base}/lesson`, body);
      dialog.close();
      ctx.say(`lesson pushed: ${r.replaced} new session${r.replaced === 1 ? "" : "s"}`);
      ctx.reload();
    } catch (err) { showError($("push-error"), err); }
  });
}

/** The dialog's fields from a lesson (or the room's own): no JSON to write — the setup is
 * summed up in words; its JSON stays under "advanced". */
function fillPush(from, controls) {
  $("push-setup").value = JSON.stringify(from.setup, null, 1);
  $("push-summary").textContent = `Setup: ${setupSummary(from.setup)}`;
  $("push-instructions").value = from.instructions || "";
  const locks = $("push-locks");
  locks.replaceChildren(...Object.entries(controls).map(([name, what]) =>
    el("label", { class: "lock", title: `lock name: ${name}` }, el("input", { type: "checkbox", value: name, checked: (from.locks || []).includes(name), "data-control": name }), ` ${what}`)));
  const c = from.challenge || {};
  $("push-ch-title").value = c.title || "";
  $("push-ch-loss").value = c.test_loss_below ?? "";
  $("push-ch-units").value = c.max_hidden_units ?? "";
}

function setupSummary(setup) {
  const n = setup?.network || {}, d = setup?.dataset || {}, t = setup?.training || {};
  const layers = (n.hidden_layers || []).join("–") || "no hidden layer";
  return `${d.name || "default data"}, hidden ${layers}${n.activations ? ` (${n.activations.join("/")})` : ""}, η = ${t.learning_rate ?? "default"}`;
}
