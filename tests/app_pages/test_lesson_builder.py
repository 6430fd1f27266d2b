"""The lesson builder in the app (AppTest): a three-step lesson built from Explore, Compare and a quiz,
checked live, saved, loaded back and found identical; the Lessons page shows its steps."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

from kgexplorer import KnowledgeGraph
from kgexplorer.views.lesson_builder import check_step, lesson_yaml, read_lesson_file
from kgexplorer.views.lessons import CompareView, FocusView, Lesson, TimelineView, step_view, view_entities

ROOT = Path(__file__).resolve().parents[2]
BUILDER = "app_pages/lesson_builder.py"


def _app(**params: str) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90)
    for k, v in params.items():
        at.query_params[k] = v
    return at


def _draft(at: AppTest) -> Lesson:
    lesson: Lesson = at.session_state["lesson_draft"]
    return lesson


def test_builder_page_renders_empty() -> None:
    """Smoke test: the page opens with an empty lesson and says how to add steps."""
    at = _app().run()
    at.switch_page(BUILDER).run()

    assert not at.exception
    assert any("No steps yet" in i.value for i in at.info)


def test_build_save_and_load_back_a_three_step_lesson(kg: KnowledgeGraph) -> None:
    """Explore's view, Compare's view and a quiz step; the saved file loads back identical."""
    at = _app(e="ketamine", kinds="Mechanism").run()
    at.switch_page("app_pages/explore.py").run()
    at.button(key="explore_add_to_lesson").click().run()
    at.switch_page("app_pages/compare.py").run()
    at.button(key="compare_add_to_lesson").click().run()
    assert not at.exception
    assert [type(s.view) for s in _draft(at).steps] == [FocusView, CompareView]
    assert _draft(at).steps[0].view == FocusView(focus="ketamine", depth=1, kinds=("Mechanism",))

    at.switch_page(BUILDER).run()
    at.multiselect(key="lb_timeline_pick").set_value([kg.resolve("ketamine"), kg.resolve("esketamine")]).run()
    at.button(key="lb_timeline_add").click().run()
    g = at.session_state["lesson_draft_generation"]
    at.text_input(key=f"lb_{g}_title").input("Ketamine in three views").run()
    at.text_input(key=f"lb_{g}_slug").input("ketamine-three-views").run()
    at.text_area(key=f"lb_{g}_0_text").input("[Ketamine](kg:ketamine) acts on [mTOR](kg:mtor).").run()
    at.toggle(key=f"lb_{g}_2_quiz").set_value(True).run()
    at.text_input(key=f"lb_{g}_2_prompt").input("Which happened before 2000?").run()
    at.text_area(key=f"lb_{g}_2_choices").input("First synthesis\nUS Schedule III\nEsketamine approved").run()
    at.multiselect(key=f"lb_{g}_2_right").set_value([0, 1]).run()
    at.text_area(key=f"lb_{g}_2_feedback").input("1962.\n1999.\n2019, so no.").run()
    at.text_area(key=f"lb_{g}_2_explanation").input("Synthesis was in 1962 and scheduling in 1999.").run()
    at.text_input(key=f"lb_{g}_2_cites").input("hist_ketamine_synthesis_1962, re_ketamine_us_schedule_iii_1999").run()
    assert not at.exception

    # The captured titles name substances ("Ketamine and Psilocybin"): "Add to a lesson" linked them, so the checker
    # has nothing to say about the title.
    assert _draft(at).steps[1].title == "[Ketamine](kg:ketamine) and [Psilocybin](kg:psilocybin)"
    assert {p.rule for p in check_step(kg, _draft(at), 1)} == set()
    for i, text in ((1, "[Ketamine](kg:ketamine) and [psilocybin](kg:psilocybin) side by side."),
                    (2, "[Ketamine](kg:ketamine) and [esketamine](kg:esketamine) over time.")):  # fmt: skip
        at.text_area(key=f"lb_{g}_{i}_text").input(text).run()
    assert not at.exception

    built = _draft(at)
    assert [type(s.view) for s in built.steps] == [FocusView, CompareView, TimelineView]
    assert built.steps[2].question is not None
    assert built.steps[2].question.right == (0, 1)
    assert [p.problem for i in range(3) for p in check_step(kg, built, i)] == []
    assert sum("finds nothing wrong" in s.value for s in at.success) == 3

    # Save: the download button's bytes are lesson_yaml(draft) (AppTest cannot read them), then load back.
    saved = lesson_yaml(built).encode()
    at.switch_page(BUILDER).run()
    at.button(key="lb_start_empty").click().run()
    assert _draft(at).steps == ()
    at.file_uploader(key="lb_upload").set_value(("ketamine-three-views.yaml", saved, "application/x-yaml")).run()
    assert not at.exception
    back = _draft(at)
    assert back == built
    assert [view_entities(step_view(kg, s)) for s in back.steps] == [
        view_entities(step_view(kg, s)) for s in built.steps
    ]
    assert read_lesson_file(saved, filename="ketamine-three-views.yaml") == back


def test_checker_shows_a_named_entity_missing_from_the_view_beside_the_step() -> None:
    at = _app(e="ketamine", kinds="Mechanism").run()
    at.switch_page("app_pages/explore.py").run()
    at.button(key="explore_add_to_lesson").click().run()
    at.switch_page(BUILDER).run()
    g = at.session_state["lesson_draft_generation"]
    at.text_area(key=f"lb_{g}_0_text").input("Tested for [alcohol use disorder](kg:alcohol_use_disorder).").run()

    assert any("which the step's view does not draw" in w.value for w in at.warning)


def test_steps_move_and_delete() -> None:
    at = _app(e="ketamine").run()
    at.switch_page("app_pages/explore.py").run()
    at.button(key="explore_add_to_lesson").click().run()
    at.switch_page("app_pages/compare.py").run()
    at.button(key="compare_add_to_lesson").click().run()
    at.switch_page(BUILDER).run()
    g = at.session_state["lesson_draft_generation"]
    at.button(key=f"lb_{g}_1_up").click().run()
    assert [type(s.view) for s in _draft(at).steps] == [CompareView, FocusView]
    g = at.session_state["lesson_draft_generation"]
    at.button(key=f"lb_{g}_0_delete").click().run()
    assert [type(s.view) for s in _draft(at).steps] == [FocusView]
    g = at.session_state["lesson_draft_generation"]
    at.toggle(key=f"lb_{g}_0_preview").set_value(True).run()
    assert not at.exception
    assert at.get("bidi_component")  # the preview draws the step's graph as the Lessons page does


def test_compare_shows_the_timeline_and_adds_it_as_a_step() -> None:
    """Compare draws the picked substances' timeline (server-side SVG) and adds it to the lesson."""
    at = _app(s="ketamine,esketamine").run()
    at.switch_page("app_pages/compare.py").run()
    assert not at.exception
    assert any("dated, sourced events about Esketamine and Ketamine" in c.value for c in at.caption)
    assert at.get("image")  # the timeline picture
    at.button(key="compare_timeline_add_to_lesson").click().run()
    assert _draft(at).steps[-1].view == TimelineView(substances=("esketamine", "ketamine"))


def test_a_workbench_query_becomes_a_step() -> None:
    query = "SELECT ?label WHERE { kg:ketamine rdfs:label ?label }"
    at = _app().run()
    at.switch_page("app_pages/workbench.py").run()
    at.session_state["wb_text"] = query
    at.button(key="wb_run_button").click().run()
    at.button(key="wb_add_to_lesson").click().run()
    assert not at.exception
    step = _draft(at).steps[-1]
    assert step.view is None
    assert step.query == query


def test_presentation_mode_folds_the_question_and_enlarges_the_graph() -> None:
    """The Lessons page's presentation mode: the graph drawn taller, the quiz revealed on demand."""
    import json

    from kgexplorer.ui.lessons import PRESENT_HEIGHT

    at = _app(lesson="how-ketamine-works", step="4").run()
    at.switch_page("app_pages/lessons.py").run()
    assert at.radio(key="lesson_how-ketamine-works_4_q")  # shown at once outside presentation mode
    assert "Show the question" not in [e.label for e in at.expander]

    at.toggle(key="lesson_present").set_value(True).run()
    assert not at.exception
    assert [e.label for e in at.expander if e.label == "Show the question"] == ["Show the question"]
    graph = json.loads(at.get("bidi_component")[0].proto.json)
    assert graph["height"] == PRESENT_HEIGHT
