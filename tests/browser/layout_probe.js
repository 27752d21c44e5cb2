// Measures the page for tests/browser/test_layout.py: overlapping boxes in the diagram, layer
// heads that run into each other, header numbers that wrap, selects too narrow for their text,
// and glyphs cut off at the diagram's edges. Returns a list of problems (strings).
() => {
  const problems = [];
  const r = (e) => e.getBoundingClientRect();
  const hit = (a, b, pad = 0) => a.left < b.right - pad && b.left < a.right - pad && a.top < b.bottom - pad && b.top < a.bottom - pad;
  const name = (e) => `${e.tagName}${e.dataset.owner ? `[${e.dataset.owner}]` : ""}${e.textContent ? ` "${e.textContent.slice(0, 20)}"` : ""}`;
  const visible = (e) => { const b = r(e); return b.width > 0 && b.height > 0 && getComputedStyle(e).visibility !== "hidden"; };

  // 1. diagram glyphs: no two of different owners overlap; all inside the drawing
  const svg = document.getElementById("diagram-svg");
  const box = r(svg);
  const glyphs = [...svg.querySelectorAll("[data-owner]")].filter(visible).map((e) => ({ e, b: r(e), o: e.dataset.owner }));
  for (const g of glyphs) {
    const b = g.b;
    if (b.left < box.left - 0.5 || b.right > box.right + 0.5 || b.top < box.top - 0.5 || b.bottom > box.bottom + 0.5) problems.push(`cut at the diagram's edge: ${name(g.e)}`);
  }
  for (let i = 0; i < glyphs.length; i++) {
    for (let k = i + 1; k < glyphs.length; k++) {
      const a = glyphs[i], c = glyphs[k];
      if (a.o !== c.o && hit(a.b, c.b, 0.5)) problems.push(`overlap: ${name(a.e)} / ${name(c.e)}`);
    }
  }
  // heatmaps inside their own unit's box
  for (const c of document.querySelectorAll("#diagram canvas.unit-map")) {
    if (!visible(c)) continue;
    const owner = svg.querySelector(`rect[data-owner="${c.dataset.owner}"]`);
    if (!owner || !(r(c).left >= r(owner).left - 0.5 && r(c).right <= r(owner).right + 0.5 && r(c).top >= r(owner).top - 0.5 && r(c).bottom <= r(owner).bottom + 0.5)) problems.push(`heatmap outside its unit: ${c.dataset.owner}`);
  }
  // 2. layer heads: apart from each other, inside the network panel
  const heads = [...document.querySelectorAll("#layer-heads .layer-head")];
  const panel = r(document.querySelector(".panel.net"));
  for (let i = 0; i < heads.length; i++) {
    const a = r(heads[i]);
    if (a.left < panel.left || a.right > panel.right) problems.push(`layer head ${i} outside the panel`);
    for (let k = i + 1; k < heads.length; k++) if (hit(a, r(heads[k]))) problems.push(`layer heads ${i} and ${k} overlap`);
  }
  // 3. the top bar: its parts apart, every number on one line
  const bar = [...document.querySelector(".topbar").children].filter(visible).filter((e) => getComputedStyle(e).position !== "absolute");
  for (let i = 0; i < bar.length; i++) for (let k = i + 1; k < bar.length; k++) if (hit(r(bar[i]), r(bar[k]))) problems.push(`top bar: ${bar[i].className} / ${bar[k].className} overlap`);
  for (const b of document.querySelectorAll(".counters b")) {
    if (!visible(b)) continue;
    const lh = parseFloat(getComputedStyle(b).fontSize) * 1.6;
    if (r(b).height > lh) problems.push(`header number wraps: ${b.id} "${b.textContent}"`);
    if (b.scrollWidth > b.clientWidth + 1) problems.push(`header number cut: ${b.id}`);
  }
  // 4. selects wide enough for the option they show, and not cut by their panel
  const ctx = document.createElement("canvas").getContext("2d");
  for (const s of document.querySelectorAll("select")) {
    if (!visible(s) || s.closest("[hidden]")) continue;
    const st = getComputedStyle(s);
    ctx.font = `${st.fontWeight} ${st.fontSize} ${st.fontFamily}`;
    const text = s.options[s.selectedIndex]?.text ?? "";
    const need = ctx.measureText(text).width + 20 + parseFloat(st.paddingLeft) + parseFloat(st.paddingRight);
    if (need > s.clientWidth + 1) problems.push(`select ${s.id || s.getAttribute("aria-label")} too narrow for "${text}" (${s.clientWidth} < ${Math.ceil(need)})`);
    const p = s.closest(".panel, .topbar");
    if (p && (r(s).right > r(p).right + 0.5 || r(s).left < r(p).left - 0.5)) problems.push(`select ${s.id || s.getAttribute("aria-label")} sticks out of its panel`);
  }
  // 5. nothing wider than the window
  if (document.documentElement.scrollWidth > window.innerWidth) problems.push(`page wider than the window: ${document.documentElement.scrollWidth}`);
  return problems;
}
