"""Machine checks on the evidence records, run by ``kgexplorer records check`` and by ``make test``.

What a person cannot see at a glance across hundreds of files, the checks do:

* every number in a finding's structured fields (N, effect and interval, p, dose, sessions, follow-up, arm
  figures) appears in its reported result, so the prose and the fields cannot drift apart;
* identifiers are well formed and no two sources share one; the canonical link is a canonical kind;
* no finding rests on a retracted paper (the list in ``retractions.yaml``, each with its notice);
* every source backs at least one claim and every claim has evidence; claims name entities that exist;
* preclinical work names its species and never backs a clinical relation;
* every record was checked by a second reader (``review.checked_by`` differs from ``researched_by``).

Numbers are compared by value after normalisation: the minus sign, en dash and hyphen are one minus, except
right after a digit, where the dash is a range ("56–84" holds 56 and 84); thousands separators are dropped
(1,614 = 1614); 19 equals 19.0.

>>> numbers_in("MADRS fell by −4.0 points (95% CI −7.31 to −0.64); 1,614 users; 56–84 mg")
... # doctest: +NORMALIZE_WHITESPACE
[Decimal('-4.0'), Decimal('95'), Decimal('-7.31'), Decimal('-0.64'), Decimal('1614'), Decimal('56'), Decimal('84')]
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path

from .evidence_hosts import canonical_problem, host_kind
from .records import DESIGN_LEVELS, Finding, Records, SourceRecord

__all__ = ["CLINICAL_RELATIONS", "Problem", "check_records", "numbers_in"]

#: Relations about effects in people: never backed by animal or cell work alone.
CLINICAL_RELATIONS = frozenset({"testedFor", "approvedFor", "hasAdverseEffect", "contraindicatedIn"})

_NUMBER = re.compile(r"(?<![\w.])([-−–]?)(\d{1,3}(?:,\d{3})+|\d+)(\.\d+)?(?![\d])")
_Add = Callable[[object, str, str, str], None]
_ID_FORMS = {
    "doi": re.compile(r"^10\.\d{4,9}/\S+$"),
    "pmid": re.compile(r"^[1-9]\d{0,8}$"),
    "pmcid": re.compile(r"^PMC\d{4,9}$"),
    "nct": re.compile(r"^NCT\d{8}$"),
    "isrctn": re.compile(r"^ISRCTN\d{8}$"),
    "eudract": re.compile(r"^\d{4}-\d{6}-\d{2}$"),
}


@dataclass(frozen=True)
class Problem:
    """One broken rule: the file, the field, what is wrong and what to do."""

    path: str
    field: str
    rule: str
    fix: str

    def __str__(self) -> str:
        where = f"{self.path}: {self.field}" if self.field else self.path
        return f"{where}: {self.rule} — {self.fix}"


def numbers_in(text: str) -> list[Decimal]:
    """Every number written in ``text``, normalised (minus forms, thousands separators)."""
    out = []
    for sign, whole, frac in _NUMBER.findall(text):
        out.append(Decimal(("-" if sign else "") + whole.replace(",", "") + (frac or "")))
    return out


def _as_numbers(value: object) -> list[Decimal]:
    if value is None or isinstance(value, bool):
        return []
    if isinstance(value, int | float):
        try:
            return [Decimal(repr(value))]
        except InvalidOperation:  # pragma: no cover - repr of a finite float is always a decimal
            return []
    return numbers_in(str(value))


def _structured_numbers(f: Finding) -> Iterator[tuple[str, Decimal]]:
    fields: list[tuple[str, object]] = [("n", f.n), ("p", f.p), ("sessions", f.sessions)]
    if f.effect is not None:
        fields.append(("effect.value", f.effect.value))
        if f.effect.ci is not None:
            fields += [("effect.ci", f.effect.ci[0]), ("effect.ci", f.effect.ci[1])]
    if f.dose is not None:
        fields.append(("dose.value", f.dose.value))
    if f.follow_up is not None:
        fields.append(("follow_up.value", f.follow_up.value))
    for g in f.groups:
        fields += [("groups.value", g.value), ("groups.n", g.n)]
        if g.ci is not None:
            fields += [("groups.ci", g.ci[0]), ("groups.ci", g.ci[1])]
    for name, value in fields:
        for number in _as_numbers(value):
            yield name, number


def _missing_numbers(f: Finding) -> list[tuple[str, Decimal]]:
    written = numbers_in(f.reported_result)
    present = set(written)
    return [(name, n) for name, n in _structured_numbers(f) if n not in present]


def check_records(records: Records, *, entities: Iterable[str] = ()) -> list[Problem]:
    """Every problem in ``records``; an empty list means the records may be built and shipped.

    Args:
        records: what :func:`~kgexplorer.curation.records.load_records` read.
        entities: the local ids of every entity the graph defines (``ketamine``, ``ptsd`` …); when given,
            claims and sources must name only these.
    """
    checker = _Checker(records, set(entities))
    for sid in sorted(records.sources):
        checker.source(records.sources[sid])
    checker.claims()
    checker.events()
    checker.legal_and_statistics()
    checker.lay_names()
    checker.unused_sources()
    return checker.problems


class _Checker:
    def __init__(self, records: Records, known: set[str]) -> None:
        self.records = records
        self.known = known
        self.problems: list[Problem] = []
        self.retracted_dois = {r.doi.lower() for r in records.retractions if r.doi}
        self.retracted_pmids = {r.pmid for r in records.retractions if r.pmid}
        self.seen_ids: dict[tuple[str, str], str] = {}
        self.backed: dict[str, list[tuple[SourceRecord, Finding]]] = defaultdict(list)

    def add(self, path: object, field: str, rule: str, fix: str) -> None:
        self.problems.append(Problem(str(path), field, rule, fix))

    def entities(self, path: object, field: str, names: Iterable[str]) -> None:
        for name in names:
            if self.known and name not in self.known:
                self.add(path, field, f"{name!r} is not an entity of the graph", "use an existing id")

    def source(self, src: SourceRecord) -> None:
        add = self.add
        _check_identifiers(src, add, self.seen_ids)
        problem = canonical_problem(src.source.canonical)
        if problem:
            add(src.path, "source.canonical", problem, "replace it with the canonical link")
        kind = host_kind(src.source.read_at)
        if kind is not None and src.source.tier == "primary":
            add(src.path, "source.tier", f"read_at is {kind}, so the record is not primary", "set tier: secondary")
        self.retraction(src)
        level = src.design.level
        if level in ("preclinical", "human-lab") and not src.design.species:
            add(src.path, "design.species", f"a {level} source must name its species", "add design.species")
        if src.review is None:
            add(src.path, "review", "no second reader has checked this record", "have it checked and add the review")
        elif src.review.checked_by == src.review.researched_by:
            add(src.path, "review.checked_by", "the checker must be another reader than the researcher", "re-check")
        self.entities(src.path, "substances/conditions/therapies", (*src.substances, *src.conditions, *src.therapies))
        for f in src.findings:
            self.backed[f.claim].append((src, f))
            for name, number in _missing_numbers(f):
                add(
                    src.path,
                    f"findings[{f.claim}].{name}",
                    f"{number} is not written in reported_result",
                    "write the figure in the reported result (digits), or correct the field",
                )
            if level == "preclinical" and f.claim.split("__")[1] in CLINICAL_RELATIONS:
                add(
                    src.path,
                    f"findings[{f.claim}]",
                    "preclinical work backs a clinical relation",
                    "use a mechanism claim",
                )

    def retraction(self, src: SourceRecord) -> None:
        doi = (src.identifiers.doi or "").lower()
        listed = doi in self.retracted_dois or (src.identifiers.pmid or "") in self.retracted_pmids
        if (src.retracted or listed) and src.findings:
            self.add(src.path, "findings", "a retracted paper is never evidence", "remove its findings")
        if listed and not src.retracted:
            self.add(src.path, "retracted", "this paper is on the retraction list", "set retracted: true")

    def claims(self) -> None:
        for cid in sorted(self.records.claims):
            claim = self.records.claims[cid]
            if cid not in self.backed:
                self.add(claim.path, "id", "no source record has a finding for this claim", "add evidence or delete it")
            self.entities(claim.path, "subject/object", (claim.subject, claim.object))
            for ref in (*claim.contested_by, *claim.cited_in):
                if ref not in self.records.sources:
                    self.add(claim.path, "contested_by/cited_in", f"{ref!r} is not a source record", "use a source id")
        for cid in sorted(set(self.backed) - set(self.records.claims)):
            src = self.backed[cid][0][0]
            self.add(src.path, f"findings[{cid}]", "names a claim with no claim record", f"add claims/{cid}.yaml")

    def unused_sources(self) -> None:
        records = self.records
        used = {s.id for s, _ in records.findings()}
        used |= {e.source for e in records.events.values()}
        used |= {x.source for x in records.legal.values()} | {a for x in records.legal.values() for a in x.also}
        used |= {x.source for x in records.statistics.values()}
        for sid in sorted(set(records.sources) - used):
            src = records.sources[sid]
            if not src.retracted:
                self.add(
                    src.path, "findings", "the source backs no claim, event, legal status or figure", "add it or delete"
                )

    def legal_and_statistics(self) -> None:
        records = self.records
        refs: list[tuple[Path, str]] = [(x.path, r) for x in records.legal.values() for r in (x.source, *x.also)]
        refs += [(x.path, x.source) for x in records.statistics.values()]
        for path, ref in refs:
            if ref not in records.sources:
                self.add(path, "source", f"{ref!r} is not a source record", "add the source record")
        for legal in records.legal.values():
            self.entities(legal.path, "substance/jurisdiction", (legal.substance, legal.jurisdiction))
            if legal.established_by and legal.established_by not in records.events:
                self.add(
                    legal.path, "established_by", f"{legal.established_by!r} is not an event record", "use an event id"
                )
        for stat in records.statistics.values():
            where = (*stat.concerns, *([stat.jurisdiction] if stat.jurisdiction else []))
            self.entities(stat.path, "concerns/jurisdiction", where)

    def lay_names(self) -> None:
        seen: set[tuple[str, str]] = set()
        for i, lay in enumerate(self.records.lay_names, start=1):
            where = f"lay-names.yaml item {i} ({lay.name!r})"
            self.entities(where, "entity", (lay.entity,))
            problem = canonical_problem(lay.source)
            if problem:
                self.add(where, "source", problem, "cite the agency's own page")
            if not lay.checked_by:
                self.add(where, "checked_by", "no second reader has checked this name", "have it checked")
            key = (lay.entity, lay.name.casefold())
            if key in seen:
                self.add(where, "name", "this name is listed twice for the entity", "keep one entry")
            seen.add(key)

    def events(self) -> None:
        for eid in sorted(self.records.events):
            event = self.records.events[eid]
            if event.source not in self.records.sources:
                self.add(event.path, "source", f"{event.source!r} is not a source record", "add the source record")
            where = (*event.concerns, *([event.jurisdiction] if event.jurisdiction else []))
            self.entities(event.path, "concerns/jurisdiction", where)


def _check_identifiers(src: SourceRecord, add: _Add, seen: dict[tuple[str, str], str]) -> None:
    ids = src.identifiers
    values: list[tuple[str, str | None]] = [
        ("doi", ids.doi),
        ("pmid", ids.pmid),
        ("pmcid", ids.pmcid),
    ]
    values += [("nct", n) for n in ids.nct]
    values += [("isrctn", n) for n in ids.isrctn]
    values += [("eudract", n) for n in ids.eudract]
    for name, value in values:
        if value is None:
            continue
        if not _ID_FORMS[name].match(value):
            add(
                src.path,
                f"identifiers.{name}",
                f"{value!r} is not a well-formed {name}",
                "copy it from the source page",
            )
            continue
        key = (name, value.lower())
        # A registry id may be shared by a trial's registration and its paper; a DOI, PMID or PMCID may not.
        if name not in ("nct", "isrctn", "eudract") and key in seen and seen[key] != src.id:
            add(
                src.path,
                f"identifiers.{name}",
                f"{value} is also the {name} of {seen[key]}",
                "keep one record per paper",
            )
        seen.setdefault(key, src.id)
    if src.design.level not in DESIGN_LEVELS:  # pragma: no cover - the loader refuses other levels
        add(src.path, "design.level", "unknown level", "use the rubric")
