// The kgexplorer graph component (Streamlit custom components v2): draws a GraphView with vis-network
// and sends node clicks back to Python as the trigger "node_clicked", edge clicks as "edge_clicked".
//
// Design (measured, docs/decisions/graph-component.md): one network per parentElement, redrawn with
// setData only when the data changed; physics switched off after stabilisation; a ResizeObserver for
// views mounted at 0x0 (hidden tabs); label colours from the Streamlit theme; keyboard access; and a
// cleanup guarded by a generation counter. Data is only ever put into the page as text (textContent,
// vis-network's canvas and innerText tooltips), never as HTML.

import "./vis-network.min.js"; // a UMD bundle: it sets globalThis.vis

const instances = new WeakMap(); // parentElement -> state

function cssVar(element, name, fallback) {
  const value = getComputedStyle(element).getPropertyValue(name).trim();
  return value || fallback;
}

function theme(element) {
  return {
    text: cssVar(element, "--st-text-color", "#31333F"),
    background: cssVar(element, "--st-background-color", "#FFFFFF"),
    primary: cssVar(element, "--st-primary-color", "#FF4B4B"),
  };
}

function themedOptions(options, colours, grouped) {
  const merged = JSON.parse(JSON.stringify(options || {}));
  merged.nodes = merged.nodes || {};
  merged.nodes.font = { ...(merged.nodes.font || {}), color: colours.text };
  if (grouped) merged.nodes.font.background = colours.background; // a label reads over the lines behind it
  merged.nodes.color = {
    ...(merged.nodes.color || {}),
    highlight: { background: "rgba(0,0,0,0)", border: colours.primary },
    hover: { background: "rgba(0,0,0,0)", border: "rgba(0,0,0,0)" },
  };
  merged.edges = merged.edges || {};
  merged.edges.font = {
    ...(merged.edges.font || {}),
    color: colours.text,
    strokeColor: colours.background,
    strokeWidth: 3,
  };
  for (const group of Object.values(merged.groups || {})) {
    if (group.font) group.font = { ...group.font, color: colours.text };
  }
  return merged;
}

function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function lineSample(colour, dashes, width) {
  const svgNs = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(svgNs, "svg");
  svg.setAttribute("width", "28");
  svg.setAttribute("height", "10");
  svg.setAttribute("aria-hidden", "true");
  const line = document.createElementNS(svgNs, "line");
  line.setAttribute("x1", "1");
  line.setAttribute("y1", "5");
  line.setAttribute("x2", "27");
  line.setAttribute("y2", "5");
  line.setAttribute("stroke", colour);
  line.setAttribute("stroke-width", String(width));
  if (dashes && dashes.length) line.setAttribute("stroke-dasharray", dashes.join(" "));
  svg.appendChild(line);
  return svg;
}

function renderLegend(box, legend, groups, textColour) {
  box.replaceChildren();
  for (const kind of legend.kinds || []) {
    const item = element("span", "kg-legend-item");
    const image = (groups[kind.group] || {}).image;
    if (image) {
      const img = element("img", "kg-glyph");
      img.alt = "";
      img.src = image; // our own SVG data URI, built in render.py from fixed shapes and colours
      item.appendChild(img);
    } else {
      item.appendChild(element("span", "kg-more-sample"));
    }
    item.appendChild(element("span", null, kind.label));
    box.appendChild(item);
  }
  for (const edge of legend.edges || []) {
    const item = element("span", "kg-legend-item");
    item.appendChild(lineSample(edge.colour, edge.dashes, 2.5));
    item.appendChild(element("span", null, edge.label));
    box.appendChild(item);
  }
  const levels = legend.levels || [];
  if (levels.length) {
    const item = element("span", "kg-legend-item");
    const strongest = levels[0];
    const weakest = levels[levels.length - 1];
    item.appendChild(lineSample(textColour, [], strongest.width));
    if (levels.length > 1) item.appendChild(lineSample(textColour, [], weakest.width));
    const text =
      levels.length > 1
        ? `wider line = stronger evidence (here from ${strongest.label} to ${weakest.label})`
        : `line width = strength of evidence (here: ${strongest.label})`;
    item.appendChild(element("span", null, text));
    box.appendChild(item);
  }
}

// The nearest node in the arrow's direction, favouring nodes straight ahead.
function nextNode(network, from, key) {
  const positions = network.getPositions();
  const origin = positions[from];
  if (!origin) return null;
  const [dx, dy] = { ArrowRight: [1, 0], ArrowLeft: [-1, 0], ArrowDown: [0, 1], ArrowUp: [0, -1] }[key];
  let best = null;
  let bestScore = Infinity;
  for (const [id, p] of Object.entries(positions)) {
    if (id === from) continue;
    const ahead = (p.x - origin.x) * dx + (p.y - origin.y) * dy;
    if (ahead <= 0) continue;
    const aside = Math.abs((p.x - origin.x) * dy - (p.y - origin.y) * dx);
    const score = ahead + 2 * aside;
    if (score < bestScore) {
      bestScore = score;
      best = id;
    }
  }
  return best;
}

function announce(state, id) {
  const node = id === null ? null : state.nodes.get(id);
  state.status.textContent = node
    ? `Selected: ${node.label} (${node.kind}). Press Enter to open it.`
    : state.summary;
}

// A grouped view (views/layout.py) comes laid out for 1 … 6 columns: take the widest that fits the canvas at
// zoom 1, so labels keep their full size (a phone gets two columns, a desktop four or five).
function chooseLayout(layouts, width) {
  let best = layouts[0];
  for (const layout of layouts) if (layout.width <= width - 8) best = layout;
  return best;
}

function placed(nodes, layout) {
  return nodes.map((n) => {
    const at = layout.positions[n.id];
    return at ? { ...n, x: at[0], y: at[1], fixed: false } : n;
  });
}

// Show a grouped layout at zoom 1, its top-left corner in view; the canvas is as tall as the layout unless
// the graph fills the screen (then it is the screen, and the rest is a drag or a scroll away).
function showLayout(state) {
  const layout = state.layout;
  if (!layout) return;
  const full = state.root.getRootNode().fullscreenElement === state.root;
  state.canvasBox.style.height = full ? "" : `${Math.ceil(layout.height) + 16}px`;
  state.network.setSize("100%", "100%"); // vis-network measures its new size now, not on its next check
  state.network.redraw();
  const width = state.canvasBox.clientWidth || layout.width;
  const height = state.canvasBox.clientHeight || layout.height;
  // Centre the layout in a canvas larger than it; otherwise show its top-left corner.
  const x = width >= layout.width ? layout.width / 2 : width / 2;
  const y = height >= layout.height + 16 ? layout.height / 2 : height / 2 - 8;
  state.network.moveTo({ position: { x, y }, scale: 1, animation: false });
}

function relayout(state) {
  if (!state.layouts) return;
  const width = state.canvasBox.clientWidth;
  if (!width) return;
  const layout = chooseLayout(state.layouts, width);
  if (layout !== state.layout) {
    state.layout = layout;
    state.nodes.update(placed(state.nodes.get(), layout));
  }
  showLayout(state);
}

// Group headings, drawn over the lines (on a patch of the background) so a heading is never crossed out.
function drawHeaders(state, ctx) {
  if (!state.layout) return;
  const colours = theme(state.root);
  const size = state.headerFont;
  ctx.save();
  ctx.textBaseline = "top";
  ctx.font = `600 ${size}px ${cssVar(state.root, "--st-font", "sans-serif")}`;
  for (const header of state.layout.headers) {
    header.lines.forEach((line, i) => {
      const y = header.y + i * (size + 4);
      ctx.fillStyle = colours.background;
      ctx.fillRect(header.x - 3, y - 2, ctx.measureText(line).width + 6, size + 4);
      ctx.fillStyle = colours.text;
      ctx.fillText(line, header.x, y);
    });
  }
  ctx.restore();
}

function toggleFullScreen(state) {
  const rootNode = state.root.getRootNode();
  if (rootNode.fullscreenElement === state.root) {
    document.exitFullscreen();
  } else if (state.root.requestFullscreen) {
    state.root.requestFullscreen().catch(() => {});
  }
}

function markDrawn(state) {
  state.drawCount += 1;
  state.root.dataset.drawn = String(state.drawCount);
  state.root.__kgDrawnAt = performance.now();
}

function create(parentElement) {
  let root = parentElement.querySelector(".kg-graph");
  if (!root) {
    root = element("div", "kg-graph");
    parentElement.appendChild(root);
  }
  root.replaceChildren();
  const canvasBox = element("div", "kg-canvas");
  canvasBox.tabIndex = 0;
  canvasBox.setAttribute("role", "application");
  canvasBox.setAttribute("aria-roledescription", "graph");
  const status = element("div", "kg-status");
  status.setAttribute("aria-live", "polite");
  const legend = element("div", "kg-legend");
  legend.setAttribute("aria-label", "Legend");
  const fullScreen = element("button", "kg-fullscreen", "Full screen");
  fullScreen.type = "button";
  fullScreen.setAttribute("aria-label", "Full screen");
  fullScreen.title = "Show the graph on the whole screen (Escape to come back)";
  root.append(fullScreen, canvasBox, status, legend);

  const state = {
    root,
    canvasBox,
    status,
    legendBox: legend,
    network: new globalThis.vis.Network(canvasBox, {}, {}),
    nodes: new globalThis.vis.DataSet([]),
    generation: 0,
    drawCount: 0,
    pending: false,
    stabilising: false,
    lastGraph: null,
    lastOptions: null,
    lastLegend: null,
    focus: null,
    summary: "",
    setTriggerValue: null,
    size: { width: 0, height: 0 },
    layouts: null,
    layout: null,
    headerFont: 13,
  };
  const network = state.network;
  // vis-network makes its own frame a Tab stop with no name or focus ring: one stop, the labelled canvas box,
  // is the graph's (its keyboard handling lives there).
  for (const frame of canvasBox.querySelectorAll(".vis-network")) frame.tabIndex = -1;
  root.__kgNetwork = network;
  root.__kgState = state;

  network.on("click", (params) => {
    // A node click refocuses; a click on an edge alone opens its evidence; empty canvas, drags and pans
    // send nothing.
    if (!state.setTriggerValue) return;
    if (params.nodes.length === 1) {
      state.setTriggerValue("node_clicked", params.nodes[0]);
    } else if (params.nodes.length === 0 && params.edges.length === 1) {
      state.setTriggerValue("edge_clicked", params.edges[0]);
    }
  });
  network.on("selectNode", (params) => announce(state, params.nodes[0]));
  network.on("deselectNode", () => announce(state, null));
  network.on("hoverNode", () => {
    canvasBox.style.cursor = "pointer";
  });
  network.on("blurNode", () => {
    canvasBox.style.cursor = "";
  });
  network.on("stabilizationIterationsDone", () => {
    state.stabilising = false;
    // Keep the settled picture still: later drags move one node, not the whole graph.
    network.setOptions({ physics: { enabled: false } });
  });
  network.on("afterDrawing", (ctx) => drawHeaders(state, ctx));
  fullScreen.addEventListener("click", () => toggleFullScreen(state));
  root.addEventListener("keydown", (event) => {
    // Escape leaves full screen (the browser does too; this also serves a keyboard inside the page).
    if (event.key === "Escape" && root.getRootNode().fullscreenElement === root) document.exitFullscreen();
  });
  state.onFullScreen = () => {
    const full = root.getRootNode().fullscreenElement === root;
    root.classList.toggle("kg-full", full);
    fullScreen.textContent = full ? "Leave full screen" : "Full screen";
    fullScreen.setAttribute("aria-label", full ? "Leave full screen" : "Full screen");
    requestAnimationFrame(() => {
      if (state.layouts) relayout(state);
      else network.fit({ animation: false });
    });
  };
  document.addEventListener("fullscreenchange", state.onFullScreen);
  network.on("afterDrawing", () => {
    if (state.pending && !state.stabilising) {
      state.pending = false;
      markDrawn(state);
    }
  });

  canvasBox.addEventListener("keydown", (event) => {
    const selected = network.getSelectedNodes();
    const current = selected.length === 1 ? selected[0] : null;
    if (event.key.startsWith("Arrow")) {
      event.preventDefault();
      const next = current === null ? state.focus : nextNode(network, current, event.key);
      if (next !== null && next !== undefined && state.nodes.get(next)) {
        network.selectNodes([next]);
        announce(state, next);
      }
    } else if (event.key === "Home" && state.focus !== null) {
      event.preventDefault();
      network.selectNodes([state.focus]);
      announce(state, state.focus);
    } else if ((event.key === "Enter" || event.key === " ") && current !== null) {
      event.preventDefault();
      if (state.setTriggerValue) state.setTriggerValue("node_clicked", current);
    } else if (event.key === "Escape") {
      network.unselectAll();
      announce(state, null);
    }
  });

  // A view mounted while hidden (e.g. in an inactive st.tabs tab) is fitted to 0x0; fit again once it shows.
  state.observer = new ResizeObserver((entries) => {
    const box = entries[entries.length - 1].contentRect;
    const wasHidden = state.size.width === 0 || state.size.height === 0;
    const widthChanged = box.width !== state.size.width;
    state.size = { width: box.width, height: box.height };
    if (state.layouts) {
      if (widthChanged && box.width > 0) relayout(state); // a new width may take more or fewer columns
    } else if (wasHidden && box.width > 0 && box.height > 0) {
      network.redraw();
      network.fit({ animation: false });
    }
  });
  state.observer.observe(canvasBox);
  return state;
}

function update(state, data) {
  const colours = theme(state.root);
  const grouped = Boolean(data.layouts && data.layouts.length);
  state.root.classList.toggle("kg-grouped", grouped);
  state.root.style.height = grouped ? "" : `${data.height || 540}px`;
  if (!grouped) state.canvasBox.style.height = "";
  state.focus = data.focus ?? null;
  state.summary = data.summary || "";
  state.canvasBox.setAttribute(
    "aria-label",
    `${state.summary} Arrow keys move between nodes, Enter opens the selected one. A table of the same nodes and links is on the page.`,
  );
  state.root.dataset.focus = state.focus ?? "";

  const graphJson = JSON.stringify([data.nodes, data.edges]);
  const options = themedOptions(data.options, colours, Boolean(data.layouts && data.layouts.length));
  const optionsJson = JSON.stringify(options);
  const graphChanged = graphJson !== state.lastGraph;
  if (graphChanged) {
    // Options first: they switch physics back on for a view that needs a new layout.
    state.network.setOptions(options);
  } else if (optionsJson !== state.lastOptions) {
    // Only the theme changed: recolour, but leave the settled layout (and physics) alone.
    const { physics, layout, ...recolour } = options;
    state.network.setOptions(recolour);
  }
  state.lastOptions = optionsJson;
  if (graphChanged) {
    state.lastGraph = graphJson;
    state.layouts = grouped ? data.layouts : null;
    state.headerFont = data.headerFont || 13;
    state.layout = grouped ? chooseLayout(data.layouts, state.canvasBox.clientWidth || data.layouts[Math.min(3, data.layouts.length - 1)].width) : null;
    state.nodes = new globalThis.vis.DataSet(grouped ? placed(data.nodes || [], state.layout) : data.nodes || []);
    const physics = Boolean(options.physics && options.physics.enabled);
    state.stabilising = physics;
    state.pending = true;
    state.network.setData({ nodes: state.nodes, edges: new globalThis.vis.DataSet(data.edges || []) });
    // A tooltip open over the old drawing would describe a node of the previous view.
    for (const tip of state.canvasBox.querySelectorAll("div.vis-tooltip")) tip.style.visibility = "hidden";
    if (grouped) showLayout(state);
    else if (!physics) state.network.fit({ animation: false });
    announce(state, null);
  }
  const legendJson = JSON.stringify([data.legend, colours.text]);
  if (legendJson !== state.lastLegend) {
    state.lastLegend = legendJson;
    renderLegend(state.legendBox, data.legend || {}, options.groups || {}, colours.text);
  }
}

export default function (component) {
  const { data, parentElement, setTriggerValue } = component;
  let state = instances.get(parentElement);
  if (!state) {
    state = create(parentElement);
    instances.set(parentElement, state);
  }
  state.generation += 1;
  const generation = state.generation;
  state.setTriggerValue = setTriggerValue; // always the latest: older ones belong to finished runs
  update(state, data || {});

  return () => {
    // A call cancelled while loading may clean up after a newer call: only the newest may tear down.
    if (instances.get(parentElement) !== state || state.generation !== generation) return;
    state.observer.disconnect();
    document.removeEventListener("fullscreenchange", state.onFullScreen);
    state.network.destroy();
    state.root.replaceChildren();
    instances.delete(parentElement);
  };
}
