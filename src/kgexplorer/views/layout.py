"""Where a view's nodes go: the grouped layout of a neighbourhood, and the force layout of anything else.

**Grouped** (a neighbourhood that fits on one screen, as Neo4j Bloom's and Kumu's clustered views): the focus on
top, and under it one block per group, a heading and its members listed one under another. A neighbour one step
away is grouped by the relation that links it to the focus ("Ketamine acts on", "concerns Ketamine"); further
nodes by their kind. Blocks are packed into columns, shortest column first. The layout is made for 1 to
``MAX_COLUMNS`` columns, so the browser can take the widest that fits its screen at zoom 1 (labels at their
full 14 px, never scaled down): a phone gets two columns, a desktop four or five. Positions are in
vis-network units (pixels at zoom 1).

**Force** (:func:`layout_positions`): paths, comparisons and views too large to group; Kamada-Kawai up to 30
nodes, a seeded spring layout beyond.

>>> layouts = grouped_layouts("k", "Ketamine", [("a", "NMDA", "Ketamine acts on"), ("b", "Pain", "tested for")])
>>> [(g.columns, g.headers[0].text) for g in layouts][:2]
[(1, 'Ketamine acts on'), (2, 'Ketamine acts on')]
>>> layouts[1].positions["a"][1] < layouts[0].positions["b"][1]  # two columns: side by side, so shorter
True
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import networkx as nx  # imported where a layout is computed: the app's first page draws none

__all__ = [
    "COLUMN_WIDTH", "GROUPED_FONT", "HEADER_FONT", "LABEL_WIDTH", "MAX_COLUMNS", "GroupHeader", "GroupedLayout",
    "grouped_layouts", "hops_from", "label_lines", "layout_positions", "wrap",
]  # fmt: skip

#: The width of one column of a grouped layout, and the widest a label may be in it (it wraps beyond).
COLUMN_WIDTH, LABEL_WIDTH = 160, 140
#: The most columns a grouped layout is made for.
MAX_COLUMNS = 6
#: The label font of a grouped layout's nodes (px at zoom 1) and of its group headings.
GROUPED_FONT, HEADER_FONT = 14, 13
_LINE = 18  # one label line's height at 14 px (vis-network: size × 1.3, rounded up)
_CHAR = 7.8  # a generous average glyph width at 14 px, so a wrapped label never runs into the next
_ICON = 10  # node size (the glyph is 2 × 10 px high); the label sits under it
_GAP, _HEADER, _HEADER_LINE, _TOP = 14, 26, 17, 16
_FOCUS_ICON, _FOCUS_LINE = 26, 22
_KAMADA_KAWAI_MAX_NODES = 30  # its cost grows fast (about 1 s at 100 nodes); above this spring_layout is used
_LAYOUT_SEED = 7


@dataclass(frozen=True)
class GroupHeader:
    """A group's heading: its text, its lines within a column, and where it starts (its top-left corner)."""

    text: str
    x: float
    y: float
    lines: tuple[str, ...] = ()


@dataclass(frozen=True)
class GroupedLayout:
    """A grouped layout for ``columns`` columns: node positions (their centres), the headings, and its size."""

    columns: int
    width: float
    height: float
    positions: dict[str, tuple[float, float]]
    headers: tuple[GroupHeader, ...]

    def to_data(self) -> dict[str, Any]:
        """The JSON-ready form the graph component reads."""
        return {
            "columns": self.columns,
            "width": self.width,
            "height": self.height,
            "positions": {k: list(v) for k, v in self.positions.items()},
            "headers": [{"text": h.text, "lines": list(h.lines), "x": h.x, "y": h.y} for h in self.headers],
        }


def wrap(text: str, *, width: float = LABEL_WIDTH) -> tuple[str, ...]:
    """``text`` in lines at most ``width`` px wide (estimated by words, generously; a longer word is broken).

    >>> wrap("Ketamine"), len(wrap("Ketamine-assisted psychotherapy for alcohol use disorder"))
    (('Ketamine',), 4)
    """
    per_line = max(int(width // _CHAR), 1)
    lines: list[str] = []
    for whole in text.split():
        word = whole
        while len(word) > per_line:  # a word wider than a line is broken across lines
            lines, word = [*lines, word[:per_line]], word[per_line:]
        if lines and len(lines[-1]) + 1 + len(word) <= per_line:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return tuple(lines) or ("",)


def label_lines(label: str, *, width: float = LABEL_WIDTH) -> int:
    """How many lines a label takes when wrapped at ``width`` px (:func:`wrap`)."""
    return len(wrap(label, width=width))


def _row(label: str) -> float:
    return 2 * _ICON + 4 + label_lines(label) * _LINE + _GAP


def grouped_layouts(focus: str, focus_label: str, members: Sequence[tuple[str, str, str]]) -> tuple[GroupedLayout, ...]:
    """Grouped layouts (see the module docstring) for 1 … ``MAX_COLUMNS`` columns. ``members`` are the other
    nodes as ``(id, label, group)``, in the order they are listed within their group; groups keep the order of
    their first member, the largest first."""
    groups: dict[str, list[tuple[str, str]]] = {}
    for node, label, group in members:
        groups.setdefault(group, []).append((node, label))
    order = sorted(groups, key=lambda g: -len(groups[g]))  # stable: ties keep their first appearance
    focus_height = 2 * _FOCUS_ICON + 4 + label_lines(focus_label) * _FOCUS_LINE + _GAP
    out = []
    for columns in range(1, MAX_COLUMNS + 1):
        width = columns * COLUMN_WIDTH
        heights: list[float] = [float(_TOP + focus_height)] * columns
        positions: dict[str, tuple[float, float]] = {focus: (width / 2, float(_TOP + _FOCUS_ICON))}
        headers = []
        for group in order:
            col = min(range(columns), key=lambda c: (heights[c], c))
            x, y = col * COLUMN_WIDTH, heights[col]
            lines = wrap(group, width=COLUMN_WIDTH - 16)
            headers.append(GroupHeader(group, x + 8, y, lines))
            y += _HEADER + (len(lines) - 1) * _HEADER_LINE
            for node, label in groups[group]:
                positions[node] = (x + COLUMN_WIDTH / 2, y + _ICON)
                y += _row(label)
            heights[col] = y + _GAP
        out.append(GroupedLayout(columns, float(width), float(max(heights)), positions, tuple(headers)))
    return tuple(out)


def layout_positions(nodes: Sequence[str], edges: Iterable[tuple[str, str]]) -> dict[str, tuple[float, float]]:
    """Fixed positions for a view drawn without the browser's physics, in vis-network units (pixels at zoom 1,
    y growing downwards): Kamada-Kawai up to 30 nodes, a seeded spring layout beyond.

    The one force layout: large app views (above ``layout_threshold_nodes``), their exports and the PNG and
    SVG pictures of any view without positions use it, so a picture and the app agree. The graph is built in
    the order given (``nodes``, then the sorted edges), so the same view always gets the same picture.

    >>> chain = layout_positions(["a", "b", "c"], [("a", "b"), ("b", "c")])
    >>> chain == layout_positions(["a", "b", "c"], [("b", "c"), ("a", "b")]), sorted(chain)
    (True, ['a', 'b', 'c'])
    """
    import networkx as nx

    simple: nx.Graph = nx.Graph()
    simple.add_nodes_from(nodes)
    simple.add_edges_from(sorted((s, t) for s, t in edges if s != t))
    n = simple.number_of_nodes()
    if n <= 2:  # nothing to lay out: side by side
        return {node: (round(110.0 * i, 1), 0.0) for i, node in enumerate(simple.nodes)}
    if n <= _KAMADA_KAWAI_MAX_NODES:
        raw = nx.kamada_kawai_layout(simple)
    else:
        raw = nx.spring_layout(simple, seed=_LAYOUT_SEED, iterations=50)
    scale = 55.0 * math.sqrt(max(n, 1))  # vis-network units are pixels at zoom 1; keeps neighbours apart
    return {str(k): (round(float(v[0]) * scale, 1), round(float(v[1]) * scale, 1)) for k, v in raw.items()}


def hops_from(graph: nx.MultiDiGraph, focus: str) -> dict[str, int]:
    """Each node's distance in links from ``focus``, in either direction (-1: not connected to it).

    >>> import networkx as nx
    >>> hops_from(nx.MultiDiGraph([("a", "b"), ("c", "b")]), "a")
    {'a': 0, 'b': 1, 'c': 2}
    """
    import networkx as nx

    lengths = nx.single_source_shortest_path_length(graph.to_undirected(as_view=True), focus)
    return {n: int(lengths.get(n, -1)) for n in graph.nodes}
