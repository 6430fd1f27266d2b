"""Lessons: step through a guided lesson — text, a live view, a query and a question at each step."""

import streamlit as st

from kgexplorer import KgExplorerError, ui
from kgexplorer.views.lessons import get_lesson, load_lessons, question_citations, reader_text, step_view

kg = ui.get_graph()
st.title("Lessons")
ui.disclaimer()
ui.require_project_vocabulary("Lessons")
lessons = {lesson.slug: lesson for lesson in load_lessons()}
wanted = ui.param("lesson")
slug = st.selectbox(
    "Lesson",
    list(lessons),
    index=list(lessons).index(wanted) if wanted in lessons else 0,
    format_func=lambda s: lessons[s].title,
    key="lesson_pick",
)
try:
    lesson = get_lesson(slug)
except KgExplorerError as exc:
    ui.show_error(exc)
    st.stop()
total = len(lesson.steps)
step_key = f"lesson_step_{slug}"
if step_key not in st.session_state:
    st.session_state[step_key] = ui.int_param("step", 1, lowest=1, highest=total)
index = st.session_state[step_key]
ui.set_params(lesson=slug, step=index)

st.caption(f"{ui.md(lesson.audience)} · about {lesson.minutes} minutes")
if index == 1:
    st.markdown(ui.md(lesson.summary))
    st.markdown("**You will be able to:**\n" + "\n".join(f"- {ui.md(o)}" for o in lesson.objectives))
st.progress(index / total, text=f"Step {index} of {total}")
step = lesson.steps[index - 1]
st.header(step.title, anchor=False)
# Lesson text is project-authored Markdown, reviewed with the graph; its entity links open Explore.
st.markdown(reader_text(step.text, link=ui.entity_link))
if step.view is not None:
    try:
        view = step_view(kg, step)
    except KgExplorerError as exc:
        ui.show_error(exc)
    else:
        if view is not None:
            ui.network_view(view, key=f"lesson_graph_{slug}_{index}")
if step.query:
    with st.expander("The SPARQL query behind this step", expanded=False):
        st.code(step.query, language="sparql")
    try:
        result = kg.sparql(step.query, client=ui.session_client())
    except KgExplorerError as exc:
        ui.show_error(exc)
    else:
        if hasattr(result, "rows"):
            st.dataframe(
                [{k: (str(v) if v is not None else "") for k, v in row.items()} for row in result],
                hide_index=True,
                width="stretch",
                key=f"lesson_rows_{slug}_{index}",
            )
if step.question is not None:
    q = step.question
    with st.container(border=True):
        choice = st.radio(
            reader_text(q.prompt),
            list(range(len(q.choices))),
            format_func=lambda i: reader_text(q.choices[i]),
            index=None,
            key=f"lesson_q_{slug}_{index}",
        )
        if choice is not None:
            explanation = reader_text(q.explanation, link=ui.entity_link)
            if choice == q.answer:
                st.success("Right. " + explanation)
            else:
                st.error(f"Not quite: the answer is “{reader_text(q.choices[q.answer])}”. {explanation}")
            cited = question_citations(kg, q)
            st.caption(
                "Evidence:  \n"
                + "  \n".join(
                    ui.md(c.label) + (f" ({ui.md('; '.join(c.studies))})" if c.studies else "") for c in cited
                )
            )


def go_to(step_number: int) -> None:
    """A step button: runs before the page redraws, so the step and its address change in one run."""
    st.session_state[step_key] = step_number


left, _, right = st.columns([1, 4, 1])
left.button("← Previous", disabled=index == 1, key="lesson_prev", on_click=go_to, args=(index - 1,))
right.button("Next →", disabled=index == total, key="lesson_next", on_click=go_to, args=(index + 1,))
ui.lesson_export_menu(lesson, key="lesson_export")
