"""The words of a lesson as a reader meets them: explicit entity links, raw identifiers, names written out,
and citations by label and study name.

Lesson Markdown names an entity by an explicit link, ``[alcohol use disorder](kg:alcohol_use_disorder)``
(:func:`entity_links`); :func:`reader_text` turns the links into their words (or into links of the app). The
lesson checker (:func:`kgexplorer.views.lessons.check_lesson`) uses the rest: identifiers a reader must never
see (:func:`raw_ids`) and substances or conditions written out without a link (:func:`written_names`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from kgexplorer.namespaces import KG
from kgexplorer.terms import IRI, BlankNode
from kgexplorer.terms import Literal as RdfLiteral

if TYPE_CHECKING:
    from kgexplorer.knowledge_graph import KnowledgeGraph

__all__ = [
    "LINK",
    "Citation",
    "EntityLink",
    "citations",
    "entity_links",
    "name_index",
    "raw_ids",
    "reader_text",
    "written_names",
]

#: An explicit entity link in lesson Markdown: ``[words a reader sees](kg:entity_id)``.
LINK = re.compile(r"\[(?P<text>[^\]\n]+)\]\(kg:(?P<id>[A-Za-z0-9][A-Za-z0-9_.\-]*)\)")
#: What a reader must never see: claim ids, prefixed names, snake_case identifiers.
_RAW_ID = re.compile(r"(?<![\w/])(?:claim_\w+|kgx?:[\w\-]*|[A-Za-z0-9]+(?:_[A-Za-z0-9]+)+)(?![\w/])")


@dataclass(frozen=True)
class EntityLink:
    """An entity a lesson names: the words shown and the entity id they link to."""

    text: str
    entity: str


def entity_links(text: str) -> tuple[EntityLink, ...]:
    """The explicit entity links in lesson Markdown, in order.

    >>> entity_links("[Ketamine](kg:ketamine) and [AUD](kg:alcohol_use_disorder)")
    (EntityLink(text='Ketamine', entity='ketamine'), EntityLink(text='AUD', entity='alcohol_use_disorder'))
    """
    return tuple(EntityLink(m["text"], m["id"]) for m in LINK.finditer(text))


def reader_text(text: str, *, link: Callable[[EntityLink], str] | None = None) -> str:
    """Lesson Markdown as a reader sees it: each entity link becomes its words, or ``link(entity_link)``.

    >>> reader_text("Try [ketamine](kg:ketamine).")
    'Try ketamine.'
    """
    return LINK.sub(lambda m: link(EntityLink(m["text"], m["id"])) if link else m["text"], text)


@dataclass(frozen=True)
class Citation:
    """What a question's feedback cites, as a reader reads it: the claim (or event) and its studies' names."""

    label: str
    studies: tuple[str, ...]


def citations(kg: KnowledgeGraph, cites: Sequence[str]) -> tuple[Citation, ...]:
    """Claims (or events) by their labels and the names of the studies behind them, never their ids.

    >>> from kgexplorer import KnowledgeGraph
    >>> with KnowledgeGraph.bundled() as kg:
    ...     cited = citations(kg, ["claim_ketamine__affectsOutcome__relapse"])
    >>> cited[0].label, "Grabski et al. 2022 (KARE)" in cited[0].studies
    ('Ketamine — affects outcome → Relapse', True)
    """
    out: list[Citation] = []
    for ident in dict.fromkeys(cites):
        rows = kg.select(
            """SELECT ?label ?study WHERE { ?c rdfs:label ?label .
                 OPTIONAL { ?c kgx:supportedBy ?s . ?s rdfs:label ?study } } ORDER BY ?study""",
            values={"c": IRI(KG + ident)},
        ).rows
        if rows and (label := _text(rows[0][0])):
            studies = tuple(dict.fromkeys(t for r in rows if (t := _text(r[1]))))
            out.append(Citation(label, studies))
    return tuple(out)


def raw_ids(place: str, text: str) -> list[tuple[str, str]]:
    plain = reader_text(text)
    return [
        (
            m.group(0),
            f"{place} shows the identifier {m.group(0)!r} to readers; write the name a reader knows "
            "(a study's authors and year, an entity's label)",
        )
        for m in _RAW_ID.finditer(plain)
    ]


def written_names(text: str, names: dict[str, tuple[str, re.Pattern[str]]]) -> list[str]:
    """Entity ids whose names appear in plain text as whole words; a longer name wins over a name inside it
    ("treatment-resistant depression" is not also "depression")."""
    spans: list[tuple[int, int, str]] = []
    for ident, (_, pattern) in names.items():
        spans += [(m.start(), m.end(), ident) for m in pattern.finditer(text)]
    taken: list[tuple[int, int]] = []
    found: list[str] = []
    for start, end, ident in sorted(spans, key=lambda s: s[0] - s[1]):
        if any(start < e and s < end for s, e in taken):
            continue
        taken.append((start, end))
        if ident not in found:
            found.append(ident)
    return found


def name_index(kg: KnowledgeGraph) -> dict[str, tuple[str, re.Pattern[str]]]:
    """Substances and conditions by id: their label, and a pattern for any of their names as whole words."""
    rows = kg.select(
        """SELECT ?e ?name ?label WHERE {
             VALUES ?class { kgx:Substance kgx:Condition }
             ?e a/rdfs:subClassOf* ?class ; rdfs:label ?label .
             { ?e rdfs:label ?name } UNION { ?e skos:altLabel ?name }
           }"""
    ).rows
    found: dict[str, tuple[str, list[str]]] = {}
    for e, name, label in rows:
        iri, text = _text(e), _text(name)
        if not iri.startswith(KG) or not text:
            continue
        entry = found.setdefault(iri[len(KG) :], (_text(label), []))
        if len(text) >= 4:  # short abbreviations ("K", "PCP") match ordinary words
            entry[1].append(text)
    return {
        ident: (
            label,
            re.compile(
                r"(?<![\w\-])(?:" + "|".join(map(re.escape, sorted(set(ns), key=len, reverse=True))) + r")(?![\w\-])",
                re.I,
            ),
        )
        for ident, (label, ns) in found.items()
        if ns
    }


def _text(term: IRI | BlankNode | RdfLiteral | None) -> str:
    return term.value if isinstance(term, (IRI, RdfLiteral)) else ""
