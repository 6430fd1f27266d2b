"""Paths follow relation groups (mechanisms and clinical evidence unless asked) and read along the edges first."""

from __future__ import annotations

from kgexplorer import KnowledgeGraph
from kgexplorer.model.paths import DEFAULT_PATH_GROUPS, RELATION_GROUPS, grouped_predicates

KGX = "https://w3id.org/kgexplorer/vocab#"


def test_every_relation_a_view_draws_has_a_group(kg: KnowledgeGraph) -> None:
    """Each kgx: relation between entities belongs to exactly one of the four groups named in the vocabulary."""
    grouped = [grouped_predicates(kg, [g]) or frozenset() for g in RELATION_GROUPS]
    direct = {str(r[0]) for r in kg.select("SELECT ?p WHERE { ?p a kgx:DirectEdgeProperty }").rows}

    assert all(grouped)
    assert sum(len(g) for g in grouped) == len(frozenset().union(*grouped))
    assert direct <= frozenset().union(*grouped)
    assert [kg.label(g) for g in RELATION_GROUPS] == [
        "mechanisms",
        "clinical evidence",
        "regulation, access and history",
        "studies and sources",
    ]


def test_default_paths_leave_out_regulatory_and_bibliographic_hops(kg: KnowledgeGraph) -> None:
    allowed = grouped_predicates(kg, DEFAULT_PATH_GROUPS) or frozenset()
    found = kg.paths("ketamine", "ptsd", k=5, max_length=4)
    everything = kg.paths("ketamine", "ptsd", k=5, max_length=4, groups=None)

    assert found.paths
    assert all(step.predicate in allowed for path in found.paths for step in path)
    assert any(step.predicate not in allowed for path in everything.paths for step in path)


def test_among_equally_short_paths_those_along_the_edges_come_first(kg: KnowledgeGraph) -> None:
    found = kg.paths("ketamine", "ptsd", k=5, max_length=4)
    backward = [sum(not s.forward for s in path) for path in found.paths]
    lengths = [len(path) for path in found.paths]

    assert lengths == sorted(lengths)
    for length in set(lengths):
        same = [b for b, n in zip(backward, lengths, strict=True) if n == length]
        assert same == sorted(same)
