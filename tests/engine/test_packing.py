"""SELECT rows stream from a worker as TSV, CONSTRUCT triples as N-Triples (kgexplorer.engine.packing.AnswerReader):
read back piece by piece, cut anywhere, every term is the one the engine holds. The reference is the engine itself:
pyoxigraph's own terms, read one by one (kgexplorer.terms.from_oxigraph)."""

from __future__ import annotations

import gc
from typing import Any

import pyoxigraph as ox
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kgexplorer.engine.packing import AnswerReader
from kgexplorer.engine.serialization import send_lines
from kgexplorer.terms import IRI, BlankNode, Literal, Triple, from_oxigraph

_XSD = "http://www.w3.org/2001/XMLSchema#"
# Any text a literal may hold (no lone surrogates: a Python string with one is not text pyoxigraph takes).
_TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=12)
_DATATYPES = st.sampled_from(
    [f"{_XSD}{name}" for name in ("integer", "decimal", "double", "boolean", "date", "string", "int")]
    + ["http://e/type", "http://e/é"]
)
_LANGUAGES = st.sampled_from(["en", "en-GB", "de-CH-1996", "x-private", "zh-Hant-TW"])


def _iri(tail: str) -> ox.NamedNode | None:
    try:
        return ox.NamedNode("http://e/" + tail)
    except ValueError:  # not an IRI: the engine could not hold it either
        return None


_IRIS = st.builds(_iri, _TEXT).filter(lambda node: node is not None)
_LITERALS = st.one_of(
    st.builds(ox.Literal, _TEXT),
    st.builds(lambda v, lang: ox.Literal(v, language=lang), _TEXT, _LANGUAGES),
    st.builds(lambda v, dt: ox.Literal(v, datatype=ox.NamedNode(dt)), _TEXT, _DATATYPES),
    st.builds(lambda n: ox.Literal(str(n), datatype=ox.NamedNode(_XSD + "integer")), st.integers()),
    st.builds(ox.Literal, st.booleans()),
    st.builds(ox.Literal, st.floats(allow_nan=True, allow_infinity=True)),
)
_BLANKS = st.builds(ox.BlankNode, st.from_regex(r"[A-Za-z][A-Za-z0-9]{0,8}", fullmatch=True))
_OBJECTS = st.one_of(_IRIS, _LITERALS, _BLANKS)


def _store(objects: list[Any]) -> ox.Store:
    store = ox.Store()
    for i, obj in enumerate(objects):
        store.add(ox.Quad(ox.NamedNode(f"http://e/s{i % 3}"), ox.NamedNode(f"http://e/p{i}"), obj))
    return store


def _pieces(text: bytes, cuts: list[int]) -> list[bytes]:
    """``text`` cut at each of ``cuts`` (positions in it, in any order): pieces as a pipe may give them."""
    at = sorted({c % (len(text) + 1) for c in cuts})
    return [text[a:b] for a, b in zip([0, *at], [*at, len(text)], strict=True)]


def _streamed(pieces: list[bytes]) -> Any:
    reader = AnswerReader()
    for piece in pieces:
        reader.feed(piece)
    return reader.result()


def _sent_whole(store: ox.Store, query: str) -> list[bytes]:
    """The pieces the worker sends for ``query``'s answer, checked whole (neither cut nor too large)."""
    sent: list[bytes] = []
    written = send_lines(store.query(query), sent.append, max_rows=10_000, max_bytes=1 << 24)
    assert not written.truncated
    assert not written.too_large
    return sent


def _both(store: ox.Store, query: str, cuts: tuple[int, ...] = ()) -> tuple[Any, Any]:
    """The rows read back from the TSV the worker sends (cut again at ``cuts``), and the rows the engine's own terms
    make."""
    sent = _sent_whole(store, query)
    result = store.query(query)
    assert isinstance(result, ox.QuerySolutions)
    variables = tuple(v.value for v in result.variables)
    rows = tuple(tuple(None if term is None else from_oxigraph(term) for term in solution) for solution in result)
    read = _streamed(_pieces(b"".join(sent), list(cuts)) if cuts else sent)
    assert read == _streamed([b"".join(sent)])  # read at once, the same
    return read, (variables, rows)


@settings(max_examples=300, deadline=None)
@given(st.lists(_OBJECTS, min_size=1, max_size=12), st.lists(st.integers(min_value=0), max_size=6))
def test_every_term_reads_back_as_the_engine_holds_it(objects: list[Any], cuts: list[int]) -> None:
    store = _store(objects)
    # An unbound column, and values the query makes (bare numbers in TSV) beside the stored ones.
    query = (
        "SELECT ?s ?o ?none ?n ?kind WHERE { ?s ?p ?o OPTIONAL { ?s <http://e/nothing> ?none } "
        "BIND(STRLEN(STR(?o)) AS ?n) BIND(ISIRI(?o) AS ?kind) } ORDER BY ?p"
    )
    got, expected = _both(store, query, tuple(cuts))
    assert got == expected


@settings(max_examples=100, deadline=None)
@given(st.lists(_TEXT, min_size=1, max_size=8), st.lists(st.integers(min_value=0), max_size=6))
def test_strings_made_by_the_query_read_back(texts: list[str], cuts: list[int]) -> None:
    store = _store([ox.Literal(t) for t in texts])
    query = 'SELECT ?o (CONCAT(?o, "\\t\\"\\\\x") AS ?c) (UCASE(?o) AS ?u) (STRLANG(?o, "fr") AS ?l) WHERE { ?s ?p ?o }'
    got, expected = _both(store, query, tuple(cuts))
    assert got == expected


def _triples_both(store: ox.Store, query: str, cuts: tuple[int, ...] = ()) -> tuple[Any, Any]:
    """The triples read back from the N-Triples the worker sends (cut again at ``cuts``), and the engine's own."""
    sent = _sent_whole(store, query)
    result = store.query(query)
    assert isinstance(result, ox.QueryTriples)
    expected = tuple(Triple(*(from_oxigraph(t) for t in (x.subject, x.predicate, x.object))) for x in result)  # type: ignore[arg-type]
    reader = AnswerReader()
    for piece in _pieces(b"".join(sent), list(cuts)) if cuts else sent:
        reader.feed(piece)
    return reader.triples(), expected


@settings(max_examples=300, deadline=None)
@given(st.lists(_OBJECTS, min_size=1, max_size=12), st.lists(st.integers(min_value=0), max_size=6))
def test_every_triple_reads_back_as_the_engine_holds_it(objects: list[Any], cuts: list[int]) -> None:
    store = _store(objects)
    got, expected = _triples_both(
        store,
        "CONSTRUCT { ?s ?p ?o . ?o <http://e/len> ?n } WHERE { ?s ?p ?o BIND(STRLEN(STR(?o)) AS ?n) }",
        tuple(cuts),
    )
    assert got == expected
    assert all(type(t) is Triple for t in got)


def test_a_blank_subject_and_shared_terms_read_back_once() -> None:
    store = _store([ox.NamedNode("http://e/same")] * 3)
    got, expected = _triples_both(store, "CONSTRUCT { _:b <http://e/q> ?o } WHERE { ?s ?p ?o }")
    # Each run of the query makes its own blank nodes: the same triples up to their labels.
    assert [(t.predicate, t.object) for t in got] == [(t.predicate, t.object) for t in expected]
    assert all(isinstance(t.subject, BlankNode) for t in got)
    assert len({t.subject for t in got}) == 3
    assert all(t.object is got[0].object for t in got)


def test_a_construct_with_no_triples_sends_nothing_and_reads_as_none() -> None:
    sent: list[bytes] = []
    send_lines(ox.Store().query("CONSTRUCT WHERE { ?s ?p ?o }"), sent.append, max_rows=9, max_bytes=999)
    assert sent == []
    assert AnswerReader().triples() == ()


@pytest.mark.parametrize(
    "text",
    [
        "<http://e/s> <http://e/p> <http://e/o>\n",  # no " ." at the end
        "<http://e/s> <http://e/p> .\n",  # two terms
        "<http://e/s>  <http://e/o> .\n",  # an empty term
        '<http://e/s> <http://e/p> "x" .\n<http://e/s> <http://e/p> "y"',  # cut before its line break
    ],
)
def test_what_is_not_n_triples_is_refused(text: str) -> None:
    reader = AnswerReader()
    reader.feed(text.encode())
    with pytest.raises(ValueError, match=r"triple|line break"):
        reader.triples()


def test_rows_are_not_triples_nor_triples_rows() -> None:
    rows = AnswerReader()
    rows.feed(b"?s\n<http://e/x>\n")
    with pytest.raises(ValueError, match="not N-Triples"):
        rows.triples()
    triples = AnswerReader()
    triples.feed(b"<http://e/s> <http://e/p> <http://e/o> .\n")
    with pytest.raises(ValueError, match="not SPARQL TSV"):
        triples.result()


def test_a_value_shared_by_rows_is_one_object() -> None:
    store = _store([ox.NamedNode("http://e/same")] * 4)
    (_, rows), _ = _both(store, "SELECT ?o WHERE { ?s ?p ?o }")
    assert len(rows) == 4
    assert all(row[0] is rows[0][0] for row in rows)
    assert rows[0][0] == IRI("http://e/same")
    assert type(rows[0][0]) is IRI


def test_shapes_without_cells() -> None:
    store = _store([ox.Literal("x")])
    assert _both(store, "SELECT * WHERE {}")[0] == ((), ((),))
    assert _both(store, "SELECT ?o WHERE { ?s ?p ?o } LIMIT 0")[0] == (("o",), ())
    assert _both(store, "SELECT ?a ?b WHERE { OPTIONAL { ?s <http://e/none> ?a } }")[0] == (("a", "b"), ((None, None),))


def test_the_common_shapes_are_read_without_the_parser() -> None:
    text = '?a\t?b\n<http://e/x>\t"q"@en\n_:b1\t"5"^^<http://e/t>\n"s"\t\n'
    assert _streamed([text.encode()])[1] == (
        (IRI("http://e/x"), Literal("q", language="en")),
        (BlankNode("b1"), Literal("5", datatype="http://e/t")),
        (Literal("s"), None),
    )


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("?a\n<http://e/x>", ValueError),  # cut before its line break
        ("?a\t?b\n<http://e/x>\n", ValueError),  # a row short of a cell
        ("?a\n<<( <http://e/s> <http://e/p> <http://e/o> )>>\n", TypeError),  # RDF-star: not supported
        ("?a\n<< <http://e/s> >>\n", SyntaxError),  # not a term pyoxigraph writes
    ],
)
def test_what_is_not_an_answer_is_refused(text: str, error: type[Exception]) -> None:
    with pytest.raises(error):
        _streamed([text.encode()])


def test_a_triple_term_from_the_engine_is_refused_as_before() -> None:
    query = "SELECT (TRIPLE(<http://e/s>, <http://e/p>, <http://e/o>) AS ?t) WHERE {}"
    sent: list[bytes] = []
    send_lines(ox.Store().query(query), sent.append, max_rows=9, max_bytes=999)
    with pytest.raises(TypeError, match="RDF-star"):
        _streamed(sent)


def test_after_an_error_the_pieces_still_coming_are_dropped() -> None:
    """The worker goes on writing after a piece the caller cannot read: the reader takes the rest unread (the
    pipe stays in step) and raises the first error at the end."""
    reader = AnswerReader()
    reader.feed(b"?a\n<http://e/x>\n<< <http://e/s> >>\n")
    reader.feed(b"<http://e/y>\n\xff\n")  # would raise a UnicodeDecodeError of its own
    with pytest.raises(SyntaxError):
        reader.result()


def test_an_error_leaves_nothing_of_the_engine_behind() -> None:
    """The reader keeps an error's kind and words, not its traceback: that held the reader itself and the frame
    where pyoxigraph read the cell, a cycle the collector freed later, maybe on another thread, where pyoxigraph
    may not drop its objects (seen as "PyQuerySolutions is unsendable, but is being dropped on another thread")."""

    def solutions() -> int:
        return sum(type(o) is ox.QuerySolutions for o in gc.get_objects())

    gc.collect()
    gc.disable()
    try:
        before = solutions()
        with pytest.raises(TypeError, match="RDF-star"):
            _streamed([b"?a\n<<( <http://e/s> <http://e/p> <http://e/o> )>>\n"])
        assert solutions() == before
    finally:
        gc.enable()


def test_a_line_longer_than_many_pieces_is_read_whole() -> None:
    value = "é" * 50_000  # two bytes each in UTF-8: cut inside characters too
    text = f'?a\t?b\n"{value}"\t<http://e/x>\n'.encode()
    assert _streamed(_pieces(text, list(range(1, len(text), 4093)))) == (
        ("a", "b"),
        ((Literal(value), IRI("http://e/x")),),
    )


def test_the_collector_is_paused_while_reading_and_left_as_it_was() -> None:
    """Paused from the first piece to the rows made, restored as it was: after the rows, after an error, and when
    the caller leaves the reader without its rows (a time limit while the rows came)."""
    seen: list[bool] = []
    original = AnswerReader._read

    def watched(self: AnswerReader, text: str) -> None:
        seen.append(gc.isenabled())
        original(self, text)

    try:
        AnswerReader._read = watched  # type: ignore[method-assign]
        assert gc.isenabled()
        _streamed([b"?a\n<http://e/x>\n", b"<http://e/y>\n"])
        assert gc.isenabled()  # enabled again
        gc.disable()
        _streamed([b"?a\n<http://e/x>\n"])
        assert not gc.isenabled()  # a caller that had it off keeps it off
        gc.enable()
        with pytest.raises(SyntaxError):
            _streamed([b"?a\n<< <http://e/s> >>\n"])
        assert gc.isenabled()  # also after an error
        with AnswerReader() as reader:
            reader.feed(b"?a\n<http://e/x>\n")
            assert not gc.isenabled()
        assert gc.isenabled()  # left without its rows
        with AnswerReader():
            pass
        assert gc.isenabled()  # nothing came: never paused
    finally:
        AnswerReader._read = original  # type: ignore[method-assign]
        gc.enable()
    assert seen == [False, False, False, False, False]  # paused in each read
