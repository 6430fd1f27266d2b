"""About: what the dataset is, its version and licence, counts, how to cite, and the evidence rubric."""

import streamlit as st

from kgexplorer import ui
from kgexplorer.evidence import LEVELS

kg = ui.get_graph()
info = kg.metadata()
st.title("About this knowledge graph")
ui.disclaimer()
st.markdown(ui.md(info.description))
st.markdown(
    f"**Version:** {ui.md(info.version)} · **Licence:** {ui.link(info.licence, info.licence)} · "
    f"**Creator:** {ui.md(info.creator)} · **Issued:** {ui.md(info.issued)}"
)
stats = kg.stats()
cols = st.columns(4)
cols[0].metric("Triples", f"{stats.triples:,}")
cols[1].metric("Claims", f"{stats.claims:,}")
cols[2].metric("Studies", f"{stats.studies:,}")
cols[3].metric("Studies with DOI or PMID", f"{stats.studies_with_doi_or_pmid:,}")
st.markdown("#### What is in it")
st.dataframe([{"kind": k, "count": v} for k, v in stats.entities_by_kind.items()], hide_index=True, key="about_counts")
st.markdown("#### The evidence rubric")
st.markdown(
    "Every link between two things is a *claim* with its evidence. Its level is the strongest study "
    "design behind it (1 = strongest for showing a treatment causes an effect in people); its "
    "direction says whether the results supported it, showed no difference (null), were mixed, or "
    "went against it. **A finding in rats or mice is not a finding in humans.**"
)
st.dataframe([{"rank": lv.rank, "level": lv.label} for lv in LEVELS], hide_index=True, key="about_rubric")
st.markdown("#### How to cite")
st.code(info.citation or "kgexplorer contributors. kgexplorer psychedelic-therapy knowledge graph.", language=None)
