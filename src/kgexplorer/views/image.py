"""Pictures of views for slides and handouts: PNG and SVG images drawn with matplotlib.

A picture draws the same :class:`~kgexplorer.views.render.GraphView` as the app and the HTML exports: one
marker shape per kind, edges styled by evidence, a legend, the title, the caption and the dataset's
version. The layout is fixed (the view's own positions, or the layout the app gives a large view,
:func:`~kgexplorer.views.render.layout_positions`), so the same view always gives the same picture.
Labels are drawn as text (searchable in SVG) and never parsed as markup or mathematics.

>>> from kgexplorer import KnowledgeGraph
>>> with KnowledgeGraph.bundled() as kg:
...     svg = export_image(kg.neighbourhood("ketamine"), format="svg", kg=kg, width=800, height=500)
>>> svg.startswith(b"<?xml"), b"<script" in svg
(True, False)
"""

from __future__ import annotations

import datetime
import io
import math
import textwrap
import threading
from functools import cache
from typing import TYPE_CHECKING, Any, Literal

from kgexplorer.errors import ExportError
from kgexplorer.extras import require
from kgexplorer.model.neighbourhood import MORE

from .html_page import NOTICE
from .render import GraphView, View, clean_text, layout_positions, render

if TYPE_CHECKING:
    from kgexplorer.knowledge_graph import KnowledgeGraph

__all__ = ["export_image"]

_MIN_IMAGE_PX = 200  # smaller than this, the legend alone would not fit


def export_image(
    view: View,
    *,
    format: Literal["png", "svg"],
    kg: KnowledgeGraph,
    title: str | None = None,
    caption: str | None = None,
    width: int = 1600,
    height: int = 1000,
) -> bytes:
    """A static picture of a view for slides and handouts (matplotlib, drawn here; same layout every time).

    One marker shape per kind, edges styled by evidence, a legend, the title, the caption and the
    dataset's version. Raises :class:`~kgexplorer.errors.ExportError` for an unknown format or a size
    outside 200 … ``max_image_px`` pixels, and :class:`~kgexplorer.errors.NotInstalled` without the
    ``images`` extra (matplotlib).

    >>> from kgexplorer import KnowledgeGraph
    >>> with KnowledgeGraph.bundled() as kg:
    ...     png = export_image(kg.neighbourhood("ketamine"), format="png", kg=kg, width=800, height=500)
    >>> png[:8] == b"\\x89PNG\\r\\n\\x1a\\n"
    True
    """
    if format not in ("png", "svg"):
        raise ExportError(f"image format must be 'png' or 'svg', got {format!r}; for a web page use export_html")
    most = kg.settings.max_image_px
    for name, value in (("width", width), ("height", height)):
        if isinstance(value, bool) or not isinstance(value, int) or not _MIN_IMAGE_PX <= value <= most:
            raise ExportError(
                f"image {name} must be a whole number of pixels from {_MIN_IMAGE_PX} to {most}, got {value!r}; "
                "choose another size, or raise the setting max_image_px"
            )
    require("images")  # matplotlib is the [images] extra: say the install line, not an ImportError
    drawn = view if isinstance(view, GraphView) else render(view, settings=kg.settings)
    return _figure(drawn, fmt=format, title=title or drawn.summary, notes=[caption or "", _footer(kg)],
                   size=(width, height), salt="kgexplorer")  # fmt: skip


def _footer(kg: KnowledgeGraph) -> str:
    meta = kg.metadata()
    what = f"{meta.title or kg.recipe.label}" + (f", version {meta.version}" if meta.version else "")
    licence = f" ({meta.licence})" if meta.licence else ""
    return f"Data: {what}{licence}. Exported {datetime.date.today().isoformat()}. {NOTICE}"


_MPL_LOCK = threading.Lock()  # rc_context changes matplotlib's global settings: one figure at a time
# Glyph outlines of style.py's shapes on its 100 x 100 box (y down), as matplotlib marker vertices.
_BOX: dict[str, list[tuple[float, float]]] = {
    "document": [(16, 4), (64, 4), (84, 24), (84, 96), (16, 96)],
    "hourglass": [(12, 6), (88, 6), (56, 50), (88, 94), (12, 94), (44, 50)],
    "trapezoid": [(28, 18), (72, 18), (96, 82), (4, 82)],
    "parallelogram": [(30, 18), (96, 18), (70, 82), (4, 82)],
    "chevron": [(6, 14), (50, 46), (94, 14), (94, 54), (50, 86), (6, 54)],
    "cross": [(22, 6), (50, 34), (78, 6), (94, 22), (66, 50), (94, 78), (78, 94), (50, 66), (22, 94), (6, 78),
              (34, 50), (6, 22)],
    "tag": [(4, 18), (68, 18), (96, 50), (68, 82), (4, 82)],
    "heptagon": [(50 + 44 * math.cos(a), 50 + 44 * math.sin(a))
                 for a in (math.radians(-90 + 360 * i / 7) for i in range(7))],
    "pill": [(50 + 22 * math.cos(a) + (24 if math.cos(a) >= 0 else -24), 50 + 26 * math.sin(a))
             for a in (math.radians(d) for d in range(-90, 270, 20))],
    "half-disc": [(50 + 46 * math.cos(math.radians(d)), 72 - 46 * math.sin(math.radians(d)))
                  for d in range(0, 181, 15)],
    "star4": [(50 + (47 if i % 2 == 0 else 16) * math.cos(math.radians(-90 + 45 * i)),
               50 + (47 if i % 2 == 0 else 16) * math.sin(math.radians(-90 + 45 * i))) for i in range(8)],
}  # fmt: skip
_MARKERS: dict[str, Any] = {
    "circle": "o", "square": "s", "diamond": "D", "triangle": "^", "triangle-down": "v", "pentagon": "p",
    "hexagon": "h", "octagon": "8", "star": "*", "plus": "P", "ring": "o",
    **{k: [(x - 50, 50 - y) for x, y in v] for k, v in _BOX.items()},
}  # fmt: skip


def _figure(view: GraphView, *, fmt: str, title: str, notes: list[str], size: tuple[int, int], salt: str) -> bytes:
    import matplotlib
    from matplotlib.collections import LineCollection
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D
    from matplotlib.patches import FancyArrowPatch

    pos = _positions(view)
    many = len(view.nodes) > 150  # then: no arrowheads, smaller marks, and one call per style (arrows cost ~10 ms each)
    with _MPL_LOCK, matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": salt, "font.family": "DejaVu Sans"}):
        fig = Figure(figsize=(size[0] / 100, size[1] / 100), dpi=100)
        ax = fig.add_axes((0.01, 0.1, 0.73, 0.8))
        ax.set_axis_off()
        lines: dict[tuple[str, tuple[int, ...], float], list[Any]] = {}
        for e in view.edges:
            if e.source == e.target:
                continue
            dashes = (0, tuple(d / 2 for d in e.style.dashes)) if e.style.dashes else "-"
            if many:
                lines.setdefault((e.style.colour, e.style.dashes, e.width), []).append((pos[e.source], pos[e.target]))
                continue
            ax.add_patch(FancyArrowPatch(pos[e.source], pos[e.target], arrowstyle="-|>", mutation_scale=7 + e.width,
                                         linewidth=e.width * 0.7, color=e.style.colour, linestyle=dashes, shrinkA=7,
                                         shrinkB=7, connectionstyle=f"arc3,rad={e.curve}", zorder=1))  # fmt: skip
        for (colour, dash, width), segments in lines.items():
            style = (0, tuple(d / 2 for d in dash)) if dash else "-"
            ax.add_collection(LineCollection(segments, colors=colour, linewidths=width * 0.6, linestyles=[style]))
        marks: dict[tuple[str, str, bool], list[tuple[float, float]]] = {}
        for n in view.nodes:
            x, y = pos[n.id]
            label = _printable(textwrap.shorten(n.label, 60, placeholder="…"))
            if n.kind == MORE:
                box = {"boxstyle": "round,pad=0.3", "fc": "white", "ec": "#999999", "ls": "--"}
                ax.text(x, y, label, ha="center", va="center", fontsize=7, bbox=box, parse_math=False, zorder=3)
                continue
            marks.setdefault((n.style.shape, n.style.colour, n.anchor), []).append((x, y))
            points = 10 if n.anchor else 5 if many else 7.5
            ax.annotate(textwrap.fill(label, 24), (x, y), xytext=(0, -9 if n.anchor else -7),
                        textcoords="offset points", ha="center", va="top", fontsize=points,
                        fontweight="bold" if n.anchor else "normal", parse_math=False, zorder=3)  # fmt: skip
        for (shape, colour, anchor), xy in marks.items():
            ring = shape == "ring"
            ax.scatter([x for x, _ in xy], [y for _, y in xy], s=240 if anchor else 40 if many else 110,
                       marker=_MARKERS[shape], c="none" if ring else colour, edgecolors=colour if ring else "#222222",
                       linewidths=2.5 if ring else 0.8, zorder=2)  # fmt: skip
        ax.margins(0.06)
        handles: list[Any] = []
        for k in view.legend.kinds:
            ring = k.shape == "ring"
            marker = "s" if k.kind == MORE else _MARKERS[k.shape]
            hollow = ring or k.kind == MORE
            face, edge = ("none", k.colour) if hollow else (k.colour, "#222222")
            handles.append(Line2D([], [], ls="", marker=marker, markersize=9, markerfacecolor=face,
                                  markeredgecolor=edge, label=k.kind))  # fmt: skip
        for s in view.legend.edges:
            dashes = (0, tuple(d / 2 for d in s.dashes)) if s.dashes else "-"
            handles.append(Line2D([], [], color=s.colour, lw=2, ls=dashes, label=s.label))
        for lv in view.legend.levels:
            handles.append(Line2D([], [], color="#444444", lw=lv.width * 0.7, label=lv.label))
        if handles:
            fig.legend(handles=handles, loc="upper left", bbox_to_anchor=(0.75, 0.9), fontsize=8, frameon=False,
                       title="Kinds, results, evidence (line width)", title_fontsize=8)  # fmt: skip
        fig.text(0.01, 0.97, _printable(title), ha="left", va="top", fontsize=15, parse_math=False, wrap=True)
        text = "\n".join(_printable(x) for x in [view.note, *notes] if x)
        fig.text(0.01, 0.015, text, ha="left", va="bottom", fontsize=8, parse_math=False, wrap=True)
        buf = io.BytesIO()
        metadata = {"Date": None} if fmt == "svg" else {"Software": None}
        fig.savefig(buf, format=fmt, metadata=metadata)
    return buf.getvalue()


def _positions(view: GraphView) -> dict[str, tuple[float, float]]:
    # The view's own positions, else the same layout the app gives a large view (render.layout_positions);
    # both are screen coordinates, whose y grows downwards.
    if view.nodes and all(n.x is not None and n.y is not None for n in view.nodes):
        at = {n.id: (float(n.x or 0.0), float(n.y or 0.0)) for n in view.nodes}
    else:
        at = layout_positions([n.id for n in view.nodes], ((e.source, e.target) for e in view.edges))
    return {node: (x, -y) for node, (x, y) in at.items()}


@cache
def _font_chars() -> frozenset[int]:
    from matplotlib import font_manager

    return frozenset(font_manager.get_font(font_manager.findfont("DejaVu Sans")).get_charmap())


def _printable(text: str) -> str:
    """The text with characters the bundled font lacks replaced by '?' (matplotlib would warn about each)."""
    chars = _font_chars()
    return "\n".join("".join(c if ord(c) in chars else "?" for c in clean_text(line)) for line in text.split("\n"))
