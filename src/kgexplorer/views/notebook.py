"""How the library's results show themselves in Jupyter: views as their offline page, cards as HTML.

A neighbourhood, a set of paths or a comparison is what the model computes; how it looks is the views'
business. So their ``_repr_html_`` is attached here, on the views' side, by :func:`register` (which
``import kgexplorer`` calls): the model never imports a view, and a view is drawn exactly as its
exported page (:func:`kgexplorer.views.export.export_iframe`: the page in a sandboxed ``<iframe>``, without
the graph, so without evidence). An entity card shows as plain HTML, every data string escaped.

>>> from kgexplorer import KnowledgeGraph
>>> with KnowledgeGraph.bundled() as kg:
...     frame = kg.neighbourhood("ketamine")._repr_html_()
...     card = kg.entity("ketamine")._repr_html_()
>>> frame.startswith("<iframe "), card.startswith("<h3>Ketamine")
(True, True)
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

from kgexplorer.model.compare import Comparison
from kgexplorer.model.entity import EntityCard
from kgexplorer.model.neighbourhood import Neighbourhood, PathSet

if TYPE_CHECKING:
    from .render import View

__all__ = ["card_html", "register", "view_html"]


def view_html(view: View) -> str:
    """A view as Jupyter shows it: its offline page in a sandboxed iframe."""
    from .export import export_iframe  # the exports (and matplotlib behind them) load when a view is shown

    return export_iframe(view)


def card_html(card: EntityCard) -> str:
    """The card as HTML for notebooks (every data string escaped; links only to http(s) URLs)."""

    def esc(text: object) -> str:
        return html.escape(str(text))

    def a(label: str, url: str | None) -> str:
        if url and url.startswith(("https://", "http://")):
            return f'<a href="{esc(url)}" rel="noopener noreferrer" target="_blank">{esc(label)}</a>'
        return esc(label)

    parts = [f"<h3>{esc(card.label)} <small>({esc(card.ref.kind)})</small></h3>"]
    if card.definition:
        parts.append(f"<p>{esc(card.definition)}</p>")
    if card.synonyms:
        parts.append(f"<p><b>Also called:</b> {esc(', '.join(card.synonyms))}</p>")
    if card.identifiers:
        parts.append(
            "<p><b>Identifiers:</b> "
            + " · ".join(f"{esc(i.scheme)}: {a(i.value, i.url)}" for i in card.identifiers)
            + "</p>"
        )
    for relation, claims in card.claims_by_relation().items():
        items = []
        for c in claims:
            facts = ", ".join(
                x
                for x in (
                    c.level,
                    c.direction,
                    "–".join(dict.fromkeys(c.years[:1] + c.years[-1:])),
                    f"N={c.n}" if c.n else "",
                )
                if x
            )
            studies = "; ".join(a(s.label, s.url) for s in c.studies)
            items.append(
                f"<li><b>{esc(c.other.label)}</b> ({esc(facts)}){' — contested' if c.contested else ''}"
                f"<br>{esc(c.explanation)}" + (f"<br><small>Evidence: {studies}</small>" if studies else "") + "</li>"
            )
        parts.append(f"<h4>{esc(relation)}</h4><ul>{''.join(items)}</ul>")
    parts.append("<p><small>Educational content, not medical advice.</small></p>")
    return "\n".join(parts)


def register() -> None:
    """Give the model's results their Jupyter display (``_repr_html_``); calling it again changes nothing."""
    for kind in (Neighbourhood, PathSet, Comparison):
        setattr(kind, "_repr_html_", view_html)  # noqa: B010 - a method added from outside: mypy sees no attribute
    setattr(EntityCard, "_repr_html_", card_html)  # noqa: B010
