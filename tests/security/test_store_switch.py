"""Promise 5 for on-disk stores (issue 12, point 6): a store is replaced in one atomic step, a load killed at
any step leaves a store that opens (the old one, or the new one whole), the next open says what it tidied up,
and a graph or a server never answers from two versions at once.

On the earlier layout a load swapped folders with two renames; SIGKILL between them left "no store at DIR"
and the old store hidden in ``.DIR.old-PID``, and a query worker restarted after a load opened the new data
while the rest of the graph still read the old.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyoxigraph as ox
import pytest
from click.testing import CliRunner
from starlette.testclient import TestClient

from kgexplorer import KnowledgeGraph, Settings
from kgexplorer.cli.commands import cli
from kgexplorer.engine.bulk_load import write_disk_store
from kgexplorer.engine.disk_store import open_generation
from kgexplorer.engine.store import DataFile
from kgexplorer.server.current_graph import CurrentGraph
from kgexplorer.server.endpoint import create_app

from .support import digest

pytestmark = pytest.mark.xdist_group("security_store_switch")

EX = "http://example.org/"
VALUE = f"SELECT ?v WHERE {{ <{EX}thing> <{EX}version> ?v }}"

# Run in a child process: SIGKILL itself at the K-th call of a file-system step (rename, symlink, unlink,
# rmtree), then load; prints "finished" when the load ran through without reaching step K.
_KILL_AT_STEP = """
import os, shutil, signal, sys
k = int(sys.argv[1])
calls = 0
def killing(real):
    def step(*args, **kwargs):
        global calls
        calls += 1
        if calls == k:
            os.kill(os.getpid(), signal.SIGKILL)
        return real(*args, **kwargs)
    return step
for module, name in ((os, "rename"), (os, "replace"), (os, "symlink"), (os, "unlink"), (shutil, "rmtree")):
    setattr(module, name, killing(getattr(module, name)))
from kgexplorer.engine.bulk_load import write_disk_store
from kgexplorer.engine.store import DataFile
write_disk_store([DataFile(sys.argv[2])], sys.argv[3], derive_edges=False)
print("finished")
"""


def version_file(folder: Path, version: str, extra: int = 0) -> Path:
    path = folder / f"{version}.nt"
    lines = [f'<{EX}thing> <{EX}version> "{version}" .']
    lines += [f'<{EX}{version}/{i}> <{EX}p> "{i}" .' for i in range(extra)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def version_of(store: Path) -> str:
    with KnowledgeGraph.open_store(str(store)) as kg:
        (row,) = kg.sparql(VALUE).rows  # type: ignore[union-attr]
        return str(row[0].value)  # type: ignore[union-attr]


def test_a_load_killed_at_each_step_leaves_a_store_that_opens(tmp_path: Path) -> None:
    """SIGKILL at every file-system step of replacing a store: the store opens, as the old version until the
    switch and as the new one after it; what the killed load left is removed by the next open, which says so."""
    store = tmp_path / "store"
    write_disk_store([DataFile(str(version_file(tmp_path, "old")))], str(store), derive_edges=False)
    new = version_file(tmp_path, "new")
    seen: list[str] = []
    for k in range(1, 40):
        run = subprocess.run(
            [sys.executable, "-c", _KILL_AT_STEP, str(k), str(new), str(store)],
            check=False,
            capture_output=True,
            text=True,
            timeout=120,
        )
        if run.returncode == 0:
            assert "finished" in run.stdout
            break
        assert run.returncode == -signal.SIGKILL, run.stderr
        with open_generation(store) as generation:
            notes = generation.notes
        version = version_of(store)
        seen.append(version)
        assert version in ("old", "new")
        if version == "new":  # switched: later steps only tidy up; go back to the old store for the next step
            assert not any("interrupted before it switched" in n for n in notes), notes
            write_disk_store([DataFile(str(version_file(tmp_path, "old")))], str(store), derive_edges=False)
        # After the open, nothing is left over: the current generation, the lock and the link only.
        names = sorted(p.name for p in store.iterdir())
        assert names[0] == ".lock", names
        assert names[1] == "current", names
        assert len(names) == 3, names
    else:
        pytest.fail("the load never ran through")
    assert "old" in seen, "no kill happened before the switch"
    assert "new" in seen, "no kill happened after the switch"
    assert version_of(store) == "new"


def test_the_next_open_says_what_it_tidied_up(tmp_path: Path) -> None:
    """An unfinished load (a .partial generation nobody holds) is removed on open, with a note."""
    store = tmp_path / "store"
    write_disk_store([DataFile(str(version_file(tmp_path, "old")))], str(store), derive_edges=False)
    shutil.copytree(store / "gen-000001", store / "gen-000002.partial")
    with KnowledgeGraph.open_store(str(store)) as kg:
        assert kg.generation is not None
        assert kg.generation.notes == (f"removed gen-000002.partial in {store}, left by a load that was interrupted",)
    assert not (store / "gen-000002.partial").exists()
    result = CliRunner().invoke(cli, ["--store", str(store), "query", VALUE])
    assert result.exit_code == 0
    assert "note:" not in result.stderr  # nothing left to tidy


def test_the_cli_prints_what_opening_tidied_up(tmp_path: Path) -> None:
    store = tmp_path / "store"
    write_disk_store([DataFile(str(version_file(tmp_path, "old")))], str(store), derive_edges=False)
    shutil.copytree(store / "gen-000001", store / "gen-000002")  # finished but never switched to
    result = CliRunner().invoke(cli, ["--store", str(store), "stats"])
    assert result.exit_code == 0, result.output
    assert f"note: removed gen-000002 in {store}: a load was interrupted before it switched to it" in result.stderr


def test_a_store_hidden_by_an_earlier_versions_killed_load_is_restored(tmp_path: Path) -> None:
    """The earlier two-rename switch, killed between its renames, left DIR missing and .DIR.old-PID."""
    store = tmp_path / "store"
    write_disk_store([DataFile(str(version_file(tmp_path, "old")))], str(store), derive_edges=False)
    store.rename(tmp_path / ".store.old-4242")
    with KnowledgeGraph.open_store(str(store)) as kg:
        assert kg.generation is not None
        assert "restored the store" in kg.generation.notes[0]
        assert ".store.old-4242" in kg.generation.notes[0]
    assert version_of(store) == "old"


def test_a_store_of_the_earlier_layout_opens_and_is_migrated_by_the_next_load(tmp_path: Path) -> None:
    legacy = tmp_path / "store"
    old = ox.Store(str(legacy))
    old.load(path=str(version_file(tmp_path, "old")), format=ox.RdfFormat.N_TRIPLES)
    old.flush()
    del old
    assert version_of(legacy) == "old"
    messages: list[str] = []
    write_disk_store(
        [DataFile(str(version_file(tmp_path, "new")))], str(legacy), derive_edges=False, progress=messages.append
    )
    assert version_of(legacy) == "new"
    assert sorted(p.name for p in legacy.iterdir()) == [".lock", "current", "gen-000001"]


# ------------------------------------------------------------------------------------ one version at a time


def _kill_workers(kg: KnowledgeGraph) -> None:
    workers = kg._workers
    assert workers is not None
    for worker in list(workers._all):
        os.kill(worker.proc.pid, signal.SIGKILL)
        worker.proc.wait()


def test_a_graph_reads_one_generation_even_when_its_workers_restart_after_a_load(tmp_path: Path) -> None:
    """A query worker restarted after the store was replaced used to open the new data while the graph's own
    store (search, entity cards) still read the old: two versions at once."""
    store = tmp_path / "store"
    write_disk_store([DataFile(str(version_file(tmp_path, "v1")))], str(store), derive_edges=False)
    with KnowledgeGraph.open_store(str(store)) as kg:
        assert kg.sparql(VALUE).rows[0][0].value == "v1"  # type: ignore[union-attr]
        write_disk_store([DataFile(str(version_file(tmp_path, "v2", extra=5)))], str(store), derive_edges=False)
        _kill_workers(kg)  # the next query starts a new worker from the graph's recipe
        assert kg.sparql(VALUE).rows[0][0].value == "v1"  # type: ignore[union-attr]
        assert kg.select(VALUE).rows[0][0].value == "v1"  # type: ignore[union-attr]
        assert len(kg) == 1
        assert (store / "gen-000001").is_dir(), "the generation in use was deleted"
    assert version_of(store) == "v2"


def test_a_server_switches_to_a_new_generation_at_once(tmp_path: Path) -> None:
    """The endpoint answers v1 until the new generation's workers are ready, then v2 for every request: never
    v1 again, and the service description counts the new triples."""
    store = tmp_path / "store"
    write_disk_store([DataFile(str(version_file(tmp_path, "v1")))], str(store), derive_edges=False)
    kg = KnowledgeGraph.open_store(str(store), settings=Settings(query_time_limit_s=5))
    with TestClient(create_app(kg)) as client:
        answer = client.get("/sparql", params={"query": VALUE}).json()
        assert answer["results"]["bindings"][0]["v"]["value"] == "v1"
        write_disk_store([DataFile(str(version_file(tmp_path, "v2", extra=5)))], str(store), derive_edges=False)
        seen: list[str] = []
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and seen[-3:] != ["v2"] * 3:
            answer = client.get("/sparql", params={"query": VALUE}).json()
            seen.append(answer["results"]["bindings"][0]["v"]["value"])
            time.sleep(0.05)
        assert seen[-3:] == ["v2"] * 3, seen
        first_new = seen.index("v2")
        assert set(seen[first_new:]) == {"v2"}, seen
        described = client.get("/service-description", headers={"Accept": "application/n-triples"}).text
        assert '"6"^^<http://www.w3.org/2001/XMLSchema#integer>' in described


def test_current_graph_closes_the_replaced_graph_and_its_generation_goes(tmp_path: Path) -> None:
    store = tmp_path / "store"
    write_disk_store([DataFile(str(version_file(tmp_path, "v1")))], str(store), derive_edges=False)
    with CurrentGraph(KnowledgeGraph.open_store(str(store)), warm=lambda kg: None, grace_s=0, owned=True) as graphs:
        first = graphs.get()
        write_disk_store([DataFile(str(version_file(tmp_path, "v2")))], str(store), derive_edges=False)
        assert (store / "gen-000001").is_dir()  # still open here, so the load kept it
        deadline = time.monotonic() + 30
        while graphs.get() is first and time.monotonic() < deadline:
            time.sleep(0.05)
        assert graphs.get() is not first
        assert graphs.get().sparql(VALUE).rows[0][0].value == "v2"  # type: ignore[union-attr]
        time.sleep(0.3)
        graphs.get()  # past the grace time: the old graph is closed and its generation deleted
        assert not (store / "gen-000001").exists()
    assert digest(store, "gen-000002/*")


def test_a_current_link_that_names_nothing_is_a_clear_error(tmp_path: Path) -> None:
    store = tmp_path / "store"
    write_disk_store([DataFile(str(version_file(tmp_path, "old")))], str(store), derive_edges=False)
    shutil.rmtree(store / "gen-000001")
    result = CliRunner().invoke(cli, ["--store", str(store), "stats"])
    assert result.exit_code == 1
    assert result.stderr.strip() == (
        f"Error: the store at {store} is damaged: its current link names gen-000001, which is not there; "
        f"rebuild it with kgexplorer load FILES --store {store}"
    )
