"""Lessons for the classroom: a whole lesson as one offline HTML page, or as a printable handout.

Both are built from the same page parts as the view exports (:mod:`kgexplorer.views.html_page`): the same
escaping, the same Content-Security-Policy, the same sources panel and citation. A lesson's text is a
small Markdown subset (paragraphs, **bold**, *italic*, ``code``, lists, hard line breaks) turned into
HTML here after escaping everything, so a lesson file can never add markup, scripts or links.

>>> from kgexplorer import KnowledgeGraph
>>> from kgexplorer.views.lessons import get_lesson
>>> with KnowledgeGraph.bundled() as kg:
...     page = export_lesson_html(get_lesson("how-ketamine-works"), kg=kg)
>>> page.startswith("<!DOCTYPE html>"), "Cite this lesson" in page
(True, True)
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from kgexplorer.engine.results import AskResult, SelectResult
from kgexplorer.errors import ExportError, KgExplorerError
from kgexplorer.namespaces import shorten
from kgexplorer.terms import IRI

from .html_page import cite_block, escape, fetch_claims, html_page, sources_block, table_block, view_block, view_data
from .image import _figure
from .lessons import question_citations, reader_text
from .render import GraphView, clean_text, render

if TYPE_CHECKING:
    from kgexplorer.knowledge_graph import KnowledgeGraph

    from .lessons import Lesson, Question

__all__ = ["export_lesson_handout", "export_lesson_html"]


def export_lesson_html(lesson: Lesson, *, kg: KnowledgeGraph) -> str:
    """A whole lesson as one offline HTML page: every step's text, live graph, query results and question
    (with a control that reveals the answer). Steps are shown one at a time, or all without JavaScript.

    >>> from kgexplorer import KnowledgeGraph
    >>> from kgexplorer.views.lessons import get_lesson
    >>> with KnowledgeGraph.bundled() as kg:
    ...     page = export_lesson_html(get_lesson("how-ketamine-works"), kg=kg)
    >>> page.count('<section class="kg-step"')
    6
    """
    body, data = _lesson_head(lesson), {}
    body += '<nav class="kg-steps" hidden><button type="button" id="kg-prev">Previous</button> '
    body += (
        '<span id="kg-step-status" aria-live="polite"></span> <button type="button" id="kg-next">Next</button> '
        '<button type="button" id="kg-present" aria-pressed="false" title="Full screen, one step at a time; '
        'arrow keys move between steps">Present</button></nav>\n'
    )
    for i, step in enumerate(lesson.steps, start=1):
        body += (
            f'<section class="kg-step" id="step-{i}">\n<h2>Step {i} of {len(lesson.steps)}: {escape(step.title)}</h2>\n'
        )
        body += _markdown(step.text)
        if (svg := _timeline(kg, lesson, i)) is not None:
            body += svg
        elif (drawn := _step_view(kg, lesson, i)) is not None:
            claims, key = fetch_claims(kg, drawn), f"s{i}"
            data[key] = view_data(drawn, claims)
            body += f"<p>{escape(drawn.summary)}</p>\n" + view_block(drawn, key, evidence=True)
            body += table_block(drawn, key) + sources_block(drawn, claims, key)
        body += _query(kg, lesson, i)
        if step.question:
            body += _question(kg, step.question, i, reveal=True)
        body += "</section>\n"
    body += cite_block(kg, {"Lesson": f"{lesson.title} ({lesson.slug})"}, "Cite this lesson") + "</main>\n"
    return html_page(lesson.title, body, data=data)


def export_lesson_handout(lesson: Lesson, *, kg: KnowledgeGraph) -> str:
    """A printable HTML handout of a lesson: each view as an inline SVG picture with its sources, the
    questions, and an answer key at the end. It has no script at all.

    >>> from kgexplorer import KnowledgeGraph
    >>> from kgexplorer.views.lessons import get_lesson
    >>> with KnowledgeGraph.bundled() as kg:
    ...     page = export_lesson_handout(get_lesson("how-ketamine-works"), kg=kg)
    >>> "<script" in page, "Answer key" in page
    (False, True)
    """
    body, answers = _lesson_head(lesson), []
    for i, step in enumerate(lesson.steps, start=1):
        body += f'<section class="kg-step" id="step-{i}">\n<h2>{i}. {escape(step.title)}</h2>\n{_markdown(step.text)}'
        if (timeline := _timeline(kg, lesson, i)) is not None:
            body += timeline
        elif (drawn := _step_view(kg, lesson, i)) is not None:
            svg = _figure(drawn, fmt="svg", title="", notes=[], size=(1200, 760), salt=f"step{i}")
            svg_text = svg.decode("utf-8")
            body += f'<figure class="kg-figure" role="img" aria-label="{escape(drawn.summary)}">'
            body += svg_text[svg_text.index("<svg") :] + f"<figcaption>{escape(drawn.summary)}</figcaption></figure>\n"
            body += sources_block(drawn, fetch_claims(kg, drawn), f"s{i}", open_=True)
        body += _query(kg, lesson, i)
        if step.question:
            body += _question(kg, step.question, i, reveal=False)
            answers.append(f"<li><p>Step {i}: {_question_answer(kg, step.question)}</p></li>")
    if answers:
        body += f'<section class="kg-answers"><h2>Answer key</h2><ol>{"".join(answers)}</ol></section>\n'
    body += cite_block(kg, {"Lesson": f"{lesson.title} ({lesson.slug})"}, "Cite this handout") + "</main>\n"
    return html_page(f"{lesson.title} (handout)", body, data=None)


def _lesson_head(lesson: Lesson) -> str:
    goals = "".join(f"<li>{escape(o)}</li>" for o in lesson.objectives)
    return (
        f"<header><h1>{escape(lesson.title)}</h1><p>For: {escape(lesson.audience)} · about {lesson.minutes} minutes</p>"
        f"{_markdown(lesson.summary)}<p>You will be able to:</p><ul>{goals}</ul></header>\n<main>\n"
    )


def _timeline(kg: KnowledgeGraph, lesson: Lesson, index: int) -> str | None:
    """A timeline step's picture: the server-drawn SVG inline, with its summary; None for other steps."""
    from kgexplorer.model.timeline import Timeline

    from .lessons import TimelineView, step_view
    from .timeline_svg import timeline_svg

    if not isinstance(lesson.steps[index - 1].view, TimelineView):
        return None
    try:
        view = step_view(kg, lesson.steps[index - 1])
    except KgExplorerError as exc:
        raise ExportError(
            f"lesson {lesson.slug}, step {index}: its timeline fails ({exc}); fix the lesson file"
        ) from None
    assert isinstance(view, Timeline)
    return (
        f'<figure class="kg-figure kg-timeline" role="img" aria-label="{escape(view.summary)}">{timeline_svg(view)}'
        f"<figcaption>{escape(view.summary)}</figcaption></figure>\n"
    )


def _step_view(kg: KnowledgeGraph, lesson: Lesson, index: int) -> GraphView | None:
    from kgexplorer.model.timeline import Timeline

    from .lessons import step_view

    try:
        view = step_view(kg, lesson.steps[index - 1])
        if isinstance(view, Timeline):
            return None  # drawn by _timeline
        return None if view is None else render(view, settings=kg.settings)
    except KgExplorerError as exc:
        raise ExportError(f"lesson {lesson.slug}, step {index}: its view fails ({exc}); fix the lesson file") from None


def _query(kg: KnowledgeGraph, lesson: Lesson, index: int) -> str:
    query = lesson.steps[index - 1].query
    if not query:
        return ""
    limit = kg.settings.export_query_rows
    try:
        result = kg.sparql(query, max_rows=limit)
    except KgExplorerError as exc:
        raise ExportError(f"lesson {lesson.slug}, step {index}: its query fails ({exc}); fix the lesson file") from None
    out = '<details class="kg-query"><summary>The query (SPARQL)</summary>'
    out += f"<pre><code>{escape(query)}</code></pre></details>"
    if isinstance(result, AskResult):
        return out + f"<p>Answer: {'yes' if result.value else 'no'}</p>\n"
    if isinstance(result, SelectResult):
        head, rows = result.variables, [[_cell(v) for v in r] for r in result.rows]
    else:
        head, rows = (
            ("subject", "predicate", "object"),
            [[_cell(t.subject), _cell(t.predicate), _cell(t.object)] for t in result.triples],
        )
    cut = f"<caption>Only the first {limit} rows are shown (setting export_query_rows).</caption>"
    out += f'<table class="kg-results">{cut if result.truncated else ""}<thead><tr>'
    out += "".join(f"<th>{escape(h)}</th>" for h in head) + "</tr></thead><tbody>"
    out += "".join("<tr>" + "".join(f"<td>{escape(c)}</td>" for c in r) + "</tr>" for r in rows)
    return out + "</tbody></table>\n"


def _cell(term: object) -> str:
    return "" if term is None else shorten(term.value) if isinstance(term, IRI) else clean_text(str(term))


def _question(kg: KnowledgeGraph, q: Question, index: int, *, reveal: bool) -> str:
    kind = "checkbox" if q.several else "radio"
    choices = "".join(
        f'<li><label><input type="{kind}" name="q{index}"> {escape(_plain(c))}</label></li>'
        if reveal
        else f"<li>{escape(_plain(c))}</li>"
        for c in q.choices
    )
    several = " (pick every right answer)" if q.several else ""
    out = (
        f'<div class="kg-question"><p><strong>Question:</strong> {escape(_plain(q.prompt))}{several}</p>'
        f'<ol type="A">{choices}</ol>'
    )
    if reveal:
        out += (
            f'<details class="kg-answer"><summary>Show the answer</summary><p>{_question_answer(kg, q)}</p></details>'
        )
    return out + "</div>\n"


def _question_answer(kg: KnowledgeGraph, q: Question) -> str:
    right = [a for a in q.right if 0 <= a < len(q.choices)]
    letters = ", ".join(f"{chr(ord('A') + a)}. {escape(_plain(q.choices[a]))}" for a in right) or "?"
    cited = "; ".join(c.label + (f" ({', '.join(c.studies)})" if c.studies else "") for c in question_citations(kg, q))
    cites = f'<br><span class="kg-meta">Claims cited: {escape(cited)}</span>' if cited else ""
    feedback = ""
    if q.feedback:
        feedback = (
            "<ul>"
            + "".join(
                f"<li>{chr(ord('A') + i)}: {escape(_plain(f))}</li>" for i, f in enumerate(q.feedback) if f.strip()
            )
            + "</ul>"
        )
    label = "Answers" if len(right) > 1 else "Answer"
    return f"<strong>{label}: {letters}</strong><br>{escape(_plain(q.explanation))}{feedback}{cites}"


def _plain(text: str) -> str:
    """Quiz text as a reader sees it: entity links as their words, no links or images."""
    return reader_text(text)


_INLINE = (
    (re.compile(r"`([^`\n]+)`"), r"<code>\1</code>"),
    (re.compile(r"\*\*(?=\S)(.+?)(?<=\S)\*\*", re.S), r"<strong>\1</strong>"),
    (re.compile(r"(?<![\w*])\*(?=[^\s*])(.+?)(?<=[^\s*])\*(?![\w*])", re.S), r"<em>\1</em>"),
)
_ITEM = re.compile(r"^\s*(?:([-*+])|(\d+)[.)])\s+(.*)$")


def _markdown(text: str) -> str:
    """A small Markdown subset: paragraphs, **bold**, *italic*, `code`, lists and hard line breaks.

    Everything is escaped first, so only the tags made here exist; links stay plain text.

    >>> _markdown("A **b** <i>\\n\\n- one\\n  more\\n- two")
    '<p>A <strong>b</strong> &lt;i&gt;</p>\\n<ul><li>one more</li><li>two</li></ul>\\n'
    """
    out: list[str] = []
    para: list[str] = []
    items: list[list[str]] = []
    ordered = False

    def inline(lines: list[str]) -> str:
        joined = re.sub(r"(  |\\)\n", "<br>", "\n".join(escape(_clean_line(x)) for x in lines)).replace("\n", " ")
        for pattern, repl in _INLINE:
            joined = pattern.sub(repl, joined)
        return joined

    def flush() -> None:
        if para:
            out.append(f"<p>{inline(para)}</p>\n")
            para.clear()
        if items:
            tag = "ol" if ordered else "ul"
            out.append(f"<{tag}>" + "".join(f"<li>{inline(i)}</li>" for i in items) + f"</{tag}>\n")
            items.clear()

    for line in reader_text(text).replace("\r\n", "\n").split("\n"):
        match = _ITEM.match(line)
        if not line.strip():
            flush()
        elif match:
            if para or (items and ordered != bool(match.group(2))):
                flush()
            ordered = bool(match.group(2))
            items.append([match.group(3)])
        elif items:
            items[-1].append(line.strip())
        else:
            para.append(line.strip() if not line.endswith("  ") else line.strip() + "  ")
    flush()
    return "".join(out)


def _clean_line(line: str) -> str:
    tail = "  " if line.endswith("  ") else ""
    return clean_text(line) + tail  # clean_text strips, so keep a hard-break marker
