"""page.py: the offline page's shell (CSP by script hashes, escaped JSON data) and its legend, table, sources
and citation blocks, tested on their own (whole exported pages: tests/test_export.py)."""

from __future__ import annotations

import base64
import hashlib
import json
import re

import networkx as nx
import pytest

from kgexplorer import KnowledgeGraph, Neighbourhood
from kgexplorer.views.html_page import (
    NOTICE,
    SourcedClaim,
    about_block,
    cite_block,
    escape,
    fetch_claims,
    html_page,
    sources_block,
    table_block,
    view_block,
    view_data,
)
from kgexplorer.views.render import GraphView, render

BREAKOUT = "</script><!-- <b>&amp;"


def _hash(script: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(script.encode()).digest()).decode() + "'"


@pytest.fixture(scope="module")
def pair() -> GraphView:
    """Two nodes and one claim-backed link, drawn: small enough to read every block of."""
    graph = nx.MultiDiGraph()
    graph.add_node("urn:a", label="Alpha <i>", kind="Substance", hops=0)
    graph.add_node("urn:b", label="Beta", kind="Condition", hops=1)
    graph.add_edge("urn:a", "urn:b", key="urn:p", label="treats", claims=("urn:c",), level="RCT", level_rank=3,
                   direction="supports")  # fmt: skip
    return render(Neighbourhood(graph, "urn:a", 1, False, 0))


def test_a_page_with_data_allows_exactly_its_inline_scripts() -> None:
    """The CSP's script-src lists the hashes of the scripts inlined, nothing else may load or run."""
    page = html_page("T", "<main></main>\n", data={"v": {"x": 1}})
    csp = re.search(r'http-equiv="Content-Security-Policy" content="([^"]*)"', page)
    assert csp
    scripts = re.findall(r"<script>(.*?)</script>", page, re.S)
    directives = {d.split()[0]: d.split()[1:] for d in (p.strip() for p in csp.group(1).split(";")) if d}

    assert len(scripts) == 2
    assert set(directives["script-src"]) == {_hash(s) for s in scripts}
    assert directives["default-src"] == ["'none'"]
    assert directives["base-uri"] == ["'none'"]
    assert directives["form-action"] == ["'none'"]


def test_a_page_without_data_has_no_script_and_no_script_source() -> None:
    """A handout (data=None) is inert: no script tag and no script-src in its CSP."""
    page = html_page("Handout", "<main></main>\n", data=None)

    assert "<script" not in page
    assert "script-src" not in page
    assert "default-src 'none'" in page


def test_json_data_cannot_break_out_of_its_block() -> None:
    """<, > and & are escaped inside the JSON block, and the data reads back unchanged."""
    page = html_page("T", "", data={"k": {"text": BREAKOUT}})
    block = re.search(r'<script type="application/json" id="kg-data-k">(.*?)</script>', page, re.S)
    assert block

    assert not re.search(r"[<>&]", block.group(1))
    assert json.loads(block.group(1)) == {"text": BREAKOUT}


def test_escape_makes_markup_and_quotes_text() -> None:
    """Escaped values are safe in element text and in quoted attributes."""
    assert escape('"><img src=x>') == "&quot;&gt;&lt;img src=x&gt;"
    assert escape("it's") == "it&#x27;s"
    assert escape(3) == "3"


def test_view_block_legend_and_hint(pair: GraphView) -> None:
    """The block names its data, explains its symbols, and says when the page has no evidence."""
    with_evidence = view_block(pair, "s1", evidence=True)
    without = view_block(pair, "s1", evidence=False)

    assert 'data-source="kg-data-s1"' in with_evidence
    assert "Click a link to see its evidence" in with_evidence
    assert "open in kgexplorer for the evidence" in without
    legend = re.search(r'<ul class="kg-legend".*?</ul>', with_evidence, re.S)
    assert legend
    for kind in pair.legend.kinds:
        assert f"{kind.kind}</li>" in legend.group(0)
    assert "line width = strength of evidence (here: " in legend.group(0)


def test_table_block_escapes_and_links_claim_counts(pair: GraphView) -> None:
    """Labels are escaped; a link's claim count points at its sources entry only when linked."""
    linked = table_block(pair, "v")
    plain = table_block(pair, "v", linked=False)
    edge = pair.edges[0]

    assert "Alpha &lt;i&gt;" in linked
    assert "<i>" not in linked
    assert f'<a href="#v-src-{edge.id}">1</a>' in linked
    assert "href=" not in plain


def test_sources_block_links_only_https(pair: GraphView) -> None:
    """Studies and sources become links only with an https URL; anything else stays escaped text."""
    claim = SourcedClaim(
        text="Works <b>", level="RCT", direction="supports", design="", n="40",
        studies=(("Study A", "2020", "https://doi.org/10.1/a"), ("Study B", "2021", "")),
        sources=("javascript:alert(1)", "https://example.org/s"),
    )  # fmt: skip
    block = sources_block(pair, {"urn:c": claim}, "v")

    assert f'id="v-src-{pair.edges[0].id}"' in block
    assert 'href="https://doi.org/10.1/a" rel="noopener noreferrer"' in block
    assert 'href="https://example.org/s" rel="noopener noreferrer"' in block
    assert "javascript:alert(1)" in block
    assert 'href="javascript' not in block
    assert "Works &lt;b&gt;" in block
    assert "N = 40" in block
    assert sources_block(pair, {}, "v") == ""


def test_view_data_lists_each_links_claims(kg: KnowledgeGraph) -> None:
    """With claims, every claim-backed link lists its claims and each claim is there once."""
    view = render(kg.neighbourhood("ketamine"))
    claims = fetch_claims(kg, view)
    data = view_data(view, claims)

    assert data["evidence"] is True
    assert data["links"] == {e.id: list(e.claims) for e in view.edges if e.claims}
    assert set(data["claims"]) == {c for e in view.edges for c in e.claims}
    assert view_data(view, None)["links"] == {}


def test_citation_blocks_carry_the_notice(kg: KnowledgeGraph) -> None:
    """Both citation blocks list their parameters, escaped, and say the page is not medical advice."""
    cited = cite_block(kg, {"Course": "<PSY-101>"}, "Cite this view")
    about = about_block({"Course": "<PSY-101>"})

    for block in (cited, about):
        assert "<dt>Course</dt><dd>&lt;PSY-101&gt;</dd>" in block
        assert NOTICE in block
    assert kg.metadata().title in cited
    assert "open in kgexplorer for the evidence" in about
