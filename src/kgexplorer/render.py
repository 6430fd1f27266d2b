"""Neighbourhoods and paths as a drawable graph view: styled nodes and edges, a legend, and a table.

:func:`render` turns a :class:`~kgexplorer.network.Neighbourhood` or :class:`~kgexplorer.network.PathSet`
into a :class:`GraphView` ready for vis-network (the graph component draws it; any other front end can
read the same fields). How it looks, and why:

* a node's kind sets both its colour (Okabe–Ito, safe for colour-blind readers) and its shape, and no
  two kinds share a shape, so colour is never the only cue; "+N more" nodes are dashed boxes;
* an edge's width grows with the strength of its best evidence (a meta-analysis is widest); its colour
  *and* dash pattern show the claims' result direction; structural links are thin and grey;
* tooltips are plain text (vis-network sets them with ``innerText``), and every string from the data
  has its control characters removed;
* up to ``layout_threshold_nodes`` nodes the browser lays the view out (forceAtlas2, 200 stabilisation
  steps, then physics off); above it the positions come from networkx here and physics stays off, so a
  big view appears at once (../shared/notes/stack-measurements.md, section 4).

>>> from kgexplorer import KnowledgeGraph
>>> with KnowledgeGraph.bundled() as kg:
...     view = render(kg.neighbourhood("ketamine"))
>>> view.focus, view.nodes[0].label, view.nodes[0].style.shape
('https://w3id.org/kgexplorer/id/ketamine', 'Ketamine', 'circle')
>>> view.physics, len(view.table().nodes) == len(view.nodes)
(True, True)
"""

from __future__ import annotations

import copy
import dataclasses
import math
import re
from collections import defaultdict
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import networkx as nx

from .compare import Comparison
from .evidence import LEVELS
from .network import MORE, Neighbourhood, PathSet
from .settings import Settings

__all__ = [
    "DIRECTION_STYLES", "KIND_STYLES", "MORE_STYLE", "OTHER_KIND", "STRUCTURAL", "EdgeRow", "EdgeStyle", "GraphEdge",
    "GraphNode", "GraphTable", "GraphView", "KindStyle", "Legend", "LevelWidth", "NodeRow", "clean_text", "edge_width",
    "kind_style", "render",
]  # fmt: skip


@dataclass(frozen=True)
class KindStyle:
    """How nodes of one kind look: a shape name, an Okabe–Ito colour, and the glyph as an SVG data URI."""

    kind: str
    shape: str
    colour: str

    @property
    def image(self) -> str:
        """The glyph (``shape`` filled with ``colour``, dark outline) as a ``data:image/svg+xml`` URI."""
        return _glyph(self.shape, self.colour)


@dataclass(frozen=True)
class EdgeStyle:
    """How edges of one result direction look: colour and dash pattern (empty = solid)."""

    name: str
    label: str
    colour: str
    dashes: tuple[int, ...]


@dataclass(frozen=True)
class LevelWidth:
    """The edge width used for one evidence level."""

    rank: int
    label: str
    width: float


# Okabe & Ito's "Color Universal Design" palette, minus black (it vanishes on a dark theme).
_ORANGE, _SKY, _GREEN, _YELLOW = "#E69F00", "#56B4E9", "#009E73", "#F0E442"
_BLUE, _VERMILLION, _PURPLE = "#0072B2", "#D55E00", "#CC79A7"
_GREY = "#999999"

#: Style of each project kind (labels.KINDS). Shapes are all different; colours repeat, shapes never do.
KIND_STYLES: dict[str, KindStyle] = {
    s.kind: s
    for s in (
        KindStyle("Substance", "circle", _BLUE),
        KindStyle("Mechanism", "hexagon", _GREEN),
        KindStyle("Condition", "square", _VERMILLION),
        KindStyle("Therapy", "diamond", _ORANGE),
        KindStyle("Outcome", "star", _PURPLE),
        KindStyle("Acute effect", "triangle-down", _SKY),
        KindStyle("Risk", "triangle", _VERMILLION),
        KindStyle("Access barrier", "octagon", _ORANGE),
        KindStyle("Topic", "pill", _SKY),
        KindStyle("Jurisdiction", "pentagon", _GREEN),
        KindStyle("Study", "document", _YELLOW),
        KindStyle("Regulatory event", "plus", _PURPLE),
        KindStyle("Historical event", "hourglass", _YELLOW),
        KindStyle("Publication event", "trapezoid", _BLUE),
        KindStyle("Legal status", "parallelogram", _BLUE),
        KindStyle("Real-world figure", "half-disc", _GREEN),
        KindStyle("Claim", "chevron", _PURPLE),
        KindStyle("Study result", "star4", _VERMILLION),
    )
}
#: Kinds from other vocabularies (your own RDF) share this style; the tooltip and table name the kind.
OTHER_KIND = KindStyle("Other", "ring", _GREY)
#: The "+N more" nodes (drawn as a dashed box with their text inside, not as a glyph).
MORE_STYLE = KindStyle(MORE, "dashed box", _GREY)

#: Edge styles by combined result direction (evidence.DIRECTIONS), then the structural style.
DIRECTION_STYLES: dict[str, EdgeStyle] = {
    s.name: s
    for s in (
        EdgeStyle("supports", "supports", _GREEN, ()),
        EdgeStyle("mixed", "mixed results", _ORANGE, (10, 5)),
        EdgeStyle("null", "no effect found", _BLUE, (3, 5)),
        EdgeStyle("against", "against", _VERMILLION, (10, 4, 2, 4)),
        EdgeStyle("", "claims, direction not stated", _PURPLE, ()),
    )
}
STRUCTURAL = EdgeStyle("structural", "link from the graph's structure (no claim)", _GREY, ())

_FOCUS_SIZE, _NODE_SIZE, _LAYOUT_SEED = 26, 16, 7
_TRANSPARENT = "rgba(0,0,0,0)"
# Images keep their own colours; a transparent box behind them shows the selection (and keyboard) highlight.
_BASE_OPTIONS: dict[str, Any] = {
    "autoResize": True,
    "layout": {"improvedLayout": False, "randomSeed": _LAYOUT_SEED},
    "interaction": {"hover": True, "tooltipDelay": 150, "keyboard": False, "multiselect": False},
    "nodes": {
        "size": _NODE_SIZE, "font": {"size": 14}, "widthConstraint": {"maximum": 180}, "borderWidth": 0,
        "borderWidthSelected": 3, "shapeProperties": {"useBorderWithImage": True},
        "color": {"background": _TRANSPARENT, "border": _TRANSPARENT},
    },
    "edges": {
        "arrows": {"to": {"enabled": True, "scaleFactor": 0.6}}, "font": {"size": 10, "align": "middle"},
        "smooth": {"enabled": True, "type": "continuous", "roundness": 0.3}, "selectionWidth": 2,
        "scaling": {"label": {"drawThreshold": 9}},  # relation names appear once zoomed in enough to read
    },
}  # fmt: skip
# improvedLayout off and 200 iterations: 1,000 nodes drew in 6.8 s instead of 45 s (stack-measurements.md §4).
_PHYSICS: dict[str, Any] = {
    "enabled": True, "solver": "forceAtlas2Based",
    "forceAtlas2Based": {
        "gravitationalConstant": -140, "springLength": 150, "centralGravity": 0.012, "avoidOverlap": 0.6,
    },
    "stabilization": {"enabled": True, "iterations": 200, "updateInterval": 50, "fit": True}, "minVelocity": 1,
}  # fmt: skip
_MORE_GROUP: dict[str, Any] = {
    "shape": "box", "shapeProperties": {"borderDashes": [5, 4]}, "borderWidth": 1.5, "font": {"size": 12},
    "color": {"background": _TRANSPARENT, "border": _GREY},
}  # fmt: skip
_KAMADA_KAWAI_MAX_NODES = 30  # its cost grows fast (about 1 s at 100 nodes); above this spring_layout is used
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")


def edge_width(level_rank: int, *, has_claims: bool = True) -> float:
    """Edge width for an evidence rank: 6 for a meta-analysis (rank 1) down to 1.5; 1 without claims.

    >>> edge_width(1), edge_width(10), edge_width(99, has_claims=False)
    (6.0, 1.5, 1.0)
    """
    if not has_claims:
        return 1.0
    rank = min(max(level_rank, 1), len(LEVELS))
    return 1.5 + (len(LEVELS) - rank) * 0.5


def kind_style(kind: str) -> KindStyle:
    """The style of a kind; kinds outside the project vocabulary get :data:`OTHER_KIND`.

    >>> kind_style("Substance").shape, kind_style("Person").shape
    ('circle', 'ring')
    """
    if kind == MORE:
        return MORE_STYLE
    return KIND_STYLES.get(kind, OTHER_KIND)


@dataclass(frozen=True)
class Legend:
    """What the view's symbols mean: the kinds shown, the edge styles used and the widths per level."""

    kinds: tuple[KindStyle, ...]
    edges: tuple[EdgeStyle, ...]
    levels: tuple[LevelWidth, ...]


@dataclass(frozen=True)
class GraphNode:
    """One drawn node. ``expands`` is set on "+N more" nodes: the ``(node, predicate, direction)`` group to
    pass to ``KnowledgeGraph.neighbourhood(expanded=…)`` to show it in full."""

    id: str
    label: str
    kind: str
    hops: int
    title: str
    style: KindStyle
    anchor: bool = False
    x: float | None = None
    y: float | None = None
    expands: tuple[str, str, str] | None = None


@dataclass(frozen=True)
class GraphEdge:
    """One drawn edge: its ends, relation, evidence (strongest level, combined direction, claims) and style."""

    id: str
    source: str
    target: str
    predicate: str
    relation: str
    level: str
    level_rank: int
    direction: str
    claims: tuple[str, ...]
    title: str
    style: EdgeStyle
    width: float
    curve: float = 0.0


@dataclass(frozen=True)
class NodeRow:
    """A node as a table row."""

    label: str
    kind: str
    hops: int
    iri: str


@dataclass(frozen=True)
class EdgeRow:
    """An edge as a table row: source, relation, target and its evidence."""

    source: str
    relation: str
    target: str
    evidence: str
    direction: str
    claims: int
    source_iri: str
    target_iri: str


@dataclass(frozen=True)
class GraphTable:
    """The accessible twin of a drawing: the same nodes and edges as rows, in the same order."""

    nodes: tuple[NodeRow, ...]
    edges: tuple[EdgeRow, ...]


@dataclass(frozen=True)
class GraphView:
    """A graph ready to draw. ``positioned`` views carry x/y from the server and never run physics.

    ``truncated`` / ``note`` say when the view was cut (nodes left out, or more paths than shown).
    """

    focus: str
    summary: str
    nodes: tuple[GraphNode, ...]
    edges: tuple[GraphEdge, ...]
    legend: Legend
    physics: bool
    truncated: bool = False
    note: str = ""

    @property
    def options(self) -> dict[str, Any]:
        """vis-network options (the graph component adds the theme's text colour)."""
        groups = {_group(k.kind): {"shape": "image", "image": k.image} for k in self.legend.kinds if k.kind != MORE}
        options = {
            **_BASE_OPTIONS,
            "physics": _PHYSICS if self.physics else {"enabled": False},
            "groups": {**groups, _group(MORE): _MORE_GROUP},
        }
        return copy.deepcopy(options)  # callers may adjust their copy; the shared defaults must not change

    def to_data(self) -> dict[str, Any]:
        """The JSON-ready payload the graph component draws (nodes, edges, options, legend, focus).

        >>> from kgexplorer import KnowledgeGraph
        >>> with KnowledgeGraph.bundled() as kg:
        ...     data = render(kg.neighbourhood("ketamine")).to_data()
        >>> sorted(data)
        ['edges', 'focus', 'legend', 'nodes', 'note', 'options', 'summary']
        """
        nodes = []
        for n in self.nodes:
            item: dict[str, Any] = {"id": n.id, "label": n.label, "title": n.title, "group": _group(n.kind)}
            item["kind"] = n.kind
            if n.anchor:
                item["size"] = _FOCUS_SIZE
                item["font"] = {"size": 17}
            if n.x is not None and n.y is not None:
                item["x"], item["y"] = n.x, n.y
            nodes.append(item)
        edges = []
        for e in self.edges:
            edge: dict[str, Any] = {
                "id": e.id,
                "from": e.source,
                "to": e.target,
                "label": e.relation,
                "title": e.title,
                "width": e.width,
                "color": e.style.colour,  # a plain colour also sets highlight and hover, and turns inherit off
            }
            if e.style.dashes:
                edge["dashes"] = list(e.style.dashes)
            if e.curve:
                edge["smooth"] = {"enabled": True, "type": "curvedCW", "roundness": e.curve}
            edges.append(edge)
        legend = {
            "kinds": [{"label": s.kind, "shape": s.shape, "group": _group(s.kind)} for s in self.legend.kinds],
            "edges": [{"label": s.label, "colour": s.colour, "dashes": list(s.dashes)} for s in self.legend.edges],
            "levels": [{"label": lv.label, "width": lv.width} for lv in self.legend.levels],
        }
        head = {"focus": self.focus, "summary": self.summary, "note": self.note}
        return {**head, "nodes": nodes, "edges": edges, "options": self.options, "legend": legend}

    def node(self, node_id: str) -> GraphNode | None:
        """The drawn node with this id (e.g. the one a click reported), or None.

        >>> from kgexplorer import KnowledgeGraph
        >>> with KnowledgeGraph.bundled() as kg:
        ...     view = render(kg.neighbourhood("ketamine", per_relation=1))
        >>> more = next(n for n in view.nodes if n.expands)
        >>> view.node(more.id).expands[0], view.node("no such node")
        ('https://w3id.org/kgexplorer/id/ketamine', None)
        """
        return next((n for n in self.nodes if n.id == node_id), None)

    def table(self) -> GraphTable:
        """The same nodes and edges as table rows, for readers who cannot use the drawing.

        >>> from kgexplorer import KnowledgeGraph
        >>> with KnowledgeGraph.bundled() as kg:
        ...     rows = render(kg.neighbourhood("ketamine")).table()
        >>> rows.nodes[0]
        NodeRow(label='Ketamine', kind='Substance', hops=0, iri='https://w3id.org/kgexplorer/id/ketamine')
        """
        labels = {n.id: n.label for n in self.nodes}
        edges = tuple(
            EdgeRow(labels[e.source], e.relation, labels[e.target], *_evidence(e), e.source, e.target)
            for e in self.edges
        )
        return GraphTable(tuple(NodeRow(n.label, n.kind, n.hops, n.id) for n in self.nodes), edges)


def render(view: Neighbourhood | PathSet | Comparison | GraphView, *, settings: Settings | None = None) -> GraphView:
    """Style a neighbourhood or a set of paths for drawing (see the module docstring). A view that is
    already drawn (e.g. a query result from :func:`kgexplorer.results.result_graph`) is returned as it is.

    >>> from kgexplorer import KnowledgeGraph
    >>> with KnowledgeGraph.bundled() as kg:
    ...     paths = render(kg.paths("ketamine", "alcohol use disorder", k=2))
    >>> [n.label for n in paths.nodes if n.anchor]
    ['Ketamine', 'Alcohol use disorder']
    """
    if isinstance(view, GraphView):
        return view
    threshold = (settings or Settings()).layout_threshold_nodes
    graph = view.graph
    anchors: tuple[str, ...]
    if isinstance(view, Neighbourhood):
        focus, anchors = view.focus, (view.focus,)
        hops = {n: int(d.get("hops", 0)) for n, d in graph.nodes(data=True)}
        summary = f"Neighbourhood of {_label(graph, focus)}, {view.depth} step{'s' * (view.depth != 1)} deep"
        note = (
            f"The view was cut at {graph.number_of_nodes()} nodes: {view.hidden} more were left out "
            "(setting max_view_nodes). Filter by kind or evidence to see the rest."
            if view.truncated
            else ""
        )
        truncated = view.truncated
    elif isinstance(view, Comparison):
        anchors = tuple(s.iri for s in view.substances)
        focus = anchors[0]
        hops = {n: int(d.get("hops", 0)) for n, d in graph.nodes(data=True)}
        summary = "Comparison of " + ", ".join(s.label for s in view.substances)
        note, truncated = "", False
    else:
        focus, anchors = view.source.iri, (view.source.iri, view.target.iri)
        lengths = nx.single_source_shortest_path_length(graph.to_undirected(as_view=True), focus)
        hops = {n: int(lengths.get(n, -1)) for n in graph.nodes}
        summary = f"Paths from {view.source.label} to {view.target.label}"
        note = f"More than {len(view.paths)} paths exist; only the shortest are shown (setting max_paths)."
        note = note if view.truncated else ""
        truncated = view.truncated
    nodes = _nodes(graph, focus, anchors, hops)
    edges = _edges(graph, view)
    positioned = len(nodes) > threshold
    if positioned:
        at = _layout(graph, [n.id for n in nodes])
        nodes = [dataclasses.replace(n, x=at[n.id][0], y=at[n.id][1]) for n in nodes]
    summary += f": {len(nodes)} nodes, {len(edges)} links."
    return GraphView(
        focus=focus,
        summary=clean_text(summary),
        nodes=tuple(nodes),
        edges=tuple(edges),
        legend=_legend(nodes, edges),
        physics=not positioned,
        truncated=truncated,
        note=note,
    )


def _nodes(graph: nx.MultiDiGraph, focus: str, anchors: tuple[str, ...], hops: dict[str, int]) -> list[GraphNode]:
    focus_label = _label(graph, focus)
    out: list[GraphNode] = []
    for node, data in graph.nodes(data=True):
        kind = clean_text(str(data.get("kind", "Resource")))
        label = clean_text(str(data.get("label", node)))
        hop = hops.get(node, -1)
        expands = None
        if kind == MORE:
            of, pred = str(data.get("more_of", "")), str(data.get("predicate", ""))
            expands = (of, pred, str(data.get("direction", "")))
            relation = _relation_label(graph, of, node)
            title = (
                f"{label}\n{data.get('count', '?')} more neighbours of {_label(graph, of)} linked by "
                f"“{relation}” are not shown (setting neighbours_per_relation)"
            )
        else:
            where = "The focus of this view" if node == focus else _distance(hop, focus_label)
            title = f"{label}\nKind: {kind}\n{where}\n{clean_text(node)}"
        out.append(GraphNode(node, label, kind, hop, title, kind_style(kind), node in anchors, expands=expands))
    order = {a: i for i, a in enumerate(anchors)}
    out.sort(key=lambda n: (order.get(n.id, len(order)), n.kind == MORE, n.hops < 0, n.hops, n.label.casefold(), n.id))
    return out


def _edges(graph: nx.MultiDiGraph, view: Neighbourhood | PathSet | Comparison) -> list[GraphEdge]:
    raw = sorted(((str(s), str(t), str(k), d) for s, t, k, d in graph.edges(keys=True, data=True)), key=lambda e: e[:3])
    pairs: dict[frozenset[str], int] = defaultdict(int)
    out: list[GraphEdge] = []
    for index, (s, t, key, data) in enumerate(raw):
        claims = tuple(str(c) for c in data.get("claims", ()))
        direction = str(data.get("direction", "")) if claims else ""
        rank = int(data.get("level_rank", 99))
        style = DIRECTION_STYLES.get(direction, DIRECTION_STYLES[""]) if claims else STRUCTURAL
        relation = clean_text(str(data.get("label", key)))
        level = clean_text(str(data.get("level", "")))
        lines = [f"{_label(graph, s)} → {relation} → {_label(graph, t)}"]
        if claims:
            strongest = f" (strongest of {len(claims)} claims)" if len(claims) > 1 else ""
            lines += [
                f"Evidence level: {level or 'not stated'}{strongest}",
                f"Result direction: {style.label}",
                f"Claims: {len(claims)}",
            ]
        else:
            lines.append("Structural link: no claim, so no evidence level")
        if isinstance(view, PathSet) and data.get("paths"):
            lines.append("On path " + ", ".join(str(int(p) + 1) for p in data["paths"]))
        pair = frozenset((s, t))
        # Parallel edges between one pair would be drawn on top of each other: bend all but the first.
        curve = round(0.18 * pairs[pair], 2)
        pairs[pair] += 1
        width = edge_width(rank, has_claims=bool(claims))
        title = "\n".join(lines)
        out.append(
            GraphEdge(f"e{index}", s, t, key, relation, level, rank, direction, claims, title, style, width, curve)
        )
    return out


def _legend(nodes: list[GraphNode], edges: list[GraphEdge]) -> Legend:
    kinds = {n.style.kind: n.style for n in nodes}
    kind_order = list(KIND_STYLES)
    styles = sorted(
        kinds.values(),
        key=lambda s: (
            s.kind == MORE,
            s.kind == OTHER_KIND.kind,
            kind_order.index(s.kind) if s.kind in kind_order else 0,
        ),
    )
    used = {e.style.name for e in edges}
    edge_styles = [s for s in (*DIRECTION_STYLES.values(), STRUCTURAL) if s.name in used]
    ranks = sorted({e.level_rank for e in edges if e.claims and e.level})
    levels = [LevelWidth(lv.rank, lv.label, edge_width(lv.rank)) for lv in LEVELS if lv.rank in ranks]
    return Legend(tuple(styles), tuple(edge_styles), tuple(levels))


def _layout(graph: nx.MultiDiGraph, order: list[str]) -> dict[str, tuple[float, float]]:
    # A simple undirected graph built in a fixed order, so the same view always gets the same picture.
    simple: nx.Graph = nx.Graph()
    simple.add_nodes_from(order)
    simple.add_edges_from(sorted((str(s), str(t)) for s, t in graph.edges() if s != t))
    n = simple.number_of_nodes()
    if n <= _KAMADA_KAWAI_MAX_NODES:
        raw = nx.kamada_kawai_layout(simple)
    else:
        raw = nx.spring_layout(simple, seed=_LAYOUT_SEED, iterations=50)
    scale = 55.0 * math.sqrt(max(n, 1))  # vis-network units are pixels at zoom 1; keeps neighbours apart
    return {str(k): (round(float(v[0]) * scale, 1), round(float(v[1]) * scale, 1)) for k, v in raw.items()}


def _evidence(edge: GraphEdge) -> tuple[str, str, int]:
    level = edge.level or ("—" if edge.style is STRUCTURAL else "level not stated")
    return level, edge.direction or "—", len(edge.claims)


def _group(kind: str) -> str:
    return "more" if kind == MORE else f"kind:{kind_style(kind).kind}"


def _label(graph: nx.MultiDiGraph, node: str) -> str:
    return clean_text(str(graph.nodes[node].get("label", node))) if node in graph else clean_text(node)


def _relation_label(graph: nx.MultiDiGraph, a: str, b: str) -> str:
    for u, v in ((a, b), (b, a)):
        if graph.has_edge(u, v):
            return clean_text(str(next(iter(graph[u][v].values())).get("label", "")))
    return "a relation"


def _distance(hops: int, focus_label: str) -> str:
    if hops < 0:
        return f"Not connected to {focus_label} in this view"
    return f"{hops} step{'s' * (hops != 1)} from {focus_label}"


def clean_text(text: str) -> str:
    """Drop control and bidi-override characters (newlines become spaces): data is shown, never obeyed.

    >>> clean_text("  Ketamine\\u202e\\nrisks\\x00 ")
    'Ketamine risks'
    """
    return _CONTROL.sub(lambda m: " " if m.group() in "\n\r\t" else "", text).strip()


def _glyph(shape: str, colour: str) -> str:
    body = _SHAPES[shape].format(c=colour)
    svg = (
        '<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64" viewBox="0 0 100 100">'
        f'<g stroke="#222222" stroke-width="5" stroke-linejoin="round">{body}</g></svg>'
    )
    return "data:image/svg+xml;charset=utf-8," + quote(svg, safe="")


def _polygon(points: int, *, radius: float = 44, start: float = -90, inner: float | None = None) -> str:
    coords = []
    steps = points * (2 if inner else 1)
    for i in range(steps):
        r = inner if inner and i % 2 else radius
        a = math.radians(start + 360 * i / steps)
        coords.append(f"{50 + r * math.cos(a):.1f},{50 + r * math.sin(a):.1f}")
    return f'<polygon fill="{{c}}" points="{" ".join(coords)}"/>'


_SHAPES: dict[str, str] = {
    "circle": '<circle fill="{c}" cx="50" cy="50" r="43"/>',
    "square": '<rect fill="{c}" x="10" y="10" width="80" height="80"/>',
    "diamond": '<polygon fill="{c}" points="50,4 96,50 50,96 4,50"/>',
    "triangle": '<polygon fill="{c}" points="50,6 95,88 5,88"/>',
    "triangle-down": '<polygon fill="{c}" points="5,12 95,12 50,94"/>',
    "pentagon": _polygon(5),
    "hexagon": _polygon(6, start=0),
    "octagon": _polygon(8, start=22.5),
    "star": _polygon(5, radius=47, inner=20),
    "plus": '<polygon fill="{c}" points="36,6 64,6 64,36 94,36 94,64 64,64 64,94 36,94 36,64 6,64 6,36 36,36"/>',
    "star4": _polygon(4, radius=47, start=-90, inner=16),
    "hourglass": '<polygon fill="{c}" points="12,6 88,6 56,50 88,94 12,94 44,50"/>',
    "pill": '<rect fill="{c}" x="4" y="24" width="92" height="52" rx="26"/>',
    "document": '<polygon fill="{c}" points="16,4 64,4 84,24 84,96 16,96"/>',
    "trapezoid": '<polygon fill="{c}" points="28,18 72,18 96,82 4,82"/>',
    "parallelogram": '<polygon fill="{c}" points="30,18 96,18 70,82 4,82"/>',
    "half-disc": '<path fill="{c}" d="M4,72 A46,46 0 0 1 96,72 Z"/>',
    "chevron": '<polygon fill="{c}" points="6,14 50,46 94,14 94,54 50,86 6,54"/>',
    "ring": '<path fill="{c}" fill-rule="evenodd" d="M50,5 a45,45 0 1,0 0.1,0 Z M50,27 a23,23 0 1,0 0.1,0 Z"/>',
}
