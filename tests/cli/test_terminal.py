"""What the command line shows in a terminal (kgexplorer.cli.terminal): search hits, cards, query results in
every format with the note when cut, the gallery and settings listings, the lesson check, and query input."""

from __future__ import annotations

import dataclasses
import io
import json
from pathlib import Path

import pytest

from kgexplorer import AskResult, KnowledgeGraph, QueryError, SelectResult, describe_settings
from kgexplorer.cli.terminal import (
    GRAPH_FORMATS,
    SELECT_FORMATS,
    card_json,
    endpoint_banner,
    format_mismatch,
    gallery_listing,
    hits_json,
    hits_text,
    lessons_report,
    malformed_param,
    param_texts,
    read_query,
    result_printout,
    settings_listing,
    settings_summary,
    version_text,
)
from kgexplorer.model.gallery import get_query, load_gallery
from kgexplorer.views.lessons import LessonProblem

SELECT = "SELECT ?s ?l WHERE { ?s rdfs:label ?l } ORDER BY ?l LIMIT 2"
CONSTRUCT = "CONSTRUCT { ?s rdfs:label ?l } WHERE { ?s rdfs:label ?l } LIMIT 2"


def test_hits_text_names_the_synonym_that_matched(kg: KnowledgeGraph) -> None:
    text = hits_text(kg.search("special K", limit=3), text="special K")

    assert text.splitlines()[0] == "Ketamine  [Substance]  kg:ketamine  (matched 'Special K')"
    assert text.endswith("\n")


def test_hits_text_without_hits_suggests_another_word() -> None:
    assert hits_text([], text="zzqqxx") == "No entity matches 'zzqqxx'. Try a shorter or different word.\n"


def test_hits_json_lists_iri_label_kind_and_match(kg: KnowledgeGraph) -> None:
    hits = json.loads(hits_json(kg.search("Spravato", limit=2)))

    assert len(hits) == 2
    assert hits[0] == {
        "iri": "https://w3id.org/kgexplorer/id/esketamine",
        "label": "Esketamine",
        "kind": "Substance",
        "matched": "Spravato",
    }
    assert hits_json([]) == "[]"


def test_card_json_holds_every_field_of_the_card(kg: KnowledgeGraph) -> None:
    card = kg.entity("ketamine")

    assert json.loads(card_json(card)) == json.loads(json.dumps(dataclasses.asdict(card)))


@pytest.mark.parametrize("fmt", [None, *SELECT_FORMATS, *GRAPH_FORMATS])
def test_each_format_fits_its_kind_of_result(kg: KnowledgeGraph, fmt: str | None) -> None:
    select, graph, ask = kg.sparql(SELECT), kg.sparql(CONSTRUCT), AskResult(True)

    assert (format_mismatch(select, format=fmt) is None) == (fmt not in GRAPH_FORMATS)
    assert (format_mismatch(graph, format=fmt) is None) == (fmt is None or fmt in GRAPH_FORMATS)
    assert (format_mismatch(ask, format=fmt) is None) == (fmt in (None, "table", "json"))


def test_a_mismatch_names_the_formats_that_fit(kg: KnowledgeGraph) -> None:
    assert format_mismatch(kg.sparql(SELECT), format="nt") == (
        "--format nt does not apply to a SELECT query; use table, json, csv or tsv"
    )
    assert format_mismatch(kg.sparql(CONSTRUCT), format="csv") == (
        "--format csv does not apply to CONSTRUCT/DESCRIBE; use turtle, nt or jsonld"
    )


def test_ask_prints_yes_no_or_sparql_json() -> None:
    assert result_printout(AskResult(True), format=None) == result_printout(AskResult(True), format="table")
    assert result_printout(AskResult(True), format=None).text == "yes\n"
    assert result_printout(AskResult(False), format=None).text == "no\n"
    assert json.loads(result_printout(AskResult(True), format="json").text) == {"head": {}, "boolean": True}


def test_select_formats_end_as_their_writers_do(kg: KnowledgeGraph) -> None:
    result = kg.sparql(SELECT)
    assert isinstance(result, SelectResult)

    assert result_printout(result, format=None).text == result.to_table() + "\n"
    assert result_printout(result, format="json").text == result.to_json() + "\n"
    assert result_printout(result, format="csv").text == result.to_csv()
    assert result_printout(result, format="tsv").text == result.to_tsv()
    assert result_printout(result, format="csv").note is None


@pytest.mark.parametrize(("fmt", "writer"), [(None, "to_turtle"), ("turtle", "to_turtle"), ("nt", "to_ntriples")])
def test_graph_results_print_as_rdf(kg: KnowledgeGraph, fmt: str | None, writer: str) -> None:
    result = kg.sparql(CONSTRUCT)

    assert result_printout(result, format=fmt).text == getattr(result, writer)()
    assert json.loads(result_printout(result, format="jsonld").text)


def test_a_cut_result_carries_a_note_with_the_limit(kg: KnowledgeGraph) -> None:
    shown = result_printout(kg.sparql("SELECT ?s WHERE { ?s ?p ?o }", max_rows=3), format="csv")

    assert len(shown.text.splitlines()) == 1 + 3
    assert shown.note == (
        "note: the result was cut at 3 rows (--max-rows / the max_result_rows setting); add LIMIT or narrow the query"
    )


def test_read_query_takes_text_a_file_or_stdin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "q.rq"
    path.write_text("ASK { ?s ?p ?o } # é", encoding="utf-8")
    monkeypatch.setattr("sys.stdin", io.StringIO("SELECT * WHERE { ?s ?p ?o }"))

    assert read_query("ASK {}") == "ASK {}"
    assert read_query(f"@{path}") == "ASK { ?s ?p ?o } # é"
    assert read_query("-") == "SELECT * WHERE { ?s ?p ?o }"


def test_read_query_says_what_is_wrong_with_the_file(tmp_path: Path) -> None:
    latin = tmp_path / "latin.rq"
    latin.write_bytes(b"SELECT \xff")

    with pytest.raises(QueryError, match=r"cannot read the query file .*absent\.rq: No such file"):
        read_query(f"@{tmp_path / 'absent.rq'}")
    with pytest.raises(QueryError, match=r"the query file .*latin\.rq is not UTF-8 text; save it as UTF-8"):
        read_query(f"@{latin}")
    with pytest.raises(QueryError, match="Is a directory; check the path"):
        read_query(f"@{tmp_path}")


def test_gallery_listing_shows_every_question_and_its_parameters() -> None:
    questions = load_gallery()
    listing = gallery_listing(questions)

    assert [line for line in listing.splitlines() if not line.startswith(" ")] == [q.name for q in questions]
    assert gallery_listing([get_query("rct-evidence-by-condition")]).splitlines()[2] == (
        "    parameters: condition (Condition, default kg:alcohol_use_disorder)"
    )
    assert not listing.endswith("\n")


def test_lessons_report_counts_and_lists_problems() -> None:
    problems = [LessonProblem("broken", 1, "Missing thing", "no entity called 'x'"), LessonProblem("b", 0, "", "p")]

    assert lessons_report([], directory=None) == "The bundled lessons check out."
    assert lessons_report([], directory="my/lessons") == "The lessons in my/lessons check out."
    assert lessons_report(problems, directory="my/lessons").splitlines() == [
        "2 problem(s) in the lessons in my/lessons:",
        "  broken: step 1 (Missing thing): no entity called 'x'",
        "  b: lesson: p",
    ]


def test_settings_listing_and_summary_name_every_setting() -> None:
    settings = describe_settings()

    assert settings_listing().splitlines() == [
        line for s in settings for line in (f"{s.name} = {s.default}", f"    {s.help}")
    ]
    assert settings_summary().split("; ") == [f"{s.name} (default {s.default})" for s in settings]


def test_version_text_names_the_data_version() -> None:
    text = version_text()

    assert text.startswith("kgexplorer ")
    assert "(bundled graph data version " in text
    assert "unknown" not in text
    assert "missing" not in text


def test_params_are_name_value_pairs() -> None:
    assert malformed_param(["a=1", "b", "c"]) == "--param takes NAME=VALUE, got 'b'; e.g. --param substance=ketamine"
    assert malformed_param([]) is None
    assert param_texts(["condition = alcohol use disorder", "x=a=b"]) == {
        "condition": "alcohol use disorder",
        "x": "a=b",
    }


@pytest.mark.parametrize(("host", "shown"), [("127.0.0.1", "127.0.0.1"), ("0.0.0.0", "0.0.0.0"), ("::", "[::]")])
def test_endpoint_banner_brackets_ipv6_hosts(host: str, shown: str) -> None:
    assert endpoint_banner(host=host, port=7878) == (
        f"SPARQL endpoint: http://{shown}:7878/sparql  (query page: http://{shown}:7878/)"
    )
