"""Neighbourhoods and paths as a drawable graph view: styled nodes and edges, a legend, and a table.

:func:`render` turns a :class:`~kgexplorer.model.neighbourhood.Neighbourhood` or
:class:`~kgexplorer.model.neighbourhood.PathSet` into a :class:`GraphView` ready for vis-network (the graph
component draws it; any other front end can read the same fields). How it looks, and why:

* a node's kind sets both its colour and its shape; an edge's width shows the strength of its best
  evidence, its colour and dash pattern the claims' result direction (the styles: :mod:`kgexplorer.views.style`);
* tooltips are plain text (vis-network sets them with ``innerText``), and every string from the data
  has its control characters removed;
* a neighbourhood of up to ``layout_threshold_nodes`` nodes is grouped (:mod:`kgexplorer.views.layout`: by
  relation to the focus, in columns, labels at full size); paths and comparisons that small are laid out by
  the browser (forceAtlas2, 200 stabilisation steps, then physics off); above it the positions come from
  networkx here and physics stays off, so a big view appears at once (docs/decisions/view-layout.md).

>>> from kgexplorer import KnowledgeGraph
>>> with KnowledgeGraph.bundled() as kg:
...     view = render(kg.neighbourhood("ketamine"))
>>> view.focus, view.nodes[0].label, view.nodes[0].style.shape
('https://w3id.org/kgexplorer/id/ketamine', 'Ketamine', 'circle')
>>> view.physics, view.layouts[1].columns, len(view.table().nodes) == len(view.nodes)
(False, 2, True)
"""

from __future__ import annotations

import copy
import dataclasses
import re
from collections import defaultdict
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from kgexplorer.evidence import LEVELS
from kgexplorer.model.compare import Comparison
from kgexplorer.model.neighbourhood import MORE, Neighbourhood, PathSet
from kgexplorer.settings import Settings

from .layout import GROUPED_FONT, HEADER_FONT, LABEL_WIDTH, GroupedLayout, grouped_layouts, hops_from, layout_positions
from .style import (
    DIRECTION_STYLES,
    KIND_STYLES,
    MORE_STYLE,
    OTHER_KIND,
    STRUCTURAL,
    EdgeStyle,
    KindStyle,
    LevelWidth,
    edge_width,
    kind_style,
)  # fmt: skip

__all__ = [
    "EdgeRow", "GraphEdge", "GraphNode", "GraphTable", "GraphView", "Legend", "NodeRow", "View", "clean_text",
    "layout_positions", "render",
]  # fmt: skip

if TYPE_CHECKING:
    import networkx as nx  # type hints only: the app's first page draws no graph and never imports it

_FOCUS_SIZE, _NODE_SIZE, _LAYOUT_SEED, _GROUPED_NODE_SIZE = 26, 16, 7, 10
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
# improvedLayout off and 200 iterations: 1,000 nodes drew in 6.8 s instead of 46 s (docs/decisions/view-layout.md).
_PHYSICS: dict[str, Any] = {
    "enabled": True, "solver": "forceAtlas2Based",
    "forceAtlas2Based": {
        "gravitationalConstant": -140, "springLength": 150, "centralGravity": 0.012, "avoidOverlap": 0.6,
    },
    "stabilization": {"enabled": True, "iterations": 200, "updateInterval": 50, "fit": True}, "minVelocity": 1,
}  # fmt: skip
_MORE_GROUP: dict[str, Any] = {
    "shape": "box", "shapeProperties": {"borderDashes": [5, 4]}, "borderWidth": 1.5, "font": {"size": 12},
    "color": {"background": _TRANSPARENT, "border": MORE_STYLE.colour},
}  # fmt: skip
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")


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
    layouts: tuple[GroupedLayout, ...] = ()

    @property
    def options(self) -> dict[str, Any]:
        """vis-network options (the graph component adds the theme's text colour)."""
        groups = {_group(k.kind): {"shape": "image", "image": k.image} for k in self.legend.kinds if k.kind != MORE}
        options = {
            **_BASE_OPTIONS,
            "physics": _PHYSICS if self.physics else {"enabled": False},
            "groups": {**groups, _group(MORE): _MORE_GROUP},
        }
        options = copy.deepcopy(options)  # callers may adjust their copy; the shared defaults must not change
        if self.layouts:  # grouped: small glyphs, labels at full size within a column; headings name the relations
            options["nodes"] |= {"size": _GROUPED_NODE_SIZE, "widthConstraint": {"maximum": LABEL_WIDTH}}
            options["nodes"]["font"]["size"] = GROUPED_FONT
            options["edges"] |= {"smooth": {"enabled": False}}  # straight lines: the groups are in columns
            options["edges"]["font"]["size"] = 0
        return options  # callers may adjust their copy; the shared defaults must not change

    def to_data(self) -> dict[str, Any]:
        """The JSON-ready payload the graph component draws (nodes, edges, options, legend, focus).

        >>> from kgexplorer import KnowledgeGraph
        >>> with KnowledgeGraph.bundled() as kg:
        ...     data = render(kg.neighbourhood("ketamine")).to_data()
        >>> sorted(data)
        ['edges', 'focus', 'headerFont', 'layouts', 'legend', 'nodes', 'note', 'options', 'summary']
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
            if self.layouts:  # grouped: quieter lines, so the many from the focus do not bury the labels
                edge["color"] = {"color": e.style.colour, "highlight": e.style.colour, "opacity": 0.5}
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
        head: dict[str, Any] = {"focus": self.focus, "summary": self.summary, "note": self.note}
        if self.layouts:
            head |= {"layouts": [g.to_data() for g in self.layouts], "headerFont": HEADER_FONT}
        return {**head, "nodes": nodes, "edges": edges, "options": self.options, "legend": legend}

    def edge(self, edge_id: str) -> GraphEdge | None:
        """The drawn edge with this id (the one a click reported), or None."""
        return next((e for e in self.edges if e.id == edge_id), None)

    def to_pyvis(self, *, height: str = "600px", notebook: bool = False) -> Any:
        """The view as a :class:`pyvis.network.Network` (see :mod:`kgexplorer.views.pyvis_network`).

        >>> from kgexplorer import KnowledgeGraph
        >>> with KnowledgeGraph.bundled() as kg:
        ...     net = render(kg.neighbourhood("ketamine")).to_pyvis()
        >>> type(net).__name__, net.nodes[0]["label"], net.directed
        ('Network', 'Ketamine', True)
        """
        from .pyvis_network import pyvis_network

        return pyvis_network(self.to_data(), height=height, notebook=notebook)

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


#: What can be drawn (and exported): a neighbourhood, paths, a comparison, or a view already drawn such as a
#: query result's graph (:func:`kgexplorer.views.result_views.result_graph`).
View = Neighbourhood | PathSet | Comparison | GraphView


def render(view: View, *, settings: Settings | None = None) -> GraphView:
    """Style a neighbourhood or a set of paths for drawing (see the module docstring). A view that is
    already drawn (e.g. a query result from :func:`kgexplorer.views.result_views.result_graph`) is returned as it is.

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
            if view.hidden
            else ""
        )
        if view.links_cut:
            names = ", ".join(_label(graph, n) for n in view.links_cut[:3]) + (" …" if len(view.links_cut) > 3 else "")
            note += (" " if note else "") + (
                f"The links of {names} were read only up to the max_neighbour_rows setting: "
                'its "+N more" counts leave out the rest.'
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
        hops = hops_from(graph, focus)
        summary = f"Paths from {view.source.label} to {view.target.label}"
        note = f"More than {len(view.paths)} paths exist; only the shortest are shown (setting max_paths)."
        note = note if view.truncated else ""
        truncated = view.truncated
    nodes = _nodes(graph, focus, anchors, hops)
    edges = _edges(graph, view)
    positioned = len(nodes) > threshold
    layouts = () if positioned else _grouped(graph, focus, nodes, view)
    if layouts:  # the positions of four columns (a desktop's) stand for the view in exports and pictures
        at = layouts[min(4, len(layouts)) - 1].positions
    elif positioned:
        at = layout_positions([n.id for n in nodes], ((str(s), str(t)) for s, t in graph.edges()))
    if layouts or positioned:
        nodes = [dataclasses.replace(n, x=at[n.id][0], y=at[n.id][1]) for n in nodes]
    summary += f": {len(nodes)} nodes, {len(edges)} links."
    return GraphView(
        focus=focus,
        summary=clean_text(summary),
        nodes=tuple(nodes),
        edges=tuple(edges),
        legend=_legend(nodes, edges),
        physics=not (positioned or layouts),
        truncated=truncated,
        note=note,
        layouts=layouts,
    )


def _grouped(graph: nx.MultiDiGraph, focus: str, nodes: list[GraphNode], view: View) -> tuple[GroupedLayout, ...]:
    # A neighbourhood small enough to draw in the browser is grouped: one step out by the relation to the focus,
    # further out by kind (views/layout.py). Paths and comparisons keep the force layout: their shape is the point.
    if not isinstance(view, Neighbourhood):
        return ()
    name, members = _label(graph, focus), []
    for n in nodes[1:]:
        if n.hops == 1 and graph.has_edge(focus, n.id):
            group = f"{name} {_relation_label(graph, focus, n.id)} …"
        elif n.hops == 1 and graph.has_edge(n.id, focus):
            group = f"… {_relation_label(graph, n.id, focus)} {name}"
        else:
            group = f"{'More links' if n.kind == MORE else n.kind}, {max(n.hops, 2)} steps away"
        members.append((n.id, n.label, group))
    return grouped_layouts(focus, name, members)


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
