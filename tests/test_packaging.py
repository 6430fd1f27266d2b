"""The wheel: it carries the graph, queries, lessons, app and assets, and works installed with no checkout."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.xdist_group("packaging")


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The project's wheel, built from this checkout (without build isolation: no download needed)."""
    out = tmp_path_factory.mktemp("dist")
    subprocess.run([sys.executable, "-m", "kgexplorer._assets"], check=True, capture_output=True)
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", "-w", str(out), str(ROOT)],
        check=True,
        capture_output=True,
    )
    return next(out.glob("kgexplorer-*.whl"))


def test_wheel_carries_the_graph_queries_lessons_app_and_assets(wheel: Path) -> None:
    """Everything `kgexplorer` needs at run time is inside the wheel."""
    names = set(zipfile.ZipFile(wheel).namelist())
    in_checkout = {
        f"kgexplorer/graph/{p.relative_to(ROOT / 'graph')}" for p in (ROOT / "graph").rglob("*") if p.is_file()
    }

    assert in_checkout <= names
    assert {
        "kgexplorer/app/app.py",
        "kgexplorer/app/app_pages/explore.py",
        "kgexplorer/pyproject.toml",
        "kgexplorer/assets/graph/graph.js",
        "kgexplorer/assets/graph/vis-network.min.js",
        "kgexplorer/py.typed",
    } <= names


@pytest.fixture(scope="module")
def installed(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh virtual environment, outside the repository, with the wheel and its dependencies installed."""
    venv = tmp_path_factory.mktemp("venv") / "env"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "-q", "--disable-pip-version-check"]
    subprocess.run([*pip, f"{wheel}[server]"], check=True, capture_output=True, timeout=900)
    return venv / "bin"


def _run(bin_dir: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    return subprocess.run(
        [str(bin_dir / "kgexplorer"), *args], capture_output=True, text=True, cwd=cwd, env=env, check=False, timeout=120
    )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _wait_for(url: str, *, seconds: float = 60) -> bytes:
    deadline = time.monotonic() + seconds
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                data: bytes = response.read()
                return data
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.3)


@pytest.mark.slow
def test_installed_wheel_runs_stats_and_query_without_a_checkout(installed: Path, tmp_path: Path) -> None:
    """From an empty folder, the installed `kgexplorer` reads its bundled graph and answers SPARQL."""
    stats = _run(installed, "stats", "--format", "json", cwd=tmp_path)
    ask = _run(installed, "query", "ASK { kg:ketamine kgx:testedFor kg:alcohol_use_disorder }", cwd=tmp_path)
    version = _run(installed, "--version", cwd=tmp_path)

    assert stats.returncode == 0, stats.stderr
    assert json.loads(stats.stdout)["claims"] > 100
    assert ask.stdout.strip() == "yes"
    assert "bundled graph data version 1.0.0" in version.stdout


@pytest.mark.slow
def test_installed_wheel_serves_sparql_and_the_app(installed: Path, tmp_path: Path) -> None:
    """`kgexplorer serve` answers SPARQL and `kgexplorer app` serves the app, both from the installed package."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    sparql_port, app_port = _free_port(), _free_port()
    server = subprocess.Popen(
        [str(installed / "kgexplorer"), "serve", "--port", str(sparql_port)],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    app = subprocess.Popen(
        [str(installed / "kgexplorer"), "app", "--port", str(app_port)],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        query = urllib.parse.quote("SELECT ?l WHERE { kg:ketamine rdfs:label ?l }")
        answer = json.loads(_wait_for(f"http://127.0.0.1:{sparql_port}/sparql?query={query}"))
        health = _wait_for(f"http://127.0.0.1:{app_port}/_stcore/health")
        page = _wait_for(f"http://127.0.0.1:{app_port}/")

        assert answer["results"]["bindings"][0]["l"]["value"] == "Ketamine"
        assert health.strip() == b"ok"
        assert b"<html" in page.lower()
    finally:
        server.terminate()
        os.killpg(app.pid, 15)
        server.wait(timeout=30)
        app.wait(timeout=30)
