"""This browser session's data source: the app's shared default data, or the session's own.

By default every session shares the bundled graph (or what ``kgexplorer app --data/--store/--endpoint``
named), loaded once per server process and shared read-only; a session's own uploaded files or remote
SPARQL endpoint are kept in that session's state only and closed when replaced
(:mod:`kgexplorer.ui.data_sources`).
"""

from __future__ import annotations

import contextlib
import os
import threading
from typing import TYPE_CHECKING

import streamlit as st

from kgexplorer.data_options import APP_SOURCE_VARIABLE, DataOptions

from .data_sources import DataSource, open_app_source

if TYPE_CHECKING:
    from kgexplorer.knowledge_graph import KnowledgeGraph

__all__ = ["data_source", "default_source", "get_graph", "set_data_source"]

_SOURCE_KEY = "kg_data_source"
# Page state that names entities of one data source; it means nothing once the source changes.
_PER_SOURCE_KEYS = (
    "explore_focus",
    "explore_last_pick",
    "explore_written_e",
    "explore_expanded",
    "explore_kinds",
    "explore_relations",
    "wb_outcome",
    "wb_job",  # a query still running on the old data answers nothing asked of the new
    "wb_choices",
    "wb_graph_view",
    "wb_open_node",
)


@st.cache_resource(show_spinner="Loading the knowledge graph…")
def default_source() -> DataSource:
    """The app's data for every session, opened once per server process and shared read-only: the bundled
    graph, or what ``kgexplorer app --data/--store/--endpoint`` named (:class:`~kgexplorer.data_options.DataOptions`).
    """
    source = open_app_source(DataOptions.from_json(os.environ.get(APP_SOURCE_VARIABLE)))
    # The search index and a query worker get ready while the first page draws (on Hetionet the index
    # takes about 2 s); a search that comes sooner waits for it instead of building its own.
    threading.Thread(target=_warm_up, args=(source.kg,), name="kgexplorer-warm-up", daemon=True).start()
    return source


def _warm_up(kg: KnowledgeGraph) -> None:
    # Best effort: if this fails, the same work fails again in the page that needs it, which shows the error.
    with contextlib.suppress(Exception):
        kg.warm_up()


def data_source() -> DataSource:
    """This session's data source: its uploaded files or endpoint, else the app's shared default data."""
    source = st.session_state.get(_SOURCE_KEY)
    if isinstance(source, DataSource):
        return source
    return default_source()


def get_graph() -> KnowledgeGraph:
    """The graph this session works on (see :func:`data_source`)."""
    return data_source().kg


def set_data_source(source: DataSource | None) -> None:
    """Make ``source`` this session's data (None: back to the bundled graph); the one it replaces is closed."""
    old = st.session_state.get(_SOURCE_KEY)
    if source is None or source.shared:
        st.session_state.pop(_SOURCE_KEY, None)
    else:
        st.session_state[_SOURCE_KEY] = source
    if isinstance(old, DataSource) and old is not source:
        old.close()
    for key in _PER_SOURCE_KEYS:
        st.session_state.pop(key, None)
