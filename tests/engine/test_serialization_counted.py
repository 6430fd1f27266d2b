"""JSON and XML answers written directly with their rows counted in the bytes (kgexplorer.engine.serialization):
the same answer as the line-per-row (TSV) way for every value that could fool the count, the row cap exact
at, below and past it, chunk boundaries anywhere, and the byte cap on a cut answer."""

from __future__ import annotations

from typing import Any

import pyoxigraph as ox
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.answers import store_of

from kgexplorer.engine.serialization import Written, _write_counted, write_answer

EX = "http://example.org/"
XSD = "http://www.w3.org/2001/XMLSchema#"
FORMATS = {"json": ox.QueryResultsFormat.JSON, "xml": ox.QueryResultsFormat.XML}

# Values whose written form holds what looks like a row's start or end in JSON or XML.
TRICKY = [
    ox.Literal('a,{}b [{"x" <result> </results>\n"\\'),
    ox.Literal("x,{"),  # the string's closing quote follows: ',{"' inside no object
    ox.Literal("[{"),
    ox.Literal("{}"),
    ox.Literal(",{},{},{}"),
    ox.Literal('\\"'),
    ox.Literal("line\nbreak\r\ttab"),
    ox.Literal("é 😀 ü"),
    ox.Literal("<result></result>"),
    ox.Literal("Ketamin", language="de"),
    ox.Literal("7", datatype=ox.NamedNode(XSD + "integer")),
    ox.Literal("odd,{", datatype=ox.NamedNode(EX + "d")),
    ox.BlankNode("b1"),
    ox.NamedNode(EX + "x,%7B"),
    ox.Triple(ox.NamedNode(EX + "a"), ox.NamedNode(EX + "p"), ox.Literal(",{}[{")),
]


@pytest.fixture(scope="module")
def store() -> ox.Store:
    return store_of(TRICKY, namespace=EX, width=2)


QUERIES = {
    # variables named like the keys of a term object
    "tricky": f"SELECT ?type ?subject ?none WHERE {{ ?type <{EX}p> ?subject OPTIONAL {{ ?type <{EX}q> ?none }} }} "
    "ORDER BY ?type",
    "no variable": "SELECT * WHERE {}",  # one row binding nothing: {} in JSON
    "undef": f"SELECT ?x WHERE {{ VALUES ?x {{ UNDEF <{EX}a> UNDEF UNDEF }} }}",
    "none": f"SELECT ?x WHERE {{ ?x <{EX}none> ?y }}",
}


def _by_lines(result: Any, fmt: str, max_rows: int, max_bytes: int = 1 << 20) -> Written:
    """The answer the line-per-row way: written as TSV with the row cap, read back, written as ``fmt``."""
    tsv = write_answer(result, select_format="tsv", graph_format=None, max_rows=max_rows, max_bytes=2 * max_bytes)
    assert not tsv.too_large
    solutions = ox.parse_query_results(b"".join(tsv.chunks), format=ox.QueryResultsFormat.TSV)
    body = solutions.serialize(format=FORMATS[fmt])
    assert body is not None
    return Written("select", fmt, [body], truncated=tsv.truncated)


def _same(direct: Written, by_lines: Written) -> None:
    assert direct.truncated == by_lines.truncated
    assert not direct.too_large
    assert b"".join(direct.chunks) == b"".join(by_lines.chunks)
    # and pyoxigraph reads it back to the same solutions
    fmt = FORMATS[direct.format or ""]
    parsed = ox.parse_query_results(b"".join(direct.chunks), format=fmt)
    expected = ox.parse_query_results(b"".join(by_lines.chunks), format=fmt)
    assert isinstance(parsed, ox.QuerySolutions)
    assert isinstance(expected, ox.QuerySolutions)
    assert parsed.variables == expected.variables
    assert [list(row) for row in parsed] == [list(row) for row in expected]


def _rows(written: Written) -> int:
    parsed = ox.parse_query_results(b"".join(written.chunks), format=FORMATS[written.format or ""])
    assert isinstance(parsed, ox.QuerySolutions)
    return len(list(parsed))


@pytest.mark.parametrize("fmt", ["json", "xml"])
@pytest.mark.parametrize("name", list(QUERIES))
def test_the_direct_answer_is_the_line_per_row_answer_at_every_cap(store: ox.Store, fmt: str, name: str) -> None:
    query = QUERIES[name]
    whole = len(list(store.query(query)))
    for cap in range(0, whole + 2):
        direct = write_answer(store.query(query), select_format=fmt, graph_format=None, max_rows=cap, max_bytes=1 << 20)
        assert direct.format == fmt
        assert direct.problem is None
        _same(direct, _by_lines(store.query(query), fmt, cap))
        assert direct.truncated == (whole > cap)
        assert _rows(direct) == min(whole, cap)


def test_the_tricky_rows_are_all_counted(store: ox.Store) -> None:
    """Every tricky value is there, whole, at a cap of exactly the rows; one row less cuts exactly one."""
    query = QUERIES["tricky"]
    rows = len(TRICKY)
    at = write_answer(store.query(query), select_format="json", graph_format=None, max_rows=rows, max_bytes=1 << 20)
    assert not at.truncated
    assert b"".join(at.chunks) == store.query(query).serialize(format=ox.QueryResultsFormat.JSON)
    below = write_answer(
        store.query(query), select_format="json", graph_format=None, max_rows=rows - 1, max_bytes=1 << 20
    )
    assert below.truncated
    assert _rows(below) == rows - 1


class _Chunked:
    """A result that pyoxigraph writes as usual but hands to the sink in pieces of ``size`` bytes."""

    def __init__(self, result: Any, size: int) -> None:
        self.result = result
        self.size = size

    def serialize(self, sink: Any, fmt: Any) -> None:
        body = self.result.serialize(format=fmt)
        for at in range(0, len(body), self.size):
            sink.write(body[at : at + self.size])


@pytest.mark.parametrize("fmt", ["json", "xml"])
@pytest.mark.parametrize("size", [1, 2, 3, 5, 7, 8, 9, 13])
def test_a_row_start_split_between_two_chunks_is_counted_once(store: ox.Store, fmt: str, size: int) -> None:
    query = QUERIES["tricky"]
    rows = len(TRICKY)
    for cap in (0, 1, rows // 2, rows - 1, rows):
        direct = _write_counted(_Chunked(store.query(query), size), fmt, max_rows=cap, max_bytes=1 << 20)
        assert isinstance(direct, Written)
        _same(direct, _by_lines(store.query(query), fmt, cap))


@pytest.mark.parametrize("size", [None, 7, 40])
def test_a_bound_past_the_cap_by_strings_alone_keeps_counting_the_rows_after(size: int | None) -> None:
    """The first row's string looks like many rows' starts; the exact count finds one row and writing goes on,
    so the row past the cap, well after, is still caught (and a result of exactly the cap is whole)."""
    s = ox.Store()
    labels = [",{" * 6, "b", "c", "d", "e"]
    for i, label in enumerate(labels):
        s.add(ox.Quad(ox.NamedNode(f"{EX}r{i}"), ox.NamedNode(EX + "label"), ox.Literal(label)))
    query = f"SELECT ?l WHERE {{ ?r <{EX}label> ?l }} ORDER BY ?r"
    for cap, truncated in ((len(labels) - 1, True), (len(labels), False)):
        result: Any = s.query(query) if size is None else _Chunked(s.query(query), size)
        direct = _write_counted(result, "json", max_rows=cap, max_bytes=1 << 20)
        assert isinstance(direct, Written)
        assert direct.truncated is truncated
        assert _rows(direct) == min(cap, len(labels))


def test_a_cut_answer_is_held_to_the_byte_cap(store: ox.Store) -> None:
    query = QUERIES["tricky"]
    cut = write_answer(store.query(query), select_format="json", graph_format=None, max_rows=3, max_bytes=1 << 20)
    size = cut.size
    assert cut.truncated
    fits = write_answer(store.query(query), select_format="json", graph_format=None, max_rows=3, max_bytes=size)
    assert (fits.truncated, fits.too_large, fits.chunks) == (True, False, cut.chunks)
    over = write_answer(store.query(query), select_format="json", graph_format=None, max_rows=3, max_bytes=size - 1)
    assert (over.too_large, over.chunks) == (True, [])


def test_pyoxigraph_writes_the_compact_shape_the_count_relies_on(store: ox.Store) -> None:
    """If a pyoxigraph release writes otherwise (spaces, another order), this fails before the count goes wrong."""
    body = store.query(QUERIES["undef"]).serialize(format=ox.QueryResultsFormat.JSON)
    assert body == (
        b'{"head":{"vars":["x"]},"results":{"bindings":[{},{"x":{"type":"uri","value":"http://example.org/a"}},{},{}]}}'
    )
    xml = store.query(QUERIES["undef"]).serialize(format=ox.QueryResultsFormat.XML)
    assert xml == (
        b'<?xml version="1.0"?><sparql xmlns="http://www.w3.org/2005/sparql-results#"><head><variable name="x"/>'
        b'</head><results><result></result><result><binding name="x"><uri>http://example.org/a</uri></binding>'
        b"</result><result></result><result></result></results></sparql>"
    )


@pytest.mark.parametrize("fmt", ["json", "xml"])
@pytest.mark.parametrize("spaced", ["everywhere", "before the rows"])
def test_an_answer_of_another_shape_takes_the_line_per_row_way(store: ox.Store, fmt: str, spaced: str) -> None:
    """Bytes the count cannot rely on (here: pretty-printed) are read back, and the cap still holds exactly."""

    class Spaced:
        def serialize(self, sink: Any, fmt: Any) -> None:
            body = store.query(QUERIES["tricky"]).serialize(format=fmt)
            if spaced == "everywhere":
                body = (
                    body.replace(b"},{", b"}, {") if fmt == ox.QueryResultsFormat.JSON else body.replace(b"><", b">\n<")
                )
            body = body.replace(b'"bindings":[{', b'"bindings":[ {').replace(b"<results><", b"<results>\n<")
            sink.write(body)

    back = _write_counted(Spaced(), fmt, max_rows=2, max_bytes=1 << 20)
    assert isinstance(back, ox.QuerySolutions)  # every row, read back
    cut = write_answer(back, select_format=fmt, graph_format=None, max_rows=2, max_bytes=1 << 20)
    _same(cut, _by_lines(store.query(QUERIES["tricky"]), fmt, 2))
    assert _rows(cut) == 2


# Pieces of the bytes that start or end rows in JSON and XML, and the characters they are escaped with.
_PIECES = [*',{}[]"\\<>/ \n\rxé😀', "result", "<result>", ",{", "[{", '{"']
_TEXT = st.lists(st.sampled_from(_PIECES), max_size=8).map("".join)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    values=st.lists(st.one_of(st.none(), _TEXT), max_size=10),
    cap=st.integers(min_value=0, max_value=11),
    fmt=st.sampled_from(["json", "xml"]),
    size=st.sampled_from([None, 1, 2, 3, 7, 64]),
)
def test_random_literals_and_caps_match_the_line_per_row_way(
    values: list[str | None], cap: int, fmt: str, size: int | None
) -> None:
    s = ox.Store()
    rows = []
    for i, value in enumerate(values):
        rows.append(f"(<{EX}r{i:02}> <{EX}v{i:02}>)")  # no label: a row binding nothing
        if value is not None:
            s.add(ox.Quad(ox.NamedNode(f"{EX}v{i:02}"), ox.NamedNode(EX + "label"), ox.Literal(value)))
    query = (
        f"SELECT ?label WHERE {{ VALUES (?r ?v) {{ {' '.join(rows)} }} OPTIONAL {{ ?v <{EX}label> ?label }} }} "
        "ORDER BY ?r"
    )
    result: Any = s.query(query) if size is None else _Chunked(s.query(query), size)
    direct = _write_counted(result, fmt, max_rows=cap, max_bytes=1 << 20)
    assert isinstance(direct, Written)
    assert direct.truncated == (len(values) > cap)
    _same(direct, _by_lines(s.query(query), fmt, cap))
    assert _rows(direct) == min(len(values), cap)
