"""kgexplorer's own SPARQL 1.1 endpoint: the graph over HTTP, read-only and limited like every query.

``/sparql`` implements the query part of the SPARQL 1.1 Protocol: GET with ``query=``, POST form-encoded
``query=``, or POST with ``Content-Type: application/sparql-query``. Every query goes through
:meth:`KnowledgeGraph.answer`, so the guard (no SERVICE, FROM, LOAD or update) and the worker limits
(time, memory, rows, bytes) apply exactly as in the library; the worker writes the answer in the format
asked for (:mod:`kgexplorer.engine.serialization`) and the endpoint passes the bytes through. ``GET /sparql``
without a query and ``GET /service-description`` return a SPARQL 1.1 Service Description; ``GET /`` is
YASGUI (:mod:`kgexplorer.server.yasgui`, served from this server only), ``GET /form`` a query page without
script; ``GET /metrics`` counts the responses
by status and type and what the query workers did (Prometheus text format).

The query workers are shared per client (:mod:`kgexplorer.engine.scheduler`): the client is the address that
connected, or the one a trusted proxy names (:mod:`kgexplorer.server.clients`, the ``trusted_proxies`` setting).
An answer is held whole (at most ``max_result_mb``) before its status line, then sent one chunk at a
time as the client takes them; a client that takes nothing for ``client_stall_s`` is disconnected.

The Accept header picks the format; ``format=`` (a short name such as ``json``, ``turtle``, ``rdfxml``, or a
media type; one it does not know is left out, as Oxigraph does) replaces it. SELECT/ASK: SPARQL JSON (the
default), XML, CSV, TSV; CONSTRUCT/DESCRIBE: every RDF format pyoxigraph writes, Turtle the default.

The formats, their negotiation and the reading of requests are the SPARQL Protocol's, in
:mod:`kgexplorer.server.protocol`; this module holds the app, its routes and its handlers.

Status codes; client input never gets a 5xx. Error bodies are JSON ``{"error": message, "type": name}``.

* 200 the whole result. A result longer than max_result_rows is never sent cut: it is 422 ``TooManyRows``
  (below), so a client never takes part of an answer for all of it; a query with ``LIMIT`` at or under
  the setting is never refused, so clients page with ``LIMIT``/``OFFSET``.
* 400 ``QuerySyntaxError`` (with ``line`` and ``column``); ``QueryNotAllowed`` (SERVICE, FROM, FROM NAMED,
  LOAD sent as a query, ``default-graph-uri``, ``named-graph-uri``); ``BadRequest`` (no query, two
  queries, a body that is not UTF-8).
* 403 ``QueryNotAllowed`` for an update (``update=`` or ``application/sparql-update``): read-only.
* 400 ``HostNotAllowed``: the Host header names a host the endpoint does not answer to (see below).
* 404 ``NotFound``; 405 ``MethodNotAllowed`` (only GET and POST); 406 ``NotAcceptable`` (no accepted
  format fits the result; ``formats`` lists those that do); 413 ``RequestTooLarge`` (a body larger than
  any query the guard accepts); 415 ``UnsupportedMediaType`` (a POST body of another type or charset).
* 422 the query is valid but needs more than its limits: ``QueryTimeout`` (query_time_limit_s),
  ``QueryTooLarge`` (worker_memory_mb, also when the worker died of it) or ``ResultTooLarge``
  (max_result_mb) or ``TooManyRows`` (max_result_rows), with ``setting`` naming the limit;
  ``QueryFailed``: the engine stopped with an error
  on this query (a SERVICE that fails, a worker that died running it), with the reason. Not 408 (that
  means the *request* arrived too slowly, and browsers resend it).
* 429 ``TooManyQueries``: this client already has ``client_queries`` requests in progress, or its own
  queries held its share of the workers (``client_query_workers``) for as long as a query may wait;
  503 ``ServerBusy``: other clients' queries held every worker for ``max_queue_wait_s``. Both carry
  ``Retry-After`` (when the soonest running query must end) and ``setting``.
* 500 a fault of the server itself (a query worker could not start …); never with a traceback.

A runaway query is killed with its worker process at the time limit; meanwhile the pool's other workers
keep answering other clients, and the next request gets a fresh worker.

Host names (:func:`host_names`, :mod:`kgexplorer.server.allowed_hosts`): ``kgexplorer serve`` answers only requests
whose Host header names it, so that a web page cannot reach an endpoint on someone's machine by pointing a name of
its own at 127.0.0.1 (DNS rebinding). Bound to loopback it answers to localhost, 127.0.0.1 and [::1]; bound
to another address, to that address; plus the names of the ``allowed_hosts`` setting. :func:`create_app`
checks only when given the names (``allowed_hosts``), so an app mounted in another server keeps that
server's rules. Each such refusal is counted at /metrics.

>>> from starlette.testclient import TestClient
>>> with KnowledgeGraph.bundled() as kg:
...     client = TestClient(create_app(kg))
...     client.get("/sparql", params={"query": "ASK { kg:ketamine a kgx:Substance }"}).json()
{'head': {}, 'boolean': True}
"""

from __future__ import annotations

import contextlib
import logging
import signal
import threading
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Collection, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from kgexplorer.control_chars import escape_log_records
from kgexplorer.engine.bindings import Bindings
from kgexplorer.engine.query_workers import Answer
from kgexplorer.engine.results import GraphResult, QueryResult
from kgexplorer.errors import (
    KgExplorerError,
    QueryFailed,
    QueryNotAllowed,
    QueryRefused,
    QuerySyntaxError,
    QueryTimeout,
    QueryTooLarge,
    ResultTooLarge,
    ServerBusy,
)
from kgexplorer.knowledge_graph import KnowledgeGraph
from kgexplorer.settings import Settings, cap

from .access_log import AccessLog
from .allowed_hosts import HostCheck, host_names
from .answer_response import AnswerResponse
from .clients import client_key, trusted_networks
from .cors import allowed_origins, cors_middleware
from .current_graph import CurrentGraph
from .linked_data import entity_page, question_list, question_request
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
    too_many_rows,
)
from .service_description import description_graph, limits_text, page_response
from .yasgui import root_page, yasgui_asset

# to_sparql_xml lives in kgexplorer.server.protocol, host_names in kgexplorer.server.allowed_hosts; both are
# importable from here, where they were first exported.
__all__ = ["create_app", "host_names", "serve", "to_sparql_xml"]

_log = logging.getLogger(__name__)

_COUNTING = threading.Lock()


# ------------------------------------------------------------------------------------- the app


class _Endpoint:
    """The routes' behaviour, bound to one graph and its effective limits."""

    def __init__(self, kg: KnowledgeGraph, settings: Settings) -> None:
        # An on-disk store replaced by a load is served from its new generation, all at once.
        self.graphs = CurrentGraph(kg)
        self.max_rows = int(cap(settings.max_result_rows, kg.settings.max_result_rows))
        self.time_limit = float(cap(settings.query_time_limit_s, kg.settings.query_time_limit_s))
        self.max_result_mb = int(cap(settings.max_result_mb, kg.settings.max_result_mb))
        self.memory_mb = kg.settings.worker_memory_mb
        self.stall_s = float(settings.client_stall_s)
        self.proxies = trusted_networks(settings.trusted_proxies)
        #: Responses of /sparql by status and error type, for /metrics (every refusal counts).
        self.responses: Counter[tuple[int, str]] = Counter()
        self._about: tuple[KnowledgeGraph, str, int, str] | None = None

    @property
    def kg(self) -> KnowledgeGraph:
        """The graph to answer from now (kgexplorer.server.current_graph)."""
        return self.graphs.get()

    @property
    def title(self) -> str:
        return self.about()[0]

    @property
    def triples(self) -> int:
        return self.about()[1]

    @property
    def licence(self) -> str:
        """The data's licence (its dataset description's dcterms:license), or "" when it states none."""
        return self.about()[2]

    def about(self) -> tuple[str, int, str]:
        """The dataset's title, triple count and licence, read once per graph (per generation of a store)."""
        kg, about = self.kg, self._about
        if about is None or about[0] is not kg:
            meta = kg.metadata()
            about = self._about = (kg, meta.title or kg.recipe.label, len(kg), meta.licence)
        return about[1], about[2], about[3]

    def count(self, status: int, kind: str) -> None:
        """Count one response that never reached /sparql's handler (a Host the endpoint does not answer to)."""
        with _COUNTING:
            self.responses[(status, kind)] += 1

    async def sparql(self, request: Request) -> Response:
        wanted = await read_request(request)
        if wanted.query is None:
            return self.description_response(request, wanted.accept, (*GRAPH_FORMATS, PAGE_FORMAT))
        return await self.query_response(wanted.query, wanted.accept, request)

    async def query_response(self, text: str, accept: str | None, request: Request, bound: Bindings = ()) -> Response:
        """Answer one query text (values ``bound`` beside it) for ``request`` (its client), in the format ``accept``."""
        select, graph = choose_format(accept, RESULT_FORMATS), choose_format(accept, GRAPH_FORMATS)
        if select is None and graph is None:
            raise not_acceptable(accept, (*RESULT_FORMATS, *GRAPH_FORMATS), "a query result")
        client = self.client(request)
        if self.kg.is_remote:  # a graph behind another endpoint: its typed result, written here
            return result_response(await self.run(text, client, bound), accept)
        answer = await self.answer(text, select, graph, client, bound)
        return self.answer_response(answer, accept)

    async def question(self, request: Request) -> Response:
        return await question_request(request, self.kg, self.query_response)

    async def entity(self, request: Request) -> Response:
        return await entity_page(request, self.kg, self.query_response)

    def client(self, request: Request) -> str:
        """Who sent ``request``: its address, or a trusted proxy's X-Forwarded-For (kgexplorer.server.clients)."""
        forwarded = ", ".join(request.headers.getlist("x-forwarded-for")) or None
        return client_key(request.client.host if request.client else None, forwarded, self.proxies)

    async def answer(self, text: str, select: Format | None, graph: Format | None, who: str, bound: Bindings) -> Answer:
        with _refusals():
            return await self.kg.answer(
                text,
                select_format=select.name if select else None,
                graph_format=graph.name if graph else None,
                max_rows=self.max_rows,
                timeout_s=self.time_limit,
                max_result_mb=self.max_result_mb,
                client=who,
                bindings=bound,
            )

    def answer_response(self, answer: Answer, accept: str | None) -> Response:
        offered = GRAPH_FORMATS if answer.kind == "graph" else RESULT_FORMATS
        fmt = next((f for f in offered if f.name == answer.format), None)
        if fmt is None or answer.problem is not None:
            answer.close()
            if fmt is None:
                what = "a CONSTRUCT or DESCRIBE result (RDF)" if answer.kind == "graph" else "a SELECT or ASK result"
                raise not_acceptable(accept, offered, what)
            raise Refusal(406, "NotAcceptable", answer.problem or "")
        if answer.truncated:
            answer.close()
            raise too_many_rows(answer.row_limit, graph=answer.kind == "graph")
        headers = {"Vary": "Accept", **SECURITY_HEADERS}
        return AnswerResponse(answer, fmt.media_type, headers, self.stall_s)

    async def run(self, text: str, client: str, bound: Bindings = ()) -> QueryResult:
        with _refusals():
            return await run_in_threadpool(
                self.kg.sparql, text, max_rows=self.max_rows, timeout_s=self.time_limit, client=client, bindings=bound
            )
        raise AssertionError("unreachable")  # pragma: no cover - _refusals() raises or the query returns

    async def metrics(self, request: Request) -> Response:
        """Counts in the Prometheus text format: responses by status and type, and what the query workers did."""
        lines = [
            "# HELP kgexplorer_responses_total Responses to /sparql and Host refusals, by HTTP status and error type.",
            "# TYPE kgexplorer_responses_total counter",
        ]
        with _COUNTING:
            responses = sorted(self.responses.items())
        for (status, kind), n in responses:
            lines.append(f'kgexplorer_responses_total{{status="{status}",type="{kind}"}} {n}')
        lines += [
            "# HELP kgexplorer_queries What the query workers did (counters) and hold now (gauges).",
            "# TYPE kgexplorer_queries untyped",
        ]
        for name, n in sorted(self.kg.query_counts().items()):
            lines.append(f'kgexplorer_queries{{what="{name}"}} {n}')
        return PlainTextResponse("\n".join(lines) + "\n", headers=SECURITY_HEADERS)

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
        return description_graph(
            endpoint, title=self.title, triples=self.triples, limits=self.limits_text(), licence=self.licence
        )

    def limits_text(self) -> str:
        return limits_text(time_limit_s=self.time_limit, memory_mb=self.memory_mb, max_rows=self.max_rows)

    async def page(self, request: Request) -> Response:
        return root_page(title=self.title, limits=self.limits_text(), licence=self.licence, plain=self.page_response)

    async def form(self, request: Request) -> Response:
        return self.page_response()

    def page_response(self) -> Response:
        return page_response(title=self.title, triples=self.triples, limits=self.limits_text(), licence=self.licence)


@contextlib.contextmanager
def _refusals() -> Iterator[None]:
    """Turn the library's errors about a query into the endpoint's refusals (client errors are 4xx)."""
    try:
        yield
    except QuerySyntaxError as exc:
        raise Refusal(400, "QuerySyntaxError", str(exc), line=exc.line, column=exc.column) from None
    except QueryNotAllowed as exc:
        raise Refusal(400, "QueryNotAllowed", str(exc)) from None
    except QueryRefused as exc:
        status = 503 if isinstance(exc, ServerBusy) else 429
        retry = {"Retry-After": str(max(1, round(exc.retry_after_s)))}
        raise Refusal(status, type(exc).__name__, str(exc), setting=exc.setting, headers=retry) from None
    except (QueryTimeout, QueryTooLarge, ResultTooLarge, QueryFailed) as exc:
        settings = {
            QueryTimeout: "query_time_limit_s",
            QueryTooLarge: "worker_memory_mb",
            ResultTooLarge: "max_result_mb",
        }
        raise Refusal(422, type(exc).__name__, str(exc), setting=settings.get(type(exc))) from None
    except KgExplorerError as exc:
        _log.error("a query could not be answered: %s", exc)
        raise Refusal(500, type(exc).__name__, str(exc)) from None


def _answering(
    handler: Callable[[Request], Awaitable[Response]], responses: Counter[tuple[int, str]] | None = None
) -> Callable[[Request], Awaitable[Response]]:
    """Turn refusals into JSON errors, and anything unexpected into a 500 without a traceback; count each."""

    async def endpoint(request: Request) -> Response:
        kind = ""
        try:
            response = await handler(request)
        except Refusal as refusal:
            response, kind = refusal.response, refusal.kind
        except Exception as exc:  # the last line of defence: no traceback may reach a client
            _log.error("internal error answering %s: %s: %s", request.url.path, type(exc).__name__, exc)
            response = error_response(500, "InternalError", "the server failed while answering this request; try again")
            kind = "InternalError"
        if responses is not None:
            with _COUNTING:  # the app may run in several event loops (threads) at once, as in tests
                responses[(response.status_code, kind)] += 1
        return response

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


def create_app(
    kg: KnowledgeGraph,
    *,
    settings: Settings | None = None,
    allowed_hosts: Collection[str] | None = None,
    cors_origins: Collection[str] = (),
) -> Starlette:
    """The SPARQL endpoint as a Starlette app (``/sparql``, ``/service-description``, the page ``/``, the gallery
    at ``/queries`` and the entities at ``/id/NAME``: :mod:`kgexplorer.server.linked_data`).

    ``settings`` can lower the graph's own time and row limits for this endpoint, never raise them.
    ``allowed_hosts`` (from :func:`host_names`) makes it answer only requests whose Host header names one
    of them (400 ``HostNotAllowed`` otherwise); None checks nothing. ``cors_origins`` names the origins
    whose web pages may read answers (:mod:`kgexplorer.server.cors`; none by default).

    >>> from starlette.testclient import TestClient
    >>> with KnowledgeGraph.bundled() as kg:
    ...     client = TestClient(create_app(kg, settings=Settings(max_result_rows=2)))
    ...     r = client.get("/sparql", params={"query": "SELECT ?s WHERE { ?s a kgx:Substance }"})
    ...     r.status_code, r.json()["type"], r.json()["setting"]
    (422, 'TooManyRows', 'max_result_rows')
    """
    endpoint = _Endpoint(kg, settings or kg.settings)
    routes = [
        # /sparql first: Starlette tries the routes in order, and it is where nearly every request goes.
        Route("/sparql", _answering(endpoint.sparql, endpoint.responses), methods=["GET", "POST"], name="sparql"),
        Route("/", _answering(endpoint.page), methods=["GET"], name="page"),
        Route("/form", _answering(endpoint.form), methods=["GET"], name="form"),
        Route("/yasgui/{name}", _answering(yasgui_asset), methods=["GET"], name="yasgui"),
        Route("/service-description", _answering(endpoint.description), methods=["GET"], name="service-description"),
        Route("/metrics", _answering(endpoint.metrics), methods=["GET"], name="metrics"),
        Route("/queries", _answering(question_list), methods=["GET"], name="queries"),
        Route("/queries/{name}", _answering(endpoint.question, endpoint.responses), methods=["GET"], name="question"),
        Route("/id/{name:path}", _answering(endpoint.entity, endpoint.responses), methods=["GET"], name="entity"),
    ]

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        yield
        endpoint.graphs.close()  # the graphs it opened for newer generations of a store

    app = Starlette(
        routes=routes, exception_handlers={HTTPException: _http_error, Exception: _http_error}, lifespan=lifespan
    )
    origins = allowed_origins(cors_origins)
    if origins:
        app.add_middleware(cors_middleware, origins=origins)
    if allowed_hosts is not None:  # added last, so it runs first: a foreign Host is refused before anything
        app.add_middleware(HostCheck, allowed=frozenset(allowed_hosts), counted=endpoint.count)
    return app


def serve(kg: KnowledgeGraph, *, host: str = "127.0.0.1", port: int = 7878, cors_origins: Collection[str] = ()) -> None:
    """Serve ``kg`` at ``http://HOST:PORT/sparql`` until interrupted (Ctrl+C); blocks.

    The default host, 127.0.0.1, accepts connections from this computer only. Only requests naming an
    allowed host are answered (:func:`host_names`: the ``allowed_hosts`` setting); pages on ``cors_origins``
    may read the answers (:mod:`kgexplorer.server.cors`). The query workers start
    before the server does; if the kernel would not sandbox them, their warning is logged then (and with
    ``require_sandbox`` at 1, :class:`~kgexplorer.errors.SandboxUnavailable` is raised instead). Example (it
    blocks until Ctrl+C, so it is not run as a doctest; the module's doctest queries the same app in-process)::

        with KnowledgeGraph.bundled() as kg:
            serve(kg, port=7878)
    """
    import uvicorn

    escape_log_records()  # a path or query a client sent reaches log lines shown escaped, never raw
    names = host_names(host, kg.settings.allowed_hosts)
    # Start every query worker now (as many queries at once make the pool start as many), so neither the
    # first visitor nor one who arrives while runaway queries hold other workers waits for a worker to load.
    # Their sandbox is known from here on: a warning when it is off is the first thing the server says.
    size = kg.settings.query_workers
    with ThreadPoolExecutor(size) as warm:
        list(warm.map(lambda _: kg.sparql("ASK {}"), range(size)))
    # uvicorn shuts down gracefully on SIGINT/SIGTERM and then re-raises the signal, which would end the
    # process before the caller can stop its query workers; turn that into a normal return.
    main = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, _raise_stopped) if main else None
    app: AccessLog | None = None
    try:
        # proxy_headers=False: the client is the connecting address unless the trusted_proxies setting says
        # otherwise (kgexplorer.server.clients); uvicorn would otherwise believe X-Forwarded-For from 127.0.0.1.
        # access_log=False: the endpoint writes its own (kgexplorer.server.access_log), in batches.
        app = AccessLog(create_app(kg, allowed_hosts=names, cors_origins=cors_origins))
        uvicorn.run(
            app, host=host, port=port, log_level="info", server_header=False, proxy_headers=False, access_log=False
        )
    except (_Stopped, KeyboardInterrupt):
        pass
    finally:
        if app is not None:
            app.flush()
        if main:
            signal.signal(signal.SIGTERM, previous if previous is not None else signal.SIG_DFL)


class _Stopped(Exception):
    """SIGTERM after uvicorn's graceful shutdown."""


def _raise_stopped(signum: int, frame: Any) -> None:
    raise _Stopped
