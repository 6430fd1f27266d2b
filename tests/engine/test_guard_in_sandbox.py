"""The guard at native speed (kgexplorer.engine.guard.check_in_sandbox) and how a sandboxed worker uses it:
what the scan lets straight through the full parse accepts with the same form; everything else takes the
full parse; refusals keep the full parse's clear messages (the error path)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from kgexplorer import KnowledgeGraph, QueryNotAllowed, QuerySyntaxError, Settings
from kgexplorer.engine import query_workers as worker_module
from kgexplorer.engine.guard import check_in_sandbox, check_query
from kgexplorer.engine.results import AskResult, SelectResult

ALTERED = str(Path(__file__).resolve().parents[1] / "altered_worker.py")

PASSED_NATIVELY = [
    ("SELECT ?s WHERE { ?s ?p ?o } LIMIT 3", "SELECT"),
    ("select distinct ?s where { ?s a kgx:Substance } order by ?s", "SELECT"),
    ("ASK { kg:ketamine a kgx:Substance }", "ASK"),
    ("CONSTRUCT WHERE { ?s rdfs:label ?l }", "CONSTRUCT"),
    ("DESCRIBE kg:ketamine", "DESCRIBE"),
    ("PREFIX ex: <http://example.org/from/service>\nBASE <http://x/>\nSELECT * WHERE { ?s ex:p 'FROM' }", "SELECT"),
    ("# SERVICE <http://x> in a comment\nSELECT (COUNT(*) AS ?n) WHERE { { SELECT ?s WHERE { ?s ?p ?o } } }", "SELECT"),
    ("PREFIX select: <http://x/>\nASK { ?s select:p ?o }", "ASK"),
]

TAKE_THE_FULL_PARSE = [
    "SELECT * WHERE { ?s ?p ?o . ?s <http://x/p> ?from }",  # the word, even as a variable
    "SELECT * WHERE { ?s ?p ?o .SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }",  # missed by the lexical screen
    "SELECT * WHERE { ?s ?p 'a\\u0022' }",  # an escape: the two parsers read it differently
    "SELECT * WHERE { << ?s ?p ?o >> ?q ?r }",  # SPARQL 1.2 syntax
    "ASK { FILTER(" + "!" * 40 + "true) }",  # a long run of one operator: deep recursion
    "SELECT * WHERE {" + " { SELECT * WHERE {" * 70 + " }" * 71,  # deep nesting
    "INSERT DATA { <http://x/a> <http://x/b> <http://x/c> }",  # not a query form
    "LOAD <http://127.0.0.1:9/x>",
    "WITH <http://x/g> DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }",
]


@pytest.mark.parametrize(("query", "form"), PASSED_NATIVELY)
def test_what_the_scan_passes_the_full_parse_accepts_with_the_same_form(query: str, form: str) -> None:
    checked = check_in_sandbox(query)
    assert checked is not None
    assert checked.form == form == check_query(query).form
    assert checked.text == check_query(query).text


@pytest.mark.parametrize("query", TAKE_THE_FULL_PARSE)
def test_anything_the_scan_cannot_decide_takes_the_full_parse(query: str) -> None:
    assert check_in_sandbox(query) is None


def test_the_cheap_checks_still_run_first() -> None:
    with pytest.raises(QueryNotAllowed, match="SERVICE is not allowed"):
        check_in_sandbox("SELECT * WHERE { SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }")
    with pytest.raises(QueryNotAllowed, match="max_query_chars"):
        check_in_sandbox("ASK {}" + " " * 100, max_chars=10)
    with pytest.raises(QuerySyntaxError, match="empty"):
        check_in_sandbox("  \r\n ")
    checked = check_in_sandbox("ASK {\r\n}")
    assert checked is not None
    assert checked.text == "ASK {\n}"


@pytest.fixture(scope="module")
def fast_kg() -> Iterator[KnowledgeGraph]:
    with KnowledgeGraph.bundled() as kg:
        sandbox = kg.query_sandbox()
        assert sandbox is not None
        assert sandbox.on, "these tests need the seccomp sandbox"
        yield kg


def test_a_sandboxed_worker_decides_plain_queries_natively(fast_kg: KnowledgeGraph) -> None:
    before = fast_kg.query_counts()
    result = fast_kg.sparql("SELECT ?s WHERE { ?s a kgx:Substance } LIMIT 2")
    assert isinstance(result, SelectResult)
    assert len(result.rows) == 2
    assert isinstance(fast_kg.sparql("ASK { ?s ?p ?o . ?s ?p ?from }"), AskResult)
    after = fast_kg.query_counts()
    assert after.get("guard_native", 0) == before.get("guard_native", 0) + 1
    assert after.get("guard_parsed", 0) == before.get("guard_parsed", 0) + 1


@pytest.mark.parametrize(
    ("query", "error", "message"),
    [
        ("INSERT DATA { <http://x/a> <http://x/b> <http://x/c> }", QueryNotAllowed, "INSERT DATA is not allowed"),
        ("SELECT * WHERE { ?s ?p ?o .SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }", QueryNotAllowed, "SERVICE"),
        ("SELECT * FROM NAMED <http://x/> WHERE { ?s ?p ?o }", QueryNotAllowed, "FROM and FROM NAMED"),
        ("SELECT ?s WHERE {\n  ?s ?p ?o .\n  ?s ?p ?q ?r .\n}", QuerySyntaxError, "line 3, column 12"),
        ("SELECT ?s WHERE { ?s nope:p ?o }", QuerySyntaxError, "the prefix 'nope:' is not declared"),
        ("SELECT ?x ?x WHERE { ?x ?p ?o }", QuerySyntaxError, "SPARQL syntax error"),
    ],
)
def test_refusals_keep_the_full_parse_messages(
    fast_kg: KnowledgeGraph, query: str, error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        fast_kg.sparql(query)


def test_the_setting_turns_the_native_check_off() -> None:
    with KnowledgeGraph.bundled(settings=Settings(guard_fast_path=0)) as kg:
        kg.sparql("ASK { ?s ?p ?o }")
        counts = kg.query_counts()
    assert counts.get("guard_parsed") == 1
    assert "guard_native" not in counts


def test_without_the_sandbox_every_query_takes_the_full_parse(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(worker_module, "_worker_command", lambda: [sys.executable, ALTERED, "--no-sandbox"])
    with KnowledgeGraph.bundled() as kg:
        sandbox = kg.query_sandbox()
        assert sandbox is not None
        assert not sandbox.on
        kg.sparql("ASK { ?s ?p ?o }")
        counts = kg.query_counts()
    assert counts.get("guard_parsed") == 1
    assert "guard_native" not in counts
