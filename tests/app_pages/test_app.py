"""The Streamlit app, driven headlessly with AppTest: every page renders, and each key interaction works."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[2]
PAGES = [
    "app_pages/explore.py",
    "app_pages/connections.py",
    "app_pages/compare.py",
    "app_pages/evidence.py",
    "app_pages/lessons.py",
    "app_pages/about.py",
    "app_pages/workbench.py",
    "app_pages/data.py",
]


def _app(**params: str) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    for k, v in params.items():
        at.query_params[k] = v
    return at


def _frame(at: AppTest, column: str) -> pd.DataFrame:
    """The first table on the page that has this column (AppTest does not expose dataframe keys)."""
    for df in [*at.dataframe, *at.table]:
        if column in df.value.columns:
            frame: pd.DataFrame = df.value
            return frame
    raise AssertionError(f"no table with a {column!r} column; tables: {[list(d.value.columns) for d in at.dataframe]}")


def _graph(at: AppTest) -> tuple[Any, dict[str, Any]]:
    """The graph component on the page and the data it was sent."""
    element = at.get("bidi_component")[0]
    return element, json.loads(element.proto.json)


def _click_node(at: AppTest, node_id: str) -> None:
    """Click a node of the page's graph, as the browser component reports it.

    AppTest has no public API for a custom component's trigger, so this sends the same widget state
    the browser sends (the real click is covered by tests/e2e/test_app_browser.py).
    """
    from streamlit.proto.WidgetStates_pb2 import WidgetState

    from kgexplorer.ui.graph_component import TRIGGER

    element, _ = _graph(at)
    states = at._tree.get_widget_states()
    event = [{"event": TRIGGER, "value": node_id}]
    states.widgets.append(
        WidgetState(id=f"$$STREAMLIT_INTERNAL_KEY_{element.proto.id}__events", json_trigger_value=json.dumps(event))
    )
    at._run(states)


def _text(at: AppTest) -> str:
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption] + [s.value for s in at.subheader]
    parts += [i.value for i in at.info] + [w.value for w in at.warning] + [t.value for t in at.title]
    return "\n".join(str(p) for p in parts)


@pytest.mark.parametrize("page", PAGES)
def test_every_page_renders_without_exception(page: str) -> None:
    """Each page renders (from the app's navigation) with no exception and shows the disclaimer."""
    at = _app().run()
    at.switch_page(page).run()

    assert not at.exception
    assert "not medical advice" in _text(at)


def test_search_shows_the_entity_card() -> None:
    """Typing 'special K' in Explore finds ketamine and shows its card and evidence."""
    at = _app().run()
    at.text_input(key="explore_text").input("special K").run()

    assert not at.exception
    assert at.selectbox(key="explore_pick").value == "https://w3id.org/kgexplorer/id/ketamine"
    assert any(s.value == "Ketamine" for s in at.subheader)
    assert "What the evidence says" in _text(at)
    assert at.query_params["e"] == "ketamine"


def test_deep_link_opens_the_entity() -> None:
    """A URL with ?e=alcohol_use_disorder opens that entity directly."""
    at = _app(e="alcohol_use_disorder").run()

    assert not at.exception
    assert any(s.value == "Alcohol use disorder" for s in at.subheader)


def test_unknown_entity_in_url_gives_a_friendly_message() -> None:
    """An unknown entity in the URL shows a message with suggestions, never a traceback."""
    at = _app(e="no_such_thing_here").run()

    assert not at.exception
    assert any("no entity called" in w.value for w in at.warning)


def test_clicking_a_node_moves_the_focus_and_the_address_in_one_run() -> None:
    """A click on a node refocuses the graph and the card, and the URL names the new focus at once."""
    at = _app(e="ketamine").run()
    _, data = _graph(at)
    aud = "https://w3id.org/kgexplorer/id/alcohol_use_disorder"
    assert any(n["id"] == aud for n in data["nodes"]), "alcohol use disorder should be one step from ketamine"
    _click_node(at, aud)
    _, after = _graph(at)

    assert not at.exception
    assert after["focus"] == aud
    assert any(s.value == "Alcohol use disorder" for s in at.subheader)
    assert at.query_params["e"] == "alcohol_use_disorder"


def test_clicking_more_shows_the_hidden_neighbours() -> None:
    """A click on a "+N more" node adds that group's hidden neighbours to the same focus."""
    at = _app(e="ketamine").run()
    _, data = _graph(at)
    groups = {n["id"]: int(m.group(1)) for n in data["nodes"] if (m := re.match(r"\+(\d+) more", n["label"]))}
    assert groups, "ketamine's view gathers some neighbours into '+N more' nodes"
    more, hidden = min(groups.items(), key=lambda item: (item[1], item[0]))
    _click_node(at, more)
    _, after = _graph(at)

    assert not at.exception
    assert after["focus"] == data["focus"]
    assert all(n["id"] != more for n in after["nodes"])
    assert len(after["nodes"]) == len(data["nodes"]) - 1 + hidden


@pytest.mark.parametrize(
    ("page", "params"),
    [
        ("app_pages/explore.py", {"e": "ketamine"}),
        ("app_pages/connections.py", {}),  # opens on ketamine → alcohol use disorder
    ],
)
def test_graph_views_offer_html_png_and_svg_exports(page: str, params: dict[str, str]) -> None:
    """Under a graph, the export menu offers the three files (made on click: see the browser test)."""
    at = _app(**params).run()
    at.switch_page(page).run()
    labels = [b.proto.label for b in at.get("download_button")]

    assert not at.exception
    assert labels == ["Web page (.html)", "Picture (.png)", "Scalable picture (.svg)"]


def test_kind_filter_shows_fewer_nodes() -> None:
    """Filtering the neighbourhood to one kind leaves fewer rows in the view's table."""
    at = _app(e="ketamine").run()
    before = len(_frame(at, "steps from focus"))
    at.multiselect(key="explore_kinds").set_value(["Condition"]).run()
    after = _frame(at, "steps from focus")

    assert not at.exception
    assert 1 < len(after) < before
    # The focus itself stays, and conditions beyond the per-relation cap are gathered in "+N more" nodes.
    assert set(after["kind"]) <= {"Condition", "Substance", "More"}
    assert "Condition" in set(after["kind"])


def test_connections_explains_a_path() -> None:
    """From ketamine to alcohol use disorder, the first path is the direct, evidence-backed link."""
    at = _app().run()
    at.switch_page("app_pages/connections.py").run()

    assert not at.exception
    text = _text(at)
    assert "Path 1" in text
    assert "Ketamine tested as a treatment for Alcohol use disorder" in text.replace("\\", "")


def test_connections_follow_mechanisms_and_evidence_unless_asked() -> None:
    """Issue 15, bug 5: ketamine → PTSD ran through an Australian regulatory decision; paths follow mechanisms
    and clinical evidence by default, and regulatory or bibliographic links only when the reader adds them
    (the choice is in the address)."""
    at = _app(**{"from": "ketamine", "to": "ptsd", "k": "5", "len": "4"}).run()
    at.switch_page("app_pages/connections.py").run()
    _, data = _graph(at)
    kinds = {n["group"] for n in data["nodes"]}

    assert not at.exception
    assert "Ketamine tested as a treatment for Post-traumatic stress disorder" in _text(at).replace("\\", "")
    assert not kinds & {"kind:Regulatory event", "kind:Legal status", "kind:Study", "kind:Source document"}
    assert "via" not in at.query_params

    at.multiselect(key="conn_groups").set_value(
        [f"https://w3id.org/kgexplorer/vocab#{g}Relations" for g in ("Clinical", "Bibliographic")]
    ).run()
    _, wider = _graph(at)
    assert at.query_params["via"] == "clinical,bibliographic"
    assert "kind:Study" in {n["group"] for n in wider["nodes"]}


def test_compare_two_substances() -> None:
    """Comparing ketamine and psilocybin lists shared conditions with each one's evidence."""
    at = _app(s="ketamine,psilocybin").run()
    at.switch_page("app_pages/compare.py").run()

    assert not at.exception
    conditions = _frame(at, "Conditions tested")
    row = conditions[conditions["Conditions tested"] == "Alcohol use disorder"].iloc[0]
    assert row[""] == "✔"
    assert row["Ketamine"].startswith("Randomised controlled trial")
    assert row["Psilocybin"].startswith("Randomised controlled trial")


def test_compare_three_shows_every_substance_in_wrapping_tables() -> None:
    """Issue 15, bug 3: with ketamine, psilocybin and MDMA every aspect is a static table that wraps its
    cells (a scrolling frame hid MDMA's column), and the PTSD row shows each substance's evidence."""
    at = _app(s="ketamine,psilocybin,mdma").run()
    at.switch_page("app_pages/compare.py").run()

    assert not at.exception
    assert not [d for d in at.dataframe if "Conditions tested" in d.value.columns]
    conditions = _frame(at, "Conditions tested")
    ptsd = conditions[conditions["Conditions tested"] == "Post-traumatic stress disorder"].iloc[0]
    assert ptsd["MDMA"].startswith("Randomised controlled trial")
    assert "MDMA" in _frame(at, "Legal status").columns


def test_evidence_filter_narrows_the_table() -> None:
    """Filtering the evidence table by result direction 'null' leaves only null claims."""
    at = _app().run()
    at.switch_page("app_pages/evidence.py").run()
    total = len(_frame(at, "what the evidence says"))
    at.multiselect(key="evidence_directions").set_value(["null"]).run()
    table = _frame(at, "what the evidence says")

    assert not at.exception
    assert 0 < len(table) < total
    assert set(table["direction"]) == {"null"}
    assert at.query_params["dir"] == "null"  # the view has its link
    assert list(table.columns)[:3] == ["what the evidence says", "N", "studies"]  # the student's columns first


def test_an_evidence_link_reopens_the_same_filtered_view() -> None:
    """Filters in the address: a shared link opens the Evidence page with the same filters and rows, and the
    matrix follows them."""
    at = _app(sub="ketamine", cond="alcohol_use_disorder,ptsd", lvl="RCT").run()
    at.switch_page("app_pages/evidence.py").run()
    table = _frame(at, "what the evidence says")
    matrix = _frame(at, "substance or therapy")

    assert not at.exception
    assert at.multiselect(key="evidence_subjects").value == ["https://w3id.org/kgexplorer/id/ketamine"]
    assert set(table["subject"]) == {"Ketamine"}
    assert set(table["evidence level"]) == {"Randomised controlled trial"}
    assert set(table["object"]) <= {"Alcohol use disorder", "Post-traumatic stress disorder"}
    assert list(matrix["substance or therapy"]) == ["Ketamine"]


def test_the_evidence_map_shows_the_field_at_a_glance() -> None:
    """The map: substances × conditions, the best level and its direction per cell, empty where the graph has
    nothing (the caption says "not in this graph")."""
    at = _app().run()
    at.switch_page("app_pages/evidence.py").run()
    emap = _frame(at, "substance")
    ketamine = emap[emap["substance"] == "Ketamine"].iloc[0]

    assert not at.exception
    assert ketamine["Alcohol use disorder"] == "Randomised controlled trial · mixed"
    assert any("not in this graph" in c.value for c in at.caption)


def test_a_cell_of_the_evidence_map_goes_into_a_lesson() -> None:
    """A selected cell shows its claims and "Add to a lesson" makes it a step: the direct link between the
    substance and the condition, which the lesson checker accepts."""
    from kgexplorer import KnowledgeGraph
    from kgexplorer.views.lesson_builder import check_step
    from kgexplorer.views.lessons import PathView

    at = _app().run()
    at.switch_page("app_pages/evidence.py").run()
    row = list(_frame(at, "substance")["substance"]).index("Ketamine")
    at.session_state["evidence_map"] = {
        "selection": {"rows": [], "columns": [], "cells": [[row, "Alcohol use disorder"]]}
    }
    at.run()
    at.button(key="evidence_map_add_to_lesson").click().run()

    assert not at.exception
    step = at.session_state["lesson_draft"].steps[-1]
    assert step.view == PathView(source="ketamine", target="alcohol_use_disorder", k=1, max_length=1)
    assert step.title == "[Ketamine](kg:ketamine) × [Alcohol use disorder](kg:alcohol_use_disorder)"  # linked once
    with KnowledgeGraph.bundled() as kg:
        lesson = at.session_state["lesson_draft"]
        assert [p.rule for p in check_step(kg, lesson, len(lesson.steps) - 1)] == []


def test_about_shows_counts_and_version() -> None:
    """About shows the dataset version and its counts."""
    at = _app().run()
    at.switch_page("app_pages/about.py").run()

    assert not at.exception
    assert "1.0.0" in _text(at).replace("\\", "")
    assert int(at.metric[1].value.replace(",", "")) > 100


def test_lesson_steps_forward_and_answers_a_question() -> None:
    """A lesson opens at its URL step, 'Next' moves on, and a right answer shows its explanation."""
    at = _app(lesson="ketamine-for-alcohol-use-disorder", step="3").run()
    at.switch_page("app_pages/lessons.py").run()

    assert not at.exception
    assert "Step 3 of 5" in at.get("progress")[0].proto.text
    at.radio(key="lesson_ketamine-for-alcohol-use-disorder_3_q").set_value(1).run()
    assert any("Right." in s.value for s in at.success)
    # Issue 15, bug 4: the feedback cites studies by name, never by raw claim id.
    evidence = " ".join(c.value for c in at.caption if "Evidence" in c.value)
    assert "Grabski et al" in evidence
    assert "claim_" not in evidence
    assert "claim\\_" not in evidence
    assert "kg:" not in " ".join(s.value for s in at.success)
    at.button(key="lesson_next").click().run()
    assert "Step 4 of 5" in at.get("progress")[0].proto.text
    assert at.query_params["step"] == "4"


@pytest.mark.parametrize(
    "slug",
    [
        "how-ketamine-works",
        "ketamine-for-alcohol-use-disorder",
        "psilocybin-and-mdma",
        "risks-regulation-access",
        "reading-the-evidence",
        "ketamine-history",
    ],
)
def test_every_lesson_step_renders(slug: str) -> None:
    """Every step of every shipped lesson renders without exception."""
    from kgexplorer.views.lessons import get_lesson

    for step in range(1, len(get_lesson(slug).steps) + 1):
        at = _app(lesson=slug, step=str(step)).run()
        at.switch_page("app_pages/lessons.py").run()
        assert not at.exception, (slug, step, at.exception)


def test_the_app_says_at_start_when_the_kernel_refuses_the_sandbox(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """The app warms its graph up when it opens it (ui.default_source starts a query worker): a worker without
    the network sandbox is logged then, in the terminal that started the app, before any visitor's query."""
    import sys

    from kgexplorer import KnowledgeGraph, ui
    from kgexplorer.engine import query_workers as worker_module

    altered = str(Path(__file__).resolve().parents[1] / "altered_worker.py")
    monkeypatch.setattr(worker_module, "_worker_command", lambda: [sys.executable, altered, "--no-sandbox"])
    monkeypatch.setattr(worker_module, "_WARNED", set())
    with KnowledgeGraph.bundled() as kg, caplog.at_level("WARNING", logger="kgexplorer.engine.query_workers"):
        ui.session._warm_up(kg)
        status = kg.query_sandbox()
    assert status is not None
    assert not status.on
    assert any("WITHOUT the network sandbox" in r.getMessage() for r in caplog.records)
