"""Counts that describe a graph, and the dataset's own metadata (VoID / DCAT).

All counting happens in SPARQL, so it stays cheap on large stores.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass

from kgexplorer.engine.backend import Backend
from kgexplorer.evidence import LEVELS, level_by_iri
from kgexplorer.namespaces import KGX

from .labels import KINDS, local_name

__all__ = ["DatasetInfo", "GraphStats", "dataset_info", "graph_stats"]


@dataclass(frozen=True)
class GraphStats:
    """How big the graph is and what it holds."""

    triples: int
    entities_by_kind: dict[str, int]
    classes: dict[str, int]
    claims: int
    claims_by_level: dict[str, int]
    claims_by_direction: dict[str, int]
    direct_edges: int
    studies: int
    studies_with_doi_or_pmid: int
    #: Studies with a ClinicalTrials.gov id (NCT number), and how many of them state the trial's phase.
    registered_trials: int = 0
    registered_trials_with_phase: int = 0

    def to_dict(self) -> dict[str, object]:
        return asdict(self)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False)

    def to_text(self) -> str:
        lines = [f"triples: {self.triples:,}"]
        if self.entities_by_kind:
            lines.append("entities by kind:")
            lines += [f"  {k}: {v:,}" for k, v in self.entities_by_kind.items()]
        if self.claims:
            lines.append(f"claims: {self.claims:,} (direct edges derived from them: {self.direct_edges:,})")
            lines += [f"  {k}: {v:,}" for k, v in self.claims_by_level.items()]
            lines.append("claims by result direction:")
            lines += [f"  {k}: {v:,}" for k, v in self.claims_by_direction.items()]
        if self.studies:
            lines.append(f"studies: {self.studies:,} ({self.studies_with_doi_or_pmid:,} with a DOI or PMID)")
        if self.registered_trials:
            lines.append(
                f"registered trials (NCT id): {self.registered_trials:,} "
                f"({self.registered_trials_with_phase:,} with their phase)"
            )
        if not self.entities_by_kind and self.classes:
            lines.append("classes (instances):")
            lines += [f"  {k}: {v:,}" for k, v in list(self.classes.items())[:25]]
        elif not self.entities_by_kind:
            lines.append("classes: none (no rdf:type triples)")
        return "\n".join(lines)


@dataclass(frozen=True)
class DatasetInfo:
    """The dataset's metadata, from its VoID/DCAT description (empty strings when absent)."""

    title: str
    description: str
    version: str
    licence: str
    creator: str
    issued: str
    citation: str


def _count(backend: Backend, query: str) -> int:
    rows = backend.select(query).rows
    return int(str(rows[0][0])) if rows and rows[0][0] is not None else 0


def graph_stats(backend: Backend, *, triples: int | None = None) -> GraphStats:
    """Count triples, entities by kind, classes, claims by level and direction, and studies.

    ``triples`` is the number of triples when the caller knows it already (a local store counts itself
    without a query that reads every triple).
    """
    if triples is None:
        triples = _count(backend, "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")
    by_kind: dict[str, int] = {}
    for local, name in KINDS:
        n = _count(backend, f"SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE {{ ?s a/rdfs:subClassOf* <{KGX}{local}> }}")
        if n:
            by_kind[name] = n
    classes: dict[str, int] = {}
    for t, count in backend.select(
        "SELECT ?t (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s a ?t } GROUP BY ?t ORDER BY DESC(?n) LIMIT 200"
    ).rows:
        if t is not None and count is not None:
            classes[local_name(str(t))] = int(str(count))
    claims = by_kind.get("Claim", 0)
    levels: dict[str, int] = {}
    directions: dict[str, int] = {}
    direct = 0
    if claims:
        rows = backend.select(
            "SELECT ?l (COUNT(?c) AS ?n) WHERE { ?c a kgx:Claim ; kgx:evidenceLevel ?l } GROUP BY ?l"
        ).rows
        counted = {str(lev): int(str(c)) for lev, c in rows if lev is not None}
        for lv in LEVELS:
            if counted.get(lv.iri):
                levels[lv.label] = counted[lv.iri]
        others = sum(v for k, v in counted.items() if level_by_iri(k) is None)
        if others:
            levels["other"] = others
        for d, count in backend.select(
            "SELECT ?d (COUNT(?c) AS ?n) WHERE { ?c a kgx:Claim ; kgx:resultDirection ?d } "
            "GROUP BY ?d ORDER BY DESC(?n)"
        ).rows:
            directions[local_name(str(d)).lower()] = int(str(count))
        direct = _count(
            backend,
            "SELECT (COUNT(*) AS ?n) WHERE { SELECT DISTINCT ?s ?p ?o WHERE { ?c a kgx:Claim ; "
            "kgx:subject ?s ; kgx:predicate ?p ; kgx:object ?o . ?s ?p ?o } }",
        )
    studies = by_kind.get("Study", 0)
    with_id = (
        _count(
            backend,
            "SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s a kgx:Study . { ?s kgx:doi ?x } UNION { ?s kgx:pmid ?x } }",
        )
        if studies
        else 0
    )
    trials = with_phase = 0
    if studies:
        registered = '?s a kgx:Study ; kgx:registryId ?id . FILTER(STRSTARTS(STR(?id), "NCT"))'
        trials = _count(backend, f"SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE {{ {registered} }}")
        with_phase = _count(backend, f"SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE {{ {registered} ?s kgx:phase ?ph }}")
    return GraphStats(
        triples, by_kind, classes, claims, levels, directions, direct, studies, with_id, trials, with_phase
    )


def dataset_info(backend: Backend) -> DatasetInfo:
    """Read the VoID/DCAT description of the dataset (the first void:Dataset or dcat:Dataset)."""
    rows = backend.select(
        """SELECT ?title ?description ?version ?licence ?creator ?issued ?citation WHERE {
             { ?d a void:Dataset } UNION { ?d a dcat:Dataset }
             OPTIONAL { ?d dcterms:title ?title } OPTIONAL { ?d dcterms:description ?description }
             OPTIONAL { ?d owl:versionInfo ?version } OPTIONAL { ?d dcterms:license ?licence }
             OPTIONAL { ?d dcterms:creator ?creator } OPTIONAL { ?d dcterms:issued ?issued }
             OPTIONAL { ?d dcterms:bibliographicCitation ?citation }
           } LIMIT 1"""
    ).rows
    if not rows:
        return DatasetInfo("", "", "", "", "", "", "")
    return DatasetInfo(*("" if v is None else str(v) for v in rows[0]))
