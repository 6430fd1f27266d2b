"""Shared by the security tests (docs/security.md): a loopback listener that records every request, a hostile
graph whose texts carry script payloads, and the integrity checks.

Integrity: the bundled graph's files, and an on-disk store the endpoint and app tests open, are hashed
(sha256) when the session starts and again when it ends; any difference fails the run.
"""

from __future__ import annotations

import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from kgexplorer.engine.bulk_load import write_disk_store
from kgexplorer.engine.store import DataFile, bundled_data_files

from .support import HOSTILE_TTL, ROOT, SECRET_BODY, Listener, digest

collect_ignore = ["hostile_app.py"]


@pytest.fixture
def listener() -> Iterator[Listener]:
    """A recording listener, proven to record (so "no request" afterwards means something)."""
    server = Listener()
    with urllib.request.urlopen(f"{server.base}/probe", timeout=10) as reply:
        assert reply.read() == SECRET_BODY
    assert server.requests == ["GET /probe"]
    server.requests.clear()
    yield server
    server.close()


@pytest.fixture(scope="session")
def hostile_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The hostile graph as a Turtle file (load it with the bundled graph: it links to its entities)."""
    path = tmp_path_factory.mktemp("hostile") / "hostile.ttl"
    path.write_text(HOSTILE_TTL, encoding="utf-8")
    return path


@pytest.fixture(scope="session", autouse=True)
def bundled_graph_unchanged() -> Iterator[None]:
    """Every file of the bundled graph (graph/) is byte-identical after the security tests ran."""
    before = digest(ROOT / "graph")
    assert any(name.endswith(".ttl") for name in before)
    yield
    after = digest(ROOT / "graph")
    changed = sorted(name for name in before.keys() | after.keys() if before.get(name) != after.get(name))
    assert not changed, f"the security tests changed the bundled graph: {changed}"


@pytest.fixture(scope="session")
def disk_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """An on-disk store of the bundled graph; byte-identical at the end of the session (opened read-only)."""
    folder = tmp_path_factory.mktemp("store") / "bundled-store"
    write_disk_store([DataFile(str(p)) for p in bundled_data_files()], str(folder))
    before = digest(folder)
    yield folder
    after = digest(folder)
    changed = sorted(name for name in before.keys() | after.keys() if before.get(name) != after.get(name))
    assert not changed, f"opening the store read-only changed its files: {changed}"
