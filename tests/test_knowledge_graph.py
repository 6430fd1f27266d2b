"""KnowledgeGraph, the front door: resolving names, kinds, files, reasoning and lifecycle."""

from __future__ import annotations

from pathlib import Path

import pytest

from kgexplorer import EntityNotFound, KnowledgeGraph
from kgexplorer.namespaces import KG

KETAMINE = KG + "ketamine"


@pytest.mark.parametrize(
    "name", ["ketamine", "Ketamine", "kg:ketamine", KETAMINE, "Special K", "Ketalar", "  ketamine "]
)
def test_resolve_accepts_local_names_labels_synonyms_and_iris(kg: KnowledgeGraph, name: str) -> None:
    """A person can name an entity by local name, label, synonym, prefixed name or IRI."""
    assert kg.resolve(name) == KETAMINE


def test_resolve_unknown_name_suggests_close_labels(kg: KnowledgeGraph) -> None:
    """An unknown name raises EntityNotFound with suggestions taken from search."""
    with pytest.raises(EntityNotFound) as info:
        kg.resolve("ketamin")

    assert "Ketamine" in info.value.suggestions
    assert "did you mean" in str(info.value)


def test_resolve_empty_name_says_what_to_type(kg: KnowledgeGraph) -> None:
    with pytest.raises(EntityNotFound, match="no entity name given"):
        kg.resolve("   ")


def test_kinds_are_most_common_first(kg: KnowledgeGraph) -> None:
    """kinds() lists the kinds present, the most numerous first (claims outnumber substances)."""
    kinds = kg.kinds()
    counts = kg.stats().entities_by_kind

    assert kinds[0] == max(counts, key=lambda k: counts[k])
    assert kinds.index("Claim") < kinds.index("Substance")


def test_from_files_beside_the_bundled_graph(tmp_path: Path) -> None:
    """Your own file can be loaded beside the bundled graph; both are then queryable."""
    mine = tmp_path / "mine.ttl"
    mine.write_text(
        '<http://example.org/x> <http://www.w3.org/2000/01/rdf-schema#label> "My note" .\n', encoding="utf-8"
    )
    with KnowledgeGraph.from_files([str(mine)], include_bundled=True) as both:
        assert both.resolve("My note") == "http://example.org/x"
        assert both.resolve("ketamine") == KETAMINE
        assert "your files" in repr(both)


@pytest.mark.slow
def test_reasoning_adds_entailments_in_a_separate_graph(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """With RDFS reasoning, ketamine is an Entity (via Substance ⊑ Entity), in the inferred named graph only."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    ask = f"ASK {{ <{KETAMINE}> a kgx:Entity }}"
    in_inferred = f"ASK {{ GRAPH <https://w3id.org/kgexplorer/graph/inferred> {{ <{KETAMINE}> a kgx:Entity }} }}"
    with KnowledgeGraph.bundled() as plain:
        assert plain.sparql(ask).value is False
        assert plain.inference is None
    with KnowledgeGraph.bundled(reasoning="rdfs") as reasoned:
        assert reasoned.sparql(ask).value is True
        assert reasoned.sparql(in_inferred).value is True
        assert reasoned.inference.new_triples > 0


def test_context_manager_stops_the_workers() -> None:
    """Leaving a `with` block stops the query workers; a closed graph says so instead of hanging."""
    with KnowledgeGraph.bundled() as kg:
        assert kg.sparql("ASK { ?s ?p ?o }").value is True
    with pytest.raises(Exception, match="closed"):
        kg.sparql("ASK { ?s ?p ?o }")


def test_local_paths_are_found_from_both_ends_never_from_the_whole_graph(monkeypatch: pytest.MonkeyPatch) -> None:
    with KnowledgeGraph.bundled() as graph:
        asked: list[tuple[str, bool]] = []
        real = graph._backend.select

        def recording(query: str, **kwargs: object) -> object:
            asked.append((query, bool(kwargs.get("values")) or "VALUES" in query))
            return real(query, **kwargs)  # type: ignore[arg-type]

        monkeypatch.setattr(graph._backend, "select", recording)
        found = graph.paths(KETAMINE, KG + "alcohol_use_disorder", k=3)
        assert len(found.paths) == 3
        assert asked
        assert all(bound for _, bound in asked)  # every query is about given nodes


def test_the_path_search_budget_cuts_a_local_search_and_says_so() -> None:
    from kgexplorer import Settings

    with KnowledgeGraph.bundled(settings=Settings(path_search_nodes=10)) as graph:
        found = graph.paths("ketamine", "psilocybin", k=5)
    assert found.truncated


@pytest.mark.parametrize(
    ("level", "url", "refusal"),
    [
        (0, "http://example.org/sparql", "remote_endpoints setting is 0"),
        (1, "http://127.0.0.1:9/sparql", "remote_endpoints"),
    ],
)
def test_from_endpoint_obeys_the_remote_endpoints_setting(level: int, url: str, refusal: str) -> None:
    """`KnowledgeGraph.from_endpoint` (and so `--endpoint`) is held to the setting like the app's Data page."""
    from kgexplorer import EndpointError, Settings

    def first_query() -> None:
        with KnowledgeGraph.from_endpoint(url, settings=Settings(remote_endpoints=level)) as kg:
            kg.select("SELECT ?s WHERE { ?s ?p ?o } LIMIT 1")

    with pytest.raises(EndpointError, match=refusal):
        first_query()


def test_warm_up_builds_the_search_index_and_starts_a_worker() -> None:
    with KnowledgeGraph.bundled() as kg:
        assert kg._index is None
        assert kg._workers is not None
        assert not kg._workers._all
        kg.warm_up()
        assert kg._index is not None
        assert [w.alive() for w in kg._workers._all] == [True]
        kg.warm_up()  # again: nothing more
        assert len(kg._workers._all) == 1


def test_warm_up_of_an_endpoint_sends_nothing() -> None:
    # Port 9 (discard) on loopback: a request would fail with EndpointError; warm_up must not send one.
    with KnowledgeGraph.from_endpoint("http://127.0.0.1:9/sparql") as kg:
        kg.warm_up()
