"""The SPARQL endpoint (kgexplorer.server.endpoint): the protocol in-process with Starlette's TestClient, then a
real ``kgexplorer serve`` process queried with SPARQLWrapper."""

from __future__ import annotations

import http.client
import io
import itertools
import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import rdflib
from rdflib.compare import isomorphic
from rdflib.query import Result
from starlette.testclient import TestClient
from tests.answers import big_rows
from tests.loopback import free_port

from kgexplorer import KnowledgeGraph, QueryError, QueryFailed, Settings
from kgexplorer.engine.guard import MAX_QUERY_CHARS, check_query
from kgexplorer.engine.results import GraphResult, SelectResult
from kgexplorer.errors import QuerySyntaxError
from kgexplorer.server.endpoint import create_app
from kgexplorer.terms import IRI, BlankNode, Literal, Term, Triple, from_oxigraph

SELECT = (
    "SELECT ?s ?label ?year ?n WHERE { { ?s a kgx:Substance ; rdfs:label ?label } UNION "
    "{ ?s kgx:year ?year OPTIONAL { ?s kgx:sampleSize ?n } } } ORDER BY ?s ?label ?year"
)
ASK = "ASK { kg:ketamine a kgx:Substance }"
CONSTRUCT = "CONSTRUCT { ?s rdfs:label ?l ; kgx:year ?y } WHERE { ?s rdfs:label ?l OPTIONAL { ?s kgx:year ?y } }"
RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
SD = rdflib.Namespace("http://www.w3.org/ns/sparql-service-description#")
XSD_INTEGER = "http://www.w3.org/2001/XMLSchema#integer"


@pytest.fixture(scope="module")
def client(kg: KnowledgeGraph) -> TestClient:
    """The endpoint over the shared bundled graph, with its default limits."""
    return TestClient(create_app(kg))


@pytest.fixture(scope="module")
def small_client(kg: KnowledgeGraph, small_limits: Settings) -> TestClient:
    """The endpoint over the shared graph with tiny limits (1 s, 5 rows)."""
    return TestClient(create_app(kg, settings=small_limits))


def _ours(term: Any) -> Term | None:
    """An rdflib term (from an independent parser) as a kgexplorer term."""
    if term is None:
        return None
    if isinstance(term, rdflib.URIRef):
        return IRI(str(term))
    if isinstance(term, rdflib.BNode):
        return BlankNode(str(term))
    datatype = str(term.datatype) if term.datatype and not term.language else None
    if datatype == "http://www.w3.org/2001/XMLSchema#string":
        datatype = None
    return Literal(str(term), datatype=datatype, language=term.language)


def _parsed_rows(content: bytes, fmt: str) -> list[tuple[Term | None, ...]]:
    return [tuple(_ours(t) for t in row) for row in Result.parse(io.BytesIO(content), format=fmt)]


def _graph(content: bytes, fmt: str) -> rdflib.Graph:
    """Parse RDF with rdflib; JSON-LD with Oxigraph (rdflib's JSON-LD parser warns about its own API)."""
    if fmt != "json-ld":
        return rdflib.Graph().parse(data=content.decode("utf-8"), format=fmt)
    import pyoxigraph as ox

    graph = rdflib.Graph()
    for q in ox.parse(content, format=ox.RdfFormat.JSON_LD):
        graph.add(tuple(_rdflib(from_oxigraph(t)) for t in (q.subject, q.predicate, q.object)))  # type: ignore[arg-type]
    return graph


def _rdflib(term: Term) -> Any:
    if isinstance(term, IRI):
        return rdflib.URIRef(term.value)
    if isinstance(term, BlankNode):
        return rdflib.BNode(term.id)
    return rdflib.Literal(term.value, lang=term.language, datatype=term.datatype)


def _triples(content: bytes, fmt: str) -> set[Triple]:
    return {Triple(_ours(s), _ours(p), _ours(o)) for s, p, o in _graph(content, fmt)}  # type: ignore[arg-type]


def _assert_error(response: Any, status: int, kind: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body: dict[str, Any] = response.json()
    assert body["type"] == kind
    assert body["error"]
    assert "Traceback" not in response.text
    return body


# ----------------------------------------------------------------------------------- protocol


def test_get_select_returns_sparql_json_equal_to_the_library(client: TestClient, kg: KnowledgeGraph) -> None:
    """GET ?query= answers SPARQL JSON by default, row for row what kg.sparql() returns."""
    expected = kg.sparql(SELECT)
    assert isinstance(expected, SelectResult)
    assert any(r[3] is not None for r in expected.rows)  # the query covers integers, gYears, lang tags, unbound
    r = client.get("/sparql", params={"query": SELECT})
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/sparql-results+json"
    assert "X-Kgexplorer-Truncated" not in r.headers
    assert _parsed_rows(r.content, "json") == list(expected.rows)


def test_post_form_and_post_sparql_query_give_the_get_answer(client: TestClient) -> None:
    """The three request shapes of the protocol answer the same query identically."""
    by_get = client.get("/sparql", params={"query": SELECT}).content
    by_form = client.post("/sparql", data={"query": SELECT})
    by_body = client.post(
        "/sparql", content=SELECT.encode("utf-8"), headers={"Content-Type": "application/sparql-query; charset=UTF-8"}
    )
    assert by_form.status_code == by_body.status_code == 200
    assert by_form.content == by_body.content == by_get


@pytest.mark.parametrize(
    ("accept", "media_type", "parser"),
    [
        ("application/sparql-results+json", "application/sparql-results+json", "json"),
        ("application/json", "application/sparql-results+json", "json"),
        ("application/sparql-results+xml", "application/sparql-results+xml", "xml"),
        ("text/tab-separated-values", "text/tab-separated-values", "tsv"),
    ],
)
def test_select_formats_parse_back_to_the_library_rows(
    client: TestClient, kg: KnowledgeGraph, accept: str, media_type: str, parser: str
) -> None:
    """Each SELECT format, read back by rdflib's own results parser, keeps every term exactly."""
    r = client.get("/sparql", params={"query": SELECT}, headers={"Accept": accept})
    assert r.status_code == 200
    assert r.headers["content-type"].split(";")[0] == media_type
    assert _parsed_rows(r.content, parser) == list(kg.sparql(SELECT).rows)  # type: ignore[union-attr]


def test_select_csv_is_the_values_only_table(client: TestClient, kg: KnowledgeGraph) -> None:
    """CSV carries values (no language tags or datatypes), one line per row after the header."""
    r = client.get("/sparql", params={"query": SELECT}, headers={"Accept": "text/csv"})
    assert r.headers["content-type"] == "text/csv; charset=utf-8"
    expected = kg.sparql(SELECT)
    rows = _parsed_rows(r.content, "csv")
    assert [tuple(None if t is None else str(t) for t in row) for row in rows] == [
        tuple(None if t is None else str(t) for t in row)
        for row in expected.rows  # type: ignore[union-attr]
    ]
    assert r.text.splitlines()[0] == "s,label,year,n"


@pytest.mark.parametrize(
    ("accept", "body"),
    [
        ("application/sparql-results+json", '{"head":{},"boolean":true}'),
        ("text/csv", "true"),
        ("text/tab-separated-values", "true"),
    ],
)
def test_ask_formats(client: TestClient, accept: str, body: str) -> None:
    """ASK answers a boolean in each results format."""
    r = client.get("/sparql", params={"query": ASK}, headers={"Accept": accept})
    assert r.status_code == 200
    assert r.text == body


def test_ask_xml_and_false(client: TestClient) -> None:
    """ASK in SPARQL XML, read by rdflib, and a false answer stays false."""
    yes = client.get("/sparql", params={"query": ASK}, headers={"Accept": "application/sparql-results+xml"})
    assert Result.parse(io.BytesIO(yes.content), format="xml").askAnswer is True
    no = client.get("/sparql", params={"query": "ASK { kg:ketamine a kgx:Study }"})
    assert no.json() == {"head": {}, "boolean": False}


@pytest.mark.parametrize(
    ("accept", "media_type", "parser"),
    [
        (None, "text/turtle", "turtle"),
        ("text/turtle", "text/turtle", "turtle"),
        ("application/n-triples", "application/n-triples", "nt"),
        ("application/ld+json", "application/ld+json", "json-ld"),
    ],
)
def test_construct_formats_hold_the_library_triples(
    client: TestClient, kg: KnowledgeGraph, accept: str | None, media_type: str, parser: str
) -> None:
    """CONSTRUCT answers Turtle by default, or N-Triples / JSON-LD; each parses to the same triples."""
    expected = kg.sparql(CONSTRUCT)
    assert isinstance(expected, GraphResult)
    assert len(expected) > 100
    headers = {"Accept": accept} if accept else {"Accept": "*/*"}
    r = client.get("/sparql", params={"query": CONSTRUCT}, headers=headers)
    assert r.status_code == 200
    assert r.headers["content-type"].split(";")[0] == media_type
    assert _triples(r.content, parser) == set(expected.triples)


def test_describe_answers_turtle(client: TestClient) -> None:
    """DESCRIBE is a graph result too."""
    r = client.get("/sparql", params={"query": "DESCRIBE kg:ketamine"})
    assert r.headers["content-type"] == "text/turtle; charset=utf-8"
    triples = _triples(r.content, "turtle")
    assert (
        Triple(
            IRI("https://w3id.org/kgexplorer/id/ketamine"),
            IRI(str(rdflib.RDFS.label)),
            Literal("Ketamine", language="en"),
        )
        in triples
    )


@pytest.mark.parametrize(
    ("accept", "query", "media_type"),
    [
        ("text/csv;q=0.5, application/sparql-results+xml", SELECT, "application/sparql-results+xml"),
        ("text/csv, */*;q=0.1", SELECT, "text/csv"),
        ("application/sparql-results+json;q=0, */*", SELECT, "application/sparql-results+xml"),
        ("text/*", SELECT, "text/csv"),
        ("text/*", CONSTRUCT, "text/turtle"),
        ("", ASK, "application/sparql-results+json"),
    ],
)
def test_accept_header_negotiation(client: TestClient, accept: str, query: str, media_type: str) -> None:
    """q-values, wildcards and the more specific range decide; no preference means the default."""
    r = client.get("/sparql", params={"query": query}, headers={"Accept": accept})
    assert r.status_code == 200
    assert r.headers["content-type"].split(";")[0] == media_type
    assert r.headers["vary"] == "Accept"


def test_format_parameter_replaces_accept(client: TestClient) -> None:
    """format= wins over Accept; json means JSON-LD for a graph; SPARQLWrapper's repeated values work."""
    csv = client.get("/sparql", params={"query": SELECT, "format": "csv"}, headers={"Accept": "application/json"})
    assert csv.headers["content-type"] == "text/csv; charset=utf-8"
    jsonld = client.get("/sparql", params={"query": CONSTRUCT, "format": "json"})
    assert jsonld.headers["content-type"] == "application/ld+json"
    tsv = client.get("/sparql", params=[("query", SELECT), ("format", "tsv"), ("format", "text/tab-separated-values")])
    assert tsv.headers["content-type"] == "text/tab-separated-values; charset=utf-8"


def test_unusable_formats_are_client_errors(client: TestClient) -> None:
    """An unknown format= is left out (as Oxigraph does: clients send names meant for other servers) and the
    Accept header decides; a format that cannot carry the result is 406 listing the ones that can."""
    unknown = client.get("/sparql", params={"query": ASK, "format": "pdf"}, headers={"Accept": "text/csv"})
    assert (unknown.status_code, unknown.text) == (200, "true")
    assert client.get("/sparql", params={"query": ASK, "format": "pdf"}).json()["boolean"] is True
    wrong = _assert_error(client.get("/sparql", params={"query": SELECT, "format": "turtle"}), 406, "NotAcceptable")
    assert "application/sparql-results+json" in wrong["formats"]
    nothing = _assert_error(
        client.get("/sparql", params={"query": ASK}, headers={"Accept": "image/png"}), 406, "NotAcceptable"
    )
    assert "image/png" in nothing["error"]


def test_xml_cannot_carry_a_control_character_and_says_so(client: TestClient) -> None:
    """The worker writes XML natively; a value XML 1.0 cannot carry is a 406 naming it, JSON carries it."""
    query = r'SELECT ?o WHERE { VALUES ?o { "bell\u0007" } }'
    body = _assert_error(client.get("/sparql", params={"query": query, "format": "xml"}), 406, "NotAcceptable")
    assert "U+0007" in body["error"]
    assert client.get("/sparql", params={"query": query}).json()["results"]["bindings"][0]["o"]["value"] == "bell\a"


# ----------------------------------------------------------------------------------- refusals


@pytest.mark.parametrize(
    "send",
    [
        lambda c: c.post("/sparql", data={"update": "INSERT DATA { kg:a kg:b kg:c }"}),
        lambda c: c.post("/sparql", content=b"DROP ALL", headers={"Content-Type": "application/sparql-update"}),
        lambda c: c.get("/sparql", params={"update": "CLEAR DEFAULT"}),
    ],
    ids=["form-update", "sparql-update-body", "get-update"],
)
def test_updates_are_forbidden(client: TestClient, kg: KnowledgeGraph, send: Any) -> None:
    """Every way of sending an update gets 403 with a JSON body, and the graph is unchanged."""
    before = len(kg)
    body = _assert_error(send(client), 403, "QueryNotAllowed")
    assert "read-only" in body["error"]
    assert kg.sparql("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }").rows[0][0] == Literal(  # type: ignore[union-attr]
        str(before), datatype=XSD_INTEGER
    )


@pytest.mark.parametrize(
    ("params", "needle"),
    [
        ({"query": "SELECT * WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }"}, "SERVICE"),
        ({"query": "SELECT * FROM <http://127.0.0.1:9/g> WHERE { ?s ?p ?o }"}, "FROM"),
        ({"query": "LOAD <http://127.0.0.1:9/data.ttl>"}, "LOAD"),
        ({"query": ASK, "default-graph-uri": "http://127.0.0.1:9/g"}, "default-graph-uri"),
        ({"query": ASK, "named-graph-uri": "http://127.0.0.1:9/g"}, "named-graph-uri"),
    ],
)
def test_guard_refusals_are_400_json(client: TestClient, params: dict[str, str], needle: str) -> None:
    """SERVICE, FROM, LOAD as a query, and dataset parameters are refused with the guard's explanation."""
    body = _assert_error(client.get("/sparql", params=params), 400, "QueryNotAllowed")
    assert needle in body["error"]


def test_syntax_error_reports_line_and_column(client: TestClient) -> None:
    """A query that does not parse is 400 with the same line and column the guard finds."""
    query = "SELECT ?s WHERE {\n  ?s ?p\n}"
    with pytest.raises(QuerySyntaxError) as info:
        check_query(query)
    body = _assert_error(client.post("/sparql", data={"query": query}), 400, "QuerySyntaxError")
    assert isinstance(body["line"], int)
    assert isinstance(body["column"], int)
    assert (body["line"], body["column"]) == (info.value.line, info.value.column)
    assert f"line {body['line']}" in body["error"]


@pytest.mark.parametrize(
    ("send", "status", "kind"),
    [
        (lambda c: c.post("/sparql", data={"format": "json"}), 400, "BadRequest"),
        (lambda c: c.get("/sparql", params=[("query", ASK), ("query", ASK)]), 400, "BadRequest"),
        (
            lambda c: c.post(
                "/sparql?query=ASK%7B%7D", content=b"ASK {}", headers={"Content-Type": "application/sparql-query"}
            ),
            400,
            "BadRequest",
        ),
        (
            lambda c: c.post("/sparql", content=b"\xffASK {}", headers={"Content-Type": "application/sparql-query"}),
            400,
            "BadRequest",
        ),
        (
            lambda c: c.post(
                "/sparql", content=b"ASK {}", headers={"Content-Type": "application/sparql-query; charset=latin-1"}
            ),
            415,
            "UnsupportedMediaType",
        ),
        (
            lambda c: c.post("/sparql", content=b"ASK {}", headers={"Content-Type": "text/plain"}),
            415,
            "UnsupportedMediaType",
        ),
        (lambda c: c.put("/sparql", content=b"ASK {}"), 405, "MethodNotAllowed"),
        (lambda c: c.get("/nothing/here"), 404, "NotFound"),
    ],
    ids=["no-query", "two-queries", "url-and-body", "not-utf8", "latin1", "text-plain", "put", "unknown-path"],
)
def test_protocol_errors_are_json(client: TestClient, send: Any, status: int, kind: str) -> None:
    """Malformed requests get the 4xx the module docstring lists, each with a JSON explanation."""
    _assert_error(send(client), status, kind)


def test_a_wrong_method_names_the_allowed_ones_in_a_stable_order(client: TestClient) -> None:
    r = client.put("/sparql", content=b"ASK {}")
    assert r.headers["Allow"] == "GET, HEAD, POST"
    assert r.json()["error"] == "PUT is not supported at /sparql; use GET, HEAD, POST"


def test_oversized_body_is_413_before_any_query_runs(client: TestClient) -> None:
    """A body larger than any query the guard accepts is refused as too large."""
    body = b"#" * (12 * MAX_QUERY_CHARS + 1)
    r = client.post("/sparql", content=body, headers={"Content-Type": "application/sparql-query"})
    assert "characters" in _assert_error(r, 413, "RequestTooLarge")["error"]


# ----------------------------------------------------------------------------------- limits


def test_a_result_past_the_row_limit_is_refused_naming_the_setting(small_client: TestClient) -> None:
    """Issue 16: a cut must be visible to standard clients, never a 200 with a header no client reads. A
    result longer than max_result_rows is a 422 naming the setting and how to page; with a LIMIT at or
    under it (and OFFSET), every page is whole."""
    for query, fmt in [("SELECT ?s WHERE { ?s a kgx:Substance }", "json"), (CONSTRUCT, "nt")]:
        body = _assert_error(small_client.get("/sparql", params={"query": query, "format": fmt}), 422, "TooManyRows")
        assert body["setting"] == "max_result_rows"
        assert "more than 5" in body["error"]
        assert "LIMIT 5" in body["error"]
        assert "OFFSET" in body["error"]
    seen = []
    for offset in (0, 5):
        page = small_client.get(
            "/sparql", params={"query": f"SELECT ?s WHERE {{ ?s a kgx:Substance }} ORDER BY ?s LIMIT 5 OFFSET {offset}"}
        )
        assert page.status_code == 200
        assert "X-Kgexplorer-Truncated" not in page.headers
        seen += [b["s"]["value"] for b in page.json()["results"]["bindings"]]
    assert len(set(seen)) == 10
    exactly = small_client.get("/sparql", params={"query": "SELECT ?s WHERE { VALUES ?s { 1 2 3 4 5 } }"})
    assert exactly.status_code == 200  # as many rows as the limit, and no more: whole


def test_runaway_query_is_a_422_and_the_next_query_is_answered(small_client: TestClient) -> None:
    """A cartesian product is stopped at query_time_limit_s (a client limit, not a 5xx); service goes on."""
    body = _assert_error(small_client.get("/sparql", params={"query": RUNAWAY}), 422, "QueryTimeout")
    assert body["setting"] == "query_time_limit_s"
    assert "query_time_limit_s" in body["error"]
    after = small_client.get("/sparql", params={"query": ASK})
    assert after.status_code == 200
    assert after.json()["boolean"] is True


def test_endpoint_settings_lower_but_never_raise_the_graph_limits(kg: KnowledgeGraph) -> None:
    """create_app(settings=) can only tighten the graph's own limits (the service description states them)."""
    looser = TestClient(create_app(kg, settings=Settings(query_time_limit_s=600, max_result_rows=9)))
    text = looser.get("/service-description").text
    assert f"may run {kg.settings.query_time_limit_s:g} s" in text
    assert "longer than 9 rows is refused" in text


# ----------------------------------------------------------------------------------- sharing the workers


@pytest.fixture(scope="module")
def shared_kg() -> Iterator[KnowledgeGraph]:
    """A graph of its own for the sharing tests: 3 workers, 3 s per query, 0.5 s in line, 2 requests a client."""
    settings = Settings(query_time_limit_s=3, max_queue_wait_s=0.5, client_queries=2)
    with KnowledgeGraph.bundled(settings=settings) as graph:
        yield graph


def _as(app: Any, address: str, **headers: str) -> TestClient:
    """A test client connecting from ``address`` (the endpoint's clients are addresses)."""
    return TestClient(app, client=(address, 50000), headers=headers or None)


_DISTINCT = itertools.count()


def _uncached(query: str) -> str:
    """The query as a text the endpoint has not answered before (the result cache keeps answers by text), so
    it needs a query worker: what the tests of sharing the workers must send."""
    return f"{query}\n# request {next(_DISTINCT)}"


def _runaway_from(client: TestClient) -> tuple[threading.Thread, dict[str, Any]]:
    reply: dict[str, Any] = {}
    thread = threading.Thread(target=lambda: reply.update(r=client.get("/sparql", params={"query": RUNAWAY})))
    thread.start()
    return thread, reply


def _wait_busy(kg: KnowledgeGraph, workers: int) -> None:
    deadline = time.monotonic() + 30
    while kg.query_counts().get("workers_busy", 0) < workers:
        assert time.monotonic() < deadline, kg.query_counts()
        time.sleep(0.05)


@pytest.mark.slow
def test_a_client_over_its_share_gets_429_while_another_client_is_served(shared_kg: KnowledgeGraph) -> None:
    """Mallory's runaway holds her one worker; her next query waits in line and gets 429 with Retry-After,
    while Alice, from another address, is answered at once. Before, both of Mallory's queries ran."""
    app = create_app(shared_kg)
    mallory, alice = _as(app, "203.0.113.66"), _as(app, "198.51.100.7")
    thread, runaway = _runaway_from(mallory)
    _wait_busy(shared_kg, 1)
    started = time.monotonic()
    answer = alice.get("/sparql", params={"query": ASK})
    assert (answer.status_code, answer.json()["boolean"]) == (200, True)
    assert time.monotonic() - started < 2.5
    refused = mallory.get("/sparql", params={"query": _uncached(ASK)})
    body = _assert_error(refused, 429, "TooManyQueries")
    assert body["setting"] == "client_query_workers"
    assert 1 <= int(refused.headers["Retry-After"]) <= 3
    assert thread.is_alive()
    thread.join(timeout=60)
    _assert_error(runaway["r"], 422, "QueryTimeout")
    metrics = alice.get("/metrics").text
    assert 'kgexplorer_responses_total{status="429",type="TooManyQueries"} 1' in metrics
    assert 'kgexplorer_queries{what="refused_client_share"} 1' in metrics


@pytest.mark.slow
def test_one_request_over_client_queries_is_429_at_once(shared_kg: KnowledgeGraph) -> None:
    app = create_app(shared_kg)
    mallory = _as(app, "203.0.113.67")
    threads = [_runaway_from(mallory) for _ in range(2)]  # one runs, one waits in line: her 2 requests
    _wait_busy(shared_kg, 1)
    time.sleep(0.1)
    started = time.monotonic()
    body = _assert_error(mallory.get("/sparql", params={"query": ASK}), 429, "TooManyQueries")
    assert time.monotonic() - started < 0.5
    assert body["setting"] == "client_queries"  # also for an answer the cache holds: a request in progress
    for thread, _ in threads:
        thread.join(timeout=60)
    assert sorted(r["r"].status_code for _, r in threads) == [422, 429]
    assert mallory.get("/sparql", params={"query": ASK}).status_code == 200  # her requests are done


@pytest.mark.slow
def test_a_full_pool_is_503_with_retry_after_at_the_wait_limit(shared_kg: KnowledgeGraph) -> None:
    """Three clients' runaways hold the three workers; a fourth client waits 0.5 s, then gets 503."""
    app = create_app(shared_kg)
    threads = [_runaway_from(_as(app, f"203.0.113.{n}")) for n in (1, 2, 3)]
    _wait_busy(shared_kg, 3)
    started = time.monotonic()
    busy = _as(app, "198.51.100.8").get("/sparql", params={"query": _uncached(ASK)})
    assert 0.4 < time.monotonic() - started < 2.5
    body = _assert_error(busy, 503, "ServerBusy")
    assert body["setting"] == "max_queue_wait_s"
    assert 1 <= int(busy.headers["Retry-After"]) <= 3
    for thread, reply in threads:
        thread.join(timeout=60)
        assert reply["r"].status_code == 422
    assert _as(app, "198.51.100.8").get("/sparql", params={"query": ASK}).status_code == 200


@pytest.mark.slow
def test_x_forwarded_for_counts_only_from_a_trusted_proxy(shared_kg: KnowledgeGraph) -> None:
    """Mallory cannot pass as two clients by writing the header; a trusted proxy's header names the client."""
    plain = create_app(shared_kg)
    behind = create_app(shared_kg, settings=shared_kg.settings.with_overrides(trusted_proxies="127.0.0.1"))
    thread, _ = _runaway_from(_as(plain, "127.0.0.1", **{"X-Forwarded-For": "203.0.113.9"}))
    _wait_busy(shared_kg, 1)
    again = _as(plain, "127.0.0.1", **{"X-Forwarded-For": "203.0.113.10"}).get(
        "/sparql", params={"query": _uncached(ASK)}
    )
    _assert_error(again, 429, "TooManyQueries")  # the header is ignored: the same client, over its share
    other = _as(behind, "127.0.0.1", **{"X-Forwarded-For": "203.0.113.10"}).get("/sparql", params={"query": ASK})
    assert other.status_code == 200  # through a trusted proxy it is another client
    thread.join(timeout=60)


def test_an_answer_over_max_result_mb_is_422_naming_the_setting(kg: KnowledgeGraph) -> None:
    """Bytes are capped, not only rows: 40 rows of 256 KiB (10 MiB) over a 1 MiB cap are refused whole."""
    app = create_app(kg, settings=kg.settings.with_overrides(max_result_mb=1))
    client = TestClient(app)
    body = _assert_error(client.post("/sparql", data={"query": big_rows(40, 64, 2)}), 422, "ResultTooLarge")
    assert body["setting"] == "max_result_mb"
    assert "max_result_mb" in body["error"]
    fits = client.post("/sparql", data={"query": big_rows(3, 64, 1), "format": "csv"})
    assert fits.status_code == 200
    assert len(fits.content) == int(fits.headers["Content-Length"]) > 3 * 128 * 1024


@pytest.mark.slow  # a worker of 300 MiB fills up
def test_a_worker_killed_by_huge_rows_is_a_4xx() -> None:
    """40 rows of 5 MiB in a 300 MiB worker: a 500 ("the query worker stopped unexpectedly") before. (700 MiB
    sufficed while the answer was written three times over; written once, as now, it fits there.)"""
    with KnowledgeGraph.bundled(settings=Settings(worker_memory_mb=300, max_result_mb=1024)) as big:
        r = TestClient(create_app(big)).post("/sparql", data={"query": big_rows(40, 5, 10)})
        assert 400 <= r.status_code < 500, r.text
        assert r.json()["setting"] in ("worker_memory_mb", "max_result_mb")


def test_a_service_the_guard_misses_is_a_4xx_not_a_500(client: TestClient) -> None:
    """A SERVICE hidden behind a carriage return in a comment: a 500 before; a 4xx whichever layer stops it
    (the guard as QueryNotAllowed, or the engine failing to reach the address as QueryFailed)."""
    query = "SELECT * WHERE { # c\rSERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } \n}"
    r = client.get("/sparql", params={"query": query})
    assert 400 <= r.status_code < 500, r.text
    assert r.json()["type"] in ("QueryNotAllowed", "QueryFailed")


def test_a_query_failure_is_422_with_its_reason() -> None:
    app = create_app(_BrokenGraph(QueryFailed("the query failed: SERVICE could not connect")))  # type: ignore[arg-type]
    body = _assert_error(TestClient(app).get("/sparql", params={"query": ASK}), 422, "QueryFailed")
    assert "SERVICE" in body["error"]


def test_metrics_count_every_response_by_status(kg: KnowledgeGraph) -> None:
    client = TestClient(create_app(kg))
    client.get("/sparql", params={"query": ASK})
    client.get("/sparql", params={"query": "SELECT"})
    text = client.get("/metrics").text
    assert 'kgexplorer_responses_total{status="200",type=""} 1' in text
    assert 'kgexplorer_responses_total{status="400",type="QuerySyntaxError"} 1' in text
    assert 'kgexplorer_queries{what="answered"}' in text


# ----------------------------------------------------------------------------------- description and page


def test_service_description_is_sd_turtle(client: TestClient, kg: KnowledgeGraph) -> None:
    """GET /sparql without a query describes the service: endpoint, language, formats, dataset size."""
    r = client.get("/sparql", headers={"Accept": "text/turtle"})
    assert r.status_code == 200
    assert r.headers["content-type"] == "text/turtle; charset=utf-8"
    g = rdflib.Graph().parse(data=r.text, format="turtle")
    service = g.value(predicate=rdflib.RDF.type, object=SD.Service)
    assert service is not None
    assert g.value(service, SD.endpoint) == rdflib.URIRef("http://testserver/sparql")
    assert g.value(service, SD.supportedLanguage) == SD.SPARQL11Query
    assert len(set(g.objects(service, SD.resultFormat))) == 11  # 4 for results, 7 RDF formats pyoxigraph writes
    graph = g.value(g.value(service, SD.defaultDataset), SD.defaultGraph)
    assert g.value(graph, rdflib.URIRef("http://rdfs.org/ns/void#triples")).toPython() == len(kg)  # type: ignore[union-attr]


def test_service_description_and_page_state_the_data_licence(client: TestClient) -> None:
    """The bundled graph is CC BY 4.0: the description says so (dcterms:license), and so does the query page."""
    cc_by = "https://creativecommons.org/licenses/by/4.0/"
    g = rdflib.Graph().parse(data=client.get("/service-description").text, format="turtle")
    dataset = g.value(g.value(predicate=rdflib.RDF.type, object=SD.Service), SD.defaultDataset)

    assert g.value(dataset, rdflib.DCTERMS.license) == rdflib.URIRef(cc_by)
    assert f"Data licence: {cc_by}" in client.get("/").text


def test_service_description_negotiates(client: TestClient) -> None:
    """The description in JSON-LD is the same graph as in Turtle; a results-only Accept is 406."""
    turtle = rdflib.Graph().parse(data=client.get("/service-description").text, format="turtle")
    jsonld = client.get("/service-description", headers={"Accept": "application/ld+json"})
    assert jsonld.headers["content-type"] == "application/ld+json"
    assert len(turtle) > 10
    assert isomorphic(turtle, _graph(jsonld.content, "json-ld"))
    _assert_error(
        client.get("/service-description", headers={"Accept": "application/sparql-results+json"}), 406, "NotAcceptable"
    )


def test_query_page_is_plain_html_with_a_form(client: TestClient) -> None:
    """/form is a self-contained form that GETs /sparql (the page without script; / is YASGUI once built);
    a browser asking /sparql for HTML gets the same page."""
    r = client.get("/form")
    assert r.status_code == 200
    assert r.headers["content-type"] == "text/html; charset=utf-8"
    assert "default-src 'none'" in r.headers["content-security-policy"]
    page = r.text
    assert '<form method="get" action="sparql">' in page
    assert '<textarea id="query" name="query"' in page
    assert "<script" not in page
    assert "src=" not in page
    assert "http://" not in page.split("<ul>")[0]  # no external asset before the prefix list
    assert "not medical advice" in page
    browser = client.get("/sparql", headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
    assert browser.text == page


def test_the_page_runs_its_own_example(client: TestClient) -> None:
    """The example query in the textarea is valid and returns substances."""
    import html as html_module
    import re

    match = re.search(r'<textarea id="query" name="query" rows="\d+">(.*?)</textarea>', client.get("/form").text, re.S)
    assert match is not None
    query = html_module.unescape(match.group(1))
    r = client.get("/sparql", params={"query": query})
    assert r.status_code == 200
    assert any(b["label"]["value"] == "Ketamine" for b in r.json()["results"]["bindings"])


# ----------------------------------------------------------------------------------- faults


class _BrokenGraph:
    """Stands in for a KnowledgeGraph whose query path fails."""

    settings = Settings()
    recipe = SimpleNamespace(label="broken")
    is_remote = False

    def __init__(self, error: Exception) -> None:
        self.error = error

    async def answer(self, query: str, **_: Any) -> Any:
        raise self.error

    def query_counts(self) -> dict[str, int]:
        return {}

    def metadata(self) -> Any:
        return SimpleNamespace(title="broken")

    def __len__(self) -> int:
        return 0

    def sparql(self, query: str, **_: Any) -> Any:
        raise self.error


def test_an_unexpected_failure_is_a_500_without_details() -> None:
    """A bug below the endpoint gives a JSON 500 that leaks neither a traceback nor the exception text."""
    app = create_app(_BrokenGraph(RuntimeError("boom at /secret/path")))  # type: ignore[arg-type]
    r = TestClient(app).get("/sparql", params={"query": ASK})
    _assert_error(r, 500, "InternalError")
    assert "boom" not in r.text
    assert "secret" not in r.text


def test_a_server_side_query_error_is_a_500_with_its_message() -> None:
    """A library QueryError that is not the client's doing (e.g. a worker cannot start) is a 500."""
    app = create_app(_BrokenGraph(QueryError("the query worker could not load the data")))  # type: ignore[arg-type]
    body = _assert_error(TestClient(app).get("/sparql", params={"query": ASK}), 500, "QueryError")
    assert "could not load" in body["error"]


# ----------------------------------------------------------------------------------- loopback listener


class _Recorder(BaseHTTPRequestHandler):
    def _record(self) -> None:
        self.server.requests.append((self.command, self.path))  # type: ignore[attr-defined]
        body = b"<http://x/a> <http://x/b> <http://x/c> .\n"
        self.send_response(200)
        self.send_header("Content-Type", "application/n-triples")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:  # the names are http.server's
        self._record()

    def do_POST(self) -> None:
        self._record()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def listener() -> Iterator[Any]:
    """A 127.0.0.1 HTTP server in a thread that records every request it receives."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    server.requests = []  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    # Prove the listener records, so "no request" below means something.
    with urllib.request.urlopen(f"http://127.0.0.1:{server.server_port}/probe", timeout=10) as r:
        r.read()
    assert server.requests == [("GET", "/probe")]  # type: ignore[attr-defined]
    server.requests.clear()  # type: ignore[attr-defined]
    yield server
    server.shutdown()
    server.server_close()
    thread.join(timeout=10)


def _outbound_attempts(url: str) -> list[tuple[str, dict[str, Any]]]:
    """Requests (method, httpx-style kwargs) that would make a careless endpoint contact ``url``."""
    form = "application/x-www-form-urlencoded"
    return [
        ("GET", {"params": {"query": f"SELECT * WHERE {{ SERVICE <{url}/sparql> {{ ?s ?p ?o }} }}"}}),
        ("GET", {"params": {"query": f"SELECT * WHERE {{ sErViCe <{url}/sparql> {{ ?s ?p ?o }} }}"}}),
        ("GET", {"params": {"query": f"SELECT * FROM <{url}/g.nt> WHERE {{ ?s ?p ?o }}"}}),
        ("GET", {"params": {"query": f"SELECT * FROM NAMED <{url}/g.nt> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}"}}),
        ("GET", {"params": {"query": f"LOAD <{url}/g.nt>"}}),
        ("GET", {"params": {"query": "SELECT * WHERE { ?s ?p ?o } LIMIT 1", "default-graph-uri": f"{url}/g.nt"}}),
        (
            "POST",
            {"content": urllib.parse.urlencode({"update": f"LOAD <{url}/g.nt>"}), "headers": {"Content-Type": form}},
        ),
        ("POST", {"content": f"LOAD <{url}/g.nt>", "headers": {"Content-Type": "application/sparql-update"}}),
    ]


def test_nothing_reaches_a_loopback_listener(client: TestClient, listener: Any) -> None:
    """SERVICE, FROM, FROM NAMED, LOAD and dataset parameters aimed at a live listener are all refused, and
    the listener receives nothing."""
    url = f"http://127.0.0.1:{listener.server_port}"
    for method, kwargs in _outbound_attempts(url):
        r = client.request(method, "/sparql", **kwargs)
        assert r.status_code in (400, 403), (kwargs, r.text)
        assert r.json()["type"] == "QueryNotAllowed"
    assert listener.requests == []


# ----------------------------------------------------------------------------------- a real server


def test_serve_help_says_what_binding_means() -> None:
    """``kgexplorer serve --help`` documents both options, and what 127.0.0.1 and 0.0.0.0 mean."""
    from click.testing import CliRunner

    from kgexplorer.cli.commands import cli

    result = CliRunner().invoke(cli, ["serve", "--help"])
    assert result.exit_code == 0
    text = " ".join(result.output.split())
    assert "this computer only" in text
    assert "0.0.0.0" in text
    assert "--port" in text
    assert "default: 7878" in text


def _post(url: str, data: dict[str, str], *, source: str | None = None) -> tuple[int, bytes]:
    """POST a form; from the loopback address ``source`` when given (the endpoint's clients are addresses)."""
    if source is not None:
        parts = urllib.parse.urlsplit(url)
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=120, source_address=(source, 0))
        try:
            body = urllib.parse.urlencode(data)
            conn.request("POST", parts.path, body, {"Content-Type": "application/x-www-form-urlencoded"})
            reply = conn.getresponse()
            return reply.status, reply.read()
        finally:
            conn.close()
    request = urllib.request.Request(url, data=urllib.parse.urlencode(data).encode("ascii"), method="POST")
    try:
        with urllib.request.urlopen(request, timeout=120) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as err:
        with err:
            return err.code, err.read()


def _children(pid: int) -> set[int]:
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[1]) == pid:
            found.add(int(stat.parent.name))
    return found


def _running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def _wrapper_query(url: str, query: str, fmt: str, *, post: bool = False) -> Any:
    from SPARQLWrapper import POST, SPARQLWrapper

    client = SPARQLWrapper(url)
    client.setQuery(query)
    client.setReturnFormat(fmt)
    if post:
        client.setMethod(POST)
    result = client.query()
    try:
        return result.convert()
    finally:
        result.response.close()


@pytest.mark.slow
def test_kgexplorer_serve_answers_sparqlwrapper_and_survives_a_runaway(
    kg: KnowledgeGraph, tmp_path: Path, listener: Any
) -> None:
    """A real ``kgexplorer serve`` agrees with kg.sparql() through SPARQLWrapper, answers while a runaway
    runs, stops the runaway at the limit with a 4xx, keeps answering, and stops cleanly on SIGTERM."""
    from SPARQLWrapper import JSON, TSV, TURTLE

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    endpoint = f"{base}/sparql"
    out_path, err_path = tmp_path / "out.txt", tmp_path / "err.txt"
    with out_path.open("wb") as out, err_path.open("wb") as err:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "kgexplorer.cli.commands",
                "--setting",
                "query_time_limit_s",
                "3",
                "serve",
                "--port",
                str(port),
            ],
            stdout=out,
            stderr=err,
            stdin=subprocess.DEVNULL,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
    try:
        deadline = time.monotonic() + 120
        while True:
            assert proc.poll() is None, f"the server exited: {err_path.read_text()}"
            try:
                with urllib.request.urlopen(f"{base}/service-description", timeout=5) as r:
                    assert r.status == 200
                    break
            except (urllib.error.URLError, ConnectionError):
                assert time.monotonic() < deadline, f"the server did not start: {err_path.read_text()}"
                time.sleep(0.1)

        # SELECT (JSON), ASK (POST), TSV and CONSTRUCT (Turtle) agree with the library.
        expected = kg.sparql(SELECT)
        data = _wrapper_query(endpoint, SELECT, JSON)
        assert _parsed_rows(json.dumps(data).encode(), "json") == list(expected.rows)  # type: ignore[union-attr]
        assert _wrapper_query(endpoint, ASK, JSON, post=True) == {"head": {}, "boolean": True}
        tsv = _wrapper_query(endpoint, SELECT, TSV)
        assert _parsed_rows(tsv, "tsv") == list(expected.rows)  # type: ignore[union-attr]
        turtle = _wrapper_query(endpoint, CONSTRUCT, TURTLE)
        assert _triples(turtle, "turtle") == set(kg.sparql(CONSTRUCT).triples)  # type: ignore[union-attr]

        # A runaway holds one worker; another client (another address) is answered meanwhile.
        runaway: dict[str, Any] = {}
        thread = threading.Thread(target=lambda: runaway.update(reply=_post(endpoint, {"query": RUNAWAY})))
        thread.start()
        status, body = _post(endpoint, {"query": ASK}, source="127.0.0.2")
        assert (status, json.loads(body)["boolean"]) == (200, True)
        assert thread.is_alive(), "the quick query was answered only after the runaway ended"
        thread.join(timeout=120)
        status, body = runaway["reply"]
        assert 400 <= status < 500
        error = json.loads(body)
        assert error["type"] == "QueryTimeout"
        assert error["setting"] == "query_time_limit_s"
        assert _wrapper_query(endpoint, ASK, JSON)["boolean"] is True

        # The real server refuses outbound requests too.
        for data_ in (
            {"query": f"SELECT * WHERE {{ SERVICE <http://127.0.0.1:{listener.server_port}/> {{ ?s ?p ?o }} }}"},
            {"update": f"LOAD <http://127.0.0.1:{listener.server_port}/g.nt>"},
        ):
            code, reply = _post(endpoint, data_)
            assert code in (400, 403)
            assert json.loads(reply)["type"] == "QueryNotAllowed"
        assert listener.requests == []
        # DNS rebinding: a request naming another host reaches the real server but is not answered.
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        connection.request("GET", "/sparql?" + urllib.parse.urlencode({"query": ASK}), headers={"Host": "evil.test"})
        rebound = connection.getresponse()
        assert rebound.status == 400
        assert json.loads(rebound.read())["type"] == "HostNotAllowed"
        connection.close()
        workers = _children(proc.pid)
        assert workers, "the server should run its queries in worker processes"
        for pid in workers:  # every query worker runs under the network sandbox
            assert "Seccomp:\t2" in Path(f"/proc/{pid}/status").read_text(), f"worker {pid} is not sandboxed"
    finally:
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()
    assert proc.returncode == 0, err_path.read_text()
    assert f"http://127.0.0.1:{port}/sparql" in out_path.read_text()
    assert "Traceback" not in err_path.read_text()
    deadline = time.monotonic() + 30
    while any(_running(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(_running(pid) for pid in workers), "worker processes outlived the server"


# ----------------------------------------------------------------------------------- host names (DNS rebinding)

ALTERED_WORKER = str(Path(__file__).resolve().parents[1] / "altered_worker.py")


@pytest.mark.parametrize(
    ("bind", "setting", "answered", "refused"),
    [
        (
            "127.0.0.1",
            "",
            ["localhost:7878", "127.0.0.1:7878", "[::1]:7878", "LOCALHOST", "localhost."],
            ["evil.test:7878", "localhost.evil.test", "127.0.0.1.nip.io:7878", "10.0.0.5:7878", ""],
        ),
        ("::1", "kg.local", ["[::1]:7878", "localhost", "kg.local:7878"], ["evil.test", "[::2]:7878"]),
        ("192.168.1.5", "kg.example.org", ["192.168.1.5:7878", "kg.example.org"], ["localhost:7878", "evil.test"]),
        (
            "0.0.0.0",
            "kg.example.org",
            ["10.1.2.3:7878", "[2001:db8::1]:7878", "localhost", "kg.example.org"],
            ["evil.test:7878", "kg.example.org.evil.test"],
        ),
        ("127.0.0.1", "*", ["evil.test:7878", "anything"], []),
    ],
)
def test_the_endpoint_answers_only_the_host_names_it_is_reached_by(
    kg: KnowledgeGraph, bind: str, setting: str, answered: list[str], refused: list[str]
) -> None:
    """A web page that points a name of its own at 127.0.0.1 (DNS rebinding) gets 400, naming the setting."""
    from kgexplorer.server.endpoint import host_names

    client = TestClient(create_app(kg, allowed_hosts=host_names(bind, setting)))
    for host in answered:
        r = client.get("/sparql", params={"query": ASK}, headers={"Host": host})
        assert r.status_code == 200, (host, r.text)
    for host in refused:
        r = client.get("/sparql", params={"query": ASK}, headers={"Host": host})
        assert r.status_code == 400, (host, r.text)
        body = r.json()
        assert body["type"] == "HostNotAllowed"
        assert body["setting"] == "allowed_hosts"
        assert "kgexplorer --setting allowed_hosts NAME serve" in body["error"]
        assert r.headers["X-Content-Type-Options"] == "nosniff"
        assert client.get("/", headers={"Host": host}).status_code == 400  # every route, also the page
    if refused:  # each refusal is counted, like every other response
        metrics = client.get("/metrics", headers={"Host": answered[0]}).text
        assert f'kgexplorer_responses_total{{status="400",type="HostNotAllowed"}} {2 * len(refused)}' in metrics


def test_a_host_answered_before_lets_no_other_host_through(kg: KnowledgeGraph) -> None:
    """HostCheck remembers Host headers it answered (every request carries one): a refused name stays refused
    between and after them, also once the memory has been emptied for growing past its bound."""
    from kgexplorer.server.endpoint import host_names

    client = TestClient(create_app(kg, allowed_hosts=host_names("127.0.0.1", "")))
    for port in range(300):  # more allowed headers than it keeps
        assert client.get("/sparql", params={"query": ASK}, headers={"Host": f"localhost:{port}"}).status_code == 200
        if port % 97 == 0:
            for _ in range(2):  # a refusal is not remembered as an answer
                r = client.get("/sparql", params={"query": ASK}, headers={"Host": f"evil.test:{port}"})
                assert r.status_code == 400
                assert r.json()["type"] == "HostNotAllowed"
    assert client.get("/", headers={"Host": "localhost:7"}).status_code == 200
    assert client.get("/", headers={"Host": "localhost.evil.test"}).status_code == 400


def test_a_bad_allowed_hosts_setting_is_refused_with_the_fix() -> None:
    from kgexplorer.errors import SettingError
    from kgexplorer.server.endpoint import host_names

    with pytest.raises(SettingError, match=r"allowed_hosts must list host names.*'http://kg\.example\.org/'"):
        host_names("127.0.0.1", "http://kg.example.org/")
    assert Settings().with_pairs([("allowed_hosts", "kg.example.org")]).allowed_hosts == "kg.example.org"


def test_serve_says_at_start_when_the_kernel_refuses_the_sandbox(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """Before the server starts, its query workers start; without the sandbox that is a loud warning, and
    with require_sandbox at 1 an error (the server never starts)."""
    import uvicorn

    from kgexplorer import SandboxUnavailable
    from kgexplorer.engine import query_workers as worker_module
    from kgexplorer.server.endpoint import serve

    monkeypatch.setattr(worker_module, "_worker_command", lambda: [sys.executable, ALTERED_WORKER, "--no-sandbox"])
    monkeypatch.setattr(worker_module, "_WARNED", set())
    started: list[Any] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **options: started.append(app))
    with KnowledgeGraph.bundled() as kg, caplog.at_level("WARNING", logger="kgexplorer.engine.query_workers"):
        serve(kg, port=7878)
    assert len(started) == 1
    warning = " ".join(r.getMessage() for r in caplog.records)
    assert "the query workers run WITHOUT the network sandbox (switched off by the test" in warning
    with KnowledgeGraph.bundled(settings=Settings(require_sandbox=1)) as kg, pytest.raises(SandboxUnavailable):
        serve(kg, port=7878)
    assert len(started) == 1
