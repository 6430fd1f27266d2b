"""All claims as one table, and the summaries the Evidence page charts.

>>> from kgexplorer import KnowledgeGraph
>>> with KnowledgeGraph.bundled() as kg:
...     rows = claim_table(kg)
...     aud = [r for r in rows if r.subject == "Ketamine" and r.object == "Alcohol use disorder"
...            and r.relation == "tested as a treatment for"]
>>> [(r.level, r.direction) for r in aud]
[('Randomised controlled trial', 'mixed')]
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass

from kgexplorer.engine.backend import Backend
from kgexplorer.evidence import level_by_iri

from .labels import fetch_kinds, fetch_labels

__all__ = ["ClaimRow", "claim_table", "evidence_matrix", "studies_per_year"]


@dataclass(frozen=True)
class ClaimRow:
    """One claim, flattened for a sortable, filterable table."""

    claim: str
    subject: str
    subject_iri: str
    subject_kind: str
    relation: str
    object: str
    object_iri: str
    object_kind: str
    level: str
    level_rank: int
    direction: str
    species: str
    design: str
    n: int | None
    first_year: int | None
    last_year: int | None
    studies: str
    contested: bool
    status: str
    explanation: str

    @property
    def years(self) -> str:
        """The supporting studies' years as text: '2019', '2020–2022' or ''."""
        if self.first_year is None:
            return ""
        if self.last_year is None or self.last_year == self.first_year:
            return str(self.first_year)
        return f"{self.first_year}–{self.last_year}"


_CLAIMS = """SELECT ?c ?s ?p ?o ?level ?dir ?design ?n ?contested ?status ?explanation WHERE {
  ?c a kgx:Claim ; kgx:subject ?s ; kgx:predicate ?p ; kgx:object ?o .
  OPTIONAL { ?c kgx:evidenceLevel ?level } OPTIONAL { ?c kgx:resultDirection ?dir }
  OPTIONAL { ?c kgx:studyDesign ?design } OPTIONAL { ?c kgx:totalSampleSize ?n }
  OPTIONAL { ?c kgx:contested ?contested } OPTIONAL { ?c kgx:status ?status }
  OPTIONAL { ?c kgx:explanation ?explanation } } ORDER BY ?c"""
_STUDIES = """SELECT ?c ?study ?year WHERE { ?c a kgx:Claim ; kgx:supportedBy ?study .
  OPTIONAL { ?study kgx:year ?year } } ORDER BY ?c ?study"""
_SPECIES = "SELECT ?c ?sp WHERE { ?c a kgx:Claim ; kgx:species ?sp } ORDER BY ?c ?sp"


def claim_table(kg: Backend) -> tuple[ClaimRow, ...]:
    """Every claim with its subject, relation, object and evidence, strongest evidence first."""
    rows = kg.select(_CLAIMS, max_rows=None).rows
    study_rows = kg.select(_STUDIES, max_rows=None).rows
    species_rows = kg.select(_SPECIES, max_rows=None).rows
    studies: dict[str, list[tuple[str, int | None]]] = defaultdict(list)
    for c, study, year in study_rows:
        studies[str(c)].append((str(study), _whole(year, digits=4)))
    species: dict[str, list[str]] = defaultdict(list)
    for c, sp in species_rows:
        species[str(c)].append(str(sp))
    iris = {str(r[1]) for r in rows} | {str(r[3]) for r in rows}
    names = fetch_labels(
        kg,
        iris
        | {str(r[2]) for r in rows}
        | {str(r[9]) for r in rows if r[9]}
        | {s for lst in studies.values() for s, _ in lst}
        | {s for lst in species.values() for s in lst},
    )
    kinds = fetch_kinds(kg, iris)
    out = []
    for c, s, p, o, lev, d, design, n, contested, status, explanation in rows:
        lv = level_by_iri(str(lev)) if lev else None
        years = [y for _, y in studies.get(str(c), []) if y]
        out.append(
            ClaimRow(
                claim=str(c),
                subject=names[str(s)],
                subject_iri=str(s),
                subject_kind=kinds[str(s)],
                relation=names[str(p)],
                object=names[str(o)],
                object_iri=str(o),
                object_kind=kinds[str(o)],
                level=lv.label if lv else "",
                level_rank=lv.rank if lv else 99,
                direction=str(d).rsplit("#", 1)[-1].lower() if d else "",
                species=", ".join(sorted(names[x] for x in species.get(str(c), []))),
                design=str(design or ""),
                n=_whole(n),
                first_year=min(years) if years else None,
                last_year=max(years) if years else None,
                studies="; ".join(sorted(names[x] for x, _ in studies.get(str(c), []))),
                contested=str(contested).lower() == "true" if contested else False,
                status=names[str(status)] if status else "",
                explanation=str(explanation or ""),
            )
        )
    return tuple(sorted(out, key=lambda r: (r.level_rank, r.subject, r.relation, r.object)))


def studies_per_year(kg: Backend) -> dict[int, dict[str, int]]:
    """How many studies appeared each year, by evidence level: ``{year: {level label: count}}``."""
    rows = kg.select(
        "SELECT ?s ?year ?level WHERE { ?s a kgx:Study ; kgx:year ?year . "
        "OPTIONAL { ?s kgx:evidenceLevel ?level } } ORDER BY ?year",
        max_rows=None,
    ).rows
    table: dict[int, Counter[str]] = defaultdict(Counter)
    for _, year, lev in rows:
        lv = level_by_iri(str(lev)) if lev else None
        if (whole_year := _whole(year, digits=4)) is not None:  # a year that is not a number is not counted
            table[whole_year][lv.label if lv else "not graded"] += 1
    return {y: dict(c) for y, c in sorted(table.items())}


def evidence_matrix(
    rows: tuple[ClaimRow, ...], *, relation: str = "tested as a treatment for"
) -> dict[tuple[str, str], ClaimRow]:
    """For each (subject, object) pair of one relation: the claim with the strongest evidence.

    >>> from kgexplorer import KnowledgeGraph
    >>> with KnowledgeGraph.bundled() as kg:
    ...     m = evidence_matrix(claim_table(kg))
    >>> m[("LSD", "Alcohol use disorder")].level
    'Meta-analysis of RCTs'
    """
    best: dict[tuple[str, str], ClaimRow] = {}
    for r in rows:
        if r.relation != relation:
            continue
        key = (r.subject, r.object)
        if key not in best or r.level_rank < best[key].level_rank:
            best[key] = r
    return best


def _whole(value: object, *, digits: int | None = None) -> int | None:
    """A literal as a whole number (its first ``digits`` characters, e.g. the year of a date), or None when
    it is not one: data from a user's upload may say "lots" where a number belongs.

    >>> _whole("2019-05-01", digits=4), _whole("120"), _whole("lots"), _whole(None)
    (2019, 120, None, None)
    """
    if value is None:
        return None
    text = str(value).strip()[:digits] if digits else str(value).strip()
    return int(text) if text.isdigit() else None
