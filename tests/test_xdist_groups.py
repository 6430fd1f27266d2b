"""`make test` runs pytest with `-n 4 --dist loadgroup`: every test of one `xdist_group` runs on one worker, so a
group's session fixtures (a browser, a Streamlit server, an OWL-RL closure) are built once, not once per worker.

pytest 9.2 keeps a node's id in a structured `NodeId`; pytest-xdist 3.8 still writes the group into the old string
field, which nothing reads any more, so every group was silently split across workers (pytest-xdist issue #1386).
`tests/xdist_groups.py` writes the group into the id pytest reads. Checked here on a real `-n 2` run (the fewest
workers that can split a group) of a bare file whose two groups interleave, so that plain load balancing would split
them.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PLUGIN = "tests.xdist_groups"  # what tests/conftest.py loads for the whole suite

BARE_TESTS = """\
import os
from pathlib import Path

import pytest

OUT = Path(os.environ["KGX_GROUP_OUT"])


@pytest.mark.parametrize(
    "i", [pytest.param(i, marks=pytest.mark.xdist_group("even" if i % 2 == 0 else "odd")) for i in range(24)]
)
def test_grouped(i: int) -> None:
    (OUT / f"{'even' if i % 2 == 0 else 'odd'}-{i}").write_text(os.environ["PYTEST_XDIST_WORKER"])


@pytest.mark.parametrize("i", range(8))
def test_free(i: int) -> None:
    (OUT / f"free-{i}").write_text(os.environ["PYTEST_XDIST_WORKER"])
"""


def _run(tmp_path: Path, dist: str) -> dict[str, set[str]]:
    """Run the bare file on two workers (`make test` uses four); return {group: workers its tests ran on}."""
    (tmp_path / "test_bare.py").write_text(BARE_TESTS, encoding="utf-8")
    (tmp_path / "pytest.ini").write_text("[pytest]\n", encoding="utf-8")
    out = tmp_path / "out"
    out.mkdir()
    env = {**os.environ, "KGX_GROUP_OUT": str(out), "PYTHONPATH": str(ROOT)}
    env.pop("PYTEST_XDIST_WORKER", None)
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-n", "2", "--dist", dist, "-p", "no:cacheprovider", "-p", PLUGIN],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "32 passed" in run.stdout, run.stdout
    workers: dict[str, set[str]] = {}
    for path in out.iterdir():
        workers.setdefault(path.name.split("-")[0], set()).add(path.read_text())
    return workers


def test_each_group_runs_on_one_worker(tmp_path: Path) -> None:
    workers = _run(tmp_path, "loadgroup")
    assert workers["even"] in ({"gw0"}, {"gw1"}), workers
    assert workers["odd"] in ({"gw0"}, {"gw1"}), workers
    assert workers["even"] != workers["odd"], "two groups, two workers: each should get one"


def test_plain_load_balancing_splits_the_groups(tmp_path: Path) -> None:
    """The control: without grouping (what loadgroup silently fell back to) the interleaved groups are spread over
    both workers, so the test above can fail."""
    workers = _run(tmp_path, "load")
    assert workers["even"] == {"gw0", "gw1"} or workers["odd"] == {"gw0", "gw1"}, workers
