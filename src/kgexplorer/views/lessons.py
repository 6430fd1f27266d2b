"""Guided lessons: a sequence of explained views of the graph, with optional queries and quiz questions.

A lesson is a YAML file in graph/lessons/ (see graph/lessons/README.md for the format). Each step has
Markdown text and optionally a view (an entity's neighbourhood, a path between two entities, or a
comparison of substances), a SPARQL query and a multiple-choice question whose explanation cites
claims. :func:`check_lesson` verifies that everything a lesson refers to exists and runs, and that the
lesson is true to its own views:

- A step names an entity by an explicit link in its Markdown, ``[alcohol use disorder](kg:alcohol_use_disorder)``
  (:func:`entity_links`); every entity a step's text, question or feedback names is drawn in that step's view.
- A substance or condition written out by its name without a link is reported, so a name cannot slip past the
  check by not being linked.
- No raw identifier (``claim_…``, ``kg:…``, ``snake_case`` names) reaches a reader; :func:`reader_text` turns
  the links into their words.

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

import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import yaml

from kgexplorer.engine.store import bundled_graph_dir
from kgexplorer.errors import KgExplorerError
from kgexplorer.evidence import LEVELS
from kgexplorer.namespaces import KG, KGX
from kgexplorer.terms import IRI

from .lesson_text import (
    LINK,
    Citation,
    EntityLink,
    citations,
    entity_links,
    name_index,
    raw_ids,
    reader_text,
    written_names,
)

if TYPE_CHECKING:
    from kgexplorer.knowledge_graph import KnowledgeGraph
    from kgexplorer.model.compare import Comparison
    from kgexplorer.model.neighbourhood import Neighbourhood, PathSet

__all__ = [
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
    "check_lesson",
    "entity_links",
    "get_lesson",
    "load_lessons",
    "question_citations",
    "reader_text",
    "step_view",
    "view_entities",
]

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


View = FocusView | PathView | CompareView


@dataclass(frozen=True)
class Question:
    """A multiple-choice question; ``answer`` is the index of the right choice, ``cites`` claim ids."""

    prompt: str
    choices: tuple[str, ...]
    answer: int
    explanation: str
    cites: tuple[str, ...] = ()


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


#: What kind of problem a :class:`LessonProblem` is:
#: ``structure`` (no steps), ``view`` (an unknown entity, filter or a view that fails), ``query``, ``question``,
#: ``unknown-entity`` (a link names no entity), ``not-in-view`` (a named entity is not drawn in the step's view),
#: ``unlinked-name`` (a substance or condition written without a link), ``raw-id`` (an identifier a reader
#: would see).
ProblemRule = Literal[
    "structure", "view", "query", "question", "unknown-entity", "not-in-view", "unlinked-name", "raw-id"
]


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
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise LessonError(f"cannot read lesson {path.name}: {exc}; fix the YAML") from None
    if not isinstance(raw, dict):
        raise LessonError(f"lesson {path.name} must be a YAML mapping with title, audience, steps …")
    try:
        steps = tuple(_step(s, i) for i, s in enumerate(raw["steps"], start=1))
        return Lesson(
            slug=path.stem,
            title=str(raw["title"]),
            audience=str(raw["audience"]),
            minutes=int(raw["estimated_minutes"]),
            objectives=tuple(str(o) for o in raw["objectives"]),
            steps=steps,
            summary=str(raw.get("summary", "")),
            path=str(path),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise LessonError(
            f"lesson {path.name} is missing or has a bad field ({exc}); see graph/lessons/README.md for the format"
        ) from None


def _step(raw: Any, index: int) -> Step:
    if not isinstance(raw, dict) or "title" not in raw or "text" not in raw:
        raise ValueError(f"step {index} needs a title and text")
    q = raw.get("question")
    question = None
    if q is not None:
        question = Question(
            prompt=str(q["prompt"]),
            choices=tuple(str(c) for c in q["choices"]),
            answer=int(q["answer"]),
            explanation=str(q["explanation"]),
            cites=tuple(str(c) for c in q.get("cites", ())),
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
    raise ValueError("a view needs 'focus', 'path' or 'compare'")


def view_entities(view: Neighbourhood | PathSet | Comparison | None) -> frozenset[str]:
    """The entities (IRIs) a step's view draws; empty without a view."""
    if view is None:
        return frozenset()
    # A "+N more" node stands for entities the view does not draw.
    return frozenset(str(n) for n, data in view.graph.nodes(data=True) if "more_of" not in data)


def step_view(kg: KnowledgeGraph, step: Step) -> Neighbourhood | PathSet | Comparison | None:
    """The graph view of a step, built from the knowledge graph."""
    view = step.view
    if view is None:
        return None
    if isinstance(view, FocusView):
        relations = [KGX + r for r in view.relations] or None
        return kg.neighbourhood(
            view.focus, depth=view.depth, kinds=view.kinds or None, relations=relations, min_evidence=view.min_evidence
        )
    if isinstance(view, PathView):
        return kg.paths(view.source, view.target, k=view.k, max_length=view.max_length)
    from kgexplorer.model.compare import compare

    return compare(kg, list(view.substances))


def check_lesson(
    kg: KnowledgeGraph,
    lesson: Lesson,
    *,
    draw: Callable[[KnowledgeGraph, Step], Neighbourhood | PathSet | Comparison | None] = step_view,
) -> list[LessonProblem]:
    """Everything wrong with a lesson: unknown entities, filters, claims; views, paths or queries that fail;
    entities its text, question or feedback names that its step's view does not draw; substances and
    conditions named without a link; raw identifiers a reader would see.

    ``draw`` builds a step's view (default :func:`step_view`); a lesson editor can pass the view it shows.
    """
    problems: list[LessonProblem] = []
    if not lesson.steps:
        problems.append(LessonProblem(lesson.slug, 0, "", "the lesson has no steps"))
    where = {"the title": lesson.title, "the summary": lesson.summary, "the audience": lesson.audience}
    where |= {f"objective {i}": o for i, o in enumerate(lesson.objectives, start=1)}
    for place, text in where.items():
        problems += [LessonProblem(lesson.slug, 0, "", msg, "raw-id", ident) for ident, msg in raw_ids(place, text)]
    names = name_index(kg)
    for i, step in enumerate(lesson.steps, start=1):

        def add(rule: ProblemRule, texts: Sequence[str], step: Step = step, i: int = i) -> None:
            problems.extend(LessonProblem(lesson.slug, i, step.title, text, rule) for text in texts)

        view_problems = _view_problems(kg, step, draw)
        add("view", view_problems)
        add("query", _query_problems(kg, step))
        add("question", _question_problems(kg, step))
        for rule, ident, text in _naming_problems(kg, step, draw, names, view_ok=not view_problems):
            problems.append(LessonProblem(lesson.slug, i, step.title, text, rule, ident))
    return problems


def _reader_parts(step: Step) -> Iterator[tuple[str, str]]:
    """(where, Markdown) for everything a reader sees in a step."""
    yield "the title", step.title
    yield "the text", step.text
    if step.question is not None:
        q = step.question
        yield "the question", q.prompt
        for n, choice in enumerate(q.choices, start=1):
            yield f"choice {n}", choice
        yield "the feedback", q.explanation


def _naming_problems(
    kg: KnowledgeGraph,
    step: Step,
    draw: Callable[[KnowledgeGraph, Step], Neighbourhood | PathSet | Comparison | None],
    names: dict[str, tuple[str, re.Pattern[str]]],
    *,
    view_ok: bool,
) -> list[tuple[ProblemRule, str, str]]:
    """Raw ids anywhere; links that name nothing; and, in a step with a view, every entity named (by a link,
    or written out without one) must be drawn in it. A step without a view shows no picture its text could
    contradict, so only its links are checked."""
    out: list[tuple[ProblemRule, str, str]] = []
    linked: dict[str, str] = {}
    written: dict[str, str] = {}
    for place, text in _reader_parts(step):
        out += [("raw-id", ident, msg) for ident, msg in raw_ids(place, text)]
        for lk in entity_links(text):
            linked.setdefault(lk.entity, place)
        for ident in written_names(LINK.sub(" ", text), names):
            written.setdefault(ident, place)
    unknown = {
        ident
        for ident in linked
        if not kg.select("SELECT ?e WHERE { ?e ?p ?o } LIMIT 1", values={"e": IRI(KG + ident)}).rows
    }
    out += [
        ("unknown-entity", ident, f"{linked[ident]} links kg:{ident}, which is not in the graph; link an entity id")
        for ident in unknown
    ]
    if step.view is None or not view_ok:
        return out
    for ident, place in written.items():
        if ident not in linked:
            label = names[ident][0]
            out.append(
                (
                    "unlinked-name",
                    ident,
                    f"{place} names {label!r} without a link; link it once in the step, [{label}](kg:{ident}), so "
                    "the check can see that the view draws it",
                )
            )
    try:
        shown = view_entities(draw(kg, step))
    except KgExplorerError:
        return out
    out += [
        (
            "not-in-view",
            ident,
            f"{place} names {ident!r}, which the step's view does not draw; change the view or the text",
        )
        for ident, place in linked.items()
        if KG + ident not in shown and ident not in unknown
    ]
    return out


def _view_problems(
    kg: KnowledgeGraph,
    step: Step,
    draw: Callable[[KnowledgeGraph, Step], Neighbourhood | PathSet | Comparison | None] = step_view,
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
    if not 0 <= q.answer < len(q.choices):
        out.append(f"the answer index {q.answer} is not one of the {len(q.choices)} choices (counted from 0)")
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
