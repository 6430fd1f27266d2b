"""The lesson builder: steps captured from views, edited, checked live, and written as a lesson file.

A lesson being built is a plain :class:`~kgexplorer.views.lessons.Lesson`; every function here returns a
new one (nothing is changed in place), so the app can keep a draft in the session and undo is a copy.
:func:`lesson_yaml` writes exactly the file format the shipped lessons use (with ``version: 2``), and
:func:`read_lesson_file` reads one back, within the setting ``lesson_file_kb``.

Step text names entities with explicit links, ``[Ketamine](kg:ketamine)``: the reader sees only
"Ketamine" (:func:`~kgexplorer.views.lesson_text.reader_text`), and :func:`check_step` runs the lesson
checker on the step: each named entity is in the step's view, no raw ids, and links to anything else and
images are refused, so a lesson never loads an outside resource.

>>> from kgexplorer import KnowledgeGraph
>>> lesson = new_lesson(title="Ketamine in brief", slug="ketamine-in-brief")
>>> lesson = add_step(lesson, capture(FocusView(focus="ketamine", kinds=("Mechanism",)), title="Mechanisms"))
>>> lesson = replace_step(lesson, 0, text="[Ketamine](kg:ketamine) acts on [BDNF](kg:bdnf).")
>>> read_lesson_file(lesson_yaml(lesson).encode(), filename="ketamine-in-brief.yaml") == lesson
True
>>> with KnowledgeGraph.bundled() as kg:
...     [p.problem for p in check_step(kg, lesson, 0)]
[]
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import PurePath
from typing import TYPE_CHECKING, Any

import yaml

from .lessons import (
    FORMAT_VERSION,
    CompareView,
    FocusView,
    Lesson,
    LessonError,
    LessonProblem,
    PathView,
    Question,
    Step,
    View,
    check_lesson,
    parse_lesson,
)

if TYPE_CHECKING:
    from kgexplorer.knowledge_graph import KnowledgeGraph

__all__ = [
    "add_step",
    "capture",
    "check_step",
    "describe_view",
    "edit_lesson",
    "lesson_yaml",
    "make_question",
    "move_step",
    "new_lesson",
    "read_lesson_file",
    "remove_step",
    "replace_step",
]


def new_lesson(*, title: str = "", slug: str = "my-lesson", audience: str = "", minutes: int = 15) -> Lesson:
    """An empty lesson to build on."""
    return Lesson(slug=slug, title=title, audience=audience, minutes=minutes, objectives=(), steps=())


def capture(view: View | None = None, *, query: str | None = None, title: str = "", text: str = "") -> Step:
    """A new step holding a view's exact state (or a query), as "Add to a lesson" makes it."""
    return Step(title=title, text=text, view=view, query=query.strip() if query else None)


def edit_lesson(lesson: Lesson, **changes: Any) -> Lesson:
    """The lesson with its details changed (title, slug, audience, minutes, summary, objectives)."""
    slug = changes.get("slug", lesson.slug)
    if not re.fullmatch(r"[a-z0-9][a-z0-9-]{0,80}", str(slug)):
        raise LessonError(
            f"invalid lesson name {slug!r}: use lowercase letters, digits and hyphens, e.g. 'ketamine-history'"
        )
    return dataclasses.replace(lesson, **changes)


def make_question(
    *,
    prompt: str,
    choices: tuple[str, ...],
    right: tuple[int, ...],
    explanation: str,
    cites: tuple[str, ...] = (),
    feedback: tuple[str, ...] = (),
) -> Question:
    """A quiz question with one or several right choices (indices from 0) and optional feedback per choice."""
    picked = tuple(sorted(set(right)))
    return Question(
        prompt=prompt,
        choices=choices,
        answer=picked[0] if picked else 0,
        explanation=explanation,
        cites=cites,
        answers=picked if len(picked) > 1 else (),
        feedback=feedback if any(f.strip() for f in feedback) else (),
    )


def describe_view(view: View | None) -> str:
    """A step's view in words, for the builder.

    >>> describe_view(FocusView(focus="ketamine", depth=2, kinds=("Mechanism",), min_evidence="RCT"))
    'ketamine, 2 steps out; kinds: Mechanism; evidence RCT or stronger'
    """
    if view is None:
        return "no view"
    if isinstance(view, FocusView):
        parts = [f"{view.focus}, {view.depth} step{'s' * (view.depth != 1)} out"]
        parts += [f"kinds: {', '.join(view.kinds)}"] if view.kinds else []
        parts += [f"relations: {', '.join(view.relations)}"] if view.relations else []
        parts += [f"evidence {view.min_evidence} or stronger"] if view.min_evidence else []
        return "; ".join(parts)
    if isinstance(view, PathView):
        via = f"; following {', '.join(view.via)} links" if view.via else ""
        return f"paths from {view.source} to {view.target} (up to {view.k}, at most {view.max_length} steps{via})"
    if isinstance(view, CompareView):
        return "comparison of " + ", ".join(view.substances)
    return "timeline of " + ", ".join(view.substances)


def add_step(lesson: Lesson, step: Step) -> Lesson:
    """The lesson with ``step`` added at the end."""
    return dataclasses.replace(lesson, steps=(*lesson.steps, step))


def remove_step(lesson: Lesson, index: int) -> Lesson:
    """The lesson without its step ``index`` (from 0)."""
    _index(lesson, index)
    return dataclasses.replace(lesson, steps=lesson.steps[:index] + lesson.steps[index + 1 :])


def move_step(lesson: Lesson, index: int, *, by: int) -> Lesson:
    """The lesson with step ``index`` moved ``by`` places (negative: earlier), kept within the lesson."""
    _index(lesson, index)
    steps = list(lesson.steps)
    step = steps.pop(index)
    steps.insert(max(0, min(index + by, len(steps))), step)
    return dataclasses.replace(lesson, steps=tuple(steps))


def replace_step(lesson: Lesson, index: int, **changes: Any) -> Lesson:
    """The lesson with step ``index`` changed (title, text, view, query or question)."""
    _index(lesson, index)
    step = dataclasses.replace(lesson.steps[index], **changes)
    return dataclasses.replace(lesson, steps=(*lesson.steps[:index], step, *lesson.steps[index + 1 :]))


def _index(lesson: Lesson, index: int) -> None:
    if not 0 <= index < len(lesson.steps):
        raise LessonError(f"the lesson has no step {index + 1}; it has {len(lesson.steps)} steps")


def lesson_yaml(lesson: Lesson) -> str:
    """The lesson file's text (YAML, format ``version: 2``), as the shipped lessons are written.

    This is the function behind the builder's download button; reading it back with
    :func:`read_lesson_file` gives an equal lesson.
    """
    raw: dict[str, Any] = {
        "version": FORMAT_VERSION,
        "title": lesson.title,
        "audience": lesson.audience,
        "estimated_minutes": lesson.minutes,
    }
    if lesson.summary:
        raw["summary"] = lesson.summary
    raw["objectives"] = list(lesson.objectives)
    raw["steps"] = [_step_raw(s) for s in lesson.steps]
    return yaml.safe_dump(raw, sort_keys=False, allow_unicode=True, width=100)


def _step_raw(step: Step) -> dict[str, Any]:
    out: dict[str, Any] = {"title": step.title, "text": step.text}
    if step.view is not None:
        out["view"] = _view_raw(step.view)
    if step.query:
        out["query"] = step.query
    q = step.question
    if q is not None:
        question: dict[str, Any] = {"prompt": q.prompt, "choices": list(q.choices)}
        if q.answers:
            question["answers"] = list(q.answers)
        question["answer"] = q.answer
        if q.feedback:
            question["feedback"] = list(q.feedback)
        question["explanation"] = q.explanation
        question["cites"] = list(q.cites)
        out["question"] = question
    return out


def _view_raw(view: View) -> dict[str, Any]:
    if isinstance(view, FocusView):
        out: dict[str, Any] = {"focus": view.focus, "depth": view.depth}
        if view.kinds:
            out["kinds"] = list(view.kinds)
        if view.relations:
            out["relations"] = list(view.relations)
        if view.min_evidence:
            out["min_evidence"] = view.min_evidence
        return out
    if isinstance(view, PathView):
        path: dict[str, Any] = {"from": view.source, "to": view.target, "k": view.k, "max_length": view.max_length}
        if view.via:
            path["via"] = list(view.via)
        return {"path": path}
    if isinstance(view, CompareView):
        return {"compare": list(view.substances)}
    return {"timeline": list(view.substances)}


def read_lesson_file(data: bytes, *, filename: str, max_kb: int | None = None) -> Lesson:
    """A lesson from an uploaded file's bytes. Its slug is the file name without ``.yaml``; ``max_kb``
    defaults to the setting ``lesson_file_kb`` and is checked before the file is parsed."""
    from kgexplorer.settings import Settings

    limit = Settings().lesson_file_kb if max_kb is None else max_kb
    if len(data) > limit * 1024:
        raise LessonError(
            f"the lesson file {filename!r} is {len(data) // 1024} KiB, more than the setting lesson_file_kb "
            f"({limit} KiB); a lesson file is text and much smaller, so check it is the right file"
        )
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise LessonError(f"the lesson file {filename!r} is not UTF-8 text; save it as UTF-8 YAML") from None
    stem = PurePath(filename).name.removesuffix(".yaml").removesuffix(".yml")
    return parse_lesson(text, slug=stem)


def check_step(kg: KnowledgeGraph, lesson: Lesson, index: int) -> list[LessonProblem]:
    """Every problem of one step, each with its rule and fix, as the builder shows it beside the step: the
    lesson checker (:func:`~kgexplorer.views.lessons.check_lesson`) run on that step alone, numbered as in
    the lesson. The builder adds no checks of its own, so a lesson it passes also passes ``kgexplorer
    validate``."""
    _index(lesson, index)
    single = dataclasses.replace(lesson, steps=(lesson.steps[index],))
    return [dataclasses.replace(p, step=index + 1) for p in check_lesson(kg, single) if p.step]
