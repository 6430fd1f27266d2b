"""The workbench's share links (issue 16): the shortest link anyone can open, and the page saying which kind.

An unedited gallery question links by its name; an edited query gets a short link kept on the server when
``server_storage`` is on (and opens, and runs, from it), else a link that carries the whole query."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest
from tests.app_pages.workbench_app import open_workbench, run_query

from kgexplorer.data_options import DataOptions
from kgexplorer.ui.data_sources import DataSource, open_app_source
from kgexplorer.ui.short_links import SHORT_ID_CHARS

ROOT = Path(__file__).resolve().parents[2]
EDITED = "SELECT ?x WHERE { VALUES ?x { kg:ketamine kg:psilocybin kg:mdma } }"


@pytest.fixture(scope="module")
def storing() -> Iterator[DataSource]:
    """The bundled graph opened with server_storage on, as `kgexplorer app --setting server_storage 1` does."""
    source = open_app_source(DataOptions(settings=(("server_storage", "1"),)))
    yield source
    source.kg.close()


def _captions(at: AppTest) -> str:
    return "\n".join(str(c.value) for c in at.caption).replace("\\", "")


def _rows(at: AppTest) -> int:
    shown = [m.value for m in at.metric if m.label in ("Rows", "Triples")]
    assert shown, "no answer on the page"
    return int(str(shown[0]).replace(",", ""))


def test_an_unedited_gallery_question_links_by_its_name() -> None:
    at = open_workbench()
    at.button(key="wb_load_studies-by-year").click().run()
    run_query(at)
    assert at.query_params["g"] == "studies-by-year"
    assert "q" not in at.query_params
    assert "s" not in at.query_params
    assert "names this gallery question" in _captions(at)
    assert _rows(open_workbench(g="studies-by-year", run="1")) == _rows(at)


def test_without_server_storage_an_edited_query_carries_its_whole_text() -> None:
    at = run_query(open_workbench(), EDITED)
    assert "q" in at.query_params
    assert "s" not in at.query_params
    assert "server_storage setting, off here" in _captions(at)


def test_with_server_storage_a_short_link_opens_and_runs_for_another_session(
    storing: DataSource, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    at = run_query(open_workbench(storing), EDITED)
    link = at.query_params["s"]
    assert len(link) == SHORT_ID_CHARS
    assert "q" not in at.query_params
    assert "kept on this server" in _captions(at)
    assert list((tmp_path / "kgexplorer" / "short-links").glob("*.rq"))

    opened = open_workbench(storing, s=link, run="1")  # a new session: nothing shared but the server's store
    assert opened.session_state["wb_text"] == EDITED
    assert _rows(opened) == 3
    refused = open_workbench(s=link, run="1")  # an app that keeps nothing on the server says why
    assert any("server_storage setting is off" in w.value for w in refused.warning)
    assert not [m for m in refused.metric if m.label == "Rows"]
