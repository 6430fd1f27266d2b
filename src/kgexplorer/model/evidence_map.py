"""The evidence map: substances × conditions, each cell the best evidence level there is and its direction.

A student sees the field at a glance. Rules (decided in issue 15):

- a cell shows the **highest** evidence level of the claims that a substance was tested for a condition;
- its direction is the direction of the studies **at that level**: "mixed" where they disagree (the claim's
  combined direction is shown when its studies carry no level);
- a cell whose only evidence is preclinical (animal or cell studies) says so;
- an empty cell means "not in this graph", never "no evidence".

>>> from kgexplorer import KnowledgeGraph
>>> with KnowledgeGraph.bundled() as kg:
...     m = evidence_map(kg)
>>> cell = m.cell("https://w3id.org/kgexplorer/id/ketamine", "https://w3id.org/kgexplorer/id/alcohol_use_disorder")
>>> cell.level, cell.direction
('Randomised controlled trial', 'mixed')
>>> m.cell("https://w3id.org/kgexplorer/id/ketamine", "https://example.org/nothing") is None
True
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from kgexplorer.engine.backend import Backend
from kgexplorer.evidence import EvidenceLevel, combine_directions, level_by_iri
from kgexplorer.namespaces import KGX
from kgexplorer.terms import IRI

from .labels import EntityRef, fetch_kinds, fetch_labels

__all__ = ["NOT_IN_GRAPH", "EvidenceMap", "MapCell", "evidence_map"]

#: What an empty cell says: the graph records nothing there, which is not the same as no evidence existing.
NOT_IN_GRAPH = "not in this graph"
_PRECLINICAL_RANK = 9

_QUERY = """SELECT ?c ?s ?o ?level ?dir ?study ?studyLevel ?studyDir WHERE {
  ?c a kgx:Claim ; kgx:predicate ?p ; kgx:subject ?s ; kgx:object ?o .
  OPTIONAL { ?c kgx:evidenceLevel ?level } OPTIONAL { ?c kgx:resultDirection ?dir }
  OPTIONAL { ?c kgx:resultForStudy ?r . ?r kgx:study ?study .
             OPTIONAL { ?r kgx:resultDirection ?studyDir } OPTIONAL { ?study kgx:evidenceLevel ?studyLevel } }
} ORDER BY ?c ?study"""


@dataclass(frozen=True)
class _Claim:
    subject: str
    object: str
    level: EvidenceLevel | None
    direction: str


@dataclass(frozen=True)
class MapCell:
    """One substance × condition cell: the best level, its direction, and the claims behind it."""

    level: str
    level_rank: int
    direction: str
    preclinical_only: bool
    claims: tuple[str, ...]

    @property
    def text(self) -> str:
        """The cell as a reader reads it, e.g. ``"Randomised controlled trial · mixed"``."""
        level = "Preclinical only (animal or cell studies)" if self.preclinical_only else self.level
        return f"{level} · {self.direction}" if self.direction else level


@dataclass(frozen=True)
class EvidenceMap:
    """Substances (rows) × conditions (columns), both sorted by label, and the cells the graph fills."""

    substances: tuple[EntityRef, ...]
    conditions: tuple[EntityRef, ...]
    cells: dict[tuple[str, str], MapCell]

    def cell(self, substance: str, condition: str) -> MapCell | None:
        """The cell of two IRIs; None when the graph records nothing there (:data:`NOT_IN_GRAPH`)."""
        return self.cells.get((substance, condition))

    def table(self) -> list[dict[str, str]]:
        """One row per substance (its label under "substance"), one column per condition label; empty cells
        are empty strings (read them as :data:`NOT_IN_GRAPH`)."""
        return [
            {
                "substance": s.label,
                **{c.label: (cell.text if (cell := self.cell(s.iri, c.iri)) else "") for c in self.conditions},
            }
            for s in self.substances
        ]


def evidence_map(backend: Backend, *, relation: str = KGX + "testedFor") -> EvidenceMap:
    """The map of one relation's claims (default: what each substance was tested for), substances × conditions."""
    rows = backend.select(_QUERY, values={"p": IRI(relation)}, max_rows=None).rows
    claims: dict[str, _Claim] = {}
    studies: dict[str, list[tuple[int, str]]] = defaultdict(list)
    for c, s, o, lev, d, study, study_level, study_dir in rows:
        key = str(c)
        if key not in claims:
            claims[key] = _Claim(str(s), str(o), level_by_iri(str(lev)) if lev else None, _direction(d))
        if study is not None and study_level is not None:
            slv = level_by_iri(str(study_level))
            if slv is not None:
                studies[key].append((slv.rank, _direction(study_dir)))
    kinds = fetch_kinds(backend, {c.subject for c in claims.values()} | {c.object for c in claims.values()})
    best: dict[tuple[str, str], list[tuple[str, EvidenceLevel]]] = defaultdict(list)
    for key, info in claims.items():
        if kinds.get(info.subject) == "Substance" and kinds.get(info.object) == "Condition" and info.level:
            best[(info.subject, info.object)].append((key, info.level))
    cells: dict[tuple[str, str], MapCell] = {}
    for pair, graded in best.items():
        top = min(lv.rank for _, lv in graded)
        at_top = [(k, lv) for k, lv in graded if lv.rank == top]
        study_dirs = [d for k, _ in at_top for rank, d in studies[k] if rank == top and d]
        direction = combine_directions(study_dirs or [claims[k].direction for k, _ in at_top])
        keys = [k for k, _ in graded]
        cells[pair] = MapCell(
            level=at_top[0][1].label,
            level_rank=top,
            direction=direction,
            preclinical_only=top == _PRECLINICAL_RANK,  # a reference or record (rank 10) is not a study
            claims=tuple(sorted(keys)),
        )
    labels = fetch_labels(backend, {s for s, _ in cells} | {o for _, o in cells})
    subs = sorted({s for s, _ in cells}, key=lambda i: labels[i].casefold())
    conds = sorted({o for _, o in cells}, key=lambda i: labels[i].casefold())
    return EvidenceMap(
        substances=tuple(EntityRef(i, labels[i], "Substance") for i in subs),
        conditions=tuple(EntityRef(i, labels[i], "Condition") for i in conds),
        cells=cells,
    )


def _direction(term: object) -> str:
    return str(term).rsplit("#", 1)[-1].lower() if term is not None else ""
