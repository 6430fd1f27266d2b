"""Type-ahead on Explore's search box (issue 15), in the real app and Debian's chromium.

Typing part of a lay name, without Enter, offers the substance with the name that matched and its kind
(model/suggestions.py); picking that suggestion shows the substance's card and graph.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from .harness import ARTIFACTS, ROOT, block_outside, chromium, streamlit_app, wait_for_idle, wait_until

pytestmark = [pytest.mark.browser, pytest.mark.slow]

KG = "https://w3id.org/kgexplorer/id/"
SEARCH = "Search substances, conditions, mechanisms, therapies, studies…"
SUGGESTION = "Shrooms → Psilocybin · Substance"


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Any]]:
    with streamlit_app(ROOT / "app.py", tmp_path_factory.mktemp("type_ahead")) as url, chromium() as browser:
        yield url, browser


def test_typing_shro_suggests_shrooms_and_picking_it_shows_psilocybin(app: tuple[str, Any]) -> None:
    url, browser = app
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    outside = block_outside(page)
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(url)
    page.get_by_role("heading", name="Explore").wait_for(timeout=60_000)

    page.get_by_label(SEARCH).press_sequentially("shro", delay=60)  # typed, no Enter: the pause commits it
    matches = page.get_by_role("combobox", name="Matches")  # the suggestions under the box, best first
    wait_until(lambda: matches.count() and matches.input_value() == SUGGESTION, "the suggestion under the box")
    assert page.get_by_label(SEARCH).input_value() == "shro"
    wait_for_idle(page)
    page.locator("[data-testid='stSelectbox']").filter(has=matches).get_by_role("button", name="Open").click()
    page.get_by_role("option", name=SUGGESTION).click()

    page.get_by_role("heading", name="Psilocybin", exact=True).wait_for(timeout=30_000)
    graph = page.locator(".kg-graph").first
    wait_until(lambda: graph.evaluate("el => el.dataset.focus || ''") == KG + "psilocybin", "the graph on psilocybin")
    wait_for_idle(page)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "type-ahead.png"), full_page=False)
    assert page.locator("[data-testid='stException']").count() == 0
    assert page.get_by_label(SEARCH).input_value() == "shro"
    assert not errors
    assert not outside
