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

import html
import logging
import re
import signal
import threading
import urllib.parse
from collections.abc import Awaitable, Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from .errors import ExportError, KgExplorerError, QueryNotAllowed, QuerySyntaxError, QueryTimeout, QueryTooLarge
from .guard import MAX_QUERY_CHARS
from .knowledge_graph import KnowledgeGraph
from .namespaces import PREFIXES, RDF, RDFS
from .query import AskResult, GraphResult, QueryResult, SelectResult
from .settings import Settings, cap
from .terms import IRI, BlankNode, Literal, Term, Triple

__all__ = ["create_app", "serve", "to_sparql_xml"]

_log = logging.getLogger(__name__)

_SD = "http://www.w3.org/ns/sparql-service-description#"
_FORMATS_NS = "http://www.w3.org/ns/formats/"
_XSD_INTEGER = PREFIXES["xsd"] + "integer"
_RESULTS_NS = "http://www.w3.org/2005/sparql-results#"
# A form-encoded query of MAX_QUERY_CHARS characters, each up to 4 UTF-8 bytes written as %XX, fits; a
# larger body could never pass the guard, so it is refused before it is read in full.
_MAX_BODY_BYTES = 12 * MAX_QUERY_CHARS
_XML_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_UPDATE_REFUSED = (
    "updates are not accepted: this endpoint is read-only and never changes the graph or loads data. "
    "Send a SELECT, ASK, CONSTRUCT or DESCRIBE query as query="
)
_DATASET_PARAM = (
    "{} is not allowed: like FROM, it would make the endpoint read other data. Remove it; the loaded graph "
    "(and its named graphs) is queried by default"
)
_POST_TYPES = (
    "a POST body of type {!r} is not understood; send application/x-www-form-urlencoded with query=, "
    "or application/sparql-query"
)
_SECURITY_HEADERS = {"X-Content-Type-Options": "nosniff"}
_PAGE_POLICY = "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; base-uri 'none'"


@dataclass(frozen=True)
class _Format:
    names: tuple[str, ...]  # for format=; the first is the one shown
    media_type: str
    aliases: tuple[str, ...] = ()
    sd_format: str = ""

    @property
    def name(self) -> str:
        return self.names[0]

    def matches(self, media_range: str) -> int:
        """How specifically ``media_range`` names this format: 2 exactly, 1 as type/*, 0 as */*, -1 not."""
        if media_range in (self.media_type, *self.aliases):
            return 2
        if media_range == "*/*":
            return 0
        if media_range.endswith("/*") and self.media_type.startswith(media_range[:-1]):
            return 1
        return -1


_JSON = _Format(("json",), "application/sparql-results+json", ("application/json",), "SPARQL_Results_JSON")
_XML = _Format(("xml",), "application/sparql-results+xml", (), "SPARQL_Results_XML")
_CSV = _Format(("csv",), "text/csv", (), "SPARQL_Results_CSV")
_TSV = _Format(("tsv",), "text/tab-separated-values", (), "SPARQL_Results_TSV")
_TURTLE = _Format(("turtle", "ttl"), "text/turtle", ("application/turtle", "application/x-turtle"), "Turtle")
_NTRIPLES = _Format(("nt", "ntriples", "n-triples"), "application/n-triples", (), "N-Triples")
_JSONLD = _Format(("jsonld", "json-ld"), "application/ld+json", (), "JSON-LD")
_HTML = _Format(("html",), "text/html", ("application/xhtml+xml",))
_RESULT_FORMATS = (_JSON, _XML, _CSV, _TSV)
_GRAPH_FORMATS = (_TURTLE, _NTRIPLES, _JSONLD)
_FORMAT_PARAM: dict[str, tuple[str, ...]] = {
    key: (f.media_type,) for f in (*_RESULT_FORMATS, *_GRAPH_FORMATS) for key in (*f.names, f.media_type, *f.aliases)
}
_FORMAT_PARAM["json"] = (_JSON.media_type, _JSONLD.media_type)  # "JSON" for whichever query form comes back


class _Refusal(Exception):
    """A request that gets an error response; raised anywhere below the route, answered in one place."""

    def __init__(self, status: int, kind: str, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.response = _error(status, kind, message, **extra)


def _error(status: int, kind: str, message: str, *, headers: dict[str, str] | None = None, **extra: Any) -> Response:
    body = {"error": message, "type": kind, **{k: v for k, v in extra.items() if v is not None}}
    return JSONResponse(body, status_code=status, headers={**_SECURITY_HEADERS, **(headers or {})})


def to_sparql_xml(result: SelectResult | AskResult) -> str:
    """A SELECT or ASK result in the SPARQL Query Results XML Format.

    Raises :class:`~kgexplorer.errors.ExportError` when a value holds a character XML 1.0 cannot carry.

    >>> with KnowledgeGraph.bundled() as kg:
    ...     print(to_sparql_xml(kg.sparql("SELECT ?l WHERE { kg:ketamine rdfs:label ?l }")), end="")
    <?xml version="1.0" encoding="UTF-8"?>
    <sparql xmlns="http://www.w3.org/2005/sparql-results#">
    <head><variable name="l"/></head>
    <results>
    <result><binding name="l"><literal xml:lang="en">Ketamine</literal></binding></result>
    </results>
    </sparql>
    """
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', f'<sparql xmlns="{_RESULTS_NS}">']
    if isinstance(result, AskResult):
        lines += ["<head/>", f"<boolean>{'true' if result.value else 'false'}</boolean>", "</sparql>"]
        return "\n".join(lines) + "\n"
    lines.append("<head>" + "".join(f"<variable name={_attr(v)}/>" for v in result.variables) + "</head>")
    lines.append("<results>")
    for row in result.rows:
        cells = "".join(
            f"<binding name={_attr(var)}>{_xml_term(term)}</binding>"
            for var, term in zip(result.variables, row, strict=True)
            if term is not None
        )
        lines.append(f"<result>{cells}</result>")
    lines += ["</results>", "</sparql>"]
    return "\n".join(lines) + "\n"


def _xml_text(text: str) -> str:
    bad = _XML_FORBIDDEN.search(text)
    if bad:
        raise ExportError(
            f"the result holds the character U+{ord(bad.group()):04X}, which XML 1.0 cannot carry; "
            "ask for JSON (format=json) instead"
        )
    return html.escape(text, quote=False)


def _attr(text: str) -> str:
    return '"' + _xml_text(text).replace('"', "&quot;") + '"'


def _xml_term(term: Term) -> str:
    if isinstance(term, IRI):
        return f"<uri>{_xml_text(term.value)}</uri>"
    if isinstance(term, BlankNode):
        return f"<bnode>{_xml_text(term.id)}</bnode>"
    if term.language:
        return f"<literal xml:lang={_attr(term.language)}>{_xml_text(term.value)}</literal>"
    if term.datatype:
        return f"<literal datatype={_attr(term.datatype)}>{_xml_text(term.value)}</literal>"
    return f"<literal>{_xml_text(term.value)}</literal>"


# ------------------------------------------------------------------------------------- negotiation


def _accept_ranges(accept: str | None) -> list[tuple[str, float]]:
    ranges = []
    for part in (accept or "").split(","):
        pieces = [p.strip() for p in part.split(";")]
        media_range = pieces[0].lower()
        if "/" not in media_range:
            continue
        q = 1.0
        for param in pieces[1:]:
            key, _, value = param.partition("=")
            if key.strip().lower() == "q" and re.fullmatch(r"[01](\.\d{0,3})?", value.strip()):
                q = min(float(value), 1.0)
        ranges.append((media_range, q))
    return ranges


def _choose(accept: str | None, offered: Sequence[_Format]) -> _Format | None:
    """The offered format the client prefers; ties go to the more specific range, then to our order."""
    ranges = _accept_ranges(accept)
    if not ranges:
        return offered[0]
    best: _Format | None = None
    best_key = (0.0, -1)
    for fmt in offered:
        specificity = max((fmt.matches(r) for r, _ in ranges), default=-1)
        if specificity < 0:
            continue
        # The most specific range that names a format decides its quality (RFC 9110, section 12.5.1).
        q = max(q for r, q in ranges if fmt.matches(r) == specificity)
        if q > 0 and (q, specificity) > best_key:
            best, best_key = fmt, (q, specificity)
    return best


def _not_acceptable(accept: str | None, offered: Sequence[_Format], what: str) -> _Refusal:
    names = ", ".join(f"{f.media_type} (format={f.name})" for f in offered if f is not _HTML)
    return _Refusal(
        406,
        "NotAcceptable",
        f"none of the formats you accept ({accept or 'none'}) can carry {what}; ask for one of: {names}",
        formats=[f.media_type for f in offered],
    )


# ------------------------------------------------------------------------------------- requests


def _content_type(header: str | None) -> str:
    media_type, *params = (header or "").split(";")
    for param in params:
        key, _, value = param.partition("=")
        if key.strip().lower() == "charset" and value.strip().strip('"').lower() not in ("utf-8", "utf8", "us-ascii"):
            raise _Refusal(
                415, "UnsupportedMediaType", f"the body's charset is {value.strip()!r}; send the query as UTF-8"
            )
    return media_type.strip().lower()


async def _read_body(request: Request) -> bytes:
    declared = request.headers.get("content-length", "")
    too_large = _Refusal(
        413,
        "RequestTooLarge",
        f"the request body is larger than {_MAX_BODY_BYTES:,} bytes, more than any query of at most "
        f"{MAX_QUERY_CHARS:,} characters needs; shorten the query",
    )
    if declared.isdigit() and int(declared) > _MAX_BODY_BYTES:
        raise too_large
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > _MAX_BODY_BYTES:
            raise too_large
    return bytes(body)


def _form_fields(body: bytes) -> list[tuple[str, str]]:
    try:
        return urllib.parse.parse_qsl(body.decode("utf-8"), keep_blank_values=True, errors="strict")
    except (UnicodeDecodeError, ValueError):
        raise _Refusal(400, "BadRequest", "the form body is not UTF-8 form encoding; encode it so") from None


def _query_body(body: bytes) -> str:
    try:
        return body.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise _Refusal(
            400, "BadRequest", f"the query is not valid UTF-8 (byte {exc.start}); save or send it as UTF-8"
        ) from None


def _refuse_update() -> _Refusal:
    return _Refusal(403, "QueryNotAllowed", _UPDATE_REFUSED)


def _accept_from(params: Sequence[tuple[str, str]], header: str | None) -> str | None:
    """The Accept value to negotiate with: the format= parameters when given, else the header."""
    wanted: list[str] = []
    for key, value in params:
        if key != "format" or not value.strip():
            continue
        types = _FORMAT_PARAM.get(value.strip().lower())
        if types is None:
            names = ", ".join(sorted(k for k in _FORMAT_PARAM if "/" not in k))
            raise _Refusal(400, "BadRequest", f"unknown format {value!r}; use one of: {names}")
        wanted += types
    return ", ".join(dict.fromkeys(wanted)) if wanted else header


# ------------------------------------------------------------------------------------- the app


class _Endpoint:
    """The routes' behaviour, bound to one graph and its effective limits."""

    def __init__(self, kg: KnowledgeGraph, settings: Settings) -> None:
        self.kg = kg
        self.max_rows = int(cap(settings.max_result_rows, kg.settings.max_result_rows))
        self.time_limit = float(cap(settings.query_time_limit_s, kg.settings.query_time_limit_s))
        self.memory_mb = kg.settings.worker_memory_mb
        self.title = kg.metadata().title or kg.recipe.label
        self.triples = len(kg)

    async def sparql(self, request: Request) -> Response:
        params = list(request.query_params.multi_items())
        if request.method == "POST":
            media_type = _content_type(request.headers.get("content-type"))
            if media_type == "application/sparql-update":
                raise _refuse_update()
            if media_type == "application/x-www-form-urlencoded":
                params += _form_fields(await _read_body(request))
            elif media_type == "application/sparql-query":
                if any(key == "query" for key, _ in params):
                    raise _Refusal(400, "BadRequest", "the query is both in the URL and in the body; send it once")
                params.append(("query", _query_body(await _read_body(request))))
            else:
                raise _Refusal(415, "UnsupportedMediaType", _POST_TYPES.format(media_type or "(none)"))
        keys = {key for key, _ in params}
        if "update" in keys:
            raise _refuse_update()
        dataset_keys = sorted(keys & {"default-graph-uri", "named-graph-uri"})
        if dataset_keys:
            raise _Refusal(400, "QueryNotAllowed", _DATASET_PARAM.format(dataset_keys[0]))
        queries = [value for key, value in params if key == "query"]
        accept = _accept_from(params, request.headers.get("accept"))
        if len(queries) > 1:
            raise _Refusal(400, "BadRequest", f"the request holds {len(queries)} queries; send exactly one query=")
        if not queries and request.method == "POST":
            raise _Refusal(
                400, "BadRequest", "no query: send query= (a form field) or an application/sparql-query body"
            )
        if not queries:
            return self.description_response(request, accept, (*_GRAPH_FORMATS, _HTML))
        if _choose(accept, (*_RESULT_FORMATS, *_GRAPH_FORMATS)) is None:
            raise _not_acceptable(accept, (*_RESULT_FORMATS, *_GRAPH_FORMATS), "a query result")
        return _result_response(await self.run(queries[0]), accept)

    async def run(self, text: str) -> QueryResult:
        try:
            return await run_in_threadpool(self.kg.sparql, text, max_rows=self.max_rows, timeout_s=self.time_limit)
        except QuerySyntaxError as exc:
            raise _Refusal(400, "QuerySyntaxError", str(exc), line=exc.line, column=exc.column) from None
        except QueryNotAllowed as exc:
            raise _Refusal(400, "QueryNotAllowed", str(exc)) from None
        except QueryTimeout as exc:
            raise _Refusal(422, "QueryTimeout", str(exc), setting="query_time_limit_s") from None
        except QueryTooLarge as exc:
            raise _Refusal(422, "QueryTooLarge", str(exc), setting="worker_memory_mb") from None
        except KgExplorerError as exc:
            _log.error("a query could not be answered: %s", exc)
            raise _Refusal(500, type(exc).__name__, str(exc)) from None

    async def description(self, request: Request) -> Response:
        return self.description_response(request, request.headers.get("accept"), _GRAPH_FORMATS)

    def description_response(self, request: Request, accept: str | None, offered: Sequence[_Format]) -> Response:
        fmt = _choose(accept, offered)
        if fmt is None:
            raise _not_acceptable(accept, offered, "the service description (RDF)")
        if fmt is _HTML:
            return self.page_response()
        body = _render(self.description_graph(str(request.url_for("sparql"))), fmt)
        return Response(body, media_type=fmt.media_type, headers={"Vary": "Accept", **_SECURITY_HEADERS})

    def description_graph(self, endpoint: str) -> GraphResult:
        sd, service, dataset, graph = _SD, BlankNode("service"), BlankNode("dataset"), BlankNode("defaultGraph")
        rdf_type = IRI(RDF + "type")
        triples = [
            Triple(service, rdf_type, IRI(sd + "Service")),
            Triple(service, IRI(sd + "supportedLanguage"), IRI(sd + "SPARQL11Query")),
            Triple(service, IRI(sd + "feature"), IRI(sd + "UnionDefaultGraph")),
            *(
                Triple(service, IRI(sd + "resultFormat"), IRI(_FORMATS_NS + f.sd_format))
                for f in (*_RESULT_FORMATS, *_GRAPH_FORMATS)
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
            for f in (*_RESULT_FORMATS, *_GRAPH_FORMATS)
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
        return HTMLResponse(body, headers={"Content-Security-Policy": _PAGE_POLICY, **_SECURITY_HEADERS})


def _render(result: QueryResult, fmt: _Format) -> str:
    if isinstance(result, GraphResult):
        writers = {"turtle": result.to_turtle, "nt": result.to_ntriples, "jsonld": result.to_jsonld}
        return writers[fmt.name]()
    if fmt is _XML:
        try:
            return to_sparql_xml(result)
        except ExportError as exc:
            raise _Refusal(406, "NotAcceptable", str(exc)) from None
    if isinstance(result, AskResult):
        # The CSV/TSV specification leaves ASK out; like Oxigraph, answer with the bare boolean.
        return result.to_json() if fmt is _JSON else ("true" if result.value else "false")
    return {"json": result.to_json, "csv": result.to_csv, "tsv": result.to_tsv}[fmt.name]()


def _result_response(result: QueryResult, accept: str | None) -> Response:
    offered: Sequence[_Format]
    if isinstance(result, GraphResult):
        offered, what = _GRAPH_FORMATS, "a CONSTRUCT or DESCRIBE result (RDF)"
    else:
        offered, what = _RESULT_FORMATS, "a SELECT or ASK result"
    fmt = _choose(accept, offered)
    if fmt is None:
        raise _not_acceptable(accept, offered, what)
    headers = {"Vary": "Accept", **_SECURITY_HEADERS}
    if not isinstance(result, AskResult) and result.truncated:
        headers["X-Kgexplorer-Truncated"] = "true"
        headers["X-Kgexplorer-Row-Limit"] = str(result.row_limit)
    return Response(_render(result, fmt), media_type=fmt.media_type, headers=headers)


def _answering(handler: Callable[[Request], Awaitable[Response]]) -> Callable[[Request], Awaitable[Response]]:
    """Turn refusals into JSON errors, and anything unexpected into a 500 without a traceback."""

    async def endpoint(request: Request) -> Response:
        try:
            return await handler(request)
        except _Refusal as refusal:
            return refusal.response
        except Exception as exc:  # the last line of defence: no traceback may reach a client
            _log.error("internal error answering %s: %s: %s", request.url.path, type(exc).__name__, exc)
            return _error(500, "InternalError", "the server failed while answering this request; try again")

    return endpoint


async def _http_error(request: Request, exc: Exception) -> Response:
    status = exc.status_code if isinstance(exc, HTTPException) else 500
    headers = dict(exc.headers or {}) if isinstance(exc, HTTPException) else {}
    path = request.url.path[:200]
    if status == 404:
        return _error(404, "NotFound", f"there is nothing at {path}; the endpoint is /sparql, the query page /")
    if status == 405:
        message = f"{request.method} is not supported at {path}; use {headers.get('Allow', 'GET')}"
        return _error(405, "MethodNotAllowed", message, headers=headers)
    detail = exc.detail if isinstance(exc, HTTPException) else "the server failed while answering this request"
    return _error(status, "HTTPError", str(detail), headers=headers)


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
    return Starlette(routes=routes, exception_handlers={HTTPException: _http_error, Exception: _http_error})


def serve(kg: KnowledgeGraph, *, host: str = "127.0.0.1", port: int = 7878) -> None:
    """Serve ``kg`` at ``http://HOST:PORT/sparql`` until interrupted (Ctrl+C); blocks.

    The default host, 127.0.0.1, accepts connections from this computer only. Example (it blocks until
    Ctrl+C, so it is not run as a doctest; the module's doctest queries the same app in-process)::

        with KnowledgeGraph.bundled() as kg:
            serve(kg, port=7878)
    """
    import uvicorn

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
