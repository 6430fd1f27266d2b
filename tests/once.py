"""Expensive test inputs made once per pytest run, however many xdist workers ask for them.

A session fixture runs once per worker: with `make test`'s two workers an OWL-RL closure or a built wheel would be
made twice. `made_once` makes a folder under the run's shared temporary base (the parent of each worker's
basetemp, which pytest-xdist gives every worker of one run) behind a file lock: the first worker to ask makes it,
the others wait for it and reuse it. Use it from a session- or module-scoped fixture:

    @pytest.fixture(scope="session")
    def closure(tmp_path_factory: pytest.TempPathFactory) -> Path:
        return made_once(tmp_path_factory, "lubm-owl-rl", lambda folder: write_closure(folder))

`kept_once` does the same for a picklable Python value (a validation report, a parsed table). Put tests that share
an input in one `xdist_group` as well, so they run on one worker and the others never wait for it.
A folder is marked done only after `make` returns: a `make` that fails leaves it unmarked, and the next asker
makes it again (and fails the same way, with its own traceback).
"""

from __future__ import annotations

import fcntl
import os
import pickle
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import pytest

__all__ = ["kept_once", "made_once", "run_base"]

T = TypeVar("T")


def run_base(factory: pytest.TempPathFactory) -> Path:
    """The temporary folder every worker of this run shares (the basetemp itself without xdist)."""
    base = factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


def made_once(factory: pytest.TempPathFactory, name: str, make: Callable[[Path], object]) -> Path:
    """The folder `kgx-<name>` of this run, filled by `make(folder)` the first time any worker asks for it."""
    shared = run_base(factory)
    folder = shared / f"kgx-{name}"
    with (shared / f"kgx-{name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes, also if `make` raises
        if not (folder / ".done").exists():
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir()
            make(folder)
            (folder / ".done").touch()
    return folder


def kept_once(factory: pytest.TempPathFactory, name: str, compute: Callable[[], T]) -> T:
    """`compute()`'s value, computed by the first worker that asks and read back (unpickled) by the others."""
    folder = made_once(factory, name, lambda folder: (folder / "value.pickle").write_bytes(pickle.dumps(compute())))
    value: T = pickle.loads((folder / "value.pickle").read_bytes())  # written by this run itself
    return value
