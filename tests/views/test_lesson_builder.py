"""The lesson builder: steps edit as asked, the file it writes reads back identical, and check_step
catches what a reader would be misled by (an entity named but not shown, raw ids, outside links)."""

from __future__ import annotations

import dataclasses

import pytest

from kgexplorer import KnowledgeGraph
from kgexplorer.views.lesson_builder import (
    add_step,
    capture,
    check_step,
    lesson_yaml,
    move_step,
    new_lesson,
    read_lesson_file,
    remove_step,
    replace_step,
)
from kgexplorer.views.lesson_text import entity_links, link_names, name_index, reader_text
from kgexplorer.views.lessons import (
    CompareView,
    FocusView,
    Lesson,
    LessonError,
    PathView,
    Question,
    TimelineView,
    check_lesson,
    load_lessons,
    parse_lesson,
    step_view,
    view_entities,
)


def _three_steps() -> Lesson:
    lesson = new_lesson(title="Three views", slug="three-views", audience="Testers", minutes=10)
    lesson = add_step(lesson, capture(FocusView(focus="ketamine", depth=1, kinds=("Mechanism",)), title="One"))
    lesson = add_step(lesson, capture(CompareView(substances=("ketamine", "psilocybin")), title="Two"))
    question = Question(
        prompt="Which two?", choices=("a", "b", "c"), answer=0, answers=(0, 2), explanation="Because.",
        feedback=("Yes", "No", "Yes"), cites=("claim_ketamine__actsOn__mtor",),
    )  # fmt: skip
    return replace_step(
        add_step(lesson, capture(TimelineView(substances=("ketamine",)), title="Three")), 2, question=question
    )


def test_steps_are_added_moved_replaced_and_removed() -> None:
    lesson = _three_steps()
    assert [s.title for s in lesson.steps] == ["One", "Two", "Three"]
    moved = move_step(lesson, 2, by=-2)
    assert [s.title for s in moved.steps] == ["Three", "One", "Two"]
    assert [s.title for s in move_step(moved, 0, by=10).steps] == ["One", "Two", "Three"]
    assert [s.title for s in remove_step(moved, 1).steps] == ["Three", "Two"]
    assert replace_step(moved, 1, text="new").steps[1].text == "new"
    with pytest.raises(LessonError, match="has no step 4; it has 3 steps"):
        remove_step(moved, 3)


def test_written_file_reads_back_identical(kg: KnowledgeGraph) -> None:
    """'Identical after loading back': equal lessons, the check passes, every step's view has the same nodes."""
    lesson = _three_steps()
    text = lesson_yaml(lesson)
    back = read_lesson_file(text.encode(), filename="three-views.yaml")

    assert text.startswith("version: 2\n")
    assert back == lesson
    assert back.steps[2].question is not None
    assert back.steps[2].question.right == (0, 2)
    assert check_lesson(kg, back) == []
    assert [view_entities(step_view(kg, s)) for s in back.steps] == [
        view_entities(step_view(kg, s)) for s in lesson.steps
    ]
    assert all(view_entities(step_view(kg, s)) for s in back.steps)


@pytest.mark.parametrize("lesson", load_lessons(), ids=lambda lesson: lesson.slug)
def test_every_shipped_lesson_survives_the_builder(kg: KnowledgeGraph, lesson: Lesson) -> None:
    """The five version-1 lessons stay valid, and saving one from the builder changes nothing a reader sees."""
    back = read_lesson_file(lesson_yaml(lesson).encode(), filename=f"{lesson.slug}.yaml")

    assert back == lesson
    assert [view_entities(step_view(kg, s)) for s in back.steps] == [
        view_entities(step_view(kg, s)) for s in lesson.steps
    ]


def test_checker_finds_an_entity_named_but_missing_from_the_view(kg: KnowledgeGraph) -> None:
    """The Done-when case: the text names Alcohol use disorder, but the step draws ketamine's mechanisms."""
    lesson = add_step(
        new_lesson(slug="named"),
        capture(
            FocusView(focus="ketamine", kinds=("Mechanism",)),
            title="Mechanisms",
            text="[Ketamine](kg:ketamine) is tested for [alcohol use disorder](kg:alcohol_use_disorder).",
        ),
    )
    problems = check_step(kg, lesson, 0)

    assert [(p.step, p.rule, p.entity) for p in problems] == [(1, "not-in-view", "alcohol_use_disorder")]
    assert "the text names 'alcohol_use_disorder', which the step's view does not draw" in problems[0].problem
    fixed = replace_step(lesson, 0, view=FocusView(focus="ketamine"))
    assert check_step(kg, fixed, 0) == []


def test_checker_finds_raw_ids_outside_links_and_unknown_names(kg: KnowledgeGraph) -> None:
    question = Question(
        prompt="Why?", choices=("a", "b"), answer=0, explanation="See claim_ketamine__actsOn__mtor.",
        feedback=("[x](https://tracker.example/p)", "ok"), cites=("claim_ketamine__actsOn__mtor",),
    )  # fmt: skip
    step = capture(
        FocusView(focus="ketamine"),
        title="t",
        text="![pixel](https://tracker.example/p.gif) www.example.org [Nope](kg:no_such_thing) `claim_ok_in_code`",
    )
    lesson = replace_step(add_step(new_lesson(slug="bad"), step), 0, question=question)
    text = " | ".join(p.problem for p in check_step(kg, lesson, 0))

    assert "has an image (https://tracker.example/p.gif)" in text
    assert "web address (www.example.org)" in text
    assert "kg:no_such_thing, which is not in the graph" in text
    assert "the explanation shows the identifier 'claim_ketamine__actsOn__mtor' to readers" in text
    assert "feedback 1 links to 'https://tracker.example/p'" in text
    assert "'claim_ok_in_code' to readers" in text  # code spans are read too: the reader sees them


def test_entity_links_reads_only_entity_links() -> None:
    found = entity_links("[A](kg:a) [B](kg:b_c) ![C](kg:c) [D](http://x) [A](kg:a)")
    assert [lk.entity for lk in found] == ["a", "b_c", "a"]


def test_upload_limits_and_versions() -> None:
    with pytest.raises(LessonError, match="more than the setting lesson_file_kb"):
        read_lesson_file(b"x" * 3000, filename="big.yaml", max_kb=2)
    with pytest.raises(LessonError, match="not UTF-8"):
        read_lesson_file(b"\xff\xfe", filename="bad.yaml")
    with pytest.raises(LessonError, match="invalid lesson name"):
        read_lesson_file(b"title: x", filename="Bad Name.yaml")
    with pytest.raises(LessonError, match="format version 3"):
        parse_lesson("version: 3\ntitle: x", slug="x")
    steps = "".join(f"  - {{title: s{i}, text: t}}\n" for i in range(5))
    with pytest.raises(LessonError, match=r"5 steps, more than the setting lesson_steps \(4\)"):
        parse_lesson(
            f"title: x\naudience: a\nestimated_minutes: 1\nobjectives: []\nsteps:\n{steps}", slug="x", max_steps=4
        )


def test_every_shipped_lesson_passes_the_builders_checks(kg: KnowledgeGraph) -> None:
    """The builder's live checks (named entities in the view, no raw ids, no outside links) hold for every
    shipped lesson, including the one written with the builder (ketamine-history)."""
    lessons = {lesson.slug: lesson for lesson in load_lessons()}

    assert [
        p.to_text() for lesson in lessons.values() for i in range(len(lesson.steps)) for p in check_step(kg, lesson, i)
    ] == []
    history = lessons["ketamine-history"]
    assert history.version == 2
    assert len(history.steps) == 4
    assert (
        sum(len({lk.entity for lk in entity_links(s.text)}) for s in history.steps) >= 10
    )  # its names are checked, not free text


def test_the_history_lesson_fails_the_check_when_a_named_event_leaves_its_view(kg: KnowledgeGraph) -> None:
    """Each entity the history lesson names, taken out of its step's view in turn (the view swapped for one
    that lacks it), is reported."""
    from kgexplorer.views.lessons import get_lesson

    lesson = get_lesson("ketamine-history")
    for index, step in enumerate(lesson.steps):
        for name in {lk.entity for lk in entity_links(step.text)}:
            other = FocusView(focus="psilocybin", kinds=("Mechanism",))
            problems = check_step(kg, replace_step(lesson, index, view=other), index)
            assert ("not-in-view", name) in {(p.rule, p.entity) for p in problems}, (index, name)


def test_a_path_step_keeps_the_relation_groups_it_was_captured_with(kg: KnowledgeGraph) -> None:
    """Connections' "Add to a lesson" keeps the relation groups the reader chose (via); the file keeps them, the
    step's view follows them, and an unknown group is reported."""
    view = PathView(source="ketamine", target="jurisdiction_us", k=3, max_length=4, via=("regulatory",))
    lesson = add_step(new_lesson(slug="via"), capture(view, title="t", text="x"))
    back = read_lesson_file(lesson_yaml(lesson).encode(), filename="via.yaml")

    assert back == lesson
    assert back.steps[0].view == view
    assert step_view(kg, back.steps[0]).paths
    default = dataclasses.replace(view, via=())
    assert view_entities(step_view(kg, back.steps[0])) != view_entities(step_view(kg, capture(default)))
    bad = replace_step(lesson, 0, view=dataclasses.replace(view, via=("gossip",)))
    assert any("unknown relation group 'gossip'" in p.problem for p in check_step(kg, bad, 0))


@pytest.mark.parametrize(
    ("view", "title"),
    [
        (FocusView(focus="ketamine"), "Ketamine"),
        (CompareView(substances=("ketamine", "psilocybin")), "Ketamine and Psilocybin"),
        (TimelineView(substances=("ketamine", "esketamine")), "History of Ketamine and Esketamine"),
        (PathView(source="ketamine", target="alcohol_use_disorder"), "From Ketamine to Alcohol use disorder"),
        (
            PathView(source="psilocybin", target="alcohol_use_disorder", k=1, max_length=1),
            "Psilocybin × Alcohol use disorder",
        ),
    ],
)
def test_titles_that_add_to_a_lesson_makes_link_their_names(kg: KnowledgeGraph, view: object, title: str) -> None:
    """The titles the pages give "Add to a lesson" name substances and conditions: linked once each (as
    ui/lessons.add_to_lesson does), the lesson checker finds no unlinked name in the new step."""
    names = name_index(kg)

    def unlinked(text: str) -> list[str]:
        lesson = add_step(new_lesson(title="A lesson"), capture(view, title=text))  # type: ignore[arg-type]
        return [p.entity for p in check_lesson(kg, lesson) if p.rule == "unlinked-name"]

    assert unlinked(title)  # as the pages wrote it
    linked = link_names(title, names)
    assert unlinked(linked) == []
    assert reader_text(linked) == title  # a reader sees the same words
