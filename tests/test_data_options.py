"""The data the global options name (kgexplorer.data_options): which combinations are refused and why,
which graph they open, and what the app is told to open."""

from __future__ import annotations

from pathlib import Path

import pytest

from kgexplorer import SettingError, Settings
from kgexplorer.data_options import DataOptions

TINY = "@prefix ex: <http://example.org/> .\nex:ada a ex:Person ; ex:knows ex:charles .\n"


@pytest.fixture
def tiny(tmp_path: Path) -> Path:
    path = tmp_path / "people.ttl"
    path.write_text(TINY, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("options", "conflict"),
    [
        (DataOptions(), None),
        (DataOptions(data=("a.ttl",), with_bundled=True, reasoning="rdfs"), None),
        (DataOptions(data=("a.ttl",), store="s"), "use only one of --data, --store"),
        (DataOptions(data=("a.ttl",), endpoint="http://127.0.0.1:9/"), "use only one of --data, --endpoint"),
        (DataOptions(store="s", endpoint="http://127.0.0.1:9/"), "use only one of --store, --endpoint"),
        (DataOptions(data=("a",), store="s", endpoint="e"), "use only one of --data, --store, --endpoint"),
    ],
)
def test_only_one_source_at_a_time(options: DataOptions, conflict: str | None) -> None:
    assert options.source_conflict() == conflict
    assert options.open_problem() == conflict


@pytest.mark.parametrize(
    "options", [DataOptions(store="s", reasoning="rdfs"), DataOptions(endpoint="e", reasoning="owl-rl")]
)
def test_reasoning_needs_files(options: DataOptions) -> None:
    problem = options.open_problem()

    assert problem is not None
    assert problem.startswith("--reasoning works on files; for a store, build it with 'kgexplorer load --reasoning")


def test_the_app_needs_paths_that_exist(tiny: Path, tmp_path: Path) -> None:
    assert DataOptions(data=(str(tiny),)).app_problem() is None
    assert DataOptions(store=str(tmp_path)).app_problem() is None
    assert DataOptions(data=(str(tiny), "gone.ttl")).app_problem() == (
        "gone.ttl does not exist; give the path of an RDF file or of a store folder"
    )
    assert DataOptions(data=("a",), endpoint="e").app_problem() == "use only one of --data, --endpoint"


def test_open_reads_the_files_with_the_settings(tiny: Path) -> None:
    with DataOptions(data=(str(tiny),)).open(settings=Settings(max_view_nodes=40)) as kg:
        assert kg.stats().triples == 2
        assert kg.settings.max_view_nodes == 40


def test_open_adds_the_bundled_graph_when_asked(tiny: Path) -> None:
    with DataOptions(data=(str(tiny),), with_bundled=True).open() as kg:
        assert kg.stats().triples > 1000


def test_for_app_makes_paths_absolute(tiny: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    options = DataOptions(data=(tiny.name,), data_format="turtle", with_bundled=True, reasoning="rdfs")

    source = options.for_app(settings=(("max_view_nodes", "60"),))

    assert source.data == (str(tiny.resolve()),)
    assert (source.data_format, source.with_bundled, source.reasoning) == ("turtle", True, "rdfs")
    assert source.settings == (("max_view_nodes", "60"),)
    assert DataOptions(store="st").for_app().store == str((tmp_path / "st").resolve())
    assert DataOptions(endpoint="http://127.0.0.1:9/sparql").for_app().endpoint == "http://127.0.0.1:9/sparql"


def test_the_options_travel_to_the_app_as_json_and_refuses_garbage() -> None:
    """`kgexplorer app` describes its data in an environment variable; a broken one says how to start."""
    spec = DataOptions(data=("/a.ttl", "/b.nt"), with_bundled=True, reasoning="rdfs", settings=(("max_depth", "2"),))

    assert DataOptions.from_json(spec.to_json()) == spec
    assert DataOptions.from_json(None) == DataOptions() == DataOptions.from_json("")
    with pytest.raises(SettingError, match="start the app with 'kgexplorer app'"):
        DataOptions.from_json('["not", "an", "object"]')
