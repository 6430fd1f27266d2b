"""One-shot queries over ``--data``: ``kgexplorer --data FILE query @Q.rq`` against raw pyoxigraph, interleaved.

Each run is a fresh process, timed from start to exit (wall clock), with its output (CSV) written to a file;
the rows of both are counted and must agree. The memory is the peak, over the run, of the resident memory of
the whole process tree summed (kgexplorer: the command and its query and parse workers; polled every 20 ms from
/proc). kgexplorer runs with the settings that let it do the same work (``max_result_rows`` and
``worker_memory_mb`` raised, as in the ladder). Runs alternate (kgexplorer, raw, kgexplorer, raw …) so both see
the same machine. ``python -m bench.oneshot`` runs only this section; ``make bench`` runs it too.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

__all__ = ["run_oneshot_bench"]

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out" / "oneshot"
LUBM = ROOT.parent / "shared" / "data" / "lubm"
SETTINGS = {"max_result_rows": "1000000", "worker_memory_mb": "8192", "query_time_limit_s": "300"}


def _tree_rss_kib(root: int) -> int:
    """Resident memory of ``root`` and all its descendants, in KiB (0 for processes gone meanwhile)."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            ppid, pages = int(fields[1]), int(fields[21])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(entry))
        rss[int(entry)] = pages * (os.sysconf("SC_PAGE_SIZE") // 1024)
    total, stack = 0, [root]
    while stack:
        pid = stack.pop()
        total += rss.get(pid, 0)
        stack.extend(children.get(pid, []))
    return total


def _run(command: list[str], out: Path) -> dict[str, Any]:
    started = time.perf_counter()
    with out.open("wb") as sink:
        proc = subprocess.Popen(command, stdout=sink, stderr=subprocess.PIPE, cwd=ROOT)
        peak = 0
        while proc.poll() is None:
            peak = max(peak, _tree_rss_kib(proc.pid))
            time.sleep(0.02)
        err = proc.stderr.read().decode("utf-8", "replace") if proc.stderr else ""
    seconds = time.perf_counter() - started
    if proc.returncode != 0:
        raise RuntimeError(f"{command[:4]} failed ({proc.returncode}): {err[-500:]}")
    with out.open("rb") as f:
        rows = sum(1 for _ in f) - 1  # the CSV header
    return {"seconds": seconds, "peak_mib": peak / 1024, "rows": rows}


def run_oneshot_bench(
    *, data: str = "lubm10.nt.gz", query: str = "q14", runs: int = 3, progress: Any = print
) -> dict[str, Any]:
    """Alternate ``runs`` runs of each; return the medians and every run."""
    OUT.mkdir(parents=True, exist_ok=True)
    path, rq = LUBM / data, LUBM / "queries" / f"{query}.rq"
    kgx = [sys.executable, "-m", "kgexplorer.cli.commands", "--data", str(path)]
    for name, value in SETTINGS.items():
        kgx += ["--setting", name, value]
    kgx += ["query", f"@{rq}", "--format", "csv"]
    raw = [sys.executable, "-m", "bench.raw_oneshot", str(path), str(rq)]
    results: dict[str, list[dict[str, Any]]] = {"kgexplorer": [], "raw pyoxigraph": []}
    for i in range(runs):
        for name, command in (("kgexplorer", kgx), ("raw pyoxigraph", raw)):
            progress(f"oneshot: {name} run {i + 1}/{runs}")
            results[name].append(_run(command, OUT / f"{name.replace(' ', '-')}.csv"))
    summary = {
        name: {
            "seconds": statistics.median(r["seconds"] for r in rs),
            "peak_mib": statistics.median(r["peak_mib"] for r in rs),
            "rows": rs[0]["rows"],
        }
        for name, rs in results.items()
    }
    return {"data": data, "query": query.upper(), "settings": SETTINGS, "runs": results, "median": summary}


def main() -> int:
    result = run_oneshot_bench()
    for name, m in result["median"].items():
        print(f"{name:<16} {m['seconds']:.2f} s  peak {m['peak_mib']:.0f} MiB (process tree)  {m['rows']:,} rows")
    return 0


if __name__ == "__main__":
    sys.exit(main())
