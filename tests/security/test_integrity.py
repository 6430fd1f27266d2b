"""Promise 5: nothing lost or corrupted. The bundled graph and on-disk stores are only ever read (sha256 of
every file before and after: here per test, and for the whole session in conftest.py); one session's
upload is never seen by another; an interrupted ``kgexplorer load`` leaves the old store or the new one;
an interrupted export leaves no half file.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient
from streamlit.testing.v1 import AppTest

from kgexplorer import KnowledgeGraph, ui
from kgexplorer.engine.bulk_load import write_disk_store
from kgexplorer.engine.store import DataFile
from kgexplorer.server.endpoint import create_app
from kgexplorer.ui.data_sources import DataSource, Upload, open_uploads
from kgexplorer.views.export import write_export

from .support import ROOT, digest

EX = "http://example.org/"
ASK_KETAMINE = "ASK { kg:ketamine a kgx:Substance }"


@pytest.fixture(scope="module")
def store_kg(disk_store: Path) -> Iterator[KnowledgeGraph]:
    with KnowledgeGraph.open_store(str(disk_store)) as kg:
        yield kg


def test_the_endpoint_over_a_store_leaves_it_byte_identical(disk_store: Path, store_kg: KnowledgeGraph) -> None:
    before = digest(disk_store)
    client = TestClient(create_app(store_kg))
    assert client.get("/sparql", params={"query": ASK_KETAMINE}).json()["boolean"] is True
    for update in (f"INSERT DATA {{ <{EX}a> <{EX}b> <{EX}c> }}", "DROP ALL", "CLEAR DEFAULT"):
        assert client.post("/sparql", data={"update": update}).status_code == 403
        assert client.get("/sparql", params={"query": update}).status_code == 400
    assert client.get("/sparql", params={"query": "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"}).status_code == 200
    assert digest(disk_store) == before


def test_the_app_over_a_store_leaves_it_byte_identical(disk_store: Path, store_kg: KnowledgeGraph) -> None:
    before = digest(disk_store)
    source = DataSource(store_kg, kind="files", label="a store", uses_project_vocabulary=True, owned=False)
    for page in ("explore", "connections", "evidence", "about"):
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
        at.query_params["e"] = "ketamine"
        at.session_state[ui.session._SOURCE_KEY] = source
        at.run()
        if page != "explore":
            at.switch_page(f"app_pages/{page}.py").run()
        assert not at.exception, (page, at.exception)
    assert digest(disk_store) == before


def test_one_sessions_upload_is_never_seen_by_another(kg: KnowledgeGraph) -> None:
    """Two uploads give two graphs: each sees only its own triples, and the shared bundled graph neither."""
    mine = Upload("mine.nt", f"<{EX}alice> <{EX}secret> <{EX}one> .".encode())
    theirs = Upload("theirs.nt", f"<{EX}bob> <{EX}secret> <{EX}two> .".encode())
    ask = "ASK {{ <{}> ?p ?o }}"
    with open_uploads([mine]) as a, open_uploads([theirs]) as b:
        assert a.folder != b.folder
        assert a.kg.sparql(ask.format(f"{EX}alice")).value is True  # type: ignore[union-attr]
        assert a.kg.sparql(ask.format(f"{EX}bob")).value is False  # type: ignore[union-attr]
        assert b.kg.sparql(ask.format(f"{EX}alice")).value is False  # type: ignore[union-attr]
        assert kg.sparql(ask.format(f"{EX}alice")).value is False  # type: ignore[union-attr]
        assert not any((b.folder / p.name).exists() for p in a.folder.iterdir())  # type: ignore[union-attr]


def test_an_upload_in_one_app_session_leaves_another_session_on_the_bundled_graph() -> None:
    with open_uploads([Upload("mine.nt", f"<{EX}alice> <{EX}secret> <{EX}one> .".encode())]) as source:
        first = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
        first.session_state[ui.session._SOURCE_KEY] = source
        first.run().switch_page("app_pages/data.py").run()
        second = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
        second.run().switch_page("app_pages/data.py").run()
    shown = [m.value for m in first.markdown] + [m.value for m in second.markdown]
    assert not first.exception
    assert not second.exception
    assert any("mine" in m for m in shown[: len(first.markdown)])
    assert not any("mine" in m for m in shown[len(first.markdown) :])


# ------------------------------------------------------------------------------------ interrupted writes


def _triples_file(path: Path, n: int, tag: str) -> Path:
    with path.open("w", encoding="utf-8") as out:
        for i in range(n):
            out.write(f'<{EX}{tag}{i}> <{EX}p> "{tag} value {i}" .\n')
    return path


def _count(store: Path) -> int:
    with KnowledgeGraph.open_store(str(store)) as kg:
        return len(kg)


@pytest.mark.slow
@pytest.mark.parametrize("kill_after", ["parsing", "loading", "loaded"])
def test_a_load_killed_half_way_leaves_the_old_store(tmp_path: Path, kill_after: str) -> None:
    """SIGKILL during ``kgexplorer load`` (while the parse worker reads, while the new generation is filled,
    between files): the old generation opens unchanged, and the next open removes what the load left."""
    store = tmp_path / "store"
    old = _triples_file(tmp_path / "old.nt", 50, "old")
    assert write_disk_store([DataFile(str(old))], str(store), derive_edges=False) == 50
    before = digest(store)
    first = _triples_file(tmp_path / "first.nt", 200_000, "new")
    second = _triples_file(tmp_path / "second.nt", 200_000, "more")
    log = tmp_path / "stderr.txt"
    with log.open("wb") as err:
        proc = subprocess.Popen(
            [sys.executable, "-m", "kgexplorer.cli.commands", "load", str(first), str(second), "--store", str(store)],
            stdout=subprocess.DEVNULL,
            stderr=err,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + 120
        while kill_after not in log.read_text(encoding="utf-8", errors="replace"):
            assert proc.poll() is None, f"the load ended before it could be interrupted: {log.read_text()}"
            assert time.monotonic() < deadline, "the load never reported progress"
            time.sleep(0.02)
        os.kill(proc.pid, signal.SIGKILL)  # the CLI only: its parse worker must end with it
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    assert digest(store, "gen-000001/*") == {k: v for k, v in before.items() if k.startswith("gen-000001/")}
    assert _count(store) == 50
    assert digest(store) == before  # opening it removed the unfinished generation


def test_a_load_interrupted_in_process_keeps_the_old_store_and_no_temporary_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ctrl+C (KeyboardInterrupt) just before the new store is finished: old store intact, nothing left over."""
    import pyoxigraph as ox

    store = tmp_path / "store"
    old = _triples_file(tmp_path / "old.nt", 10, "old")
    write_disk_store([DataFile(str(old))], str(store), derive_edges=False)
    before = digest(store)
    new = _triples_file(tmp_path / "new.nt", 100, "new")

    def interrupted(self: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(ox.Store, "optimize", interrupted)
    with pytest.raises(KeyboardInterrupt):
        write_disk_store([DataFile(str(new))], str(store), derive_edges=False)
    assert digest(store) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["new.nt", "old.nt", "store"]


@pytest.mark.parametrize("fail", ["write", "replace"])
def test_an_interrupted_export_leaves_no_half_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fail: str) -> None:
    """An export interrupted while writing or renaming leaves the earlier file whole and no temporary file."""
    target = write_export("view.html", "<p>the earlier, complete export</p>", folder=tmp_path)

    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "fsync" if fail == "write" else "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        write_export("view.html", "<p>" + "new " * 100_000 + "</p>", folder=tmp_path)
    assert target.read_text(encoding="utf-8") == "<p>the earlier, complete export</p>"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["view.html"]
