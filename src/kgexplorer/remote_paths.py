"""Paths on a graph too large to download: a bounded bidirectional breadth-first search.

A local graph finds paths on its whole entity graph (:func:`kgexplorer.network.build_entity_graph`).
On a remote endpoint that could be billions of edges, so the search grows two balls of neighbours,
one around each end, asking the backend only for the neighbours of the current frontier (the same
edges the entity graph holds). Why this gives the same paths: once the two radii add up to ``n``, every
path of at most ``n`` edges lies inside the explored subgraph, because each of its edges touches a node
already expanded from one end or the other. So the search stops when the radii reach
``max_length``, when ``k + 1`` paths of at most the current radii are known (no longer path can rank
before them), when one side has no frontier left (its whole component is known), or when
``node_budget`` nodes have been seen (then the result says it was cut). The ``k`` shortest simple
paths are then ranked on that subgraph by :func:`kgexplorer.network.find_paths`.
"""

from __future__ import annotations

import dataclasses
import itertools

import networkx as nx

from .labels import Backend
from .namespaces import KGX
from .network import VOCABULARIES, PathSet, edge_filter, find_paths
from .terms import IRI

__all__ = ["PATH_SEARCH_NODES", "explore_between", "find_remote_paths"]

#: Most nodes one remote path search may visit before it stops and says the result was cut.
PATH_SEARCH_NODES = 5_000
_BATCH = 200  # frontier nodes per neighbour query: keeps each query (and its VALUES block) small


def find_remote_paths(
    backend: Backend,
    source: str,
    target: str,
    *,
    k: int,
    max_length: int,
    node_budget: int = PATH_SEARCH_NODES,
) -> PathSet:
    """The ``k`` shortest simple paths of at most ``max_length`` edges, found without the whole graph.

    ``truncated`` is True when more than ``k`` paths exist or when the node budget cut the search.

    >>> from kgexplorer import KnowledgeGraph
    >>> with KnowledgeGraph.bundled() as kg:
    ...     found = find_remote_paths(kg, kg.resolve("ketamine"), kg.resolve("alcohol use disorder"),
    ...                               k=1, max_length=3)
    >>> [step.relation for step in found.paths[0]]
    ['tested as a treatment for']
    """
    subgraph, cut = explore_between(backend, source, target, k=k, max_length=max_length, node_budget=node_budget)
    found = find_paths(backend, subgraph, source, target, k=k, max_length=max_length)
    return dataclasses.replace(found, truncated=True) if cut else found


def explore_between(
    backend: Backend, source: str, target: str, *, k: int, max_length: int, node_budget: int
) -> tuple[nx.MultiDiGraph, bool]:
    """The part of the entity graph around both ends that holds their shortest paths, and whether the
    node budget cut it.

    >>> from kgexplorer import KnowledgeGraph
    >>> from kgexplorer.namespaces import KG
    >>> with KnowledgeGraph.bundled() as kg:
    ...     sub, cut = explore_between(kg, KG + "ketamine", KG + "alcohol_use_disorder",
    ...                                k=1, max_length=3, node_budget=1000)
    >>> sub.has_edge(KG + "ketamine", KG + "alcohol_use_disorder"), cut
    (True, False)
    """
    graph: nx.MultiDiGraph = nx.MultiDiGraph()
    if source == target or not _are_entities(backend, (source, target)):
        return graph, False
    seen: tuple[set[str], set[str]] = ({source}, {target})
    frontiers: tuple[list[str], list[str]] = ([source], [target])
    radii = [0, 0]
    while radii[0] + radii[1] < max_length:
        if not frontiers[0] or not frontiers[1]:
            break  # one end's whole component is known, so every path between the ends is too
        if _enough_paths(graph, source, target, k=k, longest=radii[0] + radii[1]):
            break
        side = 0 if len(frontiers[0]) <= len(frontiers[1]) else 1
        nodes_seen = seen[side]
        new: list[str] = []
        for start in range(0, len(frontiers[side]), _BATCH):
            batch = frontiers[side][start : start + _BATCH]
            edges, rows_cut = _neighbour_edges(backend, batch, max_rows=2 * node_budget)
            for s, p, o in edges:
                graph.add_edge(s, o, key=p)
                for node in (s, o):
                    if node not in nodes_seen:
                        nodes_seen.add(node)
                        new.append(node)
            if rows_cut or graph.number_of_nodes() > node_budget:
                return graph, True
        frontiers[side][:] = new
        radii[side] += 1
    return graph, False


def _are_entities(backend: Backend, iris: tuple[str, ...]) -> bool:
    """Both ends are nodes the entity graph can hold (not claims, study results or vocabulary)."""
    if any(i.startswith((KGX, *VOCABULARIES)) for i in iris):
        return False
    rows = backend.select(
        "SELECT ?n WHERE { FILTER NOT EXISTS { ?n a kgx:Claim } FILTER NOT EXISTS { ?n a kgx:StudyResult } }",
        values={"n": [IRI(i) for i in iris]},
    ).rows
    return len({str(r[0]) for r in rows}) == len(set(iris))


def _neighbour_edges(backend: Backend, nodes: list[str], *, max_rows: int) -> tuple[list[tuple[str, str, str]], bool]:
    """Entity-graph edges touching ``nodes`` (both directions) and whether the row cap cut them."""
    bound = {"n": [IRI(n) for n in nodes]}
    out = backend.select(f"SELECT ?n ?p ?o WHERE {{ ?n ?p ?o . {edge_filter()} }}", values=bound, max_rows=max_rows)
    into = backend.select(
        f"SELECT ?n ?p ?s WHERE {{ ?s ?p ?n . {edge_filter('?s')} }}", values=bound, max_rows=max_rows
    )
    edges: list[tuple[str, str, str]] = []
    for rows, outgoing in ((out.rows, True), (into.rows, False)):
        for n, p, other in rows:
            if n is None or p is None or other is None:
                continue
            s, o = (str(n), str(other)) if outgoing else (str(other), str(n))
            # The same exclusions as build_entity_graph, so both find the same paths.
            if s == o or s.startswith(VOCABULARIES) or o.startswith(VOCABULARIES):
                continue
            edges.append((s, str(p), o))
    return edges, out.truncated or into.truncated


def _enough_paths(graph: nx.MultiDiGraph, source: str, target: str, *, k: int, longest: int) -> bool:
    """Whether ``k + 1`` simple paths of at most ``longest`` edges are already known."""
    if source not in graph or target not in graph:
        return False
    simple = nx.Graph(graph)
    try:
        short = itertools.takewhile(
            lambda path: len(path) - 1 <= longest, nx.shortest_simple_paths(simple, source, target)
        )
        return sum(1 for _ in itertools.islice(short, k + 1)) > k
    except nx.NetworkXNoPath:
        return False
