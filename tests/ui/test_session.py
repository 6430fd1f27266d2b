"""A session's data source: what a change of source drops from the session."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest


def _app() -> None:
    import streamlit as st

    from kgexplorer.ui.session import set_data_source

    if st.button("Back to the bundled graph"):
        set_data_source(None)


def test_a_change_of_data_source_drops_what_named_the_old_data() -> None:
    """The workbench's answer and its query job were computed on the old data: a request on the new data must
    not be answered by a job still running on the old (ui/query_job.py); page state that is not per source stays."""
    at = AppTest.from_function(_app, default_timeout=30).run()
    for key in ("wb_outcome", "wb_job", "explore_focus", "wb_text"):
        at.session_state[key] = "from the old data"
    at.button[0].click().run()
    assert [k for k in ("wb_outcome", "wb_job", "explore_focus") if k in at.session_state] == []
    assert at.session_state["wb_text"] == "from the old data"
