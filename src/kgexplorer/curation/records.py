"""Evidence records: the human-edited YAML files under ``graph/records/`` that the shipped Turtle is built from.

One file per source document (``sources/<id>.yaml``: a paper, a registry record, a drug label, a regulator's
decision), one per claim (``claims/<id>.yaml``: a subject, relation, object and population) and one per dated
event (``events/<id>.yaml``). The format is documented in ``docs/decisions/evidence-records.md``; this
module holds the record types, and :mod:`kgexplorer.curation.reader` reads the files strictly.

>>> from kgexplorer.curation.records import DIRECTIONS, RELATIONS
>>> "unclear" in DIRECTIONS and "hasAdverseEffect" in RELATIONS
True
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

__all__ = [
    "DESIGN_LEVELS",
    "DIRECTIONS",
    "EVENT_KINDS",
    "LAY_NAME_SENSES",
    "RELATIONS",
    "SOURCE_KINDS",
    "SPECIES",
    "ClaimRecord",
    "Design",
    "Dose",
    "Effect",
    "EventRecord",
    "Finding",
    "FollowUp",
    "GroupResult",
    "Identifiers",
    "LayName",
    "LegalStatusRecord",
    "Provenance",
    "Records",
    "Retraction",
    "Review",
    "SourceRecord",
    "StatisticRecord",
]

#: Source kinds and the graph class each becomes.
SOURCE_KINDS: dict[str, str] = {
    "article": "Study",
    "trial-registration": "Study",
    "meta-analysis": "Study",
    "review": "Study",
    "label": "DrugLabel",
    "regulatory-document": "RegulatoryDocument",
    "guideline": "Guideline",
}
#: Design levels of the rubric (graph/README.md) by the record's short name.
DESIGN_LEVELS: dict[str, str] = {
    "meta-analysis": "MetaAnalysis",
    "rct": "RCT",
    "controlled": "ControlledTrial",
    "open-label": "OpenLabel",
    "observational": "Observational",
    "case-series": "CaseSeries",
    "review": "Review",
    "human-lab": "HumanExperimental",
    "preclinical": "Preclinical",
    "reference": "Reference",
}
#: Result directions a finding may report; there is no default (a hedged source says ``unclear``).
DIRECTIONS: tuple[str, ...] = ("supports", "null", "mixed", "against", "unclear")
#: The relations a claim may state (kgx: direct-edge properties).
RELATIONS: tuple[str, ...] = (
    "testedFor",
    "approvedFor",
    "hasAdverseEffect",
    "interactsWith",
    "contraindicatedIn",
    "hasRisk",
    "actsOn",
    "leadsTo",
    "dependsOn",
    "mediatedBy",
    "affectsOutcome",
    "producesEffect",
    "deliveredThrough",
    "limitedBy",
    "enantiomerOf",
    "prodrugOf",
    "metabolisedTo",
    "activeIn",
    "associatedWith",
    "comparedWith",
)
#: Species a source's work was done in, and the graph individual each becomes.
SPECIES: dict[str, str] = {
    "human": "Human",
    "rat": "Rat",
    "mouse": "Mouse",
    "non-human-primate": "NonHumanPrimate",
    "animals": "Animal",
    "in-vitro": "InVitro",
}
EVENT_KINDS: dict[str, str] = {
    "regulatory": "RegulatoryEvent",
    "historical": "HistoricalEvent",
    "publication": "PublicationEvent",
}
Number = int | float


@dataclass(frozen=True)
class Identifiers:
    """Bibliographic and registry identifiers, exactly as the source page shows them."""

    doi: str | None = None
    pmid: str | None = None
    pmcid: str | None = None
    nct: tuple[str, ...] = ()
    isrctn: tuple[str, ...] = ()
    eudract: tuple[str, ...] = ()
    euctr: tuple[str, ...] = ()
    anzctr: tuple[str, ...] = ()
    chictr: tuple[str, ...] = ()
    drks: tuple[str, ...] = ()
    nda: str | None = None
    dailymed_setid: str | None = None


@dataclass(frozen=True)
class Design:
    """How the source's study was done, on the evidence rubric."""

    level: str
    text: str
    phase: str | None = None
    species: tuple[str, ...] = ()
    sample_size: int | None = None
    sponsor: str | None = None
    comparator: str | None = None


@dataclass(frozen=True)
class Provenance:
    """Where the evidence is (``canonical``) and where it was actually read."""

    canonical: str
    read_at: str
    read_on: str
    section: str
    tier: str
    seen_in: tuple[str, ...] = ()
    #: The curators' notes on how the source was read; kept in the YAML, never built into the shipped Turtle.
    reading_notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Effect:
    """An effect estimate with its interval."""

    measure: str
    value: Number
    unit: str | None = None
    ci: tuple[Number, Number] | None = None
    ci_level: Number | None = None


@dataclass(frozen=True)
class Dose:
    """A dose as the source gives it (``value`` may be a range such as ``"56-84"``)."""

    value: Number | str
    unit: str
    route: str | None = None
    note: str | None = None


@dataclass(frozen=True)
class FollowUp:
    """How long after treatment the outcome was measured."""

    value: Number
    unit: str
    note: str | None = None


@dataclass(frozen=True)
class GroupResult:
    """One arm's figure, for example an adverse event's frequency with the drug or with placebo."""

    group: str
    value: Number | None
    unit: str | None = None
    n: int | None = None
    ci: tuple[Number, Number] | None = None
    note: str | None = None


@dataclass(frozen=True)
class Finding:
    """What one source reports about one claim, in our words with the source's exact figures."""

    claim: str
    direction: str
    section: str
    reported_result: str
    outcome: str | None = None
    comparator: str | None = None
    effect: Effect | None = None
    p: Number | str | None = None
    n: int | None = None
    dose: Dose | None = None
    sessions: int | None = None
    follow_up: FollowUp | None = None
    groups: tuple[GroupResult, ...] = ()
    note: str | None = None


@dataclass(frozen=True)
class Review:
    """The second reader's check of a record against its source."""

    researched_by: str
    checked_by: str
    checked_on: str
    verdict: str
    checked_at: str | None = None
    notes: str | None = None


@dataclass(frozen=True)
class SourceRecord:
    """One source document and its findings (``sources/<id>.yaml``)."""

    id: str
    path: Path
    kind: str
    label: str
    design: Design
    source: Provenance
    findings: tuple[Finding, ...]
    review: Review | None
    title: str | None = None
    first_author: str | None = None
    year: int | None = None
    journal: str | None = None
    volume: str | None = None
    issue: str | None = None
    pages: str | None = None
    identifiers: Identifiers = field(default_factory=Identifiers)
    population: str | None = None
    substances: tuple[str, ...] = ()
    conditions: tuple[str, ...] = ()
    therapies: tuple[str, ...] = ()
    retracted: bool = False
    follow_up_of: str | None = None
    replaces: tuple[str, ...] = ()


@dataclass(frozen=True)
class ClaimRecord:
    """One (subject, relation, object, population) statement (``claims/<id>.yaml``)."""

    id: str
    path: Path
    subject: str
    relation: str
    object: str
    explanation: str
    population: str | None = None
    statement: str | None = None
    contested: bool = False
    contested_by: tuple[str, ...] = ()
    cited_in: tuple[str, ...] = ()
    replaces: tuple[str, ...] = ()
    note: str | None = None


@dataclass(frozen=True)
class EventRecord:
    """A dated event for the timeline (``events/<id>.yaml``), resting on one source record."""

    id: str
    path: Path
    kind: str
    date: str
    label: str
    description: str
    source: str
    concerns: tuple[str, ...] = ()
    jurisdiction: str | None = None
    replaces: tuple[str, ...] = ()


@dataclass(frozen=True)
class LegalStatusRecord:
    """How one substance is controlled in one jurisdiction (``legal/<id>.yaml``), in the law's own terms."""

    id: str
    path: Path
    substance: str
    jurisdiction: str
    control_status: str
    source: str
    established_by: str | None = None
    also: tuple[str, ...] = ()
    note: str | None = None
    replaces: tuple[str, ...] = ()


@dataclass(frozen=True)
class StatisticRecord:
    """A real-world figure (``statistics/<id>.yaml``): use or harm in a population, from a release or paper."""

    id: str
    path: Path
    label: str
    value: str
    period: str
    source: str
    concerns: tuple[str, ...] = ()
    jurisdiction: str | None = None
    note: str | None = None
    replaces: tuple[str, ...] = ()


@dataclass(frozen=True)
class LayName:
    """A street or lay name of an entity, from a public-health or drug-information agency (``lay-names.yaml``)."""

    entity: str
    name: str
    source: str
    read_at: str
    checked_by: str | None = None
    verdict: str | None = None
    note: str | None = None
    notes: str | None = None
    #: What the name means, when it is not simply another name of the entity: ``"genus"`` (a group of living
    #: species that contain the entity, e.g. Psilocybe for psilocybin). Search then says so instead of showing
    #: it as a synonym (docs/decisions/evidence-records.md).
    sense: str | None = None


#: The senses a lay name may carry (``LayName.sense``).
LAY_NAME_SENSES: tuple[str, ...] = ("genus",)


@dataclass(frozen=True)
class Retraction:
    """A retracted paper met during research, with its notice (``retractions.yaml``): never evidence."""

    title: str
    notice: str | None
    doi: str | None = None
    pmid: str | None = None
    pmcid: str | None = None
    journal: str | None = None
    year: int | None = None
    notice_seen_as: str | None = None
    read_at: str | None = None
    read_on: str | None = None


@dataclass(frozen=True)
class Records:
    """Every record of a records folder, by id."""

    sources: Mapping[str, SourceRecord]
    claims: Mapping[str, ClaimRecord]
    events: Mapping[str, EventRecord]
    legal: Mapping[str, LegalStatusRecord] = field(default_factory=dict)
    statistics: Mapping[str, StatisticRecord] = field(default_factory=dict)
    lay_names: tuple[LayName, ...] = ()
    retractions: tuple[Retraction, ...] = ()

    def findings(self) -> Iterator[tuple[SourceRecord, Finding]]:
        """Every finding with its source, in a stable order (source id, then file order)."""
        for sid in sorted(self.sources):
            src = self.sources[sid]
            for f in src.findings:
                yield src, f

    def evidence(self, claim_id: str) -> list[tuple[SourceRecord, Finding]]:
        """The findings that bear on one claim."""
        return [(s, f) for s, f in self.findings() if f.claim == claim_id]
