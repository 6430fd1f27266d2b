"""Exports for educators: views as offline HTML pages (also shown in notebooks), and atomic file writes.

Every export draws the same :class:`~kgexplorer.views.render.GraphView` as the app, so they never disagree.
This module holds the views' pages; the parts every page is built from are in :mod:`kgexplorer.views.html_page`,
lessons are exported by :mod:`kgexplorer.views.lesson_pages` and pictures (PNG, SVG) by
:mod:`kgexplorer.views.image`, from the same parts. The HTML files work when opened from disk with no
network at all, and are safe with any data:

* vis-network is inlined and nothing is ever fetched; a Content-Security-Policy allows only the page's
  own scripts; every data string is escaped; links are made only to ``https://`` URLs (the page's
  shell and blocks, and why they are safe: :mod:`kgexplorer.views.html_page`).

>>> from kgexplorer import KnowledgeGraph
>>> with KnowledgeGraph.bundled() as kg:
...     page = export_html(kg.neighbourhood("ketamine"), kg=kg, caption="Week 3")
>>> page.startswith("<!DOCTYPE html>"), "Content-Security-Policy" in page, "Week 3" in page
(True, True, True)
"""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from kgexplorer.errors import ExportError
from kgexplorer.model.neighbourhood import Neighbourhood, PathSet

from .html_page import (
    about_block,
    cite_block,
    escape,
    fetch_claims,
    html_page,
    sources_block,
    table_block,
    view_block,
    view_data,
)
from .image import export_image
from .render import GraphView, View, clean_text, render

if TYPE_CHECKING:
    from kgexplorer.knowledge_graph import KnowledgeGraph

__all__ = [
    "ExportFile",
    "export_entity",
    "export_html",
    "export_iframe",
    "export_view",
    "suggested_name",
    "write_export",
]

_MEDIA = {"html": "text/html; charset=utf-8", "png": "image/png", "svg": "image/svg+xml"}
_FRAME_HEIGHT_PX = 620  # about a laptop screen's worth of notebook, the graph and its legend in view


@dataclass(frozen=True)
class ExportFile:
    """An export ready to save: a suggested file name (letters, digits, hyphens), its media type and bytes."""

    name: str
    media_type: str
    data: bytes


# ---------------------------------------------------------------------------------------------- views


def export_html(
    view: View,
    *,
    kg: KnowledgeGraph | None,
    title: str | None = None,
    caption: str | None = None,
    parameters: Mapping[str, str] | None = None,
) -> str:
    """One self-contained, offline HTML page of a view: the graph, legend, caption, the sources of every
    link (click a link), the same nodes and links as a table, and a "cite this view" block.

    ``parameters`` add to (or replace) the view parameters the citation lists. With ``kg=None`` (a
    notebook's view) the page has no evidence, sources or dataset details, and says so.

    >>> from kgexplorer import KnowledgeGraph
    >>> with KnowledgeGraph.bundled() as kg:
    ...     page = export_html(kg.paths("ketamine", "alcohol use disorder"), kg=kg, title="Two routes")
    ...     bare = export_html(kg.neighbourhood("ketamine"), kg=None)
    >>> "<h1>Two routes</h1>" in page, "Cite this view" in page, "https://cdn" in page
    (True, True, False)
    >>> "open in kgexplorer for the evidence" in bare, "Evidence and sources" in bare
    (True, False)
    """
    return _view_page(view, kg=kg, title=title, caption=caption, parameters=parameters)[0]


def export_iframe(view: View, *, kg: KnowledgeGraph | None = None) -> str:
    """The view's offline page (:func:`export_html`) inside a sandboxed ``<iframe>``, for notebooks.

    The page travels in ``srcdoc``, escaped, and the sandbox allows scripts but not the notebook's
    origin: the view cannot read or change the notebook page. ``Neighbourhood``, ``PathSet`` and
    ``Comparison`` show themselves this way in Jupyter (:mod:`kgexplorer.views.notebook`; without ``kg``: no evidence).

    >>> from kgexplorer import KnowledgeGraph
    >>> with KnowledgeGraph.bundled() as kg:
    ...     frame = export_iframe(kg.neighbourhood("ketamine"))
    >>> frame.startswith("<iframe "), 'sandbox="allow-scripts"' in frame, "<script" in frame
    (True, True, False)
    """
    page, heading = _view_page(view, kg=kg, title=None, caption=None, parameters=None)
    return (
        f'<iframe srcdoc="{escape(page)}" sandbox="allow-scripts" title="{escape(heading)}" '
        f'style="width:100%;height:{_FRAME_HEIGHT_PX}px;border:1px solid #ccc"></iframe>'
    )


def export_view(
    view: View,
    *,
    kg: KnowledgeGraph,
    format: Literal["html", "png", "svg"] = "html",
    title: str | None = None,
    caption: str | None = None,
    name: str | None = None,
    parameters: Mapping[str, str] | None = None,
    drawn: GraphView | None = None,
) -> ExportFile:
    """A view as a file to save: an offline HTML page (:func:`export_html`) or a picture
    (:func:`~kgexplorer.views.image.export_image`, its size capped by ``max_image_px``), named ``name`` (letters,
    digits and hyphens are kept) or after what the view shows. ``parameters`` add to what the page's
    citation lists (e.g. the query that made a result graph). ``drawn`` is the view as a page already drew it
    (``render(view)``, e.g. what :func:`kgexplorer.ui.network_view` returned): the export uses it instead of
    drawing the view again, and still cites the view's own parameters (focus, depth, ends).

    >>> from kgexplorer import KnowledgeGraph
    >>> with KnowledgeGraph.bundled() as kg:
    ...     out = export_view(kg.neighbourhood("psilocybin", kinds=["Condition"]), kg=kg, format="png")
    >>> out.name, out.media_type, out.data[:4]
    ('neighbourhood-of-psilocybin-1-step-deep.png', 'image/png', b'\\x89PNG')
    """
    if format not in _MEDIA:
        raise ExportError(f"export format must be one of {', '.join(_MEDIA)}, got {format!r}")
    drawing = drawn if drawn is not None else render(view, settings=kg.settings)
    if format == "html":
        page, _ = _view_page(view, kg=kg, title=title, caption=caption, parameters=parameters, drawn=drawing)
        data = page.encode("utf-8")
    else:
        most = kg.settings.max_image_px
        size = {"width": min(1600, most), "height": min(1000, most)}
        data = export_image(drawing, format=format, kg=kg, title=title, caption=caption, **size)
    named = _stem(name) if name else suggested_name(title or drawing.summary, format=format)
    return ExportFile(named if not name else f"{named}.{format}", _MEDIA[format], data)


def export_entity(
    kg: KnowledgeGraph,
    name: str,
    *,
    depth: int = 1,
    to: str | None = None,
    format: Literal["html", "png", "svg"] = "html",
    title: str | None = None,
    caption: str | None = None,
) -> ExportFile:
    """What ``kgexplorer render ENTITY [--depth N] [--to OTHER] [--format F]`` exports: the neighbourhood of
    an entity, or the paths to ``to``, as an HTML page or an image, with a suggested file name.

    >>> from kgexplorer import KnowledgeGraph
    >>> with KnowledgeGraph.bundled() as kg:
    ...     out = export_entity(kg, "ketamine", to="alcohol use disorder", format="svg")
    >>> out.name, out.media_type, out.data.startswith(b"<?xml")
    ('ketamine-to-alcohol-use-disorder.svg', 'image/svg+xml', True)
    """
    view: View = kg.paths(name, to) if to else kg.neighbourhood(name, depth=depth)
    ends = [kg.resolve(name), *([kg.resolve(to)] if to else [])]
    stem = "-to-".join(_stem(kg.label(e), most=40) for e in ends)
    return export_view(view, kg=kg, format=format, title=title, caption=caption, name=stem)


def suggested_name(summary: str, *, format: str) -> str:
    """The file name :func:`export_view` gives a view, from its drawing's one-line summary.

    >>> suggested_name("Paths from Ketamine to Alcohol use disorder: 11 nodes, 19 links.", format="svg")
    'paths-from-ketamine-to-alcohol-use-disorder.svg'
    """
    return f"{_stem(summary.split(':', maxsplit=1)[0])}.{format}"  # the counts after the colon describe, not name


def _stem(text: str, *, most: int = 60) -> str:
    """A file-name stem: lower-case letters, digits and hyphens only ("view" when nothing is left)."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:most].strip("-") or "view"


def _view_page(
    view: View,
    *,
    kg: KnowledgeGraph | None,
    title: str | None,
    caption: str | None,
    parameters: Mapping[str, str] | None,
    drawn: GraphView | None = None,
) -> tuple[str, str]:
    """The page of :func:`export_html`, and its heading (``drawn``: the view already drawn, if it was)."""
    if drawn is None:
        drawn = render(view, settings=kg.settings if kg is not None else None)
    claims = fetch_claims(kg, drawn) if kg is not None else None
    heading = title or drawn.summary
    lead = f"<p>{escape(drawn.summary)}</p>" if title else ""
    body = f"<header><h1>{escape(heading)}</h1>{lead}</header>\n<main>\n"
    body += view_block(drawn, "v", evidence=claims is not None)
    if caption:
        body += f'<p class="kg-caption">{escape(caption)}</p>\n'
    described = {**_view_parameters(view, drawn), **(parameters or {})}
    body += cite_block(kg, described, "Cite this view") if kg is not None else about_block(described)
    body += table_block(drawn, "v", linked=claims is not None)
    body += (sources_block(drawn, claims, "v") if claims is not None else "") + "</main>\n"
    return html_page(heading, body, data={"v": view_data(drawn, claims)}), heading


# ---------------------------------------------------------------------------------------------- files


def write_export(
    path: str | os.PathLike[str], data: str | bytes, *, folder: str | os.PathLike[str] | None = None
) -> Path:
    """Write an export atomically (a temporary file in the same folder, renamed at the end), so an
    interrupted export never leaves half a file. With ``folder``, ``path`` must be a plain file name:
    names with path separators or ``..`` are refused, so a name can never leave the folder.

    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     write_export("view.html", "<p>hi</p>", folder=tmp).read_text()
    '<p>hi</p>'
    >>> write_export("../evil.html", "x", folder=".")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    kgexplorer.errors.ExportError: the file name '../evil.html' must be a plain name such as 'view.html', without ...
    """
    if folder is not None:
        name = os.fspath(path)
        if not name or "/" in name or "\\" in name or ".." in name or "\x00" in name or name == ".":
            raise ExportError(
                f"the file name {name!r} must be a plain name such as 'view.html', without folders or '..'"
            )
        base = Path(folder)
        if not base.is_dir():
            raise ExportError(f"the folder {os.fspath(folder)!r} does not exist; create it or choose another folder")
        target = base / name
    else:
        target = Path(path)
        if not target.name or target.is_dir():
            raise ExportError(f"{os.fspath(path)!r} is a folder, not a file name; add a file name such as view.html")
        if not target.parent.is_dir():
            raise ExportError(f"the folder {os.fspath(target.parent)!r} does not exist; create it first")
    payload = data.encode("utf-8") if isinstance(data, str) else data
    try:
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".kgexport-", suffix=".part")
    except OSError as exc:
        raise ExportError(
            f"cannot write in {os.fspath(target.parent)!r}: {exc.strerror}; choose another folder"
        ) from None
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(payload)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, target)  # atomic on one file system: readers see the old file or the whole new one
    except BaseException as exc:  # also KeyboardInterrupt: never leave the temporary file behind
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if isinstance(exc, OSError):
            raise ExportError(f"cannot write {os.fspath(target)!r}: {exc.strerror or exc}; check the path") from None
        raise
    return target


def _view_parameters(view: View, drawn: GraphView) -> dict[str, str]:
    size = f"{len(drawn.nodes)} nodes, {len(drawn.edges)} links" + (" (cut: see the note)" if drawn.truncated else "")
    if isinstance(view, Neighbourhood):
        focus = clean_text(str(view.graph.nodes[view.focus].get("label", view.focus)))
        return {"View": "neighbourhood", "Focus": f"{focus} <{view.focus}>", "Depth": str(view.depth), "Size": size}
    if isinstance(view, PathSet):
        ends = {"From": f"{view.source.label} <{view.source.iri}>", "To": f"{view.target.label} <{view.target.iri}>"}
        return {"View": "paths", **ends, "Longest path allowed": str(view.max_length), "Size": size}
    if isinstance(view, GraphView):
        return {"View": "drawn view", "Shows": view.summary, "Size": size}
    return {"View": "comparison", "Substances": ", ".join(s.label for s in view.substances), "Size": size}
