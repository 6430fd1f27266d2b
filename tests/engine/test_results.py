"""Query results (kgexplorer.engine.results): standard serialisations that parse back to the same data."""

from __future__ import annotations

import csv
import io
import json

import pytest
import rdflib
from rdflib.compare import isomorphic
from rdflib.query import Result

from kgexplorer import AskResult, GraphResult, SelectResult
from kgexplorer.terms import IRI, BlankNode, Literal, Triple

EX = "http://example.org/"
XSD_INTEGER = "http://www.w3.org/2001/XMLSchema#integer"
INJECTION = "\"} ; DROP ALL # \\\" ''' >"

ROWS = SelectResult(
    ("s", "label", "n", "b"),
    (
        (
            IRI(f"{EX}a"),
            Literal('Ket"a\tmine, "special K"', language="en"),
            Literal("42", XSD_INTEGER),
            BlankNode("b0"),
        ),
        (IRI(f"{EX}b"), None, Literal("plain\nsecond line"), None),
    ),
)


def rdflib_term(term: IRI | BlankNode | Literal | None) -> rdflib.term.Node | None:
    if term is None:
        return None
    if isinstance(term, IRI):
        return rdflib.URIRef(term.value)
    if isinstance(term, BlankNode):
        return rdflib.BNode(term.id)
    return rdflib.Literal(term.value, lang=term.language, datatype=term.datatype)


def expected_bindings(result: SelectResult) -> list[dict[rdflib.Variable, rdflib.term.Node]]:
    return [
        {rdflib.Variable(v): rdflib_term(t) for v, t in zip(result.variables, row, strict=True) if t is not None}
        for row in result.rows
    ]


def test_select_to_json_is_sparql_results_json_that_round_trips() -> None:
    text = ROWS.to_json()
    data = json.loads(text)
    assert data["head"]["vars"] == ["s", "label", "n", "b"]
    assert data["results"]["bindings"][0]["label"] == {
        "type": "literal",
        "value": 'Ket"a\tmine, "special K"',
        "xml:lang": "en",
    }
    assert "label" not in data["results"]["bindings"][1]  # unbound means absent, not null
    parsed = Result.parse(io.StringIO(text), format="json")
    assert [str(v) for v in parsed.vars] == list(ROWS.variables)
    assert list(parsed.bindings) == expected_bindings(ROWS)


def test_select_to_tsv_round_trips_through_a_standard_parser() -> None:
    text = ROWS.to_tsv()
    assert text.splitlines()[0] == "?s\t?label\t?n\t?b"
    parsed = Result.parse(io.StringIO(text), format="tsv")
    assert list(parsed.bindings) == expected_bindings(ROWS)


def test_select_to_csv_has_the_header_and_plain_values() -> None:
    text = ROWS.to_csv()
    assert text.startswith("s,label,n,b\r\n")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert rows == [
        ["s", "label", "n", "b"],
        [f"{EX}a", 'Ket"a\tmine, "special K"', "42", "_:b0"],
        [f"{EX}b", "", "plain\nsecond line", ""],
    ]


def test_select_to_table_keeps_one_line_per_row_and_notes_truncation() -> None:
    table = ROWS.to_table(max_width=12)
    lines = table.splitlines()
    assert len(lines) == 5  # header, rule, two rows, note
    assert [c.strip() for c in lines[0].split(" | ")] == ["s", "label", "n", "b"]
    assert lines[2].startswith('http://exam… | Ket"a mine,… | 42')  # clipped to the width, tab flattened
    assert "plain secon…" in lines[3]  # the value's line break does not start a new row
    assert lines[-1] == "(2 rows)"
    cut = SelectResult(ROWS.variables, ROWS.rows[:1], truncated=True, row_limit=1)
    assert cut.to_table().splitlines()[-1] == "(1 rows, cut at the row limit)"


def test_select_iteration_and_columns() -> None:
    assert len(ROWS) == 2
    assert next(iter(ROWS))["n"] == Literal("42", XSD_INTEGER)
    assert ROWS.column("s") == [IRI(f"{EX}a"), IRI(f"{EX}b")]


def test_ask_to_json() -> None:
    assert json.loads(AskResult(True).to_json()) == {"head": {}, "boolean": True}
    assert not AskResult(False)


GRAPH = GraphResult(
    (
        Triple(IRI(f"{EX}a"), IRI(f"{EX}p"), IRI(f"{EX}b")),
        Triple(IRI(f"{EX}a"), IRI("http://www.w3.org/2000/01/rdf-schema#label"), Literal("Ketamine", language="en")),
        Triple(IRI(f"{EX}b"), IRI(f"{EX}n"), Literal("42", XSD_INTEGER)),
        Triple(BlankNode("x1"), IRI(f"{EX}q"), Literal(INJECTION)),
        Triple(IRI("https://w3id.org/kgexplorer/id/ketamine"), IRI(f"{EX}p"), BlankNode("x1")),
    )
)


def expected_graph() -> rdflib.Graph:
    g = rdflib.Graph()
    for t in GRAPH.triples:
        g.add((rdflib_term(t.subject), rdflib_term(t.predicate), rdflib_term(t.object)))  # type: ignore[arg-type]
    return g


# rdflib's own JSON-LD parser uses its deprecated ConjunctiveGraph internally.
@pytest.mark.filterwarnings("ignore:ConjunctiveGraph is deprecated:DeprecationWarning")
@pytest.mark.parametrize(("method", "fmt"), [("to_turtle", "turtle"), ("to_ntriples", "nt"), ("to_jsonld", "json-ld")])
def test_graph_serialisations_parse_back_to_the_same_triples(method: str, fmt: str) -> None:
    text = getattr(GRAPH, method)()
    parsed = rdflib.Graph().parse(data=text, format=fmt)
    assert len(parsed) == len(GRAPH)
    assert isomorphic(parsed, expected_graph())


def test_turtle_uses_the_project_prefixes() -> None:
    assert "kg:ketamine" in GRAPH.to_turtle()


# ------------------------------------------------------------------------------------------- notebooks (issue 16)

_XSD = "http://www.w3.org/2001/XMLSchema#"


def test_to_pandas_keeps_numbers_dates_and_booleans_typed_and_iris_whole() -> None:
    """Issue 16: to_pandas made every column a string and shortened IRIs."""
    import datetime

    ketamine = IRI("https://w3id.org/kgexplorer/id/ketamine")
    rows = (
        (ketamine, Literal("96", _XSD + "integer"), Literal("0.5", _XSD + "double"),
         Literal("true", _XSD + "boolean"), Literal("2023-05-01", _XSD + "date"), Literal("Ketamine", language="en")),
        (IRI("https://w3id.org/kgexplorer/id/psilocybin"), None, Literal("1E3", _XSD + "double"),
         Literal("false", _XSD + "boolean"), Literal("2024-01-31", _XSD + "date"), Literal("Psilocybin")),
    )  # fmt: skip
    frame = SelectResult(("e", "n", "x", "ok", "day", "label"), rows).to_pandas()
    assert list(frame["e"]) == ["https://w3id.org/kgexplorer/id/ketamine", "https://w3id.org/kgexplorer/id/psilocybin"]
    assert str(frame["n"].dtype) == "Int64"
    assert frame["n"][0] == 96
    assert frame["n"].isna()[1]
    assert str(frame["x"].dtype) == "Float64"
    assert list(frame["x"]) == [0.5, 1000.0]
    assert str(frame["ok"].dtype) == "boolean"
    assert list(frame["ok"]) == [True, False]
    assert str(frame["day"].dtype).startswith("datetime64")
    assert frame["day"][1].date() == datetime.date(2024, 1, 31)
    assert list(frame["label"]) == ["Ketamine", "Psilocybin"]


def test_a_column_of_mixed_kinds_keeps_each_value() -> None:
    frame = SelectResult(("v",), ((Literal("3", _XSD + "integer"),), (Literal("three"),))).to_pandas()
    assert list(frame["v"]) == [3, "three"]


def test_result_reprs_are_bounded_with_a_count() -> None:
    """Issue 16: the repr of 5,921 rows was 1.2 MB of text saved into a notebook."""
    long_text = Literal("x" * 10_000)
    big = SelectResult(("a", "b"), tuple((IRI(f"http://e/{i}"), long_text) for i in range(5921)))
    text = repr(big)
    assert "5,921 rows" in text
    assert len(text) < 2_000
    graph = GraphResult(tuple(Triple(IRI(f"http://e/{i}"), IRI("http://e/p"), long_text) for i in range(5921)))
    assert "5,921 triples" in repr(graph)
    assert len(repr(graph)) < 2_000


def test_terms_and_graphs_convert_to_rdflib_and_back() -> None:
    import rdflib

    from kgexplorer.terms import from_rdflib, to_rdflib

    terms = [
        IRI("http://e/a"),
        BlankNode("b1"),
        Literal("x", language="en"),
        Literal("5", _XSD + "integer"),
        Literal("y"),
    ]
    assert [from_rdflib(to_rdflib(t)) for t in terms] == terms
    graph = GraphResult((Triple(IRI("http://e/a"), IRI("http://e/p"), Literal("5", _XSD + "integer")),)).to_rdflib()
    assert isinstance(graph, rdflib.Graph)
    assert graph.value(rdflib.URIRef("http://e/a"), rdflib.URIRef("http://e/p")).toPython() == 5


@pytest.mark.parametrize(
    ("literal", "expected"),
    [
        (Literal("-7", _XSD + "long"), -7),
        (Literal("1.50", _XSD + "decimal"), __import__("decimal").Decimal("1.50")),
        (Literal("INF", _XSD + "double"), float("inf")),
        (Literal("1", _XSD + "boolean"), True),
        (Literal("2020-02-03T04:05:06Z", _XSD + "dateTime"),
         __import__("datetime").datetime(2020, 2, 3, 4, 5, 6, tzinfo=__import__("datetime").timezone.utc)),
        (Literal("not a date", _XSD + "date"), "not a date"),
        (Literal("2020", _XSD + "gYear"), "2020"),
        (Literal("Ketamin", language="de"), "Ketamin"),
    ],
)  # fmt: skip
def test_literal_to_python(literal: Literal, expected: object) -> None:
    assert literal.to_python() == expected
    assert type(literal.to_python()) is type(expected)
