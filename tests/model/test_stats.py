"""Graph statistics and dataset metadata (kgexplorer.model.stats): counts that agree with the data, on the
bundled graph and on generic RDF."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from kgexplorer import GraphStats, KnowledgeGraph
from kgexplorer.curation.records import DESIGN_LEVELS, SOURCE_KINDS, Records
from kgexplorer.curation.turtle import derive_claim
from kgexplorer.evidence import DIRECTIONS, LEVELS, level


@pytest.fixture(scope="module")
def stats(kg: KnowledgeGraph) -> GraphStats:
    return kg.stats()


def count(kg: KnowledgeGraph, query: str) -> int:
    return int(str(kg.select(query).rows[0][0]))


def test_triples_match_the_store(kg: KnowledgeGraph, stats: GraphStats) -> None:
    assert stats.triples == len(kg)


def test_claims_match_the_number_of_claim_nodes(kg: KnowledgeGraph, stats: GraphStats) -> None:
    assert stats.claims == count(kg, "SELECT (COUNT(DISTINCT ?c) AS ?n) WHERE { ?c a kgx:Claim }")
    assert stats.claims > 50
    assert stats.entities_by_kind["Claim"] == stats.claims


def test_direct_edges_match_the_distinct_claim_triples(kg: KnowledgeGraph, stats: GraphStats) -> None:
    distinct = count(
        kg,
        "SELECT (COUNT(*) AS ?n) WHERE { SELECT DISTINCT ?s ?p ?o WHERE "
        "{ ?c a kgx:Claim ; kgx:subject ?s ; kgx:predicate ?p ; kgx:object ?o } }",
    )
    assert stats.direct_edges == distinct
    assert stats.direct_edges <= stats.claims


def test_claims_by_level_and_direction_add_up(stats: GraphStats) -> None:
    assert sum(stats.claims_by_level.values()) == stats.claims
    assert sum(stats.claims_by_direction.values()) == stats.claims
    assert "Randomised controlled trial" in stats.claims_by_level
    assert "other" not in stats.claims_by_level
    assert set(stats.claims_by_direction) <= set(DIRECTIONS)


def test_claims_by_level_and_direction_are_what_the_records_derive(stats: GraphStats, records: Records) -> None:
    derived = [derive_claim(records.evidence(c)) for c in records.claims if records.evidence(c)]
    assert stats.claims == len(derived)
    assert stats.claims_by_direction == dict(Counter(d.direction for d in derived))
    levels = Counter(level(DESIGN_LEVELS[d.level]).label for d in derived)
    assert stats.claims_by_level == {lv.label: levels[lv.label] for lv in LEVELS if levels[lv.label]}


def test_studies_and_their_identifiers(kg: KnowledgeGraph, stats: GraphStats, records: Records) -> None:
    assert stats.studies == count(kg, "SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s a kgx:Study }")
    assert 0 < stats.studies_with_doi_or_pmid <= stats.studies
    trials = [s for s in records.sources.values() if s.identifiers.nct and SOURCE_KINDS[s.kind] == "Study"]
    assert stats.registered_trials == len(trials) > 0
    assert stats.registered_trials_with_phase == len([s for s in trials if s.design.phase])
    assert f"registered trials (NCT id): {len(trials):,}" in stats.to_text()


def test_adverse_events_drug_classes_and_source_documents_are_counted(kg: KnowledgeGraph, stats: GraphStats) -> None:
    for kind, cls in (("Adverse event", "AdverseEvent"), ("Drug class", "DrugClass"), ("Source document", "Source")):
        n = count(kg, f"SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE {{ ?s a/rdfs:subClassOf* kgx:{cls} }}")
        assert stats.entities_by_kind[kind] == n > 0, kind


def test_entities_by_kind_cover_the_domain(stats: GraphStats) -> None:
    for kind in ("Substance", "Condition", "Mechanism", "Study", "Therapy"):
        assert stats.entities_by_kind[kind] > 0
    assert stats.classes["Claim"] == stats.claims  # classes count direct rdf:type instances


def test_stats_serialise_to_json_and_text(stats: GraphStats) -> None:
    data = json.loads(stats.to_json())
    assert data["triples"] == stats.triples
    assert data["claims_by_level"] == stats.claims_by_level
    text = stats.to_text()
    assert text.splitlines()[0] == f"triples: {stats.triples:,}"
    assert f"claims: {stats.claims:,} (direct edges derived from them: {stats.direct_edges:,})" in text
    assert "classes (instances):" not in text


def test_the_dataset_describes_itself(kg: KnowledgeGraph) -> None:
    info = kg.metadata()
    assert info.title
    assert info.version
    assert info.licence


def test_stats_work_on_generic_rdf(tmp_path: Path) -> None:
    path = tmp_path / "people.ttl"
    path.write_text(
        "@prefix ex: <http://example.org/> .\n"
        "ex:ada a ex:Person ; ex:knows ex:charles .\nex:charles a ex:Person .\nex:engine a ex:Machine .\n",
        encoding="utf-8",
    )
    with KnowledgeGraph.from_files([str(path)]) as graph:
        stats = graph.stats()
        info = graph.metadata()
        kinds = graph.kinds()
    assert stats.triples == 4
    assert stats.entities_by_kind == {}
    assert stats.classes == {"Person": 2, "Machine": 1}
    assert (stats.claims, stats.direct_edges, stats.studies) == (0, 0, 0)
    assert stats.claims_by_level == {}
    assert "classes (instances):\n  Person: 2\n  Machine: 1" in stats.to_text()
    assert info.title == ""
    assert kinds == ["Person", "Machine"]


def test_a_local_graph_counts_once(monkeypatch: pytest.MonkeyPatch) -> None:
    with KnowledgeGraph.bundled() as graph:
        first = graph.stats()
        calls: list[str] = []
        real = graph._backend.select

        def counting(query: str, **kwargs: object) -> object:
            calls.append(query)
            return real(query, **kwargs)  # type: ignore[arg-type]

        monkeypatch.setattr(graph._backend, "select", counting)
        assert graph.stats() is first
        assert calls == []
        assert first.triples == len(graph)


def test_stats_of_untyped_data_say_there_are_no_classes(tmp_path: Path) -> None:
    path = tmp_path / "links.nt"
    path.write_text("<http://example.org/a> <http://example.org/knows> <http://example.org/b> .\n", encoding="utf-8")
    with KnowledgeGraph.from_files([str(path)]) as graph:
        text = graph.stats().to_text()
    assert text.splitlines() == ["triples: 1", "classes: none (no rdf:type triples)"]
