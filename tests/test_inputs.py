"""The rule for missing test inputs (tests/inputs.py): under CI=true they fail the run with the reason; elsewhere
they skip, saying why. Checked on the helper and on a real pytest run with ../shared pointed at nothing."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from tests.inputs import require

ROOT = Path(__file__).resolve().parents[1]
NEEDS_SHARED = "tests/model/test_relations.py::test_it_works_on_lubm"  # reads LUBM from ../shared


@pytest.mark.parametrize(("ci", "outcome"), [("true", pytest.fail.Exception), ("", pytest.skip.Exception)])
def test_a_missing_input_fails_under_ci_and_skips_elsewhere(
    ci: str, outcome: type[BaseException], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CI", ci)
    with pytest.raises(outcome, match=r"needs the thing; install it"):
        require(False, what="the thing", fix="install it")
    require(True, what="the thing", fix="install it")  # present: nothing happens


def _run(tmp_path: Path, ci: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CI": ci, "KGEXPLORER_SHARED": str(tmp_path / "no-shared-here")}
    return subprocess.run(
        [sys.executable, "-m", "pytest", NEEDS_SHARED, "-q", "-rs", "-p", "no:cacheprovider", "-o", "addopts="],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_under_ci_a_missing_shared_folder_fails_the_run_naming_it(tmp_path: Path) -> None:
    run = _run(tmp_path, "true")
    assert run.returncode != 0, run.stdout
    assert "CI=true and a test input is missing" in run.stdout
    assert str(tmp_path / "no-shared-here") in run.stdout


def test_outside_ci_a_missing_shared_folder_skips_saying_why(tmp_path: Path) -> None:
    run = _run(tmp_path, "")
    assert run.returncode == 0, run.stdout
    assert "1 skipped" in run.stdout
    assert f"needs the shared material at {tmp_path / 'no-shared-here'}" in run.stdout
