"""The lesson checks: what :func:`kgexplorer.views.lessons.check_lesson` asks of each part of a step, on plain
arguments (texts, ids, a query), so the checker itself only walks a lesson's steps.

- Naming (:func:`naming_problems`): every entity a step names by a link, ``[words](kg:id)``, exists and is
  drawn in the step's view; substances and conditions written out without a link are reported; no raw id and
  nothing outside the graph (links, images, web addresses) reaches a reader.
- Relations (:func:`relation_problems`): a focus view's relation filter names relations the view can draw.
- Queries (:func:`query_problems`) run and show something; questions (:func:`question_problems`) have
  choices, right answers among them, one feedback text per choice and citations that exist.

>>> from kgexplorer import KnowledgeGraph
>>> with KnowledgeGraph.bundled() as kg:
...     relation_problems(kg, ["testedFor", "concerns", "cures"])
["unknown relation 'cures'; use a relation the Explore page offers for the focus, such as testedFor"]
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Literal

from kgexplorer.errors import KgExplorerError
from kgexplorer.namespaces import KG
from kgexplorer.terms import IRI

from .lesson_text import LINK, entity_links, outside_links, raw_ids, written_names

if TYPE_CHECKING:
    from kgexplorer.knowledge_graph import KnowledgeGraph
    from kgexplorer.model.compare import Comparison
    from kgexplorer.model.neighbourhood import Neighbourhood, PathSet
    from kgexplorer.model.timeline import Timeline

__all__ = [
    "ProblemRule",
    "naming_problems",
    "query_problems",
    "question_problems",
    "relation_problems",
    "view_entities",
]

#: What kind of problem a lesson problem is:
#: ``structure`` (no steps), ``view`` (an unknown entity, filter or a view that fails), ``query``, ``question``,
#: ``unknown-entity`` (a link names no entity), ``not-in-view`` (a named entity is not drawn in the step's view),
#: ``unlinked-name`` (a substance or condition written without a link), ``raw-id`` (an identifier a reader
#: would see), ``outside-link`` (a link, image or web address that would leave the graph).
ProblemRule = Literal[
    "structure",
    "view",
    "query",
    "question",
    "unknown-entity",
    "not-in-view",
    "unlinked-name",
    "raw-id",
    "outside-link",
]


def view_entities(view: Neighbourhood | PathSet | Comparison | Timeline | None) -> frozenset[str]:
    """The entities (IRIs) a step's view draws: a graph's nodes, or a timeline's events and substances;
    empty without a view."""
    from kgexplorer.model.timeline import Timeline

    if view is None:
        return frozenset()
    if isinstance(view, Timeline):
        return frozenset({*view.substance_iris, *(e.iri for e in view.events)})
    # A "+N more" node stands for entities the view does not draw.
    return frozenset(str(n) for n, data in view.graph.nodes(data=True) if "more_of" not in data)


def naming_problems(
    kg: KnowledgeGraph,
    parts: Sequence[tuple[str, str]],
    *,
    names: dict[str, tuple[str, re.Pattern[str]]],
    shown: Callable[[], frozenset[str]] | None,
) -> list[tuple[ProblemRule, str, str]]:
    """(rule, entity id, problem) for the reader texts of one step, given as (where, Markdown) ``parts``.

    Raw ids, outside links and links that name nothing are checked everywhere. ``shown`` gives the entities the
    step's view draws; it is None for a step without a view (no picture its text could contradict) or whose
    view is already reported broken, and then only the links themselves are checked.
    """
    out: list[tuple[ProblemRule, str, str]] = []
    linked: dict[str, str] = {}
    written: dict[str, str] = {}
    for place, text in parts:
        out += [("raw-id", ident, msg) for ident, msg in raw_ids(place, text)]
        out += [("outside-link", "", msg) for msg in outside_links(place, text)]
        for lk in entity_links(text):
            linked.setdefault(lk.entity, place)
        for ident in written_names(LINK.sub(" ", text), names):
            written.setdefault(ident, place)
    unknown = {
        ident
        for ident in linked
        if not kg.select("SELECT ?e WHERE { ?e ?p ?o } LIMIT 1", values={"e": IRI(KG + ident)}).rows
    }
    out += [
        ("unknown-entity", ident, f"{linked[ident]} links kg:{ident}, which is not in the graph; link an entity id")
        for ident in unknown
    ]
    if shown is None:
        return out
    for ident, place in written.items():
        if ident not in linked:
            label = names[ident][0]
            out.append(
                (
                    "unlinked-name",
                    ident,
                    f"{place} names {label!r} without a link; link it once in the step, [{label}](kg:{ident}), so "
                    "the check can see that the view draws it",
                )
            )
    try:
        drawn = shown()
    except KgExplorerError:
        return out
    out += [
        (
            "not-in-view",
            ident,
            f"{place} names {ident!r}, which the step's view does not draw; change the view or the text",
        )
        for ident, place in linked.items()
        if KG + ident not in drawn and ident not in unknown
    ]
    return out


def relation_problems(kg: KnowledgeGraph, relations: Sequence[str]) -> list[str]:
    """Relations (as a page address writes them, e.g. ``testedFor`` or ``rdfs:seeAlso``) that no entity view
    can draw: Explore offers every predicate that links two entities, so the check accepts exactly those."""
    from kgexplorer.engine.backend import values_clause
    from kgexplorer.model.neighbourhood import has_claims, predicate_filter, vocabulary_filter
    from kgexplorer.model.relations import relation_iri

    out: list[str] = []
    for key in relations:
        iri = relation_iri(key)
        drawn = iri is not None and bool(
            kg.select(
                f"SELECT ?s WHERE {{ {values_clause({'p': IRI(iri)})} ?s ?p ?o . "
                f"{predicate_filter(claims=has_claims(kg))} FILTER(isIRI(?o) && ?o != ?s) "
                f"{vocabulary_filter('?o')} }} LIMIT 1"
            ).rows
        )
        if not drawn:
            out.append(
                f"unknown relation {key!r}; use a relation the Explore page offers for the focus, such as testedFor"
            )
    return out


def query_problems(kg: KnowledgeGraph, query: str | None) -> list[str]:
    """A step's query fails or returns nothing."""
    if not query:
        return []
    try:
        result = kg.sparql(query)
    except KgExplorerError as exc:
        return [f"the query fails: {exc}"]
    if not hasattr(result, "value") and len(result) == 0:
        return ["the query returns no rows; a lesson query should show something"]
    return []


def question_problems(
    kg: KnowledgeGraph,
    *,
    choices: Sequence[str],
    right: Sequence[int],
    feedback: Sequence[str],
    cites: Sequence[str],
) -> list[str]:
    """A quiz question's choices, right answers (indices from 0), feedback texts and citations."""
    out = [
        f"the answer index {a} is not one of the {len(choices)} choices (counted from 0)"
        for a in right
        if not 0 <= a < len(choices)
    ]
    if feedback and len(feedback) != len(choices):
        out.append(f"the question has {len(choices)} choices but {len(feedback)} feedback texts; give one per choice")
    if len(choices) < 2:
        out.append("a question needs at least two choices")
    if not cites:
        out.append("the question's explanation must cite at least one claim (cites: [claim_id])")
    out += [
        f"the question cites {c!r}, which is not in the graph; cite a claim or event id"
        for c in cites
        if not kg.select("SELECT ?c WHERE { ?c a ?t } LIMIT 1", values={"c": IRI(KG + c)}).rows
    ]
    return out
