"""Reading the record files strictly: an unknown key, a missing required field or a value of the wrong kind is a
:class:`~kgexplorer.errors.RecordError` naming the file, the field and the fix, so a typo never disappears.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

from kgexplorer.errors import RecordError

from .fields import Fields, read_yaml
from .records import (
    DESIGN_LEVELS,
    DIRECTIONS,
    EVENT_KINDS,
    LAY_NAME_SENSES,
    RELATIONS,
    SOURCE_KINDS,
    SPECIES,
    ClaimRecord,
    Design,
    Dose,
    Effect,
    EventRecord,
    Finding,
    FollowUp,
    GroupResult,
    Identifiers,
    LayName,
    LegalStatusRecord,
    Number,
    Provenance,
    Records,
    Retraction,
    Review,
    SourceRecord,
    StatisticRecord,
)

__all__ = ["load_records"]

_TIERS = ("primary", "secondary")
_VERDICTS = ("confirmed", "corrected")
_ID = re.compile(r"^[a-z0-9][a-z0-9_]*$")
_CLAIM_ID = re.compile(r"^[a-z0-9_]+__[A-Za-z]+__[a-z0-9_]+(?:__[a-z0-9_]+)?$")
_DATE = re.compile(r"^\d{4}(?:-\d{2}(?:-\d{2})?)?$")
T = TypeVar("T")


def load_records(folder: Path) -> Records:
    """Read every record under ``folder`` (``sources/``, ``claims/``, ``events/``, ``retractions.yaml``).

    Raises:
        RecordError: a file does not parse or does not follow the format; the message names the file,
            the field and what to write instead.

    >>> from pathlib import Path
    >>> recs = load_records(Path("graph/records"))
    >>> all(c.id == c.path.stem for c in recs.claims.values())
    True
    """
    return Records(
        sources={r.id: r for r in _each(folder / "sources", _source)},
        claims={r.id: r for r in _each(folder / "claims", _claim)},
        events={r.id: r for r in _each(folder / "events", _event)},
        legal={r.id: r for r in _each(folder / "legal", _legal)},
        statistics={r.id: r for r in _each(folder / "statistics", _statistic)},
        lay_names=tuple(_listed(folder / "lay-names.yaml", _lay_name)),
        retractions=tuple(_listed(folder / "retractions.yaml", _retraction)),
    )


def _listed(path: Path, make: Callable[[Fields], T]) -> Iterator[T]:
    if not path.exists():
        return
    data = read_yaml(path) or []
    if not isinstance(data, list):
        raise RecordError(f"{path}: the file must be a list of entries (- key: value, …)")
    for i, item in enumerate(data):
        fields = Fields(path, f"item {i + 1}", item)
        made = make(fields)
        fields.done()
        yield made


def _each(folder: Path, make: Callable[[Path, Fields], T]) -> Iterator[T]:
    if not folder.is_dir():
        return
    for path in sorted(folder.glob("*.yaml")):
        data = read_yaml(path)
        if not isinstance(data, dict):
            raise RecordError(
                f"{path}: a record is a mapping of fields (id: …, …); this file holds {type(data).__name__}"
            )
        rec = Fields(path, "", data)
        made = make(path, rec)
        rec.done()
        if getattr(made, "id", None) != path.stem:
            raise RecordError(
                f"{path}: the id {getattr(made, 'id', None)!r} differs from the file name; name the file "
                f"{getattr(made, 'id', None)}.yaml or change the id to {path.stem!r}"
            )
        yield made


def _ident(f: Fields, key: str = "id") -> str:
    value = f.text(key)
    if not _ID.match(value):
        raise f.fail(key, f"{value!r} must be lowercase letters, digits and underscores")
    return value


def _source(path: Path, f: Fields) -> SourceRecord:
    sid = _ident(f)
    kind = f.choice("kind", SOURCE_KINDS)
    ids = Identifiers()
    idf = f.sub("identifiers")
    if idf is not None:
        ids = Identifiers(
            doi=idf.opt_text("doi"),
            pmid=idf.opt_text("pmid"),
            pmcid=idf.opt_text("pmcid"),
            nct=idf.texts("nct"),
            isrctn=idf.texts("isrctn"),
            eudract=idf.texts("eudract"),
            euctr=idf.texts("euctr"),
            anzctr=idf.texts("anzctr"),
            chictr=idf.texts("chictr"),
            drks=idf.texts("drks"),
            nda=idf.opt_text("nda"),
            dailymed_setid=idf.opt_text("dailymed_setid"),
        )
        idf.done()
    df = f.sub("design")
    if df is None:
        raise f.fail("design", "is required (level, text, and species for preclinical work)")
    design = Design(
        level=df.choice("level", DESIGN_LEVELS),
        text=df.text("text"),
        phase=df.opt_text("phase"),
        species=_species(df),
        sample_size=df.opt_int("sample_size"),
        sponsor=df.opt_text("sponsor"),
        comparator=df.opt_text("comparator"),
    )
    df.done()
    pf = f.sub("source")
    if pf is None:
        raise f.fail("source", "is required (canonical, read_at, read_on, section, tier)")
    seen = pf.texts("seen_in")
    prov = Provenance(
        canonical=pf.text("canonical"),
        read_at=pf.text("read_at"),
        read_on=pf.text("read_on"),
        section=pf.text("section"),
        tier=pf.choice("tier", _TIERS),
        # An address may carry a note after it ("https://… (label brief summary)"): the address is the first word.
        # An item that is not an address is a note on how the source was read.
        seen_in=tuple(item.split()[0] for item in seen if item.startswith(("http://", "https://"))),
        reading_notes=tuple(item for item in seen if not item.startswith(("http://", "https://"))),
    )
    pf.done()
    findings = tuple(_finding(ff) for ff in f.items("findings"))
    review = None
    rf = f.sub("review")
    if rf is not None:
        review = Review(
            researched_by=rf.text("researched_by"),
            checked_by=rf.text("checked_by"),
            checked_on=rf.text("checked_on"),
            verdict=rf.choice("verdict", _VERDICTS),
            checked_at=rf.opt_text("checked_at"),
            notes=rf.opt_text("notes"),
        )
        rf.done()
    return SourceRecord(
        id=sid,
        path=path,
        kind=kind,
        label=f.text("label"),
        design=design,
        source=prov,
        findings=findings,
        review=review,
        title=f.opt_text("title"),
        first_author=f.opt_text("first_author"),
        year=f.opt_int("year"),
        journal=f.opt_text("journal"),
        volume=f.opt_text("volume"),
        issue=f.opt_text("issue"),
        pages=f.opt_text("pages"),
        identifiers=ids,
        population=f.opt_text("population"),
        substances=f.texts("substances"),
        conditions=f.texts("conditions"),
        therapies=f.texts("therapies"),
        retracted=f.flag("retracted"),
        follow_up_of=f.opt_text("follow_up_of"),
        replaces=f.texts("replaces"),
    )


def _finding(f: Fields) -> Finding:
    effect = None
    ef = f.sub("effect")
    if ef is not None:
        interval = _interval(ef)
        value = ef.opt_number("value")
        if value is None:
            raise ef.fail("value", "is required in an effect (or leave the whole effect out)")
        effect = Effect(
            measure=ef.text("measure"),
            value=value,
            unit=ef.opt_text("unit"),
            ci=interval,
            ci_level=ef.opt_number("ci_level"),
        )
        ef.done()
    dose = None
    dfs = f.sub("dose")
    if dfs is not None:
        raw = dfs.raw("value")
        if raw is None or isinstance(raw, bool) or not isinstance(raw, int | float | str):
            raise dfs.fail("value", f"must be a number or a range such as '56-84', not {raw!r}")
        dose = Dose(value=raw, unit=dfs.text("unit"), route=dfs.opt_text("route"), note=dfs.opt_text("note"))
        dfs.done()
    follow = None
    ff = f.sub("follow_up")
    if ff is not None:
        value = ff.opt_number("value")
        if value is None:
            raise ff.fail("value", "is required in a follow-up")
        follow = FollowUp(
            value=value, unit=ff.choice("unit", ("hours", "days", "weeks", "months", "years")), note=ff.opt_text("note")
        )
        ff.done()
    groups = []
    for gf in f.items("groups"):
        groups.append(
            GroupResult(
                group=gf.text("group"),
                value=gf.opt_number("value"),
                unit=gf.opt_text("unit"),
                n=gf.opt_int("n"),
                ci=_interval(gf),
                note=gf.opt_text("note"),
            )
        )
        gf.done()
    p = f.raw("p")
    if p is not None and (isinstance(p, bool) or not isinstance(p, int | float | str)):
        raise f.fail("p", f"must be a number or text such as '<0.001', not {p!r}")
    claim = f.text("claim")
    if not _CLAIM_ID.match(claim):
        raise f.fail("claim", f"{claim!r} is not a claim id (<subject>__<relation>__<object>[__<population>])")
    found = Finding(
        claim=claim,
        direction=f.choice("direction", DIRECTIONS),
        section=f.text("section"),
        reported_result=" ".join(f.text("reported_result").split()),
        outcome=f.opt_text("outcome"),
        comparator=f.opt_text("comparator"),
        effect=effect,
        p=p,
        n=f.opt_int("n"),
        dose=dose,
        sessions=f.opt_int("sessions"),
        follow_up=follow,
        groups=tuple(groups),
        note=f.opt_text("note"),
    )
    f.done()
    return found


def _species(f: Fields) -> tuple[str, ...]:
    names = f.texts("species")
    for name in names:
        if name not in SPECIES:
            raise f.fail("species", f"{name!r} is not one of {', '.join(SPECIES)} (a list when there are several)")
    return names


def _interval(f: Fields) -> tuple[Number, Number] | None:
    ci = f.raw("ci")
    if ci is None:
        return None
    if (
        not isinstance(ci, list)
        or len(ci) != 2
        or not all(isinstance(v, int | float) and not isinstance(v, bool) for v in ci)
    ):
        raise f.fail("ci", f"must be [lower, upper] as two numbers, not {ci!r}")
    return (ci[0], ci[1])


def _claim(path: Path, f: Fields) -> ClaimRecord:
    cid = f.text("id")
    if not _CLAIM_ID.match(cid):
        raise f.fail("id", f"{cid!r} must read <subject>__<relation>__<object>[__<population>]")
    rec = ClaimRecord(
        id=cid,
        path=path,
        subject=f.text("subject"),
        relation=f.choice("relation", RELATIONS),
        object=f.text("object"),
        explanation=" ".join(f.text("explanation").split()),
        population=f.opt_text("population"),
        statement=f.opt_text("statement"),
        contested=f.flag("contested"),
        contested_by=f.texts("contested_by"),
        cited_in=f.texts("cited_in"),
        replaces=f.texts("replaces"),
        note=f.opt_text("note"),
    )
    expected = f"{rec.subject}__{rec.relation}__{rec.object}"
    if not (cid == expected or cid.startswith(expected + "__")):
        raise f.fail("id", f"{cid!r} must start with subject__relation__object ({expected!r})")
    return rec


def _event(path: Path, f: Fields) -> EventRecord:
    date = f.text("date")
    if not _DATE.match(date):
        raise f.fail("date", f"{date!r} must be YYYY, YYYY-MM or YYYY-MM-DD (quoted)")
    return EventRecord(
        id=_ident(f),
        path=path,
        kind=f.choice("kind", EVENT_KINDS),
        date=date,
        label=f.text("label"),
        description=" ".join(f.text("description").split()),
        source=f.text("source"),
        concerns=f.texts("concerns"),
        jurisdiction=f.opt_text("jurisdiction"),
        replaces=f.texts("replaces"),
    )


def _legal(path: Path, f: Fields) -> LegalStatusRecord:
    return LegalStatusRecord(
        id=_ident(f),
        path=path,
        substance=f.text("substance"),
        jurisdiction=f.text("jurisdiction"),
        control_status=f.text("control_status"),
        source=f.text("source"),
        established_by=f.opt_text("established_by"),
        also=f.texts("also"),
        note=f.opt_text("note"),
        replaces=f.texts("replaces"),
    )


def _statistic(path: Path, f: Fields) -> StatisticRecord:
    return StatisticRecord(
        id=_ident(f),
        path=path,
        label=f.text("label"),
        value=" ".join(f.text("value").split()),
        period=f.text("period"),
        source=f.text("source"),
        concerns=f.texts("concerns"),
        jurisdiction=f.opt_text("jurisdiction"),
        note=f.opt_text("note"),
        replaces=f.texts("replaces"),
    )


def _lay_name(f: Fields) -> LayName:
    return LayName(
        entity=f.text("entity"),
        name=f.text("name"),
        source=f.text("source"),
        read_at=f.text("read_at"),
        checked_by=f.opt_text("checked_by"),
        verdict=f.opt_text("verdict"),
        note=f.opt_text("note"),
        notes=f.opt_text("notes"),
        sense=None if f.raw("sense") is None else f.choice("sense", LAY_NAME_SENSES),
    )


def _retraction(f: Fields) -> Retraction:
    return Retraction(
        title=f.text("title"),
        notice=f.opt_text("notice"),
        doi=f.opt_text("doi"),
        pmid=f.opt_text("pmid"),
        pmcid=f.opt_text("pmcid"),
        journal=f.opt_text("journal"),
        year=f.opt_int("year"),
        notice_seen_as=f.opt_text("notice_seen_as"),
        read_at=f.opt_text("read_at"),
        read_on=f.opt_text("read_on"),
    )
