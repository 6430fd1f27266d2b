"""Type-ahead suggestions: what a search box offers while a name is typed, with the kind and the name that matched.

Suggestions come from the same search as everything else (:mod:`kgexplorer.model.search`: labels, alternative
and hidden labels), so a lay name such as "Shrooms" suggests psilocybin without any alias table in code. A genus
name (:mod:`kgexplorer.model.lay_names`) is marked as such, never shown as another name of the substance.
At most the ``suggestion_limit`` setting's number are returned; this module enforces it.

>>> from kgexplorer import KnowledgeGraph
>>> with KnowledgeGraph.bundled() as kg:
...     first = suggestions(kg, "shro", limit=5)[0]
>>> first.text
'Shrooms → Psilocybin · Substance'
>>> (first.entity, first.genus)
('https://w3id.org/kgexplorer/id/psilocybin', False)
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

from kgexplorer.engine.backend import Backend
from kgexplorer.settings import Settings, cap

from .label_index import SearchHit
from .lay_names import genus_match

__all__ = ["SearchableGraph", "Suggestion", "suggestions"]


class SearchableGraph(Backend, Protocol):
    """What suggestions read: a backend with settings and a label search (a :class:`kgexplorer.KnowledgeGraph`)."""

    @property
    def settings(self) -> Settings: ...

    def search(self, text: str, *, limit: int | None = None, kinds: Iterable[str] | None = None) -> list[SearchHit]:
        """Entities whose label or synonym matches ``text``."""
        ...


@dataclass(frozen=True)
class Suggestion:
    """One suggestion: the entity (its IRI, label and kind) and the name typed-ahead that matched it.

    ``genus`` is true when ``matched`` is a genus name of the entity (``kgx:genusName``), not another name for it.
    """

    entity: str
    label: str
    kind: str
    matched: str
    genus: bool

    @property
    def text(self) -> str:
        """One line a reader picks from: the matched name, where it leads, and the kind.

        >>> Suggestion("kg:k", "Ketamine", "Substance", "Ketamine", genus=False).text
        'Ketamine · Substance'
        >>> Suggestion("kg:p", "Psilocybin", "Substance", "Psilocybe", genus=True).text
        'Psilocybe (genus) → Psilocybin · Substance'
        """
        if self.genus:
            return f"{self.matched} (genus) → {self.label} · {self.kind}"
        if self.matched != self.label:
            return f"{self.matched} → {self.label} · {self.kind}"
        return f"{self.label} · {self.kind}"


def suggestions(
    kg: SearchableGraph, text: str, *, limit: int | None = None, kinds: Iterable[str] | None = None
) -> tuple[Suggestion, ...]:
    """The best suggestions for the start of a name, ``text``: at most ``limit``, never more than the
    ``suggestion_limit`` setting; empty for blank text.

    >>> from kgexplorer import KnowledgeGraph
    >>> with KnowledgeGraph.bundled() as kg:
    ...     [s.text for s in suggestions(kg, "psilocybe", limit=1)]
    ['Psilocybe (genus) → Psilocybin · Substance']
    """
    if not text.strip():
        return ()
    hits = kg.search(text, limit=cap(limit, kg.settings.suggestion_limit), kinds=kinds)
    return tuple(
        Suggestion(
            entity=h.iri,
            label=h.label,
            kind=h.kind,
            matched=h.matched,
            genus=h.matched != h.label and genus_match(kg, h) is not None,
        )
        for h in hits
    )
