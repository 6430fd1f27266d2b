"""The SPARQL 1.1 Protocol as the endpoint speaks it: result formats, content negotiation and request bodies.

What a request asks for (:func:`read_request`: the query from GET ``query=``, a form-encoded POST or an
``application/sparql-query`` body, and the format from ``format=`` or the Accept header) and how an answer
is written (:func:`choose_format`, :func:`format_result`, :func:`result_response`, including
:func:`to_sparql_xml`) are rules of the protocol, not of one app: they live here so that
:mod:`kgexplorer.server.endpoint` holds only the app, its routes and its handlers. A request the protocol refuses
raises :class:`Refusal`, whose JSON response the app sends as it is.

SELECT/ASK formats: application/sparql-results+json (default; also for application/json),
application/sparql-results+xml (also for application/xml), text/csv, text/tab-separated-values.
CONSTRUCT/DESCRIBE: every RDF format pyoxigraph writes: text/turtle (default), application/n-triples,
application/ld+json, application/rdf+xml, text/n3, application/n-quads, application/trig. A ``format=``
(or ``output=``, ``results=``) value names one by its short name or media type; values it does not know
are left out, as Oxigraph does.

>>> choose_format("text/csv;q=0.5, application/sparql-results+xml", RESULT_FORMATS).media_type
'application/sparql-results+xml'
"""

from __future__ import annotations

import functools
import html
import re
import urllib.parse
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from kgexplorer.engine.guard import MAX_QUERY_CHARS
from kgexplorer.engine.results import AskResult, GraphResult, QueryResult, SelectResult
from kgexplorer.errors import ExportError
from kgexplorer.terms import IRI, BlankNode, Term

from .query_string import url_params

__all__ = [
    "GRAPH_FORMATS",
    "PAGE_FORMAT",
    "RESULT_FORMATS",
    "SECURITY_HEADERS",
    "Format",
    "QueryRequest",
    "Refusal",
    "choose_format",
    "error_response",
    "format_result",
    "not_acceptable",
    "read_request",
    "result_response",
    "to_sparql_xml",
    "too_many_rows",
    "wanted_accept",
]

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
#: Headers every response of the endpoint carries.
SECURITY_HEADERS = {"X-Content-Type-Options": "nosniff"}


@dataclass(frozen=True, eq=False)
class Format:
    """One format the endpoint writes: its ``format=`` names, media type, other accepted media types, and
    its name in the W3C formats namespace (for the service description; empty for the HTML page).

    >>> TURTLE = Format(("turtle", "ttl"), "text/turtle", ("application/x-turtle",), "Turtle")
    >>> TURTLE.name, TURTLE.matches("text/turtle"), TURTLE.matches("text/*"), TURTLE.matches("*/*")
    ('turtle', 2, 1, 0)
    """

    names: tuple[str, ...]  # for format=; the first is the one shown
    media_type: str
    aliases: tuple[str, ...] = ()
    sd_format: str = ""

    @property
    def name(self) -> str:
        """The ``format=`` name shown to people (the first of :attr:`names`)."""
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


_JSON = Format(
    ("json",),
    "application/sparql-results+json",
    ("application/json", "text/javascript", "application/javascript"),
    "SPARQL_Results_JSON",
)
# application/xml is what SPARQLWrapper and older clients send for XML results.
_XML = Format(("xml",), "application/sparql-results+xml", ("application/xml", "text/xml"), "SPARQL_Results_XML")
_CSV = Format(("csv",), "text/csv", (), "SPARQL_Results_CSV")
_TSV = Format(("tsv",), "text/tab-separated-values", (), "SPARQL_Results_TSV")
_TURTLE = Format(("turtle", "ttl"), "text/turtle", ("application/turtle", "application/x-turtle"), "Turtle")
_NTRIPLES = Format(("nt", "ntriples", "n-triples"), "application/n-triples", (), "N-Triples")
_JSONLD = Format(("jsonld", "json-ld"), "application/ld+json", ("application/x-json+ld",), "JSON-LD")
_RDFXML = Format(("rdfxml", "rdf+xml", "rdf", "owl"), "application/rdf+xml", (), "RDF_XML")
_N3 = Format(("n3",), "text/n3", ("text/rdf+n3", "application/n3"), "N3")
_NQUADS = Format(("nquads", "n-quads", "nq"), "application/n-quads", (), "N-Quads")
_TRIG = Format(("trig",), "application/trig", ("application/x-trig",), "TriG")
#: The query page, for a browser that asks the endpoint for HTML.
PAGE_FORMAT = Format(("html",), "text/html", ("application/xhtml+xml",))
#: The formats of a SELECT or ASK result, the default first.
RESULT_FORMATS = (_JSON, _XML, _CSV, _TSV)
#: The formats of a CONSTRUCT or DESCRIBE result (and the service description), the default first: every RDF
#: format pyoxigraph writes (N-Quads and TriG carry the triples in the default graph).
GRAPH_FORMATS = (_TURTLE, _NTRIPLES, _JSONLD, _RDFXML, _N3, _NQUADS, _TRIG)
_FORMAT_PARAM: dict[str, tuple[str, ...]] = {
    key: (f.media_type,) for f in (*RESULT_FORMATS, *GRAPH_FORMATS) for key in (*f.names, f.media_type, *f.aliases)
}
# "json" and "xml" name a format of each kind (SPARQLWrapper sends format=xml for RDF/XML): whichever comes back.
_FORMAT_PARAM["json"] = (_JSON.media_type, _JSONLD.media_type)
_FORMAT_PARAM["xml"] = (_XML.media_type, _RDFXML.media_type)
_FORMAT_PARAM["application/xml"] = (_XML.media_type, _RDFXML.media_type)


class Refusal(Exception):
    """A request that gets an error response; raised anywhere below the route, answered in one place.

    >>> Refusal(400, "BadRequest", "no query").response.status_code
    400
    """

    def __init__(
        self, status: int, kind: str, message: str, *, headers: dict[str, str] | None = None, **extra: Any
    ) -> None:
        super().__init__(message)
        self.kind = kind
        self.response = error_response(status, kind, message, headers=headers, **extra)


def error_response(
    status: int, kind: str, message: str, *, headers: dict[str, str] | None = None, **extra: Any
) -> Response:
    """The endpoint's error body, JSON ``{"error": message, "type": kind, ...}``; ``extra`` values of None are left out.

    >>> error_response(406, "NotAcceptable", "ask for JSON", formats=None).body
    b'{"error":"ask for JSON","type":"NotAcceptable"}'
    """
    body = {"error": message, "type": kind, **{k: v for k, v in extra.items() if v is not None}}
    return JSONResponse(body, status_code=status, headers={**SECURITY_HEADERS, **(headers or {})})


def to_sparql_xml(result: SelectResult | AskResult) -> str:
    """A SELECT or ASK result in the SPARQL Query Results XML Format.

    Raises :class:`~kgexplorer.errors.ExportError` when a value holds a character XML 1.0 cannot carry.

    >>> from kgexplorer import KnowledgeGraph
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


def format_result(result: QueryResult, fmt: Format) -> str:
    """``result`` written in ``fmt``, which must be one of the formats of its kind.

    A value XML cannot carry makes the XML format a :class:`Refusal` (406).

    >>> from kgexplorer import KnowledgeGraph
    >>> with KnowledgeGraph.bundled() as kg:
    ...     format_result(kg.sparql("ASK { kg:ketamine a kgx:Substance }"), RESULT_FORMATS[2])
    'true'
    """
    if isinstance(result, GraphResult):
        writers = {"turtle": result.to_turtle, "nt": result.to_ntriples, "jsonld": result.to_jsonld}
        if fmt.name in writers:
            return writers[fmt.name]()
        return _rewrite(result.to_ntriples(), fmt.name)
    if fmt is _XML:
        try:
            return to_sparql_xml(result)
        except ExportError as exc:
            raise Refusal(406, "NotAcceptable", str(exc)) from None
    if isinstance(result, AskResult):
        # The CSV/TSV specification leaves ASK out; like Oxigraph, answer with the bare boolean.
        return result.to_json() if fmt is _JSON else ("true" if result.value else "false")
    return {"json": result.to_json, "csv": result.to_csv, "tsv": result.to_tsv}[fmt.name]()


def _rewrite(ntriples: str, name: str) -> str:
    """N-Triples written again in another graph format, natively."""
    import io

    import pyoxigraph as ox

    from kgexplorer.engine.serialization import write_triples

    out = io.BytesIO()
    write_triples(ox.parse(ntriples.encode("utf-8"), format=ox.RdfFormat.N_TRIPLES), out, name)
    return out.getvalue().decode("utf-8")


def result_response(result: QueryResult, accept: str | None) -> Response:
    """The response carrying ``result`` in the format ``accept`` prefers.

    Raises :class:`Refusal`: 406 when no accepted format fits the result, 422 (:func:`too_many_rows`) when
    the result was cut at the row limit.

    >>> from kgexplorer import KnowledgeGraph
    >>> with KnowledgeGraph.bundled() as kg:
    ...     r = result_response(kg.sparql("SELECT ?s WHERE { ?s a kgx:Substance } LIMIT 1", max_rows=1), "text/csv")
    >>> r.media_type, r.body.count(b"\\n")
    ('text/csv', 2)
    """
    offered: Sequence[Format]
    if isinstance(result, GraphResult):
        offered, what = GRAPH_FORMATS, "a CONSTRUCT or DESCRIBE result (RDF)"
    else:
        offered, what = RESULT_FORMATS, "a SELECT or ASK result"
    fmt = choose_format(accept, offered)
    if fmt is None:
        raise not_acceptable(accept, offered, what)
    if not isinstance(result, AskResult) and result.truncated:
        raise too_many_rows(result.row_limit or len(result), graph=isinstance(result, GraphResult))
    headers = {"Vary": "Accept", **SECURITY_HEADERS}
    return Response(format_result(result, fmt), media_type=fmt.media_type, headers=headers)


def too_many_rows(limit: int, *, graph: bool) -> Refusal:
    """The refusal (422 ``TooManyRows``) of a result longer than ``limit`` rows or triples (max_result_rows).

    A cut answer is never sent with a 200: no standard client reads a private header, and rdflib's
    ``SPARQLStore`` would iterate the cut result as if whole. A query with a ``LIMIT`` at or under the
    setting is never refused, so clients page with ``LIMIT``/``OFFSET``.

    >>> too_many_rows(10_000, graph=False).response.status_code
    422
    """
    what = "triples" if graph else "rows"
    return Refusal(
        422,
        "TooManyRows",
        f"the result has more than {limit:,} {what}, the most one answer may hold (the max_result_rows setting); "
        f"ask for at most that many with LIMIT {limit} and page through the rest with OFFSET (ORDER BY keeps the "
        "pages stable), or narrow the query",
        setting="max_result_rows",
        limit=limit,
    )


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


def choose_format(accept: str | None, offered: Sequence[Format]) -> Format | None:
    """The offered format the client prefers; ties go to the more specific range, then to our order.

    No Accept (or none that names a media type) means the first offered; None means none is acceptable.

    >>> choose_format("text/*", GRAPH_FORMATS).name, choose_format(None, RESULT_FORMATS).name
    ('turtle', 'json')
    >>> choose_format("image/png", RESULT_FORMATS) is None
    True
    """
    return _choose(accept, tuple(offered))


# Clients send the same few Accept values again and again: the choice is remembered (a format is hashed by
# identity, as each is one module constant, so a lookup costs no more than hashing the Accept value).
@functools.lru_cache(maxsize=256)
def _choose(accept: str | None, offered: tuple[Format, ...]) -> Format | None:
    ranges = _accept_ranges(accept)
    if not ranges:
        return offered[0]
    best: Format | None = None
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


def not_acceptable(accept: str | None, offered: Sequence[Format], what: str) -> Refusal:
    """The 406 refusal for ``what`` when ``accept`` fits none of ``offered``; it lists those that would.

    >>> not_acceptable("image/png", GRAPH_FORMATS, "an RDF graph").response.status_code
    406
    """
    names = ", ".join(f"{f.media_type} (format={f.name})" for f in offered if f is not PAGE_FORMAT)
    return Refusal(
        406,
        "NotAcceptable",
        f"none of the formats you accept ({accept or 'none'}) can carry {what}; ask for one of: {names}",
        formats=[f.media_type for f in offered],
    )


# ------------------------------------------------------------------------------------- requests


@dataclass(frozen=True)
class QueryRequest:
    """What a request to the endpoint asks for: its one query (None: describe the service) and the Accept
    value to negotiate with (the ``format=`` parameters when given, else the header)."""

    query: str | None
    accept: str | None


async def read_request(request: Request) -> QueryRequest:
    """The query and wanted formats of a GET or POST request, or a :class:`Refusal` saying what is wrong.

    Refused: an update (403), dataset parameters, two queries, a POST without a query or a body that is
    not UTF-8 (400), a body too large for any query (413), and a POST body of
    another type or charset (415).

    >>> import asyncio
    >>> async def body() -> dict[str, object]:
    ...     return {"type": "http.request", "body": b"query=ASK+%7B%7D&format=csv"}
    >>> form = [(b"content-type", b"application/x-www-form-urlencoded")]
    >>> scope = {"type": "http", "method": "POST", "query_string": b"", "headers": form}
    >>> asyncio.run(read_request(Request(scope, body)))
    QueryRequest(query='ASK {}', accept='text/csv')
    """
    params = url_params(request)
    if request.method == "POST":
        media_type = _content_type(request.headers.get("content-type"))
        if media_type == "application/sparql-update":
            raise _refuse_update()
        if media_type == "application/x-www-form-urlencoded":
            params += _form_fields(await _read_body(request))
        elif media_type == "application/sparql-query":
            if any(key == "query" for key, _ in params):
                raise Refusal(400, "BadRequest", "the query is both in the URL and in the body; send it once")
            params.append(("query", _query_body(await _read_body(request))))
        else:
            raise Refusal(415, "UnsupportedMediaType", _POST_TYPES.format(media_type or "(none)"))
    keys = {key for key, _ in params}
    if "update" in keys:
        raise _refuse_update()
    dataset_keys = sorted(keys & {"default-graph-uri", "named-graph-uri"})
    if dataset_keys:
        raise Refusal(400, "QueryNotAllowed", _DATASET_PARAM.format(dataset_keys[0]))
    queries = [value for key, value in params if key == "query"]
    accept = wanted_accept(params, request.headers.get("accept"))
    if len(queries) > 1:
        raise Refusal(400, "BadRequest", f"the request holds {len(queries)} queries; send exactly one query=")
    if not queries and request.method == "POST":
        raise Refusal(400, "BadRequest", "no query: send query= (a form field) or an application/sparql-query body")
    return QueryRequest(queries[0] if queries else None, accept)


def _content_type(header: str | None) -> str:
    media_type, *params = (header or "").split(";")
    for param in params:
        key, _, value = param.partition("=")
        if key.strip().lower() == "charset" and value.strip().strip('"').lower() not in ("utf-8", "utf8", "us-ascii"):
            raise Refusal(
                415, "UnsupportedMediaType", f"the body's charset is {value.strip()!r}; send the query as UTF-8"
            )
    return media_type.strip().lower()


async def _read_body(request: Request) -> bytes:
    declared = request.headers.get("content-length", "")
    too_large = Refusal(
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
        raise Refusal(400, "BadRequest", "the form body is not UTF-8 form encoding; encode it so") from None


def _query_body(body: bytes) -> str:
    try:
        return body.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise Refusal(
            400, "BadRequest", f"the query is not valid UTF-8 (byte {exc.start}); save or send it as UTF-8"
        ) from None


def _refuse_update() -> Refusal:
    return Refusal(403, "QueryNotAllowed", _UPDATE_REFUSED)


def wanted_accept(params: Sequence[tuple[str, str]], header: str | None) -> str | None:
    """The Accept value to negotiate with: the format= parameters when given, else the header."""
    wanted: list[str] = []
    for key, value in params:
        if key not in ("format", "output", "results") or not value.strip():
            continue
        # A value we do not know is left out, as Oxigraph does: clients send names meant for other servers.
        wanted += _FORMAT_PARAM.get(value.strip().lower(), ())
    return ", ".join(dict.fromkeys(wanted)) if wanted else header
