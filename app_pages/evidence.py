"""Evidence: every claim as a sortable, filterable table, with charts of the evidence base."""

import streamlit as st

from kgexplorer import ui
from kgexplorer.evidence import DIRECTIONS
from kgexplorer.model.claims import claim_table, evidence_matrix, studies_per_year

kg = ui.get_graph()
st.title("Evidence")
ui.disclaimer()
ui.require_project_vocabulary("The evidence tables")
rows = claim_table(kg)

c1, c2, c3 = st.columns(3)
subjects = c1.multiselect(
    "Substance or therapy",
    sorted({r.subject for r in rows if r.subject_kind in ("Substance", "Therapy")}),
    key="evidence_subjects",
)
objects = c2.multiselect(
    "Condition", sorted({r.object for r in rows if r.object_kind == "Condition"}), key="evidence_conditions"
)
levels = c3.multiselect(
    "Evidence level",
    sorted({r.level for r in rows}, key=lambda x: next((r.level_rank for r in rows if r.level == x), 99)),
    key="evidence_levels",
)
c4, c5, c6 = st.columns(3)
directions = c4.multiselect("Result direction", list(DIRECTIONS), key="evidence_directions")
species = c5.multiselect(
    "Species", sorted({s for r in rows for s in r.species.split(", ") if s}), key="evidence_species"
)
years = [y for r in rows for y in (r.first_year, r.last_year) if y]
if years and min(years) < max(years):
    year_range = c6.slider("Study years", min(years), max(years), (min(years), max(years)), key="evidence_years")
else:  # one year or none: nothing to choose between (a slider needs two ends)
    year_range = (min(years, default=0), max(years, default=9999))
    c6.caption(f"Study years: {years[0]}" if years else "Study years: none recorded")

shown = [
    r
    for r in rows
    if (not subjects or r.subject in subjects)
    and (not objects or r.object in objects)
    and (not levels or r.level in levels)
    and (not directions or r.direction in directions)
    and (not species or any(s in r.species for s in species))
    and (r.first_year is None or (year_range[0] <= (r.last_year or r.first_year) and r.first_year <= year_range[1]))
]
st.caption(f"{len(shown)} of {len(rows)} claims")
if not shown:
    st.info("No claim matches these filters. Remove a filter to see more.")
st.dataframe(
    [
        {
            "subject": r.subject,
            "relation": r.relation,
            "object": r.object,
            "evidence level": r.level,
            "direction": r.direction,
            "species": r.species,
            "design": r.design,
            "N": r.n,
            "years": r.years,
            "studies": r.studies,
            "contested": r.contested,
            "status": r.status,
            "explanation": r.explanation,
        }
        for r in shown
    ],
    hide_index=True,
    width="stretch",
    key="evidence_table",
)

st.markdown("#### Studies per year, by design")
per_year = studies_per_year(kg)
chart = [{"year": str(y), "level": lv, "studies": n} for y, counts in per_year.items() for lv, n in counts.items()]
st.bar_chart(chart, x="year", y="studies", color="level")

st.markdown("#### Strongest evidence for each substance–condition pair")
matrix = evidence_matrix(rows)
subs = sorted({s for s, _ in matrix})
conds = sorted({c for _, c in matrix})
st.dataframe(
    [
        {
            "substance or therapy": s,
            **{c: (f"{matrix[(s, c)].level} · {matrix[(s, c)].direction}" if (s, c) in matrix else "") for c in conds},
        }
        for s in subs
    ],
    hide_index=True,
    width="stretch",
    key="evidence_matrix",
)
