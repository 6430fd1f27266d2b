"""The graph view in a Streamlit app: draws a :class:`~kgexplorer.views.render.GraphView`, and reports node clicks.

It is a Streamlit custom component (v2) named ``kgexplorer.graph``; its HTML, CSS and JS live in
``assets/graph/`` beside vis-network (copied there from pyvis by the build: :mod:`kgexplorer._assets`). Choices,
measured (docs/decisions/graph-component.md):

* always keyed, so a new focus updates the same drawing instead of remounting it (no blank frames);
* a click reaches Python as the one-shot trigger ``node_clicked`` and runs ``on_click`` before the
  script body, like a button callback (about 80 ms from click to new output);
* registered on first use, because registering a file-backed component outside a running Streamlit
  app raises (so importing this module from the CLI or a test is harmless).

Use it from a page::

    view = render(kg.neighbourhood(focus))
    graph_view(view, key="explore_graph", on_click=lambda iri: st.session_state.update(focus=iri))
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import streamlit as st
from streamlit.errors import StreamlitAPIException
from streamlit.runtime.scriptrunner import get_script_run_ctx

from kgexplorer._assets import asset_file
from kgexplorer.errors import KgExplorerError
from kgexplorer.views.render import GraphView

__all__ = ["COMPONENT_NAME", "EDGE_TRIGGER", "TRIGGER", "graph_view"]

#: "<project>.<component>", as declared in src/kgexplorer/pyproject.toml.
COMPONENT_NAME = "kgexplorer.graph"
#: The trigger the JS sets when a node is clicked (or chosen with the keyboard).
TRIGGER = "node_clicked"
#: The trigger the JS sets when an edge alone is clicked (its id: ``GraphEdge.id``).
EDGE_TRIGGER = "edge_clicked"


@functools.cache
def _component() -> Callable[..., Any]:
    asset_file("vis-network")  # shipped by the build; if missing, say how to reinstall (never copy it here)
    return st.components.v2.component(
        COMPONENT_NAME, html='<div class="kg-graph"></div>', css="graph.css", js="graph.js"
    )


def graph_view(
    view: GraphView,
    *,
    key: str,
    height: int = 540,
    on_click: Callable[[str], None] | None = None,
    on_edge_click: Callable[[str], None] | None = None,
) -> None:
    """Draw ``view`` in the running Streamlit app; ``on_click(node_id)`` runs when a node is clicked,
    ``on_edge_click(edge_id)`` when an edge alone is (see :meth:`GraphView.edge`).

    ``node_id`` is the node's IRI (or the id of a "+N more" node: see ``GraphNode.expands``). It is
    exactly what the graph holds, so escape it before putting it into Markdown or HTML. ``key`` must be
    unique on the page. Outside a running app this draws nothing, like any Streamlit element:

    >>> from kgexplorer import KnowledgeGraph
    >>> from kgexplorer.views.render import render
    >>> with KnowledgeGraph.bundled() as kg:
    ...     graph_view(render(kg.neighbourhood("ketamine")), key="doctest_graph")
    """
    if not key:
        raise KgExplorerError("graph_view needs a key (any text unique on the page), got an empty one")
    if get_script_run_ctx(suppress_warning=True) is None:
        return  # bare mode (a plain script or a doctest): there is no page to draw on

    def clicked() -> None:
        node = getattr(st.session_state.get(key), TRIGGER, None)
        if node is not None and on_click is not None:
            on_click(str(node))

    def edge_clicked() -> None:
        edge = getattr(st.session_state.get(key), EDGE_TRIGGER, None)
        if edge is not None and on_edge_click is not None:
            on_edge_click(str(edge))

    try:
        mount = _component()
    except (KgExplorerError, StreamlitAPIException) as exc:
        st.error(f"The graph cannot be drawn: {exc}")
        return
    data = {**view.to_data(), "height": height}
    size = "content" if view.layouts else height  # a grouped view is as tall as its layout
    mount(data=data, key=key, height=size, on_node_clicked_change=clicked, on_edge_clicked_change=edge_clicked)
