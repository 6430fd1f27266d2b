"""Lessons: step through a guided lesson — text, a live view (graph, comparison or timeline), a query and a quiz."""

import streamlit as st

from kgexplorer import KgExplorerError, ui
from kgexplorer.ui import lessons as ui_lessons
from kgexplorer.views.lessons import get_lesson, load_lessons

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

presenting = st.toggle(
    "Presentation mode",
    key="lesson_present",
    help="For a projector: a taller graph, the question folded until you open it, ← and → to move between "
    "steps. Press F11 for full screen, or export the lesson as a web page and press Present there.",
)
st.caption(f"{ui.md(lesson.audience)} · about {lesson.minutes} minutes")
if index == 1 and not presenting:
    st.markdown(ui.md(lesson.summary))
    st.markdown("**You will be able to:**\n" + "\n".join(f"- {ui.md(o)}" for o in lesson.objectives))
st.progress(index / total, text=f"Step {index} of {total}")
step = lesson.steps[index - 1]
ui_lessons.lesson_step(kg, step, key=f"lesson_{slug}_{index}", presenting=presenting)


def go_to(step_number: int) -> None:
    """A step button: runs before the page redraws, so the step and its address change in one run."""
    st.session_state[step_key] = step_number


left, _, right = st.columns([1, 4, 1])
# The arrow keys step through the lesson (a presenter's clicker sends Page Up/Down; the page scrolls with those).
left.button("← Previous", disabled=index == 1, key="lesson_prev", on_click=go_to, args=(index - 1,), shortcut="Left")
right.button("Next →", disabled=index == total, key="lesson_next", on_click=go_to, args=(index + 1,), shortcut="Right")
if not presenting:
    ui.lesson_export_menu(lesson, key="lesson_export")
