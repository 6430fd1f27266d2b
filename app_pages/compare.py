"""Compare: two to four substances side by side — shared and unique mechanisms, evidence, status and risks."""

import streamlit as st

from kgexplorer import KgExplorerError, ui
from kgexplorer.model.compare import compare, substance_choices

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
