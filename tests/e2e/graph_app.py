"""The tiny app the browser test drives: one neighbourhood of the bundled graph in the graph component.

The focus lives in the URL (``?focus=<IRI>``); a node click moves it there, and the page shows the
focus label and the number of clicks as plain text, so the test can read both.
Run it by hand with: ``.venv/bin/streamlit run tests/e2e/graph_app.py``.
"""

from __future__ import annotations

import streamlit as st

from kgexplorer import KgExplorerError, KnowledgeGraph
from kgexplorer.ui.graph_component import graph_view
from kgexplorer.views.render import render

START = "https://w3id.org/kgexplorer/id/ketamine"


@st.cache_resource
def _graph() -> KnowledgeGraph:
    return KnowledgeGraph.bundled()


def _clicked(node: str) -> None:
    st.session_state["clicks"] = st.session_state.get("clicks", 0) + 1
    st.query_params["focus"] = node


kg = _graph()
focus = st.query_params.get("focus", START)
try:
    view = render(kg.neighbourhood(focus))
except KgExplorerError as exc:
    st.error(f"Cannot show {focus}: {exc}")
    view = render(kg.neighbourhood(START))
st.text(f"Focus: {view.nodes[0].label}")
st.text(f"Clicks: {st.session_state.get('clicks', 0)}")
graph_view(view, key="e2e_graph", on_click=_clicked)
