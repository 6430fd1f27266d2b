"""Names and kinds (kgexplorer.model.labels): the label a person reads and the kind of a node, on any RDF."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import pytest

from kgexplorer import KnowledgeGraph
from kgexplorer.engine.backend import run_template
from kgexplorer.engine.results import SelectResult
from kgexplorer.engine.store import DataFile, StoreRecipe, build_store
from kgexplorer.model.labels import (
    KINDS,
    LABEL_PREDICATES,
    fetch_kinds,
    fetch_labels,
    is_name_predicate,
    kind_of,
    local_name,
)
from kgexplorer.namespaces import KG, KGX
from kgexplorer.terms import Term

EX = "http://example.org/"


class StoreBackend:
    """The Backend protocol over an in-memory store, counting the queries it answers."""

    def __init__(self, store: object) -> None:
        self.store = store
        self.queries = 0

    def select(
        self,
        query: str,
        *,
        values: Mapping[str, Term | Sequence[Term]] | None = None,
        max_rows: int | None = None,
    ) -> SelectResult:
        self.queries += 1
        return run_template(self.store, query, values=values, max_rows=max_rows)


@pytest.fixture(scope="module")
def backend(tmp_path_factory: pytest.TempPathFactory) -> StoreBackend:
    path: Path = tmp_path_factory.mktemp("labels") / "names.ttl"
    path.write_text(
        f"@prefix ex: <{EX}> .\n@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n"
        "@prefix skos: <http://www.w3.org/2004/02/skos/core#> .\n@prefix schema: <http://schema.org/> .\n"
        f"@prefix kgx: <{KGX}> .\n@prefix owl: <http://www.w3.org/2002/07/owl#> .\n"
        'ex:fr rdfs:label "Kétamine"@fr , "Ketamine"@en .\n'
        'ex:pref skos:prefLabel "Preferred" ; schema:name "Schema name" .\n'
        'ex:named schema:name "Only a schema name" .\n'
        'ex:untagged rdfs:label "Untagged" ; skos:prefLabel "Also preferred"@en .\n'
        'ex:foreign rdfs:label "Nur Deutsch"@de .\n'
        "ex:thing a kgx:Dissociative , kgx:Substance .\n"
        "ex:person a ex:Person , owl:Thing .\n"
        "ex:classy a owl:Class .\n"
        '<http://example.org/onto#student> <http://example.org/onto#name> "Student Name" .\n'
        '<http://example.org/onto#titled> <http://example.org/onto/title> "A title" ; ex:nickname "Nick" .\n'
        'ex:both rdfs:label "Proper label"@de ; <http://example.org/onto#name> "Generic name" .\n'
        'ex:foaf <http://xmlns.com/foaf/0.1/name> "Foaf name" ; <http://purl.org/dc/terms/title> "DC title" .\n',
        encoding="utf-8",
    )
    return StoreBackend(build_store(StoreRecipe(files=(DataFile(str(path)),), derive_edges=False)))


@pytest.mark.parametrize(
    ("iri", "label"),
    [
        ("fr", "Ketamine"),  # English before other languages
        ("pref", "Preferred"),  # skos:prefLabel before schema:name
        ("named", "Only a schema name"),
        ("untagged", "Untagged"),  # rdfs:label before skos:prefLabel, untagged counts as English
        ("foreign", "Nur Deutsch"),  # any language before the local name
        ("no_label_here", "no label here"),  # the local name, underscores as spaces
        ("foaf", "Foaf name"),  # foaf:name before dcterms:title
    ],
)
def test_fetch_labels_prefers_english_rdfs_labels(backend: StoreBackend, iri: str, label: str) -> None:
    assert fetch_labels(backend, [EX + iri])[EX + iri] == label


def test_fetch_labels_batches_and_keeps_every_iri(backend: StoreBackend) -> None:
    iris = [f"{EX}n{i}" for i in range(25)] + [EX + "fr", EX + "fr"]
    before = backend.queries
    labels = fetch_labels(backend, iris, batch=10)
    # 26 distinct IRIs in batches of 10, then the 25 without a label again, asked for a name or title
    assert backend.queries - before == 3 + 3
    assert len(labels) == 26
    assert labels[EX + "n7"] == "n7"


@pytest.mark.parametrize(
    ("iri", "kind"),
    [
        ("thing", "Substance"),  # the project class wins over its subclasses
        ("person", "Person"),  # else the type's local name, skipping OWL and RDFS classes
        ("classy", "Resource"),
        ("fr", "Resource"),  # untyped
    ],
)
def test_fetch_kinds(backend: StoreBackend, iri: str, kind: str) -> None:
    assert fetch_kinds(backend, [EX + iri]) == {EX + iri: kind}


def test_kind_of_picks_the_most_specific_project_kind() -> None:
    assert kind_of([KGX + "Study", KGX + "Substance"]) == "Substance"
    assert kind_of([KGX + "Statistic"]) == "Real-world figure"
    assert kind_of(["http://example.org/onto#Person"]) == "Person"
    assert kind_of([]) == "Resource"
    assert [name for _, name in KINDS][:2] == ["Substance", "Mechanism"]


@pytest.mark.parametrize(
    ("iri", "name"),
    [
        (KG + "alcohol_use_disorder", "alcohol use disorder"),
        ("http://www.w3.org/2000/01/rdf-schema#label", "label"),
        ("http://example.org/path/", "path"),
        ("urn:isbn:0451450523", "0451450523"),
        ("http://example.org/caf%C3%A9", "café"),
    ],
)
def test_local_name(iri: str, name: str) -> None:
    assert local_name(iri) == name


def test_labels_of_the_bundled_graph(kg: KnowledgeGraph) -> None:
    assert kg.label(KG + "ketamine") == "Ketamine"
    assert kg.label(KGX + "testedFor") == "tested as a treatment for"


@pytest.mark.parametrize(
    ("iri", "label"),
    [
        ("http://example.org/onto#student", "Student Name"),  # LUBM's ub:name: a predicate named "name"
        ("http://example.org/onto#titled", "A title"),  # ".../title"; "nickname" is not a name predicate
        (EX + "both", "Proper label"),  # a generic name only when none of LABEL_PREDICATES is there
    ],
)
def test_any_name_or_title_predicate_labels_a_node_without_a_label(backend: StoreBackend, iri: str, label: str) -> None:
    assert fetch_labels(backend, [iri])[iri] == label


def test_name_predicates() -> None:
    assert is_name_predicate("http://www.lehigh.edu/~zhp2/2004/0401/univ-bench.owl#name")
    assert is_name_predicate("http://purl.org/dc/elements/1.1/title")
    assert is_name_predicate(LABEL_PREDICATES[0])
    assert not is_name_predicate("http://example.org/surname")
    assert not is_name_predicate("http://example.org/name/of")


def test_subclass_kinds_follow_the_ontology() -> None:
    """Every subclass of a kind in graph/ontology.ttl maps to that kind, so a node typed only with a subclass
    (a care model, a drug label) is shown as a therapy or a source document, not as an unknown kind."""
    from rdflib import Graph
    from rdflib.namespace import RDFS as RDFS_NS

    from kgexplorer.engine.store import bundled_graph_dir
    from kgexplorer.model.labels import SUBCLASS_KINDS

    g = Graph()
    g.parse(bundled_graph_dir() / "ontology.ttl", format="turtle")
    kinds = dict(KINDS)
    expected = {}
    for sub, sup in g.subject_objects(RDFS_NS.subClassOf):
        local, parent = str(sub).rsplit("#", 1)[-1], str(sup).rsplit("#", 1)[-1]
        if local not in kinds and parent in kinds and parent != "Entity":
            expected[local] = kinds[parent]
    assert expected == SUBCLASS_KINDS
    assert kind_of([KGX + "CareModel"]) == "Therapy"
    assert kind_of([KGX + "DrugLabel"]) == "Source document"
