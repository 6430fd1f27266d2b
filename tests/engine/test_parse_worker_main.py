"""What runs inside the parse worker (kgexplorer.engine.parse_worker_main); the worker's behaviour as a whole is
tested through the caller (tests/engine/test_parse_worker.py)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

import kgexplorer.engine.parse_worker as parse_worker_module
from kgexplorer.engine.parse_worker import parse_files
from kgexplorer.engine.store import DataFile

# The parse worker as the caller starts it, writing the names of the modules it had imported when it ended.
_REPORTING = """
import atexit, json, sys
report = sys.argv.pop()
atexit.register(lambda: open(report, "w", encoding="utf-8").write(json.dumps(sorted(sys.modules))))
from kgexplorer.engine.parse_worker_main import child_main
child_main()
"""


def test_the_worker_imports_none_of_the_callers_side(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The caller's side (a process to start, temporary folders, logging) took a tenth of every load's wait
    (docs/decisions/load-once.md, "Loading nothing"): the worker starts without it."""
    report = tmp_path / "modules.json"
    command = [sys.executable, "-P", "-c", _REPORTING, str(report)]
    monkeypatch.setattr(parse_worker_module, "_worker_command", lambda: command)
    path = tmp_path / "a.nt"
    path.write_text("<http://example.org/a> <http://example.org/p> <http://example.org/b> .\n", encoding="utf-8")
    with parse_files([DataFile(str(path))]) as parsed:
        assert parsed.files[0].quads == 1
    modules = set(json.loads(report.read_text(encoding="utf-8")))
    assert "kgexplorer.engine.store" in modules  # it did parse the file
    assert not modules & {"kgexplorer.engine.parse_worker", "subprocess", "tempfile", "logging"}
