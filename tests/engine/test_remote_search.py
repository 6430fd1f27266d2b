"""Search finds the same things on an endpoint as in a store holding the same data (issue 16).

LUBM names its departments with ``ub:name`` only: ``kgexplorer --store DIR search Department0`` found the
department, ``--endpoint URL search Department0`` on the same data found nothing. Here the same small
LUBM-shaped data is loaded into a store and served by a real Oxigraph server.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.loopback import free_port

from kgexplorer import KnowledgeGraph

UB = "http://www.lehigh.edu/~zhp2/2004/0401/univ-bench.owl#"
DATA = f"""@prefix ub: <{UB}> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
<http://www.Department0.University0.edu> a ub:Department ; ub:name "Department0" ;
    ub:subOrganizationOf <http://www.University0.edu> .
<http://www.Department1.University0.edu> a ub:Department ; ub:name "Department1" .
<http://www.University0.edu> a ub:University ; ub:name "University0" .
<http://www.Department0.University0.edu/FullProfessor0> a ub:FullProfessor ; ub:name "FullProfessor0" ;
    ub:worksFor <http://www.Department0.University0.edu> .
<http://example.org/labelled> rdfs:label "Department0 office" ; ub:name "not this name" .
"""


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url + "?query=ASK%7B%7D", timeout=2) as r:
            return bool(r.status == 200)
    except (urllib.error.URLError, OSError):
        return False


@pytest.fixture(scope="module")
def data_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("lubm") / "lubm.ttl"
    path.write_text(DATA, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def endpoint(data_file: Path) -> Iterator[str]:
    binary = Path(sys.executable).with_name("oxigraph")
    program = str(binary) if binary.is_file() else shutil.which("oxigraph")
    if program is None:
        if os.environ.get("CI") == "true":
            pytest.fail("the oxigraph server binary is missing: pip install oxigraph (in the test extra)")
        pytest.skip("needs the oxigraph server binary (pip install oxigraph; it is in the test extra)")
    folder = data_file.parent
    subprocess.run(
        [str(program), "load", "--location", str(folder / "db"), "--file", str(data_file)],
        check=True,
        capture_output=True,
        timeout=120,
    )
    port = free_port()
    url = f"http://127.0.0.1:{port}/query"
    server = subprocess.Popen(
        [str(program), "serve-read-only", "--location", str(folder / "db"), "--bind", f"127.0.0.1:{port}"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while not _answers(url):
            assert server.poll() is None, "the Oxigraph server exited"
            assert time.monotonic() < deadline, "the Oxigraph server did not start"
            time.sleep(0.05)
        yield url
    finally:
        server.terminate()  # by PID: this test's own server
        server.wait(timeout=10)


@pytest.mark.parametrize("text", ["Department0", "department0", "University0", "FullProfessor", "Department0 office"])
def test_an_endpoint_finds_what_a_store_finds(data_file: Path, endpoint: str, text: str) -> None:
    with KnowledgeGraph.from_files([str(data_file)]) as local, KnowledgeGraph.from_endpoint(endpoint) as remote:
        here = [(h.iri, h.label, h.matched) for h in local.search(text)]
        there = [(h.iri, h.label, h.matched) for h in remote.search(text)]
    assert here
    assert there == here


def test_a_name_does_not_hide_a_label(endpoint: str) -> None:
    """As in a local index, ub:name counts only for entities without a main label."""
    with KnowledgeGraph.from_endpoint(endpoint) as remote:
        assert remote.search("not this name") == []
        assert [h.label for h in remote.search("Department0 office")] == ["Department0 office"]
