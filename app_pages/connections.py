"""Connections: how is X linked to Y? The shortest paths, each step explained from its claims."""

import streamlit as st

from kgexplorer import KgExplorerError, ui
from kgexplorer.model.paths import DEFAULT_PATH_GROUPS, RELATION_GROUPS, path_group_key
from kgexplorer.ui import lessons as ui_lessons
from kgexplorer.views.lessons import PathView

data = ui.data_source()
kg = data.kg
ours = data.uses_project_vocabulary
st.title("How are two things linked?")
ui.disclaimer()
if not ours:
    ui.source_caption()
hint = {} if ours else {"placeholder": "Type a name or an IRI"}
c1, c2 = st.columns(2)
with c1:
    source = ui.entity_picker(
        kg, key="conn_from", label="From", default=ui.param("from", "ketamine" if ours else ""), **hint
    )
with c2:
    target = ui.entity_picker(
        kg, key="conn_to", label="To", default=ui.param("to", "alcohol use disorder" if ours else ""), **hint
    )
c3, c4 = st.columns(2)
most_paths, longest = kg.settings.max_paths, kg.settings.max_path_length
k = c3.number_input(
    "How many paths", 1, most_paths, ui.int_param("k", min(3, most_paths), lowest=1, highest=most_paths), key="conn_k"
)
max_len = c4.number_input(
    "Longest path (steps)", 1, longest, ui.int_param("len", min(4, longest), lowest=1, highest=longest), key="conn_len"
)
groups = list(DEFAULT_PATH_GROUPS)
if ours:  # the project vocabulary names its relation groups; other data is searched whole
    named = {path_group_key(g): g for g in RELATION_GROUPS}
    asked = [named[x] for x in ui.param("via").split(",") if x in named] or list(DEFAULT_PATH_GROUPS)
    groups = st.multiselect(
        "Follow these kinds of links",
        list(RELATION_GROUPS),
        default=asked,
        format_func=kg.label,
        key="conn_groups",
        help="Paths follow mechanisms and clinical evidence unless you add regulation or studies and sources.",
    )
if not source or not target:
    st.info("Pick two things to connect" + (", for example ketamine and alcohol use disorder." if ours else "."))
    st.stop()
try:
    result = kg.paths(source, target, k=int(k), max_length=int(max_len), groups=groups if ours else None)
except KgExplorerError as exc:
    ui.show_error(exc)
    st.stop()
via = [path_group_key(g) for g in groups]
ui.set_params(
    **{"from": ui.short_name(source), "to": ui.short_name(target), "k": int(k), "len": int(max_len)},
    via=via if ours and set(groups) != set(DEFAULT_PATH_GROUPS) else None,
)
if not result.paths:
    st.info(
        f"No path of at most {int(max_len)} steps links {ui.md(result.source.label)} and "
        f"{ui.md(result.target.label)} through the kinds of links chosen. Allow longer paths, follow more "
        "kinds of links, or pick something closer."
    )
    st.stop()
for i, steps in enumerate(result.paths, start=1):
    with st.container(border=True):
        st.markdown(f"**Path {i}** ({len(steps)} step{'s' if len(steps) != 1 else ''})")
        for step in steps:
            st.markdown("- " + ui.md(step.sentence))
ui.network_view(result, key="conn_graph", export=True)
if ours:
    ui_lessons.add_to_lesson(
        PathView(
            source=ui.short_name(source),
            target=ui.short_name(target),
            k=int(k),
            max_length=int(max_len),
            via=tuple(via) if set(groups) != set(DEFAULT_PATH_GROUPS) else (),  # the groups the reader chose
        ),
        title=f"From {result.source.label} to {result.target.label}",
        key="conn_add_to_lesson",
    )
