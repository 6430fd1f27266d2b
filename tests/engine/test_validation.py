"""validate() and ``kgexplorer validate``: the bundled graph conforms, and broken graphs fail by the rule they break.

A SHACL run over the whole graph takes a few seconds of CPU (half a minute before its SPARQL-based constraints ran in
Oxigraph), so the whole graph is validated only twice per
test run: as it ships (conftest's ``bundled_validation``, reached here through the CLI with the library call
recorded, so its report is checked too) and as one broken copy that carries every breakage at once. The CLI's
failure path runs on a small file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from rdflib import Graph, Literal, Namespace

from kgexplorer.cli.commands import cli
from kgexplorer.engine import validation
from kgexplorer.engine.store import bundled_data_files
from kgexplorer.engine.validation import ValidationReport

# One worker runs the whole file, so the broken copy (a module fixture, one SHACL run of the whole graph) is
# validated once per run, not once on each worker.
pytestmark = pytest.mark.xdist_group("shacl")

KG = Namespace("https://w3id.org/kgexplorer/id/")
KGX = Namespace("https://w3id.org/kgexplorer/vocab#")
DCT = Namespace("http://purl.org/dc/terms/")

# breakage -> (node the report names, the rule it states)
EXPECTED = {
    "claim without a source": (
        "kg:claim_ketamine__testedFor__alcohol_use_disorder",
        "every claim has at least one source",
    ),
    "malformed DOI": ("kg:dakwar_2019", "a DOI is an https://doi.org/10.… IRI"),
    "dangling kg: IRI": (
        "kg:no_such_condition",
        "every IRI in the kg: namespace that is used as an object is typed and labelled (no dangling links)",
    ),
    "hand-written direct edge": (
        "kg:lsd kgx:testedFor kg:ptsd",
        "direct edges are derived from claims, never written by hand",
    ),
    "retracted study as evidence": ("kg:claim_mdma__testedFor__ptsd", "a retracted paper is never evidence"),
    "preclinical claim without species": (
        "kg:claim_ketamine__actsOn__glutamate_surge",
        "a claim about an animal or cell model must say so: preclinical evidence needs a species or model",
    ),
}


def _break(graph: Graph) -> None:
    """Apply every breakage of EXPECTED to a copy of the bundled graph."""
    graph.remove((KG.claim_ketamine__testedFor__alcohol_use_disorder, DCT.source, None))
    graph.remove((KG.dakwar_2019, KGX.doi, None))
    graph.add((KG.dakwar_2019, KGX.doi, Literal("10.1176/appi.ajp.2019.18101123")))  # a string, not a doi.org IRI
    graph.add((KG.ketamine, KGX.relatedCondition, KG.no_such_condition))
    graph.add((KG.lsd, KGX.testedFor, KG.ptsd))
    graph.add((KG.mithoefer_2011, KGX.retracted, Literal(True)))
    graph.remove((KG.claim_ketamine__actsOn__glutamate_surge, KGX.species, None))


@pytest.fixture(scope="module")
def broken_report(tmp_path_factory: pytest.TempPathFactory) -> ValidationReport:
    graph = Graph()
    for path in bundled_data_files():
        graph.parse(path, format="turtle")
    # the breakages must start from a graph that really has what they take away (a rat-only claim)
    assert (KG.claim_ketamine__actsOn__glutamate_surge, KGX.evidenceKind, KGX.PreclinicalKind) in graph
    assert (KG.claim_ketamine__actsOn__glutamate_surge, KGX.species, KGX.Rat) in graph
    assert (KG.claim_mdma__testedFor__ptsd, KGX.supportedBy, KG.mithoefer_2011) in graph
    _break(graph)
    path = tmp_path_factory.mktemp("broken") / "broken-graph.ttl"
    graph.serialize(path, format="turtle")
    return validation.validate([str(path)])


@pytest.mark.slow
def test_bundled_graph_conforms_through_the_library_and_the_cli(
    validation_calls: list[tuple[Any, ValidationReport]],
) -> None:
    # `kgexplorer validate` as the README writes it; the library's report is conftest's bundled_validation, the one
    # SHACL run of the shipped graph per test run (validate() with the very arguments the CLI passes).
    result = CliRunner().invoke(cli, ["validate"])
    assert result.exit_code == 0, result.output
    assert "conforms" in result.output
    assert len(validation_calls) == 1, "the CLI should validate once"
    files, report = validation_calls[0]
    assert files is None, "without FILES the CLI validates the bundled graph"
    assert report.conforms, report.to_text()
    assert report.problems == ()
    assert report.files == tuple(str(p) for p in bundled_data_files())


@pytest.mark.slow
@pytest.mark.parametrize("breakage", list(EXPECTED))
def test_broken_graph_fails_with_the_expected_rule(broken_report: ValidationReport, breakage: str) -> None:
    node, rule = EXPECTED[breakage]
    assert not broken_report.conforms
    found = [p for p in broken_report.problems if p.node == node and p.rule == rule]
    assert found, f"{breakage}: no problem ({node}, {rule!r}) in:\n{broken_report.to_text()}"
    # the fix comes from the shape's kgx:fix, not the generic fallback
    assert all(p.fix and p.fix != "see graph/shapes.ttl" for p in found)


@pytest.mark.slow
def test_broken_graph_reports_nothing_else(broken_report: ValidationReport) -> None:
    assert {(p.node, p.rule) for p in broken_report.problems} == set(EXPECTED.values()), broken_report.to_text()


_SMALL_BROKEN_FILE = """\
@prefix kg: <https://w3id.org/kgexplorer/id/> .
@prefix kgx: <https://w3id.org/kgexplorer/vocab#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix dcterms: <http://purl.org/dc/terms/> .

kg:drug_x a kgx:Substance ; rdfs:label "Drug X"@en ; skos:definition "A test substance."@en ;
    dcterms:source <https://example.org/drug-x> .
kg:disorder_y a kgx:Condition ; rdfs:label "Disorder Y"@en ; skos:definition "A test condition."@en ;
    dcterms:source <https://example.org/disorder-y> .
kg:claim_without_source a kgx:Claim ; rdfs:label "Drug X tested for disorder Y"@en ;
    kgx:subject kg:drug_x ; kgx:predicate kgx:testedFor ; kgx:object kg:disorder_y ;
    kgx:evidenceLevel kgx:OpenLabel ; kgx:resultDirection kgx:Supports ;
    kgx:explanation "An open-label test claim."@en .
"""


@pytest.mark.slow
def test_cli_exits_1_and_prints_node_rule_and_fix(tmp_path: Path) -> None:
    path = tmp_path / "claim.ttl"
    path.write_text(_SMALL_BROKEN_FILE, encoding="utf-8")
    result = CliRunner().invoke(cli, ["validate", str(path)])
    assert result.exit_code == 1, result.output
    assert "1 problem(s) in 1 file(s)" in result.output
    assert "kg:claim_without_source\n  rule: every claim has at least one source\n  fix:  add dcterms:source" in (
        result.output
    )
    assert "Traceback" not in result.output


def test_cli_reports_an_unparsable_file_in_one_line(tmp_path: Path) -> None:
    path = tmp_path / "not-rdf.ttl"
    path.write_text("this is not Turtle .\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["validate", str(path)])
    assert result.exit_code == 1
    assert "not-rdf.ttl could not be parsed" in result.output
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
