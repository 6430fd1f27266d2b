"""Neighbourhoods and paths as networkx graphs, with capped expansion and evidence on every edge.

Which triples are drawn: IRI-to-IRI triples between entities, except bookkeeping (rdf:type, sources,
status, rubric values). Claims are not nodes: they are the evidence of the direct edges they derive
(graph/rules/direct-edges.rq), and each such edge carries its claims' strongest level and combined
direction.

Expansion is capped like the Wikidata Query Service's graph view: per relation and direction a node
shows at most ``neighbours_per_relation`` neighbours (strongest evidence first) and one "+N more" node
standing for the rest; a whole view never exceeds ``max_view_nodes`` and says when it was cut.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import networkx as nx

from .evidence import combine_directions, level_by_iri
from .labels import Backend, EntityRef, fetch_kinds, fetch_labels
from .namespaces import KGX, RDF, RDFS, SKOS
from .terms import IRI

__all__ = [
    "MORE",
    "VOCABULARIES",
    "Neighbourhood",
    "PathSet",
    "PathStep",
    "build_entity_graph",
    "edge_filter",
    "find_paths",
    "neighbourhood",
]

#: Kind of the synthetic "+N more" nodes.
MORE = "More"

_SKIPPED_PREDICATES = {
    RDF + "type",
    "http://purl.org/dc/terms/source",
    "http://purl.org/dc/terms/provenance",
    RDFS + "seeAlso",
    SKOS + "exactMatch",
    SKOS + "closeMatch",
    KGX + "status",
    KGX + "sourceTier",
    KGX + "evidenceLevel",
    KGX + "evidenceKind",
    KGX + "species",
    KGX + "resultDirection",
    KGX + "primaryOutcomeResult",
    KGX + "doi",
    KGX + "predicate",
    KGX + "subject",
    KGX + "object",
    KGX + "resultForStudy",
    KGX + "regulatoryContext",
    "http://www.w3.org/2002/07/owl#sameAs",
    RDFS + "subClassOf",
    RDFS + "domain",
    RDFS + "range",
}
VOCABULARIES = (KGX, RDF, RDFS, SKOS, "http://www.w3.org/2002/07/owl#", "http://www.w3.org/2001/XMLSchema#")
_EDGE_FILTER = (
    "FILTER(isIRI(?o)) FILTER(?p NOT IN ({skip})) "
    "FILTER NOT EXISTS {{ ?o a kgx:Claim }} FILTER NOT EXISTS {{ ?o a kgx:StudyResult }} "
    'FILTER(!STRSTARTS(STR(?o), "{kgx}"))'
)


def edge_filter(var_o: str = "?o") -> str:
    """The SPARQL FILTERs that keep only drawable edges to ``var_o`` (shared with remote path search)."""
    skip = ", ".join(f"<{p}>" for p in sorted(_SKIPPED_PREDICATES))
    return _EDGE_FILTER.format(skip=skip, kgx=KGX).replace("?o", var_o)


@dataclass(frozen=True)
class Neighbourhood:
    """A neighbourhood view: the graph and whether the caps cut it.

    Node attributes: ``label``, ``kind``, ``hops`` (distance from the focus), and for "+N more" nodes
    ``more_of`` (the node expanded), ``predicate``, ``direction`` and ``count``. Edge keys are predicate
    IRIs; edge attributes: ``label``, ``claims`` (claim IRIs), ``level`` / ``level_rank`` (strongest
    evidence), ``direction`` (combined result direction).

    The view never has more than ``max_nodes`` nodes, "+N more" nodes included; ``truncated`` says the
    cap cut it, and ``hidden`` counts the distinct neighbours it left out (neither drawn nor counted in
    a "+N more" node).
    """

    graph: nx.MultiDiGraph
    focus: str
    depth: int
    truncated: bool
    hidden: int

    def node_refs(self) -> list[EntityRef]:
        """The nodes as references, focus first, then by label."""
        refs = [EntityRef(n, d["label"], d["kind"]) for n, d in self.graph.nodes(data=True)]
        return sorted(refs, key=lambda r: (r.iri != self.focus, r.kind == MORE, r.label.casefold()))

    def _repr_html_(self) -> str:
        """Jupyter draws the view: its offline page in a sandboxed iframe (:func:`kgexplorer.export.export_iframe`)."""
        from .export import export_iframe  # export imports this module

        return export_iframe(self)


@dataclass(frozen=True)
class PathStep:
    """One edge along a path, in reading order (``forward`` False when it is walked against its arrow)."""

    source: EntityRef
    target: EntityRef
    predicate: str
    relation: str
    forward: bool
    claims: tuple[str, ...] = ()
    level: str = ""
    direction: str = ""
    sentence: str = ""


@dataclass(frozen=True)
class PathSet:
    """The shortest simple paths between two entities, shortest first, and all of them as one graph."""

    source: EntityRef
    target: EntityRef
    paths: tuple[tuple[PathStep, ...], ...]
    graph: nx.MultiDiGraph
    max_length: int
    truncated: bool = False
    explanations: tuple[tuple[str, ...], ...] = field(default=())

    def _repr_html_(self) -> str:
        """Jupyter draws the view: its offline page in a sandboxed iframe (:func:`kgexplorer.export.export_iframe`)."""
        from .export import export_iframe  # export imports this module

        return export_iframe(self)


def neighbourhood(
    backend: Backend,
    focus: str,
    *,
    depth: int,
    per_relation: int,
    max_nodes: int,
    kinds: Iterable[str] | None = None,
    relations: Iterable[str] | None = None,
    max_level_rank: int | None = None,
    expanded: Iterable[tuple[str, str, str]] = (),
) -> Neighbourhood:
    """The neighbourhood of ``focus`` up to ``depth`` hops (see the module docstring for the caps)."""
    kind_filter = set(kinds) if kinds else None
    rel_filter = set(relations) if relations else None
    open_groups = set(expanded)
    nodes: dict[str, int] = {focus: 0}
    edges: dict[tuple[str, str, str], None] = {}
    more: dict[tuple[str, str, str], int] = {}
    truncated = False
    left_out: set[str] = set()
    frontier = [focus]
    kind_cache: dict[str, str] = fetch_kinds(backend, [focus])
    for hop in range(1, depth + 1):
        next_frontier: list[str] = []
        for node in frontier:
            groups = _neighbour_groups(backend, node, rel_filter)
            candidates = {o for items in groups.values() for o in items}
            kind_cache.update(fetch_kinds(backend, [c for c in candidates if c not in kind_cache]))
            evidence = _edge_evidence(
                backend,
                [(node, p, o) if d == "out" else (o, p, node) for (p, d), items in groups.items() for o in items],
            )
            for (p, d), items in sorted(groups.items()):
                keep: list[str] = []
                for o in items:
                    s_, o_ = (node, o) if d == "out" else (o, node)
                    ev = evidence.get((s_, p, o_))
                    if max_level_rank is not None and ev is not None and ev[1] > max_level_rank:
                        continue
                    if kind_filter is not None and kind_cache.get(o) not in kind_filter and o != focus:
                        continue
                    keep.append(o)
                keep.sort(key=lambda o: (_rank(evidence, node, p, d, o), o))
                limit = len(keep) if (node, p, d) in open_groups else per_relation
                shown, rest = keep[:limit], keep[limit:]
                for o in shown:
                    if o not in nodes:
                        # "+N more" nodes are nodes too: they count against the same cap.
                        if len(nodes) + len(more) >= max_nodes:
                            truncated = True
                            left_out.add(o)
                            continue
                        nodes[o] = hop
                        next_frontier.append(o)
                    edges[(node, p, o) if d == "out" else (o, p, node)] = None
                if rest:
                    if len(nodes) + len(more) >= max_nodes:
                        truncated = True
                        left_out.update(rest)
                    else:
                        more[(node, p, d)] = len(rest)
        frontier = next_frontier
    graph = _assemble(backend, nodes, list(edges), more, kind_cache)
    return Neighbourhood(graph, focus, depth, truncated, len(left_out - nodes.keys()))


def _rank(evidence: dict[tuple[str, str, str], tuple[str, int]], node: str, p: str, d: str, o: str) -> int:
    """Evidence rank of the edge between node and o (99 when it is not derived from claims)."""
    key = (node, p, o) if d == "out" else (o, p, node)
    return evidence.get(key, ("", 99))[1]


def _neighbour_groups(backend: Backend, node: str, rel_filter: set[str] | None) -> dict[tuple[str, str], list[str]]:
    """Neighbours of one node grouped by (predicate, direction); at most 500 per group are ranked."""
    target = IRI(node)
    groups: dict[tuple[str, str], list[str]] = defaultdict(list)
    out_rows = backend.select(
        f"SELECT ?p ?o WHERE {{ ?s ?p ?o . {edge_filter()} }}", values={"s": target}, max_rows=20_000
    ).rows
    in_rows = backend.select(
        f"SELECT ?p ?o WHERE {{ ?o ?p ?s . {edge_filter()} FILTER(?o != ?s) }}",
        values={"s": target},
        max_rows=20_000,
    ).rows
    for rows, direction in ((out_rows, "out"), (in_rows, "in")):
        for p, o in rows:
            if p is None or o is None:
                continue
            pv, ov = str(p), str(o)
            if rel_filter is not None and pv not in rel_filter:
                continue
            if ov.startswith(VOCABULARIES) or ov == node:
                continue
            bucket = groups[(pv, direction)]
            if len(bucket) < 500:
                bucket.append(ov)
    return groups


def _edge_evidence(
    backend: Backend, triples: list[tuple[str, str, str]]
) -> dict[tuple[str, str, str], tuple[str, int]]:
    """For edges derived from claims: (strongest level IRI, its rank)."""
    if not triples:
        return {}
    out: dict[tuple[str, str, str], tuple[str, int]] = {}
    for chunk in _chunks(triples, 300):
        rows = backend.select(
            "SELECT ?s ?p ?o ?level WHERE { ?c a kgx:Claim ; kgx:subject ?s ; kgx:predicate ?p ; kgx:object ?o ; "
            "kgx:evidenceLevel ?level }",
            values={
                "s": [IRI(t[0]) for t in chunk],
                "p": [IRI(t[1]) for t in chunk],
                "o": [IRI(t[2]) for t in chunk],
            },
            max_rows=20_000,
        ).rows
        for s, p, o, lev in rows:
            lv = level_by_iri(str(lev))
            rank = lv.rank if lv else 99
            key = (str(s), str(p), str(o))
            if key not in out or rank < out[key][1]:
                out[key] = (str(lev), rank)
    return out


def _claims_for(
    backend: Backend, triples: list[tuple[str, str, str]]
) -> dict[tuple[str, str, str], list[tuple[str, str, str]]]:
    """For each edge: its claims as (claim IRI, level IRI, direction IRI)."""
    out: dict[tuple[str, str, str], list[tuple[str, str, str]]] = defaultdict(list)
    for chunk in _chunks(triples, 300):
        rows = backend.select(
            "SELECT ?s ?p ?o ?c ?level ?dir WHERE { ?c a kgx:Claim ; kgx:subject ?s ; kgx:predicate ?p ; "
            "kgx:object ?o . OPTIONAL { ?c kgx:evidenceLevel ?level } OPTIONAL { ?c kgx:resultDirection ?dir } }",
            values={
                "s": [IRI(t[0]) for t in chunk],
                "p": [IRI(t[1]) for t in chunk],
                "o": [IRI(t[2]) for t in chunk],
            },
            max_rows=20_000,
        ).rows
        for s, p, o, c, lev, d in rows:
            out[(str(s), str(p), str(o))].append((str(c), str(lev or ""), str(d or "")))
    return out


def _assemble(
    backend: Backend,
    nodes: dict[str, int],
    edges: list[tuple[str, str, str]],
    more: dict[tuple[str, str, str], int],
    kinds: dict[str, str],
) -> nx.MultiDiGraph:
    graph: nx.MultiDiGraph = nx.MultiDiGraph()
    labels = fetch_labels(backend, [*nodes, *{p for _, p, _ in edges}, *{p for _, p, _ in more}])
    for n, hop in nodes.items():
        graph.add_node(n, label=labels[n], kind=kinds.get(n, "Resource"), hops=hop)
    claims = _claims_for(backend, edges)
    for s, p, o in edges:
        graph.add_edge(s, o, key=p, **_edge_attrs(labels[p], claims.get((s, p, o), [])))
    for (node, p, d), count in more.items():
        if node not in nodes:
            continue
        more_id = f"more:{d}:{p}|{node}"
        graph.add_node(
            more_id,
            label=f"+{count} more",
            kind=MORE,
            hops=nodes[node] + 1,
            more_of=node,
            predicate=p,
            direction=d,
            count=count,
        )
        if d == "out":
            graph.add_edge(node, more_id, key=p, label=labels[p], claims=(), level="", level_rank=99, direction="")
        else:
            graph.add_edge(more_id, node, key=p, label=labels[p], claims=(), level="", level_rank=99, direction="")
    return graph


def _edge_attrs(label: str, claims: list[tuple[str, str, str]]) -> dict[str, Any]:
    levels = [lv for _, lev, _ in claims if (lv := level_by_iri(lev))]
    best = min(levels, key=lambda lv: lv.rank) if levels else None
    directions = [d.rsplit("#", 1)[-1].lower() for _, _, d in claims if d]
    return {
        "label": label,
        "claims": tuple(sorted(c for c, _, _ in claims)),
        "level": best.label if best else "",
        "level_rank": best.rank if best else 99,
        "direction": combine_directions(directions),
    }


def build_entity_graph(backend: Backend, *, max_edges: int = 5_000_000) -> nx.MultiDiGraph:
    """The whole entity graph (the triples :func:`neighbourhood` would draw), for path finding."""
    rows = backend.select(
        f"SELECT ?s ?p ?o WHERE {{ ?s ?p ?o . FILTER(isIRI(?s)) {edge_filter()} "
        f"FILTER NOT EXISTS {{ ?s a kgx:Claim }} FILTER NOT EXISTS {{ ?s a kgx:StudyResult }} "
        f'FILTER(!STRSTARTS(STR(?s), "{KGX}")) }}',
        max_rows=max_edges,
    ).rows
    graph: nx.MultiDiGraph = nx.MultiDiGraph()
    for s, p, o in rows:
        sv, ov = str(s), str(o)
        if sv == ov or ov.startswith(VOCABULARIES) or sv.startswith(VOCABULARIES):
            continue
        graph.add_edge(sv, ov, key=str(p))
    return graph


def find_paths(
    backend: Backend, entity_graph: nx.MultiDiGraph, source: str, target: str, *, k: int, max_length: int
) -> PathSet:
    """The ``k`` shortest simple paths of at most ``max_length`` edges, read in either direction."""
    simple = nx.Graph(entity_graph)  # undirected view: a student asks "how are these linked", not "which way"
    found: list[list[str]] = []
    truncated = False
    if source in simple and target in simple and source != target:
        try:
            for path in itertools.islice(nx.shortest_simple_paths(simple, source, target), k + 1):
                if len(path) - 1 > max_length:
                    break
                if len(found) == k:
                    truncated = True
                    break
                found.append(path)
        except nx.NetworkXNoPath:
            pass
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
    claims = _claims_for(backend, sorted(needed))
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


def _chunks(items: list[Any], size: int) -> Iterable[list[Any]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]
