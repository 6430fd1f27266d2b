"""What the process boundary costs by itself, measured in the same run as the ladder (``python -m bench.boundary``).

docs/security.md puts a person's files and queries in separate, sandboxed processes. Two figures show what that
costs before any work is done, beside the ladder's 10k and 100k targets:

* **round trip**: this process and a child (``python -P``, the worker's own start) pass a library ``Request`` for
  LUBM's Q1 and a small reply over two pipes, with the query worker's own framing (``write_frame``, ``read_frame``)
  and waiting (``spin_until_readable``, each side looking for the other's frame before it sleeps): no guard, no
  engine, no rows. The median of :data:`ROUND_TRIPS` round trips in each of :data:`ROUNDS` rounds.
* **parse worker start**: ``KnowledgeGraph.from_files`` of an empty N-Triples file in a fresh process, after
  ``import kgexplorer``: the parse worker's start (a new Python, its imports, its network sandbox), a parse of
  nothing and a load of nothing. The median of :data:`LOADS` loads.

The report (:func:`boundary_lines`) sets them beside raw pyoxigraph's quick queries and its 10k load.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from .ladder import LUBM, ROOT

__all__ = ["boundary_lines", "run_boundary_bench"]

ROUNDS = 3
ROUND_TRIPS = 3000
LOADS = 7

#: The child's side of the round trip: read a frame, answer with a reply frame shaped like a small answer's end.
_CHILD = """
import os
from kgexplorer.engine.growing_file import read_frame
from kgexplorer.engine.worker_process import HEADER, spin_until_readable, write_frame
out = os.fdopen(os.dup(1), "wb")
while True:
    spin_until_readable(0)
    try:
        read_frame(0, HEADER)
    except EOFError:
        break
    write_frame(out, ("rows_done", False))
"""

#: A fresh process's loads of an empty file (its first load pays the imports the parent side makes at first use).
_LOADS = """
import json, sys, time
from kgexplorer import KnowledgeGraph
times = []
for _ in range(int(sys.argv[2])):
    started = time.perf_counter()
    KnowledgeGraph.from_files([sys.argv[1]]).close()
    times.append(time.perf_counter() - started)
print(json.dumps(times))
"""


def _round_trips() -> list[float]:
    """Each round's median round trip, in seconds."""
    from kgexplorer.engine.growing_file import read_frame
    from kgexplorer.engine.worker_process import HEADER, Request, spin_until_readable, write_frame

    q1 = (LUBM / "queries" / "q1.rq").read_text(encoding="utf-8")
    request = Request(text=q1, max_rows=1000)
    child = subprocess.Popen(
        [sys.executable, "-P", "-c", _CHILD], stdin=subprocess.PIPE, stdout=subprocess.PIPE, cwd=ROOT
    )
    assert child.stdin is not None
    assert child.stdout is not None
    answers = child.stdout.fileno()
    medians: list[float] = []
    try:
        for _ in range(ROUNDS):
            times: list[float] = []
            for _ in range(ROUND_TRIPS):
                started = time.perf_counter()
                write_frame(child.stdin, request)
                spin_until_readable(answers)
                read_frame(answers, HEADER)
                times.append(time.perf_counter() - started)
            medians.append(statistics.median(times))
    finally:
        child.stdin.close()
        child.wait(timeout=30)
        child.stdout.close()
    return medians


def _empty_loads() -> list[float]:
    """The timed loads of an empty N-Triples file, in seconds, from a fresh process."""
    with tempfile.TemporaryDirectory() as folder:
        empty = Path(folder) / "empty.nt"
        empty.write_bytes(b"")
        done = subprocess.run(
            [sys.executable, "-c", _LOADS, str(empty), str(LOADS)],
            capture_output=True,
            text=True,
            cwd=ROOT,
            timeout=300,
            check=True,
        )
    times: list[float] = json.loads(done.stdout)
    return times


def run_boundary_bench(*, progress: Any = print) -> dict[str, Any]:
    """Both figures; the caller stores the result under ``results["boundary"]``."""
    progress("boundary: a bare round trip to a worker process, and the load of an empty file")
    round_trips = _round_trips()
    loads = _empty_loads()
    return {
        "round_trip_s": statistics.median(round_trips),
        "round_trip_rounds_s": round_trips,
        "empty_load_s": statistics.median(loads),
        "empty_loads_s": loads,
    }


def boundary_lines(
    boundary: dict[str, Any] | None, *, quick_raw_s: float | None, raw_10k_load_s: float | None
) -> list[str]:
    """The report's bullets: each figure beside the raw figure its target is set against."""
    if not boundary:
        return []
    if "error" in boundary:
        return [f"* **The process boundary** (bench/boundary.py): not measured: {boundary['error']}"]
    trip = boundary["round_trip_s"]
    rounds = " / ".join(f"{s * 1e6:.1f}" for s in boundary["round_trip_rounds_s"])
    lines = [
        f"* **A bare round trip to a worker process** (bench/boundary.py): {trip * 1e6:.1f} µs (median of "
        f"{ROUND_TRIPS:,} in each round: {rounds} µs). That is the crossing alone: a library request for LUBM's Q1 "
        "and a small reply, with the query worker's framing and waiting, and no guard, engine or rows."
        + (
            f" On the 10k and 100k steps raw pyoxigraph's quick queries took a median {quick_raw_s * 1e6:.0f} µs, "
            "so for such a query to come within 1.5× of raw the library may add "
            f"{quick_raw_s * 0.5 * 1e6:.0f} µs in all (the guard's verdict, the scheduler, "
            "the request, the worker's reply, the rows read back into terms), of which the crossing alone takes "
            f"{trip / (quick_raw_s * 0.5) * 100:.0f} %."
            if quick_raw_s
            else ""
        )
    ]
    load = boundary["empty_load_s"]
    loads = " / ".join(f"{s * 1e3:.0f}" for s in boundary["empty_loads_s"])
    lines.append(
        f"* **Loading nothing** (bench/boundary.py): `KnowledgeGraph.from_files` of an empty N-Triples file took "
        f"{load * 1e3:.1f} ms (median; each load: {loads} ms): the parse worker's start, a new Python process with its "
        "imports and its network sandbox (docs/security.md: a person's file is parsed only there)."
        + (
            f" Raw pyoxigraph loaded the whole 10k step in {raw_10k_load_s * 1e3:.1f} ms, so loading nothing "
            f"already takes {load / raw_10k_load_s:.2f}× that, against the 1.5× target for the load."
            if raw_10k_load_s
            else ""
        )
    )
    return lines


def main() -> int:
    boundary = run_boundary_bench()
    print("\n".join(boundary_lines(boundary, quick_raw_s=None, raw_10k_load_s=None)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
