"""Bulk loading into an on-disk store (kgexplorer.engine.bulk_load): files, the bundled graph, entailments."""

from __future__ import annotations

from pathlib import Path

import pytest

from kgexplorer import KnowledgeGraph, Settings
from kgexplorer.engine.bulk_load import bulk_load

TINY = (
    "@prefix ex: <http://example.org/> .\n@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n"
    "ex:ada a ex:Person .\nex:Person rdfs:subClassOf ex:Agent .\n"
)


@pytest.fixture
def tiny(tmp_path: Path) -> Path:
    path = tmp_path / "people.data"  # the extension says nothing: the format must come from `format`
    path.write_text(TINY, encoding="utf-8")
    return path


def test_bulk_load_stores_the_files_and_reports_progress(tiny: Path, tmp_path: Path) -> None:
    messages: list[str] = []

    count = bulk_load([str(tiny)], str(tmp_path / "store"), format="turtle", progress=messages.append)

    assert count == 2
    assert messages[0] == f"parsing {tiny}"  # in the parse worker
    assert messages[1].startswith(f"parsed {tiny} in ")
    assert messages[1].endswith(" s (2 quads)")
    assert messages[2] == f"loading {tiny}"  # its N-Quads, into the new generation
    assert messages[-1] == f"switched {tmp_path / 'store'} to gen-000001"
    with KnowledgeGraph.open_store(str(tmp_path / "store")) as kg:
        assert kg.stats().triples == 2


def test_bulk_load_with_reasoning_stores_the_entailments(
    tiny: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    messages: list[str] = []

    count = bulk_load([str(tiny)], str(tmp_path / "store"), format="turtle", reasoning="rdfs", progress=messages.append)

    assert count > 2
    assert messages[2] == "materialising rdfs entailments (cached after the first time)…"
    assert " inferred triples in " in messages[3]
    with KnowledgeGraph.open_store(str(tmp_path / "store")) as kg:
        assert kg.sparql("ASK { <http://example.org/ada> a <http://example.org/Agent> }")


def test_bulk_load_keeps_the_reasoning_limit(tiny: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from kgexplorer import KgExplorerError

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))

    with pytest.raises(KgExplorerError, match="the reasoning limit is 1 triples"):
        bulk_load(
            [str(tiny)],
            str(tmp_path / "store"),
            format="turtle",
            reasoning="rdfs",
            settings=Settings(max_reasoning_triples=1),
        )
    assert not (tmp_path / "store").exists()


def test_a_load_reports_bytes_rate_and_time_left(tmp_path: Path) -> None:
    """Issue 16: kgexplorer load was silent for 20 s on 1.27M triples. The bulk loader reports nothing, so
    the file it reads is counted: each file's reports grow to its whole size (a .gz file is first unpacked by
    the parse worker, and what is loaded is that worker's output, named after the file)."""
    import gzip

    from kgexplorer.engine.load_progress import LoadProgress

    lines = "".join(f'<http://example.org/s{i}> <http://example.org/p> "{i}" .\n' for i in range(20_000))
    plain = tmp_path / "plain.nt"
    plain.write_text(lines, encoding="utf-8")
    packed = tmp_path / "packed.nt.gz"
    packed.write_bytes(gzip.compress(lines.encode("utf-8")))
    seen: list[LoadProgress] = []
    count = bulk_load([str(plain), str(packed)], str(tmp_path / "store"), report=seen.append)
    assert count == 20_000
    for path in (plain, packed):
        mine = [p for p in seen if p.name == path.name]
        assert mine, f"no report for {path.name}"
        assert mine[-1].done == mine[-1].total > 0
        if path == plain:
            assert mine[-1].total == path.stat().st_size
        assert mine[-1].fraction == 1.0
        assert [p.done for p in mine] == sorted(p.done for p in mine)
        assert "100%" in mine[-1].line()


def test_a_load_reports_the_triples_read_and_each_files_count_and_rate(tmp_path: Path) -> None:
    """Issue 16: progress in triples, without a second parse. The bulk loader reads the parse worker's N-Quads
    (one statement a line), so the reports count the lines read; when a file is loaded its count is what the
    store gained (a repeated statement once), with its rate."""
    from kgexplorer.engine.load_progress import LoadProgress

    lines = "".join(f'<http://example.org/s{i}> <http://example.org/p> "{i}" .\n' for i in range(30_000))
    data = tmp_path / "big.nt"
    data.write_text(lines + "".join(lines.splitlines(keepends=True)[:20]), encoding="utf-8")  # 20 of them twice
    seen: list[LoadProgress] = []
    messages: list[str] = []
    assert bulk_load([str(data)], str(tmp_path / "store"), report=seen.append, progress=messages.append) == 30_000
    mine = [p for p in seen if p.name == data.name]
    assert mine[-1].triples is not None
    assert mine[-1].triples > 30_000  # the lines read, the repeated ones too: what the worker wrote
    assert [p.triples for p in mine] == sorted(p.triples or 0 for p in mine)
    assert "triples/s" in mine[-1].line()
    loaded = next(m for m in messages if m.startswith(f"loaded {data}"))
    assert ": 30,000 triples, " in loaded
    assert loaded.endswith("triples/s (30,000 quads so far)")


def test_a_turtle_file_reports_bytes_only(tmp_path: Path) -> None:
    """Turtle from the bundled graph is bulk-loaded as it is: its statements are not counted while read."""
    from kgexplorer.engine.load_progress import LoadProgress

    seen: list[LoadProgress] = []
    bulk_load([], str(tmp_path / "store"), with_bundled=True, report=seen.append)
    assert seen
    assert all(p.triples is None for p in seen)
    assert "triples/s" not in seen[-1].line()
