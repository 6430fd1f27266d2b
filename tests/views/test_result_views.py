"""Query results on screen and on disk (kgexplorer.views.result_views): labelled tables, bar charts, drawings,
downloads."""

from __future__ import annotations

import csv
import io
import json
import urllib.parse

import pyoxigraph as ox

from kgexplorer import AskResult, GraphResult, KnowledgeGraph, SelectResult, Settings
from kgexplorer.terms import IRI, BlankNode, Literal, Triple
from kgexplorer.views.result_views import (
    Cell,
    ResultTable,
    bar_chart,
    downloads,
    explore_link,
    number_columns,
    result_graph,
    result_table,
    spo_columns,
)

KG = "https://w3id.org/kgexplorer/id/"
XSD_INT = "http://www.w3.org/2001/XMLSchema#integer"


# ------------------------------------------------------------------------------------------- columns


def test_spo_columns_find_subject_predicate_object_in_either_spelling() -> None:
    assert spo_columns(SelectResult(("Subject", "predicate", "OBJECT", "x"), ())) == ("Subject", "predicate", "OBJECT")
    assert spo_columns(SelectResult(("o", "p", "s"), ())) == ("s", "p", "o")
    assert spo_columns(SelectResult(("s", "p"), ())) is None


def test_number_columns_need_only_numbers_and_at_least_one() -> None:
    three = Literal("3", datatype=XSD_INT)
    result = SelectResult(
        ("year", "n", "mixed", "empty"),
        ((Literal("2019"), three, three, None), (Literal("2020"), None, Literal("x"), None)),
    )

    assert number_columns(result) == ("n",)


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


def test_label_lookups_stop_at_the_setting_and_the_table_says_so() -> None:
    """Past result_label_lookups distinct IRIs, cells show local names and the note names the setting."""
    result = SelectResult(
        ("e",), ((IRI(KG + "ketamine"),), (IRI(KG + "psilocybin"),), (IRI(KG + "ketamine"),), (IRI(KG + "mdma"),))
    )
    with KnowledgeGraph.bundled(settings=Settings(result_label_lookups=1)) as small:
        table = result_table(small, result)

    assert [r[0].text for r in table.rows] == ["Ketamine", "psilocybin", "Ketamine", "mdma"]  # type: ignore[union-attr]
    assert "first 1 of 3 entities" in table.note
    assert "result_label_lookups" in table.note
    assert all(r[0].iri is not None for r in table.rows)  # type: ignore[union-attr]  # still links into Explore


def test_a_table_within_the_label_lookups_has_no_note(kg: KnowledgeGraph) -> None:
    table = result_table(kg, SelectResult(("e",), ((IRI(KG + "psilocybin"),), (IRI(KG + "mdma"),))))

    assert [r[0].text for r in table.rows] == ["Psilocybin", "MDMA"]  # type: ignore[union-attr]
    assert table.note == ""


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
    # Ordered by predicate, so the rows hold its labels (text) as well as links, whatever the store's order.
    result = kg.sparql("SELECT ?s ?p ?o WHERE { BIND(kg:ketamine AS ?s) ?s ?p ?o } ORDER BY ?p ?o LIMIT 40")
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
