"""Values bound beside a query's text (issue 16's decision): pyoxigraph's substitutions in the guarded worker, a
trailing VALUES on a remote engine (a real Oxigraph server), answers kept apart by binding, true error lines."""

from __future__ import annotations

import asyncio
import re

import pytest

from kgexplorer import KnowledgeGraph, QuerySyntaxError, SelectResult
from kgexplorer.engine.bindings import bindings, with_trailing_values
from kgexplorer.engine.result_cache import AnswerKey, ResultCache
from kgexplorer.engine.serialization import Answer
from kgexplorer.errors import QueryError
from kgexplorer.model.gallery import get_query, load_gallery
from kgexplorer.terms import IRI, BlankNode, Literal

KG = "https://w3id.org/kgexplorer/id/"
LABELS = "SELECT ?s ?label\nWHERE { ?s rdfs:label ?label }\nORDER BY ?label"
PARAMETERISED = [q.name for q in load_gallery() if q.params]


def _labels(result: object) -> list[str]:
    assert isinstance(result, SelectResult)
    return [str(row["label"]) for row in result]


def _cells(result: SelectResult) -> list[list[list[str]]]:
    """Each cell's words, sorted: GROUP_CONCAT's order is the engine's own (the store on disk differs)."""
    return [[sorted(re.split(r"[\s;,|]+", str(value))) for value in row] for row in result.rows]


def test_bindings_are_checked_and_sorted() -> None:
    assert bindings({"b": IRI(KG + "x"), "a": Literal("1")}) == (("a", Literal("1")), ("b", IRI(KG + "x")))
    assert bindings(None) == ()
    with pytest.raises(QueryError, match="not a SPARQL variable name"):
        bindings({"a b": IRI(KG + "x")})
    with pytest.raises(QueryError, match="not BlankNode"):
        bindings({"a": BlankNode("b0")})
    with pytest.raises(QueryError, match="invalid value"):
        bindings({"a": IRI("http://x/a> } DROP ALL #")})


def test_a_bound_query_runs_unchanged_in_the_worker(kg: KnowledgeGraph) -> None:
    ketamine = kg.sparql(LABELS, bindings={"s": IRI(KG + "ketamine")})
    psilocybin = kg.sparql(LABELS, bindings={"s": IRI(KG + "psilocybin")})
    assert _labels(ketamine) == ["Ketamine"]
    assert _labels(psilocybin) == ["Psilocybin"]
    assert len(kg.sparql(LABELS + " LIMIT 20")) == 20  # the same text, unbound: every label


def test_the_endpoints_cache_keeps_two_bindings_apart() -> None:
    async def ask(kg: KnowledgeGraph, iri: str) -> bytes:
        answer = await kg.answer(
            LABELS, select_format="json", graph_format="turtle", client="tester", bindings={"s": IRI(KG + iri)}
        )
        try:
            return b"".join(answer.chunks)
        finally:
            answer.close()

    with KnowledgeGraph.bundled() as kg:
        ketamine = asyncio.run(ask(kg, "ketamine"))
        psilocybin = asyncio.run(ask(kg, "psilocybin"))
        assert b'"Ketamine"' in ketamine
        assert b"Psilocybin" not in ketamine
        assert b'"Psilocybin"' in psilocybin
        assert b"Ketamine" not in psilocybin
        answered = kg.query_counts()["answered"]
        assert asyncio.run(ask(kg, "ketamine")) == ketamine  # the same binding again: remembered
        counts = kg.query_counts()
        assert (counts["answered"], counts["cache_hits"]) == (answered, 1)


def test_an_answer_key_differs_by_its_bindings() -> None:
    cache = ResultCache(max_bytes=1 << 20)
    key = AnswerKey("q", "json", None, 10, 1 << 20, bindings({"s": IRI(KG + "ketamine")}))
    cache.put(key, Answer("select", "json", [b"{}"], 2, False, 10, 0.1))
    assert cache.get(key) is not None
    assert cache.get(AnswerKey("q", "json", None, 10, 1 << 20, bindings({"s": IRI(KG + "psilocybin")}))) is None
    assert cache.get(AnswerKey("q", "json", None, 10, 1 << 20)) is None


@pytest.mark.parametrize("name", PARAMETERISED)
def test_every_gallery_question_answers_alike_on_a_remote_engine(
    kg: KnowledgeGraph, remote_kg: KnowledgeGraph, name: str
) -> None:
    """Locally the values are substitutions; on Oxigraph server a trailing VALUES: the same answer."""
    q = get_query(name)
    here, there = q.run(kg), q.run(remote_kg)
    assert len(here) >= 1
    assert type(here) is type(there)
    if isinstance(here, SelectResult):
        assert isinstance(there, SelectResult)
        assert here.variables == there.variables
        assert _cells(here) == _cells(there)
    else:
        assert sorted(map(str, here)) == sorted(map(str, there))


def test_a_trailing_values_clause_binds_on_a_remote_engine(remote_kg: KnowledgeGraph) -> None:
    assert _labels(remote_kg.sparql(LABELS, bindings={"s": IRI(KG + "ketamine")})) == ["Ketamine"]
    assert with_trailing_values("ASK {} # no newline", bindings({"s": Literal("x")})).endswith(
        '# no newline\nVALUES (?s) { ("x") }'
    )


BROKEN = "SELECT ?s ?label\nWHERE {\n  ?s rdfs:label ?label ;\n     nonsense here\n}"


@pytest.mark.parametrize("where", ["local", "remote"])
def test_a_syntax_error_keeps_its_true_line_when_values_are_bound(
    kg: KnowledgeGraph, remote_kg: KnowledgeGraph, where: str
) -> None:
    graph = kg if where == "local" else remote_kg
    with pytest.raises(QuerySyntaxError) as unbound:
        graph.sparql(BROKEN)
    with pytest.raises(QuerySyntaxError) as bound:
        graph.sparql(BROKEN, bindings={"s": IRI(KG + "ketamine")})
    assert bound.value.line == unbound.value.line == 4
    assert bound.value.column == unbound.value.column


def test_a_query_with_its_own_trailing_values_is_told_why_on_a_remote_engine(remote_kg: KnowledgeGraph) -> None:
    with pytest.raises(QuerySyntaxError, match="VALUES clause after the query"):
        remote_kg.sparql(LABELS + "\nVALUES ?s { kg:ketamine }", bindings={"s": IRI(KG + "psilocybin")})
