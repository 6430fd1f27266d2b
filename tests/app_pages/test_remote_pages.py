"""Every app page on a real remote engine (an Oxigraph server holding the bundled graph), as `kgexplorer app
--endpoint URL` opens it: each page shows what it shows on the bundled graph (issue 16), apart from the caption
naming the data source."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from kgexplorer import KnowledgeGraph
from kgexplorer.data_options import DataOptions
from kgexplorer.ui.data_sources import DataSource, open_app_source

ROOT = Path(__file__).resolve().parents[2]
PAGES = ["explore", "connections", "compare", "evidence", "lessons", "lesson_builder", "workbench", "data", "about"]


@pytest.fixture(scope="module")
def remote(bundled_endpoint: str) -> Iterator[DataSource]:
    source = open_app_source(DataOptions(endpoint=bundled_endpoint))
    yield source
    source.kg.close()


def _shown(page: str, source: DataSource | None) -> list[str]:
    """What a page shows (text, metrics, tables, errors), the data source's own name left out."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    if source is not None:
        at.session_state["kg_data_source"] = source
    at.run()
    at.switch_page(f"app_pages/{page}.py").run()
    assert not at.exception, [e.value for e in at.exception]
    name = source.label if source is not None else None
    shown = []
    for kind in ("markdown", "caption", "error", "warning", "info"):
        for element in getattr(at, kind):
            text = str(element.value).replace("\\", "")
            if "Data: " in text or "This session works on" in text:
                continue  # the data source's name: the one thing that differs
            shown.append(f"{kind}: {text.replace(name, 'DATA') if name else text}")
    shown += [f"metric: {m.label}={m.value}" for m in at.metric]
    shown += [f"table: {df.value.to_csv()}" for df in at.dataframe]
    return shown


@pytest.mark.parametrize("page", PAGES)
def test_a_page_shows_the_same_on_a_remote_engine(remote: DataSource, page: str) -> None:
    local = _shown(page, None)
    assert local, "the page shows something"
    assert _shown(page, remote) == local


def test_paths_between_two_entities_are_the_same_on_a_remote_engine(kg: KnowledgeGraph, remote: DataSource) -> None:
    """The Connections page's default: paths of one length were ranked by the engine's row order, so an
    Oxigraph server showed other paths (via esketamine and naltrexone) than the bundled graph (via craving)."""
    here, there = kg.paths("ketamine", "alcohol use disorder"), remote.kg.paths("ketamine", "alcohol use disorder")
    assert there.paths == here.paths
