"""Lesson builder: steps added from any view ("Add to a lesson"), written and checked here, saved as a
lesson file (the format the shipped lessons use) and exported like them.

The draft lives in this browser session and the browser's own storage: nothing is stored on the server.
"""

import streamlit as st

from kgexplorer import KgExplorerError, ui
from kgexplorer.model.compare import substance_choices
from kgexplorer.ui import lessons as ui_lessons
from kgexplorer.views import lesson_builder as lb
from kgexplorer.views.lessons import TimelineView, load_lessons

kg = ui.get_graph()
st.title("Lesson builder")
ui.disclaimer()
ui.require_project_vocabulary("The lesson builder")
st.caption(
    "Add steps with **Add to a lesson** on Explore, Connections, Compare or the SPARQL workbench, then write "
    "each step here. Your draft is kept in this browser only (never on the server) and comes back here next "
    "time; save the file to keep it for good or share it, and open it here again to go on editing. Name "
    "entities as `[Ketamine](kg:ketamine)`; readers see only the name."
)


def load_upload() -> None:
    """An uploaded lesson file becomes the draft (read within the setting lesson_file_kb)."""
    upload = st.session_state.get("lb_upload")
    if upload is None:
        return
    try:
        lesson = lb.read_lesson_file(upload.getvalue(), filename=upload.name, max_kb=kg.settings.lesson_file_kb)
    except KgExplorerError as exc:
        st.session_state["lb_load_error"] = str(exc)
    else:
        ui_lessons.set_draft(lesson, rebuild=True)


def start_from(slug: str | None) -> None:
    """Start from a shipped lesson, or from an empty one."""
    shipped = {lesson.slug: lesson for lesson in load_lessons()}
    ui_lessons.set_draft(shipped[slug] if slug else lb.new_lesson(title="My lesson"), rebuild=True)


def move(index: int, by: int) -> None:
    ui_lessons.set_draft(lb.move_step(ui_lessons.draft(), index, by=by), rebuild=True)


def remove(index: int) -> None:
    ui_lessons.set_draft(lb.remove_step(ui_lessons.draft(), index), rebuild=True)


def add_timeline(iris: list[str]) -> None:
    view = TimelineView(substances=tuple(ui.short_name(i) for i in iris))
    title = "History of " + " and ".join(kg.label(i) for i in iris)
    ui_lessons.set_draft(lb.add_step(ui_lessons.draft(), lb.capture(view, title=title)), rebuild=True)


with st.expander("Open a lesson file, or start again", icon=":material/folder_open:"):
    st.file_uploader(
        "Open a lesson file (.yaml) to edit it",
        type=["yaml", "yml"],
        key="lb_upload",
        on_change=load_upload,
        help=f"At most {kg.settings.lesson_file_kb} KiB (setting lesson_file_kb).",
    )
    if problem := st.session_state.pop("lb_load_error", None):
        st.warning(ui.md(problem), icon="⚠️")
    shipped = {lesson.slug: lesson.title for lesson in load_lessons()}
    c1, c2 = st.columns([3, 1])
    pick = c1.selectbox("Start from a shipped lesson", list(shipped), format_func=shipped.__getitem__, key="lb_pick")
    c2.button("Start from it", key="lb_start_shipped", on_click=start_from, args=(pick,))
    st.button("Start an empty lesson", key="lb_start_empty", on_click=start_from, args=(None,))

lesson = ui_lessons.draft()
g = ui_lessons.generation()
st.subheader("The lesson", anchor=False)
c1, c2 = st.columns([3, 1])
title = c1.text_input("Title", lesson.title, key=f"lb_{g}_title")
slug = c2.text_input("File name", lesson.slug, key=f"lb_{g}_slug", help="Lowercase letters, digits and hyphens.")
c1, c2 = st.columns([3, 1])
audience = c1.text_input("Audience", lesson.audience, key=f"lb_{g}_audience")
minutes = c2.number_input("Minutes", 1, 600, max(lesson.minutes, 1), key=f"lb_{g}_minutes")
summary = st.text_area("Summary", lesson.summary, key=f"lb_{g}_summary", height=80)
objectives = st.text_area(
    "What students will be able to do (one per line)", "\n".join(lesson.objectives), key=f"lb_{g}_objectives"
)
try:
    lesson = lb.edit_lesson(
        lesson,
        title=title,
        slug=slug.strip(),
        audience=audience,
        minutes=int(minutes),
        summary=summary.strip(),
        objectives=tuple(o.strip() for o in objectives.splitlines() if o.strip()),
    )
except KgExplorerError as exc:
    ui.show_error(exc)

if not lesson.steps:
    st.info("No steps yet: open Explore or Compare and press **Add to a lesson**, or add a timeline below.")
total = len(lesson.steps)
for i, step in enumerate(lesson.steps):
    with st.container(border=True):
        head, up, down, drop = st.columns([8, 1, 1, 1])
        head.markdown(f"**Step {i + 1} of {total}** · view: {ui.md(lb.describe_view(step.view))}")
        up.button("↑", key=f"lb_{g}_{i}_up", disabled=i == 0, on_click=move, args=(i, -1), help="Move up")
        down.button("↓", key=f"lb_{g}_{i}_down", disabled=i == total - 1, on_click=move, args=(i, 1), help="Move down")
        drop.button("✕", key=f"lb_{g}_{i}_delete", on_click=remove, args=(i,), help="Delete this step")
        edit, side = st.columns([3, 2], gap="large")
        with edit:
            step_title = st.text_input("Step title", step.title, key=f"lb_{g}_{i}_title")
            text = st.text_area("Text (Markdown)", step.text, key=f"lb_{g}_{i}_text", height=150)
            q = step.question
            question = None
            if st.toggle("Quiz question", q is not None, key=f"lb_{g}_{i}_quiz"):
                prompt = st.text_input("Question", q.prompt if q else "", key=f"lb_{g}_{i}_prompt")
                choices = st.text_area(
                    "Choices (one per line)", "\n".join(q.choices) if q else "", key=f"lb_{g}_{i}_choices"
                )
                options = [c.strip() for c in choices.splitlines() if c.strip()]
                right = st.multiselect(
                    "Right answers (one or several)",
                    list(range(len(options))),
                    default=[a for a in (q.right if q else ()) if a < len(options)],
                    format_func=lambda a, o=options: f"{chr(65 + a)}. {o[a]}",
                    key=f"lb_{g}_{i}_right",
                )
                feedback = st.text_area(
                    "Feedback per choice (one line per choice, in order; optional)",
                    "\n".join(q.feedback) if q else "",
                    key=f"lb_{g}_{i}_feedback",
                )
                explanation = st.text_area("Explanation", q.explanation if q else "", key=f"lb_{g}_{i}_explanation")
                cites = st.text_input(
                    "Claims or events cited (ids, comma-separated)",
                    ", ".join(q.cites) if q else "",
                    key=f"lb_{g}_{i}_cites",
                    help="The claims behind the explanation, e.g. claim_ketamine__actsOn__mtor (readers see names).",
                )
                question = lb.make_question(
                    prompt=prompt,
                    choices=tuple(options),
                    right=tuple(right),
                    explanation=explanation,
                    cites=tuple(c.strip() for c in cites.split(",") if c.strip()),
                    feedback=tuple(f.strip() for f in feedback.splitlines()) if feedback.strip() else (),
                )
        lesson = lb.replace_step(lesson, i, title=step_title, text=text.strip(), question=question)
        with side:
            problems = lb.check_step(kg, lesson, i)
            for p in problems:
                st.warning(ui.md(p.problem), icon="⚠️")
            if not problems:
                st.success("The checker finds nothing wrong with this step.", icon="✅")
            preview = st.toggle("Preview as students see it", key=f"lb_{g}_{i}_preview")
        if preview:
            ui_lessons.lesson_step(kg, lesson.steps[i], key=f"lb_{g}_{i}_pv")
ui_lessons.set_draft(lesson)
ui_lessons.autosave(restore=True)  # after the edits of this run, so the browser keeps the newest text

with st.container(border=True):
    st.markdown("**Add a timeline step**: the graph's dated, sourced events about up to four substances.")
    options = {c.iri: c.label for c in substance_choices(kg)}
    c1, c2 = st.columns([4, 1])
    picked = c1.multiselect(
        "Substances", list(options), format_func=options.__getitem__, max_selections=4, key="lb_timeline_pick"
    )
    c2.button("Add the timeline", key="lb_timeline_add", disabled=not picked, on_click=add_timeline, args=(picked,))

st.subheader("Save and export", anchor=False)
st.download_button(
    "Save the lesson file (.yaml)",
    data=lb.lesson_yaml(lesson),
    file_name=f"{lesson.slug}.yaml",
    mime="application/x-yaml",
    on_click="ignore",
    key="lb_save",
    icon=":material/save:",
)
problems_left = [p for i in range(total) for p in lb.check_step(kg, lesson, i)]
if problems_left:
    st.caption(f"Export and present once the checker's {len(problems_left)} problem(s) above are fixed.")
elif lesson.steps:
    st.caption("The web page presents the lesson full screen: arrow keys move between steps.")
    ui.lesson_export_menu(lesson, key="lb_export")
