"""Promise 3: no script injection. Texts from the data (labels, definitions, synonyms, identifiers, study
titles, relation names, type names, dataset descriptions) and from the URL are escaped wherever the app,
the endpoint page or a drawing shows them.

The app is driven headlessly (AppTest) on the hostile graph, loaded the way a person loads data: as an
upload (kgexplorer.ui.data_sources) made this session's data source. Every element that Streamlit renders as
Markdown (markdown, captions, headings, alerts, expander and widget labels) is rendered with markdown-it
(CommonMark, raw HTML on: stricter than Streamlit) and must produce no script, image, event handler,
javascript: link, link from the data's Markdown, or bold text from the data. The same pages run in real
Chromium in test_injection_browser.py.
"""

from __future__ import annotations

import html.parser
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient
from streamlit.testing.v1 import AppTest

from kgexplorer import KnowledgeGraph, ui
from kgexplorer.server.endpoint import create_app
from kgexplorer.ui.data_sources import DataSource, Upload, open_uploads
from kgexplorer.views.render import render

from .support import HOSTILE_TTL, PAYLOAD, ROOT

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("security_injection")]

TAGS = ("label", "synonym", "definition", "identifier", "class", "condition", "study", "title", "statement")
TAGS += ("explanation", "note", "species", "relation", "typed", "dataset", "description", "citation")


# The hostile substance's dcterms:source: a real (if odd) http URL, which the card may show as a link.
_SOURCE_URL = ("https://evil.example/a)", "https://evil.example/a%29")


class _Found(html.parser.HTMLParser):
    """What a rendered snippet would do in a browser: tags and attributes that matter here."""

    def __init__(self) -> None:
        super().__init__()
        self.problems: list[str] = []
        self._in: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._in.append(tag)
        values = dict(attrs)
        if tag in ("script", "img", "iframe", "object", "embed", "svg"):
            self.problems.append(f"<{tag}> element")
        for name, value in attrs:
            if name.startswith("on"):
                self.problems.append(f"{name}= handler")
            if value and value.strip().lower().startswith("javascript:"):
                self.problems.append(f"javascript: URL in {name}")
        href = values.get("href") or ""
        if href.startswith("https://evil.example/") and not href.startswith(_SOURCE_URL):
            self.problems.append(f"link from the data's Markdown: {href}")

    def handle_endtag(self, tag: str) -> None:
        if self._in and self._in[-1] == tag:
            self._in.pop()

    def handle_data(self, data: str) -> None:
        if self._in and self._in[-1] in ("strong", "em") and data.startswith("bold"):
            self.problems.append(f"formatting from the data: <{self._in[-1]}>{data}")
        if self._in and self._in[-1] == "a" and data.startswith(("click ", "site ", "anchor ")):
            self.problems.append(f"link text from the data: {data}")


def markdown_problems(text: str) -> list[str]:
    """What ``text`` would do if rendered as Markdown with raw HTML allowed (none when properly escaped).

    >>> markdown_problems(ui.md("<img src=x onerror=alert(1)> **x** [a](javascript:x)"))
    []
    >>> markdown_problems("<img src=x onerror=alert(1)>")
    ['<img> element', 'onerror= handler']
    """
    from markdown_it import MarkdownIt

    renderer = MarkdownIt("commonmark", {"html": True})
    renderer.validateLink = lambda url: True  # show every link, so a javascript: link is seen, not dropped
    found = _Found()
    found.feed(renderer.render(text))
    return found.problems


def rendered_texts(at: AppTest) -> Iterator[tuple[str, str, bool]]:
    """(element type, text, raw HTML allowed) for every element whose text Streamlit renders as Markdown."""

    def walk(node: Any) -> Iterator[tuple[str, str, bool]]:
        proto = getattr(node, "proto", None)
        kind = type(node).__name__
        if proto is not None:
            for field in ("body", "label", "help", "title"):
                value = getattr(proto, field, None) if field in proto.DESCRIPTOR.fields_by_name else None
                if isinstance(value, str) and value:
                    yield kind, value, bool(getattr(proto, "allow_html", False))
        children = getattr(node, "children", None)
        if isinstance(children, dict):
            for child in children.values():
                yield from walk(child)

    yield from walk(at.main)
    yield from walk(at.sidebar)


def problems_on_page(at: AppTest) -> list[tuple[str, str, str]]:
    """(element type, its text, the problem) for every element that would obey the data."""
    out = []
    for kind, text, allow_html in rendered_texts(at):
        if allow_html and "__pwned" in text:
            out.append((kind, text, "data inside unsafe_allow_html"))
        out += [(kind, text, problem) for problem in markdown_problems(text)]
    return out


@pytest.fixture(scope="module")
def hostile_source() -> Iterator[DataSource]:
    """The hostile graph uploaded and merged with the bundled graph (its entities link to bundled ones)."""
    upload = Upload("hostile.ttl", HOSTILE_TTL.encode())
    with open_uploads([upload], merge=True, validate_shapes=False) as source:
        yield source


@pytest.fixture(scope="module")
def hostile_alone() -> Iterator[DataSource]:
    """The hostile graph uploaded on its own, so its dataset description is the one the app shows."""
    with open_uploads([Upload("hostile.ttl", HOSTILE_TTL.encode())], validate_shapes=False) as source:
        yield source


def hostile_app(source: DataSource, page: str, **params: str) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    for key, value in params.items():
        at.query_params[key] = value
    at.session_state[ui.session._SOURCE_KEY] = source
    at.run()
    if page != "explore":
        at.switch_page(f"app_pages/{page}.py").run()
    assert not at.exception, at.exception
    return at


def _unknown(problems: list[tuple[str, str, str]]) -> list[str]:
    return [f"{kind}: {problem} in {text[:80]!r}" for kind, text, problem in problems]


@pytest.mark.parametrize(
    ("page", "params"),
    [
        ("explore", {"e": "hostile_substance"}),
        ("explore", {"e": "hostile_study"}),
        ("explore", {"e": "hostile_condition"}),
        ("explore", {"e": "hostile_typed"}),
        ("compare", {"s": "hostile_substance,ketamine"}),
        ("connections", {"from": "hostile typed", "to": "hostile condition"}),
        ("evidence", {}),
        ("data", {}),
        ("lessons", {}),
        ("workbench", {}),
    ],
    ids=lambda v: v if isinstance(v, str) else ",".join(f"{k}={x}" for k, x in v.items()),
)
def test_every_page_escapes_the_hostile_graph(hostile_source: DataSource, page: str, params: dict[str, str]) -> None:
    at = hostile_app(hostile_source, page, **params)
    texts = [text for _, text, _ in rendered_texts(at)]
    if params:  # the page really shows the hostile entity (else the test would prove nothing)
        assert any("pwned" in t for t in texts), texts[:20]
    assert _unknown(problems_on_page(at)) == []


@pytest.mark.parametrize(
    "page",
    [
        "about",
        "data",
        "evidence",
        "workbench",
    ],
)
def test_pages_showing_the_dataset_description_escape_it(hostile_alone: DataSource, page: str) -> None:
    at = hostile_app(hostile_alone, page)
    if page == "about":
        assert any("anchor description" in text for _, text, _ in rendered_texts(at))
    assert _unknown(problems_on_page(at)) == []


def test_error_messages_quoting_the_url_are_escaped(hostile_source: DataSource) -> None:
    """A name in the URL that matches nothing is quoted in the warning: it must not become a link."""
    at = hostile_app(hostile_source, "explore", e="[click url](https://evil.example/url) <img src=x onerror=x>")
    assert at.warning, "the page should say that nothing matched"
    assert _unknown(problems_on_page(at)) == []


def test_entity_headings_and_relation_names_are_escaped(hostile_source: DataSource) -> None:
    """The card's heading, its kinds caption and each relation's expander show hostile names as text."""
    at = hostile_app(hostile_source, "explore", e="hostile_typed")
    shown = [(kind, text) for kind, text, _ in rendered_texts(at) if kind in ("Subheader", "Expander", "Caption")]

    assert any("pwned" in text for _, text in shown), shown[:20]
    assert _unknown(problems_on_page(at)) == []


def test_graph_data_carries_texts_as_data_only(hostile_file: Path) -> None:
    """The drawing's nodes, edges and tooltips keep the texts verbatim (the component shows them as text,
    checked in Chromium), and nothing in them is pre-rendered HTML."""
    with KnowledgeGraph.from_files([str(hostile_file)], include_bundled=True) as kg:
        data = render(kg.neighbourhood("hostile_substance", depth=1)).to_data()
    labels = [n["label"] for n in data["nodes"]]
    titles = [str(n.get("title", "")) for n in data["nodes"]] + [str(e.get("title", "")) for e in data["edges"]]
    assert any("<script>" in label for label in labels)
    assert any("<img src=x" in title for title in titles)
    assert not any("&lt;" in t for t in labels + titles), "texts are escaped by the browser side, never twice"


def test_the_endpoint_page_escapes_the_dataset_title(hostile_file: Path) -> None:
    with KnowledgeGraph.from_files([str(hostile_file)]) as kg:
        page = TestClient(create_app(kg)).get("/")
    assert page.status_code == 200
    assert "Hostile dataset" in page.text
    assert "<script>window" not in page.text
    assert "<img src=x" not in page.text
    assert "&lt;script&gt;" in page.text
    assert page.headers["content-security-policy"].startswith("default-src 'none'")


def test_the_payload_is_what_the_checker_catches() -> None:
    """Control: unescaped, the payload trips every check; escaped with ui.md, none."""
    raw = markdown_problems("Text " + PAYLOAD.format(tag="x"))  # inline: a line starting <script> is an HTML block
    assert {"<script> element", "<img> element", "onerror= handler", "javascript: URL in href"} <= set(raw)
    assert any(p.startswith("link from the data's Markdown") for p in raw)
    assert any(p.startswith("formatting from the data") for p in raw)
    assert markdown_problems(ui.md("Text " + PAYLOAD.format(tag="x"))) == []
