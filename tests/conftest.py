"""Shared fixtures: one session-scoped bundled graph, tiny test settings, and the ../shared folder."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.inputs import require_shared
from tests.once import kept_once
from tests.xdist_groups import pytest_collection_modifyitems  # noqa: F401  (a hook: each xdist_group on one worker)

from kgexplorer import KnowledgeGraph, Settings
from kgexplorer.curation.reader import load_records
from kgexplorer.curation.records import Records
from kgexplorer.engine import validation
from kgexplorer.engine.validation import ValidationReport

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def kg() -> Iterator[KnowledgeGraph]:
    """The bundled graph, loaded once for the whole run (read-only: never mutate it)."""
    graph = KnowledgeGraph.bundled()
    yield graph
    graph.close()


@pytest.fixture(scope="session")
def records() -> Records:
    """The evidence records the bundled graph is built from (graph/records/), read once: the source of truth
    that tests compare the graph's answers with."""
    return load_records(ROOT / "graph" / "records")


@pytest.fixture(scope="session")
def small_limits() -> Settings:
    """Settings with tiny limits, so limit tests are fast and have wide margins."""
    return Settings(
        query_time_limit_s=1.0,
        max_result_rows=5,
        worker_memory_mb=512,
        max_view_nodes=12,
        neighbours_per_relation=2,
        max_paths=2,
    )


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """../shared (real data and the fact base): absent, it fails the test under CI=true and skips it elsewhere,
    saying why (tests/inputs.py)."""
    require_shared("domain", "facts.yaml")
    return require_shared()


@pytest.fixture(scope="session")
def facts(shared_dir: Path) -> dict[str, object]:
    """The verified fact base, parsed."""
    import yaml

    data: dict[str, object] = yaml.safe_load((shared_dir / "domain" / "facts.yaml").read_text(encoding="utf-8"))
    return data


@pytest.fixture(scope="session")
def bundled_endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The query URL of a real Oxigraph server holding the bundled graph (tests/oxigraph_server.py), one per run."""
    from tests.oxigraph_server import serving_bundled

    with serving_bundled(tmp_path_factory.mktemp("oxigraph")) as url:
        yield url


@pytest.fixture(scope="session")
def remote_kg(bundled_endpoint: str) -> Iterator[KnowledgeGraph]:
    """The bundled graph behind that Oxigraph server, as ``--endpoint`` opens it."""
    graph = KnowledgeGraph.from_endpoint(bundled_endpoint)
    yield graph
    graph.close()


@pytest.fixture(scope="session")
def bundled_validation(tmp_path_factory: pytest.TempPathFactory) -> ValidationReport:
    """The SHACL report of the bundled graph as it ships, ``validate()`` with its defaults: a few seconds of
    CPU, so it runs once per run for every worker (tests/once.py). Tests reach it through ``validation_calls``."""
    return kept_once(tmp_path_factory, "bundled-validation", lambda: validation.validate(settings=Settings()))


@pytest.fixture
def validation_calls(
    monkeypatch: pytest.MonkeyPatch, bundled_validation: ValidationReport
) -> list[tuple[Any, ValidationReport]]:
    """Every ``validate`` call of this test (the CLI's included) with the report it got. A call for the bundled graph
    as it ships (no files, no format, default settings: what ``kgexplorer validate`` asks) gets ``bundled_validation``,
    the same report ``validate`` gave for those very arguments earlier in this run; any other call runs for real."""
    calls: list[tuple[Any, ValidationReport]] = []
    real = validation.validate

    def validate(files: Any = None, *, format: str | None = None, settings: Settings | None = None) -> ValidationReport:
        shipped = files is None and format is None and settings in (None, Settings())
        report = bundled_validation if shipped else real(files, format=format, settings=settings)
        calls.append((files, report))
        return report

    monkeypatch.setattr(validation, "validate", validate)
    return calls
