"""The offline HTML page: its shell, content security policy, inlined scripts and the legend, table,
sources and citation blocks.

Every page kgexplorer writes (a view's page in :mod:`kgexplorer.views.export`, a lesson or its handout in
:mod:`kgexplorer.views.lesson_pages`) is assembled from these parts, so all of them escape the same way and
carry the same Content-Security-Policy. The pages work when opened from disk with no network at all,
and are safe with any data (docs/decisions/offline-pages.md: pyvis's page has measured pitfalls, so we
write the page ourselves):

* vis-network is inlined and nothing is ever fetched (no CDN, fonts or remote images: glyphs are
  ``data:`` URIs); the CSP allows only the page's own scripts, by the SHA-256 hashes of the very text
  inlined (the page's own code and style are assets/export/page.js and page.css);
* every data string is HTML-escaped; a view's data travels as JSON in a ``<script type="application/json">``
  block with ``<``, ``>`` and ``&`` escaped, and the page's script shows it with ``textContent`` only;
* links are made only to ``https://`` URLs (studies and sources), with ``rel="noopener noreferrer"``.

>>> page = html_page("Notes <draft>", "<main><p>Hello</p></main>\\n", data=None)
>>> page.startswith("<!DOCTYPE html>"), "<title>Notes &lt;draft&gt;</title>" in page, "<script" in page
(True, True, False)
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import html
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING, Any

from kgexplorer._assets import asset_file
from kgexplorer.errors import ExportError
from kgexplorer.evidence import level_by_iri
from kgexplorer.model.labels import fetch_labels
from kgexplorer.model.neighbourhood import MORE
from kgexplorer.terms import IRI

from .render import GraphView, clean_text
from .style import DIRECTION_STYLES

if TYPE_CHECKING:
    from kgexplorer.knowledge_graph import KnowledgeGraph

__all__ = [
    "NOTICE", "SourcedClaim", "about_block", "cite_block", "escape", "fetch_claims", "html_page", "sources_block",
    "table_block", "view_block", "view_data",
]  # fmt: skip

#: The notice every page and picture carries.
NOTICE = "Educational content, not medical advice."
_NO_EVIDENCE = "This page was made without its knowledge graph: open in kgexplorer for the evidence."


@dataclass(frozen=True)
class SourcedClaim:
    """What the sources panel shows for one claim (all text already cleaned of control characters).

    >>> SourcedClaim("Helps", "RCT", "supports", "", "40", (("Smith 2020", "2020", ""),), ()).to_json()["studies"]
    [{'label': 'Smith 2020', 'year': '2020', 'url': ''}]
    """

    text: str
    level: str
    direction: str
    design: str
    n: str
    studies: tuple[tuple[str, str, str], ...]  # (label, year, https URL or "")
    sources: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        """The claim as the page's script reads it (studies as objects with label, year and url)."""
        studies = [{"label": label, "year": year, "url": url} for label, year, url in self.studies]
        keys = {"text": self.text, "level": self.level, "direction": self.direction, "design": self.design}
        return {**keys, "n": self.n, "studies": studies, "sources": list(self.sources)}


def escape(text: object) -> str:
    """Any value as HTML text, quotes included, so it is safe in element text and attribute values.

    >>> escape('<b title="x">R&D</b>')
    '&lt;b title=&quot;x&quot;&gt;R&amp;D&lt;/b&gt;'
    """
    return html.escape(str(text), quote=True)


def _link(url: str, text: str) -> str:
    if url.startswith("https://"):
        return f'<a href="{escape(url)}" rel="noopener noreferrer" target="_blank">{escape(text)}</a>'
    return escape(text)


def fetch_claims(kg: KnowledgeGraph, view: GraphView) -> dict[str, SourcedClaim]:
    """The claims behind the view's edges, with their studies and sources (the library's own queries),
    by claim IRI.

    >>> from kgexplorer import KnowledgeGraph
    >>> from kgexplorer.views.render import render
    >>> with KnowledgeGraph.bundled() as kg:
    ...     view = render(kg.neighbourhood("ketamine"))
    ...     claims = fetch_claims(kg, view)
    >>> set(claims) == {c for e in view.edges for c in e.claims}, all(c.text for c in claims.values())
    (True, True)
    """
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
    out: dict[str, SourcedClaim] = {}
    for c, statement, explanation, lev, d, design, n in rows:
        if str(c) in out:  # a second language of a text: the first is enough for the panel
            continue
        lv = level_by_iri(str(lev)) if lev else None
        direction = str(d).rsplit("#", 1)[-1].lower() if d else ""
        style = DIRECTION_STYLES.get(direction)
        out[str(c)] = SourcedClaim(
            text=clean_text(str(explanation or statement or "")),
            level=lv.label if lv else clean_text(names.get(str(lev), "")) if lev else "",
            direction=style.label if style else clean_text(direction),
            design=clean_text(str(design or "")),
            n=clean_text(str(n or "")),
            studies=tuple(studies.get(str(c), {}).values()),
            sources=tuple(sources.get(str(c), ())),
        )
    return out


def view_data(view: GraphView, claims: Mapping[str, SourcedClaim] | None) -> dict[str, Any]:
    """The JSON the page's script draws; ``evidence`` is false when the page was made without claims.

    >>> from kgexplorer import KnowledgeGraph
    >>> from kgexplorer.views.render import render
    >>> with KnowledgeGraph.bundled() as kg:
    ...     data = view_data(render(kg.neighbourhood("ketamine")), None)
    >>> data["evidence"], data["claims"], "nodes" in data
    (False, {}, True)
    """
    data = view.to_data()
    if claims is None:
        return {**data, "links": {}, "claims": {}, "evidence": False}
    links = {e.id: [c for c in e.claims if c in claims] for e in view.edges if e.claims}
    used = {c for cs in links.values() for c in cs}
    return {**data, "links": links, "claims": {c: claims[c].to_json() for c in sorted(used)}, "evidence": True}


def view_block(view: GraphView, key: str, *, evidence: bool) -> str:
    """Where the page's script draws the view whose data block is ``kg-data-{key}``, with a hint, the
    view's note (when it was cut) and its legend. ``evidence``: whether clicking a link shows its claims.

    >>> from kgexplorer import KnowledgeGraph
    >>> from kgexplorer.views.render import render
    >>> with KnowledgeGraph.bundled() as kg:
    ...     block = view_block(render(kg.neighbourhood("ketamine")), "v", evidence=True)
    >>> 'data-source="kg-data-v"' in block, '<ul class="kg-legend"' in block
    (True, True)
    """
    note = f'<p class="kg-note">{escape(view.note)}</p>' if view.note else ""
    hint = (
        "Click a link to see its evidence and sources, or a node to see what it is. "
        "Without JavaScript, read the table and sources below."
        if evidence
        else f"Click a link or a node to see what it is. {_NO_EVIDENCE}"
    )
    return (
        f'<div class="kg-view" data-source="kg-data-{key}" role="region" aria-label="{escape(view.summary)}">'
        '<div class="kg-canvas"></div><aside class="kg-panel" aria-live="polite" hidden></aside></div>\n'
        f'<p class="kg-meta">{hint}</p>{note}\n{_legend(view)}'
    )


def _line(colour: str, dashes: tuple[int, ...] | list[int], width: float) -> str:
    dash = f' stroke-dasharray="{escape(" ".join(map(str, dashes)))}"' if dashes else ""
    return (
        '<svg width="28" height="10" aria-hidden="true"><line x1="1" y1="5" x2="27" y2="5" '
        f'stroke="{escape(colour)}" stroke-width="{width}"{dash}/></svg>'
    )


def _legend(view: GraphView) -> str:
    items = []
    for k in view.legend.kinds:
        sample = (
            '<span class="kg-more"></span>'
            if k.kind == MORE
            else f'<img class="kg-glyph" alt="" src="{escape(k.image)}">'
        )
        items.append(f"<li>{sample}{escape(k.kind)}</li>")
    items += [f"<li>{_line(s.colour, s.dashes, 2.5)}{escape(s.label)}</li>" for s in view.legend.edges]
    levels = view.legend.levels
    if levels:
        first, last = levels[0], levels[-1]
        text = (
            f"wider line = stronger evidence (here from {first.label} to {last.label})"
            if len(levels) > 1
            else f"line width = strength of evidence (here: {first.label})"
        )
        samples = _line("#222222", (), first.width) + (_line("#222222", (), last.width) if len(levels) > 1 else "")
        items.append(f"<li>{samples}{escape(text)}</li>")
    return f'<ul class="kg-legend" aria-label="Legend">{"".join(items)}</ul>\n'


def table_block(view: GraphView, key: str, *, linked: bool = True) -> str:
    """The view as tables; ``linked``: each link's claim count points to its entry in the sources list.

    >>> from kgexplorer import KnowledgeGraph
    >>> from kgexplorer.views.render import render
    >>> with KnowledgeGraph.bundled() as kg:
    ...     view = render(kg.neighbourhood("ketamine"))
    >>> table_block(view, "v").count("<tr>") == len(view.nodes) + len(view.edges) + 2
    True
    """
    rows = view.table()
    nodes = "".join(
        f"<tr><td>{escape(r.label)}</td><td>{escape(r.kind)}</td><td>{r.hops if r.hops >= 0 else '—'}</td>"
        f"<td><code>{escape(r.iri)}</code></td></tr>"
        for r in rows.nodes
    )
    edges = "".join(
        f"<tr><td>{escape(r.source)}</td><td>{escape(r.relation)}</td><td>{escape(r.target)}</td>"
        f"<td>{escape(r.evidence)}</td>"
        f"<td>{escape(r.direction)}</td><td>"
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


def sources_block(view: GraphView, claims: Mapping[str, SourcedClaim], key: str, *, open_: bool = False) -> str:
    """The evidence and sources of every link that rests on claims, as a list each link's entry can be
    reached in (``#{key}-src-{edge id}``); empty when no link has claims. ``open_``: shown unfolded.

    >>> from kgexplorer import KnowledgeGraph
    >>> from kgexplorer.views.render import render
    >>> with KnowledgeGraph.bundled() as kg:
    ...     view = render(kg.neighbourhood("ketamine"))
    ...     block = sources_block(view, fetch_claims(kg, view), "v", open_=True)
    >>> block.startswith('<details class="kg-sources" open>'), 'rel="noopener noreferrer"' in block
    (True, True)
    """
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
                _link(url, label) + (f" ({escape(year)})" if year and year not in label else "")
                for label, year, url in c.studies
            )
            srcs = " ".join(_link(s, s) for s in c.sources)
            parts.append(
                f'<li><p>{escape(c.text)}</p><p class="kg-meta">{escape(facts)}</p>'
                + (f"<p>Studies: {studies}</p>" if studies else "")
                + (f'<p class="kg-meta">Sources: {srcs}</p>' if srcs else "")
                + "</li>"
            )
        head = f"{labels.get(e.source, '')} → {e.relation} → {labels.get(e.target, '')}"
        items.append(f'<li id="{key}-src-{e.id}"><p><strong>{escape(head)}</strong></p><ul>{"".join(parts)}</ul></li>')
    if not items:
        return ""
    summary = f"Evidence and sources of the {len(items)} links that rest on claims"
    opened = " open" if open_ else ""
    return f'<details class="kg-sources"{opened}><summary>{summary}</summary><ul>{"".join(items)}</ul></details>\n'


def cite_block(kg: KnowledgeGraph, parameters: Mapping[str, str], heading: str) -> str:
    """How to cite a page: the dataset's citation, version and licence, the ``parameters`` of what it
    shows, the export date and kgexplorer's version, and the notice that it is not medical advice.

    >>> from kgexplorer import KnowledgeGraph
    >>> with KnowledgeGraph.bundled() as kg:
    ...     block = cite_block(kg, {"Lesson": "Week 3"}, "Cite this lesson")
    >>> "<h2>Cite this lesson</h2>" in block, "<dt>Lesson</dt><dd>Week 3</dd>" in block, NOTICE in block
    (True, True, True)
    """
    meta = kg.metadata()
    version = meta.version or "not stated"
    citation = meta.citation or f"{meta.title or kg.recipe.label}, version {version}."
    licence = _link(meta.licence, meta.licence) if meta.licence else "not stated in the dataset's description"
    rows = [("Dataset", meta.title or kg.recipe.label), ("Version", version), *parameters.items()]
    rows.append(("Exported", f"{datetime.date.today().isoformat()} with kgexplorer {_version()}"))
    items = "".join(f"<dt>{escape(k)}</dt><dd>{escape(v)}</dd>" for k, v in rows)
    return (
        f'<section class="kg-cite"><h2>{escape(heading)}</h2><p>{escape(citation)}</p><dl>{items}'
        f"<dt>Licence</dt><dd>{licence}</dd></dl><p>{NOTICE}</p></section>\n"
    )


def about_block(parameters: Mapping[str, str]) -> str:
    """The citation block of a page made without its knowledge graph: the view, but no dataset.

    >>> block = about_block({"View": "paths"})
    >>> "<h2>About this view</h2>" in block, "<dt>View</dt><dd>paths</dd>" in block
    (True, True)
    """
    items = "".join(f"<dt>{escape(k)}</dt><dd>{escape(v)}</dd>" for k, v in parameters.items())
    return (
        f'<section class="kg-cite"><h2>About this view</h2><p>{escape(_NO_EVIDENCE)}</p><dl>{items}'
        f"<dt>Exported</dt><dd>{datetime.date.today().isoformat()} with kgexplorer {escape(_version())}</dd></dl>"
        f"<p>{NOTICE}</p></section>\n"
    )


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("kgexplorer")
    except PackageNotFoundError:  # pragma: no cover - a source tree that was never installed
        return "(development)"


@cache
def _vis_network() -> str:
    text = asset_file("vis-network").read_text(encoding="utf-8")
    # The map file is not shipped; left in, the browser's devtools would try to fetch it (the page is offline).
    return re.sub(r"\n//# sourceMappingURL=\S*\s*$", "\n", text)


@cache
def _asset(name: str) -> str:
    """One of the page's own files (assets/export/), shipped inside the package."""
    return (resources.files("kgexplorer") / "assets" / "export" / name).read_text(encoding="utf-8")


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


def html_page(title: str, body: str, *, data: Mapping[str, Mapping[str, Any]] | None) -> str:
    """A whole offline page around ``body``. With ``data`` (views' JSON by key, drawn by the blocks of
    :func:`view_block`) it inlines vis-network and the page's script, allowed by their hashes in its CSP;
    with ``data=None`` (a printable handout) it has no script at all.

    >>> page = html_page("Two views", "<main></main>\\n", data={"v": {"nodes": []}})
    >>> page.count("</script>"), "script-src 'sha256-" in page  # the data block, vis-network, the page's script
    (3, True)
    """
    scripts = _scripts() if data is not None else ()
    allowed = f"; script-src {' '.join(_sha256(s) for s in scripts)}" if scripts else ""
    csp = f"default-src 'none'{allowed}; style-src 'unsafe-inline'; img-src data:; font-src data:"
    csp += "; base-uri 'none'; form-action 'none'"  # these two do not fall back to default-src
    blocks = "".join(_json_block(k, v) for k, v in (data or {}).items())
    code = "".join(f"<script>{s}</script>\n" for s in scripts)
    return (
        f'<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{csp}">\n<meta name="referrer" content="no-referrer">\n'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">\n<title>{escape(title)}</title>\n'
        f"<style>{_asset('page.css')}</style>\n</head>\n<body>\n{body}{blocks}{code}</body>\n</html>\n"
    )
