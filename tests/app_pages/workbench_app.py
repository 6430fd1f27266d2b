"""Driving the SPARQL workbench page with AppTest, for the workbench's test files.

The editor is a browser component AppTest cannot type into, so a query is put where the editor puts it
(``st.session_state["wb_text"]``) and the page's Run button is pressed.
"""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

from kgexplorer.ui.data_sources import DataSource

__all__ = ["open_workbench", "run_query"]

ROOT = Path(__file__).resolve().parents[2]


def open_workbench(source: DataSource | None = None, **params: str) -> AppTest:
    """The app opened on the workbench page, with these address parameters and, if given, this data source."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    for k, v in params.items():
        at.query_params[k] = v
    if source is not None:
        at.session_state["kg_data_source"] = source
    at.run()
    at.switch_page("app_pages/workbench.py").run()
    assert not at.exception
    return at


def run_query(at: AppTest, text: str | None = None) -> AppTest:
    """Press Run, after putting ``text`` in the editor if given."""
    if text is not None:
        at.session_state["wb_text"] = text
    at.button(key="wb_run_button").click().run()
    assert not at.exception
    return at
