"""The shapes' SPARQL-based constraints evaluated by Oxigraph (kgexplorer.engine.shacl_sparql) give exactly the
results pyshacl gives for them, and only the constraints it can evaluate so are taken from pyshacl."""

from __future__ import annotations

from pathlib import Path

import pyshacl
import pytest
from rdflib import Graph, URIRef
from rdflib.namespace import SH

from kgexplorer.engine import shacl_sparql, validation
from kgexplorer.engine.store import bundled_graph_dir

# Each SPARQL-based rule of graph/shapes.ttl broken at least once, beside nodes that keep them; kg:broken_drug
# is a kgx:Substance, so the entity rule (targetClass kgx:Entity) only reaches it through rdfs:subClassOf.
SMALL = """\
@prefix kg: <https://w3id.org/kgexplorer/id/> .
@prefix kgx: <https://w3id.org/kgexplorer/vocab#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix dcterms: <http://purl.org/dc/terms/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .

kg:broken_drug a kgx:Substance ; rdfs:label "Broken drug"@en ; skos:definition "No source."@en ;
    kgx:relatedCondition kg:nowhere ; kgx:actsOn kg:kept_drug ; kgx:noSuchTerm "x" .
kg:kept_drug a kgx:Substance ; rdfs:label "Kept drug"@en ; skos:definition "Sourced."@en ;
    dcterms:source <https://example.org/kept> .
kg:bare_study a kgx:Study ; rdfs:label "Bare 2020"@en ; dcterms:source <https://example.org/bare> .
kg:dated_study a kgx:Study ; rdfs:label "Dated 2021"@en ; dcterms:source <https://example.org/dated> ;
    kgx:year "2021"^^xsd:gYear ; kgx:unverifiedField "doi" ; kgx:retracted true .
kg:rat_claim a kgx:Claim ; kgx:subject kg:kept_drug ; kgx:predicate kgx:actsOn ; kgx:object kg:kept_drug ;
    dcterms:source <https://example.org/claim> ; kgx:evidenceLevel kgx:Preclinical ;
    kgx:supportedBy kg:dated_study , kg:bare_study .
kg:modelled_claim a kgx:Claim ; kgx:evidenceLevel kgx:Preclinical ; kgx:modelNote "in rats"@en .
"""


def _shapes() -> Graph:
    return Graph().parse(bundled_graph_dir() / "shapes.ttl", format="turtle")


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("shacl") / "small.ttl"
    path.write_text(SMALL, encoding="utf-8")
    return path


def test_oxigraph_gives_what_pyshacl_gives_for_every_sparql_rule(small: Path) -> None:
    # pyshacl on its own, every constraint of the shapes (the way validate() worked before this module)
    data = Graph()
    for path in (bundled_graph_dir() / "ontology.ttl", small):
        data.parse(path, format="turtle")
    shapes = _shapes()
    _, results, _ = pyshacl.validate(data, shacl_graph=shapes, inference="none", advanced=True, allow_warnings=True)
    by_pyshacl = sorted(validation._problems(results, shapes), key=lambda p: (p.node, p.rule))

    report = validation.validate([str(small)])

    assert report.problems == tuple(by_pyshacl)
    rules = {p.rule for p in report.problems}
    taken = shacl_sparql.split(_shapes())
    assert len(taken) == 8, "graph/shapes.ttl has eight SPARQL-based constraints, all evaluated by Oxigraph"
    assert {c.message for c in taken} <= rules, "each SPARQL-based rule should be broken once in SMALL"
    assert "kg:kept_drug" not in {p.node for p in report.problems if p.rule.startswith("every entity cites")}


def test_what_oxigraph_cannot_evaluate_exactly_stays_with_pyshacl() -> None:
    shapes = Graph().parse(
        data="""
        @prefix sh: <http://www.w3.org/ns/shacl#> . @prefix ex: <http://example.org/> .
        ex:Objects a sh:NodeShape ; sh:targetObjectsOf ex:p ; sh:sparql [ sh:select "SELECT $this WHERE {}" ] .
        ex:Asks a sh:NodeShape ; sh:targetClass ex:C ; sh:sparql [ sh:ask "ASK {}" ] .
        ex:Path a sh:NodeShape ; sh:targetClass ex:C ; sh:sparql [ sh:select "SELECT $this WHERE { $this $PATH ?v }" ] .
        ex:Template a sh:NodeShape ; sh:targetClass ex:C ;
            sh:sparql [ sh:select "SELECT $this ?v WHERE { $this ex:q ?v }" ; sh:message "{?v} is wrong" ] .
        ex:Off a sh:NodeShape ; sh:targetClass ex:C ;
            sh:sparql [ sh:select "SELECT $this WHERE { $this ex:q 1 }" ; sh:deactivated true ] .
        ex:Taken a sh:NodeShape ; sh:targetNode ex:n ;
            sh:sparql [ sh:select "SELECT $this WHERE { $this ex:q 2 }" ; sh:message "no 2" ] .
        """,
        format="turtle",
    )
    taken = shacl_sparql.split(shapes)

    assert [(c.shape, c.message, c.target_nodes) for c in taken] == [
        ("http://example.org/Taken", "no 2", ("http://example.org/n",))
    ]
    ex = "http://example.org/"
    kept = {str(s) for s, _ in shapes.subject_objects(SH.sparql)}
    assert kept == {ex + "Objects", ex + "Asks", ex + "Path", ex + "Template"}  # ex:Off is dropped, as SHACL says
    assert (URIRef(ex + "Taken"), SH.sparql, None) not in shapes
