// A lesson's instructions: Markdown (marked) made safe (DOMPurify), with math as $…$ or $$…$$
// (KaTeX, when the page has it). The teacher writes them; every student's page shows them, so
// nothing of the text may run. Raw HTML in the text is shown as text (never parsed: even an
// inert parse of <img onerror> makes Chromium report the CSP it breaks), and DOMPurify then
// drops whatever else Markdown could make dangerous (javascript: links); every link opens in a
// new tab without the page as its opener.
import { Marked } from "../vendor/marked-18.3.0/marked.esm.js";
import DOMPurify from "../vendor/dompurify-3.5.0/purify.es.js";

const MATH = /\$\$([\s\S]+?)\$\$|\$([^$\n]+?)\$/g;
// placeholders from Unicode's private use area: neither Markdown nor HTML parsing touches them
const SLOT = (i) => `\uE000${i}\uE001`;
const SLOTS = /\uE000(\d+)\uE001/g;

const escapeHtml = (text) => String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const marked = new Marked({ gfm: true, breaks: false, async: false });
let headingShift = 0; // set per text: its top heading becomes an <h2> (the page keeps its h1)
marked.use({
  renderer: {
    html: (token) => escapeHtml(token.text ?? token.raw ?? ""),
    heading(token) {
      const level = Math.max(2, Math.min(6, token.depth + headingShift));
      return `<h${level}>${this.parser.parseInline(token.tokens)}</h${level}>\n`;
    },
  },
});

DOMPurify.addHook("afterSanitizeAttributes", (node) => {
  if (node.tagName === "A" && node.hasAttribute("href")) {
    node.setAttribute("target", "_blank");
    node.setAttribute("rel", "noopener noreferrer");
  }
});

function renderMath(tex, display) {
  const katex = window.katex;
  if (!katex) return null;
  try { return katex.renderToString(tex, { displayMode: display, throwOnError: false, trust: false }); } catch { return null; }
}

/** Markdown → sanitised HTML (a string safe to assign to innerHTML). */
export function markdownToHtml(text) {
  const maths = [];
  // math first, so that Markdown never reads its _ and * as emphasis
  const masked = String(text || "").replace(MATH, (whole, block, inline) => {
    maths.push({ tex: block ?? inline, display: block != null, whole });
    return SLOT(maths.length - 1);
  });
  const tokens = marked.lexer(masked);
  let top = 7;
  marked.walkTokens(tokens, (t) => { if (t.type === "heading") top = Math.min(top, t.depth); });
  headingShift = top <= 6 ? 2 - top : 0;
  const html = DOMPurify.sanitize(marked.parser(tokens), {
    USE_PROFILES: { html: true },
    FORBID_TAGS: ["style", "form", "input", "button", "textarea", "select"],
    FORBID_ATTR: ["style"],
  });
  return html.replace(SLOTS, (_, i) => {
    const m = maths[Number(i)];
    const rendered = renderMath(m.tex, m.display);
    if (rendered != null) return rendered; // KaTeX's own markup (no user HTML passes through it)
    const span = document.createElement("code");
    span.textContent = m.whole;
    return span.outerHTML;
  });
}

/** Show `text` rendered in `node` (emptied when there is none); returns whether it showed any. */
export function renderInstructions(node, text) {
  node.innerHTML = markdownToHtml(text);
  return !!String(text || "").trim();
}
