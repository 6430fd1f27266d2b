"""The lesson builder: steps captured from views, edited, checked live, and written as a lesson file.

A lesson being built is a plain :class:`~kgexplorer.views.lessons.Lesson`; every function here returns a
new one (nothing is changed in place), so the app can keep a draft in the session and undo is a copy.
:func:`lesson_yaml` writes exactly the file format the shipped lessons use (with ``version: 2``), and
:func:`read_lesson_file` reads one back, within the setting ``lesson_file_kb``.

Step text names entities with explicit links, ``[Ketamine](kg:ketamine)``: the reader sees only
"Ketamine", and :func:`check_step` checks each named entity is in the step's view. Links to anything
else and images are refused: a lesson never loads an outside resource.

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

from kgexplorer.errors import KgExplorerError
from kgexplorer.namespaces import KG
from kgexplorer.terms import IRI

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
    step_view,
)

if TYPE_CHECKING:
    from kgexplorer.knowledge_graph import KnowledgeGraph

__all__ = [
    "add_step",
    "capture",
    "check_lesson_text",
    "check_step",
    "describe_view",
    "edit_lesson",
    "lesson_yaml",
    "make_question",
    "move_step",
    "named_entities",
    "new_lesson",
    "read_lesson_file",
    "reader_markdown",
    "remove_step",
    "replace_step",
    "view_nodes",
]

#: ``[text](target)`` and ``![alt](target)`` in step Markdown.
_LINK = re.compile(r"(!?)\[([^\]\n]*)\]\(\s*((?:[^()\s]|\([^()\s]*\))*)(?:\s+[^()]*)?\)")
_ENTITY = re.compile(r"^kg:([A-Za-z0-9_][A-Za-z0-9_.-]*)$")
_BARE_URL = re.compile(r"(?i)\b(?:https?|ftp)://\S+|<\s*(?:https?:|//)\S*>|\bwww\.\S+")
_CODE = re.compile(r"`[^`\n]*`")
_TOKEN = re.compile(r"\b[A-Za-z][A-Za-z0-9]*_[A-Za-z0-9_]*[A-Za-z0-9]\b")


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
        return f"paths from {view.source} to {view.target} (up to {view.k}, at most {view.max_length} steps)"
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
        return {"path": {"from": view.source, "to": view.target, "k": view.k, "max_length": view.max_length}}
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


def named_entities(text: str) -> tuple[str, ...]:
    """The entity ids a Markdown text names with explicit ``[label](kg:id)`` links, in order.

    >>> named_entities("[Ketamine](kg:ketamine) and [NMDA](kg:nmda_antagonism), [x](https://a.b)")
    ('ketamine', 'nmda_antagonism')
    """
    found = (_ENTITY.match(m.group(3)) for m in _LINK.finditer(text) if not m.group(1))
    return tuple(dict.fromkeys(m.group(1) for m in found if m))


def reader_markdown(text: str) -> str:
    """Step Markdown as a reader gets it: entity links become their label text, other links their text,
    images their alt text, bare web addresses are removed; nothing outside can be loaded or followed.

    >>> reader_markdown("[Ketamine](kg:ketamine) ![x](https://t.example/p.gif) see www.example.org")
    'Ketamine x see '
    """
    return _BARE_URL.sub("", _LINK.sub(lambda m: m.group(2), text))


def view_nodes(kg: KnowledgeGraph, step: Step) -> frozenset[str]:
    """The IRIs a step's view shows (nodes of a graph, events and substances of a timeline); empty without
    a view. Two steps with the same view state show the same nodes."""
    from kgexplorer.model.timeline import Timeline

    view = step_view(kg, step)
    if view is None:
        return frozenset()
    if isinstance(view, Timeline):
        return frozenset({*view.substance_iris, *(e.iri for e in view.events)})
    return frozenset(str(n) for n in view.graph.nodes)


def check_step(kg: KnowledgeGraph, lesson: Lesson, index: int) -> list[LessonProblem]:
    """Every problem of one step, each with its fix: what :func:`~kgexplorer.views.lessons.check_lesson`
    finds (entities, filters, views, queries, citations) and what its text shows a reader (entities
    named but not in the view, raw ids, outside links or images)."""
    _index(lesson, index)
    step = lesson.steps[index]
    single = dataclasses.replace(lesson, steps=(step,))
    problems = [dataclasses.replace(p, step=index + 1) for p in check_lesson(kg, single) if p.step]
    return problems + [LessonProblem(lesson.slug, index + 1, step.title, t) for t in _text_problems(kg, step)]


def check_lesson_text(kg: KnowledgeGraph, lesson: Lesson) -> list[LessonProblem]:
    """What every step's text shows a reader (the part of :func:`check_step` that
    :func:`~kgexplorer.views.lessons.check_lesson` does not do): ``kgexplorer validate`` runs both."""
    return [
        LessonProblem(lesson.slug, i, step.title, text)
        for i, step in enumerate(lesson.steps, start=1)
        for text in _text_problems(kg, step)
    ]


def _reader_texts(step: Step) -> list[tuple[str, str]]:
    out = [("text", step.text), ("title", step.title)]
    q = step.question
    if q is not None:
        out += [("question", q.prompt), ("explanation", q.explanation)]
        out += [(f"choice {i + 1}", c) for i, c in enumerate(q.choices)]
        out += [(f"feedback {i + 1}", f) for i, f in enumerate(q.feedback)]
    return out


def _text_problems(kg: KnowledgeGraph, step: Step) -> list[str]:
    out: list[str] = []
    named: dict[str, str] = {}
    for where, text in _reader_texts(step):
        for m in _LINK.finditer(text):
            if m.group(1):
                out.append(f"the {where} has an image ({m.group(3)}); lessons cannot load images, remove it")
            elif not _ENTITY.match(m.group(3)):
                out.append(
                    f"the {where} links to {m.group(3)!r}; lessons cannot link outside, name an entity as "
                    "[Ketamine](kg:ketamine) or cite a claim in the question"
                )
        out += [
            f"the {where} has a web address ({u}); lessons cannot link outside, remove it"
            for u in _BARE_URL.findall(text)
        ]
        for name in named_entities(text):
            named.setdefault(name, where)
        plain = _CODE.sub(" ", _LINK.sub(" ", text))
        out += [
            f"the {where} shows the raw id {t!r} to the reader; write its name instead, e.g. "
            f"[{_label(kg, KG + t)}](kg:{t})"
            for t in dict.fromkeys(_TOKEN.findall(plain))
            if _exists(kg, KG + t)
        ]
    if not named:
        return out
    try:
        shown = view_nodes(kg, step)
    except KgExplorerError:
        return out  # the view's own failure is reported by check_lesson
    for name, where in named.items():
        if not _exists(kg, KG + name):
            out.append(f"the {where} names kg:{name}, which is not in the graph; use an entity id such as kg:ketamine")
        elif KG + name not in shown:
            fix = "add it to the step's view (another focus, depth or filter)" if step.view else "give the step a view"
            out.append(
                f"the {where} names {_label(kg, KG + name)} (kg:{name}), which is not in this step's view; "
                f"{fix} or do not name it"
            )
    return out


def _exists(kg: KnowledgeGraph, iri: str) -> bool:
    return bool(kg.select("SELECT ?t WHERE { ?c a ?t } LIMIT 1", values={"c": IRI(iri)}).rows)


def _label(kg: KnowledgeGraph, iri: str) -> str:
    return kg.label(iri)
