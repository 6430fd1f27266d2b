"""The evidence rubric (kgexplorer.evidence): levels mirror the ontology, and claims combine into what an
edge shows."""

from __future__ import annotations

import pytest

from kgexplorer import KnowledgeGraph
from kgexplorer.evidence import DIRECTIONS, LEVELS, combine_directions, level, level_by_iri
from kgexplorer.namespaces import KGX


def test_levels_mirror_the_ontology(kg: KnowledgeGraph) -> None:
    rows = kg.select(
        "SELECT ?l ?rank ?label WHERE { ?l a kgx:EvidenceLevel ; kgx:rank ?rank ; rdfs:label ?label }"
    ).rows
    in_graph = sorted((int(str(rank)), str(lv), str(label)) for lv, rank, label in rows)
    in_code = [(lv.rank, lv.iri, lv.label) for lv in LEVELS]
    assert in_code == in_graph


def test_levels_are_strongest_first_with_distinct_ranks() -> None:
    ranks = [lv.rank for lv in LEVELS]
    assert ranks == sorted(ranks)
    assert len(set(ranks)) == len(ranks)
    assert level("RCT").rank < level("Preclinical").rank < level("Reference").rank


def test_level_lookup_by_key_and_iri() -> None:
    assert level("MetaAnalysis").label == "Meta-analysis of RCTs"
    assert level_by_iri(KGX + "RCT") == level("RCT")
    assert level_by_iri("http://example.org/NotALevel") is None


def test_an_unknown_level_key_lists_the_known_ones() -> None:
    with pytest.raises(ValueError, match=r"unknown evidence level 'Anecdote'; use one of MetaAnalysis, RCT"):
        level("Anecdote")


@pytest.mark.parametrize(
    ("directions", "combined"),
    [
        (["supports"], "supports"),
        (["supports", "supports"], "supports"),
        (["supports", "null"], "mixed"),
        (["null", "against"], "mixed"),
        (["mixed"], "mixed"),
        (["null", ""], "null"),
        ([], ""),
        (["", ""], ""),
    ],
)
def test_combine_directions(directions: list[str], combined: str) -> None:
    assert combine_directions(directions) == combined


def test_every_claim_direction_in_the_graph_is_a_known_direction(kg: KnowledgeGraph) -> None:
    rows = kg.select("SELECT DISTINCT ?d WHERE { ?c a kgx:Claim ; kgx:resultDirection ?d }").rows
    found = {str(d).removeprefix(KGX).lower() for (d,) in rows}
    assert found
    assert found <= set(DIRECTIONS)


def test_every_claim_level_in_the_graph_is_in_the_rubric(kg: KnowledgeGraph) -> None:
    rows = kg.select("SELECT DISTINCT ?l WHERE { ?c a kgx:Claim ; kgx:evidenceLevel ?l }").rows
    assert rows
    assert all(level_by_iri(str(lv)) is not None for (lv,) in rows)
