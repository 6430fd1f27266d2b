"""Guided lessons: a sequence of explained views of the graph, with optional queries and quiz questions.

A lesson is a YAML file in graph/lessons/ (see graph/lessons/README.md for the format; files carry
``version: 2``, and files without a version are read as version 1, which is a subset). Each step has
Markdown text and optionally a view (an entity's neighbourhood, a path between two entities, a
comparison of substances or a timeline of their events), a SPARQL query and a quiz question (one or
several right answers, feedback per answer) whose explanation cites claims. :func:`check_lesson`
verifies that everything a lesson refers to exists and runs.

>>> lessons = load_lessons()
>>> len(lessons) >= 5
True
>>> from kgexplorer import KnowledgeGraph
>>> with KnowledgeGraph.bundled() as kg:
...     [p.problem for lesson in lessons for p in check_lesson(kg, lesson)]
[]
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from kgexplorer.engine.store import bundled_graph_dir
from kgexplorer.errors import KgExplorerError
from kgexplorer.evidence import LEVELS
from kgexplorer.namespaces import KG, KGX
from kgexplorer.terms import IRI

if TYPE_CHECKING:
    from kgexplorer.knowledge_graph import KnowledgeGraph
    from kgexplorer.model.compare import Comparison
    from kgexplorer.model.neighbourhood import Neighbourhood, PathSet
    from kgexplorer.model.timeline import Timeline

__all__ = [
    "FORMAT_VERSION",
    "CompareView",
    "FocusView",
    "Lesson",
    "LessonError",
    "LessonProblem",
    "PathView",
    "Question",
    "Step",
    "TimelineView",
    "View",
    "check_lesson",
    "get_lesson",
    "load_lessons",
    "parse_lesson",
    "step_view",
]

#: The lesson file format this version writes; files without ``version`` are version 1 (a subset of 2).
FORMAT_VERSION = 2

_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,80}$")
_LEVEL_KEYS = {lv.key for lv in LEVELS}


class LessonError(KgExplorerError):
    """A lesson file is missing or malformed."""


@dataclass(frozen=True)
class FocusView:
    """The neighbourhood of one entity."""

    focus: str
    depth: int = 1
    kinds: tuple[str, ...] = ()
    relations: tuple[str, ...] = ()  # local names of kgx: properties, e.g. "testedFor"
    min_evidence: str | None = None  # a rubric key, e.g. "RCT"


@dataclass(frozen=True)
class PathView:
    """How two entities are linked."""

    source: str
    target: str
    k: int = 3
    max_length: int = 4


@dataclass(frozen=True)
class CompareView:
    """Two to four substances side by side."""

    substances: tuple[str, ...]


@dataclass(frozen=True)
class TimelineView:
    """The dated, sourced events about one to four substances, drawn as a timeline."""

    substances: tuple[str, ...]


View = FocusView | PathView | CompareView | TimelineView


@dataclass(frozen=True)
class Question:
    """A quiz question. ``answer`` is the index of the (first) right choice; ``answers`` lists every right
    choice when there are several (empty: only ``answer``); ``feedback`` is shown per choice (empty: none);
    ``cites`` are the claim or event ids behind the explanation."""

    prompt: str
    choices: tuple[str, ...]
    answer: int
    explanation: str
    cites: tuple[str, ...] = ()
    answers: tuple[int, ...] = ()
    feedback: tuple[str, ...] = ()

    @property
    def right(self) -> tuple[int, ...]:
        """Every right choice's index, in order."""
        return tuple(sorted(set(self.answers))) if self.answers else (self.answer,)

    @property
    def several(self) -> bool:
        """Whether the reader must pick more than one choice."""
        return len(self.right) > 1


@dataclass(frozen=True)
class Step:
    """One step of a lesson."""

    title: str
    text: str
    view: View | None = None
    query: str | None = None
    question: Question | None = None


@dataclass(frozen=True)
class Lesson:
    """A whole lesson."""

    slug: str
    title: str
    audience: str
    minutes: int
    objectives: tuple[str, ...]
    steps: tuple[Step, ...]
    summary: str = ""
    path: str = field(default="", compare=False)
    version: int = field(default=FORMAT_VERSION, compare=False)


@dataclass(frozen=True)
class LessonProblem:
    """Something in a lesson that does not exist or does not run."""

    lesson: str
    step: int  # 1-based; 0 for the lesson as a whole
    step_title: str
    problem: str

    def to_text(self) -> str:
        where = f"step {self.step} ({self.step_title})" if self.step else "lesson"
        return f"{self.lesson}: {where}: {self.problem}"


def load_lessons(directory: str | Path | None = None) -> tuple[Lesson, ...]:
    """Every lesson in a folder (default: the bundled graph/lessons), sorted by file name."""
    folder = Path(directory) if directory is not None else bundled_graph_dir() / "lessons"
    return tuple(_load(p) for p in sorted(folder.glob("*.yaml")))


def get_lesson(slug: str, directory: str | Path | None = None) -> Lesson:
    """One lesson by its slug (its file name without .yaml). Slugs cannot leave the lessons folder."""
    if not _SLUG.match(slug):
        raise LessonError(
            f"invalid lesson name {slug!r}: use lowercase letters, digits and hyphens, e.g. 'how-ketamine-works'"
        )
    folder = Path(directory) if directory is not None else bundled_graph_dir() / "lessons"
    path = folder / f"{slug}.yaml"
    if not path.is_file():
        names = ", ".join(p.stem for p in sorted(folder.glob("*.yaml")))
        raise LessonError(f"no lesson called {slug!r}; the lessons are: {names}")
    return _load(path)


def _load(path: Path) -> Lesson:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise LessonError(f"cannot read lesson {path.name}: {exc}; fix the YAML") from None
    return parse_lesson(text, slug=path.stem, path=str(path))


def parse_lesson(text: str, *, slug: str, path: str = "", max_steps: int | None = None) -> Lesson:
    """A lesson from the text of a lesson file (version 1 or 2).

    ``max_steps`` defaults to the setting ``lesson_steps``; a longer lesson is refused.
    """
    from kgexplorer.settings import Settings

    name = Path(path).name if path else f"{slug}.yaml"
    limit = Settings().lesson_steps if max_steps is None else max_steps
    if not _SLUG.match(slug):
        raise LessonError(
            f"invalid lesson name {slug!r}: use lowercase letters, digits and hyphens, e.g. 'how-ketamine-works'"
        )
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise LessonError(f"cannot read lesson {name}: {exc}; fix the YAML") from None
    if not isinstance(raw, dict):
        raise LessonError(f"lesson {name} must be a YAML mapping with title, audience, steps …")
    version = raw.get("version", 1)
    if version not in (1, FORMAT_VERSION):
        raise LessonError(
            f"lesson {name} has format version {version!r}, but this kgexplorer reads versions 1 and "
            f"{FORMAT_VERSION}; update kgexplorer or save the lesson again from this version's builder"
        )
    if isinstance(raw.get("steps"), list) and len(raw["steps"]) > limit:
        raise LessonError(
            f"lesson {name} has {len(raw['steps'])} steps, more than the setting lesson_steps ({limit}); "
            "split it into several lessons"
        )
    try:
        steps = tuple(_step(s, i) for i, s in enumerate(raw["steps"], start=1))
        return Lesson(
            slug=slug,
            title=str(raw["title"]),
            audience=str(raw["audience"]),
            minutes=int(raw["estimated_minutes"]),
            objectives=tuple(str(o) for o in raw["objectives"]),
            steps=steps,
            summary=str(raw.get("summary", "")),
            path=path,
            version=int(version),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise LessonError(
            f"lesson {name} is missing or has a bad field ({exc}); see graph/lessons/README.md for the format"
        ) from None


def _step(raw: Any, index: int) -> Step:
    if not isinstance(raw, dict) or "title" not in raw or "text" not in raw:
        raise ValueError(f"step {index} needs a title and text")
    q = raw.get("question")
    question = None
    if q is not None:
        answers = tuple(int(a) for a in q.get("answers", ()))
        question = Question(
            prompt=str(q["prompt"]),
            choices=tuple(str(c) for c in q["choices"]),
            answer=int(q["answer"]) if "answer" in q else min(answers),
            explanation=str(q["explanation"]),
            cites=tuple(str(c) for c in q.get("cites", ())),
            answers=answers,
            feedback=tuple(str(f) for f in q.get("feedback", ())),
        )
    return Step(
        title=str(raw["title"]),
        text=str(raw["text"]).strip(),
        view=_view(raw.get("view")),
        query=str(raw["query"]).strip() if raw.get("query") else None,
        question=question,
    )


def _view(raw: Any) -> View | None:
    if raw is None:
        return None
    if "focus" in raw:
        return FocusView(
            focus=str(raw["focus"]),
            depth=int(raw.get("depth", 1)),
            kinds=tuple(raw.get("kinds", ())),
            relations=tuple(raw.get("relations", ())),
            min_evidence=raw.get("min_evidence"),
        )
    if "path" in raw:
        p = raw["path"]
        return PathView(
            source=str(p["from"]), target=str(p["to"]), k=int(p.get("k", 3)), max_length=int(p.get("max_length", 4))
        )
    if "compare" in raw:
        return CompareView(substances=tuple(str(s) for s in raw["compare"]))
    if "timeline" in raw:
        return TimelineView(substances=tuple(str(s) for s in raw["timeline"]))
    raise ValueError("a view needs 'focus', 'path', 'compare' or 'timeline'")


def step_view(kg: KnowledgeGraph, step: Step) -> Neighbourhood | PathSet | Comparison | Timeline | None:
    """The view of a step, built from the knowledge graph (a timeline is drawn as SVG, the others as graphs)."""
    view = step.view
    if view is None:
        return None
    if isinstance(view, TimelineView):
        from kgexplorer.model.timeline import timeline

        return timeline(kg, list(view.substances), max_events=kg.settings.timeline_events)
    if isinstance(view, FocusView):
        relations = [KGX + r for r in view.relations] or None
        return kg.neighbourhood(
            view.focus, depth=view.depth, kinds=view.kinds or None, relations=relations, min_evidence=view.min_evidence
        )
    if isinstance(view, PathView):
        return kg.paths(view.source, view.target, k=view.k, max_length=view.max_length)
    from kgexplorer.model.compare import compare

    return compare(kg, list(view.substances))


def check_lesson(kg: KnowledgeGraph, lesson: Lesson) -> list[LessonProblem]:
    """Everything wrong with a lesson: unknown entities, filters, claims; views, paths or queries that fail."""
    problems: list[LessonProblem] = []
    if not lesson.steps:
        problems.append(LessonProblem(lesson.slug, 0, "", "the lesson has no steps"))
    for i, step in enumerate(lesson.steps, start=1):
        found = _view_problems(kg, step) + _query_problems(kg, step) + _question_problems(kg, step)
        problems += [LessonProblem(lesson.slug, i, step.title, text) for text in found]
    return problems


def _view_problems(kg: KnowledgeGraph, step: Step) -> list[str]:
    view = step.view
    if view is None:
        return []
    out: list[str] = []
    names: Sequence[str] = ()
    if isinstance(view, FocusView):
        names = (view.focus,)
        kinds = set(kg.kinds())
        out += [
            f"unknown kind {k!r} in the view's kinds; use one of {', '.join(sorted(kinds))}"
            for k in view.kinds
            if k not in kinds
        ]
        out += [
            f"unknown relation {r!r}; use a kgx: direct-edge property such as testedFor"
            for r in view.relations
            if not kg.select("SELECT ?p WHERE { ?p a kgx:DirectEdgeProperty } LIMIT 1", values={"p": IRI(KGX + r)}).rows
        ]
        if view.min_evidence and view.min_evidence not in _LEVEL_KEYS:
            out.append(f"unknown evidence level {view.min_evidence!r}; use one of {', '.join(sorted(_LEVEL_KEYS))}")
    elif isinstance(view, PathView):
        names = (view.source, view.target)
    else:
        names = view.substances
    if isinstance(view, TimelineView) and not 1 <= len(view.substances) <= 4:
        return [f"a timeline shows one to four substances, not {len(view.substances)}; pick fewer or more"]
    out += [
        f"the view names {n!r}, which is not in the graph; use an entity id such as 'ketamine'"
        for n in names
        if not _resolves(kg, n)
    ]
    if out:
        return out
    try:
        result = step_view(kg, step)
    except KgExplorerError as exc:
        return [f"the view fails: {exc}"]
    if isinstance(view, PathView) and result is not None and not getattr(result, "paths", ()):
        return [
            f"no path of at most {view.max_length} steps links {view.source} and {view.target}; raise "
            "max_length or change the ends"
        ]
    return []


def _query_problems(kg: KnowledgeGraph, step: Step) -> list[str]:
    if not step.query:
        return []
    try:
        result = kg.sparql(step.query)
    except KgExplorerError as exc:
        return [f"the query fails: {exc}"]
    if not hasattr(result, "value") and len(result) == 0:
        return ["the query returns no rows; a lesson query should show something"]
    return []


def _question_problems(kg: KnowledgeGraph, step: Step) -> list[str]:
    q = step.question
    if q is None:
        return []
    out: list[str] = []
    out += [
        f"the answer index {a} is not one of the {len(q.choices)} choices (counted from 0)"
        for a in q.right
        if not 0 <= a < len(q.choices)
    ]
    if q.feedback and len(q.feedback) != len(q.choices):
        out.append(
            f"the question has {len(q.choices)} choices but {len(q.feedback)} feedback texts; give one per choice"
        )
    if len(q.choices) < 2:
        out.append("a question needs at least two choices")
    if not q.cites:
        out.append("the question's explanation must cite at least one claim (cites: [claim_id])")
    out += [
        f"the question cites {c!r}, which is not in the graph; cite a claim or event id"
        for c in q.cites
        if not kg.select("SELECT ?c WHERE { ?c a ?t } LIMIT 1", values={"c": IRI(KG + c)}).rows
    ]
    return out


def _resolves(kg: KnowledgeGraph, name: str) -> bool:
    try:
        kg.resolve(name)
    except KgExplorerError:
        return False
    return True
