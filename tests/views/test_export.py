"""Exports (kgexplorer.views.export, kgexplorer.views.lesson_pages): offline HTML pages of views and lessons, handouts,
atomic writes (pictures: tests/test_picture.py).

The pages must be complete (legend, caption, citation, licence, the table, every link's sources), work
offline (no request leaves the page: checked here statically, and in a browser in tests/e2e), and stay
inert with hostile data (escaped everywhere, a CSP whose hashes match the page's own scripts).
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import json
import os
import re
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

import pytest

from kgexplorer import ExportError, KnowledgeGraph, Settings
from kgexplorer.model.compare import compare
from kgexplorer.views.export import export_entity, export_html, export_view, suggested_name, write_export
from kgexplorer.views.lesson_pages import export_lesson_handout, export_lesson_html
from kgexplorer.views.lessons import FocusView, Lesson, Question, Step, get_lesson
from kgexplorer.views.render import render

KETAMINE = "https://w3id.org/kgexplorer/id/ketamine"
IMG = "<img src=x onerror=alert(1)>"
BREAKOUT = "</script><script>window.__pwned=1</script>"
MD_LINK = "[click me](javascript:alert(1))"
EX = "http://example.org/x#"
HOSTILE_TTL = f"""
PREFIX kgx: <https://w3id.org/kgexplorer/vocab#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX ex: <{EX}>
ex:evil a kgx:Substance ; rdfs:label "{IMG}" .
ex:target a kgx:Condition ; rdfs:label "{BREAKOUT}" .
ex:other a kgx:Outcome ; rdfs:label "{MD_LINK} and javascript:alert(3)" .
ex:study a kgx:Study ; rdfs:label "<b onmouseover=alert(4)>Study</b>" ; kgx:year 2020 ;
    kgx:doi <javascript:alert(5)> .
ex:good a kgx:Study ; rdfs:label "A real-looking study" ; kgx:pmid "12345" .
ex:claim1 a kgx:Claim ; kgx:subject ex:evil ; kgx:predicate kgx:testedFor ; kgx:object ex:target ;
    kgx:explanation "{IMG} {MD_LINK}" ; kgx:supportedBy ex:study , ex:good ;
    dcterms:source <javascript:alert(6)> , <https://example.org/source> .
ex:claim2 a kgx:Claim ; kgx:subject ex:evil ; kgx:predicate kgx:affectsOutcome ; kgx:object ex:other ;
    kgx:explanation "plain" .
"""


class _Page(HTMLParser):
    """Collects what the tests look at: tags with attributes, inline scripts, table rows, text."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str]]] = []
        self.scripts: list[tuple[dict[str, str], str]] = []
        self.tables: dict[str, list[list[str]]] = {}
        self._script: dict[str, str] | None = None
        self._table: str | None = None
        self._row: list[str] | None = None
        self._cell: list[str] | None = None
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        self.tags.append((tag, values))
        if tag == "script":
            self._script = values
        elif tag == "table":
            self._table = values.get("class", "")
            self.tables[self._table] = []
        elif tag == "tr":
            self._row = []
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._row is not None and self._cell is not None:
            self._row.append("".join(self._cell))
            self._cell = None
        elif tag == "tr" and self._row is not None and self._table is not None:
            self.tables[self._table].append(self._row)
            self._row = None

    def handle_data(self, data: str) -> None:
        if self._script is not None:
            self.scripts.append((self._script, data))
            self._script = None
        elif self._cell is not None:
            self._cell.append(data)


def _csp(page: str) -> dict[str, list[str]]:
    match = re.search(r'<meta http-equiv="Content-Security-Policy" content="([^"]*)">', page)
    assert match, "the page has no CSP meta tag"
    return {d.split()[0]: d.split()[1:] for d in (p.strip() for p in match.group(1).split(";")) if d}


def _check_csp_and_urls(page: str) -> _Page:
    """The CSP allows exactly the page's inline scripts; no attribute points outside except https links."""
    parsed = _Page(page)
    csp = _csp(page)
    code = [text for attrs, text in parsed.scripts if attrs.get("type") != "application/json"]
    hashes = {"'sha256-" + base64.b64encode(hashlib.sha256(c.encode()).digest()).decode() + "'" for c in code}
    assert set(csp.get("script-src", [])) == hashes
    assert csp["default-src"] == ["'none'"]
    assert csp["style-src"] == ["'unsafe-inline'"]
    assert csp["img-src"] == ["data:"]
    assert csp["font-src"] == ["data:"]
    assert set(csp) <= {"default-src", "script-src", "style-src", "img-src", "font-src", "base-uri", "form-action"}
    for tag, attrs in parsed.tags:
        assert tag not in ("link", "iframe", "object", "embed", "base", "form"), tag
        assert not any(k.startswith("on") for k in attrs), (tag, attrs)
        if tag == "script":
            assert "src" not in attrs
        for name in ("src", "href", "action", "srcset", "poster", "data", "xlink:href"):
            value = attrs.get(name, "").strip().lower()
            if not value or value.startswith(("#", "data:image/svg+xml")):
                continue
            assert (tag, name, value[:8]) == ("a", "href", "https://")
            assert {"noopener", "noreferrer"} <= set(attrs.get("rel", "").split()), attrs
    return parsed


def _data(page: str, key: str) -> dict[str, object]:
    match = re.search(rf'<script type="application/json" id="kg-data-{key}">(.*?)</script>', page, re.S)
    assert match
    assert not re.search(r"[<>&]", match.group(1)), "the JSON block must escape <, > and &"
    data: dict[str, object] = json.loads(match.group(1))
    return data


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KnowledgeGraph]:
    """A tiny graph whose labels, texts and links are all attacks."""
    path = tmp_path_factory.mktemp("hostile") / "hostile.ttl"
    path.write_text(HOSTILE_TTL, encoding="utf-8")
    graph = KnowledgeGraph.from_files([str(path)])
    yield graph
    graph.close()


@pytest.fixture(scope="module")
def ketamine_page(kg: KnowledgeGraph) -> str:
    return export_html(
        kg.neighbourhood("ketamine"), kg=kg, title="Ketamine & friends", caption="Seminar 3 <draft>",
        parameters={"Course": "PSY-101"},
    )  # fmt: skip


def test_view_page_has_title_legend_caption_and_citation(kg: KnowledgeGraph, ketamine_page: str) -> None:
    """The page names itself, explains its symbols, carries the caption and says how to cite it."""
    meta = kg.metadata()
    view = render(kg.neighbourhood("ketamine"))
    assert "<title>Ketamine &amp; friends</title>" in ketamine_page
    assert "<h1>Ketamine &amp; friends</h1>" in ketamine_page
    assert '<p class="kg-caption">Seminar 3 &lt;draft&gt;</p>' in ketamine_page
    legend = re.search(r'<ul class="kg-legend".*?</ul>', ketamine_page, re.S)
    assert legend
    for kind in view.legend.kinds:
        assert f"{kind.kind}</li>" in legend.group(0)
    for style in view.legend.edges:
        assert style.label.replace("'", "&#x27;") in legend.group(0)
    cite = re.search(r'<section class="kg-cite">.*?</section>', ketamine_page, re.S)
    assert cite
    for text in (meta.title, meta.version, "PSY-101", "Depth", datetime.date.today().isoformat(), KETAMINE):
        assert text in cite.group(0), text
    assert f'<a href="{meta.licence}" rel="noopener noreferrer"' in cite.group(0)
    assert "not medical advice" in cite.group(0)


def test_view_page_tables_equal_the_graph_view_table(kg: KnowledgeGraph, ketamine_page: str) -> None:
    """The accessible tables hold the same nodes and links, in the same order, as GraphView.table()."""
    rows = render(kg.neighbourhood("ketamine")).table()
    tables = _Page(ketamine_page).tables
    nodes = [(r.label, r.kind, str(r.hops) if r.hops >= 0 else "—", r.iri) for r in rows.nodes]
    edges = [(r.source, r.relation, r.target, r.evidence, r.direction, str(r.claims)) for r in rows.edges]
    assert [tuple(r) for r in tables["kg-nodes"][1:]] == nodes
    assert [tuple(r) for r in tables["kg-edges"][1:]] == edges


def test_every_edge_carries_its_claims_and_their_sources(kg: KnowledgeGraph, ketamine_page: str) -> None:
    """Clicking a link shows its claims: each edge's claim list, texts, levels, studies and sources."""
    view = render(kg.neighbourhood("ketamine"))
    data = _data(ketamine_page, "v")
    links, claims = data["links"], data["claims"]
    assert isinstance(links, dict)
    assert isinstance(claims, dict)
    with_claims = [e for e in view.edges if e.claims]
    assert with_claims
    assert links == {e.id: list(e.claims) for e in with_claims}
    supported = {str(c) for (c,) in kg.select("SELECT DISTINCT ?c WHERE { ?c kgx:supportedBy ?s }", max_rows=None).rows}
    for e in with_claims:
        assert f'id="v-src-{e.id}"' in ketamine_page
        for iri in e.claims:
            claim = claims[iri]
            assert claim["text"]
            assert claim["level"]
            assert bool(claim["studies"]) == (iri in supported), iri
            assert claim["studies"] or claim["sources"], iri
            for study in claim["studies"]:
                assert study["url"] == "" or study["url"].startswith("https://")
    assert 'href="https://doi.org/' in ketamine_page  # study links are clickable in the static list too


def test_view_page_is_offline_and_its_csp_matches_its_scripts(ketamine_page: str) -> None:
    """Nothing is fetched: vis-network is inline, the CSP lists the hashes of exactly the inline scripts."""
    parsed = _check_csp_and_urls(ketamine_page)
    code = [text for attrs, text in parsed.scripts if attrs.get("type") != "application/json"]
    assert len(code) == 2
    assert "vis-network" in code[0]
    assert "sourceMappingURL" not in ketamine_page
    assert "innerHTML" not in code[1]


def test_positioned_views_turn_physics_off(kg: KnowledgeGraph) -> None:
    """Above the layout threshold the server's positions are used and the page runs no physics."""
    small = Settings(layout_threshold_nodes=5)
    with KnowledgeGraph.bundled(settings=small) as big:
        data = _data(export_html(big.neighbourhood("ketamine"), kg=big), "v")
    nodes, options = data["nodes"], data["options"]
    assert isinstance(nodes, list)
    assert isinstance(options, dict)
    assert options["physics"] == {"enabled": False}
    assert all("x" in n and "y" in n for n in nodes)
    grouped = _data(export_html(kg.neighbourhood("ketamine"), kg=kg), "v")  # grouped: the app's layout, still
    assert isinstance(grouped["options"], dict)
    assert grouped["options"]["physics"] == {"enabled": False}
    assert all("x" in n and "y" in n for n in grouped["nodes"])  # type: ignore[union-attr]
    paths = _data(export_html(kg.paths("ketamine", "alcohol use disorder", k=2), kg=kg), "v")["options"]
    assert isinstance(paths, dict)
    assert paths["physics"]["enabled"] is True  # paths settle in the browser


def test_hostile_labels_and_links_stay_text(hostile: KnowledgeGraph) -> None:
    """Markup, script breakouts, javascript: URLs and Markdown links in the data appear only escaped."""
    page = export_html(hostile.neighbourhood(EX + "evil"), kg=hostile, title=IMG, caption=BREAKOUT)
    assert len(_check_csp_and_urls(page).scripts) == 3  # the data block, vis-network and the page's script
    for raw in (IMG, BREAKOUT, "<b onmouseover", 'javascript:alert(5)"', 'href="javascript'):
        assert raw not in page, raw
    assert page.count("</script>") == 3  # no closing tag from the data
    assert "&lt;img src=x onerror=alert(1)&gt;" in page
    assert "&lt;/script&gt;&lt;script&gt;window.__pwned=1&lt;/script&gt;" in page
    assert "[click me](javascript:alert(1))" in page  # shown as text, never made a link
    claims = _data(page, "v")["claims"]
    assert isinstance(claims, dict)
    claim = claims[EX + "claim1"]
    assert claim["text"] == f"{IMG} {MD_LINK}"  # the JSON keeps the text; the page shows it with textContent
    urls = {s["label"]: s["url"] for s in claim["studies"]}
    assert urls == {
        "<b onmouseover=alert(4)>Study</b>": "",
        "A real-looking study": "https://pubmed.ncbi.nlm.nih.gov/12345/",
    }
    assert claim["sources"] == ["https://example.org/source", "javascript:alert(6)"]
    assert '<a href="https://example.org/source" rel="noopener noreferrer"' in page
    assert '<a href="https://pubmed.ncbi.nlm.nih.gov/12345/" rel="noopener noreferrer"' in page


def test_export_entity_names_the_file_and_builds_each_format(kg: KnowledgeGraph) -> None:
    """The CLI's `render` function: a neighbourhood or paths, as html/png/svg, with a safe file name."""
    page = export_entity(kg, "Spravato", depth=1, format="html", caption="c")
    assert (page.name, page.media_type) == ("esketamine.html", "text/html; charset=utf-8")
    assert b"<h1>" in page.data
    png = export_entity(kg, "ketamine", to="alcohol use disorder", format="png")
    assert png.name == "ketamine-to-alcohol-use-disorder.png"
    assert png.data.startswith(b"\x89PNG")
    with pytest.raises(ExportError, match="export format must be one of html, png, svg, got 'pdf'"):
        export_entity(kg, "ketamine", format="pdf")  # type: ignore[arg-type]


def test_export_view_names_files_after_what_they_show(kg: KnowledgeGraph) -> None:
    """What the app's Export menu calls: any view, each format, named from its summary (the same name the
    menu shows before the file is made)."""
    paths = kg.paths("ketamine", "alcohol use disorder")
    both = compare(kg, ["ketamine", "psilocybin"])

    svg = export_view(paths, kg=kg, format="svg")
    page = export_view(both, kg=kg, format="html", name="My lesson: week 3!")

    assert svg.name == "paths-from-ketamine-to-alcohol-use-disorder.svg"
    assert svg.name == suggested_name(render(paths).summary, format="svg")
    assert svg.data.startswith(b"<?xml")
    assert page.name == "my-lesson-week-3.html"
    assert b"Comparison of Ketamine, Psilocybin" in page.data
    with pytest.raises(ExportError, match="got 'gif'"):
        export_view(paths, kg=kg, format="gif")  # type: ignore[arg-type]


def test_export_view_keeps_pictures_within_max_image_px(kg: KnowledgeGraph) -> None:
    """The menu's default picture size shrinks to the max_image_px setting instead of failing."""
    from io import BytesIO

    from PIL import Image

    small = KnowledgeGraph.bundled(settings=Settings(max_image_px=600))
    try:
        png = export_view(small.neighbourhood("ketamine"), kg=small, format="png")
    finally:
        small.close()
    with Image.open(BytesIO(png.data)) as image:
        assert max(image.size) <= 600


def test_lesson_export_has_every_step_view_query_and_question(kg: KnowledgeGraph) -> None:
    """A lesson page holds all its steps with text, a live graph per view, query results and questions."""
    lesson = get_lesson("how-ketamine-works")
    page = export_lesson_html(lesson, kg=kg)
    parsed = _check_csp_and_urls(page)
    sections = re.findall(r'<section class="kg-step" id="step-(\d+)">(.*?)</section>', page, re.S)
    assert [int(i) for i, _ in sections] == list(range(1, len(lesson.steps) + 1))
    for (_, html_text), step in zip(sections, lesson.steps, strict=True):
        assert step.title.replace('"', "&quot;") in html_text
        assert ('class="kg-view"' in html_text) == (step.view is not None)
        assert ('class="kg-results"' in html_text) == (step.query is not None)
        if step.question:
            assert "<summary>Show the answer</summary>" in html_text
            assert html_text.count('type="radio"') == len(step.question.choices)
    assert "<strong>dissociative anaesthetic</strong>" in page  # Markdown bold became <strong>
    drawn = [i for i, s in enumerate(lesson.steps, start=1) if s.view is not None]
    assert re.findall(r'id="kg-data-s(\d+)"', page) == [str(i) for i in drawn]
    assert parsed.tables["kg-results"][1:]  # the query's rows


def test_handout_is_printable_and_has_no_script(kg: KnowledgeGraph) -> None:
    """The handout draws each view as inline SVG, has a print stylesheet, an answer key, and no script."""
    lesson = get_lesson("ketamine-for-alcohol-use-disorder")
    page = export_lesson_handout(lesson, kg=kg)
    _check_csp_and_urls(page)
    assert "<script" not in page.lower()
    assert "script-src" not in _csp(page)
    assert "@media print" in page
    assert page.count("<svg") >= sum(s.view is not None for s in lesson.steps)
    questions = [s.question for s in lesson.steps if s.question]
    assert questions
    key = page[page.index("<h2>Answer key</h2>") :]
    for q in questions:
        assert q.choices[q.answer].replace("'", "&#x27;") in key
    assert "Show the answer" not in page  # answers only in the key at the end


def test_hostile_lesson_text_is_escaped(hostile: KnowledgeGraph) -> None:
    """Lesson Markdown is escaped before the few tags it may make; HTML stays text, links keep only their text."""
    question = Question(prompt=IMG, choices=(BREAKOUT, "b"), answer=0, explanation=MD_LINK, cites=())
    step = Step(title=IMG, text=f"**bold** {IMG}\n\n- {BREAKOUT}\n- {MD_LINK}", view=FocusView(EX + "evil"),
                question=question)  # fmt: skip
    lesson = Lesson(slug="evil", title=BREAKOUT, audience=IMG, minutes=1, objectives=(IMG,), steps=(step,))
    for page in (export_lesson_html(lesson, kg=hostile), export_lesson_handout(lesson, kg=hostile)):
        _check_csp_and_urls(page)
        assert IMG not in page
        assert BREAKOUT not in page
        assert 'href="javascript' not in page
        assert "<strong>bold</strong> &lt;img" in page
        assert "<li>click me</li>" in page  # a link keeps its text and loses its target (issue 19)


def test_a_failing_lesson_view_is_an_export_error(kg: KnowledgeGraph) -> None:
    step = Step(title="t", text="x", view=FocusView("no such entity at all"))
    lesson = Lesson(slug="broken", title="t", audience="a", minutes=1, objectives=(), steps=(step,))
    with pytest.raises(ExportError, match=r"^lesson broken, step 1: its view fails \(no entity called"):
        export_lesson_html(lesson, kg=kg)


def test_write_export_writes_text_and_bytes(tmp_path: Path) -> None:
    assert write_export(tmp_path / "a.html", "<p>é</p>").read_bytes() == "<p>é</p>".encode()
    target = write_export("b.png", b"\x89PNG", folder=tmp_path)
    assert target == tmp_path / "b.png"
    assert target.read_bytes() == b"\x89PNG"
    assert oct(target.stat().st_mode & 0o777) == "0o644"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.html", "b.png"]


@pytest.mark.parametrize("name", ["../escape.html", "sub/x.html", "..", ".", "", "a\\b.html", "x..html", "/etc/x"])
def test_write_export_refuses_names_that_leave_the_folder(tmp_path: Path, name: str) -> None:
    """Given a folder and a name, the name must be a plain file name: no separators, no '..'."""
    folder = tmp_path / "out"
    folder.mkdir()
    with pytest.raises(ExportError, match=r"must be a plain name such as 'view\.html'"):
        write_export(name, "x", folder=folder)
    assert not list(tmp_path.rglob("*.html"))


@pytest.mark.parametrize("failure", [OSError(28, "No space left on device"), KeyboardInterrupt()])
def test_write_export_is_atomic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, failure: BaseException) -> None:
    """An export interrupted before its rename leaves the old file untouched and no partial file."""
    target = tmp_path / "view.html"
    target.write_text("old", encoding="utf-8")

    def fail(fd: int) -> None:
        raise failure

    monkeypatch.setattr(os, "fsync", fail)
    expected = ExportError if isinstance(failure, OSError) else KeyboardInterrupt
    with pytest.raises(expected):
        write_export(target, "new " * 1000)
    assert target.read_text(encoding="utf-8") == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["view.html"]


def test_write_export_explains_missing_folders(tmp_path: Path) -> None:
    with pytest.raises(ExportError, match="does not exist; create it first"):
        write_export(tmp_path / "missing" / "x.html", "x")
    with pytest.raises(ExportError, match="does not exist; create it or choose another folder"):
        write_export("x.html", "x", folder=tmp_path / "missing")
    with pytest.raises(ExportError, match="is a folder, not a file name"):
        write_export(tmp_path, "x")


def test_comparison_views_export_with_their_parameters(kg: KnowledgeGraph) -> None:
    """A side-by-side comparison exports like any view; its citation names the substances compared."""
    from kgexplorer.model.compare import compare

    page = export_html(compare(kg, ["ketamine", "psilocybin"]), kg=kg)
    _check_csp_and_urls(page)
    assert "<dt>Substances</dt><dd>Ketamine, Psilocybin</dd>" in page
    assert "<h1>Comparison of Ketamine, Psilocybin" in page


def test_a_query_result_graph_exports_with_its_query(kg: KnowledgeGraph) -> None:
    """A CONSTRUCT result drawn in the workbench exports like any view; the citation carries the query."""
    from kgexplorer.views.result_views import result_graph

    query = "CONSTRUCT { kg:ketamine kgx:testedFor ?c } WHERE { kg:ketamine kgx:testedFor ?c }"
    drawn = result_graph(kg, kg.sparql(query))
    page = export_view(drawn, kg=kg, parameters={"Query": query}).data.decode()
    svg = export_view(drawn, kg=kg, format="svg")

    assert export_view(drawn, kg=kg).name == "query-result-as-a-graph.html"
    assert "Query result as a graph" in page
    assert "kgx:testedFor ?c" in page
    assert "Alcohol use disorder" in page
    assert b"Alcohol use disorder" in svg.data


@pytest.mark.parametrize("fmt", ["html", "png", "svg"])
def test_export_view_reuses_the_drawing_the_page_already_made(
    kg: KnowledgeGraph, fmt: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The app's export menu hands over the drawing it showed (issue 13): the export is the same file as one
    drawn afresh, the citation still names the view's focus and depth, and nothing is drawn a second time."""
    view = kg.neighbourhood("ketamine", kinds=["Condition"])
    afresh = export_view(view, kg=kg, format=fmt)  # type: ignore[arg-type]
    drawn = render(view, settings=kg.settings)

    def no_second_drawing(*args: object, **kwargs: object) -> None:
        raise AssertionError("the view was drawn again")

    monkeypatch.setattr("kgexplorer.views.export.render", no_second_drawing)
    monkeypatch.setattr("kgexplorer.views.image.render", no_second_drawing)
    reused = export_view(view, kg=kg, format=fmt, drawn=drawn)  # type: ignore[arg-type]
    assert reused == afresh
    if fmt == "html":
        assert "Depth" in reused.data.decode()
        assert "Ketamine &lt;" in reused.data.decode()
