"""Views and the whole graph as networkx graphs that write_graphml and write_gexf accept (issue 16)."""

from __future__ import annotations

import io

import networkx as nx
import pytest

from kgexplorer import KnowledgeGraph, Settings
from kgexplorer.model.compare import compare
from kgexplorer.model.neighbourhood import MORE
from kgexplorer.model.networkx_export import graph_to_networkx, to_networkx

KETAMINE = "https://w3id.org/kgexplorer/id/ketamine"


def _written(graph: nx.MultiDiGraph) -> tuple[nx.Graph, nx.Graph]:
    graphml, gexf = io.BytesIO(), io.BytesIO()
    nx.write_graphml(graph, graphml)
    nx.write_gexf(graph, gexf)
    graphml.seek(0)
    gexf.seek(0)
    return nx.read_graphml(graphml), nx.read_gexf(gexf)


def test_a_view_as_it_is_breaks_graphml_and_the_export_does_not(kg: KnowledgeGraph) -> None:
    """Issue 16: the view's tuple attribute (claims) broke both writers; the export writes and reads back."""
    view = kg.neighbourhood("ketamine", depth=1)
    with pytest.raises((nx.NetworkXError, TypeError, ValueError)):
        nx.write_graphml(view.graph, io.BytesIO())
    exported = to_networkx(view)
    graphml, gexf = _written(exported)
    assert graphml.number_of_nodes() == view.graph.number_of_nodes()
    assert graphml.nodes[KETAMINE]["label"] == "Ketamine"
    assert gexf.number_of_nodes() == view.graph.number_of_nodes()
    with_claims = [d["claims"] for _, _, d in exported.edges(data=True) if "claims" in d]
    assert with_claims
    assert all(isinstance(c, str) and c for c in with_claims)


def test_placeholders_can_be_left_out(kg: KnowledgeGraph) -> None:
    view = kg.neighbourhood("ketamine", depth=2)
    more = [n for n, d in view.graph.nodes(data=True) if d.get("kind") == MORE]
    assert more, "the bundled ketamine view should have a +N more node"
    without = to_networkx(view, placeholders=False)
    assert without.number_of_nodes() == view.graph.number_of_nodes() - len(more)
    assert not [n for n, d in without.nodes(data=True) if d.get("kind") == MORE]
    _written(without)


def test_paths_and_comparisons_export_too(kg: KnowledgeGraph) -> None:
    _written(to_networkx(kg.paths("ketamine", "alcohol use disorder")))
    _written(to_networkx(compare(kg, ["ketamine", "psilocybin"])))


def test_the_whole_graph_exports_and_says_when_it_was_cut() -> None:
    with KnowledgeGraph.bundled(settings=Settings(max_result_rows=100_000)) as whole_kg:
        whole = graph_to_networkx(whole_kg)
        cut = graph_to_networkx(whole_kg, max_edges=50)
    assert whole.graph["truncated"] is False
    assert whole.nodes[KETAMINE]["kind"] == "Substance"
    assert cut.graph["truncated"] is True
    assert cut.number_of_edges() == 50
    graphml, _ = _written(whole)
    assert graphml.number_of_edges() == whole.number_of_edges()


def test_the_facade_exports_views_and_the_whole_graph_for_both_writers(kg: KnowledgeGraph) -> None:
    """KnowledgeGraph.to_networkx: a view, with or without its "+N more" nodes, or the whole graph, capped."""
    view = kg.neighbourhood("ketamine", depth=2)
    with_more, without = kg.to_networkx(view), kg.to_networkx(view, placeholders=False)
    assert [d.get("kind") for _, d in with_more.nodes(data=True)].count(MORE) >= 1
    assert MORE not in [d.get("kind") for _, d in without.nodes(data=True)]
    for graph in (with_more, without, kg.to_networkx(max_edges=200)):
        graphml, gexf = _written(graph)
        assert graphml.number_of_nodes() == gexf.number_of_nodes() == graph.number_of_nodes()
        assert graphml.number_of_edges() == graph.number_of_edges()
    whole = kg.to_networkx(max_edges=10**9)  # never past the max_result_rows setting
    assert whole.number_of_edges() == kg.settings.max_result_rows
    assert whole.graph["truncated"] is True
    with pytest.raises(TypeError):
        kg.to_networkx(view, False)  # type: ignore[misc]  # options are keyword-only
