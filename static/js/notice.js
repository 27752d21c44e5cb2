// One banner under the top bar for what happens to the page's session itself: the connection
// is lost and being retried, its trainer restarted and it is being restored, or the server no
// longer has it (with what the user can do about that). It floats over the page, so showing
// it moves nothing in the layout.

export class Notice {
  constructor(root) {
    this.root = root;
    this.kind = null;
  }

  /**
   * @param {{kind: "reconnecting"|"restoring"|"gone", title: string, text?: string,
   *          actions?: {id: string, label: string, onClick: () => void, disabled?: boolean,
   *                     title?: string, primary?: boolean}[]}} n
   */
  show({ kind, title, text = "", actions = [] }) {
    this.kind = kind;
    const r = this.root;
    r.className = `notice ${kind}`;
    r.replaceChildren();
    const body = document.createElement("div");
    body.className = "notice-body";
    const b = document.createElement("b");
    b.className = "notice-title";
    b.textContent = title;
    body.append(b);
    if (text) {
      const p = document.createElement("p");
      p.className = "notice-text";
      p.textContent = text;
      body.append(p);
    }
    r.append(body);
    if (actions.length) {
      const row = document.createElement("div");
      row.className = "notice-actions";
      for (const a of actions) {
        const btn = document.createElement("button");
        btn.id = a.id;
        btn.textContent = a.label;
        if (a.primary) btn.className = "primary";
        if (a.title) btn.title = a.title;
        btn.disabled = !!a.disabled;
        btn.dataset.off = a.disabled ? "1" : "0";
        btn.addEventListener("click", () => a.onClick());
        row.append(btn);
      }
      r.append(row);
    }
    r.hidden = false;
  }

  /** Hide the banner (only if it shows `kind`, when given). */
  hide(kind) {
    if (kind && this.kind !== kind) return;
    this.kind = null;
    this.root.hidden = true;
    this.root.replaceChildren();
  }

  /** Draw the eye to a banner that is already up (a click that it blocks). */
  pulse() {
    const r = this.root;
    r.classList.remove("pulse");
    void r.offsetWidth;
    r.classList.add("pulse");
  }

  /** Disable or enable its buttons (while one of them is working). */
  busy(on) {
    for (const b of this.root.querySelectorAll("button")) b.disabled = on || b.dataset.off === "1";
  }
}
