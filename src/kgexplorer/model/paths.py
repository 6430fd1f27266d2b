"""Paths between two entities: a bounded bidirectional breadth-first search, locally and on endpoints.

The entity graph (the edges :func:`kgexplorer.model.neighbourhood.neighbourhood` draws) could be billions of edges
on an endpoint, and copying it into networkx took 35 s for Hetionet's 860,000 triples, so the search
grows two balls of neighbours, one around each end, asking the backend only for the neighbours of the
current frontier, in batches bound with VALUES. Why this gives the same paths: once the two radii add up to ``n``, every
path of at most ``n`` edges lies inside the explored subgraph, because each of its edges touches a node
already expanded from one end or the other. So the search stops when the radii reach
``max_length``, when ``k + 1`` paths of at most the current radii are known (no longer path can rank
before them), when one side has no frontier left (its whole component is known), or when
``node_budget`` nodes have been seen (then the result says it was cut). The ``k`` shortest simple
paths are then ranked on that subgraph by :func:`find_paths`.
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Collection, Sequence
from typing import TYPE_CHECKING, Any

from kgexplorer.engine.backend import Backend
from kgexplorer.evidence import level_by_iri
from kgexplorer.namespaces import KGX
from kgexplorer.settings import Settings
from kgexplorer.terms import IRI

from .labels import EntityRef, fetch_kinds, fetch_labels
from .neighbourhood import (
    VOCABULARIES,
    PathSet,
    PathStep,
    _chunks,
    _claims_for,
    _edge_attrs,
    edge_filter,
    has_claims,
)
from .row_cap import RowCap

if TYPE_CHECKING:  # imported when paths are searched (see kgexplorer.model.neighbourhood)
    import networkx as nx

__all__ = [
    "DEFAULT_PATH_GROUPS",
    "RELATION_GROUPS",
    "explore_between",
    "find_paths",
    "find_remote_paths",
    "grouped_predicates",
    "path_group_key",
    "path_groups",
]

#: The relation groups of the vocabulary (graph/ontology.ttl, kgx:relationGroup), in the order a page offers them.
RELATION_GROUPS: tuple[str, ...] = (
    KGX + "MechanisticRelations",
    KGX + "ClinicalRelations",
    KGX + "RegulatoryRelations",
    KGX + "BibliographicRelations",
)
#: What "how are these linked?" follows unless asked for more: mechanisms and clinical evidence.
DEFAULT_PATH_GROUPS: tuple[str, ...] = RELATION_GROUPS[:2]


def path_group_key(group: str) -> str:
    """How an address (Connections' ``via``) or a lesson file names a relation group.

    >>> path_group_key(RELATION_GROUPS[0]), [path_group_key(g) for g in path_groups(["clinical", "nope"])]
    ('mechanistic', ['clinical'])
    """
    return group.rsplit("#", 1)[-1].removesuffix("Relations").lower()


def path_groups(keys: Sequence[str]) -> tuple[str, ...]:
    """The relation groups (IRIs) that ``keys`` name, in their order; unknown keys are left out."""
    named = {path_group_key(g): g for g in RELATION_GROUPS}
    return tuple(dict.fromkeys(named[k] for k in keys if k in named))


_BATCH = 200  # frontier nodes per neighbour query: keeps each query (and its VALUES block) small


def grouped_predicates(backend: Backend, groups: Collection[str]) -> frozenset[str] | None:
    """The relations (predicate IRIs) in ``groups``; None when the graph names no relation groups (most RDF),
    so every relation may be followed.

    >>> from kgexplorer import KnowledgeGraph
    >>> with KnowledgeGraph.bundled() as kg:
    ...     found = grouped_predicates(kg, [KGX + "ClinicalRelations"])
    >>> KGX + "testedFor" in found, KGX + "legalStatus" in found
    (True, False)
    """
    rows = backend.select(
        "SELECT ?p ?g WHERE { ?p kgx:relationGroup ?g }",
        values={"g": [IRI(g) for g in dict.fromkeys([*RELATION_GROUPS, *groups])]},
        max_rows=None,
    ).rows
    if not rows:
        return None
    return frozenset(str(p) for p, g in rows if p is not None and str(g) in groups)


def find_remote_paths(
    backend: Backend,
    source: str,
    target: str,
    *,
    k: int,
    max_length: int,
    node_budget: int = Settings().path_search_nodes,
    max_rows: int = Settings().max_neighbour_rows,
    groups: Collection[str] | None = None,
) -> PathSet:
    """The ``k`` shortest simple paths of at most ``max_length`` edges, found without the whole graph.

    ``truncated`` is True when more than ``k`` paths exist, when the node budget (``node_budget``, the
    path_search_nodes setting) cut the search, or when the claims of a path's steps were read only up to
    ``max_rows`` (the ``max_neighbour_rows`` setting). With ``groups`` (relation group IRIs,
    :data:`RELATION_GROUPS`) a path follows only relations of those groups, when the graph names groups. Among
    paths of one length, those that follow the edges' own direction come first.

    >>> from kgexplorer import KnowledgeGraph
    >>> with KnowledgeGraph.bundled() as kg:
    ...     found = find_remote_paths(kg, kg.resolve("ketamine"), kg.resolve("alcohol use disorder"),
    ...                               k=1, max_length=3)
    >>> [step.relation for step in found.paths[0]]
    ['tested as a treatment for']
    """
    allowed = grouped_predicates(backend, groups) if groups is not None else None
    subgraph, cut = explore_between(
        backend, source, target, k=k, max_length=max_length, node_budget=node_budget, allowed=allowed
    )
    found = find_paths(backend, subgraph, source, target, k=k, max_length=max_length, max_rows=max_rows)
    return dataclasses.replace(found, truncated=True) if cut else found


def explore_between(
    backend: Backend,
    source: str,
    target: str,
    *,
    k: int,
    max_length: int,
    node_budget: int,
    allowed: frozenset[str] | None = None,
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
    import networkx as nx

    graph: nx.MultiDiGraph = nx.MultiDiGraph()
    if source == target or not _are_entities(backend, (source, target)):
        return graph, False
    claims = has_claims(backend)
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
            edges, rows_cut = _neighbour_edges(backend, batch, max_rows=2 * node_budget, claims=claims)
            for s, p, o in edges:
                if allowed is not None and p not in allowed:
                    continue
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


def _neighbour_edges(
    backend: Backend, nodes: list[str], *, max_rows: int, claims: bool = True
) -> tuple[list[tuple[str, str, str]], bool]:
    """Entity-graph edges touching ``nodes`` (both directions) and whether the row cap cut them."""
    bound = {"n": [IRI(n) for n in nodes]}
    out = backend.select(
        f"SELECT ?n ?p ?o WHERE {{ ?n ?p ?o . {edge_filter(claims=claims)} }}", values=bound, max_rows=max_rows
    )
    into = backend.select(
        f"SELECT ?n ?p ?s WHERE {{ ?s ?p ?n . {edge_filter('?s', claims=claims)} }}", values=bound, max_rows=max_rows
    )
    edges: list[tuple[str, str, str]] = []
    for rows, outgoing in ((out.rows, True), (into.rows, False)):
        for n, p, other in rows:
            if n is None or p is None or other is None:
                continue
            s, o = (str(n), str(other)) if outgoing else (str(other), str(n))
            # The same exclusions as a neighbourhood view, so paths use the edges views draw.
            if s == o or s.startswith(VOCABULARIES) or o.startswith(VOCABULARIES):
                continue
            edges.append((s, str(p), o))
    return edges, out.truncated or into.truncated


def _enough_paths(graph: nx.MultiDiGraph, source: str, target: str, *, k: int, longest: int) -> bool:
    """Whether ``k + 1`` simple paths of at most ``longest`` edges are already known."""
    import networkx as nx

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


def find_paths(
    backend: Backend,
    entity_graph: nx.MultiDiGraph,
    source: str,
    target: str,
    *,
    k: int,
    max_length: int,
    max_rows: int = Settings().max_neighbour_rows,
) -> PathSet:
    """The ``k`` shortest simple paths of at most ``max_length`` edges, read in either direction."""
    import networkx as nx

    # Undirected (a student asks "how are these linked", not "which way"), built in sorted order: the search
    # meets paths of one length in the order of the graph's adjacency, which would otherwise be the order the
    # engine returned rows in, so a remote engine showed other paths than the same data held locally.
    simple: nx.Graph = nx.Graph()
    simple.add_nodes_from(sorted(entity_graph.nodes))
    simple.add_edges_from(sorted({(a, b) if a <= b else (b, a) for a, b in entity_graph.edges()}))
    candidates: list[list[str]] = []
    if source in simple and target in simple and source != target:
        try:
            # A few more than k, so that among paths of one length those read along the edges come first.
            for path in itertools.islice(nx.shortest_simple_paths(simple, source, target), 3 * k + 1):
                if len(path) - 1 > max_length:
                    break
                candidates.append(path)
        except nx.NetworkXNoPath:
            pass

    def against(path: list[str]) -> int:
        return sum(1 for a, b in itertools.pairwise(path) if not entity_graph.has_edge(a, b))

    ranked = sorted(candidates, key=lambda path: (len(path), against(path), path))
    found, truncated = ranked[:k], len(ranked) > k
    nodes = {n for p in found for n in p} | {source, target}
    labels = fetch_labels(backend, nodes)
    kinds = fetch_kinds(backend, nodes)
    steps_raw: list[list[tuple[str, str, str, bool]]] = []
    needed: set[tuple[str, str, str]] = set()
    for path in found:
        steps: list[tuple[str, str, str, bool]] = []
        for a, b in itertools.pairwise(path):
            if entity_graph.has_edge(a, b):
                p = _best_key(entity_graph, a, b)
                steps.append((a, p, b, True))
                needed.add((a, p, b))
            else:
                p = _best_key(entity_graph, b, a)
                steps.append((b, p, a, False))
                needed.add((b, p, a))
        steps_raw.append(steps)
    reader = RowCap(backend, max_rows)
    claims = _claims_for(reader, sorted(needed), source)
    truncated = truncated or bool(reader.cut)
    pred_labels = fetch_labels(backend, {p for _, p, _ in needed})
    explanations = _explanations(backend, [c for lst in claims.values() for c, _, _ in lst])
    graph: nx.MultiDiGraph = nx.MultiDiGraph()
    for n in nodes:
        graph.add_node(n, label=labels[n], kind=kinds[n], on_path=any(n in p for p in found))
    out_paths: list[tuple[PathStep, ...]] = []
    for index, steps in enumerate(steps_raw):
        built: list[PathStep] = []
        for s, p, o, forward in steps:
            # Strongest evidence first, so the sentence explains the claim its "best evidence" names.
            cl = sorted(claims.get((s, p, o), []), key=lambda c: (_level_rank(c[1]), c[0]))
            attrs = _edge_attrs(pred_labels[p], cl)
            src = EntityRef(s, labels[s], kinds[s])
            dst = EntityRef(o, labels[o], kinds[o])
            sentence = _sentence(src, pred_labels[p], dst, attrs, [explanations.get(c, "") for c, _, _ in cl])
            built.append(
                PathStep(
                    src,
                    dst,
                    p,
                    pred_labels[p],
                    forward,
                    attrs["claims"],
                    attrs["level"],
                    attrs["direction"],
                    sentence,
                )
            )
            if graph.has_edge(s, o, key=p):
                graph.edges[s, o, p]["paths"].append(index)
            else:
                graph.add_edge(s, o, key=p, paths=[index], **attrs)
        out_paths.append(tuple(built))
    return PathSet(
        EntityRef(source, labels[source], kinds[source]),
        EntityRef(target, labels[target], kinds[target]),
        tuple(out_paths),
        graph,
        max_length,
        truncated,
        tuple(tuple(step.sentence for step in p) for p in out_paths),
    )


def _level_rank(level_iri: str) -> int:
    lv = level_by_iri(level_iri)
    return lv.rank if lv else 99


def _best_key(g: nx.MultiDiGraph, a: str, b: str) -> str:
    keys = sorted(g[a][b])
    # Prefer evidence relations (kgx direct edges) over structural ones when both link the pair.
    ranked = sorted(keys, key=lambda k: (not k.startswith(KGX), k))
    return str(ranked[0])


def _explanations(backend: Backend, claims: list[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for chunk in _chunks(sorted(set(claims)), 300):
        rows = backend.select(
            "SELECT ?c ?e WHERE { ?c kgx:explanation ?e }", values={"c": [IRI(c) for c in chunk]}
        ).rows
        out.update({str(c): str(e) for c, e in rows})
    return out


def _sentence(src: EntityRef, relation: str, dst: EntityRef, attrs: dict[str, Any], explanations: list[str]) -> str:
    base = f"{src.label} {relation} {dst.label}"
    if not attrs["claims"]:
        return base + "."
    n = len(attrs["claims"])
    evidence = f"{attrs['level'].lower() or 'evidence'}{', ' + attrs['direction'] if attrs['direction'] else ''}"
    detail = next((e for e in explanations if e), "")
    claim_word = "claim" if n == 1 else "claims"
    return f"{base} ({n} {claim_word}; best evidence: {evidence}). {detail}".strip()
