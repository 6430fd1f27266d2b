"""Reasoning: RDFS and OWL 2 RL entailments of a small hand-made ontology, kept apart from the asserted data."""

from __future__ import annotations

import gzip
from pathlib import Path

import pyoxigraph as ox
import pytest

from kgexplorer import GraphLoadError, KnowledgeGraph, SettingError
from kgexplorer.engine.reasoning import INFERRED_GRAPH, PROFILES, default_cache_dir, infer, materialise, write_inferred
from kgexplorer.engine.store import DataFile, StoreRecipe, build_store

EX = "http://example.org/"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"

ONTOLOGY = """\
@prefix ex: <http://example.org/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix owl: <http://www.w3.org/2002/07/owl#> .

ex:Dog rdfs:subClassOf ex:Animal .
ex:owns rdfs:domain ex:Person ; rdfs:range ex:Pet .
ex:hasParent owl:inverseOf ex:hasChild .
ex:ancestorOf a owl:TransitiveProperty .
ex:tagged rdfs:range ex:Tag .
"""

DATA = """\
@prefix ex: <http://example.org/> .

ex:rex a ex:Dog .
ex:alice ex:owns ex:rex ; ex:name "Alice" .
ex:bob ex:hasParent ex:carol .
ex:a ex:ancestorOf ex:b .
ex:b ex:ancestorOf ex:c .
ex:rex ex:tagged [ ex:colour "red" ] .
"""


def triple(s: str, p: str, o: str) -> ox.Triple:
    return ox.Triple(ox.NamedNode(EX + s), ox.NamedNode(p if p.startswith("http") else EX + p), ox.NamedNode(EX + o))


def is_a(s: str, cls: str) -> ox.Triple:
    return triple(s, RDF_TYPE, cls)


@pytest.fixture
def files(tmp_path: Path) -> list[DataFile]:
    (tmp_path / "ontology.ttl").write_text(ONTOLOGY, encoding="utf-8")
    (tmp_path / "data.ttl").write_text(DATA, encoding="utf-8")
    return [DataFile(str(tmp_path / "ontology.ttl")), DataFile(str(tmp_path / "data.ttl"))]


def test_rdfs_entails_subclass_domain_and_range(files: list[DataFile]) -> None:
    m = materialise(files, profile="rdfs")
    new = set(m.triples)
    assert is_a("rex", "Animal") in new  # subclass
    assert is_a("alice", "Person") in new  # domain
    assert is_a("rex", "Pet") in new  # range
    # RDFS knows nothing of inverses or transitivity.
    assert triple("carol", "hasChild", "bob") not in new
    assert triple("a", "ancestorOf", "c") not in new


def test_owl_rl_adds_inverse_and_transitive_properties(files: list[DataFile]) -> None:
    m = materialise(files, profile="owl-rl")
    new = set(m.triples)
    assert {is_a("rex", "Animal"), is_a("alice", "Person"), is_a("rex", "Pet")} <= new
    assert triple("carol", "hasChild", "bob") in new  # owl:inverseOf
    assert triple("a", "ancestorOf", "c") in new  # owl:TransitiveProperty
    assert m.inconsistencies == ()


def test_only_new_valid_triples_without_literal_subjects_or_blank_nodes(files: list[DataFile]) -> None:
    store = build_store(StoreRecipe(files=tuple(files), derive_edges=False))
    asserted = {ox.Triple(q.subject, q.predicate, q.object) for q in store}
    m = materialise(store, profile="owl-rl")
    assert m.asserted == len(asserted)
    assert not set(m.triples) & asserted
    assert all(isinstance(t.subject, ox.NamedNode) for t in m.triples)
    assert not any(isinstance(t.object, ox.BlankNode) for t in m.triples)
    # owlrl typed the literals ("Alice" a rdfs:Literal …) and the tag node (_:x a ex:Tag): both left out.
    assert m.dropped_literal_subject > 0
    assert m.dropped_blank_node > 0
    assert m.dropped_invalid == 0
    assert {ox.Triple(q.subject, q.predicate, q.object) for q in store} == asserted  # the input is untouched


def test_inconsistencies_are_reported_not_stored(tmp_path: Path) -> None:
    path = tmp_path / "clash.ttl"
    path.write_text(
        "@prefix ex: <http://example.org/> . @prefix owl: <http://www.w3.org/2002/07/owl#> .\n"
        "ex:Cat owl:disjointWith ex:Dog . ex:tom a ex:Cat , ex:Dog .\n",
        encoding="utf-8",
    )
    m = materialise([DataFile(str(path))], profile="owl-rl")
    assert m.inconsistencies
    assert any("tom" in text for text in m.inconsistencies)
    assert not any("agent-ont" in str(t) for t in m.triples)


def test_infer_writes_a_named_graph_and_reuses_the_cache(files: list[DataFile], tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    first = infer(files, profile="owl-rl", cache_dir=cache)
    assert not first.cached
    assert first.path.parent == cache
    assert first.path.name.endswith("-owl-rl.nq.gz")
    lines = gzip.decompress(first.path.read_bytes()).decode().splitlines()
    assert len(lines) == first.new_triples > 0
    assert all(line.endswith(f"<{INFERRED_GRAPH}> .") for line in lines)
    assert not any(line.startswith(('"', "_:")) for line in lines)
    stamp = first.path.stat().st_mtime_ns

    again = infer(files, profile="owl-rl", cache_dir=cache)
    assert again.cached
    assert again.path == first.path
    assert again.path.stat().st_mtime_ns == stamp  # not rewritten
    assert (again.new_triples, again.dropped_blank_node, again.dropped_literal_subject) == (
        first.new_triples,
        first.dropped_blank_node,
        first.dropped_literal_subject,
    )

    rdfs = infer(files, profile="rdfs", cache_dir=cache)
    assert not rdfs.cached
    assert rdfs.path != first.path
    assert rdfs.new_triples < first.new_triples


def test_changed_input_is_not_served_from_the_cache(files: list[DataFile], tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    first = infer(files, profile="rdfs", cache_dir=cache)
    Path(files[1].path).write_text(DATA + "ex:fido a ex:Dog .\n", encoding="utf-8")
    second = infer(files, profile="rdfs", cache_dir=cache)
    assert not second.cached
    assert second.path != first.path
    assert second.new_triples > first.new_triples


def test_inferred_triples_are_queryable_beside_the_untouched_data(files: list[DataFile], tmp_path: Path) -> None:
    recipe = StoreRecipe(files=tuple(files), derive_edges=False)
    result = infer(recipe, profile="owl-rl", cache_dir=tmp_path / "cache")
    with KnowledgeGraph(recipe.with_extra([result.data_file])) as kg:
        # The default graph is the union: inferred triples answer ordinary queries.
        assert kg.sparql(f"ASK {{ <{EX}rex> a <{EX}Animal> . <{EX}a> <{EX}ancestorOf> <{EX}c> }}").value
        # They live in their own named graph; asserted triples are not copied there.
        assert kg.sparql(f"ASK {{ GRAPH <{INFERRED_GRAPH}> {{ <{EX}carol> <{EX}hasChild> <{EX}bob> }} }}").value
        assert not kg.sparql(f"ASK {{ GRAPH <{INFERRED_GRAPH}> {{ <{EX}rex> a <{EX}Dog> }} }}").value
        assert len(kg) == result.asserted + result.new_triples


def test_write_inferred_is_deterministic_and_deduplicated(tmp_path: Path) -> None:
    triples = [is_a("b", "Animal"), is_a("a", "Animal"), is_a("b", "Animal")]
    assert write_inferred(triples, tmp_path / "one.nq.gz") == 2
    write_inferred(list(reversed(triples)), tmp_path / "two.nq.gz")
    assert (tmp_path / "one.nq.gz").read_bytes() == (tmp_path / "two.nq.gz").read_bytes()


def test_bad_requests_raise_clear_errors(files: list[DataFile], tmp_path: Path) -> None:
    with pytest.raises(SettingError, match="unknown reasoning profile 'owl-dl'; use one of: rdfs, owl-rl"):
        infer(files, profile="owl-dl", cache_dir=tmp_path)  # type: ignore[arg-type]
    with pytest.raises(GraphLoadError, match="reasoning needs the RDF files"):
        infer(StoreRecipe(store_dir=str(tmp_path)), profile="rdfs", cache_dir=tmp_path)
    with pytest.raises(GraphLoadError, match=r"reasoning over \d+ triples was refused: the reasoning limit is 3"):
        materialise(files, profile="rdfs", max_triples=3)
    not_a_dir = tmp_path / "file"
    not_a_dir.write_text("", encoding="utf-8")
    with pytest.raises(GraphLoadError, match="choose a writable cache directory"):
        infer(files, profile="rdfs", cache_dir=not_a_dir)
    with pytest.raises(GraphLoadError, match="no such file"):
        infer([DataFile(str(tmp_path / "missing.ttl"))], profile="rdfs", cache_dir=tmp_path)


def test_profiles_and_default_cache_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    assert PROFILES == ("rdfs", "owl-rl")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert default_cache_dir() == tmp_path / "kgexplorer" / "inferred"
