"""Short links in a real browser (issue 16): with ``server_storage`` on, a run puts a short ``?s=`` link in the
address; opened in a fresh browser context (no cookies, no localStorage: someone else's browser), it shows the
query and runs it.

Starts ``streamlit run app.py`` with ``KGEXPLORER_APP_SOURCE`` asking for ``server_storage 1`` and a private
``XDG_DATA_HOME``, and drives Debian's chromium (never a downloaded browser; outside requests are aborted).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest

from kgexplorer.data_options import APP_SOURCE_VARIABLE, DataOptions
from kgexplorer.ui.short_links import SHORT_ID_CHARS

from .harness import ROOT, block_outside, chromium, streamlit_app, wait_until

EDITOR = "iframe[title*='code_editor']"
QUERY = "SELECT ?x WHERE { VALUES ?x { kg:ketamine kg:psilocybin kg:mdma kg:lsd } }"

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.xdist_group("workbench_browser")]


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    data = tmp_path_factory.mktemp("xdg-data")
    env = {
        APP_SOURCE_VARIABLE: DataOptions(settings=(("server_storage", "1"),)).to_json(),
        "XDG_DATA_HOME": str(data),
    }
    with streamlit_app(ROOT / "app.py", tmp_path_factory.mktemp("streamlit"), env=env) as url:
        yield url, data / "kgexplorer" / "short-links"


def _rows(page: Any) -> int | None:
    metric = page.locator("[data-testid='stMetric']").filter(has_text="Rows")
    if not metric.count():
        return None
    return int(metric.locator("[data-testid='stMetricValue']").inner_text().replace(",", ""))


def _open(browser: Any, url: str) -> tuple[Any, Any, list[str]]:
    context = browser.new_context(viewport={"width": 1400, "height": 1000})  # its own cookies and storage
    page = context.new_page()
    outside = block_outside(page)
    page.goto(url)
    page.get_by_role("heading", name="SPARQL workbench").wait_for(timeout=60_000)
    return context, page, outside


def test_a_short_link_opens_and_runs_in_a_fresh_browser(app: tuple[str, Path]) -> None:
    url, store = app
    with chromium() as browser:
        context, page, outside = _open(browser, url + "workbench")
        try:
            page.frame_locator(EDITOR).first.locator(".ace_content").wait_for(timeout=60_000)
            page.frame_locator(EDITOR).first.locator(".ace_content").click()
            page.keyboard.press("Control+A")
            page.keyboard.press("Delete")
            page.keyboard.insert_text(QUERY)
            page.keyboard.press("Escape")
            page.keyboard.press("Control+Enter")
            assert wait_until(lambda: _rows(page), "the row count", timeout_s=60) == 4
            params = wait_until(lambda: (p := parse_qs(urlparse(page.url).query)).get("s") and p, "the short link")
            assert "q" not in params
            link = params["s"][0]
            assert len(link) == SHORT_ID_CHARS
            assert (store / f"{link}.rq").read_text(encoding="utf-8") == QUERY
            assert page.get_by_text("kept on this server").count()
            shared = page.url
            assert not outside
        finally:
            context.close()

        context, page, outside = _open(browser, shared)  # someone else's browser: nothing but the link
        try:
            assert wait_until(lambda: _rows(page), "the answer of the opened link", timeout_s=60) == 4
            shown = page.frame_locator(EDITOR).first.locator(".ace_content").inner_text()
            assert " ".join(shown.split()) == QUERY  # the query, in the editor (which wraps long lines)
            assert not outside
        finally:
            context.close()
