"""A view as a pyvis network, for notebook users who already know pyvis (``GraphView.to_pyvis()``).

Same nodes, edges, styles, legend groups and options as the app draws. Every string pyvis would put into
HTML unescaped is escaped: node ids (its ``select_menu`` writes them into ``<option>``) and tooltips (it
switches to ``innerHTML`` tooltips once any title contains "href"); labels need no escaping (pyvis embeds
them as JSON and vis-network draws them on a canvas). vis-network is inlined (``cdn_resources="in_line"``),
so the page works offline. The app itself draws with its own component instead (clicks reach Python, no
CDN, no injected script): docs/decisions/graph-component.md.

>>> from kgexplorer import KnowledgeGraph
>>> from kgexplorer.views.render import render
>>> with KnowledgeGraph.bundled() as kg:
...     net = pyvis_network(render(kg.neighbourhood("ketamine")).to_data(), height="400px")
>>> net.height, len(net.nodes) == len(net.node_ids)
('400px', True)
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from typing import Any

__all__ = ["pyvis_network"]


def pyvis_network(data: Mapping[str, Any], *, height: str = "600px", notebook: bool = False) -> Any:
    """A view's drawing (``GraphView.to_data()``) as a :class:`pyvis.network.Network` (directed, ids and
    tooltips escaped, vis-network inline)."""
    from pyvis.network import Network

    net = Network(height=height, width="100%", directed=True, notebook=notebook, cdn_resources="in_line")
    nodes = [{**n, "id": html.escape(n["id"]), "title": html.escape(n["title"])} for n in data["nodes"]]
    edges = [
        {**e, "from": html.escape(e["from"]), "to": html.escape(e["to"]), "title": html.escape(e["title"])}
        for e in data["edges"]
    ]
    # Assigned directly, not by add_node/add_edge: those cost O(N+E) a call (5,000 nodes: 1.9 s against 5 ms).
    net.nodes, net.edges = nodes, edges
    net.node_ids = [n["id"] for n in nodes]
    net.node_map = {n["id"]: n for n in nodes}
    net.options = data["options"]
    return net
