"""The generated graphs beside the claims: regulatory events, legal statuses, statistics and lay names.

Each is built from its records (graph/records/events/, legal/, statistics/, lay-names.yaml) with the same
terms as the claims (:mod:`~kgexplorer.curation.triples`); :func:`~kgexplorer.curation.turtle.build_turtle`
writes them next to claims.ttl and sources.ttl.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, RDF, RDFS, SKOS, XSD

from .records import EVENT_KINDS, Records
from .triples import K, X, date_literal, english, evidence, new_graph, put

__all__ = ["events_graph", "lay_names_graph", "legal_graph", "statistics_graph"]


def events_graph(records: Records) -> Graph:
    g = new_graph()
    for eid in sorted(records.events):
        event = records.events[eid]
        node = K[eid]
        g.add((node, RDF.type, X[EVENT_KINDS[event.kind]]))
        g.add((node, RDFS.label, english(event.label)))
        g.add((node, DCTERMS.description, english(event.description)))
        g.add((node, X.date, date_literal(event.date)))
        g.add((node, X.year, Literal(event.date[:4], datatype=XSD.gYear)))
        evidence(g, node, records, (event.source,))
        for name in event.concerns:
            g.add((node, X.concerns, K[name]))
        if event.jurisdiction:
            g.add((node, X.jurisdiction, K[event.jurisdiction]))
        g.add((node, X.status, X.Verified))
    return g


def legal_graph(records: Records, labels: Mapping[str, str]) -> Graph:
    g = new_graph()
    for lid in sorted(records.legal):
        rec = records.legal[lid]
        node = K[lid]
        g.add((K[rec.substance], X.legalStatus, node))
        g.add((node, RDF.type, X.LegalStatus))
        where = labels.get(rec.jurisdiction, rec.jurisdiction).split(" (")[0]
        label = f"{labels.get(rec.substance, rec.substance)} in {where}: {rec.control_status}"
        put(
            g,
            node,
            [
                (RDFS.label, english(label)),
                (X.concerns, K[rec.substance]),
                (X.jurisdiction, K[rec.jurisdiction]),
                (X.controlStatus, rec.control_status),
                (X.establishedBy, K[rec.established_by] if rec.established_by else None),
                (X.note, english(rec.note) if rec.note else None),
                (X.status, X.Verified),
            ],
        )
        evidence(g, node, records, (rec.source, *rec.also))
    return g


def statistics_graph(records: Records) -> Graph:
    g = new_graph()
    for sid in sorted(records.statistics):
        rec = records.statistics[sid]
        node = K[sid]
        g.add((node, RDF.type, X.Statistic))
        years = re.findall(r"\d{4}", rec.period)
        put(
            g,
            node,
            [
                (RDFS.label, english(rec.label)),
                (X.value, english(rec.value)),
                (X.period, rec.period),
                (X.year, Literal(years[-1], datatype=XSD.gYear) if years else None),
                *[(X.concerns, K[name]) for name in rec.concerns],
                (X.jurisdiction, K[rec.jurisdiction] if rec.jurisdiction else None),
                (X.note, english(rec.note) if rec.note else None),
                (X.status, X.Verified),
            ],
        )
        evidence(g, node, records, (rec.source,))
    return g


def lay_names_graph(records: Records) -> Graph:
    g = new_graph()
    g.bind("skos", str(SKOS), override=True, replace=True)
    for lay in records.lay_names:
        slug = re.sub(r"[^a-z0-9]+", "_", lay.name.casefold()).strip("_")
        node = K[f"layname_{lay.entity}__{slug}"]
        # The hidden label is what search reads; the node says where the name comes from. A genus is no name of
        # the substance: its own predicate lets search find the substance and say what the name really is.
        g.add((K[lay.entity], X.genusName if lay.sense == "genus" else SKOS.hiddenLabel, english(lay.name)))
        g.add((node, RDF.type, X.LayName))
        put(
            g,
            node,
            [
                (X.layName, english(lay.name)),
                (X.nameOf, K[lay.entity]),
                (DCTERMS.source, URIRef(lay.source)),
                (X.readAt, URIRef(lay.read_at)),
                (X.note, english(lay.note) if lay.note else None),
                (X.checkedBy, lay.checked_by),
                (X.sense, lay.sense),
            ],
        )
    return g
