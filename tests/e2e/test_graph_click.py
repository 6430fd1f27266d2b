"""The graph component in a real browser: it draws, and a node click refocuses the app.

Starts ``streamlit run tests/e2e/graph_app.py`` on a free loopback port and drives Debian's chromium
through Playwright (never a downloaded browser; every non-loopback request is aborted and recorded).
Saves a screenshot and the click-to-redraw times to test-artifacts/.
"""

from __future__ import annotations

import json
import statistics
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .harness import ARTIFACTS, PICK_NODE_JS, chromium, non_blank_pixels, streamlit_app, wait_until

APP = Path(__file__).with_name("graph_app.py")
KETAMINE = "https://w3id.org/kgexplorer/id/ketamine"

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.xdist_group("graph_browser")]

# Reads the component's state from inside its shadow root (Playwright's locators pierce it).
_STATE_JS = "el => ({drawn: Number(el.dataset.drawn || 0), focus: el.dataset.focus || ''})"
# Time the click from the pointer press itself, on the page's clock (the redraw is stamped on the same clock).
_ARM_CLOCK_JS = """el => { el.__kgClickAt = null;
  el.querySelector('canvas').addEventListener('pointerdown', () => { el.__kgClickAt = performance.now(); },
                                               {once: true, capture: true}); }"""


@pytest.fixture(scope="module")
def app_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``streamlit run`` of the tiny app on a free loopback port; stopped by PID when the module is done."""
    with streamlit_app(APP, tmp_path_factory.mktemp("streamlit")) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as launched:
        yield launched


def test_graph_draws_and_a_node_click_refocuses_the_app(app_url: str, browser: Any) -> None:
    """The canvas is drawn; clicking a node changes the Python output, the URL and the drawing."""
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    outside: list[str] = []

    def only_loopback(route: Any) -> None:
        url = route.request.url
        if url.startswith(("http://127.0.0.1", "ws://127.0.0.1", "data:", "blob:")):
            route.continue_()
        else:
            outside.append(url)
            route.abort()

    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.route("**/*", only_loopback)
    try:
        page.goto(app_url)
        graph = page.locator(".kg-graph")
        graph.wait_for(timeout=60_000)
        page.locator("text=Focus: Ketamine").wait_for(timeout=60_000)
        wait_until(lambda: graph.evaluate(_STATE_JS)["drawn"] >= 1, "the first drawing")
        first = graph.evaluate(_STATE_JS)
        assert first["focus"] == KETAMINE
        assert non_blank_pixels(page.locator(".kg-canvas canvas").screenshot()) > 2_000

        timings: list[float] = []
        visited = [KETAMINE]
        for click in range(1, 11):
            # Prefer a node not seen yet; a small neighbourhood may only lead back.
            target = graph.evaluate(PICK_NODE_JS, visited) or graph.evaluate(PICK_NODE_JS, [])
            assert target is not None, f"no clickable node in view at click {click}: {graph.evaluate(_STATE_JS)}"
            before = graph.evaluate(_STATE_JS)
            graph.evaluate(_ARM_CLOCK_JS)
            page.mouse.click(target["x"], target["y"])
            wait_until(
                lambda n=before["drawn"]: graph.evaluate(_STATE_JS)["drawn"] > n, f"the redraw after click {click}"
            )
            after = graph.evaluate(_STATE_JS)
            label = graph.evaluate("(el, id) => el.__kgState.nodes.get(id).label", target["id"])

            assert after["focus"] == target["id"]
            page.locator(f"text=Clicks: {click}").wait_for(timeout=10_000)
            assert page.get_by_text(f"Focus: {label}", exact=True).count() == 1
            assert "focus=" in page.url
            assert urllib.parse.unquote(page.url.split("focus=", 1)[1]) == target["id"]
            stamps = graph.evaluate("el => [el.__kgClickAt, el.__kgDrawnAt]")
            if stamps[0] is not None:
                timings.append(stamps[1] - stamps[0])
            visited.append(target["id"])

        assert page.locator("canvas").count() == 1  # refocus updated the one drawing: no remount
        assert not errors
        assert not outside
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "graph-click.png"))
        report = {"click_to_redrawn_ms": [round(t, 1) for t in timings]}
        if timings:
            report["median_ms"] = round(statistics.median(timings), 1)
        (ARTIFACTS / "graph-click-timings.json").write_text(json.dumps(report, indent=2), encoding="utf-8")
        # Measured, not asserted: speed belongs to benchmarks.
        print(f"click → redrawn graph, median of {len(timings)}: {report.get('median_ms')} ms")
    finally:
        page.close()


def test_keyboard_selects_a_node_and_enter_opens_it(app_url: str, browser: Any) -> None:
    """Tab-focusable graph: arrows move the selection (announced as text), Enter refocuses like a click."""
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    try:
        page.goto(app_url)
        graph = page.locator(".kg-graph")
        graph.wait_for(timeout=60_000)
        wait_until(lambda: graph.evaluate(_STATE_JS)["drawn"] >= 1, "the first drawing")
        canvas_box = page.locator(".kg-canvas")
        status = page.locator(".kg-status")

        canvas_box.focus()
        page.keyboard.press("ArrowRight")
        assert status.text_content() == "Selected: Ketamine (Substance). Press Enter to open it."
        selected = KETAMINE
        for key in ["ArrowRight", "ArrowDown", "ArrowLeft", "ArrowUp"] * 3:
            page.keyboard.press(key)
            selected = graph.evaluate("el => el.__kgNetwork.getSelectedNodes()[0]")
            if selected != KETAMINE and not selected.startswith("more:"):
                break
        label = graph.evaluate("(el, id) => el.__kgState.nodes.get(id).label", selected)
        drawn = graph.evaluate(_STATE_JS)["drawn"]
        assert status.text_content().startswith(f"Selected: {label} (")
        assert canvas_box.get_attribute("tabindex") == "0"
        assert status.get_attribute("aria-live") == "polite"

        page.keyboard.press("Enter")
        wait_until(lambda: graph.evaluate(_STATE_JS)["drawn"] > drawn, "the redraw after Enter")

        assert graph.evaluate(_STATE_JS)["focus"] == selected
        page.get_by_text(f"Focus: {label}", exact=True).wait_for(timeout=10_000)
    finally:
        page.close()
