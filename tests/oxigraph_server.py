"""A real Oxigraph server (``oxigraph serve-read-only``) holding the bundled graph, for the remote-engine tests.

It serves what the local bundled store holds (derived direct edges included), so a command or page given
``--endpoint`` must answer as it does on the bundled graph. One server per test session (``conftest.py``:
``bundled_endpoint``); the binary comes from the ``oxigraph`` wheel of the test extra, required as
tests/inputs.py says.
"""

from __future__ import annotations

import contextlib
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest
from tests.inputs import oxigraph_program
from tests.loopback import free_port

from kgexplorer.engine.store import StoreRecipe, build_store

__all__ = ["serving", "serving_bundled"]


def _answers(url: str) -> bool:
    request = urllib.request.Request(
        url, data=b"ASK {}", method="POST", headers={"Content-Type": "application/sparql-query"}
    )
    try:
        with urllib.request.urlopen(request, timeout=2) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False


@contextlib.contextmanager
def serving_bundled(folder: Path) -> Iterator[str]:
    """An Oxigraph server on 127.0.0.1 serving the bundled graph from a store in ``folder``: its query URL."""
    dump = folder / "bundled.nq"
    build_store(StoreRecipe.bundled()).dump(str(dump), format=ox.RdfFormat.N_QUADS)
    with serving(folder, dump) as url:
        yield url


@contextlib.contextmanager
def serving(folder: Path, data: Path) -> Iterator[str]:
    """An Oxigraph server on 127.0.0.1 serving the RDF file ``data`` from a store in ``folder``: its query URL.
    Stopped by its PID when the block ends."""
    program = oxigraph_program()
    subprocess.run(
        [program, "load", "--location", str(folder / "db"), "--file", str(data)],
        check=True,
        capture_output=True,
        timeout=120,
    )
    port = free_port()
    url = f"http://127.0.0.1:{port}/query"
    log_path = folder / "server.log"
    with log_path.open("wb") as log:
        server = subprocess.Popen(
            [program, "serve-read-only", "--location", str(folder / "db"), "--bind", f"127.0.0.1:{port}"],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + 30
            while not _answers(url):
                if server.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"the Oxigraph server did not start: {log_path.read_text(errors='replace')}")
                time.sleep(0.05)
            yield url
        finally:
            server.terminate()  # by PID: this session's own server only
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait(timeout=10)
