// The exported page's only code besides vis-network (kgexplorer.export inlines it and allows it by its
// SHA-256 hash). Data reaches the page as text only (textContent, and vis-network's canvas and innerText
// tooltips), never as HTML; links are made only to https URLs. It must never contain a closing script tag.
(() => {
  "use strict";
  const make = (tag, cls, text) => {
    const node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined) node.textContent = String(text);
    return node;
  };
  const link = (url, text) => {
    if (typeof url !== "string" || !url.startsWith("https://")) return make("span", null, text);
    const a = make("a", null, text);
    a.href = url; a.rel = "noopener noreferrer"; a.target = "_blank";
    return a;
  };
  function themed(options) {
    const o = JSON.parse(JSON.stringify(options || {}));
    o.nodes = o.nodes || {};
    o.nodes.font = { ...(o.nodes.font || {}), color: "#222222" };
    o.nodes.color = { ...(o.nodes.color || {}), highlight: { background: "rgba(0,0,0,0)", border: "#0072B2" },
      hover: { background: "rgba(0,0,0,0)", border: "rgba(0,0,0,0)" } };
    o.edges = o.edges || {};
    o.edges.font = { ...(o.edges.font || {}), color: "#222222", strokeColor: "#ffffff", strokeWidth: 3 };
    for (const g of Object.values(o.groups || {})) if (g.font) g.font = { ...g.font, color: "#222222" };
    return o;
  }
  function panel(box, fill) {
    const p = box.querySelector(".kg-panel");
    p.replaceChildren();
    const close = make("button", "kg-close", "Close");
    close.type = "button";
    close.addEventListener("click", () => { p.hidden = true; });
    p.append(close);
    fill(p);
    p.hidden = false;
  }
  function showEdge(box, data, id) {
    const edge = data.edges.find((e) => e.id === id);
    if (!edge) return;
    const names = new Map(data.nodes.map((n) => [n.id, n.label]));
    panel(box, (p) => {
      p.append(make("p", "kg-title", `${names.get(edge.from)} → ${edge.label} → ${names.get(edge.to)}`));
      if (data.evidence === false) {  // exported without its knowledge graph (a notebook's view)
        p.append(make("p", null, "This page has no evidence: open in kgexplorer for the evidence."));
        return;
      }
      const keys = data.links[id] || [];
      if (!keys.length) p.append(make("p", null, "A link from the graph's structure: no claim, so no evidence level."));
      for (const key of keys) {
        const c = data.claims[key];
        if (!c) continue;
        const item = make("div", "kg-claim");
        item.append(make("p", null, c.text));
        const facts = [c.level, c.direction, c.design, c.n ? `N = ${c.n}` : ""].filter(Boolean).join(" · ");
        item.append(make("p", "kg-meta", facts));
        for (const [title, list] of [["Studies", c.studies], ["Sources", c.sources]]) {
          if (!list.length) continue;
          const ul = make("ul");
          for (const s of list) {
            const li = make("li");
            li.append(typeof s === "string" ? link(s, s) : link(s.url, s.label));
            if (s.year && !s.label.includes(s.year)) li.append(document.createTextNode(` (${s.year})`));
            ul.append(li);
          }
          item.append(make("p", "kg-meta", `${title}:`), ul);
        }
        p.append(item);
      }
    });
  }
  function draw(box) {
    if (box.dataset.started) return;
    box.dataset.started = "1";
    const data = JSON.parse(document.getElementById(box.dataset.source).textContent);
    const options = themed(data.options);
    const network = new vis.Network(box.querySelector(".kg-canvas"), {}, options);
    box.kgNetwork = network;
    let settling = Boolean(options.physics && options.physics.enabled);
    network.on("stabilizationIterationsDone", () => {
      settling = false;
      network.setOptions({ physics: { enabled: false } });  // keep the settled picture still
    });
    network.on("afterDrawing", () => {
      if (!settling && !box.dataset.drawn) { box.dataset.drawn = "1"; box.kgDrawnAt = performance.now(); }
    });
    network.on("click", (params) => {
      if (params.nodes.length === 1) {
        const node = data.nodes.find((n) => n.id === params.nodes[0]);
        if (node) panel(box, (p) => p.append(make("p", "kg-title", node.title)));
      } else if (params.edges.length === 1) showEdge(box, data, params.edges[0]);
    });
    // A grouped view (views/layout.py), as the app shows it: the widest column layout that fits at zoom 1,
    // the view as tall as that layout, labels at full size over a patch of the page's background.
    const layouts = data.layouts || [];
    let nodes = data.nodes;
    if (layouts.length) {
      const width = box.clientWidth || layouts[0].width;
      const layout = layouts.reduce((best, l) => (l.width <= width - 8 ? l : best), layouts[0]);
      nodes = data.nodes.map((n) => (layout.positions[n.id] ? { ...n, x: layout.positions[n.id][0], y: layout.positions[n.id][1] } : n));
      box.style.height = `${Math.ceil(layout.height) + 16}px`;
      network.setOptions({ nodes: { font: { background: "#ffffff" } } });
      network.on("afterDrawing", (ctx) => {
        ctx.save();
        ctx.font = `600 ${data.headerFont || 13}px sans-serif`;
        ctx.textBaseline = "top";
        for (const h of layout.headers) {
          h.lines.forEach((line, i) => {
            const y = h.y + i * ((data.headerFont || 13) + 4);
            ctx.fillStyle = "#ffffff";
            ctx.fillRect(h.x - 3, y - 2, ctx.measureText(line).width + 6, (data.headerFont || 13) + 4);
            ctx.fillStyle = "#444444";
            ctx.fillText(line, h.x, y);
          });
        }
        ctx.restore();
      });
      box.kgLayout = layout;
    }
    network.setData({ nodes: new vis.DataSet(nodes), edges: new vis.DataSet(data.edges) });
    if (box.kgLayout) {
      const l = box.kgLayout;
      network.setSize("100%", "100%");
      network.moveTo({ position: { x: Math.min(l.width, box.clientWidth) / 2, y: l.height / 2 }, scale: 1, animation: false });
    } else if (!settling) network.fit({ animation: false });
  }
  const steps = Array.from(document.querySelectorAll("section.kg-step"));
  const nav = document.querySelector("nav.kg-steps");
  if (!nav || !steps.length) {
    document.querySelectorAll(".kg-view").forEach(draw);
    return;
  }
  let current = 0;
  const show = (i) => {
    current = Math.max(0, Math.min(i, steps.length - 1));
    steps.forEach((s, j) => { s.hidden = j !== current; });
    document.getElementById("kg-step-status").textContent = `Step ${current + 1} of ${steps.length}`;
    document.getElementById("kg-prev").disabled = current === 0;
    document.getElementById("kg-next").disabled = current === steps.length - 1;
    const view = steps[current].querySelector(".kg-view");
    if (view) draw(view);
  };
  const go = (i) => { show(i); window.scrollTo(0, 0); history.replaceState(null, "", `#step-${current + 1}`); };
  document.getElementById("kg-prev").addEventListener("click", () => go(current - 1));
  document.getElementById("kg-next").addEventListener("click", () => go(current + 1));
  // Presentation mode: full screen, larger type and graph; arrows, Page keys and Space move between steps.
  const present = document.getElementById("kg-present");
  const presenting = (on) => {
    document.body.classList.toggle("kg-presenting", on);
    present.setAttribute("aria-pressed", String(on));
    present.textContent = on ? "Leave presentation" : "Present";
    const view = steps[current].querySelector(".kg-view");
    if (view && view.kgNetwork && !view.kgLayout) setTimeout(() => view.kgNetwork.fit({ animation: false }), 50);
  };
  if (present) {
    present.addEventListener("click", () => {
      const on = !document.body.classList.contains("kg-presenting");
      presenting(on);
      const root = document.documentElement;
      if (on && root.requestFullscreen) root.requestFullscreen().catch(() => {});
      if (!on && document.fullscreenElement) document.exitFullscreen().catch(() => {});
    });
    document.addEventListener("fullscreenchange", () => { if (!document.fullscreenElement) presenting(false); });
  }
  document.addEventListener("keydown", (event) => {
    const t = event.target;
    if (event.altKey || event.ctrlKey || event.metaKey || (t && t.closest && t.closest("input, textarea, select, .kg-view"))) return;
    const moves = { ArrowRight: 1, PageDown: 1, " ": 1, ArrowLeft: -1, PageUp: -1 };
    if (event.key in moves) { event.preventDefault(); go(current + moves[event.key]); }
    else if (event.key === "Home") { event.preventDefault(); go(0); }
    else if (event.key === "End") { event.preventDefault(); go(steps.length - 1); }
    else if (event.key === "Escape" && document.body.classList.contains("kg-presenting")) presenting(false);
  });
  window.addEventListener("resize", () => {
    const view = steps[current].querySelector(".kg-view");
    if (view && view.kgNetwork && !view.kgLayout) view.kgNetwork.fit({ animation: false });
  });
  nav.hidden = false;
  const start = /^#step-(\d+)$/.exec(location.hash);
  show(start ? Number(start[1]) - 1 : 0);
})();
