"""The explorer on a remote SPARQL endpoint: a real Oxigraph server must give the local answers.

The server (the ``oxigraph`` wheel of the test extra) serves the bundled graph plus its derived direct
edges, exported from the local store, on 127.0.0.1. Failures are played by a tiny stub HTTP server.
"""

from __future__ import annotations

import contextlib
import http.server
import re
import socket
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pytest
from tests.loopback import free_port

from kgexplorer import (
    AskResult,
    EndpointError,
    GraphResult,
    KnowledgeGraph,
    QueryNotAllowed,
    QuerySyntaxError,
    QueryTimeout,
    SelectResult,
    SettingError,
    Settings,
)
from kgexplorer.engine import address_policy as addresses_module
from kgexplorer.engine.remote_endpoint import RemoteBackend, check_endpoint_url
from kgexplorer.engine.results import SelectResult as _Select
from kgexplorer.model.paths import find_remote_paths
from kgexplorer.namespaces import KG, prefix_block
from kgexplorer.terms import Term

KETAMINE = KG + "ketamine"
AUD = KG + "alcohol_use_disorder"


# ------------------------------------------------------------------------------ a real Oxigraph server


@pytest.fixture(scope="module")
def endpoint_url(bundled_endpoint: str) -> str:
    """The session's Oxigraph server holding the bundled graph (tests/oxigraph_server.py, via conftest)."""
    return bundled_endpoint


@pytest.fixture(scope="module")
def remote(endpoint_url: str) -> Iterator[KnowledgeGraph]:
    graph = KnowledgeGraph.from_endpoint(endpoint_url)
    yield graph
    graph.close()


# ------------------------------------------------------------------------------ a stub endpoint


@dataclass
class Stub:
    """A one-answer HTTP server on 127.0.0.1 that records every request it receives."""

    status: int = 200
    body: bytes = b""
    content_type: str = "application/sparql-results+json"
    delay_s: float = 0.0
    headers: Mapping[str, str] = field(default_factory=dict)
    requests: list[dict[str, Any]] = field(default_factory=list)
    release: threading.Event = field(default_factory=threading.Event)
    url: str = ""

    def bodies(self) -> list[str]:
        return [r["body"] for r in self.requests]


@pytest.fixture
def stub() -> Iterator[Callable[..., Stub]]:
    """Start stub endpoints: ``stub(status=500, body=b"boom")``; all stop when the test ends."""
    servers: list[tuple[http.server.ThreadingHTTPServer, threading.Thread, Stub]] = []

    def start(**answer: Any) -> Stub:
        spec = Stub(**answer)

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                size = int(self.headers.get("Content-Length", "0"))
                spec.requests.append(
                    {
                        "path": self.path,
                        "headers": dict(self.headers),
                        "body": self.rfile.read(size).decode("utf-8"),
                    }
                )
                if spec.delay_s:
                    spec.release.wait(spec.delay_s)
                self.send_response(spec.status)
                self.send_header("Content-Type", spec.content_type)
                self.send_header("Content-Length", str(len(spec.body)))
                for name, value in spec.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # the client gave up first
                    self.wfile.write(spec.body)

            def log_message(self, format: str, *args: Any) -> None:
                pass  # keep the test output clean

        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
        thread.start()
        spec.url = f"http://127.0.0.1:{server.server_address[1]}/sparql"
        servers.append((server, thread, spec))
        return spec

    yield start
    for server, thread, spec in servers:
        spec.release.set()
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


EMPTY_SELECT = b'{"head":{"vars":["e"]},"results":{"bindings":[]}}'


# ------------------------------------------------------------------------------ same answers as local


def test_select_rows_match_local(kg: KnowledgeGraph, remote: KnowledgeGraph) -> None:
    query = "SELECT ?s ?label WHERE { ?s rdfs:label ?label } ORDER BY ?s ?label"
    local, there = kg.sparql(query), remote.sparql(query)
    assert isinstance(there, SelectResult)
    assert isinstance(local, SelectResult)
    assert there.variables == local.variables == ("s", "label")
    assert there.rows == local.rows
    assert len(there) > 100
    assert not there.truncated


def test_ask_matches_local(kg: KnowledgeGraph, remote: KnowledgeGraph) -> None:
    yes, no = "ASK { kg:ketamine a kgx:Substance }", "ASK { kg:ketamine a kgx:Condition }"
    assert isinstance(remote.sparql(yes), AskResult)
    assert (remote.sparql(yes).value, remote.sparql(no).value) == (True, False)
    assert (kg.sparql(yes).value, kg.sparql(no).value) == (True, False)


def test_construct_matches_local(kg: KnowledgeGraph, remote: KnowledgeGraph) -> None:
    query = "CONSTRUCT { kg:ketamine ?p ?o } WHERE { kg:ketamine ?p ?o }"
    local, there = kg.sparql(query), remote.sparql(query)
    assert isinstance(there, GraphResult)
    assert isinstance(local, GraphResult)
    assert set(there.triples) == set(local.triples)
    assert len(there) > 10


def test_row_cap_cuts_remote_results_and_says_so(remote: KnowledgeGraph) -> None:
    result = remote.sparql("SELECT ?s ?p ?o WHERE { ?s ?p ?o }", max_rows=5)
    assert isinstance(result, SelectResult)
    assert (len(result), result.truncated, result.row_limit) == (5, True, 5)
    graph = remote.sparql("CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }", max_rows=3)
    assert isinstance(graph, GraphResult)
    assert (len(graph), graph.truncated) == (3, True)


@pytest.mark.parametrize("text", ["special K", "Spravato", "alcohol use", "psil", "ketamine", "MDMA", "k"])
def test_search_matches_local(kg: KnowledgeGraph, remote: KnowledgeGraph, text: str) -> None:
    assert remote.search(text) == kg.search(text)
    assert remote.search(text)


def test_search_finds_ketamine_by_street_name(remote: KnowledgeGraph) -> None:
    hits = remote.search("special K")
    assert (hits[0].iri, hits[0].label, hits[0].matched) == (KETAMINE, "Ketamine", "Special K")


def test_resolve_matches_local(kg: KnowledgeGraph, remote: KnowledgeGraph) -> None:
    assert remote.resolve("Spravato") == kg.resolve("Spravato") == KG + "esketamine"
    assert remote.resolve("kg:ketamine") == KETAMINE


def test_entity_card_matches_local(kg: KnowledgeGraph, remote: KnowledgeGraph) -> None:
    local, there = kg.entity("ketamine"), remote.entity("ketamine")
    assert (there.ref, there.definition, there.synonyms) == (local.ref, local.definition, local.synonyms)
    assert there.identifiers == local.identifiers
    assert there.identifiers
    # Claims tied on the card's sort key may come in either order from different stores.
    assert sorted(there.claims, key=lambda c: c.iri) == sorted(local.claims, key=lambda c: c.iri)
    assert len(there.claims) > 10
    assert set(there.links) == set(local.links)


@pytest.mark.parametrize("depth", [1, 2])
def test_neighbourhood_matches_local(kg: KnowledgeGraph, remote: KnowledgeGraph, depth: int) -> None:
    local, there = kg.neighbourhood("ketamine", depth=depth), remote.neighbourhood("ketamine", depth=depth)
    assert set(there.graph.nodes) == set(local.graph.nodes)
    assert set(there.graph.edges(keys=True)) == set(local.graph.edges(keys=True))
    assert (there.truncated, there.hidden) == (local.truncated, local.hidden)
    assert there.graph.nodes[KETAMINE]["label"] == "Ketamine"


def test_stats_match_local(kg: KnowledgeGraph, remote: KnowledgeGraph) -> None:
    there = remote.stats()
    assert there == kg.stats()
    assert there.triples == len(kg) == len(remote)
    assert there.claims > 0


def _steps(paths: Sequence[Sequence[Any]]) -> set[tuple[tuple[str, str, str, bool], ...]]:
    return {tuple((s.source.iri, s.predicate, s.target.iri, s.forward) for s in p) for p in paths}


def test_paths_match_local(kg: KnowledgeGraph, remote: KnowledgeGraph, endpoint_url: str) -> None:
    local, there = kg.paths("ketamine", "alcohol use disorder"), remote.paths("ketamine", "alcohol use disorder")
    # Paths of equal length may be ranked in either order, so compare what cannot depend on ties.
    assert [len(p) for p in there.paths] == [len(p) for p in local.paths]
    assert there.paths[0] == local.paths[0]
    assert there.paths[0][0].relation == "tested as a treatment for"
    assert (there.truncated, there.source, there.target) == (local.truncated, local.source, local.target)
    every = Settings(max_paths=100)
    with (
        KnowledgeGraph.bundled(settings=every) as whole,
        KnowledgeGraph.from_endpoint(endpoint_url, settings=every) as far,
    ):
        # Every path, so a pair with fewer than max_paths of them (ketamine has over 100 to alcohol use
        # disorder at length 3, and which 100 are kept then depends on ties).
        for length in (2, 3):
            mine = whole.paths("ketamine", "cocaine use disorder", max_length=length)
            theirs = far.paths("ketamine", "cocaine use disorder", max_length=length)
            assert not mine.truncated
            assert _steps(theirs.paths) == _steps(mine.paths)
            assert not theirs.truncated


class Recording:
    """A backend that records every query it forwards."""

    def __init__(self, inner: RemoteBackend) -> None:
        self.inner = inner
        self.calls: list[tuple[str, bool, int]] = []

    def select(
        self,
        query: str,
        *,
        values: Mapping[str, Term | Sequence[Term]] | None = None,
        max_rows: int | None = None,
    ) -> _Select:
        result = self.inner.select(query, values=values, max_rows=max_rows)
        self.calls.append((query, bool(values), len(result)))
        return result


def test_remote_paths_ask_only_about_nodes_near_the_ends(remote: KnowledgeGraph, kg: KnowledgeGraph) -> None:
    assert remote.endpoint is not None
    recording = Recording(remote.endpoint)
    found = find_remote_paths(recording, KETAMINE, AUD, k=3, max_length=6)
    assert len(found.paths) == 3
    assert recording.calls
    # Every query is about given nodes (a VALUES block), never the whole graph.
    assert all(bound for _, bound, _ in recording.calls)
    assert max(rows for _, _, rows in recording.calls) < len(kg)


def test_remote_paths_say_when_the_node_budget_cut_them(remote: KnowledgeGraph) -> None:
    assert remote.endpoint is not None
    cut = find_remote_paths(remote.endpoint, KETAMINE, KG + "psilocybin", k=5, max_length=6, node_budget=3)
    assert cut.truncated
    whole = find_remote_paths(remote.endpoint, KETAMINE, AUD, k=1, max_length=1)
    assert len(whole.paths) == 1


def test_len_and_repr_of_a_remote_graph(remote: KnowledgeGraph, kg: KnowledgeGraph, endpoint_url: str) -> None:
    assert len(remote) == len(kg) > 5000
    assert repr(remote) == f"<KnowledgeGraph SPARQL endpoint {endpoint_url}>"
    assert remote.is_remote
    assert not kg.is_remote


# ------------------------------------------------------------------------------ failures are clear


def test_unreachable_endpoint_says_so() -> None:
    url = f"http://127.0.0.1:{free_port()}/query"  # just closed: nothing listens there
    with KnowledgeGraph.from_endpoint(url) as graph:
        assert repr(graph) == f"<KnowledgeGraph SPARQL endpoint {url}>"  # a repr never sends anything
        with pytest.raises(EndpointError, match="cannot reach the SPARQL endpoint") as info:
            graph.sparql("ASK { ?s ?p ?o }")
        assert url in str(info.value)
        assert "connection refused" in str(info.value)
        with pytest.raises(EndpointError, match="cannot reach"):
            graph.search("ketamine")


def test_http_error_gives_status_and_body(stub: Callable[..., Stub]) -> None:
    failing = stub(status=500, body=b"boom: the store is on fire\n" + b"x" * 5000, content_type="text/plain")
    with KnowledgeGraph.from_endpoint(failing.url) as graph, pytest.raises(EndpointError) as info:
        graph.entity("ketamine")
    message = str(info.value)
    assert "HTTP 500" in message
    assert "boom: the store is on fire" in message
    assert "try again later" in message
    assert len(message) < 800  # only the first part of the body


@pytest.mark.parametrize(
    ("status", "fix"),
    [(400, "could not run the query"), (403, "refused access"), (404, "no SPARQL endpoint at this URL")],
)
def test_http_error_says_what_to_do(stub: Callable[..., Stub], status: int, fix: str) -> None:
    failing = stub(status=status, body=b"nope", content_type="text/plain")
    with KnowledgeGraph.from_endpoint(failing.url) as graph, pytest.raises(EndpointError, match=fix):
        graph.sparql("SELECT * WHERE { ?s ?p ?o }")


def test_redirect_is_not_followed(stub: Callable[..., Stub]) -> None:
    moved = stub(status=301, headers={"Location": "http://127.0.0.1:9/elsewhere"}, content_type="text/plain")
    with KnowledgeGraph.from_endpoint(moved.url) as graph, pytest.raises(EndpointError, match="moved to") as info:
        graph.sparql("ASK { ?s ?p ?o }")
    assert "http://127.0.0.1:9/elsewhere" in str(info.value)
    assert len(moved.requests) == 1


@pytest.mark.parametrize(
    "body",
    [
        b"this is not JSON at all",
        # What Oxigraph sends when it cancels a query: HTTP 200 and a cut-short body.
        b'{"head":{"vars":["n"]},"results":{"bindings":[The SPARQL operation has been cancelled',
        b'{"head":{"vars":["e"]},"results":{"bindings":[{"e":{"type":"uri","value":"http://x/a"}},',
    ],
)
def test_bad_or_cut_short_json_is_an_error(stub: Callable[..., Stub], body: bytes) -> None:
    junk = stub(body=body)
    with KnowledgeGraph.from_endpoint(junk.url) as graph:
        with pytest.raises(EndpointError, match=r"not valid SPARQL Results in JSON .*cut short"):
            graph.sparql("SELECT ?e WHERE { ?e ?p ?o }")
        with pytest.raises(EndpointError, match="not valid SPARQL Results in JSON"):
            graph.stats()


def test_web_page_instead_of_results_is_an_error(stub: Callable[..., Stub]) -> None:
    page = stub(body=b"<html><body>Welcome</body></html>", content_type="text/html")
    with KnowledgeGraph.from_endpoint(page.url) as graph, pytest.raises(EndpointError, match="web page"):
        graph.sparql("SELECT ?e WHERE { ?e ?p ?o }")


def test_bad_ntriples_is_an_error(stub: Callable[..., Stub]) -> None:
    junk = stub(
        body=b"<http://x/a> <http://x/b> <http://x/c> .\nThe SPARQL operation", content_type="application/n-triples"
    )
    with KnowledgeGraph.from_endpoint(junk.url) as graph, pytest.raises(EndpointError, match="not valid N-Triples"):
        graph.sparql("CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }")
    assert junk.requests[0]["headers"]["Accept"] == "application/n-triples"


def test_slow_endpoint_times_out_with_the_setting_named(stub: Callable[..., Stub]) -> None:
    slow = stub(body=EMPTY_SELECT, delay_s=30)
    settings = Settings(endpoint_timeout_s=0.2, query_time_limit_s=0.2)
    with KnowledgeGraph.from_endpoint(slow.url, settings=settings) as graph:
        with pytest.raises(EndpointError, match=r"did not answer within 0\.2 s \(the endpoint_timeout_s setting\)"):
            graph.stats()
        with pytest.raises(EndpointError, match="the query_time_limit_s setting"):
            graph.sparql("SELECT ?e WHERE { ?e ?p ?o }")


@pytest.mark.parametrize(
    "query",
    [
        "SELECT * WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }",
        "INSERT DATA { <http://x/a> <http://x/b> <http://x/c> }",
        "SELECT * FROM <http://127.0.0.1:9/data.ttl> WHERE { ?s ?p ?o }",
    ],
)
def test_refused_queries_send_nothing(stub: Callable[..., Stub], query: str) -> None:
    watched = stub(body=EMPTY_SELECT)
    with KnowledgeGraph.from_endpoint(watched.url) as graph:
        with pytest.raises(QueryNotAllowed):
            graph.sparql(query)
        assert graph.endpoint is not None
        with pytest.raises(QueryNotAllowed):
            graph.endpoint.query(query, max_rows=10, timeout_s=1)
    assert watched.requests == []


def test_the_full_guard_checks_queries_for_an_endpoint_and_the_checked_text_is_sent(stub: Callable[..., Stub]) -> None:
    """No sandbox protects a remote endpoint (it would run a SERVICE itself), so the full guard runs, in a
    store-less worker, and what is sent is exactly the normalised text it checked (issue 12)."""
    watched = stub(body=EMPTY_SELECT)
    with KnowledgeGraph.from_endpoint(watched.url) as graph:
        graph.sparql("SELECT * WHERE {\r\n  ?s ?p ?o # a comment\r}")
        for refused in (
            "SELECT * WHERE { # c\rSERVICE <http://127.0.0.1:9/x> { ?s ?p ?o } \n}",  # the \r bypass
            "SELECT * WHERE { \\u0053ERVICE <http://127.0.0.1:9/x> { ?s ?p ?o } }",  # past the cheap screen
            "SELECT * WHERE { ?s ?p ?o } ; DROP ALL",
        ):
            with pytest.raises((QueryNotAllowed, QuerySyntaxError)):
                graph.sparql(refused)
    assert watched.bodies() == [prefix_block() + "SELECT * WHERE {\n  ?s ?p ?o # a comment\n}"]


def test_a_query_too_costly_to_check_is_stopped_at_the_time_limit_before_sending(stub: Callable[..., Stub]) -> None:
    watched = stub(body=EMPTY_SELECT)
    costly = "SELECT * WHERE { FILTER(1 IN (" + ",".join(["1"] * 30_000) + ")) }"  # ~30 s for rdflib
    with KnowledgeGraph.from_endpoint(watched.url, settings=Settings(query_time_limit_s=2)) as graph:
        with pytest.raises(QueryTimeout, match=r"could not be checked within 2 s .*query_time_limit_s"):
            graph.sparql(costly)
        assert isinstance(graph.sparql("SELECT * WHERE { ?s ?p ?o }"), SelectResult)  # the guard answers again
    assert len(watched.requests) == 1


def test_requests_follow_the_protocol_and_bind_user_text_as_a_literal(stub: Callable[..., Stub]) -> None:
    watched = stub(body=EMPTY_SELECT)
    sneaky = 'x") } } DROP ALL #'
    with KnowledgeGraph.from_endpoint(watched.url) as graph:
        assert graph.search(sneaky) == []
    assert watched.requests
    for request in watched.requests:
        assert request["path"] == "/sparql"
        assert request["headers"]["Content-Type"] == "application/sparql-query"
        assert request["headers"]["Accept"] == "application/sparql-results+json"
        assert request["body"].startswith("PREFIX kgx: <https://w3id.org/kgexplorer/vocab#>\n")
    sent = "\n".join(watched.bodies())
    assert 'VALUES (?q) { ("x\\") } } drop all #") }' in sent
    assert "DROP ALL" not in sent  # the text only ever appears lower-cased inside a string literal


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("localhost:7878/query", "must start with http"),
        ("ftp://example.org/sparql", "must start with http"),
        ("http:///query", "name a host"),
        ("http://user:secret@example.org/sparql", "user name or password"),
        ("http://example.org:port/sparql", "port is not a number"),
    ],
)
def test_bad_endpoint_urls_are_refused(url: str, problem: str) -> None:
    with pytest.raises(EndpointError, match=problem):
        KnowledgeGraph.from_endpoint(url)
    with pytest.raises(EndpointError, match=problem):
        check_endpoint_url(url)


def test_template_rows_are_capped(remote: KnowledgeGraph) -> None:
    rows = remote.select("SELECT ?s WHERE { ?s ?p ?o }", max_rows=7)
    assert (len(rows), rows.truncated, rows.row_limit) == (7, True, 7)


def test_query_length_limit_applies_before_sending(stub: Callable[..., Stub]) -> None:
    watched = stub(body=EMPTY_SELECT)
    long_query = "SELECT * WHERE { ?s ?p ?o } " + "#" * 200
    with KnowledgeGraph.from_endpoint(watched.url, settings=Settings(max_query_chars=100)) as graph:
        with pytest.raises(QueryNotAllowed, match="max_query_chars"):
            graph.sparql(long_query)
        short = graph.sparql("SELECT * WHERE { ?s ?p ?o }")
    assert isinstance(short, SelectResult)
    assert (short.variables, short.rows) == (("e",), ())
    assert len(watched.requests) == 1


# ------------------------------------------------------------------------------ which addresses may be reached

#: Public addresses the fake resolver hands out; the fake "network" delivers them to loopback stubs, so no
#: packet leaves the machine (nothing routes these to the internet in a test).
PUBLIC = "1.2.3.4"
OTHER_PUBLIC = "5.6.7.8"
SAFE_FIX = "kgexplorer --setting remote_endpoints 2 app"


@dataclass
class FakeNet:
    """Fake name resolution: names answer the addresses given (a list per lookup, the last one repeats),
    and an address in ``routes`` is delivered to that port on 127.0.0.1. Other lookups go to the real resolver."""

    names: dict[str, list[list[str]]] = field(default_factory=dict)
    routes: dict[str, int] = field(default_factory=dict)
    lookups: list[str] = field(default_factory=list)

    def name(self, host: str, *answers: list[str]) -> None:
        self.names[host] = list(answers)

    def route(self, address: str, to: Stub) -> None:
        self.routes[address] = _port(to)


@pytest.fixture
def fake_net(monkeypatch: pytest.MonkeyPatch) -> FakeNet:
    net = FakeNet()
    real = socket.getaddrinfo

    def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        text = host.decode() if isinstance(host, bytes) else str(host)
        if text in net.names:
            net.lookups.append(text)
            answers = net.names[text]
            ips = answers.pop(0) if len(answers) > 1 else answers[0]
            return [
                (socket.AF_INET6, socket.SOCK_STREAM, 6, "", (ip, int(port), 0, 0))
                if ":" in ip
                else (socket.AF_INET, socket.SOCK_STREAM, 6, "", (ip, int(port)))
                for ip in ips
            ]
        if text in net.routes:
            return real("127.0.0.1", net.routes[text], *args, **kwargs)
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return net


def _port(spec: Stub) -> int:
    return int(spec.url.split(":")[2].split("/")[0])


def _backend(url: str, level: int) -> RemoteBackend:
    return RemoteBackend(url, timeout_s=5, remote_endpoints=level)


ASK = "ASK { ?s ?p ?o }"


def _yes(backend: RemoteBackend) -> bool:
    """Whether ASK on the backend answered yes (the stubs answer yes)."""
    result = backend.query(ASK, max_rows=10, timeout_s=5)
    return isinstance(result, AskResult) and result.value


def test_the_setting_defaults_to_any_address_and_is_0_to_2() -> None:
    assert Settings().remote_endpoints == 2
    assert Settings().with_pairs([("remote_endpoints", "1")]).remote_endpoints == 1
    with pytest.raises(SettingError, match="must be at most 2"):
        Settings(remote_endpoints=3)
    with pytest.raises(SettingError, match="must be 0, 1 or 2"):
        RemoteBackend("http://localhost:7878/query", timeout_s=5, remote_endpoints=7)


def test_at_0_no_endpoint_is_opened(stub: Callable[..., Stub]) -> None:
    watched = stub(body=b"true", content_type="application/sparql-results+json")
    with pytest.raises(EndpointError) as info:
        _backend(watched.url, 0)
    message = str(info.value)
    assert "switched off" in message
    assert "the remote_endpoints setting is 0" in message
    assert watched.url in message
    assert "--setting remote_endpoints 1" in message
    assert watched.requests == []


def test_at_2_a_loopback_endpoint_is_reached_and_at_1_it_is_refused_without_a_request(
    stub: Callable[..., Stub],
) -> None:
    local = stub(body=b'{"head":{},"boolean":true}')
    assert _yes(_backend(local.url, 2))
    assert len(local.requests) == 1

    with pytest.raises(EndpointError) as info:  # an address in the URL is refused at once
        _backend(local.url, 1)
    by_name = _backend(local.url.replace("127.0.0.1", "localhost"), 1)  # a name: refused when connecting
    with pytest.raises(EndpointError) as by_name_info:
        by_name.query(ASK, max_rows=10, timeout_s=5)

    assert len(local.requests) == 1
    assert f"{local.url} was not contacted: its address 127.0.0.1 is a loopback address" in str(info.value)
    loopback = r"was not contacted: localhost resolves to (127\.0\.0\.1|::1), a loopback address"
    assert re.search(loopback, str(by_name_info.value))
    for message in (str(info.value), str(by_name_info.value)):
        assert "remote_endpoints setting at 1" in message
        assert SAFE_FIX in message
    assert str(by_name_info.value).startswith(f"the SPARQL endpoint {by_name.url} was not contacted: localhost")


def test_at_1_a_public_address_is_reached(stub: Callable[..., Stub], fake_net: FakeNet) -> None:
    """The control for the refusals below: the same path works when the name resolves to a public address."""
    public = stub(body=b'{"head":{},"boolean":true}')
    fake_net.name("sparql.example.org", [PUBLIC])
    fake_net.route(PUBLIC, public)
    backend = _backend(f"http://sparql.example.org:{_port(public)}/sparql", 1)

    assert _yes(backend)
    assert len(public.requests) == 1
    assert public.requests[0]["headers"]["Host"] == f"sparql.example.org:{_port(public)}"


@pytest.mark.parametrize(
    ("address", "kind"),
    [
        ("169.254.169.254", "a link-local address"),  # cloud metadata
        ("10.0.0.5", "a private or special-purpose address"),
        ("192.168.1.1", "a private or special-purpose address"),
        ("172.16.0.1", "a private or special-purpose address"),
        ("100.64.0.1", "not a public internet address"),  # carrier-grade NAT
        ("127.0.0.2", "a loopback address"),
        ("0.0.0.0", "the unspecified address"),
        ("224.0.0.1", "a multicast address"),  # Python 3.11 calls this one global
        ("240.0.0.1", "a reserved address"),
        ("::1", "a loopback address"),
        ("::", "the unspecified address"),
        ("fe80::1", "a link-local address"),
        ("fd00:ec2::254", "a private or special-purpose address"),  # AWS metadata over IPv6
        ("fec0::1", "a site-local address"),
        ("ff0e::1", "a multicast address"),
        ("::ffff:127.0.0.1", "an IPv6 form of 127.0.0.1, which is a loopback address"),
        ("::ffff:169.254.169.254", "an IPv6 form of 169.254.169.254, which is a link-local address"),
        ("2002:7f00:1::", "an IPv6 form of 127.0.0.1, which is a loopback address"),  # 6to4
        ("64:ff9b::a00:1", "an IPv6 form of 10.0.0.1, which is a private"),  # NAT64
        ("::7f00:1", "a reserved address"),  # IPv4-compatible, deprecated
    ],
)
def test_at_1_internal_addresses_are_refused_without_a_request(
    stub: Callable[..., Stub], fake_net: FakeNet, monkeypatch: pytest.MonkeyPatch, address: str, kind: str
) -> None:
    trap = stub(body=b'{"head":{},"boolean":true}')
    fake_net.name("internal.example.org", [address])
    fake_net.route(address, trap)  # were the check skipped, the request would land here
    url = f"http://internal.example.org:{_port(trap)}/sparql"

    with pytest.raises(EndpointError) as info:
        _backend(url, 1).query(ASK, max_rows=10, timeout_s=5)

    message = str(info.value)
    assert message.startswith(f"the SPARQL endpoint {url} was not contacted: internal.example.org resolves to")
    assert f"{address}, {kind}" in message
    assert SAFE_FIX in message
    assert trap.requests == []
    monkeypatch.setattr(addresses_module, "address_problem", lambda text: None)
    assert _yes(_backend(url, 1))
    assert len(trap.requests) == 1  # the control: without the check the request lands in the trap


def test_at_1_every_address_of_a_name_must_be_public(stub: Callable[..., Stub], fake_net: FakeNet) -> None:
    trap = stub(body=b'{"head":{},"boolean":true}')
    fake_net.name("mixed.example.org", [PUBLIC, "10.1.2.3"])
    fake_net.route(PUBLIC, trap)
    fake_net.route("10.1.2.3", trap)

    with pytest.raises(EndpointError, match=r"resolves to 10\.1\.2\.3, a private"):
        _backend(f"http://mixed.example.org:{_port(trap)}/sparql", 1).query(ASK, max_rows=10, timeout_s=5)
    assert trap.requests == []


def test_at_1_the_address_is_checked_on_every_connection(stub: Callable[..., Stub], fake_net: FakeNet) -> None:
    """DNS rebinding: a name that was public when first used answers 127.0.0.1 later; that request is refused."""
    public = stub(body=b'{"head":{},"boolean":true}')
    fake_net.name("rebind.example.org", [PUBLIC], ["127.0.0.1"])
    fake_net.route(PUBLIC, public)
    backend = _backend(f"http://rebind.example.org:{_port(public)}/sparql", 1)

    assert _yes(backend)
    with pytest.raises(EndpointError, match=r"resolves to 127\.0\.0\.1, a loopback address"):
        backend.query(ASK, max_rows=10, timeout_s=5)

    # Had the second request been sent, it would have gone to 127.0.0.1 on the same port: this stub.
    assert len(public.requests) == 1
    assert fake_net.lookups == ["rebind.example.org", "rebind.example.org"]  # one lookup per connection


def test_at_1_the_checked_address_is_the_one_connected_to(stub: Callable[..., Stub], fake_net: FakeNet) -> None:
    """The name is looked up once per connection: a second lookup (which would answer loopback) never happens."""
    public = stub(body=b'{"head":{},"boolean":true}')
    fake_net.name("once.example.org", [PUBLIC], ["127.0.0.1"])
    fake_net.route(PUBLIC, public)

    assert _yes(_backend(f"http://once.example.org:{_port(public)}/sparql", 1))
    assert fake_net.lookups == ["once.example.org"]
    assert len(public.requests) == 1


def test_at_1_a_redirect_to_an_internal_address_reaches_nothing(stub: Callable[..., Stub], fake_net: FakeNet) -> None:
    internal = stub(body=b'{"head":{},"boolean":true}')
    for status in (301, 302, 303, 307, 308):
        public = stub(status=status, headers={"Location": internal.url}, content_type="text/plain")
        fake_net.name(f"moved{status}.example.org", [PUBLIC])
        fake_net.route(PUBLIC, public)
        with pytest.raises(EndpointError, match="moved to"):
            _backend(f"http://moved{status}.example.org:{_port(public)}/sparql", 1).query(ASK, max_rows=10, timeout_s=5)
        assert len(public.requests) == 1
    assert internal.requests == []
    with pytest.raises(EndpointError, match=r"its address 127\.0\.0\.1 is a loopback address"):
        _backend(internal.url, 1)  # and typing the new URL in is refused


def test_at_1_environment_proxies_are_not_used(
    stub: Callable[..., Stub], fake_net: FakeNet, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Through a proxy the check would judge the proxy's address, and the proxy could reach anything."""
    public = stub(body=b'{"head":{},"boolean":true}')
    proxy = stub(body=b'{"head":{},"boolean":true}')
    fake_net.name("sparql.example.org", [OTHER_PUBLIC])
    fake_net.route(OTHER_PUBLIC, public)
    for name in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY"):
        monkeypatch.setenv(name, f"http://127.0.0.1:{_port(proxy)}")
    for name in ("no_proxy", "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)

    assert _yes(_backend(f"http://sparql.example.org:{_port(public)}/sparql", 1))
    assert (len(public.requests), proxy.requests) == (1, [])
    assert _yes(_backend(f"http://sparql.example.org:{_port(public)}/sparql", 2))
    assert len(proxy.requests) == 1  # the control: at 2 the environment's proxy is used, as before


def test_at_1_https_is_checked_before_any_tls(fake_net: FakeNet) -> None:
    fake_net.name("secure.example.org", ["169.254.169.254"])
    with pytest.raises(EndpointError, match=r"resolves to 169\.254\.169\.254, a link-local address"):
        _backend("https://secure.example.org/sparql", 1).query(ASK, max_rows=10, timeout_s=5)
