"""The machine checks: figures agree with the prose, identifiers are sound, evidence is canonical and checked."""

from __future__ import annotations

import copy
from decimal import Decimal
from pathlib import Path
from typing import Any

from kgexplorer.curation.checks import check_records, numbers_in
from kgexplorer.curation.reader import load_records

from .records_factory import CLAIM, SOURCE, write_records

ENTITIES = {"ketamine", "alcohol_use_disorder", "ptsd"}


def _problems(tmp_path: Path, **kwargs: Any) -> list[str]:
    return [str(p) for p in check_records(load_records(write_records(tmp_path, **kwargs)), entities=ENTITIES)]


def _source(**changes: Any) -> dict[str, Any]:
    src = copy.deepcopy(SOURCE)
    src.update(changes)
    return src


def test_the_valid_example_has_no_problem(tmp_path: Path) -> None:
    assert _problems(tmp_path) == []


def test_numbers_are_normalised() -> None:
    assert numbers_in("−4.0 and –3 and -2; 1,614 people; 56–84 mg; p<0.001") == [
        Decimal("-4.0"),
        Decimal("-3"),
        Decimal("-2"),
        Decimal("1614"),
        Decimal("56"),
        Decimal("84"),
        Decimal("0.001"),
    ]
    assert numbers_in("NCT01234567 and 95%") == [Decimal("95")], "digits inside a word are not figures"


def test_a_field_figure_missing_from_the_prose_is_reported(tmp_path: Path) -> None:
    src = _source()
    src["findings"][0]["n"] = 97
    (problem,) = _problems(tmp_path, sources=[src])
    assert "n: 97 is not written in reported_result" in problem


def test_trailing_zeros_and_thousands_separators_do_not_matter(tmp_path: Path) -> None:
    src = _source()
    f = src["findings"][0]
    f["reported_result"] = f["reported_result"].replace("19.0", "19") + " 1,614 were screened."
    f["groups"] = [{"group": "screened", "value": 1614}]
    assert _problems(tmp_path, sources=[src]) == []


def test_a_negative_figure_needs_its_minus(tmp_path: Path) -> None:
    src = _source()
    f = src["findings"][0]
    f["effect"]["value"] = -10.1
    assert any("effect.value: -10.1" in p for p in _problems(tmp_path, sources=[src]))
    f["reported_result"] = f["reported_result"].replace("10.1", "−10.1")
    assert _problems(tmp_path / "again", sources=[src]) == []


def test_a_range_dose_is_found_in_a_dashed_range(tmp_path: Path) -> None:
    src = _source()
    f = src["findings"][0]
    f["dose"] = {"value": "56-84", "unit": "mg"}
    f["reported_result"] += " Doses were 56–84 mg."
    assert _problems(tmp_path, sources=[src]) == []


def test_malformed_and_duplicate_identifiers(tmp_path: Path) -> None:
    bad = _source(identifiers={"doi": "doi:10.1000/x", "pmid": "0123", "nct": ["NCT123"]})
    twin = _source(id="smith_2020_copy")
    problems = _problems(tmp_path, sources=[bad])
    assert sum("is not a well-formed" in p for p in problems) == 3
    problems = _problems(tmp_path / "twin", sources=[SOURCE, twin])
    assert any("10.1000/example.2020.1 is also the doi of smith_2020" in p for p in problems)


def test_a_retracted_paper_never_backs_a_claim(tmp_path: Path) -> None:
    retractions = [{"title": "A trial", "doi": "10.1000/EXAMPLE.2020.1", "notice": "https://doi.org/10.1000/notice"}]
    problems = _problems(tmp_path, retractions=retractions)
    assert any("a retracted paper is never evidence" in p for p in problems)
    assert any("on the retraction list" in p for p in problems)


def test_a_copy_site_cannot_be_the_canonical_source(tmp_path: Path) -> None:
    src = _source()
    src["source"]["canonical"] = "https://moreblossom.com/papers/a-trial"
    (problem,) = _problems(tmp_path, sources=[src])
    assert "moreblossom.com is a copy or summary site" in problem


def test_a_mirror_read_cannot_be_primary(tmp_path: Path) -> None:
    src = _source()
    src["source"]["read_at"] = "https://www.theguardian.com/x"
    (problem,) = _problems(tmp_path, sources=[src])
    assert "set tier: secondary" in problem


def test_preclinical_work_needs_a_species_and_cannot_back_a_clinical_relation(tmp_path: Path) -> None:
    src = _source()
    src["design"] = {"level": "preclinical", "text": "rats"}
    problems = _problems(tmp_path, sources=[src])
    assert any("must name its species" in p for p in problems)
    assert any("preclinical work backs a clinical relation" in p for p in problems)


def test_the_checker_must_be_a_second_reader(tmp_path: Path) -> None:
    src = _source()
    src["review"]["checked_by"] = src["review"]["researched_by"]
    assert any("another reader" in p for p in _problems(tmp_path, sources=[src]))
    del src["review"]
    assert any("no second reader" in p for p in _problems(tmp_path / "none", sources=[src]))


def test_evidence_and_claims_must_meet(tmp_path: Path) -> None:
    lonely_claim = dict(CLAIM, id="ketamine__testedFor__ptsd", object="ptsd")
    problems = _problems(tmp_path, claims=[CLAIM, lonely_claim])
    assert any("ketamine__testedFor__ptsd.yaml: id: no source record has a finding" in p for p in problems)
    src = _source(findings=[])
    assert any("the source backs no claim" in p for p in _problems(tmp_path / "empty", sources=[src]))


def test_unknown_entities_are_reported(tmp_path: Path) -> None:
    claim = dict(CLAIM, id="ketamine__testedFor__gout", object="gout")
    src = _source()
    src["findings"][0]["claim"] = claim["id"]
    problems = _problems(tmp_path, sources=[src], claims=[claim])
    assert any("'gout' is not an entity of the graph" in p for p in problems)
