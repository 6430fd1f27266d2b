"""How kinds and evidence look: colours, shapes, line widths and dashes, and the glyphs of the legend.

This is the visual vocabulary every drawing shares: the app's graph (:mod:`kgexplorer.views.render`), the
offline HTML pages (:mod:`kgexplorer.views.export`) and the pictures (:mod:`kgexplorer.views.image`). It lives in
one place so a kind or a result direction looks the same wherever it is shown:

* a node's kind sets both its colour (Okabe–Ito, safe for colour-blind readers) and its shape, and no
  two kinds share a shape, so colour is never the only cue; "+N more" nodes are dashed boxes;
* an edge's width grows with the strength of its best evidence (a meta-analysis is widest); its colour
  *and* dash pattern show the claims' result direction; structural links are thin and grey.

>>> kind_style("Substance").shape, DIRECTION_STYLES["mixed"].dashes, edge_width(1)
('circle', (10, 5), 6.0)
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from urllib.parse import quote

from kgexplorer.evidence import LEVELS
from kgexplorer.model.neighbourhood import MORE

__all__ = [
    "DIRECTION_STYLES", "KIND_STYLES", "MORE_STYLE", "OTHER_KIND", "STRUCTURAL", "EdgeStyle", "KindStyle",
    "LevelWidth", "edge_width", "kind_style",
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
        KindStyle("Adverse event", "cross", _ORANGE),
        KindStyle("Drug class", "heptagon", _BLUE),
        KindStyle("Topic", "pill", _SKY),
        KindStyle("Jurisdiction", "pentagon", _GREEN),
        KindStyle("Study", "document", _YELLOW),
        KindStyle("Source document", "tag", _YELLOW),
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
        # Hedged or not established: dotted and never green, so it cannot be read as support.
        EdgeStyle("unclear", "unclear (not established)", _SKY, (2, 6)),
        EdgeStyle("", "claims, direction not stated", _PURPLE, ()),
    )
}
STRUCTURAL = EdgeStyle("structural", "link from the graph's structure (no claim)", _GREY, ())


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
    "heptagon": _polygon(7),
    "cross": '<polygon fill="{c}" points="22,6 50,34 78,6 94,22 66,50 94,78 78,94 50,66 22,94 6,78 34,50 6,22"/>',
    "tag": '<polygon fill="{c}" points="4,18 68,18 96,50 68,82 4,82"/>',
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
