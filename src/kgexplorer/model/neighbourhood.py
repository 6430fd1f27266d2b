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

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from kgexplorer.engine.backend import Backend, values_clause
from kgexplorer.evidence import combine_directions, level_by_iri
from kgexplorer.namespaces import KGX, RDF, RDFS, SKOS
from kgexplorer.settings import Settings
from kgexplorer.terms import IRI, Term

from .labels import EntityRef, fetch_kinds, fetch_labels
from .row_cap import RowCap

if TYPE_CHECKING:  # networkx is imported when a view is built: it is a third of `import kgexplorer`'s memory
    import networkx as nx

__all__ = [
    "MORE",
    "STUDY_KINDS",
    "VOCABULARIES",
    "Neighbourhood",
    "PathSet",
    "PathStep",
    "edge_filter",
    "has_claims",
    "neighbourhood",
    "predicate_filter",
    "vocabulary_filter",
]

#: Kind of the synthetic "+N more" nodes.
MORE = "More"
#: The kinds a view folds into the edges they support unless asked for (their findings are those edges' claims).
STUDY_KINDS: tuple[str, ...] = ("Study", "Source document")

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
    # Where a record was read, and lay names' own nodes: bookkeeping, not links between things.
    KGX + "readAt",
    KGX + "seenIn",
    KGX + "retractionNotice",
    KGX + "nameOf",
    "http://www.w3.org/2002/07/owl#sameAs",
    RDFS + "subClassOf",
    RDFS + "domain",
    RDFS + "range",
}
VOCABULARIES = (KGX, RDF, RDFS, SKOS, "http://www.w3.org/2002/07/owl#", "http://www.w3.org/2001/XMLSchema#")
_REGEX_SPECIAL = set(".^$|?*+()[]{}\\")
# VOCABULARIES as a regex inside a SPARQL string literal (its backslashes doubled).
_VOCABULARY_PATTERN = (
    "^(" + "|".join("".join(f"\\{c}" if c in _REGEX_SPECIAL else c for c in v) for v in VOCABULARIES) + ")"
).replace("\\", "\\\\")
_EDGE_FILTER = 'FILTER(isIRI(?o)) FILTER(?p NOT IN ({skip})) FILTER(!STRSTARTS(STR(?o), "{kgx}"))'
_NOT_A_CLAIM = " FILTER NOT EXISTS { ?o a kgx:Claim } FILTER NOT EXISTS { ?o a kgx:StudyResult }"


def edge_filter(var_o: str = "?o", *, claims: bool = True) -> str:
    """The SPARQL FILTERs that keep only drawable edges to ``var_o`` (shared with remote path search).

    ``claims=False`` leaves out the two FILTER NOT EXISTS that keep claims and study results out, for a
    graph known to have none (they cost more than the rest of the query on Hetionet).
    """
    skip = ", ".join(f"<{p}>" for p in sorted(_SKIPPED_PREDICATES))
    text = _EDGE_FILTER.format(skip=skip, kgx=KGX) + (_NOT_A_CLAIM if claims else "")
    return text.replace("?o", var_o)


@dataclass(frozen=True)
class Neighbourhood:
    """A neighbourhood view: the graph and whether the caps cut it.

    Node attributes: ``label``, ``kind``, ``hops`` (distance from the focus), and for "+N more" nodes
    ``more_of`` (the node expanded), ``predicate``, ``direction`` and ``count``. Edge keys are predicate
    IRIs; edge attributes: ``label``, ``claims`` (claim IRIs), ``level`` / ``level_rank`` (strongest
    evidence), ``direction`` (combined result direction).

    The view never has more than ``max_nodes`` nodes, "+N more" nodes included; ``truncated`` says the
    cap cut it, and ``hidden`` counts the distinct neighbours it left out (neither drawn nor counted in
    a "+N more" node). Once the view is full, the neighbours of the nodes it could not expand are counted
    by the backend instead of fetched (see :func:`neighbourhood`). ``links_cut`` names the entities whose links
    were read only up to the ``max_neighbour_rows`` setting: their "+N more" counts miss the rest, so the view
    is ``truncated`` then too.
    """

    graph: nx.MultiDiGraph
    focus: str
    depth: int
    truncated: bool
    hidden: int
    links_cut: tuple[str, ...] = ()

    def node_refs(self) -> list[EntityRef]:
        """The nodes as references, focus first, then by label."""
        refs = [EntityRef(n, d["label"], d["kind"]) for n, d in self.graph.nodes(data=True)]
        return sorted(refs, key=lambda r: (r.iri != self.focus, r.kind == MORE, r.label.casefold()))


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


def neighbourhood(
    backend: Backend,
    focus: str,
    *,
    depth: int,
    per_relation: int,
    max_nodes: int,
    max_rows: int = Settings().max_neighbour_rows,
    kinds: Iterable[str] | None = None,
    relations: Iterable[str] | None = None,
    max_level_rank: int | None = None,
    expanded: Iterable[tuple[str, str, str]] = (),
    leave_out: Iterable[str] = (),
) -> Neighbourhood:
    """The neighbourhood of ``focus`` up to ``depth`` hops (see the module docstring for the caps).

    Nodes are expanded breadth first until the view holds ``max_nodes``. The neighbours of nodes the full
    view had no room to expand are never fetched: their edges to nodes already drawn come from one query
    (at most ``per_relation`` per relation and direction), and the rest are counted into ``hidden`` by the
    backend (:func:`_count_hidden`; the ``kinds`` and ``min_evidence`` filters are not applied to that count).
    Each query for a node's links or their claims reads at most ``max_rows`` rows (the ``max_neighbour_rows``
    setting); a node whose rows were cut is listed in ``links_cut``. Nodes of the kinds in ``leave_out`` (e.g.
    :data:`STUDY_KINDS`) are neither drawn nor counted in a "+N more" node, unless one is the focus.
    """
    reader = RowCap(backend, max_rows)
    kind_filter = set(kinds) if kinds else None
    dropped = set(leave_out)
    rel_filter = set(relations) if relations else None
    open_groups = set(expanded)
    claims = has_claims(backend)
    nodes: dict[str, int] = {focus: 0}
    edges: dict[tuple[str, str, str], None] = {}
    more: dict[tuple[str, str, str], int] = {}
    left_out: set[str] = set()
    uncounted = 0  # members of full groups beyond the 500 ranked, left out without being fetched
    frontier = [focus]
    unexpanded: list[str] = []
    kind_cache: dict[str, str] = fetch_kinds(backend, [focus])
    for hop in range(1, depth + 1):
        next_frontier: list[str] = []
        for index, node in enumerate(frontier):
            if len(nodes) + len(more) >= max_nodes:
                unexpanded = frontier[index:]  # the view is full: count the rest instead of fetching it
                break
            groups, sizes = _neighbour_groups(reader, node, rel_filter, claims=claims)
            if kind_filter is not None or dropped:
                candidates = {o for items in groups.values() for o in items}
                kind_cache.update(fetch_kinds(backend, [c for c in candidates if c not in kind_cache]))
            triples = [(node, p, o) if d == "out" else (o, p, node) for (p, d), items in groups.items() for o in items]
            evidence = _edge_evidence(reader, triples, node) if claims else {}
            for (p, d), items in sorted(groups.items()):
                keep = [
                    o
                    for o in items
                    if _passes(evidence.get((node, p, o) if d == "out" else (o, p, node)), max_level_rank)
                    and (kind_filter is None or kind_cache.get(o) in kind_filter or o == focus)
                    and (kind_cache.get(o) not in dropped or o == focus)
                ]
                keep.sort(key=lambda o: (_rank(evidence, node, p, d, o), o))
                limit = len(keep) if (node, p, d) in open_groups else per_relation
                shown, rest = keep[:limit], keep[limit:]
                # Without filters every member of a group counts, not only the ones ranked.
                unfiltered = kind_filter is None and max_level_rank is None and not dropped
                unranked = sizes[(p, d)] - len(items) if unfiltered else 0
                for o in shown:
                    if o not in nodes:
                        # "+N more" nodes are nodes too: they count against the same cap.
                        if len(nodes) + len(more) >= max_nodes:
                            left_out.add(o)
                            continue
                        nodes[o] = hop
                        next_frontier.append(o)
                    edges[(node, p, o) if d == "out" else (o, p, node)] = None
                if rest or unranked:
                    if len(nodes) + len(more) >= max_nodes:
                        left_out.update(rest)
                        uncounted += unranked
                    else:
                        more[(node, p, d)] = len(rest) + unranked
        frontier = next_frontier
        if unexpanded:
            break
    hidden = len(left_out - nodes.keys()) + uncounted
    if unexpanded:
        found = _edges_to_view(backend, unexpanded, nodes, rel_filter, claims=claims, per_relation=per_relation)
        if claims and max_level_rank is not None:
            evidence = _edge_evidence(reader, found, focus)
            found = [t for t in found if _passes(evidence.get(t), max_level_rank)]
        edges.update(dict.fromkeys(found))
        hidden += _count_hidden(backend, unexpanded, nodes.keys() | left_out, rel_filter, claims=claims)
    missing = [n for n in nodes if n not in kind_cache]
    kind_cache.update(fetch_kinds(backend, missing))
    graph = _assemble(backend, reader, nodes, list(edges), more, kind_cache, claims=claims)
    cut = tuple(sorted(reader.cut))
    return Neighbourhood(graph, focus, depth, hidden > 0 or bool(cut), hidden, cut)


def has_claims(backend: Backend) -> bool:
    """Whether the graph has claims or study results (most RDF has none: their filters and lookups are then skipped).

    >>> from kgexplorer import KnowledgeGraph
    >>> with KnowledgeGraph.bundled() as kg:
    ...     has_claims(kg)
    True
    """
    rows = backend.select(
        "SELECT ?c WHERE { ?c a ?k } LIMIT 1", values={"k": [IRI(KGX + "Claim"), IRI(KGX + "StudyResult")]}, max_rows=1
    ).rows
    return bool(rows)


def _passes(evidence: tuple[str, int] | None, max_level_rank: int | None) -> bool:
    """Whether an edge's evidence (None: not derived from claims) is at least as strong as asked. With a level
    asked for, an edge that carries no evidence (a study, an event, a legal status) is left out: the filter
    shows what the evidence at that level says, nothing else."""
    return max_level_rank is None or (evidence is not None and evidence[1] <= max_level_rank)


def _rank(evidence: dict[tuple[str, str, str], tuple[str, int]], node: str, p: str, d: str, o: str) -> int:
    """Evidence rank of the edge between node and o (99 when it is not derived from claims)."""
    key = (node, p, o) if d == "out" else (o, p, node)
    return evidence.get(key, ("", 99))[1]


_RANKED = 500  # most members of one group that are ranked by evidence; the rest are only counted


def _neighbour_groups(
    reader: RowCap, node: str, rel_filter: set[str] | None, *, claims: bool
) -> tuple[dict[tuple[str, str], list[str]], dict[tuple[str, str], int]]:
    """Neighbours of one node grouped by (predicate, direction), at most 500 per group, and each group's size."""
    target = IRI(node)
    groups: dict[tuple[str, str], list[str]] = defaultdict(list)
    sizes: dict[tuple[str, str], int] = defaultdict(int)
    out_rows = reader.select(
        f"SELECT ?p ?o WHERE {{ ?s ?p ?o . {predicate_filter(claims=claims)} }}", values={"s": target}, whose=node
    )
    in_rows = reader.select(
        f"SELECT ?p ?o WHERE {{ ?o ?p ?s . {predicate_filter(claims=claims)} }}", values={"s": target}, whose=node
    )
    for rows, direction in ((out_rows, "out"), (in_rows, "in")):
        for p, o in rows:
            if p is None or not _drawable(o, rel_filter, p) or o.value == node:  # type: ignore[union-attr]
                continue
            key = (p.value, direction)  # type: ignore[union-attr]
            sizes[key] += 1
            if sizes[key] <= _RANKED:
                groups[key].append(o.value)  # type: ignore[union-attr]
    return groups, sizes


def predicate_filter(*, claims: bool) -> str:
    """The part of :func:`edge_filter` that Oxigraph evaluates without reading terms: predicates, and claims.

    Expressions on terms (``isIRI(?o)``, ``STRSTARTS(STR(?o), …)``, even ``?p NOT IN (…)``) make Oxigraph
    decode every row's terms; a MINUS against a VALUES list is a join on the stored ids. Measured on
    Hetionet, 80,000 rows: 35 ms, against 95 ms with ``NOT IN`` and 220 ms with ``isIRI`` alone. So
    :func:`_drawable` checks the rest in Python, on the rows that come back.
    """
    skip = " ".join(f"<{p}>" for p in sorted(_SKIPPED_PREDICATES))
    return f"MINUS {{ VALUES ?p {{ {skip} }} }}" + (_NOT_A_CLAIM if claims else "")


def vocabulary_filter(var_o: str = "?o") -> str:
    """The SPARQL FILTER that :func:`_drawable` applies in Python: ``var_o`` is not in :data:`VOCABULARIES`.

    One REGEX: six STRSTARTS took 2-3 times as long on a Hetionet hub gene (8,800 edges).

    >>> vocabulary_filter("?x").startswith('FILTER(!REGEX(STR(?x), "^(https')
    True
    """
    return f'FILTER(!REGEX(STR({var_o}), "{_VOCABULARY_PATTERN}"))'


def _drawable(other: object, rel_filter: set[str] | None, predicate: object) -> bool:
    """The checks of :func:`edge_filter` left out of :func:`predicate_filter`, plus the relations filter."""
    if not isinstance(other, IRI) or other.value.startswith(VOCABULARIES):
        return False
    return rel_filter is None or str(predicate) in rel_filter


def _edges_to_view(
    backend: Backend,
    nodes: list[str],
    view: Iterable[str],
    rel_filter: set[str] | None,
    *,
    claims: bool,
    per_relation: int,
) -> list[tuple[str, str, str]]:
    """Edges between ``nodes`` (not expanded) and the nodes of the view, at most ``per_relation`` per group.

    Each (node, drawn node) pair is looked up by index.
    """
    drawn = values_clause({"b": [IRI(n) for n in sorted(view)]})
    found: set[tuple[str, str, str]] = set()
    for chunk in _chunks(nodes, 200):
        # A subquery of all (node, drawn node) pairs makes Oxigraph look each pair up by index (15 ms for
        # 57 x 150 pairs on Hetionet); the same VALUES joined directly read every edge of every node (160 ms).
        rows = backend.select(
            f"SELECT ?a ?p ?b ?out WHERE {{ {{ SELECT ?a ?b WHERE {{ {values_clause({'a': [IRI(n) for n in chunk]})} "
            f"{drawn} }} }} {{ ?a ?p ?b . BIND(true AS ?out) }} UNION {{ ?b ?p ?a . BIND(false AS ?out) }} "
            f"{predicate_filter(claims=claims).replace('?o', '?b')} FILTER(?a != ?b) }}"
        ).rows
        for a, p, b, out in rows:
            if p is not None and _drawable(b, rel_filter, p):
                found.add((str(a), str(p), str(b)) if str(out) == "true" else (str(b), str(p), str(a)))
    groups: dict[tuple[str, str, str], list[tuple[str, str, str]]] = defaultdict(list)
    unexpanded = set(nodes)
    for s_, p_, o_ in found:
        groups[(s_, p_, "out") if s_ in unexpanded else (o_, p_, "in")].append((s_, p_, o_))
    return [edge for group in groups.values() for edge in sorted(group)[:per_relation]]


def _count_hidden(
    backend: Backend, nodes: list[str], known: set[str], rel_filter: set[str] | None, *, claims: bool
) -> int:
    """How many distinct neighbours of ``nodes`` are not in ``known``, counted by the backend.

    Literal values are left out by predicate: a predicate whose first value is a literal counts as a
    datatype property (telling literals apart row by row would make Oxigraph decode every value, which
    costs more than the count). So the count is exact for data whose properties hold either literals
    or IRIs, as RDF vocabularies define them.
    """
    start = values_clause({"s": [IRI(n) for n in nodes]})  # in each group: Oxigraph then reads only these nodes' edges
    where = f"{start} ?s ?p ?o . {predicate_filter(claims=claims)}"
    samples = backend.select(
        f"SELECT ?p (isIRI(?x) AS ?iri) WHERE {{ {{ SELECT ?p (SAMPLE(?o) AS ?x) WHERE {{ {where} }} GROUP BY ?p }} }}"
    ).rows
    literal = [p for p, iri in samples if isinstance(p, IRI) and str(iri) != "true"]
    values = f"MINUS {{ {values_clause({'p': literal})} }}" if literal else ""
    relation = f"FILTER(?p IN ({', '.join(IRI(r).n3() for r in sorted(rel_filter))}))" if rel_filter else ""
    skip = [IRI(k) for k in sorted(known)]
    rows = backend.select(
        f"SELECT (COUNT(DISTINCT ?o) AS ?n) WHERE {{ {{ {start} ?s ?p ?o . {values} }} UNION {{ {start} ?o ?p ?s }} "
        f"{predicate_filter(claims=claims)} {relation} MINUS {{ {values_clause({'o': skip})} }} }}"
    ).rows
    return int(str(rows[0][0])) if rows and rows[0][0] is not None else 0


def _edge_evidence(
    reader: RowCap, triples: list[tuple[str, str, str]], whose: str
) -> dict[tuple[str, str, str], tuple[str, int]]:
    """For edges derived from claims (the links of ``whose``): (strongest level IRI, its rank)."""
    if not triples:
        return {}
    out: dict[tuple[str, str, str], tuple[str, int]] = {}
    for chunk in _chunks(triples, 300):
        rows = reader.select(
            "SELECT ?s ?p ?o ?level WHERE { ?c a kgx:Claim ; kgx:subject ?s ; kgx:predicate ?p ; kgx:object ?o ; "
            "kgx:evidenceLevel ?level }",
            values=_edge_values(chunk),
            whose=whose,
        )
        for s, p, o, lev in rows:
            lv = level_by_iri(str(lev))
            rank = lv.rank if lv else 99
            key = (str(s), str(p), str(o))
            if key not in out or rank < out[key][1]:
                out[key] = (str(lev), rank)
    return out


def _edge_values(chunk: list[tuple[str, str, str]]) -> dict[str, Term | Sequence[Term]]:
    """Edges (subject, predicate, object) as VALUES rows bound to ?s ?p ?o."""
    return {"s": [IRI(t[0]) for t in chunk], "p": [IRI(t[1]) for t in chunk], "o": [IRI(t[2]) for t in chunk]}


def _claims_for(
    reader: RowCap, triples: list[tuple[str, str, str]], whose: str
) -> dict[tuple[str, str, str], list[tuple[str, str, str]]]:
    """For each edge: its claims as (claim IRI, level IRI, direction IRI)."""
    out: dict[tuple[str, str, str], list[tuple[str, str, str]]] = defaultdict(list)
    for chunk in _chunks(triples, 300):
        rows = reader.select(
            "SELECT ?s ?p ?o ?c ?level ?dir WHERE { ?c a kgx:Claim ; kgx:subject ?s ; kgx:predicate ?p ; "
            "kgx:object ?o . OPTIONAL { ?c kgx:evidenceLevel ?level } OPTIONAL { ?c kgx:resultDirection ?dir } }",
            values=_edge_values(chunk),
            whose=whose,
        )
        for s, p, o, c, lev, d in rows:
            out[(str(s), str(p), str(o))].append((str(c), str(lev or ""), str(d or "")))
    return out


def _assemble(
    backend: Backend,
    reader: RowCap,
    nodes: dict[str, int],
    edges: list[tuple[str, str, str]],
    more: dict[tuple[str, str, str], int],
    kinds: dict[str, str],
    *,
    claims: bool,
) -> nx.MultiDiGraph:
    import networkx as nx

    graph: nx.MultiDiGraph = nx.MultiDiGraph()
    labels = fetch_labels(backend, [*nodes, *{p for _, p, _ in edges}, *{p for _, p, _ in more}])
    for n, hop in nodes.items():
        graph.add_node(n, label=labels[n], kind=kinds.get(n, "Resource"), hops=hop)
    evidence = _claims_for(reader, edges, next(iter(nodes))) if claims else {}  # whose: the focus
    for s, p, o in edges:
        graph.add_edge(s, o, key=p, **_edge_attrs(labels[p], evidence.get((s, p, o), [])))
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


def _chunks(items: list[Any], size: int) -> Iterable[list[Any]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]
