"""The app's lesson parts: one step shown as students see it (the Lessons page and the builder's preview
use the same function), and the "Add to a lesson" button every view page carries.

The lesson being built lives in this browser session (``st.session_state``) and autosaves in the browser
itself (``localStorage``, through the small component ``autosave``): nothing is stored on the server for
other visitors. A new session in the same browser gets the saved draft back on the builder page. It is
also saved by downloading the lesson file and loaded back by uploading it.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from kgexplorer.engine.results import SelectResult
from kgexplorer.errors import KgExplorerError
from kgexplorer.views.lesson_builder import add_step, capture, new_lesson
from kgexplorer.views.lesson_text import link_names, name_index, reader_text

from . import md, network_view, session_client, show_error
from .markdown import entity_link
from .session import data_source, get_graph

if TYPE_CHECKING:
    from kgexplorer.knowledge_graph import KnowledgeGraph
    from kgexplorer.views.lessons import Lesson, Question, Step, View

__all__ = ["DRAFT_KEY", "add_to_lesson", "autosave", "draft", "lesson_step", "set_draft"]

#: Where the lesson being built is kept in the session.
DRAFT_KEY = "lesson_draft"
_GENERATION = "lesson_draft_generation"
_OFFERED = "lesson_draft_offered"
#: The graph's height in pixels in presentation mode (a projector's screen, below the step's title).
PRESENT_HEIGHT = 760
#: The browser side of the autosave: write the draft's file text, or offer back what was written before.
#: Storage may be refused (private windows, policies): then the draft lives in the session only.
_AUTOSAVE_JS = """
export default function (component) {
  const { data, setTriggerValue } = component;
  const KEY = "kgexplorer.lessonDraft";
  try {
    if (data && data.offer) {
      const saved = window.localStorage.getItem(KEY);
      if (saved) setTriggerValue("restored", saved);
    } else if (data && typeof data.draft === "string") {
      window.localStorage.setItem(KEY, data.draft);
    }
  } catch (error) {
    return;
  }
}
"""


def draft() -> Lesson:
    """The lesson being built in this session (an empty one to start)."""
    lesson: Lesson | None = st.session_state.get(DRAFT_KEY)
    if lesson is None:
        lesson = new_lesson(title="My lesson")
        st.session_state[DRAFT_KEY] = lesson
    return lesson


def set_draft(lesson: Lesson, *, rebuild: bool = False) -> None:
    """Keep ``lesson`` as the draft; ``rebuild`` (after a move, delete, load or add) refreshes the editors."""
    st.session_state[DRAFT_KEY] = lesson
    if rebuild:
        st.session_state[_GENERATION] = generation() + 1


def generation() -> int:
    """Bumped on every structural change, so the builder's editor widgets start from the draft again."""
    return int(st.session_state.get(_GENERATION, 0))


@functools.cache
def _autosave_component() -> Callable[..., Any]:
    return st.components.v2.component("kgexplorer_lesson_autosave", html="", js=_AUTOSAVE_JS)


def autosave(*, restore: bool, key: str = "lesson_autosave") -> None:
    """Keep the draft in this browser's storage. With ``restore`` (the builder page), a session whose draft
    has no steps yet first gets the draft the browser kept, once; it is read like an uploaded file."""
    from kgexplorer.views.lesson_builder import lesson_yaml, read_lesson_file

    if get_script_run_ctx(suppress_warning=True) is None:
        return
    lesson = draft()

    def restored() -> None:
        text = getattr(st.session_state.get(key), "restored", None)
        if not text or draft().steps:
            return
        slug, _, body = str(text).partition("\n")  # the file name travels on the first line
        try:
            back = read_lesson_file(body.encode("utf-8"), filename=f"{slug}.yaml")
        except KgExplorerError:
            return  # a draft this version cannot read stays in the browser, unused
        set_draft(back, rebuild=True)

    offer = restore and not lesson.steps and not st.session_state.get(_OFFERED)
    st.session_state[_OFFERED] = True
    if not offer and not restore and not lesson.steps:
        return  # another page of a new session must not wipe the draft the builder page will offer back
    data = {"offer": True} if offer else {"draft": f"{lesson.slug}\n{lesson_yaml(lesson)}" if lesson.steps else ""}
    _autosave_component()(data=data, key=key, height=0, on_restored_change=restored)


def add_to_lesson(view: View | None, *, title: str, key: str, query: str | None = None) -> None:
    """The "Add to a lesson" button: the view's exact state (or the query) becomes the draft's last step."""

    def add() -> None:
        # The title names substances and conditions as a page wrote them: link each once, so the lesson checker
        # (which wants every such name linked) passes the new step as it stands.
        linked = link_names(title, name_index(get_graph())) if data_source().uses_project_vocabulary else title
        set_draft(add_step(draft(), capture(view, query=query, title=linked)), rebuild=True)
        st.toast(f"Added as step {len(draft().steps)} of your lesson: open the Lesson builder to write it.")

    autosave(restore=False, key=f"{key}_autosave")  # one per button: a page may have several
    st.button(
        "Add to a lesson",
        icon=":material/playlist_add:",
        key=key,
        on_click=add,
        help="Adds this view, as it is now, as a step of the lesson you are building (Lesson builder page).",
    )


def lesson_step(kg: KnowledgeGraph, step: Step, *, key: str, presenting: bool = False) -> None:
    """One step as students see it: title, text, its view (graph, comparison or timeline), query and quiz.

    ``presenting`` (presentation mode, for a projector) draws the graph taller and keeps the quiz folded
    until the presenter opens it."""
    from kgexplorer.model.timeline import Timeline
    from kgexplorer.views.lessons import step_view
    from kgexplorer.views.timeline_svg import timeline_svg

    st.header(reader_text(step.title), anchor=False)
    # Entity links open that entity in Explore; no other link or image can load or be followed.
    st.markdown(reader_text(step.text, link=entity_link))
    if step.view is not None:
        try:
            view = step_view(kg, step)
        except KgExplorerError as exc:
            show_error(exc)
        else:
            if isinstance(view, Timeline):
                st.caption(md(view.summary))
                st.image(timeline_svg(view), width="stretch", alt="Timeline: " + view.summary)
            elif view is not None:
                network_view(view, key=f"{key}_graph", height=PRESENT_HEIGHT if presenting else 540)
    if step.query:
        with st.expander("The SPARQL query behind this step", expanded=False):
            st.code(step.query, language="sparql")
        try:
            result = kg.sparql(step.query, client=session_client())
        except KgExplorerError as exc:
            show_error(exc)
        else:
            if isinstance(result, SelectResult):
                st.dataframe(
                    [{k: (str(v) if v is not None else "") for k, v in row.items()} for row in result],
                    hide_index=True,
                    width="stretch",
                    key=f"{key}_rows",
                )
    if step.question is not None and presenting:
        with st.expander("Show the question", icon=":material/quiz:"):
            _quiz(kg, step.question, key=f"{key}_q")
    elif step.question is not None:
        _quiz(kg, step.question, key=f"{key}_q")


def _quiz(kg: KnowledgeGraph, q: Question, *, key: str) -> None:
    from kgexplorer.views.lessons import question_citations

    choices = [reader_text(c) for c in q.choices]
    with st.container(border=True):
        if q.several:
            picked = st.multiselect(
                reader_text(q.prompt) + " (pick every right answer)",
                list(range(len(choices))),
                format_func=lambda i: choices[i],
                key=key,
            )
            done = st.toggle("Check my answer", key=f"{key}_check") and bool(picked)
        else:
            one = st.radio(
                reader_text(q.prompt),
                list(range(len(choices))),
                format_func=lambda i: choices[i],
                index=None,
                key=key,
            )
            picked, done = ([] if one is None else [one]), one is not None
        if not done:
            return
        right = [choices[i] for i in q.right if 0 <= i < len(choices)]
        if set(picked) == set(q.right):
            st.success("Right. " + reader_text(q.explanation, link=entity_link))
        else:
            answer = " and ".join(f"“{c}”" for c in right)
            st.error(f"Not quite: the answer is {answer}. {reader_text(q.explanation, link=entity_link)}")
        for i in picked:
            if i < len(q.feedback) and q.feedback[i].strip():
                st.info(f"{choices[i]}: {reader_text(q.feedback[i])}")
        if cited := question_citations(kg, q):
            st.caption(
                "Evidence:  \n"
                + "  \n".join(md(c.label) + (f" ({md('; '.join(c.studies))})" if c.studies else "") for c in cited)
            )
