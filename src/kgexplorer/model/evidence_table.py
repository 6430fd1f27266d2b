"""The Evidence page's table: its filters (read from and written to the page address), the rows they keep,
and the summaries that follow them (studies per year, the strongest evidence per pair).

One call gives the page everything it shows, and it runs without Streamlit:

>>> from kgexplorer import KnowledgeGraph
>>> from kgexplorer.model.claims import claim_table
>>> with KnowledgeGraph.bundled() as kg:
...     rows = claim_table(kg)
>>> chosen = EvidenceFilter.from_params({"sub": "ketamine", "cond": "alcohol_use_disorder", "dir": "mixed"})
>>> table = evidence_table(rows, chosen)
>>> [(r.subject, r.object, r.direction) for r in table.rows]
[('Ketamine', 'Alcohol use disorder', 'mixed')]
>>> chosen.to_params()["sub"], table.total == len(rows)
('ketamine', True)
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping
from dataclasses import dataclass

from kgexplorer.evidence import DIRECTIONS, LEVELS
from kgexplorer.namespaces import KG

from .claims import ClaimRow, evidence_matrix

__all__ = ["EvidenceFilter", "EvidenceOptions", "EvidenceTable", "evidence_table"]

_LEVEL_BY_KEY = {lv.key: lv for lv in LEVELS}


def _ids(text: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(x.strip() for x in text.split(",") if x.strip()))


def _short(iri: str) -> str:
    return iri[len(KG) :] if iri.startswith(KG) else iri


def _full(name: str) -> str:
    return name if "://" in name or name.startswith("urn:") else KG + name


@dataclass(frozen=True)
class EvidenceFilter:
    """What the reader chose: subjects and conditions (IRIs), evidence levels (rubric keys), directions,
    species (labels) and a range of study years. Empty means "any"."""

    subjects: tuple[str, ...] = ()
    conditions: tuple[str, ...] = ()
    levels: tuple[str, ...] = ()
    directions: tuple[str, ...] = ()
    species: tuple[str, ...] = ()
    years: tuple[int, int] | None = None

    @classmethod
    def from_params(cls, params: Mapping[str, str]) -> EvidenceFilter:
        """The filter an address names, e.g.
        ``?sub=ketamine&cond=alcohol_use_disorder&lvl=RCT&dir=null&sp=Human&years=2000-2024``; what it cannot
        mean is dropped, so an old or hand-edited link never breaks the page."""
        span = str(params.get("years", "")).split("-")
        years = (int(span[0]), int(span[1])) if len(span) == 2 and all(p.isdigit() for p in span) else None
        return cls(
            subjects=tuple(_full(x) for x in _ids(str(params.get("sub", "")))),
            conditions=tuple(_full(x) for x in _ids(str(params.get("cond", "")))),
            levels=tuple(x for x in _ids(str(params.get("lvl", ""))) if x in _LEVEL_BY_KEY),
            directions=tuple(x for x in _ids(str(params.get("dir", ""))) if x in DIRECTIONS),
            species=_ids(str(params.get("sp", ""))),
            years=years if years and years[0] <= years[1] else None,
        )

    def to_params(self) -> dict[str, str | None]:
        """The address parameters of this filter (None: leave out)."""
        return {
            "sub": ",".join(_short(i) for i in self.subjects) or None,
            "cond": ",".join(_short(i) for i in self.conditions) or None,
            "lvl": ",".join(self.levels) or None,
            "dir": ",".join(self.directions) or None,
            "sp": ",".join(self.species) or None,
            "years": f"{self.years[0]}-{self.years[1]}" if self.years else None,
        }

    def keeps(self, row: ClaimRow) -> bool:
        """Whether a claim passes every chosen filter."""
        level_labels = {_LEVEL_BY_KEY[k].label for k in self.levels}
        first, last = row.first_year, row.last_year or row.first_year
        return (
            (not self.subjects or row.subject_iri in self.subjects)
            and (not self.conditions or row.object_iri in self.conditions)
            and (not level_labels or row.level in level_labels)
            and (not self.directions or row.direction in self.directions)
            and (not self.species or any(s in row.species.split(", ") for s in self.species))
            and (self.years is None or first is None or (self.years[0] <= (last or first) and first <= self.years[1]))
        )


@dataclass(frozen=True)
class EvidenceOptions:
    """What the filters can offer, from all the claims: (IRI, label) pairs, level keys by strength, species
    labels and the span of study years (None without years)."""

    subjects: tuple[tuple[str, str], ...]
    conditions: tuple[tuple[str, str], ...]
    levels: tuple[str, ...]
    species: tuple[str, ...]
    years: tuple[int, int] | None


@dataclass(frozen=True)
class EvidenceTable:
    """The claims a filter keeps, with the summaries that follow the filter."""

    rows: tuple[ClaimRow, ...]
    total: int
    options: EvidenceOptions
    #: {year: {evidence level label: claims whose studies span that year}} of the kept claims.
    per_year: dict[int, dict[str, int]]
    #: The strongest "tested as a treatment for" claim per (subject, condition) among the kept claims.
    matrix: dict[tuple[str, str], ClaimRow]

    def matrix_rows(self) -> list[dict[str, str]]:
        """The matrix pivoted for a table: one row per subject, one column per condition, each cell
        "level · direction" or empty."""
        subjects = sorted({s for s, _ in self.matrix})
        conditions = sorted({c for _, c in self.matrix})
        return [
            {
                "substance or therapy": s,
                **{c: (f"{m.level} · {m.direction}" if (m := self.matrix.get((s, c))) else "") for c in conditions},
            }
            for s in subjects
        ]


def evidence_table(rows: tuple[ClaimRow, ...], chosen: EvidenceFilter) -> EvidenceTable:
    """The rows ``chosen`` keeps, what the filters offer, and the chart and matrix of the kept rows."""
    kept = tuple(r for r in rows if chosen.keeps(r))
    years = [y for r in rows for y in (r.first_year, r.last_year) if y]
    ranks = {r.level: r.level_rank for r in rows}
    options = EvidenceOptions(
        subjects=tuple(
            sorted(
                {(r.subject_iri, r.subject) for r in rows if r.subject_kind in ("Substance", "Therapy")},
                key=lambda x: x[1].casefold(),
            )
        ),
        conditions=tuple(
            sorted(
                {(r.object_iri, r.object) for r in rows if r.object_kind == "Condition"}, key=lambda x: x[1].casefold()
            )
        ),
        levels=tuple(lv.key for lv in LEVELS if lv.label in ranks),
        species=tuple(sorted({s for r in rows for s in r.species.split(", ") if s})),
        years=(min(years), max(years)) if years else None,
    )
    per_year: dict[int, Counter[str]] = defaultdict(Counter)
    for r in kept:
        if r.first_year is not None:
            per_year[r.first_year][r.level or "not graded"] += 1
    return EvidenceTable(
        rows=kept,
        total=len(rows),
        options=options,
        per_year={y: dict(c) for y, c in sorted(per_year.items())},
        matrix=evidence_matrix(kept),
    )
