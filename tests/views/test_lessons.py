"""Lessons: the format loads, every shipped lesson checks clean, and broken lessons name step and problem."""

from __future__ import annotations

from pathlib import Path

import pytest

from kgexplorer import KnowledgeGraph
from kgexplorer.views.lessons import LessonError, check_lesson, get_lesson, load_lessons, step_view

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
    lesson = get_lesson("psilocybin-and-mdma")
    kinds = [type(step_view(kg, s)).__name__ for s in lesson.steps if s.view is not None]

    assert {"Neighbourhood", "PathSet", "Comparison"} <= set(kinds)
