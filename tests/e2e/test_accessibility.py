"""Accessibility of the real app in real Chromium: axe-core on every page in both themes, and the keyboard path.

* Every page of app_pages/ (plus states that matter: a focused entity with its graph drawn, a query run with
  its results, three substances compared, a lesson step with its graph and its quiz answered) is loaded in
  Streamlit's light and dark themes (the browser's colour scheme; the app follows it) and checked by axe-core
  (tests/e2e/axe.py: fetched from npm at test time) against the WCAG 2.0/2.1 A and AA rules. Any violation
  fails the test, and each is printed with its rule, node and fix.
* Violations inside other projects' widgets that we cannot change are excluded one by one in EXCLUSIONS
  below, the only such list: rule id + where + reason. Each exclusion must still match on the pages it names,
  so it cannot go stale after an upgrade.
* From a fresh Explore page, Tab is pressed stop by stop; the focused element at each stop is written to
  test-artifacts/accessibility/tab-order-explore-{theme}.json. The skip link is the first stop and leads to
  search; every stop shows a focus ring at 3:1 or more against its background.

The Streamlit version these results hold for is pinned in pyproject.toml (dependency group ``test``); the
test checks the installed one matches (docs/decisions/accessibility.md).
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import streamlit
from tests.inputs import require

from .axe import format_violations, run_axe
from .harness import ARTIFACTS, ROOT, chromium, page_messages, streamlit_app, wait_for_idle, wait_until

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.xdist_group("accessibility")]

OUT = ARTIFACTS / "accessibility"
SEARCH_LABEL = "Search substances, conditions, mechanisms, therapies, studies…"


@dataclass(frozen=True)
class Exclusion:
    """One axe violation we accept because the markup is not ours: ``rule`` on nodes whose frame URL contains
    ``frame`` and whose selector matches ``target`` (a regular expression), on the ``states`` named."""

    rule: str
    frame: str
    target: str
    states: tuple[str, ...]
    reason: str

    def matches(self, violation: dict[str, Any], node: dict[str, Any]) -> bool:
        return (
            violation["id"] == self.rule
            and self.frame in violation["frame"]
            and re.fullmatch(self.target, node["target"]) is not None
        )


#: Every accepted violation, each with its reason. Keep it short: anything in our own markup is fixed instead.
EXCLUSIONS: tuple[Exclusion, ...] = ()


def apply_exclusions(
    violations: list[dict[str, Any]], exclusions: tuple[Exclusion, ...], *, state: str
) -> tuple[list[dict[str, Any]], list[Exclusion]]:
    """The violations left once the exclusions for ``state`` are taken out, and those exclusions that matched
    nothing there (stale: the widget changed, so the exclusion must go)."""
    wanted = [x for x in exclusions if state in x.states]
    used: set[Exclusion] = set()
    left: list[dict[str, Any]] = []
    for violation in violations:
        nodes = []
        for node in violation["nodes"]:
            hit = next((x for x in wanted if x.matches(violation, node)), None)
            if hit is None:
                nodes.append(node)
            else:
                used.add(hit)
        if nodes:
            left.append({**violation, "nodes": nodes})
    return left, [x for x in wanted if x not in used]


def _wait_graph(page: Any) -> None:
    graph = page.locator(".kg-graph").first
    wait_until(lambda: graph.evaluate("el => Number(el.dataset.drawn || 0)") > 0, "the graph to be drawn")


def _run_query(page: Any) -> None:
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    # For the account below: whether the editor's frame had drawn Ace when the button was clicked.
    editor_ready = page.frame_locator("iframe[title*='code_editor']").first.locator(".ace_content").count() > 0
    page.get_by_role("button", name="▶ Run query").click()
    try:
        page.get_by_text("Rows", exact=True).first.wait_for(timeout=30_000)
    except PlaywrightTimeout:
        # This wait failed now and then in full runs, for three causes since fixed (docs/decisions/
        # workbench-runs.md). Should it fail again, say what the page showed instead.
        OUT.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(OUT / "workbench-query-run-failed.png"), full_page=True)
        state = page.locator("[data-testid='stApp']").get_attribute("data-test-script-state")
        pytest.fail(
            f"no 'Rows' 30 s after Run query: script {state}, messages {page_messages(page)}, editor drawn at the "
            f"click: {editor_ready} (screenshot saved)"
        )
    wait_for_idle(page)


def _answer_quiz(page: Any) -> None:
    _wait_graph(page)
    page.get_by_text("No clear difference between ketamine and placebo", exact=True).click()
    page.get_by_text("Right.", exact=False).first.wait_for(timeout=30_000)
    wait_for_idle(page)


# state name -> (path after the app's URL, what to do once the page has loaded)
STATES: dict[str, tuple[str, Callable[[Any], None] | None]] = {
    "explore": ("", None),
    "connections": ("connections", None),
    "compare": ("compare", None),
    "evidence": ("evidence", None),
    "lessons": ("lessons", None),
    "lesson-builder": ("lesson-builder", None),
    "workbench": ("workbench", None),
    "data": ("data", None),
    "about": ("about", None),
    "explore-ketamine-graph": ("?e=ketamine", _wait_graph),
    "explore-embedded": ("?e=ketamine&embed=true", _wait_graph),  # the view an educator puts in an iframe
    "workbench-query-run": ("workbench", _run_query),
    "compare-three": ("compare?s=ketamine,psilocybin,mdma", None),
    "lesson-step-answered": ("lessons?lesson=ketamine-for-alcohol-use-disorder&step=3", _answer_quiz),
}
THEMES = ("light", "dark")


def _pinned_streamlit() -> str:
    groups = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["dependency-groups"]
    pins = [r for r in groups["test"] if isinstance(r, str) and r.replace(" ", "").startswith("streamlit==")]
    assert len(pins) == 1, "pyproject.toml's test group must pin streamlit exactly once (streamlit==X.Y.Z)"
    return pins[0].split("==", 1)[1].split()[0].strip()


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Any]]:
    pinned = _pinned_streamlit()
    require(
        streamlit.__version__ == pinned,
        what=f"Streamlit {pinned}, the version the accessibility results hold for (installed: {streamlit.__version__})",
        fix=f"pip install streamlit=={pinned} (make test installs the test group), or re-check and move the pin",
    )
    with streamlit_app(ROOT / "app.py", tmp_path_factory.mktemp("a11y")) as url, chromium() as browser:
        yield url, browser


def _open(browser: Any, url: str, *, theme: str) -> Any:
    context = browser.new_context(color_scheme=theme, viewport={"width": 1400, "height": 900})
    page = context.new_page()
    page.goto(url)
    # Idle is also the state before the first run starts: wait for the page's own content (its title) first.
    page.locator("[data-testid='stMain'] :is(h1, h3)").first.wait_for(timeout=60_000)
    wait_for_idle(page, timeout_s=60)
    return page


def _background_luminance(page: Any) -> float:
    """Relative luminance (0 black … 1 white) of the app's background, to check which theme is showing."""
    rgb = page.locator("[data-testid='stApp']").evaluate("el => getComputedStyle(el).backgroundColor")
    r, g, b = (int(x) / 255 for x in re.findall(r"[\d.]+", rgb)[:3])
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


@pytest.mark.parametrize("theme", THEMES)
@pytest.mark.parametrize("state", list(STATES))
def test_axe_finds_no_wcag_violation(app: tuple[str, Any], state: str, theme: str) -> None:
    """axe-core's WCAG 2.0/2.1 A and AA rules pass on this page state in this theme."""
    url, browser = app
    path, then = STATES[state]
    page = _open(browser, url + path, theme=theme)
    try:
        assert page.locator("[data-testid='stDialog']").count() == 0, "the page opened a dialog (page not found?)"
        if then is not None:
            then(page)
        # Elements whose code loads lazily show a grey placeholder first; axe must see the real thing.
        skeletons = page.locator("[data-testid^='stSkeleton'], [data-testid='stAppSkeleton']")
        wait_until(lambda: skeletons.count() == 0 or None, "the page's placeholders to be replaced")
        page.wait_for_timeout(300)  # let transitions (expanders, fades) end: axe measures colours as drawn
        luminance = _background_luminance(page)
        assert (luminance > 0.5) if theme == "light" else (luminance < 0.2), f"{theme} theme not showing"
        violations = run_axe(page)
        OUT.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(OUT / f"{state}-{theme}.png"), full_page=True)
    finally:
        page.context.close()
    left, stale = apply_exclusions(violations, EXCLUSIONS, state=state)
    (OUT / f"{state}-{theme}.json").write_text(json.dumps(violations, indent=2), encoding="utf-8")
    assert not left, f"axe found {len(left)} WCAG A/AA violation(s) on {state} ({theme}):\n" + format_violations(left)
    assert not stale, "exclusions that no longer match anything (remove them): " + "; ".join(
        f"{x.rule} at {x.target} ({x.reason})" for x in stale
    )


def test_every_page_is_checked() -> None:
    """A page added to app_pages/ without an accessibility state fails here."""
    pages = {p.stem.replace("_", "-") for p in (ROOT / "app_pages").glob("*.py")}
    assert pages <= set(STATES), f"pages without an axe check: {sorted(pages - set(STATES))}"
    assert all(state in STATES for x in EXCLUSIONS for state in x.states)


def test_an_exclusion_takes_out_only_its_nodes_and_goes_stale_when_unused() -> None:
    """The exclusion rule itself: one rule, one frame, one selector, on the states named; unused, it is stale."""
    editor = Exclusion("label", "/component/code_editor", r"textarea", ("workbench",), "the editor's own textarea")
    found = [
        {"id": "label", "frame": "http://x/component/code_editor/index.html", "nodes": [{"target": "textarea"}]},
        {"id": "label", "frame": "page", "nodes": [{"target": "#ours > input"}]},
        {"id": "color-contrast", "frame": "http://x/component/code_editor/index.html", "nodes": [{"target": "span"}]},
    ]
    left, stale = apply_exclusions(found, (editor,), state="workbench")
    assert [(v["id"], v["frame"]) for v in left] == [("label", "page"), ("color-contrast", found[2]["frame"])]
    assert stale == []
    left, stale = apply_exclusions(found, (editor,), state="explore")  # not named there: nothing taken out
    assert len(left) == 3
    assert stale == []
    left, stale = apply_exclusions(found[1:], (editor,), state="workbench")  # the widget was fixed upstream
    assert len(left) == 2
    assert stale == [editor]


# The element the keyboard is on (looking into shadow roots), described for the record, and whether it shows a
# focus ring: an outline at least 2 px wide, not transparent, and not clipped by an ancestor. (Streamlit's own
# focus shadows, half-transparent, do not count.)
FOCUSED_JS = """() => {
  let e = document.activeElement;
  while (e && e.shadowRoot && e.shadowRoot.activeElement) e = e.shadowRoot.activeElement;
  if (!e || e === document.body) return {tag: 'BODY'};
  const s = getComputedStyle(e);
  const outline = s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2
                  && !/rgba\\(.*, 0\\)$/.test(s.outlineColor) && s.outlineColor !== 'transparent';
  // A ring drawn outside the element is lost where an ancestor clips it (a text box's frame does).
  const grow = Math.max(0, parseFloat(s.outlineOffset) + parseFloat(s.outlineWidth));
  const r = e.getBoundingClientRect();
  let clipped = false;
  for (let a = e.parentElement; a && grow > 0; a = a.parentElement) {
    const q = getComputedStyle(a);
    // hidden or clip cuts the ring off; from a scroller (auto, scroll) outwards it is a matter of scrolling
    if ([q.overflowX, q.overflowY].some(o => o === 'auto' || o === 'scroll')) break;
    if (![q.overflowX, q.overflowY].some(o => o === 'hidden' || o === 'clip')) continue;
    const c = a.getBoundingClientRect();
    if (r.left - grow < c.left - 0.5 || r.right + grow > c.right + 0.5 || r.top - grow < c.top - 0.5
        || r.bottom + grow > c.bottom + 0.5) { clipped = true; break; }
  }
  const holder = e.closest('[data-testid]');
  // What the ring is drawn against: the element itself for a ring inside it, else the nearest opaque ancestor.
  let b = parseFloat(s.outlineOffset) < 0 ? e : (e.parentElement || e.getRootNode().host);
  while (b && /rgba\\(.*, 0\\)$|transparent/.test(getComputedStyle(b).backgroundColor))
    b = b.parentElement || (b.getRootNode() !== document ? b.getRootNode().host : null);
  return {
    tag: e.tagName, role: e.getAttribute('role'), name: e.getAttribute('aria-label') || (e.innerText || '').trim()
      .replace(/\\s+/g, ' ').slice(0, 60), testid: e.getAttribute('data-testid') || (holder && holder.dataset.testid),
    ring: outline && !clipped, clipped, shadow: s.boxShadow,
    outline: `${s.outlineStyle} ${s.outlineWidth} ${s.outlineColor}`,
    ringColor: s.outlineColor, against: b ? getComputedStyle(b).backgroundColor : 'rgb(255, 255, 255)',
  };
}"""


def _contrast(a: str, b: str) -> float:
    """WCAG contrast ratio of two opaque CSS rgb()/rgba() colours."""

    def luminance(css: str) -> float:
        channels = [int(float(x)) / 255 for x in re.findall(r"[\d.]+", css)[:3]]
        r, g, b = (c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
        return 0.2126 * r + 0.7152 * g + 0.0722 * b

    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def _tab_stops(page: Any, count: int) -> list[dict[str, Any]]:
    stops = []
    for _ in range(count):
        page.keyboard.press("Tab")
        stops.append(page.evaluate(FOCUSED_JS))
    return stops


def _is_search(stop: dict[str, Any]) -> bool:
    return stop.get("tag") == "INPUT" and stop.get("name") == SEARCH_LABEL


@pytest.mark.parametrize("theme", THEMES)
def test_search_within_three_tab_stops_and_focus_always_shows(app: tuple[str, Any], theme: str) -> None:
    """From a fresh Explore page: the first Tab stop is the skip link; Enter on it, then Tab, reaches search
    (stop 2). Every stop on the way, navigation links included, shows a focus ring."""
    url, browser = app
    page = _open(browser, url, theme=theme)
    search = page.get_by_label(SEARCH_LABEL)
    try:
        search.wait_for(timeout=30_000)
        wait_for_idle(page)
        plain = _tab_stops(page, 20)  # Tab alone, the whole cycle: the record of the page's order
        page.reload()
        search.wait_for(timeout=30_000)
        wait_for_idle(page)
        first = _tab_stops(page, 1)
        page.keyboard.press("Enter")  # the skip link: on to the page's content
        path = [*first, {"tag": "(Enter)"}, *_tab_stops(page, 2)]
    finally:
        page.context.close()
    search_plain = next((i + 1 for i, s in enumerate(plain) if _is_search(s)), None)
    search_skip = next((i + 1 for i, s in enumerate(s for s in path if s["tag"] != "(Enter)") if _is_search(s)), None)
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / f"tab-order-explore-{theme}.json").write_text(
        json.dumps(
            {
                "tab_alone": plain,
                "search_stop_tab_alone": search_plain,
                "skip_link_path": path,
                "search_stop_with_skip_link": search_skip,
            },
            indent=2,
        ),
        encoding="utf-8",
    )
    assert first[0].get("testid") == "stSkipToContent", f"the first Tab stop is not the skip link: {first[0]}"
    assert search_skip is not None, f"search not reached through the skip link: {path}"
    assert search_skip <= 3, f"search not within 3 stops after the skip link: {path}"
    assert search_plain is not None, f"Tab alone never reached search: {plain}"
    before_search = plain[:search_plain]
    assert any(s.get("testid") == "stSidebarNavLink" for s in before_search), "the navigation links were not reached"
    no_ring = [s for s in [*before_search, *path] if s["tag"] not in ("BODY", "(Enter)", "MAIN") and not s["ring"]]
    assert not no_ring, "focus not visible (no 2 px outline, or clipped) on: " + json.dumps(no_ring, indent=1)
    # WCAG 1.4.11: the ring itself at 3:1 or more against what it is drawn on
    faint = [s for s in [*before_search, *path] if s.get("ringColor") and _contrast(s["ringColor"], s["against"]) < 3]
    assert not faint, "focus rings under 3:1 against their background: " + json.dumps(faint, indent=1)


def test_graph_and_its_table_are_reachable_by_keyboard(app: tuple[str, Any]) -> None:
    """With a focus drawn, Tab reaches the graph (its label says how to use it) and the table of the same nodes and
    links, which opens with Enter: the screen-reader path of the graph."""
    url, browser = app
    page = _open(browser, url + "?e=ketamine", theme="light")
    try:
        _wait_graph(page)
        stops = _tab_stops(page, 60)
        graph = next((i for i, s in enumerate(stops) if s.get("role") == "application"), None)
        assert graph is not None, f"Tab never reached the graph: {stops}"
        assert "Arrow keys" in stops[graph]["name"], stops[graph]
        assert stops[graph]["ring"], stops[graph]
        assert _contrast(stops[graph]["ringColor"], stops[graph]["against"]) >= 3, stops[graph]
        table = next((i for i, s in enumerate(stops) if "Table of this view" in str(s.get("name", ""))), None)
        assert table is not None, f"Tab never reached the table of the view: {stops}"
        unnamed = [s for s in stops[: table + 1] if s["tag"] != "MAIN" and not (s.get("name") and s.get("ring"))]
        assert not unnamed, f"Tab stops without a name or a focus ring before the table: {unnamed}"
        page.reload()  # again from the top, now stopping at the table's heading
        _wait_graph(page)
        _tab_stops(page, table + 1)
        assert "Table of this view" in page.evaluate(FOCUSED_JS)["name"]
        page.keyboard.press("Enter")
        grid = page.locator("[data-testid='stExpander'] [data-testid='stDataFrame']").first
        grid.wait_for(timeout=10_000)
        assert grid.is_visible()
    finally:
        page.context.close()
