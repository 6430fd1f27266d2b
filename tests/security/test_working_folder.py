"""A folder a person works in is not code: the processes kgexplorer starts import nothing from it.

``python -m module`` puts the current folder first on ``sys.path``, so a ``json.py`` in the folder of a
downloaded dataset ran in the parse worker and in the query worker, before either installed its network
sandbox (found from outside: ``kgexplorer --data data.nt query ...`` in such a folder). Every process
kgexplorer starts with ``-m`` is now started with ``-P`` (Python 3.11+), which leaves the folder out.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from kgexplorer import KnowledgeGraph
from kgexplorer.cli.launcher import app_command

# Shadows the standard library's json, which both workers import: it leaves a mark when it is imported.
_HOSTILE = """
import os
with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "RAN"), "a") as mark:
    mark.write(str(os.getpid()) + "\\n")
raise SystemExit("a module from the working folder ran")
"""


def test_a_module_in_the_working_folder_runs_in_no_worker(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "json.py").write_text(_HOSTILE, encoding="utf-8")
    data = tmp_path / "data.nt"
    data.write_text("<http://e/a> <http://e/p> <http://e/b> .\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    with KnowledgeGraph.from_files([str(data)]) as kg:  # the parse worker reads the file
        rows = kg.sparql("SELECT ?o WHERE { ?s ?p ?o }").rows  # a query worker answers
    assert [str(row[0]) for row in rows] == ["http://e/b"]
    assert not (tmp_path / "RAN").exists()


def test_the_app_process_leaves_the_working_folder_out_too() -> None:
    command = app_command(Path("app.py"), host="127.0.0.1", port=8501)
    assert command[1:4] == ["-P", "-m", "streamlit"]
