// The page's small messages: errors next to the control that caused them, the toast, the
// connection pill, the epochs/s counter, and the diagram's hover tooltip.
import { featureLabel } from "./diagram.js";
import { fmt, setText } from "./util.js";

const $ = (id) => document.getElementById(id);

export class PageUI {
  /** Show `message` in the error slot (`data-err`) that names `field` most closely. */
  showError(field, message) {
    const slot = this._slot(field);
    slot.classList.remove("info");
    slot.textContent = message;
    return slot;
  }

  /** Say what else changed with a setting, in the slot next to it (not styled as an error). */
  showNote(field, message) {
    const slot = this._slot(field);
    slot.classList.add("info");
    slot.textContent = message;
    return slot;
  }

  _slot(field) {
    const slots = [...document.querySelectorAll("[data-err]")];
    let best = null;
    for (const s of slots) {
      const k = s.dataset.err;
      if ((field === k || field.startsWith(k + ".") || field.startsWith(k + "[")) && (!best || k.length > best.dataset.err.length)) best = s;
    }
    return best || document.querySelector('[data-err="network"]');
  }

  clearErrors() {
    for (const s of document.querySelectorAll("[data-err]")) { s.textContent = ""; s.classList.remove("info"); }
  }

  /** A short message in the corner: `kind` "error" (red) or "info" (neutral). */
  toast(msg, kind = "error") {
    const t = $("toast");
    t.textContent = msg;
    t.className = `toast ${kind}`;
    t.setAttribute("role", kind === "error" ? "alert" : "status");
    t.hidden = false;
    clearTimeout(this._toastTimer);
    this._toastTimer = setTimeout(() => (t.hidden = true), 6000);
  }

  setPill(cls, text) {
    const pill = $("conn");
    pill.className = `pill ${cls}`;
    pill.textContent = text;
  }

  /** Epochs per second while training (rate.js), to 3 significant digits; "–" when unknown. */
  setRate(eps) {
    setText($("eps"), eps == null ? "–" : eps >= 100 ? String(Math.round(eps)) : eps.toPrecision(3).replace(/\.?0+$/, ""));
  }

  /** Mark the page as driving someone else's session (joined through a shared link). */
  setJoined(on) {
    let badge = $("joined-badge");
    if (!badge && on) {
      badge = document.createElement("span");
      badge.id = "joined-badge";
      badge.className = "pill joined";
      badge.textContent = "someone else's session";
      badge.title = "You opened a shared link: this page watches and drives another person's training session. Change the network or the data to get your own copy.";
      $("conn").before(badge);
    }
    if (badge) badge.hidden = !on;
  }

  /** A link to copy by hand, in a dialog, where the clipboard API is missing (plain http on a
   * LAN is not a secure context). */
  showLink(url, text) {
    let d = $("link-dialog");
    if (!d) {
      d = document.createElement("dialog");
      d.id = "link-dialog";
      d.className = "link-dialog";
      const p = document.createElement("p");
      const input = document.createElement("input");
      input.id = "link-dialog-url";
      input.readOnly = true;
      input.setAttribute("aria-label", "link to share");
      input.addEventListener("focus", () => input.select());
      const close = document.createElement("button");
      close.id = "link-dialog-close";
      close.textContent = "close";
      close.addEventListener("click", () => d.close());
      d.append(p, input, close);
      document.body.append(d);
    }
    d.querySelector("p").textContent = text;
    const input = d.querySelector("input");
    input.value = url;
    d.showModal();
    input.focus();
    input.select();
  }

  clearRate() {
    $("eps").textContent = "–";
  }

  /** The hover tooltip of the diagram: the probe's numbers of a unit, or a weight's. */
  tooltip(hit, e, frame, session) {
    const tip = $("tooltip");
    const f = frame;
    if (!hit || !f) { tip.hidden = true; return; }
    let html = "";
    if (hit.kind === "unit") {
      if (hit.layer === 0) {
        const name = session.data.feature_names?.[hit.j] ?? `x${hit.j + 1}`;
        html = `input a<sub>${hit.j + 1}</sub> = ${featureLabel(name)}: <b>${fmt(f.probe.input[hit.j])}</b>`;
      } else {
        const P = f.probe.layers[hit.layer - 1];
        html = `layer ${hit.layer} unit ${hit.j + 1}<br>z = <b>${fmt(P.z[hit.j])}</b> a = <b>${fmt(P.a[hit.j])}</b><br>g'(z) = <b>${fmt(P.g_prime[hit.j])}</b> δ = <b>${fmt(P.delta[hit.j])}</b>`;
      }
    } else if (hit.kind === "weight") {
      html = `w<sub>${hit.i + 1}${hit.j + 1}</sub> (layer ${hit.layer}→${hit.layer + 1}) = <b>${fmt(f.weights[hit.layer][hit.i][hit.j])}</b><br>epoch-mean ∂E/∂w = <b>${fmt(f.gradients.weights[hit.layer][hit.i][hit.j])}</b>`;
    } else if (hit.kind === "bias") {
      html = `b<sub>${hit.j + 1}</sub> (layer ${hit.layer + 1}) = <b>${fmt(f.biases[hit.layer][hit.j])}</b><br>epoch-mean ∂E/∂b = <b>${fmt(f.gradients.biases[hit.layer][hit.j])}</b>`;
    }
    tip.innerHTML = html + "<br><small>click to inspect</small>";
    tip.hidden = false;
    tip.style.left = `${e.clientX + 14}px`;
    tip.style.top = `${e.clientY + 12}px`;
  }
}
