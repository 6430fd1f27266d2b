"""The SPARQL 1.1 Protocol (kgexplorer.server.protocol): formats, negotiation and request reading, without an app.

The same rules seen through HTTP are tested in test_server.py."""

from __future__ import annotations

import asyncio
import json
import xml.etree.ElementTree as ET
from typing import Any

import pytest
from starlette.requests import Request

import kgexplorer.server.endpoint
from kgexplorer import KnowledgeGraph
from kgexplorer.engine.guard import MAX_QUERY_CHARS
from kgexplorer.engine.results import AskResult, SelectResult
from kgexplorer.errors import ExportError
from kgexplorer.server.protocol import (
    GRAPH_FORMATS,
    PAGE_FORMAT,
    RESULT_FORMATS,
    QueryRequest,
    Refusal,
    choose_format,
    error_response,
    format_result,
    not_acceptable,
    read_request,
    result_response,
    to_sparql_xml,
)
from kgexplorer.terms import BlankNode, Literal

FORM = "application/x-www-form-urlencoded"


def _read(
    method: str = "GET", query_string: bytes = b"", body: bytes = b"", headers: dict[str, str] | None = None
) -> QueryRequest:
    """read_request on a bare ASGI request; the body is handed over in one chunk."""
    sent = False

    async def receive() -> dict[str, Any]:
        nonlocal sent
        assert not sent, "the body was read twice"
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    raw = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in (headers or {}).items()]
    scope = {"type": "http", "method": method, "query_string": query_string, "headers": raw}
    return asyncio.run(read_request(Request(scope, receive)))


def _refusal(status: int, kind: str, **request: Any) -> dict[str, Any]:
    with pytest.raises(Refusal) as info:
        _read(**request)
    response = info.value.response
    assert response.status_code == status
    body: dict[str, Any] = json.loads(bytes(response.body))
    assert body["type"] == kind
    return body


# ----------------------------------------------------------------------------------- formats


def test_xml_results_escape_and_refuse_what_xml_cannot_carry() -> None:
    """Markup in values is escaped, blank nodes are written as bnode, and a control character is refused."""
    result = SelectResult(("a", "b"), ((Literal('<b>&"x"</b>'), BlankNode("n1")),))
    root = ET.fromstring(to_sparql_xml(result))
    ns = {"r": "http://www.w3.org/2005/sparql-results#"}
    assert root.find(".//r:binding[@name='a']/r:literal", ns).text == '<b>&"x"</b>'  # type: ignore[union-attr]
    assert root.find(".//r:binding[@name='b']/r:bnode", ns).text == "n1"  # type: ignore[union-attr]
    with pytest.raises(ExportError, match="U\\+0001"):
        to_sparql_xml(SelectResult(("a",), ((Literal("bad\x01"),),)))


def test_to_sparql_xml_is_still_importable_from_the_server() -> None:
    """server exported to_sparql_xml first; the name there is the protocol's function."""
    assert kgexplorer.server.endpoint.to_sparql_xml is to_sparql_xml
    assert "to_sparql_xml" in kgexplorer.server.endpoint.__all__


def test_ask_is_a_bare_boolean_in_csv_and_tsv_and_sparql_json_otherwise() -> None:
    """The CSV/TSV specification leaves ASK out: like Oxigraph, the body is true or false."""
    by_name = {f.name: f for f in RESULT_FORMATS}
    assert format_result(AskResult(False), by_name["csv"]) == "false"
    assert format_result(AskResult(True), by_name["tsv"]) == "true"
    assert json.loads(format_result(AskResult(True), by_name["json"])) == {"head": {}, "boolean": True}
    assert "<boolean>false</boolean>" in format_result(AskResult(False), by_name["xml"])


def test_a_value_xml_cannot_carry_makes_xml_a_406() -> None:
    """format_result turns the XML writer's ExportError into a refusal that points to JSON."""
    xml = next(f for f in RESULT_FORMATS if f.name == "xml")
    with pytest.raises(Refusal) as info:
        format_result(SelectResult(("a",), ((Literal("bad\x0b"),),)), xml)
    assert info.value.response.status_code == 406
    assert "format=json" in str(info.value)


def test_result_response_refuses_a_cut_result(kg: KnowledgeGraph) -> None:
    """A result cut at the row limit is refused (422 naming the setting); the media type is the negotiated one."""
    with pytest.raises(Refusal) as cut:
        result_response(kg.sparql("SELECT ?s WHERE { ?s a kgx:Substance }", max_rows=2), "text/tab-separated-values")
    assert cut.value.response.status_code == 422
    assert cut.value.kind == "TooManyRows"
    whole = result_response(kg.sparql("SELECT ?s WHERE { ?s a kgx:Substance } LIMIT 2", max_rows=2), "text/csv")
    assert whole.media_type == "text/csv"
    assert whole.headers["Vary"] == "Accept"
    with pytest.raises(Refusal):
        result_response(kg.sparql("ASK {}"), "text/turtle")


def test_error_responses_are_json_with_nosniff() -> None:
    """Extras that are None are left out; every error carries X-Content-Type-Options: nosniff."""
    response = error_response(422, "QueryTimeout", "too slow", setting="query_time_limit_s", line=None)
    assert response.status_code == 422
    assert json.loads(bytes(response.body)) == {
        "error": "too slow",
        "type": "QueryTimeout",
        "setting": "query_time_limit_s",
    }
    assert response.headers["X-Content-Type-Options"] == "nosniff"


# ----------------------------------------------------------------------------------- negotiation


@pytest.mark.parametrize(
    ("accept", "offered", "name"),
    [
        (None, RESULT_FORMATS, "json"),
        ("", GRAPH_FORMATS, "turtle"),
        ("not a media type", RESULT_FORMATS, "json"),
        ("application/json", RESULT_FORMATS, "json"),
        ("text/csv;q=0.5, application/sparql-results+xml", RESULT_FORMATS, "xml"),
        ("text/csv;q=0, */*", RESULT_FORMATS, "json"),
        ("text/csv;q=0, text/*", RESULT_FORMATS, "tsv"),
        ("TEXT/CSV;Q=0.9, */*;q=0.1", RESULT_FORMATS, "csv"),
        ("text/csv;q=2, application/sparql-results+xml;q=0.9", RESULT_FORMATS, "csv"),
        ("text/*", GRAPH_FORMATS, "turtle"),
        ("application/x-turtle", GRAPH_FORMATS, "turtle"),
        ("text/html,application/xhtml+xml,*/*;q=0.8", (*GRAPH_FORMATS, PAGE_FORMAT), "html"),
    ],
)
def test_choose_format(accept: str | None, offered: tuple[Any, ...], name: str) -> None:
    """q-values, the most specific range and then our order decide; no usable Accept means the default."""
    chosen = choose_format(accept, offered)
    assert chosen is not None
    assert chosen.name == name


@pytest.mark.parametrize("accept", ["image/png", "application/sparql-results+json;q=0", "text/*;q=0"])
def test_choose_format_finds_nothing_acceptable(accept: str) -> None:
    """A range that names none of the offered formats, or only with q=0, leaves nothing to choose."""
    assert choose_format(accept, (*RESULT_FORMATS[:1], *GRAPH_FORMATS[1:])) is None


def test_not_acceptable_lists_the_formats_that_would_do() -> None:
    """The 406 names what was accepted and every offered media type, but not the HTML page as a format."""
    refusal = not_acceptable("image/png", (*GRAPH_FORMATS, PAGE_FORMAT), "the description")
    body = json.loads(bytes(refusal.response.body))
    assert refusal.response.status_code == 406
    assert "image/png" in body["error"]
    assert "text/turtle (format=turtle)" in body["error"]
    assert "format=html" not in body["error"]
    assert body["formats"] == [f.media_type for f in (*GRAPH_FORMATS, PAGE_FORMAT)]


# ----------------------------------------------------------------------------------- requests


def test_a_get_query_and_its_format_parameters() -> None:
    """format= replaces Accept; "json" means JSON for either query form; repeated values are merged once."""
    assert _read(query_string=b"query=ASK%7B%7D", headers={"Accept": "text/csv"}) == QueryRequest("ASK{}", "text/csv")
    both = _read(query_string=b"query=ASK%7B%7D&format=json&format=application/ld%2Bjson")
    assert both == QueryRequest("ASK{}", "application/sparql-results+json, application/ld+json")
    assert _read(query_string=b"format=+", headers={"Accept": "text/turtle"}) == QueryRequest(None, "text/turtle")


def test_format_values_clients_send() -> None:
    """SPARQLWrapper's names (format=xml for RDF/XML, rdf+xml, n3, json-ld, also as output= and results=) are
    understood; a value no format has is left out, as Oxigraph does, and the Accept header decides."""
    assert _read(query_string=b"query=a&format=pdf", headers={"Accept": "text/csv"}) == QueryRequest("a", "text/csv")
    xml = _read(query_string=b"query=a&format=xml&output=xml&results=xml")
    assert xml == QueryRequest("a", "application/sparql-results+xml, application/rdf+xml")
    for name, media_type in [("rdf+xml", "application/rdf+xml"), ("n3", "text/n3"), ("json-ld", "application/ld+json"),
                             ("nquads", "application/n-quads"), ("trig", "application/trig")]:  # fmt: skip
        assert _read(query_string=b"query=a&format=" + name.encode().replace(b"+", b"%2B")).accept == media_type


def test_post_bodies_give_the_query() -> None:
    """A form's query= field, or a sparql-query body (a UTF-8 byte order mark dropped), is the query."""
    form = _read("POST", b"format=tsv", b"query=ASK+%7B%7D", {"Content-Type": FORM + "; charset=UTF-8"})
    assert form == QueryRequest("ASK {}", "text/tab-separated-values")
    body = _read("POST", body="\ufeffASK {}".encode(), headers={"Content-Type": "Application/SPARQL-Query"})
    assert body == QueryRequest("ASK {}", None)


@pytest.mark.parametrize(
    ("request_", "status", "kind", "needle"),
    [
        ({"query_string": b"update=CLEAR+ALL"}, 403, "QueryNotAllowed", "read-only"),
        (
            {"method": "POST", "headers": {"Content-Type": "application/sparql-update"}},
            403,
            "QueryNotAllowed",
            "read-only",
        ),
        ({"query_string": b"query=ASK%7B%7D&named-graph-uri=x"}, 400, "QueryNotAllowed", "named-graph-uri"),
        ({"query_string": b"query=a&query=b"}, 400, "BadRequest", "2 queries"),
        ({"method": "POST", "headers": {"Content-Type": FORM}}, 400, "BadRequest", "no query"),
        ({"method": "POST", "body": b"query=%FF", "headers": {"Content-Type": FORM}}, 400, "BadRequest", "UTF-8"),
        (
            {"method": "POST", "body": b"\xff", "headers": {"Content-Type": "application/sparql-query"}},
            400,
            "BadRequest",
            "byte 0",
        ),
        (
            {
                "method": "POST",
                "query_string": b"query=a",
                "body": b"b",
                "headers": {"Content-Type": "application/sparql-query"},
            },
            400,
            "BadRequest",
            "once",
        ),
        (
            {"method": "POST", "headers": {"Content-Type": FORM + "; charset=latin-1"}},
            415,
            "UnsupportedMediaType",
            "latin-1",
        ),
        ({"method": "POST", "headers": {}}, 415, "UnsupportedMediaType", "(none)"),
    ],
    ids=[
        "get-update",
        "post-update",
        "dataset",
        "two-queries",
        "post-without-query",
        "form-not-utf8",
        "body-not-utf8",
        "url-and-body",
        "latin1",
        "no-type",
    ],
)
def test_refused_requests(request_: dict[str, Any], status: int, kind: str, needle: str) -> None:
    """Each malformed or forbidden request is refused with its status and a message that names the problem."""
    assert needle in _refusal(status, kind, **request_)["error"]


def test_a_body_declared_too_large_is_refused_before_it_is_read() -> None:
    """A Content-Length past any query the guard accepts is 413 without reading the body."""
    size = str(12 * MAX_QUERY_CHARS + 1)

    async def receive() -> dict[str, Any]:
        raise AssertionError("the body was read")

    scope = {
        "type": "http",
        "method": "POST",
        "query_string": b"",
        "headers": [(b"content-type", b"application/sparql-query"), (b"content-length", size.encode())],
    }
    with pytest.raises(Refusal) as info:
        asyncio.run(read_request(Request(scope, receive)))
    assert info.value.response.status_code == 413
    assert f"{MAX_QUERY_CHARS:,} characters" in str(info.value)


def test_a_body_that_grows_too_large_is_refused() -> None:
    """Without a Content-Length, the body is cut off as soon as it passes the limit."""
    body = _refusal(
        413,
        "RequestTooLarge",
        method="POST",
        body=b"#" * (12 * MAX_QUERY_CHARS + 1),
        headers={"Content-Type": "application/sparql-query"},
    )
    assert "shorten the query" in body["error"]
