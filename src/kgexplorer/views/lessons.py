"""Guided lessons: a sequence of explained views of the graph, with optional queries and quiz questions.

A lesson is a YAML file in graph/lessons/ (see graph/lessons/README.md for the format; files carry
``version: 2``, and files without a version are read as version 1, which is a subset). Each step has
Markdown text and optionally a view (an entity's neighbourhood, a path between two entities, a
comparison of substances or a timeline of their events), a SPARQL query and a quiz question (one or
several right answers, feedback per answer) whose explanation cites claims. :func:`check_lesson`
verifies that everything a lesson refers to exists and runs, and that the lesson is true to its own views
(the checks themselves are in :mod:`kgexplorer.views.lesson_check`):

- A step names an entity by an explicit link in its Markdown, ``[alcohol use disorder](kg:alcohol_use_disorder)``
  (:func:`entity_links`); every entity a step's text, question, choices or feedback names is drawn in that
  step's view (a timeline draws its events and substances).
- A substance or condition written out by its name without a link is reported, so a name cannot slip past the
  check by not being linked.
- No raw identifier (``claim_…``, ``kg:…``, ``snake_case`` names) and nothing outside the graph (links,
  images, web addresses) reaches a reader; :func:`reader_text` turns the links into their words.

Each problem is a :class:`LessonProblem` with a :data:`ProblemRule`, so a lesson editor can act on it.

>>> lessons = load_lessons()
>>> len(lessons) >= 5
True
>>> from kgexplorer import KnowledgeGraph
>>> with KnowledgeGraph.bundled() as kg:
...     [p.problem for lesson in lessons for p in check_lesson(kg, lesson)]
[]
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from kgexplorer.engine.store import bundled_graph_dir
from kgexplorer.errors import KgExplorerError
from kgexplorer.evidence import LEVELS

from .lesson_check import (
    ProblemRule,
    naming_problems,
    query_problems,
    question_problems,
    relation_problems,
    view_entities,
)
from .lesson_text import Citation, EntityLink, citations, entity_links, name_index, outside_links, raw_ids, reader_text

if TYPE_CHECKING:
    from kgexplorer.knowledge_graph import KnowledgeGraph
    from kgexplorer.model.compare import Comparison
    from kgexplorer.model.neighbourhood import Neighbourhood, PathSet
    from kgexplorer.model.timeline import Timeline

__all__ = [
    "FORMAT_VERSION",
    "Citation",
    "CompareView",
    "EntityLink",
    "FocusView",
    "Lesson",
    "LessonError",
    "LessonProblem",
    "PathView",
    "ProblemRule",
    "Question",
    "Step",
    "TimelineView",
    "View",
    "check_lesson",
    "entity_links",
    "get_lesson",
    "load_lessons",
    "parse_lesson",
    "question_citations",
    "reader_text",
    "step_view",
    "view_entities",
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
    via: tuple[str, ...] = ()  # relation groups as Connections' address names them; empty: the default groups


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
    """Something in a lesson that does not exist, does not run, or is not true to the step's own view."""

    lesson: str
    step: int  # 1-based; 0 for the lesson as a whole
    step_title: str
    problem: str
    rule: ProblemRule = "structure"
    entity: str = ""  # the entity id concerned (a link's target or a name found unlinked), if any

    def to_text(self) -> str:
        where = f"step {self.step} ({self.step_title})" if self.step else "lesson"
        return f"{self.lesson}: {where}: {self.problem}"


def question_citations(kg: KnowledgeGraph, question: Question) -> tuple[Citation, ...]:
    """The claims a question cites by their labels and the names of the studies behind them, never their ids.

    >>> from kgexplorer import KnowledgeGraph
    >>> q = get_lesson("ketamine-for-alcohol-use-disorder").steps[2].question
    >>> with KnowledgeGraph.bundled() as kg:
    ...     cited = question_citations(kg, q)
    >>> "Grabski et al. 2022" in " ".join(s for c in cited for s in c.studies)
    True
    """
    return citations(kg, question.cites)


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
            source=str(p["from"]),
            target=str(p["to"]),
            k=int(p.get("k", 3)),
            max_length=int(p.get("max_length", 4)),
            via=tuple(str(g) for g in p.get("via", ())),
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
        from kgexplorer.model.relations import relation_iri

        # Relations as a page address writes them (testedFor, rdfs:seeAlso): what Explore captured.
        relations = [iri for r in view.relations if (iri := relation_iri(r))] or None
        return kg.neighbourhood(
            view.focus, depth=view.depth, kinds=view.kinds or None, relations=relations, min_evidence=view.min_evidence
        )
    if isinstance(view, PathView):
        from kgexplorer.model.paths import path_groups

        if groups := path_groups(view.via):
            return kg.paths(view.source, view.target, k=view.k, max_length=view.max_length, groups=groups)
        return kg.paths(view.source, view.target, k=view.k, max_length=view.max_length)
    from kgexplorer.model.compare import compare

    return compare(kg, list(view.substances))


def check_lesson(
    kg: KnowledgeGraph,
    lesson: Lesson,
    *,
    draw: Callable[[KnowledgeGraph, Step], Neighbourhood | PathSet | Comparison | Timeline | None] = step_view,
) -> list[LessonProblem]:
    """Everything wrong with a lesson: unknown entities, filters, claims; views, paths or queries that fail;
    entities its text, question, choices or feedback name that its step's view does not draw; substances and
    conditions named without a link; raw identifiers a reader would see; links, images or web addresses that
    would leave the graph.

    ``draw`` builds a step's view (default :func:`step_view`); a lesson editor can pass the view it shows.
    """
    problems: list[LessonProblem] = []
    if not lesson.steps:
        problems.append(LessonProblem(lesson.slug, 0, "", "the lesson has no steps"))
    where = {"the title": lesson.title, "the summary": lesson.summary, "the audience": lesson.audience}
    where |= {f"objective {i}": o for i, o in enumerate(lesson.objectives, start=1)}
    for place, text in where.items():
        problems += [LessonProblem(lesson.slug, 0, "", msg, "raw-id", ident) for ident, msg in raw_ids(place, text)]
        problems += [LessonProblem(lesson.slug, 0, "", msg, "outside-link") for msg in outside_links(place, text)]
    names = name_index(kg)
    for i, step in enumerate(lesson.steps, start=1):

        def add(rule: ProblemRule, texts: Sequence[str], step: Step = step, i: int = i) -> None:
            problems.extend(LessonProblem(lesson.slug, i, step.title, text, rule) for text in texts)

        view_problems = _view_problems(kg, step, draw)
        add("view", view_problems)
        add("query", query_problems(kg, step.query))
        q = step.question
        if q is not None:
            add("question", question_problems(kg, choices=q.choices, right=q.right, feedback=q.feedback, cites=q.cites))
        shown = None if step.view is None or view_problems else functools.partial(_drawn, kg, step, draw)
        for rule, ident, text in naming_problems(kg, list(_reader_parts(step)), names=names, shown=shown):
            problems.append(LessonProblem(lesson.slug, i, step.title, text, rule, ident))
    return problems


def _drawn(
    kg: KnowledgeGraph,
    step: Step,
    draw: Callable[[KnowledgeGraph, Step], Neighbourhood | PathSet | Comparison | Timeline | None],
) -> frozenset[str]:
    return view_entities(draw(kg, step))


def _reader_parts(step: Step) -> Iterator[tuple[str, str]]:
    """(where, Markdown) for everything a reader sees in a step."""
    yield "the title", step.title
    yield "the text", step.text
    if step.question is not None:
        q = step.question
        yield "the question", q.prompt
        for n, choice in enumerate(q.choices, start=1):
            yield f"choice {n}", choice
        yield "the explanation", q.explanation
        for n, text in enumerate(q.feedback, start=1):
            yield f"feedback {n}", text


def _view_problems(
    kg: KnowledgeGraph,
    step: Step,
    draw: Callable[[KnowledgeGraph, Step], Neighbourhood | PathSet | Comparison | Timeline | None] = step_view,
) -> list[str]:
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
        out += relation_problems(kg, view.relations)
        if view.min_evidence and view.min_evidence not in _LEVEL_KEYS:
            out.append(f"unknown evidence level {view.min_evidence!r}; use one of {', '.join(sorted(_LEVEL_KEYS))}")
    elif isinstance(view, PathView):
        from kgexplorer.model.paths import path_group_key, path_groups

        names = (view.source, view.target)
        known = {path_group_key(g) for g in path_groups(view.via)}
        out += [f"unknown relation group {g!r} in via; use one of mechanistic, clinical, regulatory, bibliographic"
                for g in view.via if g not in known]  # fmt: skip
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
        result = draw(kg, step)
    except KgExplorerError as exc:
        return [f"the view fails: {exc}"]
    if isinstance(view, PathView) and result is not None and not getattr(result, "paths", ()):
        return [
            f"no path of at most {view.max_length} steps links {view.source} and {view.target}; raise "
            "max_length or change the ends"
        ]
    return []


def _resolves(kg: KnowledgeGraph, name: str) -> bool:
    try:
        kg.resolve(name)
    except KgExplorerError:
        return False
    return True
