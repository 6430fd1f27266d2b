"""Exports for educators: views as offline HTML pages (also shown in notebooks), and atomic file writes.

Every export draws the same :class:`~kgexplorer.render.GraphView` as the app, so they never disagree.
This module holds the views' pages and the parts every page is built from; lessons are exported by
:mod:`kgexplorer.lesson_export` and pictures (PNG, SVG) by :mod:`kgexplorer.picture`, from the same
parts. The HTML files work when opened from disk with no network at all, and are safe with any data
(../shared/notes/stack-measurements.md, section 4, measured pyvis's pitfalls; we write the page ourselves):

* vis-network is inlined and nothing is ever fetched (no CDN, fonts or remote images: glyphs are
  ``data:`` URIs); a Content-Security-Policy allows only the page's own scripts, by the SHA-256 hashes
  of the very text inlined (the page's own code and style are assets/export/page.js and page.css);
* every data string is HTML-escaped; a view's data travels as JSON in a ``<script type="application/json">``
  block with ``<``, ``>`` and ``&`` escaped, and the page's script shows it with ``textContent`` only;
* links are made only to ``https://`` URLs (studies and sources), with ``rel="noopener noreferrer"``.

>>> from kgexplorer import KnowledgeGraph
>>> with KnowledgeGraph.bundled() as kg:
...     page = export_html(kg.neighbourhood("ketamine"), kg=kg, caption="Week 3")
>>> page.startswith("<!DOCTYPE html>"), "Content-Security-Policy" in page, "Week 3" in page
(True, True, True)
"""

from __future__ import annotations

import base64
import contextlib
import datetime
import hashlib
import html
import json
import os
import re
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from ._assets import VIS_NETWORK, ensure_vis_network
from .compare import Comparison
from .errors import ExportError
from .evidence import level_by_iri
from .labels import fetch_labels
from .network import MORE, Neighbourhood, PathSet
from .render import DIRECTION_STYLES, GraphView, clean_text, render
from .terms import IRI

if TYPE_CHECKING:
    from .knowledge_graph import KnowledgeGraph
    from .lesson_export import export_lesson_handout, export_lesson_html
    from .picture import export_image

__all__ = [
    "ExportFile", "export_entity", "export_html", "export_iframe", "export_image", "export_lesson_handout",
    "export_lesson_html", "export_view", "suggested_name", "write_export",
]  # fmt: skip

#: What exports: a neighbourhood, paths, a comparison, or a drawn view such as a query result's graph.
View = Neighbourhood | PathSet | Comparison | GraphView
_MEDIA = {"html": "text/html; charset=utf-8", "png": "image/png", "svg": "image/svg+xml"}
_NOTICE = "Educational content, not medical advice."
_NO_EVIDENCE = "This page was made without its knowledge graph: open in kgexplorer for the evidence."
_FRAME_HEIGHT_PX = 620  # about a laptop screen's worth of notebook, the graph and its legend in view
# Moved to their own modules; still importable from here, lazily (both import this module).
_MOVED = {"export_image": "picture", "export_lesson_html": "lesson_export", "export_lesson_handout": "lesson_export"}


def __getattr__(name: str) -> Any:
    if name in _MOVED:
        import importlib

        return getattr(importlib.import_module(f".{_MOVED[name]}", __package__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


@dataclass(frozen=True)
class ExportFile:
    """An export ready to save: a suggested file name (letters, digits, hyphens), its media type and bytes."""

    name: str
    media_type: str
    data: bytes


@dataclass(frozen=True)
class _Claim:
    """What the sources panel shows for one claim (all text already cleaned of control characters)."""

    text: str
    level: str
    direction: str
    design: str
    n: str
    studies: tuple[tuple[str, str, str], ...]  # (label, year, https URL or "")
    sources: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        studies = [{"label": label, "year": year, "url": url} for label, year, url in self.studies]
        keys = {"text": self.text, "level": self.level, "direction": self.direction, "design": self.design}
        return {**keys, "n": self.n, "studies": studies, "sources": list(self.sources)}


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
    ``Comparison`` show themselves this way in Jupyter (``_repr_html_``, without ``kg``: no evidence).

    >>> from kgexplorer import KnowledgeGraph
    >>> with KnowledgeGraph.bundled() as kg:
    ...     frame = export_iframe(kg.neighbourhood("ketamine"))
    >>> frame.startswith("<iframe "), 'sandbox="allow-scripts"' in frame, "<script" in frame
    (True, True, False)
    """
    page, heading = _view_page(view, kg=kg, title=None, caption=None, parameters=None)
    return (
        f'<iframe srcdoc="{_esc(page)}" sandbox="allow-scripts" title="{_esc(heading)}" '
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
) -> ExportFile:
    """A view as a file to save: an offline HTML page (:func:`export_html`) or a picture
    (:func:`~kgexplorer.picture.export_image`, its size capped by ``max_image_px``), named ``name`` (letters,
    digits and hyphens are kept) or after what the view shows. ``parameters`` add to what the page's
    citation lists (e.g. the query that made a result graph).

    >>> from kgexplorer import KnowledgeGraph
    >>> with KnowledgeGraph.bundled() as kg:
    ...     out = export_view(kg.neighbourhood("psilocybin", kinds=["Condition"]), kg=kg, format="png")
    >>> out.name, out.media_type, out.data[:4]
    ('neighbourhood-of-psilocybin-1-step-deep.png', 'image/png', b'\\x89PNG')
    """
    from .picture import export_image  # picture builds on this module

    if format not in _MEDIA:
        raise ExportError(f"export format must be one of {', '.join(_MEDIA)}, got {format!r}")
    if format == "html":
        data = export_html(view, kg=kg, title=title, caption=caption, parameters=parameters).encode("utf-8")
    else:
        most = kg.settings.max_image_px
        size = {"width": min(1600, most), "height": min(1000, most)}
        data = export_image(view, format=format, kg=kg, title=title, caption=caption, **size)
    named = _stem(name) if name else suggested_name(title or render(view, settings=kg.settings).summary, format=format)
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
) -> tuple[str, str]:
    """The page of :func:`export_html`, and its heading."""
    drawn = render(view, settings=kg.settings if kg is not None else None)
    claims = _fetch_claims(kg, drawn) if kg is not None else None
    heading = title or drawn.summary
    lead = f"<p>{_esc(drawn.summary)}</p>" if title else ""
    body = f"<header><h1>{_esc(heading)}</h1>{lead}</header>\n<main>\n"
    body += _view_block(drawn, "v", evidence=claims is not None)
    if caption:
        body += f'<p class="kg-caption">{_esc(caption)}</p>\n'
    described = {**_view_parameters(view, drawn), **(parameters or {})}
    body += _cite(kg, described, "Cite this view") if kg is not None else _about(described)
    body += _table(drawn, "v", linked=claims is not None)
    body += (_sources(drawn, claims, "v") if claims is not None else "") + "</main>\n"
    return _page(heading, body, data={"v": _data(drawn, claims)}), heading


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


# ---------------------------------------------------------------------------------------------- page parts


def _esc(text: object) -> str:
    return html.escape(str(text), quote=True)


def _link(url: str, text: str) -> str:
    if url.startswith("https://"):
        return f'<a href="{_esc(url)}" rel="noopener noreferrer" target="_blank">{_esc(text)}</a>'
    return _esc(text)


def _fetch_claims(kg: KnowledgeGraph, view: GraphView) -> dict[str, _Claim]:
    """The claims behind the view's edges, with their studies and sources (the library's own queries)."""
    iris = sorted({c for e in view.edges for c in e.claims})
    if not iris:
        return {}
    values = {"c": [IRI(c) for c in iris]}
    rows = kg.select(
        "SELECT ?c ?statement ?explanation ?level ?dir ?design ?n WHERE { ?c a kgx:Claim . "
        "OPTIONAL { ?c kgx:statement ?statement } OPTIONAL { ?c kgx:explanation ?explanation } "
        "OPTIONAL { ?c kgx:evidenceLevel ?level } OPTIONAL { ?c kgx:resultDirection ?dir } "
        "OPTIONAL { ?c kgx:studyDesign ?design } OPTIONAL { ?c kgx:totalSampleSize ?n } }",
        values=values,
    ).rows
    study_rows = kg.select(
        "SELECT ?c ?s ?year ?doi ?pmid WHERE { ?c kgx:supportedBy ?s . OPTIONAL { ?s kgx:year ?year } "
        "OPTIONAL { ?s kgx:doi ?doi } OPTIONAL { ?s kgx:pmid ?pmid } } ORDER BY ?c ?year ?s",
        values=values,
    ).rows
    source_rows = kg.select("SELECT ?c ?src WHERE { ?c dcterms:source ?src } ORDER BY ?c ?src", values=values).rows
    names = fetch_labels(kg, {str(r[1]) for r in study_rows} | {str(r[3]) for r in rows if r[3]})
    studies: dict[str, dict[str, tuple[str, str, str]]] = {}
    for c, s, year, doi, pmid in study_rows:
        url = str(doi) if doi else f"https://pubmed.ncbi.nlm.nih.gov/{pmid}/" if str(pmid or "").isdigit() else ""
        entry = (clean_text(names[str(s)]), clean_text(str(year or ""))[:4], url if url.startswith("https://") else "")
        studies.setdefault(str(c), {}).setdefault(str(s), entry)
    sources: dict[str, list[str]] = {}
    for c, src in source_rows:
        sources.setdefault(str(c), []).append(clean_text(str(src)))
    out: dict[str, _Claim] = {}
    for c, statement, explanation, lev, d, design, n in rows:
        if str(c) in out:  # a second language of a text: the first is enough for the panel
            continue
        lv = level_by_iri(str(lev)) if lev else None
        direction = str(d).rsplit("#", 1)[-1].lower() if d else ""
        style = DIRECTION_STYLES.get(direction)
        out[str(c)] = _Claim(
            text=clean_text(str(explanation or statement or "")),
            level=lv.label if lv else clean_text(names.get(str(lev), "")) if lev else "",
            direction=style.label if style else clean_text(direction),
            design=clean_text(str(design or "")),
            n=clean_text(str(n or "")),
            studies=tuple(studies.get(str(c), {}).values()),
            sources=tuple(sources.get(str(c), ())),
        )
    return out


def _data(view: GraphView, claims: Mapping[str, _Claim] | None) -> dict[str, Any]:
    """The JSON the page's script draws; ``evidence`` is false when the page was made without claims."""
    data = view.to_data()
    if claims is None:
        return {**data, "links": {}, "claims": {}, "evidence": False}
    links = {e.id: [c for c in e.claims if c in claims] for e in view.edges if e.claims}
    used = {c for cs in links.values() for c in cs}
    return {**data, "links": links, "claims": {c: claims[c].to_json() for c in sorted(used)}, "evidence": True}


def _view_block(view: GraphView, key: str, *, evidence: bool) -> str:
    note = f'<p class="kg-note">{_esc(view.note)}</p>' if view.note else ""
    hint = (
        "Click a link to see its evidence and sources, or a node to see what it is. "
        "Without JavaScript, read the table and sources below."
        if evidence
        else f"Click a link or a node to see what it is. {_NO_EVIDENCE}"
    )
    return (
        f'<div class="kg-view" data-source="kg-data-{key}" role="region" aria-label="{_esc(view.summary)}">'
        '<div class="kg-canvas"></div><aside class="kg-panel" aria-live="polite" hidden></aside></div>\n'
        f'<p class="kg-meta">{hint}</p>{note}\n{_legend(view)}'
    )


def _line(colour: str, dashes: tuple[int, ...] | list[int], width: float) -> str:
    dash = f' stroke-dasharray="{_esc(" ".join(map(str, dashes)))}"' if dashes else ""
    return (
        '<svg width="28" height="10" aria-hidden="true"><line x1="1" y1="5" x2="27" y2="5" '
        f'stroke="{_esc(colour)}" stroke-width="{width}"{dash}/></svg>'
    )


def _legend(view: GraphView) -> str:
    items = []
    for k in view.legend.kinds:
        sample = (
            '<span class="kg-more"></span>'
            if k.kind == MORE
            else f'<img class="kg-glyph" alt="" src="{_esc(k.image)}">'
        )
        items.append(f"<li>{sample}{_esc(k.kind)}</li>")
    items += [f"<li>{_line(s.colour, s.dashes, 2.5)}{_esc(s.label)}</li>" for s in view.legend.edges]
    levels = view.legend.levels
    if levels:
        first, last = levels[0], levels[-1]
        text = (
            f"wider line = stronger evidence (here from {first.label} to {last.label})"
            if len(levels) > 1
            else f"line width = strength of evidence (here: {first.label})"
        )
        samples = _line("#222222", (), first.width) + (_line("#222222", (), last.width) if len(levels) > 1 else "")
        items.append(f"<li>{samples}{_esc(text)}</li>")
    return f'<ul class="kg-legend" aria-label="Legend">{"".join(items)}</ul>\n'


def _table(view: GraphView, key: str, *, linked: bool = True) -> str:
    """The view as tables; ``linked``: each link's claim count points to its entry in the sources list."""
    rows = view.table()
    nodes = "".join(
        f"<tr><td>{_esc(r.label)}</td><td>{_esc(r.kind)}</td><td>{r.hops if r.hops >= 0 else '—'}</td>"
        f"<td><code>{_esc(r.iri)}</code></td></tr>"
        for r in rows.nodes
    )
    edges = "".join(
        f"<tr><td>{_esc(r.source)}</td><td>{_esc(r.relation)}</td><td>{_esc(r.target)}</td><td>{_esc(r.evidence)}</td>"
        f"<td>{_esc(r.direction)}</td><td>"
        + (f'<a href="#{key}-src-{e.id}">{r.claims}</a>' if r.claims and linked else str(r.claims))
        + "</td></tr>"
        for r, e in zip(rows.edges, view.edges, strict=True)
    )
    return (
        f'<details class="kg-table"><summary>The same {len(rows.nodes)} nodes and {len(rows.edges)} links as tables'
        '</summary><table class="kg-nodes"><caption>Nodes</caption><thead><tr><th>Label</th><th>Kind</th>'
        f"<th>Steps from the focus</th><th>IRI</th></tr></thead><tbody>{nodes}</tbody></table>"
        '<table class="kg-edges"><caption>Links</caption><thead><tr><th>From</th><th>Relation</th><th>To</th>'
        f"<th>Evidence</th><th>Direction</th><th>Claims</th></tr></thead><tbody>{edges}</tbody></table></details>\n"
    )


def _sources(view: GraphView, claims: Mapping[str, _Claim], key: str, *, open_: bool = False) -> str:
    labels = {n.id: n.label for n in view.nodes}
    items = []
    for e in view.edges:
        found = [claims[c] for c in e.claims if c in claims]
        if not found:
            continue
        parts = []
        for c in found:
            facts = " · ".join(x for x in (c.level, c.direction, c.design, f"N = {c.n}" if c.n else "") if x)
            studies = "; ".join(
                _link(url, label) + (f" ({_esc(year)})" if year and year not in label else "")
                for label, year, url in c.studies
            )
            srcs = " ".join(_link(s, s) for s in c.sources)
            parts.append(
                f'<li><p>{_esc(c.text)}</p><p class="kg-meta">{_esc(facts)}</p>'
                + (f"<p>Studies: {studies}</p>" if studies else "")
                + (f'<p class="kg-meta">Sources: {srcs}</p>' if srcs else "")
                + "</li>"
            )
        head = f"{labels.get(e.source, '')} → {e.relation} → {labels.get(e.target, '')}"
        items.append(f'<li id="{key}-src-{e.id}"><p><strong>{_esc(head)}</strong></p><ul>{"".join(parts)}</ul></li>')
    if not items:
        return ""
    summary = f"Evidence and sources of the {len(items)} links that rest on claims"
    opened = " open" if open_ else ""
    return f'<details class="kg-sources"{opened}><summary>{summary}</summary><ul>{"".join(items)}</ul></details>\n'


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


def _cite(kg: KnowledgeGraph, parameters: Mapping[str, str], heading: str) -> str:
    meta = kg.metadata()
    version = meta.version or "not stated"
    citation = meta.citation or f"{meta.title or kg.recipe.label}, version {version}."
    licence = _link(meta.licence, meta.licence) if meta.licence else "not stated in the dataset's description"
    rows = [("Dataset", meta.title or kg.recipe.label), ("Version", version), *parameters.items()]
    rows.append(("Exported", f"{datetime.date.today().isoformat()} with kgexplorer {_version()}"))
    items = "".join(f"<dt>{_esc(k)}</dt><dd>{_esc(v)}</dd>" for k, v in rows)
    return (
        f'<section class="kg-cite"><h2>{_esc(heading)}</h2><p>{_esc(citation)}</p><dl>{items}'
        f"<dt>Licence</dt><dd>{licence}</dd></dl><p>{_NOTICE}</p></section>\n"
    )


def _about(parameters: Mapping[str, str]) -> str:
    """The citation block of a page made without its knowledge graph: the view, but no dataset."""
    items = "".join(f"<dt>{_esc(k)}</dt><dd>{_esc(v)}</dd>" for k, v in parameters.items())
    return (
        f'<section class="kg-cite"><h2>About this view</h2><p>{_esc(_NO_EVIDENCE)}</p><dl>{items}'
        f"<dt>Exported</dt><dd>{datetime.date.today().isoformat()} with kgexplorer {_esc(_version())}</dd></dl>"
        f"<p>{_NOTICE}</p></section>\n"
    )


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("kgexplorer")
    except PackageNotFoundError:  # pragma: no cover - a source tree that was never installed
        return "(development)"


# ---------------------------------------------------------------------------------------------- the page


@cache
def _vis_network() -> str:
    if not VIS_NETWORK.is_file():
        ensure_vis_network()
    text = VIS_NETWORK.read_text(encoding="utf-8")
    # The map file is not shipped; left in, devtools would request it (graph-clicks.md, section 1).
    return re.sub(r"\n//# sourceMappingURL=\S*\s*$", "\n", text)


@cache
def _asset(name: str) -> str:
    """One of the page's own files (assets/export/), shipped inside the package."""
    return (resources.files(__package__) / "assets" / "export" / name).read_text(encoding="utf-8")


def _sha256(script: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode("ascii") + "'"


def _json_block(key: str, data: Mapping[str, Any]) -> str:
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    # Escaped, "</script>" or "<!--" in the data can never end or confuse the block.
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return f'<script type="application/json" id="kg-data-{key}">{text}</script>\n'


@cache
def _scripts() -> tuple[str, ...]:
    """The page's inline scripts, exactly as inlined (their hashes are the CSP's script-src)."""
    scripts = {"vis-network.min.js": _vis_network(), "page.js": _asset("page.js")}
    for name, script in scripts.items():
        if "</script" in script.lower():  # it would end its block early, and the rest would run unhashed
            raise ExportError(f"an inline script must not contain '</script', but {name} does; remove it there")
    return tuple(scripts.values())


def _page(title: str, body: str, *, data: Mapping[str, Mapping[str, Any]] | None) -> str:
    scripts = _scripts() if data is not None else ()
    allowed = f"; script-src {' '.join(_sha256(s) for s in scripts)}" if scripts else ""
    csp = f"default-src 'none'{allowed}; style-src 'unsafe-inline'; img-src data:; font-src data:"
    csp += "; base-uri 'none'; form-action 'none'"  # these two do not fall back to default-src
    blocks = "".join(_json_block(k, v) for k, v in (data or {}).items())
    code = "".join(f"<script>{s}</script>\n" for s in scripts)
    return (
        f'<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{csp}">\n<meta name="referrer" content="no-referrer">\n'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">\n<title>{_esc(title)}</title>\n'
        f"<style>{_asset('page.css')}</style>\n</head>\n<body>\n{body}{blocks}{code}</body>\n</html>\n"
    )
