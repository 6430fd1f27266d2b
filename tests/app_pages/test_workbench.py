"""The SPARQL workbench and the Data page, driven headlessly with AppTest.

The editor is a browser component AppTest cannot type into, so these tests put the query where the
editor puts it (``st.session_state["wb_text"]``) and press the page's Run button; the browser test
(tests/e2e/test_workbench_browser.py) types into the real editor.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest
from tests.app_pages.workbench_app import open_workbench, run_query
from tests.loopback import free_port
from tests.oxigraph_server import serving

from kgexplorer import KnowledgeGraph
from kgexplorer.model.gallery import load_gallery
from kgexplorer.terms import IRI
from kgexplorer.views.result_views import result_table

ROOT = Path(__file__).resolve().parents[2]
KG = "https://w3id.org/kgexplorer/id/"
TINY = b"""@prefix ex: <http://example.org/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
ex:alice a ex:Person ; rdfs:label "Alice" ; ex:knows ex:bob .
ex:bob a ex:Person ; rdfs:label "Bob" ; ex:knows ex:carol .
ex:carol a ex:Person ; rdfs:label "Carol" .
"""


def _table(at: AppTest) -> pd.DataFrame:
    frames = [df.value for df in at.dataframe]
    assert frames, "no result table on the page"
    frame: pd.DataFrame = frames[0]
    return frame


def _text(at: AppTest) -> str:
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption] + [e.value for e in at.error]
    parts += [w.value for w in at.warning] + [i.value for i in at.info] + [c.value for c in at.code]
    return "\n".join(str(p) for p in parts).replace("\\", "")


def _show_as(at: AppTest) -> Any:
    """The "Show as" control of the answer on screen (a new one for each answer)."""
    controls = [c for c in at.segmented_control if c.label == "Show as"]
    assert len(controls) == 1
    return controls[0]


def _metric(at: AppTest, label: str) -> str:
    return next(str(m.value) for m in at.metric if m.label == label)


def test_a_gallery_question_loads_and_runs() -> None:
    """'Load' puts a gallery question in the editor; Run shows its rows with labels, count and time."""
    at = open_workbench()
    at.button(key="wb_load_rct-evidence-by-condition").click().run()
    assert "kgx:" in at.session_state["wb_text"]
    run_query(at)

    table = _table(at)
    assert "Ketamine" in set(table["substanceLabel"])
    assert int(_metric(at, "Rows").replace(",", "")) == len(table)
    assert _metric(at, "Time").endswith(" s")
    assert at.query_params["g"] == "rct-evidence-by-condition"
    assert "q" not in at.query_params  # an unedited question's link is its name (and parameters): short


def test_a_parameter_is_a_form_field_bound_safely() -> None:
    """Changing the condition field changes the answer; the value is bound, never pasted into the text."""
    at = open_workbench()
    at.button(key="wb_load_rct-evidence-by-condition").click().run()
    field = at.selectbox(key="wb_param_rct-evidence-by-condition_condition")
    assert field.value == KG + "alcohol_use_disorder"
    field.set_value(KG + "opioid_use_disorder").run()
    run_query(at)

    outcome = at.session_state["wb_outcome"]
    assert outcome.run.bindings == (("condition", IRI(KG + "opioid_use_disorder")),)
    assert "opioid_use_disorder" not in at.session_state["wb_text"]
    with KnowledgeGraph.bundled() as kg:
        expected = {r["substanceLabel"].value for r in kg.sparql(outcome.run.text, bindings=dict(outcome.run.bindings))}
    assert set(_table(at)["substanceLabel"]) == expected
    assert at.query_params["v_condition"] == KG + "opioid_use_disorder"


OWN_QUERY = "SELECT ?substance ?label WHERE { ?substance a kgx:Substance ;\n  rdfs:label ?label }"


def test_a_gallery_parameter_never_leaks_into_your_own_query() -> None:
    """Issue 16's worst bug: load a question with a parameter, replace the text with your own query that
    uses the same variable, run: every substance comes back (not one, silently bound to Ketamine), and
    neither the old title, its parameter field nor its parameter in the share link stays."""
    at = open_workbench()
    at.button(key="wb_load_evidence-for-a-substance-by-condition").click().run()
    run_query(at)
    assert at.query_params["v_substance"] == KG + "ketamine"
    run_query(at, OWN_QUERY)

    with KnowledgeGraph.bundled() as kg:
        expected = len(kg.sparql(OWN_QUERY))
    assert expected > 1
    assert len(_table(at)) == expected
    assert at.session_state["wb_outcome"].run.text == OWN_QUERY
    assert at.session_state["wb_outcome"].run.bindings == ()
    assert "For which conditions has a substance" not in _text(at)
    assert not at.selectbox  # no parameter field for a query that declares none
    assert "v_substance" not in at.query_params
    assert "g" not in at.query_params


def test_a_parameter_from_the_link_does_not_bind_a_query_without_it() -> None:
    """A link's v_substance= applies only to a query that declares that parameter."""
    at = open_workbench(v_substance=KG + "esketamine")
    with KnowledgeGraph.bundled() as kg:
        expected = len(kg.sparql(OWN_QUERY))
    assert len(_table(run_query(at, OWN_QUERY))) == expected


def test_after_a_gallery_question_errors_point_at_your_own_lines() -> None:
    """After a gallery question, a syntax error in your own 2-line query is on its line 2, and an update
    is refused as an update, not as a syntax error."""
    at = open_workbench()
    at.button(key="wb_load_evidence-for-a-substance-by-condition").click().run()
    run_query(at, "SELECT ?s WHERE {\n  ?s ?p }")
    assert "Line 2, column" in _text(at)
    run_query(at, "DELETE WHERE { ?s ?p ?o }")
    assert any("DELETE WHERE is not allowed" in e.value for e in at.error)


def test_a_syntax_error_in_a_bound_question_keeps_its_line_and_column() -> None:
    """A bound parameter travels beside the text: an error in an edited gallery question is at its own line and
    column."""
    question = next(q for q in load_gallery() if q.name == "evidence-for-a-substance-by-condition")
    lines = question.text.splitlines()
    where = next(i for i, line in enumerate(lines) if line.lstrip().upper().startswith("WHERE"))
    lines.insert(where + 1, "  ?substance ?p .")  # line where+2, the object missing
    at = open_workbench()
    at.button(key="wb_load_evidence-for-a-substance-by-condition").click().run()
    run_query(at, "\n".join(lines))
    assert f"Line {where + 2}, column" in _text(at)
    assert f"{where + 2} |   ?substance ?p ." in _text(at)


def test_a_syntax_error_shows_line_and_column_and_keeps_the_text() -> None:
    """A broken query says where it broke; the editor keeps the text for fixing."""
    bad = "SELECT ?s WHERE {\n  ?s ?p ?o .\n  FILTER(?s = )\n}"
    at = run_query(open_workbench(), bad)

    text = _text(at)
    assert "Line 3, column 3" in text
    assert "3 |   FILTER(?s = )" in text
    assert at.session_state["wb_text"] == bad
    assert not at.dataframe


@pytest.mark.parametrize(
    ("query", "why"),
    [
        ("INSERT DATA { <http://example.org/a> <http://example.org/b> <http://example.org/c> }", "read-only"),
        ("SELECT * WHERE { SERVICE <http://example.org/sparql> { ?s ?p ?o } }", "SERVICE is not allowed"),
        ("SELECT * FROM <http://example.org/g> WHERE { ?s ?p ?o }", "FROM and FROM NAMED are not allowed"),
    ],
)
def test_refused_queries_say_why(query: str, why: str) -> None:
    """UPDATE, SERVICE and FROM are refused with the reason, and the refusal is in the history."""
    at = run_query(open_workbench(), query)

    assert any(why in e.value for e in at.error)
    assert not at.dataframe
    history = at.session_state["wb_history"]
    assert history.entries[0].query == query
    assert not history.entries[0].ok


def test_a_shared_link_opens_its_query() -> None:
    """A URL with ?q= (from an earlier run) opens the workbench with that query in the editor."""
    first = run_query(open_workbench(), "SELECT ?x WHERE { VALUES ?x { kg:ketamine } }")
    token = first.query_params["q"]
    again = open_workbench(q=token)

    assert again.session_state["wb_text"] == "SELECT ?x WHERE { VALUES ?x { kg:ketamine } }"
    assert _table(run_query(again))["x"].str.endswith("#Ketamine").all()


def test_a_shared_link_runs_its_query_on_open() -> None:
    """Issue 16: links reloaded the query but did not run it. The link a run writes carries run=1, and
    opening it shows the answer at once (as WDQS and YASGUI links do)."""
    first = run_query(open_workbench(), "SELECT ?x WHERE { VALUES ?x { kg:ketamine kg:psilocybin } }")
    assert first.query_params["run"] == "1"
    opened = open_workbench(q=first.query_params["q"], run="1")
    assert len(_table(opened)) == 2
    assert not open_workbench(q=first.query_params["q"]).dataframe  # without run=1, it waits for Run


def test_a_broken_shared_link_says_so() -> None:
    """A cut-off ?q= token gives a warning and the starting query, not a traceback."""
    at = open_workbench(q="eNpFTk1rg0AQ")

    assert any("does not carry a readable query" in w.value for w in at.warning)
    assert "SELECT" in at.session_state["wb_text"]


def test_views_table_bar_and_graph() -> None:
    """A '# view: bar' question opens as a bar chart; a CONSTRUCT opens as a graph; both can show a table."""
    at = open_workbench()
    at.button(key="wb_load_studies-by-year").click().run()
    run_query(at)
    assert _show_as(at).value == "bar"
    assert at.get("arrow_vega_lite_chart") or at.get("vega_lite_chart")

    run_query(at, "CONSTRUCT { kg:ketamine kgx:testedFor ?c } WHERE { kg:ketamine kgx:testedFor ?c }")
    assert _show_as(at).value == "graph"
    assert "Query result as a graph" in _text(at)
    exports = [d.proto.label for d in at.get("download_button")]
    assert exports[:3] == ["Web page (.html)", "Picture (.png)", "Scalable picture (.svg)"]  # the graph's export menu
    _show_as(at).set_value("table").run()
    assert list(_table(at).columns) == ["subject", "predicate", "object"]
    assert [d.proto.label for d in at.get("download_button")] == ["⬇ Turtle", "⬇ N-Triples", "⬇ JSON-LD"]


def test_show_as_is_a_new_control_for_each_answer() -> None:
    """Issue 16: after a SELECT shown as a table, a CONSTRUCT was drawn as a graph while the browser kept
    Table highlighted (one control, its old value held by the page). Each answer gets its own control,
    starting at the view that is drawn."""
    at = run_query(open_workbench(), "SELECT ?s ?p ?o WHERE { kg:ketamine ?p ?o BIND(kg:ketamine AS ?s) } LIMIT 3")
    first = _show_as(at)
    assert first.value == "table"
    run_query(at, "CONSTRUCT { kg:ketamine kgx:testedFor ?c } WHERE { kg:ketamine kgx:testedFor ?c }")
    second = _show_as(at)
    assert second.value == "graph"
    assert second.key != first.key
    assert "Query result as a graph" in _text(at)


def test_a_wide_answer_lets_columns_be_hidden() -> None:
    """Issue 16: wide results ran off screen. Past six columns, a choice of columns; the table keeps the rest."""
    wide = "SELECT * WHERE { VALUES (?a ?b ?c ?d ?e ?f ?g ?h) { (1 2 3 4 5 6 7 8) } }"
    at = run_query(open_workbench(), wide)
    chooser = next(m for m in at.multiselect if m.label == "Columns shown")
    assert list(chooser.value) == list("abcdefgh")
    chooser.set_value(["a", "h"]).run()
    assert at.dataframe[0].proto.column_order == ["a", "h"]
    narrow = run_query(at, "SELECT ?a WHERE { VALUES ?a { 1 } }")
    assert not [m for m in narrow.multiselect if m.label == "Columns shown"]


def test_history_reloads_a_query() -> None:
    """Each run is in the session's history; 'Load' puts it back in the editor."""
    at = run_query(open_workbench(), "ASK { kg:ketamine a kgx:Substance }")
    assert "Answer: yes" in _text(at)
    run_query(at, "SELECT ?s WHERE { ?s a kgx:Study } LIMIT 2")
    at.button(key="wb_history_1").click().run()

    assert at.session_state["wb_text"] == "ASK { kg:ketamine a kgx:Substance }"
    assert len(at.session_state["wb_history"]) == 2


def test_a_selected_row_opens_in_explore() -> None:
    """Selecting a row offers its entities; the button opens Explore on it in the same session."""
    at = run_query(open_workbench(), "SELECT ?e WHERE { VALUES ?e { kg:psilocybin } }")
    at.session_state["wb_table"] = {"selection": {"rows": [0], "columns": [], "cells": []}}
    at.run()
    at.button(key="wb_open_0").click().run()

    assert not at.exception
    assert any(s.value == "Psilocybin" for s in at.subheader)


# ------------------------------------------------------------------------------------------- data sources


def _data_page() -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    at.switch_page("app_pages/data.py").run()
    assert not at.exception
    return at


def test_an_uploaded_turtle_file_is_queried_and_explored() -> None:
    """Upload a small Turtle file: the workbench queries it, Explore and About show it, Compare declines."""
    at = _data_page()
    at.segmented_control(key="data_choice").set_value("files").run()
    at.file_uploader(key="data_files").set_value(("people.ttl", TINY, "text/turtle")).run()
    at.button(key="data_load").click().run()
    assert not at.exception
    assert "people.ttl" in _text(at)
    assert "Not validated" in _text(at)

    at.switch_page("app_pages/workbench.py").run()
    run_query(at, "SELECT ?who ?friend WHERE { ?who <http://example.org/knows> ?friend } ORDER BY ?who")
    table = _table(at)
    assert list(table["who"]) == ["Alice", "Bob"]  # labels, not IRIs; no Explore links for session data
    assert at.session_state["wb_history"].entries[0].source == "people.ttl"

    at.switch_page("app_pages/explore.py").run()
    at.text_input(key="explore_text").input("Alice").run()
    assert any(s.value == "Alice" for s in at.subheader)
    at.switch_page("app_pages/compare.py").run()
    assert any("needs data in the kgexplorer vocabulary" in i.value for i in at.info)

    # Another session (a new AppTest) still sees only the bundled graph.
    other = run_query(open_workbench(), "ASK { ?s <http://example.org/knows> ?o }")
    assert "Answer: no" in _text(other)


def test_every_page_copes_with_data_outside_our_vocabulary() -> None:
    """On generic RDF every page renders; those that need the kgexplorer vocabulary say so instead."""
    at = _data_page()
    at.segmented_control(key="data_choice").set_value("files").run()
    at.file_uploader(key="data_files").set_value(("people.ttl", TINY, "text/turtle")).run()
    at.button(key="data_load").click().run()
    needs_vocabulary = {"compare", "evidence", "lessons"}
    for page in ("explore", "connections", "compare", "evidence", "lessons", "workbench", "data", "about"):
        at.switch_page(f"app_pages/{page}.py").run()
        assert not at.exception, page
        said_so = any("needs data in the kgexplorer vocabulary" in i.value for i in at.info)
        assert said_so == (page in needs_vocabulary), page
    assert _metric(at, "Triples") == "8"  # About counts the uploaded data
    assert any("Data: people.ttl" in c.value.replace("\\", "") for c in at.sidebar.caption)


def test_a_broken_upload_shows_line_and_column_and_keeps_the_data() -> None:
    """A file that does not parse is reported with its position; the session keeps its previous data."""
    at = _data_page()
    at.segmented_control(key="data_choice").set_value("files").run()
    at.file_uploader(key="data_files").set_value(("people.ttl", TINY, "text/turtle")).run()
    at.button(key="data_load").click().run()
    broken = b"@prefix ex: <http://example.org/> .\nex:a ex:b ex:c .\nex:d ex:e .\n"
    at.file_uploader(key="data_files").set_value(("broken.ttl", broken, "text/turtle")).run()
    at.button(key="data_load").click().run()

    assert not at.exception
    text = _text(at)
    assert "Nothing was loaded" in text
    assert "broken.ttl" in text
    assert "(line 3, column 11)" in text
    assert at.session_state["kg_data_source"].label == "people.ttl"


def test_too_many_files_are_refused_with_the_setting_and_the_data_is_kept() -> None:
    """More files than max_upload_files: one message naming the setting; the session keeps its previous data."""
    at = _data_page()
    at.segmented_control(key="data_choice").set_value("files").run()
    at.file_uploader(key="data_files").set_value(("people.ttl", TINY, "text/turtle")).run()
    at.button(key="data_load").click().run()
    most = at.session_state["kg_data_source"].kg.settings.max_upload_files
    many = [(f"p{i}.ttl", TINY, "text/turtle") for i in range(most + 1)]
    at.file_uploader(key="data_files").set_value(many).run()
    at.button(key="data_load").click().run()

    assert not at.exception
    text = _text(at)
    assert f"Nothing was loaded: {most + 1} files were uploaded together; at most {most} are accepted" in text
    assert "(the max_upload_files setting)" in text
    assert "You are still working on people.ttl" in text
    assert at.session_state["kg_data_source"].label == "people.ttl"


@pytest.mark.slow
def test_merged_upload_in_our_vocabulary_is_validated() -> None:
    """A kgx: file merged with the bundled graph is validated with it; a broken rule is listed."""
    extra = b"""@prefix kg: <https://w3id.org/kgexplorer/id/> . @prefix kgx: <https://w3id.org/kgexplorer/vocab#> .
kg:new_claim a kgx:Claim ; kgx:subject kg:ketamine ; kgx:predicate kgx:testedFor .
"""
    at = _data_page()
    at.segmented_control(key="data_choice").set_value("files").run()
    at.file_uploader(key="data_files").set_value(("claim.ttl", extra, "text/turtle")).run()
    at.checkbox(key="data_merge").check().run()
    # SHACL over the whole bundled graph (25,000 triples) takes about 2 s on one idle core (30 s before its SPARQL
    # constraints ran in Oxigraph); the suite's two workers share two cores, so leave the load room to spare.
    at.button(key="data_load").click().run(timeout=240)

    assert not at.exception
    assert "together with the bundled graph" in _text(at)
    problems = next(df.value for df in at.dataframe if "rule" in df.value.columns)
    assert (problems["node"] == "kg:new_claim").any()
    at.switch_page("app_pages/compare.py").run()  # merged data keeps the vocabulary
    assert not at.exception
    assert _table(at) is not None
    assert not any("needs data in the kgexplorer vocabulary" in i.value for i in at.info)


@pytest.fixture(scope="module")
def endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real Oxigraph server on 127.0.0.1 serving the tiny people graph; stopped by its PID."""
    folder = tmp_path_factory.mktemp("oxigraph")
    (folder / "people.ttl").write_bytes(TINY)
    with serving(folder, folder / "people.ttl") as url:
        yield url


def test_a_remote_endpoint_is_queried_and_explored(endpoint: str) -> None:
    """Connect to a real SPARQL endpoint: the workbench, Explore and Connections use it."""
    at = _data_page()
    at.segmented_control(key="data_choice").set_value("endpoint").run()
    at.text_input(key="data_endpoint_url").input(endpoint).run()
    at.button(key="data_connect").click().run()
    assert not at.exception
    assert at.session_state["kg_data_source"].kind == "endpoint"

    at.switch_page("app_pages/workbench.py").run()
    run_query(at, "SELECT ?name WHERE { ?p rdfs:label ?name } ORDER BY ?name")
    assert list(_table(at)["name"]) == ["Alice", "Bob", "Carol"]
    assert _metric(at, "Data") == "endpoint"

    at.switch_page("app_pages/connections.py").run()
    at.text_input(key="conn_from_text").input("Alice").run()
    at.text_input(key="conn_to_text").input("Carol").run()
    assert "Alice knows Bob." in _text(at)

    at.switch_page("app_pages/explore.py").run()
    at.text_input(key="explore_text").input("Bob").run()
    assert any(s.value == "Bob" for s in at.subheader)
    at.switch_page("app_pages/about.py").run()
    assert _metric(at, "Triples") == "8"


def test_an_unreachable_endpoint_leaves_the_data_alone() -> None:
    """A URL where nothing answers gives a message; the session stays on the bundled graph."""
    at = _data_page()
    at.segmented_control(key="data_choice").set_value("endpoint").run()
    at.text_input(key="data_endpoint_url").input(f"http://127.0.0.1:{free_port()}/query").run()
    at.button(key="data_connect").click().run()

    assert not at.exception
    assert at.warning
    assert "kg_data_source" not in at.session_state


@pytest.mark.slow
def test_every_gallery_question_runs_in_the_workbench(capsys: pytest.CaptureFixture[str]) -> None:
    """Each question of the gallery loads and runs with its defaults; the table matches the library's rows.

    Prints the time from pressing Run to the rendered page for each (measured, not asserted).
    """
    at = open_workbench()
    timings = []
    with KnowledgeGraph.bundled() as kg:
        for q in load_gallery():
            # The page keeps parameter values in the URL (v_substance=…) so a shared link restores them; the
            # previous question's value would carry over to the next one with a parameter of the same name.
            for name in [k for k in at.query_params if k.startswith("v_")]:
                del at.query_params[name]
            at.button(key=f"wb_load_{q.name}").click().run()
            started = time.perf_counter()
            run_query(at)
            timings.append((q.name, time.perf_counter() - started))
            outcome = at.session_state["wb_outcome"]
            assert outcome.error is None, (q.name, outcome.error)
            expected = result_table(kg, q.run(kg))
            assert len(outcome.table.rows) == len(expected.rows), q.name
    with capsys.disabled():
        print("\nRun → rendered page (AppTest), per gallery question:")
        for name, seconds in timings:
            print(f"  {seconds * 1000:7.0f} ms  {name}")


def test_each_session_runs_its_queries_as_its_own_client(monkeypatch: pytest.MonkeyPatch) -> None:
    """The query workers are shared per client; in the app a client is a browser session, so one
    student's runaway holds one worker of the shared graph, not all of them."""
    seen: list[str | None] = []
    original = KnowledgeGraph.sparql

    def recording(self: KnowledgeGraph, query: str, **options: object) -> object:
        seen.append(options.get("client"))  # type: ignore[arg-type]
        return original(self, query, **options)  # type: ignore[arg-type]

    monkeypatch.setattr(KnowledgeGraph, "sparql", recording)
    for _ in range(2):
        at = run_query(open_workbench(), "ASK { kg:ketamine a kgx:Substance }")
        assert at.session_state["wb_outcome"].error is None
    # AppTest gives every session the id "test session id", so two sessions cannot be told apart here.
    assert seen == ["session:test session id"] * 2


def test_an_answer_says_when_the_editor_holds_another_text() -> None:
    """The editor can hand over a new text after an answer came (it does so when it loses the focus): the answer
    then says it is for the query as it ran, until Run answers the new text."""
    at = run_query(open_workbench(), "SELECT ?x WHERE { VALUES ?x { 1 } }")
    assert not at.info
    at.session_state["wb_text"] = "SELECT ?x WHERE { VALUES ?x { 1 2 } }"
    at.run()
    assert [i.value for i in at.info] == [
        "The answer below is for the query as it was when it ran; the editor now holds another text."
    ]
    assert len(_table(run_query(at))) == 2
    assert not at.info


def test_a_run_request_outlives_a_run_that_was_stopped() -> None:
    """A click on Run is kept in the session until its answer is stored: a run that another rerun stops on the
    way (as the editor's own message can) leaves it for the next run, which answers (the browser test
    test_a_run_interrupted_by_the_editor_still_answers makes that race happen)."""
    at = open_workbench()
    at.session_state["wb_text"] = "SELECT ?x WHERE { VALUES ?x { 7 } }"
    at.session_state["wb_run_pending"] = True  # what the button's callback leaves, had its run been stopped
    at.run()
    assert len(_table(at)) == 1
    assert not at.session_state["wb_run_pending"]
    answer = at.session_state["wb_outcome"]
    at.run()  # answered once: a later rerun does not run it again
    assert at.session_state["wb_outcome"] is answer


def test_a_query_put_in_the_editor_replaces_a_run_not_yet_answered() -> None:
    """A run stopped before it answered is asked for again by the next run, unless a query was loaded meanwhile
    (a gallery question, the history, Clear): that run was for the text the editor no longer holds."""
    at = open_workbench()
    at.session_state["wb_run_pending"] = True
    at.button(key="wb_load_rct-evidence-by-condition").click().run()
    assert "wb_outcome" not in at.session_state
    assert not at.dataframe


def test_a_fault_in_a_run_is_shown_once_not_run_again(monkeypatch: pytest.MonkeyPatch) -> None:
    """A run request stands until its answer is stored, but a fault (not a KgExplorerError, which the page shows
    as the answer) drops it: the next rerun does not run the query again."""
    calls: list[str] = []

    def broken(kg: object, text: str, **options: object) -> None:
        calls.append(text)
        raise RuntimeError("a fault in the library")

    monkeypatch.setattr("kgexplorer.ui.query_job.run_query", broken)
    at = open_workbench()
    at.session_state["wb_text"] = "SELECT ?x WHERE { VALUES ?x { 1 } }"
    at.button(key="wb_run_button").click().run()
    assert at.exception
    at.run()
    assert calls == ["SELECT ?x WHERE { VALUES ?x { 1 } }"]
