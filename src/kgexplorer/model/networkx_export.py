"""Views and the whole graph as plain networkx graphs that networkx's own writers accept:
:meth:`KnowledgeGraph.to_networkx <kgexplorer.knowledge_graph.KnowledgeGraph.to_networkx>` (:func:`as_networkx`).

A view's graph (:class:`~kgexplorer.model.neighbourhood.Neighbourhood`, ``PathSet``, ``Comparison``) holds
attributes GraphML and GEXF cannot write (a tuple of claim IRIs on each edge); :func:`to_networkx` copies it
with every attribute a string, number or boolean (a tuple becomes its items joined by ``"; "``, an empty
value is left out), with or without the "+N more" placeholder nodes. :func:`graph_to_networkx` does the
same for the whole graph: every statement between two IRIs (``rdf:type`` as the node's ``kind``).

>>> import io, networkx as nx
>>> from kgexplorer import KnowledgeGraph
>>> with KnowledgeGraph.bundled() as kg:
...     view = kg.to_networkx(kg.neighbourhood("ketamine"), placeholders=False)
>>> out = io.BytesIO(); nx.write_graphml(view, out); nx.write_gexf(view, io.BytesIO())
>>> view.nodes["https://w3id.org/kgexplorer/id/ketamine"]["label"]
'Ketamine'
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

from kgexplorer.settings import cap

from .labels import fetch_kinds, fetch_labels
from .neighbourhood import MORE

if TYPE_CHECKING:
    import networkx as nx  # imported where a graph is made: the app's first page never needs it (0.5 s)

    from .reader import Reader

__all__ = ["HasGraph", "as_networkx", "graph_to_networkx", "to_networkx"]

_RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"


class HasGraph(Protocol):
    """A view that carries its drawing as a networkx graph (a neighbourhood, paths, a comparison)."""

    @property
    def graph(self) -> nx.MultiDiGraph: ...


def to_networkx(view: HasGraph, *, placeholders: bool = True) -> nx.MultiDiGraph:
    """A copy of ``view``'s graph that ``nx.write_graphml`` and ``nx.write_gexf`` accept; without the
    "+N more" nodes when ``placeholders`` is False."""
    source = view.graph
    import networkx as nx

    out: nx.MultiDiGraph = nx.MultiDiGraph()
    out.graph.update(_plain(dict(source.graph)))
    for node, data in source.nodes(data=True):
        if not placeholders and data.get("kind") == MORE:
            continue
        out.add_node(node, **_plain(data))
    for a, b, key, data in source.edges(keys=True, data=True):
        if a in out and b in out:
            out.add_edge(a, b, key=str(key), **_plain(data))
    return out


def as_networkx(
    kg: Reader, view: HasGraph | None = None, *, placeholders: bool = True, max_edges: int | None = None
) -> nx.MultiDiGraph:
    """``view`` (a neighbourhood, paths, a comparison: :func:`to_networkx`) or, without one, the whole graph
    (:func:`graph_to_networkx`, at most ``max_edges`` edges) as a networkx graph that ``nx.write_graphml``
    and ``nx.write_gexf`` accept; without the "+N more" nodes when ``placeholders`` is False.
    ``KnowledgeGraph.to_networkx`` is this function.

    >>> from kgexplorer import KnowledgeGraph
    >>> with KnowledgeGraph.bundled() as kg:
    ...     few = kg.to_networkx(max_edges=10)
    ...     view = kg.neighbourhood("ketamine", depth=2)
    ...     drawn, plain = kg.to_networkx(view), kg.to_networkx(view, placeholders=False)
    >>> few.graph["truncated"], few.number_of_edges()
    (True, 10)
    >>> drawn.number_of_nodes() > plain.number_of_nodes() == view.graph.number_of_nodes() - sum(
    ...     1 for _, kind in view.graph.nodes(data="kind") if kind == "More")
    True
    """
    if view is not None:
        return to_networkx(view, placeholders=placeholders)
    return graph_to_networkx(kg, max_edges=max_edges)


def graph_to_networkx(kg: Reader, *, max_edges: int | None = None) -> nx.MultiDiGraph:
    """The whole graph as a networkx graph: one edge per statement between two IRIs (key: the predicate
    IRI; ``label``: its label), nodes with ``label`` and ``kind``. At most ``max_edges`` edges (never more
    than the max_result_rows setting); ``graph.graph["truncated"]`` says whether that cut it.

    >>> from kgexplorer import KnowledgeGraph, Settings
    >>> with KnowledgeGraph.bundled(settings=Settings(max_result_rows=100_000)) as kg:
    ...     whole = graph_to_networkx(kg)
    >>> whole.graph["truncated"], whole.number_of_edges() > 1000
    (False, True)
    """
    limit = int(cap(max_edges, kg.settings.max_result_rows))
    rows = kg.select(
        f"SELECT ?s ?p ?o WHERE {{ ?s ?p ?o FILTER(isIRI(?s) && isIRI(?o) && ?p != <{_RDF_TYPE}>) }}",
        max_rows=limit,
    )
    pairs = [(str(s), str(p), str(o)) for s, p, o in rows.rows if s is not None and p is not None and o is not None]
    nodes = list(dict.fromkeys(n for s, _, o in pairs for n in (s, o)))
    labels = fetch_labels(kg, [*nodes, *{p for _, p, _ in pairs}])
    kinds = fetch_kinds(kg, nodes)
    import networkx as nx

    out: nx.MultiDiGraph = nx.MultiDiGraph(truncated=rows.truncated)
    for n in nodes:
        out.add_node(n, label=labels.get(n, n), kind=kinds.get(n, "Resource"))
    for s, p, o in pairs:
        out.add_edge(s, o, key=p, predicate=p, label=labels.get(p, p))
    return out


def _plain(data: dict[str, Any]) -> dict[str, str | int | float | bool]:
    """Attributes GraphML and GEXF can write: strings, numbers and booleans; sequences joined, None dropped."""
    out: dict[str, str | int | float | bool] = {}
    for key, value in data.items():
        if value is None:
            continue
        if isinstance(value, (str, int, float, bool)):
            out[str(key)] = value
        elif isinstance(value, (tuple, list, set, frozenset)):
            items = sorted(str(v) for v in value) if isinstance(value, (set, frozenset)) else [str(v) for v in value]
            if items:
                out[str(key)] = "; ".join(items)
        else:
            out[str(key)] = str(value)
    return out
