"""Answers written by the engine (kgexplorer.engine.serialization): the same bytes pyoxigraph writes, the row cap
kept exactly (JSON and XML counted as written, test_serialization_counted.py; the other formats through the
line-per-row round trip), the byte cap, and XML's forbidden characters."""

from __future__ import annotations

import io
import json
import warnings

import pyoxigraph as ox
import pytest
import rdflib
from rdflib.query import Result
from tests.answers import store_of

from kgexplorer.engine.serialization import GRAPH_FORMAT_NAMES, RESULT_FORMAT_NAMES, send_lines, write_answer

EX = "http://example.org/"
XSD = "http://www.w3.org/2001/XMLSchema#"
# Values that a line-per-row text must escape or keep exactly: tabs, line breaks, quotes, backslashes,
# astral characters, language tags, odd datatypes, blank nodes, NaN.
VALUES = [
    ox.Literal('tab\there, line\nbreak, return\r, "quote", back\\slash, ü 😀'),
    ox.Literal("Ketamin", language="de"),
    ox.Literal("7", datatype=ox.NamedNode(XSD + "integer")),
    ox.Literal("NaN", datatype=ox.NamedNode(XSD + "double")),
    ox.Literal("odd", datatype=ox.NamedNode(EX + "datatype")),
    ox.Literal("true", datatype=ox.NamedNode(XSD + "boolean")),
    ox.BlankNode("b1"),
    ox.NamedNode(EX + "é"),
    ox.Literal(""),
]


@pytest.fixture(scope="module")
def store() -> ox.Store:
    return store_of(VALUES, namespace=EX)


SELECT = f"SELECT ?s ?o ?missing WHERE {{ ?s <{EX}p> ?o OPTIONAL {{ ?s <{EX}none> ?missing }} }} ORDER BY ?s"


def _select(store: ox.Store, fmt: str, *, max_rows: int = 100, max_bytes: int = 1 << 20) -> bytes:
    written = write_answer(
        store.query(SELECT), select_format=fmt, graph_format=None, max_rows=max_rows, max_bytes=max_bytes
    )
    assert written.kind == "select"
    assert written.problem is None
    assert not written.too_large
    return b"".join(written.chunks)


@pytest.mark.parametrize("fmt", ["json", "csv", "tsv"])
def test_a_whole_result_is_exactly_what_pyoxigraph_writes(store: ox.Store, fmt: str) -> None:
    """Written directly (JSON) or through the TSV round trip (CSV, TSV), every term survives: the bytes equal
    pyoxigraph's own."""
    formats = {"json": ox.QueryResultsFormat.JSON, "csv": ox.QueryResultsFormat.CSV, "tsv": ox.QueryResultsFormat.TSV}
    assert _select(store, fmt) == store.query(SELECT).serialize(format=formats[fmt])


def test_the_json_parses_back_to_every_value(store: ox.Store) -> None:
    rows = list(Result.parse(io.BytesIO(_select(store, "json")), format="json"))
    assert len(rows) == len(VALUES)
    objects = {str(row[1]) for row in rows}
    assert 'tab\there, line\nbreak, return\r, "quote", back\\slash, ü 😀' in objects
    assert all(row[2] is None for row in rows)


@pytest.mark.parametrize("fmt", RESULT_FORMAT_NAMES)
@pytest.mark.parametrize("cap", [1, 3, len(VALUES) - 1])
def test_the_row_cap_cuts_at_exactly_the_cap_and_says_so(store: ox.Store, fmt: str, cap: int) -> None:
    # XML gets the subjects only: it cannot carry some of the objects' characters.
    query = f"SELECT ?s WHERE {{ ?s <{EX}p> ?o }} ORDER BY ?s" if fmt == "xml" else SELECT
    written = write_answer(store.query(query), select_format=fmt, graph_format=None, max_rows=cap, max_bytes=1 << 20)
    assert written.truncated
    parser = {"json": "json", "xml": "xml", "csv": "csv", "tsv": "tsv"}[fmt]
    rows = list(Result.parse(io.BytesIO(b"".join(written.chunks)), format=parser))
    assert len(rows) == cap


@pytest.mark.parametrize(
    ("query", "rows"),
    [
        (SELECT, len(VALUES)),
        ("SELECT * WHERE {}", 1),  # one solution binding no variable: an empty line in TSV
        ("SELECT ?x WHERE {}", 1),
        (f"SELECT ?s WHERE {{ ?s <{EX}none> ?o }}", 0),
    ],
)
def test_a_result_at_exactly_the_cap_is_whole(store: ox.Store, query: str, rows: int) -> None:
    for cap in (max(rows, 1), rows + 1):
        written = write_answer(
            store.query(query), select_format="json", graph_format=None, max_rows=cap, max_bytes=1 << 20
        )
        assert not written.truncated
        assert len(json.loads(b"".join(written.chunks))["results"]["bindings"]) == rows


def test_past_the_byte_cap_nothing_is_kept(store: ox.Store) -> None:
    whole = len(_select(store, "json"))
    written = write_answer(
        store.query(SELECT), select_format="json", graph_format=None, max_rows=100, max_bytes=whole - 1
    )
    assert written.too_large
    assert written.chunks == []
    assert not write_answer(
        store.query(SELECT), select_format="json", graph_format=None, max_rows=100, max_bytes=whole
    ).too_large


def test_writing_stops_at_the_byte_cap_instead_of_running_on() -> None:
    """A result of millions of rows is not evaluated to its end: writing raises as soon as the cap is passed."""
    s = ox.Store()
    s.extend(ox.Quad(ox.NamedNode(f"{EX}{i}"), ox.NamedNode(EX + "p"), ox.Literal("x")) for i in range(2000))
    endless = "SELECT ?a ?b ?c WHERE { ?a ?p ?x . ?b ?q ?y . ?c ?r ?z }"  # 8 billion rows
    written = write_answer(s.query(endless), select_format="json", graph_format=None, max_rows=10**7, max_bytes=1 << 16)
    assert written.too_large


@pytest.mark.parametrize("cap", [1, 3, len(VALUES) - 1, len(VALUES), len(VALUES) + 1])
def test_sent_pieces_keep_the_row_cap_as_the_written_answer_does(store: ox.Store, cap: int) -> None:
    """The library's streamed TSV: the same bytes write_answer keeps, cut at the same row, marked the same way."""
    sent: list[bytes] = []
    streamed = send_lines(store.query(SELECT), sent.append, max_rows=cap, max_bytes=1 << 20)
    written = write_answer(store.query(SELECT), select_format="tsv", graph_format=None, max_rows=cap, max_bytes=1 << 20)
    assert b"".join(sent) == b"".join(written.chunks)
    assert (streamed.truncated, streamed.too_large, streamed.chunks) == (written.truncated, False, [])
    assert streamed.truncated == (cap < len(VALUES))


def test_sent_pieces_stop_before_the_byte_cap() -> None:
    """Past the cap nothing more is sent, and what was sent stays under it: the caller never holds more."""
    s = ox.Store()
    s.extend(ox.Quad(ox.NamedNode(f"{EX}{i}"), ox.NamedNode(EX + "p"), ox.Literal("x" * 100)) for i in range(2000))
    endless = "SELECT ?a ?b ?c WHERE { ?a ?p ?x . ?b ?q ?y . ?c ?r ?z }"  # 8 billion rows
    sent: list[bytes] = []
    streamed = send_lines(s.query(endless), sent.append, max_rows=10**7, max_bytes=100_000)
    assert streamed.too_large
    assert 0 < sum(map(len, sent)) <= 100_000


@pytest.mark.parametrize("cap", [0, 1, 3, len(VALUES) - 1, len(VALUES), len(VALUES) + 1])
def test_sent_triples_keep_the_cap_as_the_written_answer_does(store: ox.Store, cap: int) -> None:
    """A CONSTRUCT's streamed N-Triples: the same bytes as the written N-Triples answer, cut at the same triple."""
    construct = "CONSTRUCT WHERE { ?s ?p ?o }"
    sent: list[bytes] = []
    streamed = send_lines(store.query(construct), sent.append, max_rows=cap, max_bytes=1 << 20)
    written = write_answer(
        store.query(construct), select_format=None, graph_format="nt", max_rows=cap, max_bytes=1 << 20
    )
    assert b"".join(sent) == b"".join(written.chunks)
    assert b"".join(sent).count(b"\n") == min(cap, len(VALUES))
    assert (streamed.kind, streamed.format) == ("graph", "nt")
    assert (streamed.truncated, streamed.too_large) == (cap < len(VALUES), False)


def test_sent_triples_stop_before_the_byte_cap() -> None:
    s = ox.Store()
    s.extend(ox.Quad(ox.NamedNode(f"{EX}{i}"), ox.NamedNode(EX + "p"), ox.Literal("x" * 100)) for i in range(2000))
    endless = "CONSTRUCT { ?a ?b ?c } WHERE { ?a ?p ?x . ?b ?q ?y . ?c ?r ?z }"
    sent: list[bytes] = []
    streamed = send_lines(s.query(endless), sent.append, max_rows=10**7, max_bytes=100_000)
    assert streamed.too_large
    assert 0 < sum(map(len, sent)) <= 100_000


def test_xml_refuses_a_character_xml_cannot_carry() -> None:
    s = ox.Store()
    s.add(ox.Quad(ox.NamedNode(EX + "s"), ox.NamedNode(EX + "p"), ox.Literal("bell\x07")))
    query = "SELECT ?o WHERE { ?s ?p ?o }"
    written = write_answer(s.query(query), select_format="xml", graph_format=None, max_rows=10, max_bytes=1 << 20)
    assert written.problem is not None
    assert "U+0007" in written.problem
    assert "format=json" in written.problem
    assert written.chunks == []
    fine = write_answer(s.query(query), select_format="json", graph_format=None, max_rows=10, max_bytes=1 << 20)
    assert json.loads(b"".join(fine.chunks))["results"]["bindings"][0]["o"]["value"] == "bell\x07"


@pytest.mark.parametrize("fmt", ["json", "xml", "csv", "tsv"])
def test_ask_in_every_format(store: ox.Store, fmt: str) -> None:
    written = write_answer(
        store.query("ASK { ?s ?p ?o }"), select_format=fmt, graph_format=None, max_rows=1, max_bytes=1000
    )
    assert written.kind == "ask"
    body = b"".join(written.chunks)
    if fmt == "json":
        assert json.loads(body) == {"head": {}, "boolean": True}
    elif fmt == "xml":
        assert Result.parse(io.BytesIO(body), format="xml").askAnswer is True
    else:
        assert body == b"true"


def _graph(body: bytes, fmt: str) -> rdflib.Graph:
    if fmt == "jsonld":  # rdflib's JSON-LD parser warns about its own API; read it with Oxigraph instead
        body = ox.serialize(ox.parse(body, format=ox.RdfFormat.JSON_LD), format=ox.RdfFormat.N_TRIPLES)
        fmt = "nt"
    names = {"turtle": "turtle", "nt": "nt", "rdfxml": "xml", "n3": "n3", "nquads": "nquads", "trig": "trig"}
    with warnings.catch_warnings():  # rdflib's N3 and Dataset parsers warn about its own API
        warnings.simplefilter("ignore", DeprecationWarning)
        if fmt not in ("nquads", "trig"):
            return rdflib.Graph().parse(data=body.decode("utf-8"), format=names[fmt])  # rdflib, not the writer, reads
        parsed = rdflib.Dataset().parse(data=body.decode("utf-8"), format=names[fmt])
    graph = rdflib.Graph()
    for s, p, o, _ in parsed.quads((None, None, None, None)):
        graph.add((s, p, o))
    return graph


@pytest.mark.parametrize("fmt", GRAPH_FORMAT_NAMES)
def test_graph_answers_hold_every_triple_and_the_cap(store: ox.Store, fmt: str) -> None:
    query = "CONSTRUCT WHERE { ?s ?p ?o }"
    whole = write_answer(store.query(query), select_format=None, graph_format=fmt, max_rows=100, max_bytes=1 << 20)
    assert (whole.kind, whole.truncated) == ("graph", False)
    expected = rdflib.Graph().parse(
        data=store.query(query).serialize(format=ox.RdfFormat.N_TRIPLES).decode("utf-8"), format="nt"
    )
    from rdflib.compare import isomorphic

    assert isomorphic(_graph(b"".join(whole.chunks), fmt), expected)
    cut = write_answer(store.query(query), select_format=None, graph_format=fmt, max_rows=4, max_bytes=1 << 20)
    assert cut.truncated
    assert len(_graph(b"".join(cut.chunks), fmt)) == 4


def test_turtle_uses_the_project_prefixes() -> None:
    s = ox.Store()
    kg = "https://w3id.org/kgexplorer/id/"
    s.add(ox.Quad(ox.NamedNode(kg + "ketamine"), ox.NamedNode(kg + "x"), ox.Literal("y")))
    written = write_answer(
        s.query("CONSTRUCT WHERE { ?s ?p ?o }"), select_format=None, graph_format="turtle", max_rows=5, max_bytes=1000
    )
    assert b"kg:ketamine" in b"".join(written.chunks)


def test_a_kind_the_client_accepts_no_format_for_is_not_written(store: ox.Store) -> None:
    graph = write_answer(
        store.query("CONSTRUCT WHERE { ?s ?p ?o }"), select_format="json", graph_format=None, max_rows=5, max_bytes=1000
    )
    assert (graph.kind, graph.format, graph.chunks) == ("graph", None, [])
    select = write_answer(store.query(SELECT), select_format=None, graph_format="turtle", max_rows=5, max_bytes=1000)
    assert (select.kind, select.format, select.chunks) == ("select", None, [])
