"""About: what the dataset is, its version and licence, counts, how to cite, and the evidence rubric."""

import streamlit as st

from kgexplorer import KgExplorerError, ui
from kgexplorer.evidence import LEVELS

source = ui.data_source()
kg = source.kg
ours = source.uses_project_vocabulary
st.title("About this knowledge graph" if source.kind == "bundled" else "About this data")
ui.disclaimer()
try:
    info, stats = kg.metadata(), kg.stats()
except KgExplorerError as exc:  # a remote endpoint can fail or time out
    ui.show_error(exc)
    st.stop()
if source.kind != "bundled":
    st.markdown(f"**This session works on:** {ui.md(source.label)} (change it on the Data page).")
if info.description:
    st.markdown(ui.md(info.description))
if info.version or info.licence:
    st.markdown(
        f"**Version:** {ui.md(info.version)} · **Licence:** {ui.link(info.licence, info.licence)} · "
        f"**Creator:** {ui.md(info.creator)} · **Issued:** {ui.md(info.issued)}"
    )
cols = st.columns(4)
cols[0].metric("Triples", f"{stats.triples:,}")
if ours:
    cols[1].metric("Claims", f"{stats.claims:,}")
    cols[2].metric("Studies", f"{stats.studies:,}")
    cols[3].metric("Studies with DOI or PMID", f"{stats.studies_with_doi_or_pmid:,}")
st.markdown("#### What is in it")
counts = stats.entities_by_kind or stats.classes
st.dataframe([{"kind": k, "count": v} for k, v in counts.items()], hide_index=True, key="about_counts")
if not ours:
    st.stop()
st.markdown("#### The evidence rubric")
st.markdown(
    "Every link between two things is a *claim* with its evidence. Its level is the strongest study "
    "design behind it (1 = strongest for showing a treatment causes an effect in people); its "
    "direction says whether the results supported it, showed no difference (null), were mixed, or "
    "went against it, or is unclear (the source itself calls it uncertain or not established: never "
    "support). **A finding in rats or mice is not a finding in humans.**"
)
st.dataframe([{"rank": lv.rank, "level": lv.label} for lv in LEVELS], hide_index=True, key="about_rubric")
if info.citation or source.kind == "bundled":
    st.markdown("#### How to cite")
    st.code(
        info.citation or "kgexplorer contributors. kgexplorer psychedelic-therapy knowledge graph.",
        language=None,
        wrap_lines=True,
    )
