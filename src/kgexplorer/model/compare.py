"""Compare two to four substances side by side: what they share, what is unique, and on what evidence.

>>> from kgexplorer import KnowledgeGraph
>>> with KnowledgeGraph.bundled() as kg:
...     c = compare(kg, ["ketamine", "psilocybin"])
>>> [s.label for s in c.substances]
['Ketamine', 'Psilocybin']
>>> row = next(r for r in c.rows if r.item == "Alcohol use disorder")
>>> row.shared, row.cells["Ketamine"]
(True, 'Randomised controlled trial · mixed')
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from kgexplorer.errors import QueryError
from kgexplorer.evidence import combine_directions
from kgexplorer.terms import IRI

from .claims import ClaimRow, claim_table
from .labels import EntityRef, fetch_kinds
from .reader import Reader

if TYPE_CHECKING:  # networkx is imported when a comparison is made
    import networkx as nx


__all__ = ["ASPECTS", "Comparison", "ComparisonRow", "compare", "substance_choices"]

#: The aspects compared, in order: (aspect, relation labels that feed it).
ASPECTS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Mechanisms", ("acts on", "effect mediated by")),
    ("Conditions tested", ("tested as a treatment for", "approved for")),
    ("Outcomes", ("affects outcome",)),
    ("Acute effects", ("produces acute effect",)),
    ("Risks", ("carries risk of",)),
    ("Access barriers", ("access limited by",)),
    ("Care models", ("delivered through",)),
)


@dataclass(frozen=True)
class ComparisonRow:
    """One item (a mechanism, condition, risk, jurisdiction …) and what each substance has for it."""

    aspect: str
    item: str
    item_iri: str
    cells: dict[str, str]  # substance label -> best evidence (or legal status); absent when nothing
    shared: bool  # every compared substance has it
    unique: bool  # exactly one has it


@dataclass(frozen=True)
class Comparison:
    """The side-by-side comparison and one graph of the substances and what they link to."""

    substances: tuple[EntityRef, ...]
    rows: tuple[ComparisonRow, ...]
    graph: nx.MultiDiGraph

    def by_aspect(self) -> dict[str, list[ComparisonRow]]:
        """Rows grouped by aspect, shared items first."""
        groups: dict[str, list[ComparisonRow]] = defaultdict(list)
        for r in self.rows:
            groups[r.aspect].append(r)
        return dict(groups)


def compare(kg: Reader, names: Sequence[str]) -> Comparison:
    """Compare 2 to 4 substances (names, labels, synonyms or IRIs)."""
    iris = list(dict.fromkeys(kg.resolve(n) for n in names))
    if not 2 <= len(iris) <= 4:
        raise QueryError(f"compare needs 2 to 4 different substances, got {len(iris)}; pick between two and four")
    kinds = fetch_kinds(kg, iris)
    not_substances = [kg.label(i) for i in iris if kinds[i] != "Substance"]
    if not_substances:
        raise QueryError(
            f"compare works on substances; {', '.join(not_substances)} is not one. "
            "Pick substances such as ketamine, psilocybin or MDMA"
        )
    import networkx as nx

    refs = tuple(EntityRef(i, kg.label(i), "Substance") for i in iris)
    label_of = {r.iri: r.label for r in refs}
    rows_by_item: dict[tuple[str, str], dict[str, list[ClaimRow]]] = defaultdict(lambda: defaultdict(list))
    item_label: dict[str, str] = {}
    graph: nx.MultiDiGraph = nx.MultiDiGraph()
    for ref in refs:
        graph.add_node(ref.iri, label=ref.label, kind="Substance", hops=0)
    relation_aspect = {rel: aspect for aspect, rels in ASPECTS for rel in rels}
    for row in claim_table(kg):
        if row.subject_iri not in label_of or row.relation not in relation_aspect:
            continue
        aspect = relation_aspect[row.relation]
        rows_by_item[(aspect, row.object_iri)][label_of[row.subject_iri]].append(row)
        item_label[row.object_iri] = row.object
        graph.add_node(row.object_iri, label=row.object, kind=row.object_kind, hops=1)
    for (aspect, item), per_sub in rows_by_item.items():
        for sub_label, claims in per_sub.items():
            sub_iri = next(r.iri for r in refs if r.label == sub_label)
            best = min(claims, key=lambda c: c.level_rank)
            graph.add_edge(
                sub_iri,
                item,
                key=aspect,
                label=best.relation,
                claims=tuple(c.claim for c in claims),
                level=best.level,
                level_rank=best.level_rank,
                direction=combine_directions(c.direction for c in claims),
            )
    out = [_row(aspect, item, item_label[item], per_sub, len(refs)) for (aspect, item), per_sub in rows_by_item.items()]
    out += _legal_rows(kg, refs)
    order = {aspect: i for i, (aspect, _) in enumerate(ASPECTS)}
    out.sort(key=lambda r: (order.get(r.aspect, 99), not r.shared, r.unique, r.item.casefold()))
    return Comparison(refs, tuple(out), graph)


def substance_choices(kg: Reader) -> list[EntityRef]:
    """Every substance in the graph, by label (the choices offered for a comparison).

    >>> from kgexplorer import KnowledgeGraph
    >>> with KnowledgeGraph.bundled() as kg:
    ...     [s.label for s in substance_choices(kg)][:3]
    ['5-MeO-DMT', 'Acamprosate', 'Arketamine']
    """
    rows = kg.select("SELECT DISTINCT ?s WHERE { ?s a/rdfs:subClassOf* kgx:Substance }").rows
    iris = [str(r[0]) for r in rows if r[0] is not None]
    return sorted((EntityRef(i, kg.label(i), "Substance") for i in iris), key=lambda r: r.label.casefold())


def _row(aspect: str, item_iri: str, item: str, per_sub: dict[str, list[ClaimRow]], total: int) -> ComparisonRow:
    cells = {}
    for sub, claims in per_sub.items():
        best = min(claims, key=lambda c: c.level_rank)
        direction = combine_directions(c.direction for c in claims)
        more = f" (+{len(claims) - 1} more)" if len(claims) > 1 else ""
        cells[sub] = f"{best.level} · {direction}{more}" if direction else f"{best.level}{more}"
    return ComparisonRow(aspect, item, item_iri, cells, shared=len(cells) == total, unique=len(cells) == 1)


def _legal_rows(kg: Reader, refs: tuple[EntityRef, ...]) -> list[ComparisonRow]:
    rows = kg.select(
        "SELECT ?s ?j ?jl ?status WHERE { ?l a kgx:LegalStatus ; kgx:concerns ?s ; kgx:jurisdiction ?j ; "
        "kgx:controlStatus ?status . ?j rdfs:label ?jl } ORDER BY ?jl ?s",
        values={"s": [IRI(r.iri) for r in refs]},
    ).rows
    per_j: dict[tuple[str, str], dict[str, str]] = defaultdict(dict)
    label_of = {r.iri: r.label for r in refs}
    for s, j, jl, status in rows:
        per_j[(str(j), str(jl))][label_of[str(s)]] = str(status)
    return [
        ComparisonRow("Legal status", jl, j, cells, shared=len(cells) == len(refs), unique=len(cells) == 1)
        for (j, jl), cells in per_j.items()
    ]
