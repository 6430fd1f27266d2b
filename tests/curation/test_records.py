"""Reading evidence records: the valid example loads; every malformed record is refused with file, field and fix."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from kgexplorer.curation.reader import load_records
from kgexplorer.errors import RecordError

from .records_factory import CLAIM, SOURCE, write_records


def _source(**changes: Any) -> dict[str, Any]:
    src = copy.deepcopy(SOURCE)
    src.update(changes)
    return src


def test_the_example_loads_with_its_fields(tmp_path: Path) -> None:
    recs = load_records(write_records(tmp_path))
    src = recs.sources["smith_2020"]
    assert src.design.level == "rct"
    assert src.design.sample_size == 96
    assert src.identifiers.nct == ("NCT01234567",)
    (finding,) = src.findings
    assert finding.effect is not None
    assert finding.effect.ci == (1.1, 19.0)
    assert finding.follow_up is not None
    assert (finding.follow_up.value, finding.follow_up.unit) == (6, "months")
    assert recs.evidence("ketamine__testedFor__alcohol_use_disorder") == [(src, finding)]


def test_an_unknown_field_names_the_file_and_field(tmp_path: Path) -> None:
    folder = write_records(tmp_path, sources=[_source(jornal="typo")])
    with pytest.raises(RecordError, match=r"smith_2020\.yaml: field 'jornal': is not a field"):
        load_records(folder)


def test_an_unquoted_null_direction_is_refused_not_read_as_missing(tmp_path: Path) -> None:
    src = _source()
    src["findings"][0]["direction"] = None  # YAML reads an unquoted `null` as nothing
    with pytest.raises(RecordError, match=r"findings\[0\]\.direction'.*required"):
        load_records(write_records(tmp_path, sources=[src]))


def test_a_direction_outside_the_list_is_refused(tmp_path: Path) -> None:
    src = _source()
    src["findings"][0]["direction"] = "positive"
    with pytest.raises(RecordError, match="'positive' is not one of supports, null, mixed, against, unclear"):
        load_records(write_records(tmp_path, sources=[src]))


def test_the_file_name_must_be_the_id(tmp_path: Path) -> None:
    folder = write_records(tmp_path)
    (folder / "sources" / "smith_2020.yaml").rename(folder / "sources" / "other.yaml")
    with pytest.raises(RecordError, match="differs from the file name"):
        load_records(folder)


def test_a_claim_id_must_start_with_its_subject_relation_and_object(tmp_path: Path) -> None:
    claim = dict(CLAIM, id="ketamine__testedFor__ptsd")
    with pytest.raises(RecordError, match="must start with subject__relation__object"):
        load_records(write_records(tmp_path, claims=[claim]))


def test_a_relation_outside_the_vocabulary_is_refused(tmp_path: Path) -> None:
    claim = dict(CLAIM, id="ketamine__treats__alcohol_use_disorder", relation="treats")
    with pytest.raises(RecordError, match="'treats' is not one of"):
        load_records(write_records(tmp_path, claims=[claim]))


def test_an_interval_must_be_two_numbers(tmp_path: Path) -> None:
    src = _source()
    src["findings"][0]["effect"]["ci"] = ["1.1", 19.0]
    with pytest.raises(RecordError, match=r"ci'.*two numbers"):
        load_records(write_records(tmp_path, sources=[src]))


def test_invalid_yaml_gives_the_line(tmp_path: Path) -> None:
    folder = write_records(tmp_path)
    (folder / "claims" / "broken.yaml").write_text("id: [unclosed\n", encoding="utf-8")
    with pytest.raises(RecordError, match=r"broken\.yaml:\d+:\d+: not valid YAML"):
        load_records(folder)


def test_an_event_date_must_be_a_partial_iso_date(tmp_path: Path) -> None:
    event = {
        "id": "re_x",
        "kind": "regulatory",
        "date": "March 2019",
        "label": "x",
        "description": "x",
        "source": "smith_2020",
    }
    with pytest.raises(RecordError, match="YYYY, YYYY-MM or YYYY-MM-DD"):
        load_records(write_records(tmp_path, events=[event]))


def test_seen_in_keeps_the_address_and_drops_a_trailing_note(tmp_path: Path) -> None:
    src = _source()
    src["source"]["seen_in"] = ["https://example.org/copy (a summary page)"]
    recs = load_records(write_records(tmp_path, sources=[src]))
    assert recs.sources["smith_2020"].source.seen_in == ("https://example.org/copy",)


def test_the_bundled_records_load() -> None:
    recs = load_records(Path(__file__).resolve().parents[2] / "graph" / "records")
    assert all(src.id == src.path.stem for src in recs.sources.values())
