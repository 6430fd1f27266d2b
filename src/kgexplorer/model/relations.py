"""Relations: which predicates link an entity to others, how often, and how a page URL names them.

The relations of an entity are exactly the predicates that its neighbourhood view
(:func:`kgexplorer.model.neighbourhood.neighbourhood`) draws as edges from or to it: links to other entities, never
literals, bookkeeping (types, sources, rubric values) or claim nodes. Claims are counted through the
direct edges they derive (graph/rules/direct-edges.rq), so picking a listed relation never gives an
empty view. The backend counts them in one GROUP BY query: the edges themselves are never fetched (a
Hetionet hub gene has about 9,000).

>>> from kgexplorer import KnowledgeGraph
>>> with KnowledgeGraph.bundled() as kg:
...     found = kg.relations("ketamine")
>>> [r.label for r in found][:2]
['tested substance', 'concerns']
>>> tested = next(r for r in found if r.label == "tested as a treatment for")
>>> tested.incoming, relation_key(tested.iri), relation_iri("testedFor") == tested.iri
(0, 'testedFor', True)
"""

from __future__ import annotations

from dataclasses import dataclass

from kgexplorer.engine.backend import Backend, values_clause
from kgexplorer.namespaces import KGX, PREFIXES, shorten
from kgexplorer.terms import IRI

from .labels import fetch_labels
from .neighbourhood import has_claims, predicate_filter, vocabulary_filter

__all__ = ["RelationCount", "relation_iri", "relation_key", "relations"]


@dataclass(frozen=True)
class RelationCount:
    """One relation of an entity: the predicate, its label, and how many distinct entities it links
    the entity to (``outgoing``: the entity is the subject; ``incoming``: the object)."""

    iri: str
    label: str
    outgoing: int
    incoming: int

    @property
    def total(self) -> int:
        """Links in both directions."""
        return self.outgoing + self.incoming


def relations(backend: Backend, focus: str) -> tuple[RelationCount, ...]:
    """The relations linking ``focus`` to other entities, most links first, then by label.

    The filters are those of the neighbourhood view, written in SPARQL so that the backend counts
    instead of sending the edges (``network._drawable`` checks the same in Python, row by row).

    >>> from kgexplorer import KnowledgeGraph
    >>> with KnowledgeGraph.bundled() as kg:
    ...     found = relations(kg, "https://w3id.org/kgexplorer/id/alcohol_use_disorder")
    ...     tested = kg.select("SELECT DISTINCT ?s WHERE { ?c kgx:subject ?s ; kgx:predicate kgx:testedFor ; "
    ...                        "kgx:object kg:alcohol_use_disorder }")
    >>> [(r.label, r.incoming == len(tested)) for r in found if r.label.startswith("tested")]
    [('tested as a treatment for', True)]
    """
    node = values_clause({"s": IRI(focus)})
    # Each branch starts from the bound node, so Oxigraph reads only that node's edges.
    rows = backend.select(
        f"SELECT ?p ?out (COUNT(DISTINCT ?o) AS ?n) WHERE {{ "
        f"{{ {node} ?s ?p ?o . BIND(true AS ?out) }} UNION {{ {node} ?o ?p ?s . BIND(false AS ?out) }} "
        f"{predicate_filter(claims=has_claims(backend))} "
        f"FILTER(isIRI(?o) && ?o != ?s) {vocabulary_filter('?o')} }} GROUP BY ?p ?out"
    ).rows
    counts: dict[str, list[int]] = {}
    for p, out, n in rows:
        if not isinstance(p, IRI) or n is None:
            continue
        counts.setdefault(p.value, [0, 0])[0 if str(out) == "true" else 1] += int(str(n))
    labels = fetch_labels(backend, counts)
    found = [RelationCount(p, labels[p], out, inc) for p, (out, inc) in counts.items()]
    return tuple(sorted(found, key=lambda r: (-r.total, r.label.casefold(), r.iri)))


def relation_key(iri: str) -> str:
    """How a relation is written in a page URL: its local name in the kgexplorer vocabulary, else a
    prefixed name (``rdfs:seeAlso``), else the IRI with commas escaped (URL lists are comma-separated).

    >>> relation_key("https://w3id.org/kgexplorer/vocab#actsOn"), relation_key("http://example.org/a,b")
    ('actsOn', 'http://example.org/a%2Cb')
    """
    local = iri[len(KGX) :] if iri.startswith(KGX) else ""
    if local and all(c.isalnum() or c in "_-." for c in local):
        return local
    return shorten(iri).replace(",", "%2C")


def relation_iri(key: str) -> str | None:
    """The relation IRI a URL names (the inverse of :func:`relation_key`); None when it is not an IRI,
    so a hand-edited link drops what it cannot mean instead of failing.

    >>> relation_iri("actsOn"), relation_iri("rdfs:seeAlso"), relation_iri("not a name")
    ('https://w3id.org/kgexplorer/vocab#actsOn', 'http://www.w3.org/2000/01/rdf-schema#seeAlso', None)
    """
    text = key.strip()
    if not text:
        return None
    prefix, _, local = text.partition(":")
    if "://" in text or text.startswith("urn:"):
        iri = text.replace("%2C", ",")
    elif local and prefix in PREFIXES:
        iri = PREFIXES[prefix] + local
    else:
        iri = KGX + text
    try:
        IRI(iri).n3()
    except ValueError:
        return None
    return iri
