"""The Evidence page's filters, rows and summaries, and the evidence map, without Streamlit."""

from __future__ import annotations

import pytest

from kgexplorer import KnowledgeGraph
from kgexplorer.model.claims import ClaimRow, claim_table
from kgexplorer.model.evidence_map import MapCell, evidence_map
from kgexplorer.model.evidence_table import EvidenceFilter, evidence_table

KG = "https://w3id.org/kgexplorer/id/"


@pytest.fixture(scope="module")
def rows(kg: KnowledgeGraph) -> tuple[ClaimRow, ...]:
    return claim_table(kg)


def test_a_filter_round_trips_through_the_address() -> None:
    params = {"sub": "ketamine,mdma", "cond": "ptsd", "lvl": "RCT,MetaAnalysis", "dir": "null", "sp": "Human"}
    chosen = EvidenceFilter.from_params({**params, "years": "2000-2024"})

    assert chosen.subjects == (KG + "ketamine", KG + "mdma")
    assert chosen.years == (2000, 2024)
    assert {k: v for k, v in chosen.to_params().items() if v} == {**params, "years": "2000-2024"}


def test_what_a_link_cannot_mean_is_dropped() -> None:
    chosen = EvidenceFilter.from_params({"lvl": "Anecdote,RCT", "dir": "great", "years": "2024-2000"})

    assert chosen.levels == ("RCT",)
    assert chosen.directions == ()
    assert chosen.years is None


def test_filters_keep_only_matching_claims_and_the_summaries_follow(rows: tuple[ClaimRow, ...]) -> None:
    everything = evidence_table(rows, EvidenceFilter())
    table = evidence_table(rows, EvidenceFilter(levels=("RCT",), directions=("null",)))

    assert everything.total == len(everything.rows) == len(rows)
    assert 0 < len(table.rows) < len(rows)
    assert {(r.level, r.direction) for r in table.rows} == {("Randomised controlled trial", "null")}
    assert sum(sum(c.values()) for c in table.per_year.values()) <= len(table.rows)
    assert set(table.per_year) < set(everything.per_year)
    assert all(m.direction == "null" for m in table.matrix.values())
    assert all(set(r) - {"substance or therapy"} for r in table.matrix_rows())


def test_the_map_cells_follow_the_rules(kg: KnowledgeGraph) -> None:
    """Best level; the direction of the studies at that level ("mixed" where they disagree); empty cells absent."""
    emap = evidence_map(kg)
    aud = emap.cell(KG + "ketamine", KG + "alcohol_use_disorder")
    lsd = emap.cell(KG + "lsd", KG + "alcohol_use_disorder")

    assert aud is not None
    assert (aud.level, aud.direction) == ("Randomised controlled trial", "mixed")
    assert KG + "claim_ketamine__testedFor__alcohol_use_disorder" in aud.claims
    assert lsd is not None
    assert lsd.level == "Meta-analysis of RCTs"
    assert not any(c.preclinical_only for c in emap.cells.values() if c.level_rank != 9)
    rows = emap.table()
    assert len(rows) == len(emap.substances)
    assert {"substance", "Alcohol use disorder"} <= set(rows[0])


def test_a_preclinical_only_cell_says_so() -> None:
    cell = MapCell("Preclinical (animal or cell) study", 9, "supports", preclinical_only=True, claims=("c",))

    assert cell.text == "Preclinical only (animal or cell studies) · supports"
    assert MapCell("Review", 7, "", preclinical_only=False, claims=()).text == "Review"
