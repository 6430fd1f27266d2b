"""Readability of Explore's graph (issue 15), measured in the real app and Debian's chromium.

At 1400×900 and 390×844, default zoom, on real views of up to 60 nodes: every node label is drawn at 12 px or
more, no two label boxes overlap, and every label lies inside the drawn canvas. All of it is read from
vis-network itself in the page (font size × the network's scale after the first drawing; the label boxes from
the network's own geometry, mapped to the screen with ``canvasToDOM``). Also: the graph's top is in the first
screen on a desktop and within one scroll on a phone, the "Export / embed" button is not cut, and the graph has
a real full-screen mode (the Fullscreen API on the graph, Escape back). Screenshots go to
test-artifacts/readability/.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from .harness import ARTIFACTS, ROOT, block_outside, chromium, streamlit_app, wait_for_idle, wait_until

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.xdist_group("readability")]

SHOTS = ARTIFACTS / "readability"
MIN_LABEL_PX = 12.0
DESKTOP = {"width": 1400, "height": 900}
PHONE = {"width": 390, "height": 844}
# Real views a student opens: a substance one step out, a condition, a mechanism, and an evidence-filtered view.
VIEWS = {
    "ketamine": "?e=ketamine",
    "condition": "?e=alcohol_use_disorder",
    "mechanism": "?e=ht2a_agonism",
    "evidence-filtered": "?e=ketamine&lvl=RCT",
}

# Every node label as vis-network drew it: its font size on screen (font size × scale) and its box in the
# canvas's own pixels (the label's geometry in network coordinates, mapped with canvasToDOM).
LABELS_JS = """el => {
  const net = el.__kgNetwork, scale = net.getScale();
  const box = el.querySelector('.kg-canvas').getBoundingClientRect();
  const labels = [];
  for (const id of net.body.nodeIndices) {
    const node = net.body.nodes[id], label = node.labelModule;
    if (!node.options.label) continue;
    const s = label.size;
    const a = net.canvasToDOM({x: s.left, y: s.top});
    const b = net.canvasToDOM({x: s.left + s.width, y: s.top + s.height});
    labels.push({id, text: node.options.label, px: label.fontOptions.size * scale, box: [a.x, a.y, b.x, b.y]});
  }
  return {scale, width: box.width, height: box.height, top: box.top + window.scrollY, labels};
}"""


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Any]]:
    with streamlit_app(ROOT / "app.py", tmp_path_factory.mktemp("readability")) as url, chromium() as browser:
        yield url, browser


def _open(browser: Any, url: str, viewport: dict[str, int]) -> tuple[Any, Any, list[str]]:
    page = browser.new_page(viewport=viewport)
    outside = block_outside(page)
    page.goto(url)
    graph = page.locator(".kg-graph").first
    graph.wait_for(timeout=60_000)
    wait_until(lambda: graph.evaluate("el => Number(el.dataset.drawn || 0)") > 0, "the graph to be drawn", timeout_s=60)
    wait_for_idle(page)
    page.wait_for_timeout(300)  # a resize after the first drawing (the page settling) re-fits once
    return page, graph, outside


def _overlaps(labels: list[dict[str, Any]]) -> list[str]:
    found = []
    for i, a in enumerate(labels):
        for b in labels[i + 1 :]:
            ax0, ay0, ax1, ay1 = a["box"]
            bx0, by0, bx1, by1 = b["box"]
            if min(ax1, bx1) - max(ax0, bx0) > 0.5 and min(ay1, by1) - max(ay0, by0) > 0.5:
                found.append(f"{a['text']!r} × {b['text']!r}")
    return found


@pytest.mark.parametrize("screen", ["desktop", "phone"])
@pytest.mark.parametrize("name", list(VIEWS))
def test_labels_are_legible_and_apart(app: tuple[str, Any], name: str, screen: str) -> None:
    url, browser = app
    page, graph, outside = _open(browser, url + VIEWS[name], DESKTOP if screen == "desktop" else PHONE)
    measured = graph.evaluate(LABELS_JS)
    SHOTS.mkdir(parents=True, exist_ok=True)
    graph.screenshot(path=str(SHOTS / f"{name}-{screen}.png"))
    labels = measured["labels"]
    small = sorted({f"{x['text']!r} at {x['px']:.1f} px" for x in labels if x["px"] < MIN_LABEL_PX})
    assert not small, f"{name} on a {screen}: {len(small)} labels below {MIN_LABEL_PX} px: {small[:5]}"
    assert len(labels) > 1, f"{name}: nothing drawn"
    outside_canvas = [
        x["text"]
        for x in labels
        if x["box"][0] < -0.5
        or x["box"][1] < -0.5
        or x["box"][2] > measured["width"] + 0.5
        or x["box"][3] > measured["height"] + 0.5
    ]
    assert not outside_canvas, f"{name} on a {screen}: labels outside the drawn canvas: {outside_canvas[:5]}"
    overlapping = _overlaps(labels)
    assert not overlapping, f"{name} on a {screen}: {len(overlapping)} overlapping labels: {overlapping[:5]}"
    assert outside == []
    page.close()


# Elements of the Export button whose text is cut (wider than their box).
CUT_JS = """el => [el, ...el.querySelectorAll('*')].filter(e => e.scrollWidth > e.clientWidth + 1)
  .map(e => e.textContent)"""


def test_graph_in_the_first_screen_on_a_desktop(app: tuple[str, Any]) -> None:
    url, browser = app
    page, graph, _ = _open(browser, url + VIEWS["ketamine"], DESKTOP)
    top = graph.evaluate(LABELS_JS)["top"]
    page.screenshot(path=str(SHOTS / "first-screen-desktop.png"))
    assert top < DESKTOP["height"] - 300, f"the graph starts at {top:.0f} px: under the fold of a 900 px screen"
    export = page.get_by_role("button", name="Export / embed")
    assert export.evaluate(CUT_JS) == [], "the Export / embed button's text is cut"
    page.close()


def test_graph_within_one_scroll_on_a_phone(app: tuple[str, Any]) -> None:
    url, browser = app
    page, graph, _ = _open(browser, url + VIEWS["ketamine"], PHONE)
    top = graph.evaluate(LABELS_JS)["top"]
    page.screenshot(path=str(SHOTS / "first-screen-phone.png"), full_page=False)
    assert top < 2 * PHONE["height"] - 200, f"the graph starts at {top:.0f} px: more than one scroll down"
    page.close()


FULLSCREEN_JS = "el => { const f = el.getRootNode().fullscreenElement; return f ? f === el : null; }"


def test_full_screen_and_escape_back(app: tuple[str, Any]) -> None:
    url, browser = app
    page, graph, _ = _open(browser, url + VIEWS["ketamine"], DESKTOP)
    graph.get_by_role("button", name="Full screen").click()
    wait_until(lambda: graph.evaluate(FULLSCREEN_JS) is True, "the graph to fill the screen")
    size = graph.evaluate("el => [el.getBoundingClientRect().width, el.getBoundingClientRect().height]")
    assert size == [DESKTOP["width"], DESKTOP["height"]]
    wait_until(lambda: graph.evaluate(LABELS_JS)["height"] > 800, "the canvas to grow with the screen")
    full = graph.evaluate(LABELS_JS)
    assert not [x for x in full["labels"] if x["px"] < MIN_LABEL_PX], "labels shrank in full screen"
    page.screenshot(path=str(SHOTS / "full-screen.png"))
    page.keyboard.press("Escape")
    wait_until(lambda: graph.evaluate(FULLSCREEN_JS) is None, "Escape to leave full screen")
    page.close()
