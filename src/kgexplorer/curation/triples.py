"""Record values as RDF terms for the build: the graph with the house prefixes, typed literals, dates, evidence.

Shared by :mod:`~kgexplorer.curation.turtle` (claims and sources) and
:mod:`~kgexplorer.curation.context_graphs` (events, legal statuses, statistics, lay names), so every
generated file writes text, numbers, dates and the sources a node rests on the same way.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, RDFS, XSD

from kgexplorer.namespaces import KG, KGX

from .records import Records

__all__ = ["BIBO", "K", "X", "date_literal", "english", "evidence", "new_graph", "number_literal", "put", "serialise"]

K = Namespace(KG)
X = Namespace(KGX)
BIBO = Namespace("http://purl.org/ontology/bibo/")


def new_graph() -> Graph:
    """An empty graph with the prefixes every generated file uses."""
    g = Graph()
    for prefix, ns in (
        ("kg", KG),
        ("kgx", KGX),
        ("rdfs", str(RDFS)),
        ("dcterms", str(DCTERMS)),
        ("xsd", str(XSD)),
        ("bibo", str(BIBO)),
    ):
        g.bind(prefix, ns, override=True, replace=True)
    return g


def serialise(g: Graph) -> str:
    """The graph as long-form Turtle (deterministic: the same graph gives the same bytes)."""
    return g.serialize(format="longturtle")


def english(value: str) -> Literal:
    """Text written by the curators: an English literal."""
    return Literal(value, lang="en")


def number_literal(value: float | int) -> Literal:
    """A whole number as xsd:integer, any other as xsd:decimal (exactly the digits written)."""
    if isinstance(value, int):
        return Literal(value, datatype=XSD.integer)
    return Literal(Decimal(repr(value)), datatype=XSD.decimal)


def put(g: Graph, node: URIRef, values: Iterable[tuple[URIRef, object]]) -> None:
    """Add each (property, value) whose value is given: text as a plain literal, numbers typed, IRIs as they are."""
    for prop, value in values:
        if value is None or value == "":
            continue
        if isinstance(value, tuple | list | dict):
            raise TypeError(f"{prop}: a collection is not one value ({value!r})")
        if isinstance(value, URIRef | Literal):
            g.add((node, prop, value))
        elif isinstance(value, bool):
            g.add((node, prop, Literal(value)))
        elif isinstance(value, int | float):
            g.add((node, prop, number_literal(value)))
        else:
            g.add((node, prop, Literal(str(value))))


def evidence(g: Graph, node: URIRef, records: Records, refs: Iterable[str]) -> None:
    """The canonical links and tier of the source records a node rests on."""
    tiers = []
    for ref in refs:
        src = records.sources.get(ref)
        g.add((node, X.recordedIn, K[ref]))
        if src is not None:
            g.add((node, DCTERMS.source, URIRef(src.source.canonical)))
            tiers.append(src.source.tier)
    if tiers:
        g.add((node, X.sourceTier, X["Primary" if all(t == "primary" for t in tiers) else "Secondary"]))


def date_literal(value: str) -> Literal:
    """A year, year-month or full date as xsd:gYear, xsd:gYearMonth or xsd:date."""
    kind = {4: XSD.gYear, 7: XSD.gYearMonth, 10: XSD.date}[len(value)]
    return Literal(value, datatype=kind)
