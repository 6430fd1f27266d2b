"""Lessons: the format loads, every shipped lesson checks clean, and broken lessons name step and problem."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from kgexplorer import KnowledgeGraph
from kgexplorer.model.compare import Comparison
from kgexplorer.model.neighbourhood import Neighbourhood, PathSet
from kgexplorer.model.timeline import Timeline
from kgexplorer.namespaces import KG
from kgexplorer.views.lessons import (
    LessonError,
    Step,
    check_lesson,
    entity_links,
    get_lesson,
    load_lessons,
    question_citations,
    reader_text,
    step_view,
    view_entities,
)

BROKEN = """
title: "Broken"
audience: "Testers"
estimated_minutes: 5
objectives: ["Find every problem"]
steps:
  - title: "Unknown entity"
    text: "x"
    view: {focus: no_such_entity}
  - title: "Bad filters"
    text: "x"
    view: {focus: ketamine, kinds: [Gizmo], relations: [cures], min_evidence: Anecdote}
  - title: "No path"
    text: "x"
    view: {path: {from: ketamine, to: jurisdiction_taiwan, k: 1, max_length: 1}}
  - title: "Bad query"
    text: "x"
    query: "SELECT * WHERE { SERVICE <http://example.org/> { ?s ?p ?o } }"
  - title: "Bad question"
    text: "x"
    question: {prompt: "?", choices: ["only one"], answer: 3, explanation: "x", cites: [claim_that_does_not_exist]}
"""


def test_shipped_lessons_load_and_check_clean(kg: KnowledgeGraph) -> None:
    """At least five lessons ship, and each one's entities, views, queries and citations exist and run."""
    lessons = load_lessons()

    assert len(lessons) >= 5
    assert all(lesson.steps and lesson.objectives for lesson in lessons)
    assert [p.to_text() for lesson in lessons for p in check_lesson(kg, lesson)] == []


def test_every_question_cites_claims_that_exist(kg: KnowledgeGraph) -> None:
    """Every quiz explanation cites at least one claim or event of the graph."""
    questions = [s.question for lesson in load_lessons() for s in lesson.steps if s.question]

    assert len(questions) >= 5
    assert all(q.cites for q in questions)


def test_broken_lesson_names_each_step_and_problem(kg: KnowledgeGraph, tmp_path: Path) -> None:
    """A lesson with an unknown entity, bad filters, an impossible path, a refused query and a bad quiz."""
    (tmp_path / "broken.yaml").write_text(BROKEN, encoding="utf-8")
    lesson = get_lesson("broken", tmp_path)
    problems = {(p.step, p.problem.split(" ")[0] + " " + p.problem.split(" ")[1]) for p in check_lesson(kg, lesson)}
    texts = " | ".join(p.to_text() for p in check_lesson(kg, lesson))

    assert {p[0] for p in problems} == {1, 2, 3, 4, 5}
    assert "no_such_entity" in texts
    assert "Gizmo" in texts
    assert "cures" in texts
    assert "Anecdote" in texts
    assert "no path" in texts
    assert "SERVICE is not allowed" in texts
    assert "answer index 3" in texts
    assert "claim_that_does_not_exist" in texts
    assert "broken: step 2 (Bad filters)" in texts


@pytest.mark.parametrize("name", ["../secrets", "a/b", "UPPER", "", "x" * 200])
def test_lesson_names_cannot_leave_the_folder(name: str) -> None:
    """A lesson name is a slug: path separators, dots and other characters are refused."""
    with pytest.raises(LessonError, match="invalid lesson name"):
        get_lesson(name)


def test_malformed_lesson_file_gives_a_clear_error(tmp_path: Path) -> None:
    """A lesson without steps or with bad YAML says what is wrong."""
    (tmp_path / "empty.yaml").write_text("title: x\n", encoding="utf-8")
    (tmp_path / "junk.yaml").write_text("title: [unclosed\n", encoding="utf-8")

    with pytest.raises(LessonError, match="missing or has a bad field"):
        get_lesson("empty", tmp_path)
    with pytest.raises(LessonError, match="cannot read lesson"):
        get_lesson("junk", tmp_path)


def test_step_view_kinds(kg: KnowledgeGraph) -> None:
    """Focus, path and compare steps give a neighbourhood, a path set and a comparison."""
    kinds = [type(step_view(kg, s)).__name__ for lesson in load_lessons() for s in lesson.steps if s.view is not None]

    assert {"Neighbourhood", "PathSet", "Comparison"} <= set(kinds)


# Issue 15, bug 4: step 3 of "Ketamine for alcohol use disorder" drew Ketamine → Relapse through cocaine use
# disorder while its feedback spoke of the alcohol evidence, and cited raw claim ids.
CONTRADICTS = """
title: "Contradicts itself"
audience: "Testers"
estimated_minutes: 5
objectives: ["Catch a lesson that names what its view does not draw"]
steps:
  - title: "KARE"
    text: "The larger [ketamine](kg:ketamine) trial found no difference in [relapse](kg:relapse)."
    view: {path: {from: ketamine, to: relapse, k: 1, max_length: 2}}  # the direct link only: no tie to break
    question:
      prompt: "Relapse?"
      choices: ["Fewer", "No clear difference"]
      answer: 1
      explanation: >-
        That is why the graph marks ketamine's evidence for [alcohol use disorder](kg:alcohol_use_disorder)
        as mixed (claim_ketamine__affectsOutcome__relapse).
      cites: [claim_ketamine__affectsOutcome__relapse]
  - title: "Unlinked"
    text: "Psilocybin was tested for [alcohol use disorder](kg:alcohol_use_disorder); see kg:psilocybin."
    view: {focus: ketamine, depth: 1, relations: [testedFor]}
  - title: "No view"
    text: "Names [nothing real](kg:no_such_thing) and [ketamine](kg:ketamine) without a view."
"""


def test_the_checker_catches_a_lesson_that_contradicts_its_view(kg: KnowledgeGraph, tmp_path: Path) -> None:
    """A named entity outside the step's view, a raw id in the feedback, a substance written without a link
    and a link to nothing are each reported with their rule, step and entity."""
    (tmp_path / "contradicts.yaml").write_text(CONTRADICTS, encoding="utf-8")
    problems = check_lesson(kg, get_lesson("contradicts", tmp_path))
    found = {(p.step, p.rule, p.entity) for p in problems}

    assert (1, "not-in-view", "alcohol_use_disorder") in found
    assert (1, "raw-id", "claim_ketamine__affectsOutcome__relapse") in found
    assert (2, "unlinked-name", "psilocybin") in found
    assert (2, "raw-id", "kg:psilocybin") in found
    assert (3, "unknown-entity", "no_such_thing") in found
    # A step without a view shows no picture to contradict: its real links pass.
    assert not any(p.step == 3 and p.entity == "ketamine" for p in problems)
    # Entities the views do draw are not reported.
    assert not any(p.entity in ("ketamine", "relapse") for p in problems if p.step == 1)
    assert "the explanation names 'alcohol_use_disorder', which the step's view does not draw" in " ".join(
        p.problem for p in problems
    )


def _named_in_views() -> list[tuple[str, int, str]]:
    return [
        (lesson.slug, i, link.entity)
        for lesson in load_lessons()
        for i, step in enumerate(lesson.steps, start=1)
        if step.view is not None
        for text in (step.text, step.question.explanation if step.question else "")
        for link in entity_links(text)
    ]


def test_every_shipped_lesson_names_entities_by_links() -> None:
    """The shipped lessons name what their views show by explicit links (the checker reads them)."""
    named = _named_in_views()

    assert len(named) >= 40
    assert {slug for slug, _, _ in named} == {lesson.slug for lesson in load_lessons()}


@pytest.mark.parametrize(("slug", "index", "entity"), _named_in_views())
def test_removing_a_named_entity_from_its_view_is_caught(
    kg: KnowledgeGraph, slug: str, index: int, entity: str
) -> None:
    """Each entity a shipped lesson's step names, taken out of that step's view in turn, is reported."""
    lesson = get_lesson(slug)
    target = lesson.steps[index - 1]

    def without(graph: KnowledgeGraph, step: Step) -> Neighbourhood | PathSet | Comparison | Timeline | None:
        view = step_view(graph, step)
        if view is None or step is not target:
            return view
        if isinstance(view, Timeline):  # a timeline draws its events and substances
            events = tuple(e for e in view.events if e.iri != KG + entity)
            iris = tuple(i for i in view.substance_iris if i != KG + entity)
            return dataclasses.replace(view, events=events, substance_iris=iris)
        drawn = view.graph.copy()
        drawn.remove_node(KG + entity)
        return dataclasses.replace(view, graph=drawn)

    problems = check_lesson(kg, lesson, draw=without)

    assert [(p.step, p.rule, p.entity) for p in problems] == [(index, "not-in-view", entity)]


def test_readers_see_link_words_and_study_names_never_ids(kg: KnowledgeGraph) -> None:
    """reader_text keeps a link's words; a question's citations are claim labels with their studies' names."""
    step = get_lesson("ketamine-for-alcohol-use-disorder").steps[2]
    assert step.question is not None
    cited = question_citations(kg, step.question)
    shown = reader_text(step.question.explanation) + " ".join(c.label + " ".join(c.studies) for c in cited)

    assert "kg:" not in shown
    assert "_" not in shown
    assert "alcohol use disorder" in reader_text(step.question.explanation)
    assert any("Grabski et al. 2022" in s for c in cited for s in c.studies)


def test_the_alcohol_lesson_draws_what_its_relapse_step_names(kg: KnowledgeGraph) -> None:
    """Bug 4: the KARE step's view draws ketamine, relapse and alcohol use disorder."""
    step = get_lesson("ketamine-for-alcohol-use-disorder").steps[2]
    shown = view_entities(step_view(kg, step))

    assert {KG + "ketamine", KG + "relapse", KG + "alcohol_use_disorder"} <= shown


def test_a_view_captured_from_explore_with_any_offered_relation_checks_clean(kg: KnowledgeGraph) -> None:
    """Bug: Explore offers every relation its view draws (``concerns``, from events), but the checker refused
    any relation that is not a direct-edge property, so such a captured view was wrongly flagged."""
    from kgexplorer.model.relations import relation_key
    from kgexplorer.views.lessons import FocusView, Lesson

    offered = [relation_key(r.iri) for r in kg.relations("ketamine")]
    assert "concerns" in offered
    step = Step(title="Events", text="x", view=FocusView(focus="ketamine", relations=("concerns",)))
    lesson = Lesson(slug="t", title="t", audience="a", minutes=1, objectives=("o",), steps=(step,))
    assert [p.problem for p in check_lesson(kg, lesson)] == []
    shown = view_entities(step_view(kg, step))
    assert len(shown) > 1  # the view draws the events that concern ketamine
    for key in offered:  # every relation Explore offers is accepted
        one = dataclasses.replace(step, view=FocusView(focus="ketamine", relations=(key,)))
        problems = check_lesson(kg, dataclasses.replace(lesson, steps=(one,)))
        assert [p.problem for p in problems if p.rule == "view"] == [], key
