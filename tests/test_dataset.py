"""graph/dataset.ttl describes the bundled graph truthfully: its VoID counts equal what the graph holds, and it
names the dataset's title, version, licence and creator."""

from __future__ import annotations

import dataclasses
import re

from kgexplorer import IRI, KnowledgeGraph
from kgexplorer.engine.backend import run_template
from kgexplorer.engine.store import StoreRecipe, build_store

DATASET = "kg:dataset"


def _number(kg: KnowledgeGraph, query: str, **values: IRI) -> int:
    rows = kg.select(query, values=values or None).rows
    assert len(rows) == 1, f"expected one row from: {query}"
    assert rows[0][0] is not None, f"expected a number from: {query}"
    return int(str(rows[0][0]))


def test_void_triples_count_the_bundled_files_before_edges_are_derived(kg: KnowledgeGraph) -> None:
    store = build_store(dataclasses.replace(StoreRecipe.bundled(), derive_edges=False))
    held = int(str(run_template(store, "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }").rows[0][0]))
    declared = _number(kg, f"SELECT ?n WHERE {{ {DATASET} void:triples ?n }}")
    assert declared == held, f"dataset.ttl says void:triples {declared}; the bundled files hold {held} triples"
    # loading adds only the derived direct edges, none of which may already be written in the files
    assert len(kg) == held + kg.stats().direct_edges


def test_void_entities_count_the_instances_of_entity_classes(kg: KnowledgeGraph) -> None:
    held = _number(kg, "SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s a ?c . ?c rdfs:subClassOf* kgx:Entity }")
    declared = _number(kg, f"SELECT ?n WHERE {{ {DATASET} void:entities ?n }}")
    assert declared == held, f"dataset.ttl says void:entities {declared}; the graph holds {held} entities"


def test_each_class_partition_counts_its_class(kg: KnowledgeGraph) -> None:
    partitions = kg.select(
        f"SELECT ?class ?n WHERE {{ {DATASET} void:classPartition ?p . ?p void:class ?class ; void:entities ?n }}"
    ).rows
    assert len(partitions) >= 5, "dataset.ttl should count the main classes (void:classPartition)"
    wrong = {}
    for cls, declared in partitions:
        assert isinstance(cls, IRI)
        held = _number(kg, "SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s a/rdfs:subClassOf* ?class }", **{"class": cls})
        if int(str(declared)) != held:
            wrong[cls.value] = f"declared {declared}, held {held}"
    assert not wrong, f"void:classPartition counts that do not match the graph: {wrong}"


def test_dataset_names_title_version_licence_and_creator(kg: KnowledgeGraph) -> None:
    info = kg.metadata()
    assert info.title
    assert info.creator
    assert re.fullmatch(r"\d+\.\d+\.\d+", info.version), info.version
    assert info.licence.startswith("https://creativecommons.org/licenses/"), info.licence
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", info.issued), info.issued
    assert f"version {info.version}" in info.citation, "the citation should name the dataset version"
