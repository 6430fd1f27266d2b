"""Template queries on a backend (kgexplorer.engine.backend): values bound as terms, never as text; rows capped and
said so; a broken template is a typed error."""

from __future__ import annotations

from pathlib import Path

import pytest

from kgexplorer import KnowledgeGraph, QuerySyntaxError
from kgexplorer.engine.backend import run_template, values_clause
from kgexplorer.engine.store import DataFile, StoreRecipe, build_store
from kgexplorer.terms import IRI, Literal

EX = "http://example.org/"
INJECTION = "\"} ; DROP ALL # \\\" ''' >"


def test_values_clause_binds_terms_in_their_sparql_syntax() -> None:
    clause = values_clause({"e": IRI(f"{EX}a"), "l": [Literal("x", language="en"), Literal('"y"')]})
    assert clause == f'VALUES (?e ?l) {{ (<{EX}a> "x"@en) (<{EX}a> "\\"y\\"") }}'


@pytest.mark.parametrize("iri", [f"{EX}a> }} DROP ALL #", f"{EX}a b", f"{EX}<x", "no scheme"])
def test_values_clause_rejects_iris_that_could_break_out(iri: str) -> None:
    with pytest.raises(ValueError, match="IRI"):
        values_clause({"e": IRI(iri)})


@pytest.mark.parametrize("name", ["a b", "?e", "", "e}", "1e", "e-f"])
def test_values_clause_rejects_bad_variable_names(name: str) -> None:
    with pytest.raises(ValueError, match="invalid SPARQL variable name"):
        values_clause({name: IRI(f"{EX}a")})


def test_values_clause_needs_columns_of_equal_length() -> None:
    with pytest.raises(ValueError, match="same number of values"):
        values_clause({"a": [IRI(f"{EX}a"), IRI(f"{EX}b")], "b": [IRI(f"{EX}a")] * 3})


@pytest.fixture(scope="module")
def tiny_store(tmp_path_factory: pytest.TempPathFactory) -> object:
    path: Path = tmp_path_factory.mktemp("query") / "tiny.ttl"
    escaped = INJECTION.replace("\\", "\\\\").replace('"', '\\"')
    path.write_text(
        f"@prefix ex: <{EX}> .\n@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n"
        f'ex:a rdfs:label "{escaped}" .\nex:b rdfs:label "B" .\nex:c rdfs:label "C" .\n',
        encoding="utf-8",
    )
    return build_store(StoreRecipe(files=(DataFile(str(path)),), derive_edges=False))


def test_run_template_binds_a_hostile_literal_as_a_literal(tiny_store: object) -> None:
    before = len(tiny_store)  # type: ignore[arg-type]
    result = run_template(tiny_store, "SELECT ?s WHERE { ?s rdfs:label ?l }", values={"l": Literal(INJECTION)})
    assert result.rows == ((IRI(f"{EX}a"),),)
    assert len(tiny_store) == before  # type: ignore[arg-type]


def test_run_template_caps_rows_and_says_so(tiny_store: object) -> None:
    result = run_template(tiny_store, "SELECT ?s WHERE { ?s rdfs:label ?l } ORDER BY ?s", max_rows=2)
    assert (len(result.rows), result.truncated, result.row_limit) == (2, True, 2)


def test_run_template_needs_a_where_block_to_bind_values(tiny_store: object) -> None:
    with pytest.raises(ValueError, match="WHERE"):
        run_template(tiny_store, "SELECT ?s { ?s ?p ?o }", values={"s": IRI(f"{EX}a")})


def test_a_broken_template_is_a_typed_error(tiny_store: object) -> None:
    with pytest.raises(QuerySyntaxError, match="internal template query does not parse"):
        run_template(tiny_store, "SELECT ?s WHERE { ?s ?p }")


def test_kg_select_runs_templates_on_the_bundled_graph(kg: KnowledgeGraph) -> None:
    result = kg.select(
        "SELECT ?label WHERE { ?e rdfs:label ?label }", values={"e": IRI("https://w3id.org/kgexplorer/id/ketamine")}
    )
    assert [str(r["label"]) for r in result] == ["Ketamine"]
