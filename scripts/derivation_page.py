"""Build the derivation page's body (templates/derivation_body.html) from docs/derivation.md.

The Markdown in docs/ is the one source of the derivation; the app serves it at /derivation
(templates/derivation.html includes the body built here), and a test checks that the built body
is current. Only the Markdown the document uses is understood: headings, paragraphs, lists,
display equations ``$$ … \\tag{N} $$`` (each gets the anchor ``eq-N``), inline ``$ … $``, bold,
italics, code and links. The items of the ordered list under "The forward pass" get the anchors
``step-1`` … ``step-6``. The LaTeX is left for KaTeX in the browser (static/js/derivation-page.js).

    python scripts/derivation_page.py          # write the body
    python scripts/derivation_page.py --check  # exit 1 if the body is not current
"""

from __future__ import annotations

import html
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "docs" / "derivation.md"
TARGET = ROOT / "templates" / "derivation_body.html"
HEADER = "{# Built by scripts/derivation_page.py from docs/derivation.md: edit that, not this. #}\n"

TAG = re.compile(r"\\tag\{(\d+)\}")


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", re.sub(r"\$[^$]*\$", "", text.lower())).strip("-")


def inline(text: str) -> str:
    """Inline Markdown to HTML: math and code are kept verbatim (escaped), the rest marked up."""
    kept: list[str] = []

    def keep(fragment: str) -> str:
        kept.append(fragment)
        return f"\x00{len(kept) - 1}\x00"

    text = re.sub(r"`([^`]+)`", lambda m: keep(f"<code>{html.escape(m[1])}</code>"), text)
    text = re.sub(
        r"\$([^$]+)\$", lambda m: keep(f'<span class="math">{html.escape(m[1])}</span>'), text
    )
    text = html.escape(text, quote=False)
    text = re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", text)
    text = re.sub(r"(?<![*\w])\*(?!\s)(.+?)(?<!\s)\*(?![*\w])", r"<em>\1</em>", text)
    text = re.sub(r"\[([^\]]+)\]\(([^)\s]+)\)", r'<a href="\2">\1</a>', text)
    return re.sub(r"\x00(\d+)\x00", lambda m: kept[int(m[1])], text)


def blocks(lines: list[str]) -> list[tuple[str, str]]:
    """Group lines into (kind, text) blocks: heading level, "p", "ul", "ol", "math"."""
    out: list[tuple[str, str]] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        if not line.strip():
            i += 1
        elif line.startswith("#"):
            level = len(line) - len(line.lstrip("#"))
            out.append((f"h{level}", line[level:].strip()))
            i += 1
        elif line.startswith("$$"):
            text = line
            while not text.rstrip().endswith("$$") or text.strip() == "$$":
                i += 1
                text += "\n" + lines[i]
            out.append(("math", text.strip()[2:-2].strip()))
            i += 1
        elif re.match(r"(- |\d+\. )", line):
            kind = "ul" if line.startswith("- ") else "ol"
            items: list[str] = []
            while i < len(lines) and lines[i].strip():
                if re.match(r"(- |\d+\. )", lines[i]):
                    items.append(re.sub(r"^(- |\d+\. )", "", lines[i]))
                else:
                    items[-1] += " " + lines[i].strip()
                i += 1
            out.extend((kind, item) for item in items)
            out.append((f"/{kind}", ""))
        else:
            text = line.strip()
            i += 1
            block_start = re.compile(r"(#|\$\$|- |\d+\. )")
            while i < len(lines) and lines[i].strip() and not block_start.match(lines[i]):
                text += " " + lines[i].strip()
                i += 1
            out.append(("p", text))
    return out


def render(markdown: str) -> str:
    parts: list[str] = []
    open_list = None
    step = 0
    section = ""
    for kind, text in blocks(markdown.splitlines()):
        if kind in ("ul", "ol"):
            if open_list != kind:
                parts.append(f"<{kind}>")
                open_list = kind
            ident = ""
            if kind == "ol" and section == "the-forward-pass":
                step += 1
                ident = f' id="step-{step}"'
            parts.append(f"<li{ident}>{inline(text)}</li>")
        elif kind.startswith("/"):
            parts.append(f"<{kind}>")
            open_list = None
        elif kind.startswith("h"):
            section = slug(text)
            parts.append(f'<{kind} id="{section}">{inline(text)}</{kind}>')
        elif kind == "math":
            tag = TAG.search(text)
            ident = f' id="eq-{tag[1]}"' if tag else ""
            link = (
                f'<a class="eq-anchor" href="#eq-{tag[1]}" title="link to Eq. {tag[1]}">¶</a>'
                if tag
                else ""
            )
            parts.append(
                f'<div class="eq-block"{ident}><div class="math display">{html.escape(text)}</div>'
                f"{link}</div>"
            )
        else:
            parts.append(f"<p>{inline(text)}</p>")
    # raw: the LaTeX's braces are not Jinja's
    return HEADER + "{% raw %}\n" + "\n".join(parts) + "\n{% endraw %}\n"


def main(argv: list[str]) -> int:
    body = render(SOURCE.read_text(encoding="utf-8"))
    if "--check" in argv:
        current = TARGET.read_text(encoding="utf-8") if TARGET.exists() else ""
        if current != body:
            print(f"{TARGET.relative_to(ROOT)} is not current: run scripts/derivation_page.py")
            return 1
        return 0
    TARGET.write_text(body, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
