"""tests/once.py: an expensive test input is made once per run, however many workers (here: threads, each with
its own lock file handle, as separate processes have) ask for it at the same time."""

from __future__ import annotations

import threading
import time
import uuid
from pathlib import Path

import pytest
from tests.once import kept_once, made_once, run_base


def _ask_at_once(factory: pytest.TempPathFactory, count: int, ask: object) -> list[object]:
    run_base(factory)  # pytest makes the basetemp lazily, and not thread-safely: make it before the threads start
    results: list[object] = [None] * count
    start = threading.Barrier(count)

    def worker(i: int) -> None:
        start.wait()
        results[i] = ask()  # type: ignore[operator]

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def test_four_askers_at_once_get_one_folder_made_once(tmp_path_factory: pytest.TempPathFactory) -> None:
    name = f"selftest-{uuid.uuid4().hex}"
    made: list[Path] = []

    def make(folder: Path) -> None:
        made.append(folder)
        time.sleep(0.3)  # the others arrive while it is being made
        (folder / "artefact.txt").write_text("made", encoding="utf-8")

    folders = _ask_at_once(tmp_path_factory, 4, lambda: made_once(tmp_path_factory, name, make))
    assert len(made) == 1
    assert folders == [run_base(tmp_path_factory) / f"kgx-{name}"] * 4
    assert (made[0] / "artefact.txt").read_text(encoding="utf-8") == "made"


def test_a_failed_make_is_made_again_by_the_next_asker(tmp_path_factory: pytest.TempPathFactory) -> None:
    name = f"selftest-{uuid.uuid4().hex}"
    calls: list[int] = []

    def make(folder: Path) -> None:
        calls.append(1)
        (folder / "half.txt").write_text("half", encoding="utf-8")
        if len(calls) == 1:
            raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        made_once(tmp_path_factory, name, make)
    folder = made_once(tmp_path_factory, name, make)
    assert len(calls) == 2
    assert (folder / ".done").exists()


def test_a_value_is_computed_once_and_read_back_equal(tmp_path_factory: pytest.TempPathFactory) -> None:
    name = f"selftest-{uuid.uuid4().hex}"
    computed: list[int] = []

    def compute() -> dict[str, tuple[int, ...]]:
        computed.append(1)
        time.sleep(0.2)
        return {"rows": (1, 2, 3)}

    values = _ask_at_once(tmp_path_factory, 3, lambda: kept_once(tmp_path_factory, name, compute))
    assert len(computed) == 1
    assert values == [{"rows": (1, 2, 3)}] * 3
