"""``python -m bench``: run the ladder side by side and write docs/benchmarks.md and the log-log plot.

Options: ``--budget-min`` (the whole run's time budget, 29 by default so ``make bench`` ends within 30
minutes), ``--steps`` (a subset, e.g. ``--steps 10k LUBM1``), ``--report-only`` (rewrite the report from
the last run's ``bench/out/results.json``), ``--no-endpoint`` (leave out the endpoint section,
``bench/endpoint.py``, which also runs alone as ``python -m bench.endpoint``).
"""

from __future__ import annotations

import argparse
import json
import shlex
import shutil
import subprocess
import sys
import time
from datetime import UTC, datetime

from .boundary import run_boundary_bench
from .coldstart import run_coldstart_bench
from .endpoint import run_endpoint_bench
from .graph_draw import run_graph_draw_bench
from .ladder import BENCH_SETTINGS, OUT, ROOT, Budget, ladder, plan_tasks, run_bundled, run_tasks
from .oneshot import run_oneshot_bench
from .report import machine_info, write_report

__all__ = ["main"]

#: Seconds the sections after the ladder took in the last full run (one-shot about 130, cold start about 40,
#: the graph draw, bench/graph_draw.py, an estimated 60; the endpoint section: 3 rounds of 14 measurements of
#: 6 s for kgexplorer, Oxigraph and the floor, about 280 s, 40 for rdflib-endpoint and 54 for the mixed load,
#: bench/mixed_load.py), with a margin: the ladder leaves them this much of the budget.
ENDPOINT_S = 400.0
AFTER_LADDER_S = 210.0 + ENDPOINT_S


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark (or only rewrite its report) and return the exit code."""
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--budget-min", type=float, default=29.0, help="time budget of the whole run, in minutes")
    parser.add_argument("--steps", nargs="*", help="only these steps: 10k 100k LUBM1 Hetionet LUBM10 LUBM50")
    parser.add_argument("--report-only", action="store_true", help="rewrite the report from the last results")
    parser.add_argument("--no-endpoint", action="store_true", help="leave out the endpoint section (bench/endpoint.py)")
    args = parser.parse_args(argv)
    results_file = OUT / "results.json"
    if args.report_only:
        results = json.loads(results_file.read_text(encoding="utf-8"))
    else:
        OUT.mkdir(parents=True, exist_ok=True)
        extra = sys.argv[1:] if argv is None else argv
        command = ".venv/bin/python -m bench" + (" " + shlex.join(extra) if extra else " (what `make bench` runs)")
        budget = Budget(args.budget_min * 60)
        started = datetime.now(UTC)
        machine_before = machine_info()
        steps = ladder(names=args.steps)
        tasks = plan_tasks(steps)

        def progress(message: str) -> None:
            print(message, file=sys.stderr, flush=True)

        progress(f"bench: {len(steps)} steps, {len(tasks)} probes, budget {args.budget_min:g} min")
        bundled = run_bundled(budget, progress=progress)
        # The one-shot, cold-start and endpoint sections run after the ladder; without their time kept back the
        # ladder used the whole budget and the run ended 3.9 min over it (32.9 min against 29).
        after_s = AFTER_LADDER_S - (0 if not args.no_endpoint else ENDPOINT_S)
        results = run_tasks(tasks, budget, progress=progress, after_s=after_s)
        results["bundled"] = bundled
        try:
            results["boundary"] = run_boundary_bench(progress=progress)
        except (RuntimeError, OSError, ValueError, subprocess.SubprocessError) as exc:  # reported as not measured
            results["boundary"] = {"error": f"{type(exc).__name__}: {exc}"}
        try:
            results["oneshot"] = run_oneshot_bench(progress=progress)
        except (RuntimeError, OSError, subprocess.SubprocessError) as exc:  # reported as not measured
            results["oneshot"] = {"error": str(exc)}
        try:
            results["coldstart"] = run_coldstart_bench(progress=progress)
        except Exception as exc:
            results["coldstart"] = {"error": f"{type(exc).__name__}: {exc}"}
        try:
            results["graph_draw"] = run_graph_draw_bench(progress=progress)
        except Exception as exc:  # reported as not measured
            results["graph_draw"] = {"error": f"{type(exc).__name__}: {exc}"}
        if not args.no_endpoint:
            try:
                results["endpoint"] = run_endpoint_bench(progress=progress)
            except (RuntimeError, OSError, subprocess.SubprocessError) as exc:  # reported as not measured
                results["endpoint"] = {"error": str(exc)}
        results["settings"] = BENCH_SETTINGS
        results["expected_rows"] = {s.name: s.expected_rows for s in steps}
        results["meta"] = {
            "command": command,
            "started": started.isoformat(timespec="seconds"),
            "wall_s": budget.elapsed(),
            "budget_s": budget.total_s,
            "machine": machine_before,
            "load_after": machine_info()["load_average"],
            "steps": [
                {"name": s.name, "data": s.data, "triples": s.triples, "family": s.family, "picks": s.picks}
                for s in steps
            ],
        }
        results_file.write_text(json.dumps(results, indent=1), encoding="utf-8")
        # The on-disk stores (about 2 GiB with LUBM50) were only needed for the measurements.
        shutil.rmtree(OUT / "stores", ignore_errors=True)
    t0 = time.monotonic()
    report, plot = write_report(results, docs=ROOT / "docs")
    print(f"wrote {report} and {plot} in {time.monotonic() - t0:.1f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
