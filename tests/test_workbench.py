"""The workbench library: running queries, choosing views, labelled tables, drawings, downloads, history, links."""

from __future__ import annotations

import base64
import csv
import io
import json
import urllib.parse
import zlib

import pyoxigraph as ox
import pytest

from kgexplorer import (
    AskResult,
    GraphResult,
    KnowledgeGraph,
    QueryError,
    QueryNotAllowed,
    QuerySyntaxError,
    SelectResult,
    Settings,
)
from kgexplorer.gallery import get_query
from kgexplorer.terms import IRI, BlankNode, Literal, Triple
from kgexplorer.workbench import (
    HISTORY_SIZE,
    SHARE_MAX_CHARS,
    Cell,
    History,
    HistoryEntry,
    ResultTable,
    bar_chart,
    choose_view,
    completions,
    decode_query,
    downloads,
    encode_query,
    error_excerpt,
    explore_link,
    result_graph,
    result_table,
    run_query,
)

KG = "https://w3id.org/kgexplorer/id/"
XSD_INT = "http://www.w3.org/2001/XMLSchema#integer"


# ------------------------------------------------------------------------------------------- running


def test_run_query_returns_rows_time_and_view(kg: KnowledgeGraph) -> None:
    run = run_query(kg, "SELECT ?e WHERE { VALUES ?e { kg:ketamine kg:psilocybin } }")

    assert isinstance(run.result, SelectResult)
    assert len(run.result) == 2
    assert run.seconds > 0
    assert run.notice == ""
    assert run.view.default == "table"
    assert run.sent == run.text


def test_a_cut_result_says_which_setting_cut_it(small_limits: Settings) -> None:
    with KnowledgeGraph.bundled(settings=small_limits) as kg:
        run = run_query(kg, "SELECT ?s WHERE { ?s a kgx:Study }")

    assert len(run.result) == 5
    assert "max_result_rows" in run.notice
    assert "first 5 rows" in run.notice


def test_gallery_values_are_bound_into_an_edited_text(kg: KnowledgeGraph) -> None:
    """The person edited the question; its parameter is still bound as VALUES, and checked for its kind."""
    q = get_query("risks-and-barriers-of-a-substance")
    edited = q.text.replace("LIMIT 200", "LIMIT 3")
    run = run_query(kg, edited, question=q, values={"substance": IRI(KG + "ketamine")})

    assert "VALUES (?substance) { (<https://w3id.org/kgexplorer/id/ketamine>) }" in run.sent
    assert run.text == edited
    assert 0 < len(run.result) <= 3
    with pytest.raises(QueryError, match="takes a Substance"):
        run_query(kg, edited, question=q, values={"substance": IRI(KG + "alcohol_use_disorder")})


def test_errors_keep_their_position_and_reason(kg: KnowledgeGraph) -> None:
    with pytest.raises(QuerySyntaxError) as caught:
        run_query(kg, "SELECT ?s WHERE {\n  ?s ?p ?o .\n  FILTER(?s = )\n}")
    assert (caught.value.line, caught.value.column) == (3, 3)
    with pytest.raises(QueryNotAllowed, match="SERVICE"):
        run_query(kg, "SELECT * WHERE { SERVICE <http://example.org/> { ?s ?p ?o } }")


# ------------------------------------------------------------------------------------------- views


def _select(variables: tuple[str, ...], *rows: tuple[object, ...]) -> SelectResult:
    return SelectResult(variables, tuple(rows))  # type: ignore[arg-type]


NUMBERS = _select(("year", "n"), (Literal("2019"), Literal("3", datatype=XSD_INT)))
TRIPLES = GraphResult((Triple(IRI(KG + "a"), IRI(KG + "p"), IRI(KG + "b")),))


@pytest.mark.parametrize(
    ("text", "result", "default", "available"),
    [
        ("ASK {}", AskResult(True), "table", ("table",)),
        ("CONSTRUCT {} WHERE {}", TRIPLES, "graph", ("graph", "table")),
        ("SELECT *", _select(("s", "p", "o")), "table", ("table", "graph")),
        ("#defaultView:Graph\nSELECT *", _select(("subject", "predicate", "object")), "graph", ("table", "graph")),
        ("SELECT *", NUMBERS, "table", ("table", "bar")),
        ("#defaultView:BarChart\nSELECT *", NUMBERS, "bar", ("table", "bar")),
        ("# view: bar\nSELECT *", NUMBERS, "bar", ("table", "bar")),
        ("#defaultView:Graph\nSELECT *", NUMBERS, "table", ("table", "bar")),
        ("#defaultView:Table\nCONSTRUCT {} WHERE {}", TRIPLES, "table", ("graph", "table")),
        ("#defaultView:Map\nSELECT *", NUMBERS, "table", ("table", "bar")),
    ],
)
def test_choose_view(text: str, result: object, default: str, available: tuple[str, ...]) -> None:
    choice = choose_view(text, result)  # type: ignore[arg-type]

    assert (choice.default, choice.available) == (default, available)
    assert choice.reason


def test_a_view_asked_for_but_impossible_says_so() -> None:
    assert "cannot be shown so" in choose_view("#defaultView:Graph\nSELECT *", NUMBERS).reason
    assert "does not have" in choose_view("#defaultView:Map\nSELECT *", NUMBERS).reason


# ------------------------------------------------------------------------------------------- tables


def test_result_table_shows_labels_numbers_and_links(kg: KnowledgeGraph) -> None:
    result = kg.sparql(
        'SELECT ?e ?n ?text WHERE { VALUES (?e ?n ?text) { (kg:ketamine 3 "x") (kg:no_label_here 4 "y") } }'
    )
    table = result_table(kg, result)

    assert table.columns == ("e", "n", "text")
    assert [r[0].text for r in table.rows] == ["Ketamine", "no label here"]  # type: ignore[union-attr]
    assert table.link_columns() == ("e",)
    records = table.records(links=True)
    assert records[0]["n"] == 3.0
    assert records[0]["text"] == "x"
    link = str(records[0]["e"])
    assert link.endswith("#Ketamine")
    assert urllib.parse.parse_qs(urllib.parse.urlsplit(link).query)["e"] == [KG + "ketamine"]
    assert table.records()[0]["e"] == "Ketamine"


def test_result_table_of_triples_asks_and_blank_nodes(kg: KnowledgeGraph) -> None:
    graph = result_table(kg, GraphResult((Triple(BlankNode("b1"), IRI(KG + "p"), Literal("v")),)))
    assert graph.columns == ("subject", "predicate", "object")
    assert graph.rows[0][0] == Cell("_:b1", "_:b1")
    assert graph.link_columns() == ("predicate",)
    assert result_table(kg, AskResult(False)).rows[0][0].text == "no"  # type: ignore[union-attr]


def test_unbound_values_are_empty_cells(kg: KnowledgeGraph) -> None:
    table = result_table(kg, kg.sparql("SELECT ?a ?b WHERE { VALUES (?a ?b) { (kg:ketamine UNDEF) } }"))
    assert table.rows[0][1] is None
    assert table.records()[0]["b"] is None


def test_explore_link_escapes_the_iri_and_cleans_the_label() -> None:
    link = explore_link("http://example.org/a#b?c=d&e", "Line\nbreak\u202e")

    assert link == "explore?e=http%3A%2F%2Fexample.org%2Fa%23b%3Fc%3Dd%26e#Line break"
    assert urllib.parse.parse_qs(link.split("?", 1)[1].split("#", 1)[0])["e"] == ["http://example.org/a#b?c=d&e"]


def test_bar_chart_uses_the_first_number_and_label_columns() -> None:
    table = ResultTable(
        ("year", "label", "n"),
        (
            (Cell("2019", "2019"), Cell("a", "a"), Cell("3", "3", number=3.0)),
            (Cell("2020", "2020"), Cell("b", "b"), None),
        ),
    )
    chart = bar_chart(table)
    assert chart is not None
    assert (chart.x, chart.y, chart.rows) == ("year", "n", ({"year": "2019", "n": 3.0},))
    only_numbers = bar_chart(ResultTable(("n",), ((Cell("3", "3", number=3.0),),)))
    assert only_numbers is not None
    assert only_numbers.rows == ({"row": "1", "n": 3.0},)
    assert bar_chart(ResultTable(("x",), ((Cell("a", "a"),),))) is None


# ------------------------------------------------------------------------------------------- graphs


def test_result_graph_draws_construct_triples_with_labels(kg: KnowledgeGraph) -> None:
    result = kg.sparql("CONSTRUCT { kg:ketamine kgx:testedFor ?c } WHERE { kg:ketamine kgx:testedFor ?c }")
    view = result_graph(kg, result)

    assert view.focus == KG + "ketamine"
    assert len(view.edges) == len(result)
    assert {e.relation for e in view.edges} == {kg.label("https://w3id.org/kgexplorer/vocab#testedFor")}
    assert view.node(KG + "alcohol_use_disorder").kind == "Condition"  # type: ignore[union-attr]
    assert not view.truncated


def test_result_graph_from_spo_rows_keeps_literals_in_the_table(kg: KnowledgeGraph) -> None:
    result = kg.sparql("SELECT ?s ?p ?o WHERE { BIND(kg:ketamine AS ?s) ?s ?p ?o } LIMIT 40")
    literals = sum(isinstance(r[2], Literal) for r in result.rows)  # type: ignore[union-attr]
    view = result_graph(kg, result)

    assert literals > 0
    assert f"{literals} values that are text or numbers" in view.note
    assert len(view.edges) == len(result) - literals - sum(r[2] == r[0] for r in result.rows)  # type: ignore[union-attr]


def test_result_graph_is_cut_at_the_node_cap(kg: KnowledgeGraph) -> None:
    result = kg.sparql("CONSTRUCT { ?s kgx:testedFor ?o } WHERE { ?s kgx:testedFor ?o }")
    view = result_graph(kg, result, max_nodes=5)

    assert len(view.nodes) == 5
    assert view.truncated
    assert "max_view_nodes" in view.note


def test_result_graph_of_nothing_and_of_blank_nodes(kg: KnowledgeGraph) -> None:
    empty = result_graph(kg, GraphResult(()))
    assert len(empty.nodes) == 1
    assert not empty.edges
    blank = result_graph(kg, GraphResult((Triple(BlankNode("x"), IRI(KG + "p"), IRI(KG + "ketamine")),)))
    assert blank.node("_:x").label == "blank node"  # type: ignore[union-attr]


# ------------------------------------------------------------------------------------------- downloads


def test_select_downloads_are_csv_tsv_and_sparql_json(kg: KnowledgeGraph) -> None:
    result = kg.sparql('SELECT ?e ?l WHERE { VALUES (?e ?l) { (kg:ketamine "Ké, \\"K\\"") } }')
    files = {d.label: d for d in downloads(result)}

    assert [d.mime for d in files.values()] == [
        "text/csv",
        "text/tab-separated-values",
        "application/sparql-results+json",
    ]
    rows = list(csv.reader(io.StringIO(files["CSV"].data.decode("utf-8"))))
    assert rows == [["e", "l"], [KG + "ketamine", 'Ké, "K"']]
    assert files["TSV"].data.decode("utf-8").splitlines()[1].startswith("<" + KG + "ketamine>\t")
    parsed = json.loads(files["SPARQL JSON"].data)
    assert parsed["results"]["bindings"][0]["e"] == {"type": "uri", "value": KG + "ketamine"}
    assert files["CSV"].file_name == "query-results.csv"


def test_graph_downloads_parse_back_to_the_same_triples(kg: KnowledgeGraph) -> None:
    result = kg.sparql("CONSTRUCT { kg:ketamine ?p ?o } WHERE { kg:ketamine ?p ?o }")
    formats = {"Turtle": ox.RdfFormat.TURTLE, "N-Triples": ox.RdfFormat.N_TRIPLES, "JSON-LD": ox.RdfFormat.JSON_LD}
    for d in downloads(result, stem="ketamine"):
        triples = list(ox.parse(d.data, format=formats[d.label]))
        assert len(triples) == len(result), d.label
        assert d.file_name.startswith("ketamine.")


def test_an_ask_answer_downloads_as_sparql_json() -> None:
    (only,) = downloads(AskResult(True))
    assert json.loads(only.data) == {"head": {}, "boolean": True}


# ------------------------------------------------------------------------------------------- history and links


def test_history_is_newest_first_without_repeats_and_capped() -> None:
    h = History()
    for i in range(HISTORY_SIZE + 5):
        h = h.add(HistoryEntry(f"q{i}", "bundled", "1 row", True))
    h = h.add(HistoryEntry("q10", "bundled", "2 rows", True))

    assert len(h) == HISTORY_SIZE
    assert h.entries[0] == HistoryEntry("q10", "bundled", "2 rows", True)
    assert [e.query for e in h.entries].count("q10") == 1
    assert h.add(HistoryEntry("q10", "other data", "", False)).entries[1].query == "q10"  # same text, other data


def test_share_tokens_round_trip_and_fit_in_a_url() -> None:
    text = "# ümlaut and emoji 🧪\nSELECT * WHERE { ?s ?p ?o }\n" * 20
    token = encode_query(text)

    assert decode_query(token) == text
    assert len(token) < len(text)
    assert urllib.parse.quote(token, safe="") == token  # nothing to escape in a URL


def test_share_refuses_what_does_not_fit_and_what_is_tampered() -> None:
    import os

    noise = base64.b64encode(os.urandom(SHARE_MAX_CHARS)).decode("ascii")
    with pytest.raises(QueryError, match="too long to share"):
        encode_query(noise)
    token = encode_query("SELECT * WHERE { ?s ?p ?o }")
    for broken in (token[:-3], token + "!", "A" * (SHARE_MAX_CHARS + 1), ""):
        with pytest.raises(QueryError, match="does not carry a readable query"):
            decode_query(broken)
    latin1 = base64.urlsafe_b64encode(zlib.compress("é".encode("latin-1"))).decode().rstrip("=")
    with pytest.raises(QueryError, match="readable"):
        decode_query(latin1)


def test_a_link_that_inflates_past_the_limit_is_refused() -> None:
    """A small token that expands to a huge text (a zip bomb) stops at the max_query_chars limit."""
    bomb = base64.urlsafe_b64encode(zlib.compress(b"#" * 5_000_000, 9)).decode().rstrip("=")
    assert len(bomb) <= SHARE_MAX_CHARS
    with pytest.raises(QueryError, match="max_query_chars"):
        decode_query(bomb)
    with pytest.raises(QueryError, match="max_query_chars"):
        decode_query(encode_query("x" * 500), max_chars=100)


# ------------------------------------------------------------------------------------------- editing


def test_completions_offer_prefixes_and_the_vocabulary() -> None:
    items = {c.value: c for c in completions()}

    assert items["kgx:"].meta == "prefix <https://w3id.org/kgexplorer/vocab#>"
    assert items["kgx:Claim"].meta == "class"
    assert items["kgx:evidenceLevel"].meta == "property"
    assert not any(v.startswith("http") for v in items)


def test_error_excerpt_points_at_the_column() -> None:
    text = "SELECT ?s\nWHERE {\n  ?s ?p }"
    excerpt = error_excerpt(text, 3, 9)

    assert excerpt.splitlines() == ["3 |   ?s ?p }", " " * 12 + "^"]
    assert error_excerpt(text, None, None) == ""
    assert error_excerpt(text, 9, 1) == ""
