"""Exported pages in a real browser with the network cut off: they draw, explain and never reach out.

Each page is opened from a file:// URL in Debian's chromium (through Playwright; never a downloaded
browser). Every request is routed: all but the file itself are aborted and recorded, and so is every
request the page merely starts. Also measures (never asserts) file size and time to a settled drawing
for views of about 50, 100, 500 and 1,000 nodes, into test-artifacts/export-offline.json.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from kgexplorer import KnowledgeGraph, Settings
from kgexplorer.views.export import export_html, write_export
from kgexplorer.views.lesson_pages import export_lesson_html
from kgexplorer.views.lessons import get_lesson

from .harness import ARTIFACTS, chromium, non_blank_pixels, wait_until

PWN_IMG = "<img src=x onerror=window.__pwned=1>"
PWN_SCRIPT = "</script><script>window.__pwned=2</script>"
HOSTILE_TTL = f"""
PREFIX kgx: <https://w3id.org/kgexplorer/vocab#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX ex: <http://example.org/x#>
ex:evil a kgx:Substance ; rdfs:label "{PWN_IMG}" .
ex:target a kgx:Condition ; rdfs:label "{PWN_SCRIPT}" .
ex:study a kgx:Study ; rdfs:label "{PWN_IMG} study" ; kgx:doi <javascript:window.__pwned=3> .
ex:claim a kgx:Claim ; kgx:subject ex:evil ; kgx:predicate kgx:testedFor ; kgx:object ex:target ;
    kgx:explanation "{PWN_IMG} [x](javascript:window.__pwned=4)" ; kgx:supportedBy ex:study ;
    dcterms:source <javascript:window.__pwned=5> .
"""

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.xdist_group("export_browser")]

# Finds a link (edge) with claims whose middle is on screen and not under a node; returns where to click.
_EDGE_JS = """box => {
  const net = box.kgNetwork, data = JSON.parse(document.getElementById(box.dataset.source).textContent);
  const rect = box.querySelector('canvas').getBoundingClientRect();
  for (const id of Object.keys(data.links).sort()) {
    const edge = net.body.edges[id];
    if (!edge) continue;
    const p = net.canvasToDOM(edge.edgeType.getPoint(0.5));
    if (p.x < 10 || p.y < 10 || p.x > rect.width - 10 || p.y > rect.height - 10) continue;
    if (net.getEdgeAt(p) !== id || net.getNodeAt(p) !== undefined) continue;
    return {id, x: rect.left + p.x, y: rect.top + p.y};
  }
  return null;
}"""
_NODE_JS = """(box, id) => {
  const net = box.kgNetwork, rect = box.querySelector('canvas').getBoundingClientRect();
  const p = net.canvasToDOM(net.getPositions([id])[id]);
  return {x: rect.left + p.x, y: rect.top + p.y};
}"""
# Records CSP violations, before any of the page's own code runs.
_CSP_LOG = """window.__csp = [];
document.addEventListener('securitypolicyviolation', e => window.__csp.push(e.violatedDirective));"""


@dataclass
class _Opened:
    page: Any
    outgoing: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as launched:
        yield launched


def _open(browser: Any, path: Path, *, wait: bool = True) -> _Opened:
    """Open a file with everything else blocked; every other request is aborted and recorded."""
    url = path.resolve().as_uri()
    opened = _Opened(browser.new_page(viewport={"width": 1280, "height": 900}))
    page = opened.page

    def only_the_file(route: Any) -> None:
        if route.request.url == url:
            route.continue_()
        else:
            opened.outgoing.append(route.request.url)
            route.abort()

    page.route("**/*", only_the_file)
    # Requests the CSP blocks never reach the router, but the page still started them: count them too.
    page.on("request", lambda r: r.url == url or r.url.startswith("data:") or opened.outgoing.append(r.url))
    page.on("pageerror", lambda exc: opened.errors.append(str(exc)))
    page.add_init_script(_CSP_LOG)
    page.goto(url)
    if wait:
        page.wait_for_selector(".kg-view[data-drawn]", state="attached", timeout=120_000)
    return opened


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("exports")


def test_view_draws_offline_and_an_edge_click_shows_its_sources(kg: KnowledgeGraph, browser: Any, folder: Path) -> None:
    """Drawn with no network, legend visible, a link's claims and studies open on click, zero requests."""
    path = write_export("ketamine.html", export_html(kg.neighbourhood("ketamine"), kg=kg), folder=folder)
    opened = _open(browser, path)
    page = opened.page
    try:
        box = page.locator(".kg-view")
        assert non_blank_pixels(box.locator("canvas").screenshot()) > 2_000
        legend = page.locator(".kg-legend")
        assert legend.is_visible()
        assert "Substance" in legend.inner_text()
        assert page.evaluate("[...document.querySelectorAll('.kg-legend img')].every(i => i.naturalWidth > 0)")

        target = box.evaluate(_EDGE_JS)
        assert target is not None, "no link with claims could be clicked"
        page.mouse.click(target["x"], target["y"])
        panel = page.locator(".kg-panel")
        panel.wait_for(state="visible", timeout=10_000)
        text = panel.inner_text()
        assert " → " in text
        assert "Studies:" in text or "Sources:" in text
        for link in panel.locator("a").all():
            assert (link.get_attribute("href") or "").startswith("https://")
            assert link.get_attribute("rel") == "noopener noreferrer"

        assert not opened.outgoing
        assert not opened.errors
        assert page.evaluate("window.__csp") == []
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "export-view.png"))
    finally:
        page.close()


def test_hostile_export_never_runs_its_payload_and_the_csp_holds(browser: Any, folder: Path) -> None:
    """Hostile labels, texts and links stay text through load, hover and clicks; injected code is blocked."""
    data = folder / "hostile.ttl"
    data.write_text(HOSTILE_TTL, encoding="utf-8")
    with KnowledgeGraph.from_files([str(data)]) as hostile:
        page_text = export_html(hostile.neighbourhood("http://example.org/x#evil"), kg=hostile, title=PWN_IMG)
    path = write_export("hostile.html", page_text, folder=folder)
    opened = _open(browser, path)
    page = opened.page
    try:
        box = page.locator(".kg-view")
        point = box.evaluate(_NODE_JS, "http://example.org/x#evil")
        page.mouse.move(point["x"], point["y"])
        page.wait_for_timeout(400)  # the tooltip's delay
        page.mouse.click(point["x"], point["y"])
        panel = page.locator(".kg-panel")
        panel.wait_for(state="visible", timeout=10_000)
        assert PWN_IMG in panel.inner_text()
        target = box.evaluate(_EDGE_JS)
        assert target is not None
        page.mouse.click(target["x"], target["y"])
        wait_until(lambda: "[x](javascript:" in panel.inner_text(), "the link's panel")
        assert panel.locator("a").count() == 0  # javascript: URLs never become links
        assert page.evaluate("window.__pwned") is None
        assert page.evaluate('document.querySelectorAll(\'img[src="x"], a[href^="javascript"]\').length') == 0
        assert not opened.outgoing
        assert page.evaluate("window.__csp") == []

        # The CSP holds: code smuggled into the page (as a bug in our escaping would) is refused.
        page.evaluate("""() => {
          const s = document.createElement('script'); s.textContent = 'window.__pwned = 6'; document.body.append(s);
          const d = document.createElement('div'); d.innerHTML = '<img src="data:," onerror="window.__pwned=7">';
          document.body.append(d); }""")
        page.wait_for_timeout(300)
        assert page.evaluate("window.__pwned") is None
        assert "script-src-elem" in page.evaluate("window.__csp")
        assert not opened.errors
    finally:
        page.close()


def test_lesson_export_steps_through_offline(kg: KnowledgeGraph, browser: Any, folder: Path) -> None:
    """A lesson shows one step at a time; each step's graph draws when shown; answers reveal on click."""
    lesson = get_lesson("how-ketamine-works")
    path = write_export("lesson.html", export_lesson_html(lesson, kg=kg), folder=folder)
    opened = _open(browser, path, wait=False)
    page = opened.page
    try:
        steps = page.locator("section.kg-step")
        assert steps.count() == len(lesson.steps)
        for i, step in enumerate(lesson.steps):
            status = page.locator("#kg-step-status")
            assert status.inner_text() == f"Step {i + 1} of {len(lesson.steps)}"
            current = steps.nth(i)
            assert current.is_visible()
            assert sum(steps.nth(j).is_visible() for j in range(steps.count())) == 1
            if step.view is not None:
                current.locator(".kg-view[data-drawn]").wait_for(state="attached", timeout=60_000)
            if step.question is not None:
                current.get_by_text("Show the answer").click()
                answer = current.locator(".kg-answer p")
                assert answer.is_visible()
                assert step.question.choices[step.question.answer] in answer.inner_text()
            if i < len(lesson.steps) - 1:
                page.locator("#kg-next").click()
        assert page.locator("#kg-next").is_disabled()
        assert not opened.outgoing
        assert not opened.errors
        assert page.evaluate("window.__csp") == []
    finally:
        page.close()


def _hub_graph(path: Path, nodes: int) -> None:
    """A hub linked to nodes-1 neighbours, some of which are also linked to each other."""
    lines = [
        "PREFIX kgx: <https://w3id.org/kgexplorer/vocab#>",
        "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>",
        "PREFIX ex: <http://example.org/hub#>",
        'ex:hub a kgx:Substance ; rdfs:label "Hub" .',
    ]
    kinds = ("Mechanism", "Condition", "Outcome", "Study", "Risk")
    for i in range(1, nodes):
        lines.append(f'ex:n{i} a kgx:{kinds[i % len(kinds)]} ; rdfs:label "Neighbour {i}" .')
        # Two relations: the neighbourhood ranks at most 500 neighbours per relation and direction.
        lines.append(f"ex:hub ex:{'linksTo' if i % 2 else 'relatesTo'} ex:n{i} .")
        if i % 3 == 0:
            lines.append(f"ex:n{i} ex:near ex:n{i - 1} .")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_measure_export_size_and_time_to_drawn(browser: Any, folder: Path) -> None:
    """Measured, not asserted: HTML size and time from navigation to a settled drawing, by view size."""
    report: dict[str, dict[str, float]] = {}
    limits = Settings(max_view_nodes=2_000, neighbours_per_relation=2_000)
    for size in (50, 100, 500, 1_000):
        data = folder / f"hub-{size}.ttl"
        _hub_graph(data, size)
        with KnowledgeGraph.from_files([str(data)], settings=limits) as graph:
            started = time.perf_counter()
            view = graph.neighbourhood("http://example.org/hub#hub")
            text = export_html(view, kg=graph)
            built = time.perf_counter() - started
        path = write_export(f"hub-{size}.html", text, folder=folder)
        opened = _open(browser, path)
        try:
            drawn_ms = opened.page.locator(".kg-view").evaluate("box => box.kgDrawnAt")
            assert not opened.outgoing
            report[f"{view.graph.number_of_nodes()} nodes"] = {
                "html_bytes": len(text.encode()),
                "export_s": round(built, 2),
                "navigation_to_drawn_ms": round(drawn_ms, 1),
            }
        finally:
            opened.page.close()
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "export-offline.json").write_text(json.dumps(report, indent=2), encoding="utf-8")
    print(json.dumps(report, indent=2))


def test_built_lesson_presents_with_the_keyboard_offline(kg: KnowledgeGraph, browser: Any, folder: Path) -> None:
    """Issue 19: a lesson made with the builder (Explore's view, Compare's view, a timeline with a quiz of two
    right answers) exported offline, presented full screen and stepped through with the keyboard alone: each
    graph draws, the timeline shows, the answer opens on demand, and the page makes no outside request."""
    from kgexplorer.views.lesson_builder import add_step, capture, make_question, new_lesson, replace_step
    from kgexplorer.views.lessons import CompareView, FocusView, TimelineView

    lesson = new_lesson(title="Ketamine in three views", slug="ketamine-three-views", audience="Class", minutes=10)
    lesson = add_step(lesson, capture(FocusView(focus="ketamine", kinds=("Mechanism",)), title="Mechanisms"))
    lesson = add_step(lesson, capture(CompareView(substances=("ketamine", "psilocybin")), title="Compared"))
    lesson = add_step(lesson, capture(TimelineView(substances=("ketamine", "esketamine")), title="History"))
    question = make_question(
        prompt="Which happened before 2000?", choices=("First synthesis", "US Schedule III", "Esketamine approved"),
        right=(0, 1), explanation="1962 and 1999.", cites=("hist_ketamine_synthesis_1962",),
    )  # fmt: skip
    lesson = replace_step(lesson, 2, question=question)
    path = write_export("built-lesson.html", export_lesson_html(lesson, kg=kg), folder=folder)
    opened = _open(browser, path, wait=False)
    page = opened.page
    try:
        steps = page.locator("section.kg-step")
        page.locator("#kg-present").click()
        assert page.evaluate("document.body.classList.contains('kg-presenting')")
        page.locator("body").focus()
        for i in range(3):
            assert page.locator("#kg-step-status").inner_text() == f"Step {i + 1} of 3"
            current = steps.nth(i)
            assert [steps.nth(j).is_visible() for j in range(3)] == [j == i for j in range(3)]
            if i < 2:
                current.locator(".kg-view[data-drawn]").wait_for(state="attached", timeout=60_000)
                box = current.locator(".kg-view").bounding_box()
                assert box is not None
                assert box["height"] > 0.7 * 900
                assert non_blank_pixels(current.locator("canvas").screenshot()) > 2_000
            else:
                figure = current.locator("figure.kg-timeline svg")
                assert figure.is_visible()
                assert "1962" in (figure.text_content() or "")
                assert not current.locator(".kg-answer p").is_visible()  # revealed only on demand
                current.get_by_text("Show the answer").click()
                answer = current.locator(".kg-answer p").inner_text()
                assert "Answers: A. First synthesis, B. US Schedule III" in answer
            page.keyboard.press("ArrowRight")
        assert page.locator("#kg-step-status").inner_text() == "Step 3 of 3"
        page.keyboard.press("ArrowLeft")
        assert page.locator("#kg-step-status").inner_text() == "Step 2 of 3"
        page.keyboard.press("Home")
        assert page.locator("#kg-step-status").inner_text() == "Step 1 of 3"
        page.keyboard.press("Escape")
        assert not page.evaluate("document.body.classList.contains('kg-presenting')")
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "lesson-presented.png"))
        assert opened.outgoing == []
        assert not opened.errors
        assert page.evaluate("window.__csp") == []
    finally:
        page.close()
