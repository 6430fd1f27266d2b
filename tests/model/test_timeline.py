"""Timelines: only dated, sourced events, in date order, per substance, cut by the setting."""

from __future__ import annotations

import re

import pytest

from kgexplorer import KnowledgeGraph
from kgexplorer.errors import QueryError
from kgexplorer.model.timeline import timeline
from kgexplorer.views.timeline_svg import timeline_svg


def test_ketamine_history_runs_from_synthesis_to_esketamine(kg: KnowledgeGraph) -> None:
    t = timeline(kg, ["ketamine", "esketamine"], max_events=kg.settings.timeline_events)
    dates = [e.date for e in t.events]
    every = kg.select(
        "SELECT (COUNT(DISTINCT ?e) AS ?n) WHERE { ?e kgx:concerns ?s ; kgx:date ?d ; dcterms:source ?src ; a ?c . "
        "?c rdfs:subClassOf* kgx:Event . VALUES ?s { kg:ketamine kg:esketamine } }"
    )

    assert dates == sorted(dates)
    assert len(t.events) == int(str(every.rows[0][0]))
    assert t.events[0].year == 1962
    assert t.events[0].substances == ("Ketamine",)
    approval = next(e for e in t.events if e.iri.endswith("re_esketamine_fda_2019"))
    assert approval.substances == ("Esketamine",)
    assert approval.kind == "Regulatory event"
    assert all(e.source.startswith("http") for e in t.events)


def test_the_setting_cuts_and_says_so(kg: KnowledgeGraph) -> None:
    t = timeline(kg, ["ketamine"], max_events=3)

    assert len(t.events) == 3
    assert t.truncated
    assert "cut by the setting timeline_events" in t.summary
    with pytest.raises(QueryError, match="one to four substances"):
        timeline(kg, [], max_events=3)


def test_svg_shows_every_event_and_loads_nothing(kg: KnowledgeGraph) -> None:
    t = timeline(kg, ["ketamine", "esketamine"], max_events=kg.settings.timeline_events)
    svg = timeline_svg(t)
    text = re.sub(r"<[^>]+>", "\n", svg)

    assert all(str(e.year) in text for e in t.events)
    assert all(e.label.split()[0] in text for e in t.events)
    assert not re.search(r"(href|src)=", svg)  # no link, image or font to fetch
    assert svg.count('<g class="kg-event">') == len(t.events)
