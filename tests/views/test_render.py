"""render.py: styled nodes and edges, legend, caps, server-side layout, escaping and the table twin of a drawing."""

from __future__ import annotations

import json
from collections import Counter

import networkx as nx
import pytest

from kgexplorer import KnowledgeGraph, Neighbourhood, SettingError, Settings
from kgexplorer.evidence import DIRECTIONS, LEVELS
from kgexplorer.model.neighbourhood import MORE
from kgexplorer.views.render import GraphView, render
from kgexplorer.views.style import DIRECTION_STYLES, MORE_STYLE, OTHER_KIND, STRUCTURAL, edge_width, kind_style

KG = "https://w3id.org/kgexplorer/id/"


@pytest.fixture(scope="module")
def ketamine(kg: KnowledgeGraph) -> tuple[Neighbourhood, GraphView]:
    view = kg.neighbourhood("ketamine", depth=2)
    return view, render(view)


def test_nodes_take_their_kind_style_and_more_nodes_are_dashed_boxes(ketamine: tuple[Neighbourhood, GraphView]) -> None:
    """Node data points at its kind's group; "+N more" nodes are dashed boxes that say what they expand."""
    hood, view = ketamine
    data = view.to_data()
    groups = data["options"]["groups"]
    more = [n for n in view.nodes if n.kind == MORE]

    for node in data["nodes"]:
        kind = hood.graph.nodes[node["id"]]["kind"]
        if kind == MORE:
            assert node["group"] == "more"
        else:
            assert groups[node["group"]] == {"shape": "image", "image": kind_style(kind).image}
    assert more
    assert groups["more"]["shape"] == "box"
    assert groups["more"]["shapeProperties"]["borderDashes"]
    for node in more:
        attrs = hood.graph.nodes[node.id]
        assert node.expands == (attrs["more_of"], attrs["predicate"], attrs["direction"])


def test_edges_are_styled_by_direction_and_level(ketamine: tuple[Neighbourhood, GraphView]) -> None:
    """Supports is solid; mixed, null, against and unclear are dashed, each in its own colour and pattern."""
    hood, view = ketamine
    dashed = [DIRECTION_STYLES[d] for d in DIRECTIONS if d != "supports"]

    assert set(DIRECTIONS) <= set(DIRECTION_STYLES), "every result direction has its own look"
    assert DIRECTION_STYLES["supports"].dashes == ()
    assert all(s.dashes for s in dashed)
    assert len({s.dashes for s in dashed}) == len(dashed) == 4
    assert len({s.colour for s in [*dashed, DIRECTION_STYLES["supports"], STRUCTURAL]}) == 6
    assert "unclear" in {attrs["direction"] for *_, attrs in hood.graph.edges(data=True)}, "the view shows one"
    for edge in view.edges:
        attrs = hood.graph.edges[edge.source, edge.target, edge.predicate]
        if attrs["claims"]:
            assert edge.style is DIRECTION_STYLES[attrs["direction"]]
            assert edge.width == edge_width(attrs["level_rank"])
        else:
            assert edge.style is STRUCTURAL
            assert edge.width == 1.0
    assert {e.direction for e in view.edges} >= {"supports", "mixed", "null", "against"}


def test_tooltips_are_plain_text_with_kind_relation_level_direction_and_claims(
    ketamine: tuple[Neighbourhood, GraphView],
) -> None:
    """Node tooltips give the kind; evidence edge tooltips give relation, level, direction and claim count."""
    _, view = ketamine
    focus = view.nodes[0]
    evidence = next(e for e in view.edges if len(e.claims) > 1)
    structural = next(e for e in view.edges if not e.claims)

    assert focus.title.splitlines()[:3] == ["Ketamine", "Kind: Substance", "The focus of this view"]
    assert evidence.relation in evidence.title
    assert f"Evidence level: {evidence.level}" in evidence.title
    assert f"Result direction: {DIRECTION_STYLES[evidence.direction].label}" in evidence.title
    assert f"Claims: {len(evidence.claims)}" in evidence.title
    assert "no evidence level" in structural.title
    assert "<" not in "".join(n.title for n in view.nodes)  # no markup is generated


def test_legend_lists_the_kinds_and_edge_styles_in_the_view(ketamine: tuple[Neighbourhood, GraphView]) -> None:
    """The legend has exactly the kinds and edge styles drawn, and the levels present, strongest first."""
    _, view = ketamine
    legend = view.legend

    assert {s.kind for s in legend.kinds} == {n.style.kind for n in view.nodes}
    assert legend.kinds[-1] is MORE_STYLE
    assert set(legend.edges) == {e.style for e in view.edges}
    assert [lv.rank for lv in legend.levels] == sorted({e.level_rank for e in view.edges if e.claims})
    assert [lv.width for lv in legend.levels] == sorted((lv.width for lv in legend.levels), reverse=True)
    assert [k["label"] for k in view.to_data()["legend"]["kinds"]] == [s.kind for s in legend.kinds]


def test_a_capped_view_says_it_was_cut(kg: KnowledgeGraph, small_limits: Settings) -> None:
    """A view cut by the node cap is marked and explains which setting cut it; '+N more' groups expand."""
    hood = kg.neighbourhood(
        "ketamine", max_nodes=small_limits.max_view_nodes, per_relation=small_limits.neighbours_per_relation
    )
    view = render(hood)
    more = next(n for n in view.nodes if n.expands is not None)
    per_relation = small_limits.neighbours_per_relation
    expanded = render(kg.neighbourhood("ketamine", per_relation=per_relation, expanded=[more.expands]))

    assert view.truncated
    assert "max_view_nodes" in view.note
    assert sum(n.kind != MORE for n in view.nodes) <= small_limits.max_view_nodes
    assert more.id not in {n.id for n in expanded.nodes}
    assert not render(kg.neighbourhood("ketamine")).truncated


def test_small_paths_settle_in_the_browser_with_forceatlas2(kg: KnowledgeGraph) -> None:
    """Below the threshold, paths (not grouped): forceAtlas2 physics, improvedLayout off, 200 stabilisation steps,
    no positions. A neighbourhood that small is grouped instead (tests/views/test_layout.py)."""
    view = render(kg.paths("ketamine", "alcohol use disorder", k=3))
    options = view.options

    assert view.physics
    assert view.layouts == ()
    assert options["physics"]["solver"] == "forceAtlas2Based"
    assert options["physics"]["stabilization"]["iterations"] == 200
    assert options["layout"]["improvedLayout"] is False
    assert all(n.x is None for n in view.nodes)


@pytest.mark.parametrize("threshold", [10, 40])
def test_big_views_get_fixed_server_positions_and_no_physics(
    ketamine: tuple[Neighbourhood, GraphView], threshold: int
) -> None:
    """Above layout_threshold_nodes every node has a position, physics is off, and the layout repeats."""
    hood, _ = ketamine
    view = render(hood, settings=Settings(layout_threshold_nodes=threshold))
    again = render(hood, settings=Settings(layout_threshold_nodes=threshold))
    points = [(n.x, n.y) for n in view.nodes]

    assert not view.physics
    assert view.options["physics"] == {"enabled": False}
    assert all(x is not None and y is not None for x, y in points)
    assert len(set(points)) == len(points)
    assert all({"x", "y"} <= set(n) for n in view.to_data()["nodes"])
    assert again == view


def test_small_server_layouts_use_kamada_kawai() -> None:
    """A small positioned view (threshold lowered) is laid out too, within a few hundred pixels."""
    graph = nx.MultiDiGraph()
    for i in range(6):
        graph.add_node(f"n{i}", label=f"Node {i}", kind="Substance", hops=min(i, 1))
        if i:
            graph.add_edge("n0", f"n{i}", key="p", label="rel", claims=(), level="", level_rank=99, direction="")
    view = render(Neighbourhood(graph, "n0", 1, False, 0), settings=Settings(layout_threshold_nodes=2))

    assert not view.physics
    assert all(abs(n.x or 0) < 500 and abs(n.y or 0) < 500 for n in view.nodes)


def test_control_characters_are_stripped_and_markup_stays_text() -> None:
    """Control and bidi characters leave labels and titles; HTML-like text is kept as plain data."""
    graph = nx.MultiDiGraph()
    hostile = '<img src=x onerror="window.__pwned=1">'
    graph.add_node("urn:a", label="Evil\x1b[31m\u202eName\nline two\x00", kind="Substance\x07", hops=0)
    graph.add_node(hostile, label=hostile, kind="Person", hops=1)
    graph.add_edge("urn:a", hostile, key="urn:p", label="rel\u2066\x0b", claims=(), level="", level_rank=99,
                   direction="")  # fmt: skip
    view = render(Neighbourhood(graph, "urn:a", 1, False, 0))
    text = json.dumps(view.to_data())

    assert view.nodes[0].label == "Evil[31mName line two"
    assert view.nodes[0].kind == "Substance"
    assert view.edges[0].relation == "rel"
    assert not any(ord(c) < 32 and c != "\n" for n in view.nodes for c in n.title)
    assert "\\u001b" not in text
    assert "\\u202e" not in text
    assert view.nodes[1].label == hostile  # shown as text by vis-network, so it is kept as written
    assert view.nodes[1].id == hostile  # ids go back to Python verbatim
    assert view.nodes[1].style is OTHER_KIND


def test_parallel_edges_are_bent_apart(kg: KnowledgeGraph) -> None:
    """Two relations between one pair are drawn as separate curves, not on top of each other."""
    view = render(kg.neighbourhood("esketamine"))
    pairs = Counter(frozenset((e.source, e.target)) for e in view.edges)
    pair = next(p for p, count in pairs.items() if count > 1)
    curves = [e.curve for e in view.edges if frozenset((e.source, e.target)) == pair]

    assert len(set(curves)) == len(curves)
    assert sorted(curves)[0] == 0


def test_table_rows_are_the_drawn_nodes_and_edges(ketamine: tuple[Neighbourhood, GraphView]) -> None:
    """The table has the same nodes (same order) and one row per edge, with evidence spelled out."""
    hood, view = ketamine
    table = view.table()

    assert [r.iri for r in table.nodes] == [n.id for n in view.nodes]
    assert {r.iri for r in table.nodes} == set(hood.graph.nodes)
    assert len(table.edges) == hood.graph.number_of_edges()
    assert {(r.source_iri, r.target_iri) for r in table.edges} == {(s, t) for s, t in hood.graph.edges()}
    row = next(r for r in table.edges if r.claims)
    assert row.evidence in {lv.label for lv in LEVELS}
    assert next(r for r in table.edges if not r.claims).evidence == "—"


def test_paths_put_both_ends_first_and_say_which_path_an_edge_is_on(kg: KnowledgeGraph) -> None:
    """A path view anchors source and target, counts steps from the source and labels path membership."""
    paths = kg.paths("ketamine", "alcohol use disorder", k=3)
    view = render(paths)

    assert [n.id for n in view.nodes[:2]] == [KG + "ketamine", KG + "alcohol_use_disorder"]
    assert all(n.anchor for n in view.nodes[:2])
    assert not any(n.anchor for n in view.nodes[2:])
    assert view.nodes[0].hops == 0
    assert all("On path" in e.title for e in view.edges)
    assert view.summary.startswith("Paths from Ketamine to Alcohol use disorder")


def test_output_is_deterministic_and_json_ready(kg: KnowledgeGraph) -> None:
    """The same view renders to identical JSON, so an unchanged rerun does not redraw."""
    first = json.dumps(render(kg.neighbourhood("psilocybin")).to_data())
    second = json.dumps(render(kg.neighbourhood("psilocybin")).to_data())

    assert first == second


def test_layout_threshold_is_a_validated_setting() -> None:
    """layout_threshold_nodes has bounds like every limit."""
    with pytest.raises(SettingError, match="layout_threshold_nodes must be at least 2"):
        Settings(layout_threshold_nodes=1)
    assert Settings().layout_threshold_nodes == 150


def test_to_pyvis_is_the_same_view_as_a_pyvis_network(ketamine: tuple[Neighbourhood, GraphView]) -> None:
    """Notebook users get a real pyvis Network with the drawn nodes, edges and options; it renders offline."""
    from pyvis.network import Network

    _, view = ketamine
    net = view.to_pyvis(height="400px")
    page = net.generate_html()

    assert isinstance(net, Network)
    assert [n["label"] for n in net.nodes] == [n.label for n in view.nodes]
    assert len(net.edges) == len(view.edges)
    assert net.options == view.options
    assert net.directed
    assert "vis-network" in page
    assert "cdnjs" not in page  # in_line: vis-network is in the page, nothing fetched from a CDN for it


def test_to_pyvis_escapes_what_pyvis_would_put_into_html_raw() -> None:
    """A hostile id or tooltip never reaches pyvis's HTML as markup (even with select_menu and "href" titles)."""
    graph = nx.MultiDiGraph()
    hostile = '<img src=x onerror="window.__pwned=1"> href'
    graph.add_node("urn:a", label="A", kind="Substance", hops=0)
    graph.add_node(hostile, label=hostile, kind="Person", hops=1)
    graph.add_edge("urn:a", hostile, key="urn:p", label="rel", claims=(), level="", level_rank=99, direction="")
    net = render(Neighbourhood(graph, "urn:a", 1, False, 0)).to_pyvis()
    net.select_menu = True
    page = net.generate_html()

    assert "<img" not in page
    assert net.nodes[1]["label"] == hostile  # drawn on a canvas from JSON: kept as written
    assert net.edges[0]["to"] == net.nodes[1]["id"]


def test_an_edge_is_found_by_the_id_a_click_reports(kg: KnowledgeGraph) -> None:
    view = render(kg.neighbourhood("ketamine"))
    first = view.edges[0]

    assert view.edge(first.id) == first
    assert view.edge("no such edge") is None
