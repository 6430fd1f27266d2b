"""A timeline: the graph's dated, sourced events about one or more substances, in order.

Only events with a date (``kgx:date``) and a source (``dcterms:source``) are placed: a timeline shows
what the graph can back, and an event without its source never appears. Each event says which of the
asked substances it concerns, so a comparison timeline (ketamine and esketamine) keeps them apart.

>>> from kgexplorer import KnowledgeGraph
>>> with KnowledgeGraph.bundled() as kg:
...     t = timeline(kg, ["ketamine", "esketamine"], max_events=kg.settings.timeline_events)
>>> t.events[0].year, t.events[0].label
(1962, 'Ketamine first synthesised by Calvin Stevens at Parke-Davis')
>>> any(e.kind == "Regulatory event" and e.year == 2019 for e in t.events)
True
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from kgexplorer.errors import QueryError
from kgexplorer.namespaces import KGX
from kgexplorer.terms import IRI

from .reader import Reader

__all__ = ["Timeline", "TimelineEvent", "timeline"]

#: Event classes and the word a reader sees for each (the subclasses of kgx:Event in the ontology).
EVENT_KINDS: dict[str, str] = {
    KGX + "RegulatoryEvent": "Regulatory event",
    KGX + "PublicationEvent": "Study published",
    KGX + "HistoricalEvent": "History",
}

_YEAR = re.compile(r"^(\d{4})")

_EVENTS = """
SELECT ?e ?date ?label ?type ?source ?about WHERE {
  ?e kgx:concerns ?about ; kgx:date ?date ; rdfs:label ?label ; dcterms:source ?source ; a ?type .
  ?type rdfs:subClassOf* kgx:Event .
} ORDER BY ?date ?e
"""


@dataclass(frozen=True)
class TimelineEvent:
    """One dated event: its date as recorded (a year, a month or a day), the year, its kind and source."""

    iri: str
    date: str
    year: int
    label: str
    kind: str
    source: str
    substances: tuple[str, ...]  # labels of the asked substances it concerns


@dataclass(frozen=True)
class Timeline:
    """Events in date order. ``truncated`` is True when the setting ``timeline_events`` cut the list."""

    substances: tuple[str, ...]  # labels, in the order asked
    substance_iris: tuple[str, ...]
    events: tuple[TimelineEvent, ...]
    truncated: bool = False

    @property
    def summary(self) -> str:
        """One sentence describing the timeline."""
        if not self.events:
            return f"The graph has no dated, sourced events about {' and '.join(self.substances)}."
        span = f"{self.events[0].year}–{self.events[-1].year}"
        cut = " (cut by the setting timeline_events)" if self.truncated else ""
        return f"{len(self.events)} dated, sourced events about {' and '.join(self.substances)}, {span}{cut}."


def timeline(kg: Reader, names: Sequence[str], *, max_events: int) -> Timeline:
    """The dated, sourced events about one to four substances (ids, labels or synonyms), oldest first.

    ``max_events`` is the setting ``timeline_events`` (or lower): the events after it are cut, and the
    timeline says so.
    """
    if not 1 <= len(names) <= 4:
        raise QueryError(f"a timeline shows one to four substances, got {len(names)}; pick fewer or more")
    iris = [kg.resolve(n) for n in names]
    labels = {i: kg.label(i) for i in iris}
    limit = max(max_events, 1)
    rows = kg.select(_EVENTS, values={"about": [IRI(i) for i in iris]})
    merged: dict[str, TimelineEvent] = {}
    for row in rows:
        e, date, label, kind, source, about = (str(row[v]) for v in rows.variables)
        match = _YEAR.match(date)
        if kind not in EVENT_KINDS or match is None:
            continue  # an event typed only as kgx:Event, or a date without a year, has no place here
        seen = merged.get(e)
        names_now = (*seen.substances, labels[about]) if seen else (labels[about],)
        merged[e] = TimelineEvent(
            iri=e,
            date=date,
            year=int(match.group(1)),
            label=label,
            kind=EVENT_KINDS[kind],
            source=min(source, seen.source) if seen else source,
            substances=tuple(dict.fromkeys(sorted(names_now, key=[labels[i] for i in iris].index))),
        )
    events = sorted(merged.values(), key=lambda ev: (ev.date, ev.iri))
    return Timeline(
        substances=tuple(labels[i] for i in iris),
        substance_iris=tuple(iris),
        events=tuple(events[:limit]),
        truncated=len(events) > limit,
    )
