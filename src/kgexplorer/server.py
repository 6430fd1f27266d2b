"""kgexplorer's own SPARQL 1.1 endpoint: the graph over HTTP, read-only and limited like every query.

``/sparql`` implements the query part of the SPARQL 1.1 Protocol: GET with ``query=``, POST form-encoded
``query=``, or POST with ``Content-Type: application/sparql-query``. Every query goes through
:meth:`KnowledgeGraph.sparql`, so the guard (no SERVICE, FROM, LOAD or update) and the worker limits
(time, memory, rows) apply exactly as in the library. ``GET /sparql`` without a query and
``GET /service-description`` return a SPARQL 1.1 Service Description; ``GET /`` is a query page for
people (plain HTML: no script, no external asset).

The Accept header picks the format; ``format=`` (``json``, ``xml``, ``csv``, ``tsv``, ``turtle``, ``nt``,
``jsonld`` or a media type) replaces it. SELECT/ASK: application/sparql-results+json (default; also for
application/json), application/sparql-results+xml, text/csv, text/tab-separated-values (the CSV/TSV
specification leaves ASK out; like Oxigraph, the body is then ``true`` or ``false``). CONSTRUCT/DESCRIBE:
text/turtle (default), application/n-triples, application/ld+json.

The formats, their negotiation and the reading of requests are the SPARQL Protocol's, in
:mod:`kgexplorer.protocol`; this module holds the app, its routes and its handlers.

Status codes; client input never gets a 5xx. Error bodies are JSON ``{"error": message, "type": name}``.

* 200 the result; one cut at the row limit carries ``X-Kgexplorer-Truncated: true`` and
  ``X-Kgexplorer-Row-Limit: N`` (max_result_rows).
* 400 ``QuerySyntaxError`` (with ``line`` and ``column``); ``QueryNotAllowed`` (SERVICE, FROM, FROM NAMED,
  LOAD sent as a query, ``default-graph-uri``, ``named-graph-uri``); ``BadRequest`` (no query, two
  queries, a body that is not UTF-8, an unknown ``format``).
* 403 ``QueryNotAllowed`` for an update (``update=`` or ``application/sparql-update``): read-only.
* 404 ``NotFound``; 405 ``MethodNotAllowed`` (only GET and POST); 406 ``NotAcceptable`` (no accepted
  format fits the result; ``formats`` lists those that do); 413 ``RequestTooLarge`` (a body larger than
  any query the guard accepts); 415 ``UnsupportedMediaType`` (a POST body of another type or charset).
* 422 the query is valid but needs more than its limits: ``QueryTimeout`` (query_time_limit_s) or
  ``QueryTooLarge`` (worker_memory_mb), with ``setting`` naming the limit. Not 408 (that means the
  *request* arrived too slowly, and browsers resend it), not 503/504 (those say the server is broken).
* 500 a fault of the server itself (a query worker could not start …); never with a traceback.

A runaway query is killed with its worker process at the time limit; meanwhile the pool's other worker
keeps answering, and the next request gets a fresh worker.

>>> from starlette.testclient import TestClient
>>> with KnowledgeGraph.bundled() as kg:
...     client = TestClient(create_app(kg))
...     client.get("/sparql", params={"query": "ASK { kg:ketamine a kgx:Substance }"}).json()
{'head': {}, 'boolean': True}
"""

from __future__ import annotations

import contextlib
import html
import logging
import signal
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from .control_chars import escape_log_records
from .current_graph import CurrentGraph
from .errors import KgExplorerError, QueryNotAllowed, QuerySyntaxError, QueryTimeout, QueryTooLarge
from .knowledge_graph import KnowledgeGraph
from .namespaces import PREFIXES, RDF, RDFS
from .protocol import (
    GRAPH_FORMATS,
    PAGE_FORMAT,
    RESULT_FORMATS,
    SECURITY_HEADERS,
    Format,
    Refusal,
    choose_format,
    error_response,
    format_result,
    not_acceptable,
    read_request,
    result_response,
    to_sparql_xml,
)
from .query import GraphResult, QueryResult
from .settings import Settings, cap
from .terms import IRI, BlankNode, Literal, Triple

# to_sparql_xml lives in kgexplorer.protocol; it stays importable from here, where it was first exported.
__all__ = ["create_app", "serve", "to_sparql_xml"]

_log = logging.getLogger(__name__)

_SD = "http://www.w3.org/ns/sparql-service-description#"
_FORMATS_NS = "http://www.w3.org/ns/formats/"
_XSD_INTEGER = PREFIXES["xsd"] + "integer"
_PAGE_POLICY = "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; base-uri 'none'"


# ------------------------------------------------------------------------------------- the app


class _Endpoint:
    """The routes' behaviour, bound to one graph and its effective limits."""

    def __init__(self, kg: KnowledgeGraph, settings: Settings) -> None:
        # An on-disk store replaced by a load is served from its new generation, all at once.
        self.graphs = CurrentGraph(kg)
        self.max_rows = int(cap(settings.max_result_rows, kg.settings.max_result_rows))
        self.time_limit = float(cap(settings.query_time_limit_s, kg.settings.query_time_limit_s))
        self.memory_mb = kg.settings.worker_memory_mb
        self._about: tuple[KnowledgeGraph, str, int] | None = None

    @property
    def kg(self) -> KnowledgeGraph:
        """The graph to answer from now (kgexplorer.current_graph)."""
        return self.graphs.get()

    @property
    def title(self) -> str:
        return self.about()[0]

    @property
    def triples(self) -> int:
        return self.about()[1]

    def about(self) -> tuple[str, int]:
        """The dataset's title and triple count, read once per graph (per generation of a store)."""
        kg, about = self.kg, self._about
        if about is None or about[0] is not kg:
            about = self._about = (kg, kg.metadata().title or kg.recipe.label, len(kg))
        return about[1], about[2]

    async def sparql(self, request: Request) -> Response:
        wanted = await read_request(request)
        if wanted.query is None:
            return self.description_response(request, wanted.accept, (*GRAPH_FORMATS, PAGE_FORMAT))
        if choose_format(wanted.accept, (*RESULT_FORMATS, *GRAPH_FORMATS)) is None:
            raise not_acceptable(wanted.accept, (*RESULT_FORMATS, *GRAPH_FORMATS), "a query result")
        return result_response(await self.run(wanted.query), wanted.accept)

    async def run(self, text: str) -> QueryResult:
        try:
            return await run_in_threadpool(self.kg.sparql, text, max_rows=self.max_rows, timeout_s=self.time_limit)
        except QuerySyntaxError as exc:
            raise Refusal(400, "QuerySyntaxError", str(exc), line=exc.line, column=exc.column) from None
        except QueryNotAllowed as exc:
            raise Refusal(400, "QueryNotAllowed", str(exc)) from None
        except QueryTimeout as exc:
            raise Refusal(422, "QueryTimeout", str(exc), setting="query_time_limit_s") from None
        except QueryTooLarge as exc:
            raise Refusal(422, "QueryTooLarge", str(exc), setting="worker_memory_mb") from None
        except KgExplorerError as exc:
            _log.error("a query could not be answered: %s", exc)
            raise Refusal(500, type(exc).__name__, str(exc)) from None

    async def description(self, request: Request) -> Response:
        return self.description_response(request, request.headers.get("accept"), GRAPH_FORMATS)

    def description_response(self, request: Request, accept: str | None, offered: Sequence[Format]) -> Response:
        fmt = choose_format(accept, offered)
        if fmt is None:
            raise not_acceptable(accept, offered, "the service description (RDF)")
        if fmt is PAGE_FORMAT:
            return self.page_response()
        body = format_result(self.description_graph(str(request.url_for("sparql"))), fmt)
        return Response(body, media_type=fmt.media_type, headers={"Vary": "Accept", **SECURITY_HEADERS})

    def description_graph(self, endpoint: str) -> GraphResult:
        sd, service, dataset, graph = _SD, BlankNode("service"), BlankNode("dataset"), BlankNode("defaultGraph")
        rdf_type = IRI(RDF + "type")
        triples = [
            Triple(service, rdf_type, IRI(sd + "Service")),
            Triple(service, IRI(sd + "supportedLanguage"), IRI(sd + "SPARQL11Query")),
            Triple(service, IRI(sd + "feature"), IRI(sd + "UnionDefaultGraph")),
            *(
                Triple(service, IRI(sd + "resultFormat"), IRI(_FORMATS_NS + f.sd_format))
                for f in (*RESULT_FORMATS, *GRAPH_FORMATS)
            ),
            Triple(service, IRI(RDFS + "comment"), Literal(self.limits_text(), language="en")),
            Triple(service, IRI(sd + "defaultDataset"), dataset),
            Triple(dataset, rdf_type, IRI(sd + "Dataset")),
            Triple(dataset, IRI(PREFIXES["dcterms"] + "title"), Literal(self.title)),
            Triple(dataset, IRI(sd + "defaultGraph"), graph),
            Triple(graph, rdf_type, IRI(sd + "Graph")),
            Triple(graph, IRI(PREFIXES["void"] + "triples"), Literal(str(self.triples), datatype=_XSD_INTEGER)),
        ]
        try:
            IRI(endpoint).n3()
            triples.insert(1, Triple(service, IRI(sd + "endpoint"), IRI(endpoint)))
        except ValueError:  # a Host header that makes no valid IRI: describe the service without it
            pass
        return GraphResult(tuple(triples), prefixes={**PREFIXES, "sd": _SD, "formats": _FORMATS_NS})

    def limits_text(self) -> str:
        return (
            f"Read-only SPARQL 1.1 queries. Each query may run {self.time_limit:g} s (query_time_limit_s) and use "
            f"{self.memory_mb} MiB (worker_memory_mb); results are cut at {self.max_rows:,} rows "
            "(max_result_rows). Updates, LOAD, SERVICE, FROM and FROM NAMED are refused."
        )

    async def page(self, request: Request) -> Response:
        return self.page_response()

    def page_response(self) -> Response:
        example = "SELECT ?substance ?label WHERE {\n  ?substance a kgx:Substance ; rdfs:label ?label .\n}\n"
        example += "ORDER BY ?label\nLIMIT 20"
        prefixes = "".join(f"<li><code>{html.escape(p)}:</code> {html.escape(iri)}</li>" for p, iri in PREFIXES.items())
        options = "".join(
            f'<option value="{f.name}">{f.name} ({html.escape(f.media_type)})</option>'
            for f in (*RESULT_FORMATS, *GRAPH_FORMATS)
        )
        body = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(self.title)}: SPARQL</title>
<style>body{{font-family:sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}}
textarea{{width:100%;font-family:monospace}}</style></head>
<body><h1>SPARQL query: {html.escape(self.title)}</h1>
<p>{html.escape(self.limits_text())} {self.triples:,} triples.</p>
<form method="get" action="sparql">
<p><label for="query">Query</label></p>
<textarea id="query" name="query" rows="12">{html.escape(example)}</textarea>
<p><label for="format">Result format</label> <select id="format" name="format">
<option value="">automatic (JSON for SELECT/ASK, Turtle for CONSTRUCT/DESCRIBE)</option>{options}</select>
<button type="submit">Run query</button></p></form>
<p>These prefixes need no PREFIX line:</p><ul>{prefixes}</ul>
<p>Machines: the endpoint is <code>/sparql</code> (SPARQL 1.1 Protocol, GET or POST);
the <a href="service-description">service description</a> says what it supports.</p>
<p>Educational content, not medical advice.</p></body></html>
"""
        return HTMLResponse(body, headers={"Content-Security-Policy": _PAGE_POLICY, **SECURITY_HEADERS})


def _answering(handler: Callable[[Request], Awaitable[Response]]) -> Callable[[Request], Awaitable[Response]]:
    """Turn refusals into JSON errors, and anything unexpected into a 500 without a traceback."""

    async def endpoint(request: Request) -> Response:
        try:
            return await handler(request)
        except Refusal as refusal:
            return refusal.response
        except Exception as exc:  # the last line of defence: no traceback may reach a client
            _log.error("internal error answering %s: %s: %s", request.url.path, type(exc).__name__, exc)
            return error_response(500, "InternalError", "the server failed while answering this request; try again")

    return endpoint


async def _http_error(request: Request, exc: Exception) -> Response:
    status = exc.status_code if isinstance(exc, HTTPException) else 500
    headers = dict(exc.headers or {}) if isinstance(exc, HTTPException) else {}
    path = request.url.path[:200]
    if status == 404:
        return error_response(404, "NotFound", f"there is nothing at {path}; the endpoint is /sparql, the query page /")
    if status == 405:
        # Starlette builds Allow from a set, so its order changes from one process to the next: sort it.
        allowed = sorted(m.strip() for m in headers.get("Allow", "GET").split(",") if m.strip())
        headers["Allow"] = ", ".join(allowed)
        message = f"{request.method} is not supported at {path}; use {headers['Allow']}"
        return error_response(405, "MethodNotAllowed", message, headers=headers)
    detail = exc.detail if isinstance(exc, HTTPException) else "the server failed while answering this request"
    return error_response(status, "HTTPError", str(detail), headers=headers)


def create_app(kg: KnowledgeGraph, *, settings: Settings | None = None) -> Starlette:
    """The SPARQL endpoint as a Starlette app (``/sparql``, ``/service-description`` and the page ``/``).

    ``settings`` can lower the graph's own time and row limits for this endpoint, never raise them.

    >>> from starlette.testclient import TestClient
    >>> with KnowledgeGraph.bundled() as kg:
    ...     client = TestClient(create_app(kg, settings=Settings(max_result_rows=2)))
    ...     r = client.get("/sparql", params={"query": "SELECT ?s WHERE { ?s a kgx:Substance }"})
    ...     r.status_code, len(r.json()["results"]["bindings"]), r.headers["X-Kgexplorer-Truncated"]
    (200, 2, 'true')
    """
    endpoint = _Endpoint(kg, settings or kg.settings)
    routes = [
        Route("/", _answering(endpoint.page), methods=["GET"], name="page"),
        Route("/sparql", _answering(endpoint.sparql), methods=["GET", "POST"], name="sparql"),
        Route("/service-description", _answering(endpoint.description), methods=["GET"], name="service-description"),
    ]

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        yield
        endpoint.graphs.close()  # the graphs it opened for newer generations of a store

    return Starlette(
        routes=routes, exception_handlers={HTTPException: _http_error, Exception: _http_error}, lifespan=lifespan
    )


def serve(kg: KnowledgeGraph, *, host: str = "127.0.0.1", port: int = 7878) -> None:
    """Serve ``kg`` at ``http://HOST:PORT/sparql`` until interrupted (Ctrl+C); blocks.

    The default host, 127.0.0.1, accepts connections from this computer only. Example (it blocks until
    Ctrl+C, so it is not run as a doctest; the module's doctest queries the same app in-process)::

        with KnowledgeGraph.bundled() as kg:
            serve(kg, port=7878)
    """
    import uvicorn

    escape_log_records()  # a path or query a client sent reaches log lines shown escaped, never raw
    # Start both query workers now (two queries at once make the pool start two), so neither the first
    # visitor nor one who arrives while a runaway query holds the other worker waits for a worker to load.
    with ThreadPoolExecutor(2) as warm:
        list(warm.map(lambda _: kg.sparql("ASK {}"), range(2)))
    # uvicorn shuts down gracefully on SIGINT/SIGTERM and then re-raises the signal, which would end the
    # process before the caller can stop its query workers; turn that into a normal return.
    main = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, _raise_stopped) if main else None
    try:
        uvicorn.run(create_app(kg), host=host, port=port, log_level="info", server_header=False)
    except (_Stopped, KeyboardInterrupt):
        pass
    finally:
        if main:
            signal.signal(signal.SIGTERM, previous if previous is not None else signal.SIG_DFL)


class _Stopped(Exception):
    """SIGTERM after uvicorn's graceful shutdown."""


def _raise_stopped(signum: int, frame: Any) -> None:
    raise _Stopped
