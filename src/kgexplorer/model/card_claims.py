"""An entity's claims as its card shows them: the relation, the other end, the evidence and each study's finding.

Read for :func:`kgexplorer.model.entity.build_card`, each part through the card's
:class:`~kgexplorer.model.row_cap.RowCap` (the ``max_card_rows`` setting).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from kgexplorer.evidence import DIRECTIONS, level_by_iri
from kgexplorer.namespaces import KGX
from kgexplorer.terms import IRI

from .labels import EntityRef, fetch_kinds, fetch_labels
from .row_cap import RowCap

__all__ = ["ClaimView", "StudyRef", "card_claims"]

_DIRECTION = {KGX + d.capitalize(): d for d in DIRECTIONS}


@dataclass(frozen=True)
class StudyRef:
    """A study or document cited by a claim, with what it reported about the claim when it is evidence.

    ``url`` is the canonical link: the DOI, else the PubMed record, else the source's own ``dcterms:source``
    (a label or a regulator's page). ``direction`` and ``result`` are this source's own finding (its result
    direction and the result as it reports it), which may differ from the claim's combined direction.
    """

    iri: str
    label: str
    year: str | None
    design: str | None
    n: int | None
    url: str | None
    direction: str = ""
    result: str = ""


@dataclass(frozen=True)
class ClaimView:
    """One claim as seen from the entity: the relation, the other end and the evidence."""

    iri: str
    relation: str
    predicate: str
    role: str  # "subject" when the entity is the claim's subject, else "object"
    other: EntityRef
    statement: str
    explanation: str
    level: str
    level_rank: int | None
    direction: str
    design: str
    n: int | None
    studies: tuple[StudyRef, ...]
    cited_in: tuple[StudyRef, ...]
    species: tuple[str, ...]
    contested: bool
    status: str
    note: str
    sources: tuple[str, ...]

    @property
    def years(self) -> tuple[str, ...]:
        """The supporting studies' years, oldest first."""
        return tuple(sorted({s.year for s in self.studies if s.year}))


def card_claims(reader: RowCap, iri: str) -> tuple[ClaimView, ...]:
    """The claims about ``iri``, with their studies, as its card shows them (each part read through ``reader``,
    which caps its rows and remembers a cut)."""
    target = IRI(iri)
    rows = reader.select(
        """SELECT ?c ?role ?p ?other ?statement ?explanation ?level ?dir ?design ?n ?contested ?status ?note WHERE {
             { ?c kgx:subject ?e ; kgx:object ?other . BIND("subject" AS ?role) }
             UNION { ?c kgx:object ?e ; kgx:subject ?other . BIND("object" AS ?role) }
             ?c a kgx:Claim ; kgx:predicate ?p .
             OPTIONAL { ?c kgx:statement ?statement } OPTIONAL { ?c kgx:explanation ?explanation }
             OPTIONAL { ?c kgx:evidenceLevel ?level } OPTIONAL { ?c kgx:resultDirection ?dir }
             OPTIONAL { ?c kgx:studyDesign ?design } OPTIONAL { ?c kgx:totalSampleSize ?n }
             OPTIONAL { ?c kgx:contested ?contested } OPTIONAL { ?c kgx:status ?status }
             OPTIONAL { ?c kgx:note ?note } }""",
        values={"e": target},
    )
    if not rows:
        return ()
    claim_iris = [str(r[0]) for r in rows]
    study_rows = reader.select(
        """SELECT ?c ?rel ?s ?year ?design ?n ?doi ?pmid ?canonical ?dir ?result WHERE {
             { ?c kgx:supportedBy ?s . BIND("evidence" AS ?rel)
               OPTIONAL { ?c kgx:resultForStudy ?r . ?r kgx:study ?s .
                          OPTIONAL { ?r kgx:resultDirection ?dir } OPTIONAL { ?r kgx:reportedResult ?result } } }
             UNION { ?c kgx:citedIn ?s . BIND("cited" AS ?rel) }
             OPTIONAL { ?s kgx:year ?year } OPTIONAL { ?s kgx:studyDesign ?design }
             OPTIONAL { ?s kgx:sampleSize ?n } OPTIONAL { ?s kgx:doi ?doi } OPTIONAL { ?s kgx:pmid ?pmid }
             OPTIONAL { ?s dcterms:source ?canonical } }""",
        values={"c": [IRI(c) for c in claim_iris]},
    )
    extra_rows = reader.select(
        """SELECT ?c ?what ?v WHERE {
             { ?c kgx:species ?v . BIND("species" AS ?what) }
             UNION { ?c dcterms:source ?v . BIND("source" AS ?what) } }""",
        values={"c": [IRI(c) for c in claim_iris]},
    )
    # One entry per (claim, role, study): a study with two canonical links or a text in two languages
    # answers several rows, and the first is enough.
    studies: dict[str, dict[str, dict[str, tuple[str | None, str | None, int | None, str | None, str, str]]]] = (
        defaultdict(lambda: defaultdict(dict))
    )
    for c, rel, s, year, design, n, doi, pmid, canonical, d, result in study_rows:
        url = str(doi) if doi else (f"https://pubmed.ncbi.nlm.nih.gov/{pmid}/" if pmid else None)
        url = url or (str(canonical) if isinstance(canonical, IRI) else None)
        studies[str(c)][str(rel)].setdefault(
            str(s),
            (
                str(year) if year else None,
                str(design) if design else None,
                _whole(n),
                url,
                _DIRECTION.get(str(d), "") if d else "",
                str(result or ""),
            ),
        )
    species: dict[str, list[str]] = defaultdict(list)
    sources: dict[str, list[str]] = defaultdict(list)
    for c, what, v in extra_rows:
        (species if str(what) == "species" else sources)[str(c)].append(str(v))
    names = fetch_labels(
        reader.backend,
        {str(r[3]) for r in rows}
        | {str(r[2]) for r in rows}
        | {s for d in studies.values() for found in d.values() for s in found}
        | {s for lst in species.values() for s in lst}
        | {str(r[11]) for r in rows if r[11]},
    )
    kinds = fetch_kinds(reader.backend, {str(r[3]) for r in rows})
    views = []
    for c, role, p, other, statement, explanation, lev, d, design, n, contested, status, note in rows:
        lv = level_by_iri(str(lev)) if lev else None

        def refs(rel: str, c: object = c) -> tuple[StudyRef, ...]:
            items = studies.get(str(c), {}).get(rel, {})
            return tuple(
                sorted(
                    (StudyRef(s, names[s], *values) for s, values in items.items()),
                    key=lambda r: (r.year or "", r.label),
                )
            )

        views.append(
            ClaimView(
                iri=str(c),
                relation=names[str(p)],
                predicate=str(p),
                role=str(role),
                other=EntityRef(str(other), names[str(other)], kinds[str(other)]),
                statement=str(statement or ""),
                explanation=str(explanation or ""),
                level=lv.label if lv else (names.get(str(lev), "") if lev else ""),
                level_rank=lv.rank if lv else None,
                direction=_DIRECTION.get(str(d), "") if d else "",
                design=str(design or ""),
                n=_whole(n),
                studies=refs("evidence"),
                cited_in=refs("cited"),
                species=tuple(sorted(names[s] for s in species.get(str(c), []))),
                contested=str(contested).lower() == "true" if contested else False,
                status=names[str(status)] if status else "",
                note=str(note or ""),
                sources=tuple(sorted(sources.get(str(c), []))),
            )
        )
    return tuple(sorted(views, key=lambda v: (v.role, v.relation, v.level_rank or 99, v.other.label, v.iri)))


def _whole(term: object) -> int | None:
    """A sample size as a whole number; None when absent or not a whole number (data is not trusted)."""
    try:
        return int(str(term)) if term is not None else None
    except ValueError:
        return None
