"""The student journey (issue 15), in the real app and Debian's chromium, as a new student walks it.

Search with lay names, refocus by a click, search back, a search that finds nothing, a click on an edge for its
evidence, the evidence filter, paths, compare three, evidence filtered and shared by link, the evidence map, a
lesson and an export. Each step's regression check is one of the issue's bugs; each step keeps a screenshot in
test-artifacts/student-journey/ and its time in test-artifacts/student-journey/timings.json.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest

from .harness import ARTIFACTS, ROOT, block_outside, chromium, streamlit_app, wait_for_idle, wait_until

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.xdist_group("student_journey")]

KG = "https://w3id.org/kgexplorer/id/"
SHOTS = ARTIFACTS / "student-journey"
SEARCH = "Search substances, conditions, mechanisms, therapies, studies…"

# The on-screen centre of one node of the graph component ({x, y} in page coordinates), or null when it is
# off the canvas or under another node. Call with (el, node id).
NODE_AT_JS = """(el, id) => {
  const net = el.__kgNetwork, box = el.querySelector('.kg-canvas').getBoundingClientRect();
  const at = net.getPositions([id])[id];
  if (!at) return null;
  const p = net.canvasToDOM(at);
  if (p.x < 5 || p.y < 5 || p.x > box.width - 5 || p.y > box.height - 5 || net.getNodeAt(p) !== id) return null;
  return {x: box.left + p.x, y: box.top + p.y};
}"""
# The on-screen point of an edge between two nodes where a click hits the edge alone, or null.
EDGE_AT_JS = """(el, ends) => {
  const net = el.__kgNetwork, box = el.querySelector('.kg-canvas').getBoundingClientRect();
  const ids = net.getConnectedEdges(ends[0]).filter(id => {
    const e = net.body.edges[id];
    return e && ((e.fromId === ends[0] && e.toId === ends[1]) || (e.fromId === ends[1] && e.toId === ends[0]));
  });
  for (const id of ids) {
    for (const t of [0.5, 0.4, 0.6, 0.3, 0.7]) {
      const p = net.canvasToDOM(net.body.edges[id].edgeType.getPoint(t));
      if (net.getEdgeAt(p) === id && net.getNodeAt(p) === undefined) return {id, x: box.left + p.x, y: box.top + p.y};
    }
  }
  return null;
}"""
# The groups (kinds) of the nodes drawn.
GROUPS_JS = "el => el.__kgNetwork.body.data.nodes.get().map(n => n.group)"


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Any]]:
    with streamlit_app(ROOT / "app.py", tmp_path_factory.mktemp("journey")) as url, chromium() as browser:
        yield url, browser


def _graph(page: Any) -> Any:
    graph = page.locator(".kg-graph").first
    wait_until(lambda: graph.evaluate("el => Number(el.dataset.drawn || 0)") > 0, "the graph to be drawn")
    graph.scroll_into_view_if_needed()
    return graph


def _focus_is(graph: Any, local: str) -> bool:
    return bool(graph.evaluate("el => el.dataset.focus || ''") == KG + local)


def test_the_student_journey(app: tuple[str, Any]) -> None:
    url, browser = app
    SHOTS.mkdir(parents=True, exist_ok=True)
    timings: dict[str, float] = {}
    page = browser.new_page(viewport={"width": 1400, "height": 900}, accept_downloads=True)
    outside = block_outside(page)
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))

    def step(name: str, action: Callable[[], None]) -> None:
        started = time.monotonic()
        action()
        timings[name] = round(time.monotonic() - started, 2)
        wait_for_idle(page)
        page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=False)
        assert page.locator("[data-testid='stException']").count() == 0, name

    def search(text: str) -> Any:
        box = page.get_by_label(SEARCH)
        box.fill(text)
        box.press("Enter")
        return box

    page.goto(url)
    page.get_by_role("heading", name="Explore").wait_for(timeout=60_000)

    def lay_names() -> None:  # bug 2: lay names find their substance
        for typed, heading in (("magic mushrooms", "Psilocybin"), ("shrooms", "Psilocybin"), ("molly", "MDMA")):
            search(typed)
            page.get_by_role("heading", name=heading, exact=True).wait_for(timeout=30_000)

    step("01-lay-names", lay_names)

    def refocus() -> None:  # a click on Alcohol use disorder moves the focus; the box no longer says Ketamine
        search("ketamine")
        page.get_by_role("heading", name="Ketamine", exact=True).wait_for(timeout=30_000)
        graph = _graph(page)
        wait_until(lambda: _focus_is(graph, "ketamine"), "the graph on ketamine")
        wait_for_idle(page)
        graph.scroll_into_view_if_needed()
        target = wait_until(lambda: graph.evaluate(NODE_AT_JS, KG + "alcohol_use_disorder"), "the AUD node")
        page.mouse.click(target["x"], target["y"])
        page.get_by_role("heading", name="Alcohol use disorder", exact=True).wait_for(timeout=30_000)
        wait_until(lambda: page.get_by_label(SEARCH).input_value() == "", "the search box to empty")

    step("02-refocus-by-click", refocus)

    def search_back() -> None:  # bug 1: searching ketamine again finds it again
        search("ketamine")
        page.get_by_role("heading", name="Ketamine", exact=True).wait_for(timeout=30_000)
        wait_until(lambda: _focus_is(_graph(page), "ketamine"), "the graph back on ketamine")

    step("03-search-back", search_back)

    def nothing_found() -> None:  # bug 2: no earlier card under "Nothing matches"
        search("zzqx nothing")
        page.get_by_text("Nothing matches", exact=False).first.wait_for(timeout=30_000)
        wait_until(lambda: page.get_by_role("heading", name="Ketamine", exact=True).count() == 0, "the card gone")

    step("04-nothing-found", nothing_found)

    def edge_evidence() -> None:  # bug 6: a click on an edge opens its evidence in the app
        page.goto(url + "?e=ketamine&rel=testedFor")
        graph = _graph(page)
        wait_for_idle(page)
        point = wait_until(
            lambda: graph.evaluate(EDGE_AT_JS, [KG + "ketamine", KG + "alcohol_use_disorder"]), "the AUD edge"
        )
        page.mouse.click(point["x"], point["y"])
        panel = page.get_by_text("Evidence for the link", exact=False).first
        panel.wait_for(timeout=30_000)
        panel.scroll_into_view_if_needed()
        page.get_by_text("Grabski et al. 2022", exact=False).filter(visible=True).first.wait_for(timeout=30_000)

    step("05-edge-evidence", edge_evidence)

    def evidence_filter() -> None:  # bug 6: the filter leaves no studies, events or legal statuses
        page.goto(url + "?e=ketamine")
        everything = _graph(page).evaluate(GROUPS_JS)
        page.goto(url + "?e=ketamine&lvl=RCT")
        graph = _graph(page)
        wait_for_idle(page)
        kinds = graph.evaluate(GROUPS_JS)
        assert len(kinds) < len(everything)
        assert not set(kinds) & {"kind:Study", "kind:Legal status", "kind:Regulatory event", "kind:Historical event"}

    step("06-evidence-filter", evidence_filter)

    def paths() -> None:  # bug 5: mechanisms and clinical evidence first, no regulatory hop
        page.goto(url + "connections?from=ketamine&to=ptsd&k=5&len=4")
        page.get_by_text(
            "Ketamine tested as a treatment for Post-traumatic stress disorder", exact=False
        ).first.wait_for(timeout=60_000)
        kinds = _graph(page).evaluate(GROUPS_JS)
        assert not set(kinds) & {"kind:Regulatory event", "kind:Legal status", "kind:Study"}

    step("07-paths", paths)

    def compare_three() -> None:  # bug 3: the MDMA column is on screen
        page.goto(url + "compare?s=ketamine,psilocybin,mdma")
        header = page.locator("[data-testid='stTable'] th", has_text="MDMA").first
        header.wait_for(timeout=60_000)
        box = header.bounding_box()
        assert box is not None
        assert box["x"] + box["width"] <= 1400

    step("08-compare-three", compare_three)

    def evidence_link() -> None:  # the filters live in the address: the shared link opens the same view
        page.goto(url + "evidence?sub=ketamine&lvl=RCT")
        caption = page.get_by_text("claims · this page's address keeps the filters", exact=False).first
        caption.wait_for(timeout=60_000)
        shown, total = (int(x) for x in caption.inner_text().split(" claims")[0].split(" of "))
        assert 0 < shown < total
        page.reload()
        page.get_by_text(f"{shown} of {total} claims", exact=False).first.wait_for(timeout=60_000)
        assert parse_qs(urlparse(page.url).query) == {"sub": ["ketamine"], "lvl": ["RCT"]}

    step("09-evidence-shared-by-link", evidence_link)

    def evidence_map() -> None:
        heading = page.get_by_role("heading", name="The evidence map: what each substance was tested for")
        heading.evaluate("el => el.scrollIntoView({block: 'start'})")
        page.get_by_text("not in this graph", exact=False).first.wait_for(timeout=30_000)

    step("10-evidence-map", evidence_map)

    def lesson() -> None:  # bug 4: the step draws what its feedback names; studies by name, no raw ids
        page.goto(url + "lessons?lesson=ketamine-for-alcohol-use-disorder&step=3")
        graph = _graph(page)
        wait_until(lambda: graph.evaluate(NODE_AT_JS, KG + "alcohol_use_disorder") is not None, "AUD in the view")
        page.get_by_text("No clear difference between ketamine and placebo", exact=True).click()
        page.get_by_text("Right.", exact=False).first.wait_for(timeout=30_000)
        body = page.inner_text("body")
        assert "Grabski et al. 2022" in body
        assert "claim_" not in body
        assert "kg:" not in body

    step("11-lesson", lesson)

    def export() -> None:
        page.goto(url + "?e=ketamine")
        page.get_by_role("heading", name="Ketamine", exact=True).wait_for(timeout=60_000)
        page.get_by_role("button", name="Export / embed").click()
        with page.expect_download(timeout=60_000) as download:
            page.get_by_role("button", name="Web page (.html)").click()
        saved = SHOTS / download.value.suggested_filename
        download.value.save_as(saved)
        assert "not medical advice" in saved.read_text(encoding="utf-8")

    step("12-export", export)

    (SHOTS / "timings.json").write_text(json.dumps(timings, indent=2), encoding="utf-8")
    assert outside == []
    assert errors == []
    page.close()


def test_uploaded_data_offers_the_offline_page_not_a_live_embed(app: tuple[str, Any], tmp_path: Any) -> None:
    """Issue 15, bug 7: after uploading RDF on the Data page, Explore's export menu says a live embed would not
    show this session's data to anyone else, and offers no live embed code."""
    url, browser = app
    data = tmp_path / "people.ttl"
    data.write_text(
        "@prefix ex: <http://example.org/> . @prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n"
        'ex:alice rdfs:label "Alice Example" ; ex:knows ex:bob . ex:bob rdfs:label "Bob Example" .\n',
        encoding="utf-8",
    )
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    outside = block_outside(page)
    page.goto(url + "data")
    page.get_by_text("Your RDF files", exact=False).first.click(timeout=60_000)
    page.locator("input[type='file']").set_input_files(str(data))
    load = page.get_by_role("button", name="Load these files")
    wait_until(load.is_enabled, "the upload to finish")
    load.click()
    page.get_by_text("people.ttl", exact=False).first.wait_for(timeout=60_000)
    wait_for_idle(page)
    page.locator("[data-testid='stSidebarNav']").get_by_text("Explore", exact=True).click()  # same session
    box = page.get_by_label("Search your data by name")
    box.fill("Alice")
    box.press("Enter")
    page.get_by_role("heading", name="Alice Example", exact=True).wait_for(timeout=60_000)
    page.get_by_role("button", name="Export / embed").click()
    popover = page.locator("[data-testid='stPopoverBody']")
    popover.get_by_text("only this browser session holds", exact=False).wait_for(timeout=30_000)
    page.screenshot(path=str(SHOTS / "13-uploaded-data-export.png"))

    assert "Or embed this live view" not in popover.inner_text()
    assert outside == []
    page.close()
