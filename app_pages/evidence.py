"""Evidence: every claim as a filterable table (the filters live in the address, so every view has its link),
the evidence map of substances × conditions, and charts that follow the filters."""

import streamlit as st

from kgexplorer import ui
from kgexplorer.evidence import DIRECTIONS, LEVELS
from kgexplorer.model.claims import claim_table
from kgexplorer.model.evidence_map import NOT_IN_GRAPH, evidence_map
from kgexplorer.model.evidence_table import EvidenceFilter, evidence_table
from kgexplorer.ui import lessons as ui_lessons
from kgexplorer.views.lessons import PathView

kg = ui.get_graph()
st.title("Evidence")
ui.disclaimer()
ui.require_project_vocabulary("The evidence tables")
rows = claim_table(kg)
wanted = EvidenceFilter.from_params(st.query_params.to_dict())  # the widgets start from the address
offer = evidence_table(rows, EvidenceFilter()).options
names = dict(offer.subjects) | dict(offer.conditions)
level_names = {lv.key: lv.label for lv in LEVELS}

c1, c2, c3 = st.columns(3)
subjects = c1.multiselect(
    "Substance or therapy",
    [i for i, _ in offer.subjects],
    default=[i for i in wanted.subjects if i in names],
    format_func=names.__getitem__,
    key="evidence_subjects",
)
conditions = c2.multiselect(
    "Condition",
    [i for i, _ in offer.conditions],
    default=[i for i in wanted.conditions if i in names],
    format_func=names.__getitem__,
    key="evidence_conditions",
)
levels = c3.multiselect(
    "Evidence level",
    list(offer.levels),
    default=[k for k in wanted.levels if k in offer.levels],
    format_func=level_names.__getitem__,
    key="evidence_levels",
)
c4, c5, c6 = st.columns(3)
directions = c4.multiselect(
    "Result direction", list(DIRECTIONS), default=list(wanted.directions), key="evidence_directions"
)
species = c5.multiselect(
    "Species", list(offer.species), default=[s for s in wanted.species if s in offer.species], key="evidence_species"
)
span = offer.years
if span and span[0] < span[1]:
    start = wanted.years or span
    chosen_years = c6.slider(
        "Study years",
        span[0],
        span[1],
        (max(start[0], span[0]), min(start[1], span[1])),
        key="evidence_years",
    )
    years = None if chosen_years == span else chosen_years
else:  # one year or none: nothing to choose between (a slider needs two ends)
    years = None
    c6.caption(f"Study years: {span[0]}" if span else "Study years: none recorded")

chosen = EvidenceFilter(
    subjects=tuple(subjects),
    conditions=tuple(conditions),
    levels=tuple(levels),
    directions=tuple(directions),
    species=tuple(species),
    years=years,
)
ui.set_params(**chosen.to_params())
table = evidence_table(rows, chosen)
st.caption(f"{len(table.rows)} of {table.total} claims · this page's address keeps the filters: share it")
if not table.rows:
    st.info("No claim matches these filters. Remove a filter to see more.")
# The student's columns first: what the claim says in plain words, how many people, which studies.
st.dataframe(
    [
        {
            "what the evidence says": r.explanation,
            "N": r.n,
            "studies": r.studies,
            "subject": r.subject,
            "relation": r.relation,
            "object": r.object,
            "evidence level": r.level,
            "direction": r.direction,
            "species": r.species,
            "years": r.years,
            "design": r.design,
            "contested": r.contested,
            "status": r.status,
        }
        for r in table.rows
    ],
    hide_index=True,
    width="stretch",
    key="evidence_table",
    column_config={"what the evidence says": st.column_config.TextColumn(width="large")},
)

st.markdown("#### The evidence map: what each substance was tested for")
st.caption(
    "Each cell: the strongest evidence level in the graph and its direction (“mixed” where the studies at that "
    f"level disagree). An empty cell means {NOT_IN_GRAPH}, not that no evidence exists. Select a cell to read "
    "the claims behind it."
)
emap = evidence_map(kg)
picked = st.dataframe(
    emap.table(),
    hide_index=True,
    width="stretch",
    key="evidence_map",
    on_select="rerun",
    selection_mode="single-cell",
)
cells = picked.selection.get("cells", []) if picked else []
if cells:
    row_index, column = cells[0]
    substance = emap.substances[int(row_index)]
    condition = next((c for c in emap.conditions if c.label == column), None)
    cell = emap.cell(substance.iri, condition.iri) if condition else None
    with st.container(border=True):
        if condition is None or cell is None:
            st.markdown(f"{ui.md(substance.label)} × {ui.md(column)}: {NOT_IN_GRAPH}.")
        else:
            st.markdown(f"**{ui.md(substance.label)} × {ui.md(condition.label)}** — {ui.md(cell.text)}")
            for r in rows:
                if r.claim in cell.claims:
                    st.markdown(f"- {ui.md(r.explanation or r.claim)} ({ui.md(r.level)}, {ui.md(r.direction)})")
                    if r.studies:
                        st.caption("Studies: " + ui.md(r.studies))
            # The cell as a lesson step: the direct link between the two, whose edge opens these claims.
            ui_lessons.add_to_lesson(
                PathView(source=ui.short_name(substance.iri), target=ui.short_name(condition.iri), k=1, max_length=1),
                title=f"{substance.label} × {condition.label}",
                key="evidence_map_add_to_lesson",
            )

st.markdown("#### Claims by the first year of their studies, by evidence level (follows the filters)")
chart = [{"year": str(y), "level": lv, "claims": n} for y, counts in table.per_year.items() for lv, n in counts.items()]
if chart:
    st.bar_chart(chart, x="year", y="claims", color="level")

st.markdown("#### Strongest evidence for each substance–condition pair (follows the filters)")
st.dataframe(table.matrix_rows(), hide_index=True, width="stretch", key="evidence_matrix")
