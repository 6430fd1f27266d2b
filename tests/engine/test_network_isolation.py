"""No user query ever makes kgexplorer contact another server: SERVICE, FROM, FROM NAMED and LOAD aimed at a
loopback listener are refused by KnowledgeGraph.sparql and by ``kgexplorer query``, and the listener
records no request at all. Two controls show the listener would notice: a direct request, and the same
SERVICE query run on a bare Oxigraph store without the guard."""

from __future__ import annotations

import urllib.request
from collections.abc import Iterator

import pyoxigraph as ox
import pytest
from click.testing import CliRunner
from tests.loopback import Listener as _Listener

from kgexplorer import KnowledgeGraph, QueryNotAllowed
from kgexplorer.cli.commands import cli

EMPTY_RESULTS = b'{"head": {"vars": []}, "results": {"bindings": []}}'


class Listener(_Listener):
    """The recording listener, answering every request with an empty SPARQL result."""

    def __init__(self) -> None:
        super().__init__(lambda path: (200, "application/sparql-results+json", EMPTY_RESULTS))

    @property
    def requests(self) -> list[str]:
        return self.received


@pytest.fixture
def listener() -> Iterator[Listener]:
    server = Listener()
    yield server
    server.close()


def reaching_out(base: str) -> list[str]:
    """Queries that would make a query engine contact ``base`` if they ran."""
    return [
        f"SELECT * WHERE {{ SERVICE <{base}/sparql> {{ ?s ?p ?o }} }}",
        f"SELECT * WHERE {{ SERVICE SILENT <{base}/sparql> {{ ?s ?p ?o }} }}",
        f"SELECT * WHERE {{ ?s ?p ?o OPTIONAL {{ SELECT ?s WHERE {{ sErViCe <{base}/sparql> {{ ?s ?p ?x }} }} }} }}",
        f"SELECT * WHERE {{ \\u0053ERVICE <{base}/sparql> {{ ?s ?p ?o }} }}",
        f"SELECT * WHERE {{ BIND(<{base}/sparql> AS ?e) SERVICE ?e {{ ?s ?p ?o }} }}",
        f"SELECT * FROM <{base}/x> WHERE {{ ?s ?p ?o }}",
        f"SELECT * FROM NAMED <{base}/x> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}",
        f"CONSTRUCT {{ ?s ?p ?o }} FROM <{base}/x> WHERE {{ ?s ?p ?o }}",
        f"LOAD <{base}/x>",
        f"LOAD SILENT <{base}/x> INTO GRAPH <{base}/g>",
    ]


def test_control_the_listener_records_requests(listener: Listener) -> None:
    with urllib.request.urlopen(f"{listener.base}/ping", timeout=10) as response:
        assert response.status == 200
    assert listener.requests == ["GET /ping"]


def test_control_unguarded_oxigraph_would_contact_the_listener(listener: Listener) -> None:
    list(ox.Store().query(f"SELECT * WHERE {{ SERVICE <{listener.base}/sparql> {{ ?s ?p ?o }} }}"))
    assert len(listener.requests) == 1
    assert listener.requests[0].startswith(("POST /sparql", "GET /sparql"))


def test_kg_sparql_refuses_every_query_that_reaches_out(kg: KnowledgeGraph, listener: Listener) -> None:
    queries = reaching_out(listener.base)
    for query in queries:
        with pytest.raises(QueryNotAllowed):
            kg.sparql(query)
    # The pool is still healthy, and nothing it ran went anywhere either.
    assert kg.sparql("ASK { kg:ketamine a kgx:Substance }").value is True  # type: ignore[union-attr]
    assert listener.requests == []


def test_the_cli_refuses_every_query_that_reaches_out(listener: Listener) -> None:
    runner = CliRunner()
    for query in reaching_out(listener.base):
        result = runner.invoke(cli, ["query", query])
        assert result.exit_code == 1, (query, result.output)
        assert result.stderr.startswith("Error: ")
        assert "not allowed" in result.stderr
        assert "Traceback" not in result.output
    assert listener.requests == []
