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
    "link_names",
    "name_index",
    "outside_links",
    "raw_ids",
    "reader_text",
    "written_names",
]

#: Any Markdown link or image in lesson text: ``[words](target)``, ``![alt](target)``.
LINK = re.compile(r"(?P<image>!?)\[(?P<text>[^\]\n]*)\]\(\s*(?P<target>(?:[^()\s]|\([^()\s]*\))*)(?:\s+[^()]*)?\)")
#: The target of an explicit entity link: ``kg:entity_id``.
_ENTITY = re.compile(r"^kg:(?P<id>[A-Za-z0-9_][A-Za-z0-9_.\-]*)$")
#: A web address written out without a link.
_BARE_URL = re.compile(r"(?i)\b(?:https?|ftp)://\S+|<\s*(?:https?:|//)\S*>|\bwww\.\S+")
#: What a reader must never see: claim ids, prefixed names, snake_case identifiers.
_RAW_ID = re.compile(r"(?<![\w/])(?:claim_\w+|kgx?:[\w\-]*|[A-Za-z0-9]+(?:_[A-Za-z0-9]+)+)(?![\w/])")


@dataclass(frozen=True)
class EntityLink:
    """An entity a lesson names: the words shown and the entity id they link to."""

    text: str
    entity: str


def entity_links(text: str) -> tuple[EntityLink, ...]:
    """The explicit entity links in lesson Markdown, in order (images and outside links are not entity links).

    >>> entity_links("[Ketamine](kg:ketamine) and [AUD](kg:alcohol_use_disorder), ![C](kg:c) [D](http://x)")
    (EntityLink(text='Ketamine', entity='ketamine'), EntityLink(text='AUD', entity='alcohol_use_disorder'))
    """
    found = ((m, _ENTITY.match(m["target"])) for m in LINK.finditer(text) if not m["image"])
    return tuple(EntityLink(m["text"], e["id"]) for m, e in found if e)


def reader_text(text: str, *, link: Callable[[EntityLink], str] | None = None) -> str:
    """Lesson Markdown as a reader gets it: each entity link becomes its words (or ``link(entity_link)``),
    any other link its words, an image its alt text, and bare web addresses are removed, so nothing outside
    can be loaded or followed.

    >>> reader_text("Try [ketamine](kg:ketamine).")
    'Try ketamine.'
    >>> reader_text("[Ketamine](kg:ketamine) ![x](https://t.example/p.gif) see www.example.org")
    'Ketamine x see '
    """

    def one(m: re.Match[str]) -> str:
        if m["text"] is None:  # a bare web address
            return ""
        e = None if m["image"] else _ENTITY.match(m["target"])
        return link(EntityLink(m["text"], e["id"])) if e and link else m["text"]

    # One pass over links and bare addresses together, so what ``link`` writes is not read again.
    return _READER.sub(one, text)


_READER = re.compile(LINK.pattern + "|" + _BARE_URL.pattern.replace("(?i)", ""), re.I)


def outside_links(place: str, text: str) -> list[str]:
    """What in lesson Markdown would load or follow something outside the graph: images, links to anything
    but an entity (``kg:id``), bare web addresses; each as a problem with its fix.

    >>> [p.split(";")[0] for p in outside_links("the text", "![x](p.gif), [a](https://a.example), www.b.org")]
    ['the text has an image (p.gif)', "the text links to 'https://a.example'", 'the text has a web address (www.b.org)']
    """
    out: list[str] = []
    for m in LINK.finditer(text):
        if m["image"]:
            out.append(f"{place} has an image ({m['target']}); lessons cannot load images, remove it")
        elif not _ENTITY.match(m["target"]):
            out.append(
                f"{place} links to {m['target']!r}; lessons cannot link outside, name an entity as "
                "[Ketamine](kg:ketamine) or cite a claim in the question"
            )
    bare = _BARE_URL.findall(LINK.sub(" ", text))
    out += [f"{place} has a web address ({u}); lessons cannot link outside, remove it" for u in bare]
    return out


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


def link_names(text: str, names: dict[str, tuple[str, re.Pattern[str]]]) -> str:
    """``text`` (plain, e.g. a title "Add to a lesson" made) with the first mention of each substance or condition
    turned into its explicit link, found exactly as the lesson checker finds unlinked names (:func:`written_names`).

    >>> names = {"ketamine": ("Ketamine", re.compile("(?<![a-z])ketamine(?![a-z])", re.I))}
    >>> link_names("Ketamine and esketamine: ketamine", names)
    '[Ketamine](kg:ketamine) and esketamine: ketamine'
    """
    spans: list[tuple[int, int, str]] = []
    for ident, (_, pattern) in names.items():
        spans += [(m.start(), m.end(), ident) for m in pattern.finditer(text)]
    taken: list[tuple[int, int, str]] = []
    for start, end, ident in sorted(spans, key=lambda s: (s[0] - s[1], s[0])):  # longest first, then leftmost
        if any(start < e and s < end for s, e, _ in taken) or any(i == ident for *_, i in taken):
            continue
        taken.append((start, end, ident))
    out = text
    for start, end, ident in sorted(taken, reverse=True):  # from the end, so earlier offsets stay right
        words = out[start:end].replace("[", "(").replace("]", ")")
        out = f"{out[:start]}[{words}](kg:{ident}){out[end:]}"
    return out


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
