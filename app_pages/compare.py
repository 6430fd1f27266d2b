"""Compare: two to four substances side by side — shared and unique mechanisms, evidence, status and risks."""

import streamlit as st

from kgexplorer import KgExplorerError, ui
from kgexplorer.model.compare import compare, substance_choices
from kgexplorer.model.timeline import timeline
from kgexplorer.ui import lessons as ui_lessons
from kgexplorer.views.lessons import CompareView, TimelineView
from kgexplorer.views.timeline_svg import timeline_svg

kg = ui.get_graph()
st.title("Compare substances")
ui.disclaimer()
ui.require_project_vocabulary("Compare")
choices = substance_choices(kg)
names = {c.iri: c.label for c in choices}
wanted = [c.iri for c in choices if c.iri.rsplit("/", 1)[-1] in ui.param("s", "ketamine,psilocybin").split(",")]
picked = st.multiselect(
    "Pick two to four substances",
    list(names),
    default=wanted,
    format_func=names.__getitem__,
    max_selections=4,
    key="compare_subs",
)
if len(picked) < 2:
    st.info("Pick at least two substances to compare, for example ketamine and psilocybin.")
    st.stop()
try:
    result = compare(kg, picked)
except KgExplorerError as exc:
    ui.show_error(exc)
    st.stop()
ui.set_params(s=[p.rsplit("/", 1)[-1] for p in picked])
st.caption(
    "✔ shared by all · ◆ only one has it · — nothing about it in this graph. Each cell shows the strongest "
    "evidence level and the combined result direction of the claims behind it."
)
labels = [s.label for s in result.substances]
for aspect, rows in result.by_aspect().items():
    st.markdown(f"#### {ui.md(aspect)}")
    # A static table wraps long cells, so every substance's column stays on screen (a scrolling data
    # frame hid the third and fourth behind the first two).
    st.table(
        [
            {
                "": "✔" if r.shared else ("◆" if r.unique else ""),
                aspect: r.item,
                **{lab: r.cells.get(lab, "—") for lab in labels},
            }
            for r in rows
        ],
        hide_index=True,
    )
ui.network_view(result, key="compare_graph", export=True)
ui_lessons.add_to_lesson(
    CompareView(substances=tuple(ui.short_name(p) for p in picked)),
    title=" and ".join(labels),
    key="compare_add_to_lesson",
)
st.markdown("#### Timeline")
history = timeline(kg, picked, max_events=kg.settings.timeline_events)
st.caption(ui.md(history.summary) + " Studies published, approvals, scheduling and legal changes, oldest first.")
if history.events:
    st.image(timeline_svg(history), width="stretch", alt="Timeline: " + history.summary)
    ui_lessons.add_to_lesson(
        TimelineView(substances=tuple(ui.short_name(p) for p in picked)),
        title="History of " + " and ".join(labels),
        key="compare_timeline_add_to_lesson",
    )
