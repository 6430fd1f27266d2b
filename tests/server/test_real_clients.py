"""Real SPARQL clients against a real ``kgexplorer serve``, each answer compared with ``oxigraph serve-read-only``
on the same data (issue 16): SPARQLWrapper in every return format, rdflib's ``SPARQLStore`` (SELECT, ASK,
CONSTRUCT, DESCRIBE, and a result past the row limit that must not be taken for the whole), and a browser
page on another origin sending YASGUI's requests (CORS).

Both servers hold the bundled graph (Oxigraph loads the store's dump, and queries it with the union default
graph as kgexplorer does). Under ``CI=true`` a missing Oxigraph server or Chromium fails the run.
"""

from __future__ import annotations

import contextlib
import gc
import io
import json
import os
import shutil
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import pytest
import rdflib
from rdflib.compare import to_isomorphic
from rdflib.query import Result
from tests.e2e.harness import chromium
from tests.loopback import free_port

from kgexplorer.engine.store import StoreRecipe, build_store

ROW_LIMIT = 200  # the served max_result_rows: above every answer compared here, below the graph's size
PREFIXES = """PREFIX kgx: <https://w3id.org/kgexplorer/vocab#>
PREFIX kg: <https://w3id.org/kgexplorer/id/>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
"""
QUERIES = {
    "SELECT": PREFIXES + "SELECT ?s ?label WHERE { ?s a kgx:Substance ; rdfs:label ?label } ORDER BY ?s ?label",
    "ASK": PREFIXES + "ASK { kg:ketamine a kgx:Substance }",
    "CONSTRUCT": PREFIXES + "CONSTRUCT { ?s rdfs:label ?label } WHERE { ?s a kgx:Substance ; rdfs:label ?label }",
    "DESCRIBE": PREFIXES + "DESCRIBE kg:psilocybin",
}
#: SPARQLWrapper's return formats for each query form (XML is its default, RDF/XML for graphs).
WRAPPER_FORMATS = {
    "SELECT": ("json", "xml", "csv", "tsv"),
    "ASK": ("json", "xml", "csv", "tsv"),
    "CONSTRUCT": ("xml", "rdf+xml", "turtle", "n3", "json-ld"),
    "DESCRIBE": ("xml", "rdf+xml", "turtle", "n3", "json-ld"),
}


def _needed(what: str, fix: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"{what} is missing: {fix}")
    pytest.skip(f"{what} is missing: {fix}")


def _answers(url: str) -> bool:
    request = urllib.request.Request(url + "?query=ASK%7B%7D", headers={"Accept": "application/sparql-results+json"})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False


def _started(proc: subprocess.Popen[bytes], url: str, log: Path) -> None:
    deadline = time.monotonic() + 120
    while not _answers(url):
        if proc.poll() is not None or time.monotonic() > deadline:
            pytest.fail(f"the server at {url} did not start: {log.read_text(errors='replace')[-2000:]}")
        time.sleep(0.1)


def _stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()  # by PID: this test's own server only
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)


@dataclass(frozen=True)
class Servers:
    """The two endpoints on the same data, and the origin of the page allowed to read kgexplorer's answers."""

    ours: str
    oxigraph: str
    page_origin: str


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Servers]:
    binary = Path(sys.executable).with_name("oxigraph")
    program = str(binary) if binary.is_file() else shutil.which("oxigraph")
    if program is None:
        _needed("the oxigraph server binary", "pip install oxigraph (it is in the test extra)")
    folder = tmp_path_factory.mktemp("clients")
    dump = folder / "bundled.nq"
    build_store(StoreRecipe.bundled()).dump(str(dump), format=ox.RdfFormat.N_QUADS)
    subprocess.run(
        [str(program), "load", "--location", str(folder / "db"), "--file", str(dump)],
        check=True,
        capture_output=True,
        timeout=120,
    )
    page_origin = f"http://127.0.0.1:{free_port()}"
    ox_port, our_port = free_port(), free_port()
    ox_log, our_log = folder / "oxigraph.log", folder / "kgexplorer.log"
    with ox_log.open("wb") as out:
        oxigraph = subprocess.Popen(
            [
                str(program),
                "serve-read-only",
                "--location",
                str(folder / "db"),
                "--bind",
                f"127.0.0.1:{ox_port}",
                "--cors",
                "--union-default-graph",
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    with our_log.open("wb") as out:
        ours = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "kgexplorer.cli.commands",
                "--setting",
                "max_result_rows",
                str(ROW_LIMIT),
                "serve",
                "--port",
                str(our_port),
                "--cors",
                page_origin,
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    try:
        found = Servers(f"http://127.0.0.1:{our_port}/sparql", f"http://127.0.0.1:{ox_port}/query", page_origin)
        _started(oxigraph, found.oxigraph, ox_log)
        _started(ours, found.ours, our_log)
        yield found
    finally:
        _stop(ours)
        _stop(oxigraph)


# ------------------------------------------------------------------------------------------ SPARQLWrapper


def _rows(result: Result) -> list[tuple[str, ...]]:
    return sorted(tuple(str(v) for v in row) for row in result)  # type: ignore[union-attr]


def _graph_of(converted: Any, fmt: str) -> rdflib.Graph:
    graph = rdflib.Graph()
    if isinstance(converted, rdflib.Graph):  # SPARQLWrapper hands RDF/XML and JSON-LD back parsed
        for triple in converted.triples((None, None, None)):
            graph.add(triple)
        return graph
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return graph.parse(data=converted, format="n3" if fmt == "n3" else "turtle")


def wrapper_answer(url: str, form: str, fmt: str) -> Any:
    """What SPARQLWrapper gives for ``form`` in ``fmt``, made comparable; raises what it raises."""
    from SPARQLWrapper import SPARQLWrapper

    client = SPARQLWrapper(url)
    client.setQuery(QUERIES[form])
    client.setReturnFormat(fmt)
    response = client.query()
    try:
        with warnings.catch_warnings():  # rdflib warns SPARQLWrapper about its own API (ConjunctiveGraph)
            warnings.simplefilter("ignore", DeprecationWarning)
            converted = response.convert()
    finally:
        response.response.close()
    if form in ("CONSTRUCT", "DESCRIBE"):
        graph = _graph_of(converted, fmt)
        assert len(graph) > 0
        return to_isomorphic(graph)
    if fmt == "json":
        if form == "ASK":
            return converted["boolean"]
        return sorted(json.dumps(b, sort_keys=True) for b in converted["results"]["bindings"])
    if fmt == "xml":
        parsed = Result.parse(io.BytesIO(converted.toxml("utf-8")), format="xml")
        return parsed.askAnswer if form == "ASK" else _rows(parsed)
    text = converted.decode("utf-8") if isinstance(converted, bytes) else str(converted)
    return text.strip() if form == "ASK" else sorted(text.splitlines())


@pytest.mark.slow
@pytest.mark.parametrize(("form", "fmt"), [(form, fmt) for form, fmts in WRAPPER_FORMATS.items() for fmt in fmts])
def test_sparqlwrapper_gets_what_oxigraph_gives(servers: Servers, form: str, fmt: str) -> None:
    """Each SPARQLWrapper return format (its default XML for a graph is RDF/XML) answers as Oxigraph's does."""
    ours = wrapper_answer(servers.ours, form, fmt)
    assert ours == wrapper_answer(servers.oxigraph, form, fmt)
    assert ours not in ([], None, "")


# ------------------------------------------------------------------------------------------ rdflib SPARQLStore


@contextlib.contextmanager
def _rdflib_leaves_responses_open() -> Iterator[None]:
    """rdflib's SPARQLConnector never closes its HTTP responses (rdflib 7.6): collect them here, where the
    unclosed sockets are rdflib's, instead of in whichever test the garbage collector next runs in."""
    try:
        yield
    finally:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ResourceWarning)
            gc.collect()


def store_answer(url: str, form: str, return_format: str = "xml") -> Any:
    from rdflib.plugins.stores.sparqlstore import SPARQLStore

    graph = rdflib.Graph(store=SPARQLStore(query_endpoint=url, returnFormat=return_format))
    with _rdflib_leaves_responses_open():
        return _store_answer(graph, form)


def _store_answer(graph: rdflib.Graph, form: str) -> Any:
    try:
        result = graph.query(QUERIES[form])
        if form == "ASK":
            return result.askAnswer
        if form == "SELECT":
            return _rows(result)
        assert result.graph is not None
        assert len(result.graph) > 0
        return to_isomorphic(result.graph)
    finally:
        graph.close()


@pytest.mark.slow
@pytest.mark.parametrize("form", list(QUERIES))
def test_rdflib_sparqlstore_gets_what_oxigraph_gives(servers: Servers, form: str) -> None:
    assert store_answer(servers.ours, form) == store_answer(servers.oxigraph, form)


@pytest.mark.slow
@pytest.mark.parametrize("form", ["SELECT", "ASK"])
def test_rdflib_sparqlstore_with_json_results(servers: Servers, form: str) -> None:
    assert store_answer(servers.ours, form, "json") == store_answer(servers.oxigraph, form, "json")


@pytest.mark.slow
def test_rdflib_sparqlstore_never_takes_a_cut_result_for_the_whole(servers: Servers) -> None:
    """Issue 16: SPARQLStore counted every triple, then iterated only the row limit's worth, silently. Now
    the count is whole and iterating past the limit raises, naming the setting."""
    from rdflib.plugins.stores.sparqlstore import SPARQLStore

    graph = rdflib.Graph(store=SPARQLStore(query_endpoint=servers.ours))
    try:
        with _rdflib_leaves_responses_open():
            _a_cut_is_refused(graph)
    finally:
        graph.close()


def _a_cut_is_refused(graph: rdflib.Graph) -> None:
    size = len(graph)
    assert size > ROW_LIMIT
    with pytest.raises(ValueError, match="something wrong") as refused:  # rdflib's words for any HTTP error
        list(graph.triples((None, None, None)))
    http = refused.value.__context__
    assert isinstance(http, urllib.error.HTTPError)
    assert http.code == 422
    with http:
        assert json.loads(http.read())["setting"] == "max_result_rows"
    page = graph.query(f"SELECT * WHERE {{ ?s ?p ?o }} ORDER BY ?s ?p ?o LIMIT {ROW_LIMIT} OFFSET {ROW_LIMIT}")
    assert len(list(page)) == ROW_LIMIT


# ------------------------------------------------------------------------------------------ a browser on another origin


class _Page(BaseHTTPRequestHandler):
    body = b"<!doctype html><title>another origin</title><p>a page that is not the endpoint</p>"

    def do_GET(self) -> None:  # http.server's name
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(self.body)))
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, format: str, *args: object) -> None:
        return


# What YASGUI sends (its default request: POST, form-encoded, Accept by query form), as fetch() calls.
_YASGUI_FETCH = """async ([url, query, accept]) => {
  try {
    const r = await fetch(url, {method: "POST", headers: {"Accept": accept,
      "Content-Type": "application/x-www-form-urlencoded; charset=UTF-8"}, body: "query=" + encodeURIComponent(query)});
    return {status: r.status, type: r.headers.get("content-type"), body: await r.text()};
  } catch (e) { return {error: String(e)}; }
}"""


@pytest.mark.slow
def test_a_page_on_another_origin_sends_yasguis_requests(servers: Servers) -> None:
    """A browser page on the origin given to --cors reads SELECT and CONSTRUCT answers (the preflight is
    answered), as it does from Oxigraph with --cors; a page on another origin cannot read them."""
    port = int(servers.page_origin.rsplit(":", 1)[1])
    page_server = ThreadingHTTPServer(("127.0.0.1", port), _Page)
    threading.Thread(target=page_server.serve_forever, daemon=True).start()
    other = ThreadingHTTPServer(("127.0.0.1", 0), _Page)
    threading.Thread(target=other.serve_forever, daemon=True).start()
    try:
        with chromium() as browser:
            page = browser.new_page()
            page.goto(servers.page_origin + "/")
            answers = {}
            for name, url in (("ours", servers.ours), ("oxigraph", servers.oxigraph)):
                json_accept = "application/sparql-results+json,*/*;q=0.9"
                select = page.evaluate(_YASGUI_FETCH, [url, QUERIES["SELECT"], json_accept])
                construct = page.evaluate(_YASGUI_FETCH, [url, QUERIES["CONSTRUCT"], "text/turtle,*/*;q=0.9"])
                assert select.get("status") == 200, select
                assert construct.get("status") == 200, construct
                rows = sorted(json.dumps(b, sort_keys=True) for b in json.loads(select["body"])["results"]["bindings"])
                answers[name] = (rows, to_isomorphic(rdflib.Graph().parse(data=construct["body"], format="turtle")))
            assert answers["ours"] == answers["oxigraph"]
            assert answers["ours"][0]
            page.goto(f"http://127.0.0.1:{other.server_address[1]}/")
            blocked = page.evaluate(_YASGUI_FETCH, [servers.ours, QUERIES["ASK"], "application/sparql-results+json"])
            assert "error" in blocked, blocked  # the browser refuses the page the answer
    except pytest.skip.Exception:
        if os.environ.get("CI") == "true":
            raise pytest.fail.Exception("Chromium is needed for the cross-origin test") from None
        raise
    finally:
        for server in (page_server, other):
            server.shutdown()
            server.server_close()
