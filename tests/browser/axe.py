"""axe-core in a Playwright page: ``violations(page)`` injects the vendored axe-core
(tests/vendor/, fetched by ``scripts/vendor.sh tests``) and answers the rules a page breaks at
WCAG 2.0/2.1 A and AA plus axe's best practices, each as ``"rule-id: help (n nodes: selectors)"``.

The page's Content-Security-Policy (``script-src 'self'``) refuses an inline ``<script>``, so the
library is evaluated through the driver (``page.evaluate``), which the policy does not govern."""

from __future__ import annotations

from pathlib import Path

VENDOR = Path(__file__).resolve().parents[1] / "vendor"
AXE_SOURCE = next(VENDOR.glob("axe-core-*/axe.min.js"))
# WCAG 2.1 AA (its A and AA rules, and those of 2.0 it includes) and axe's best practices
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]


def inject(page) -> None:
    """Make ``window.axe`` in ``page`` (once per document)."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(AXE_SOURCE.read_text(encoding="utf-8") + "\n;undefined")


def violations(page, context: str | None = None) -> list[str]:
    """The axe rules ``page`` (or the part of it that the CSS selector ``context`` picks)
    violates, one line each; [] when it has none."""
    inject(page)
    found = page.evaluate(
        """async ([tags, context]) => {
            const root = context ? document.querySelector(context) : document;
            const result = await window.axe.run(root,
              {runOnly: {type: "tag", values: tags}, resultTypes: ["violations"]});
            return result.violations.map((v) => ({id: v.id, help: v.help,
              nodes: v.nodes.map((n) => n.target.join(" ") + (n.failureSummary ?
                " [" + n.failureSummary.replace(/\\s+/g, " ").slice(0, 160) + "]" : ""))}));
        }""",
        [TAGS, context],
    )
    return [
        f"{v['id']}: {v['help']} ({len(v['nodes'])} nodes: {'; '.join(v['nodes'][:4])})"
        for v in found
    ]
