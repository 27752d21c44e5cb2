// The derivation page (/derivation): typeset its LaTeX with KaTeX (vendored, no inline script:
// the page runs under the site's Content-Security-Policy). Display equations carry their
// \tag{N}; each sits in an element with the anchor eq-N, so "Eq. N" links land on it.

function typeset() {
  for (const node of document.querySelectorAll("#doc .math")) {
    const display = node.classList.contains("display");
    window.katex.render(node.textContent, node, { displayMode: display, throwOnError: false, strict: false });
  }
  document.body.dataset.typeset = "1";
  // the browser scrolled to #eq-N before the equations had their height: go there again
  if (location.hash) document.getElementById(location.hash.slice(1))?.scrollIntoView();
}

if (document.readyState === "complete") typeset();
else window.addEventListener("load", typeset);
