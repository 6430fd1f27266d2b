"""The ladder of data sizes, the measurements per step, the time budget, and running the probes.

Every measurement runs in a fresh ``python -m bench.probe`` process (see :mod:`bench.probe`); this
module decides what to run, in which order, and how long each run may take. The whole run has one
budget (``--budget-min``, 29 minutes by default, so ``make bench`` ends within 30): each task gets its
planned share plus whatever earlier tasks saved, never the time planned for later tasks, and a task that
would not fit is skipped and reported as skipped. kgexplorer's on-disk build is the exception: a stopped build
measures nothing, so it may take up to 3x its plan from what later tasks can spare, and starts only when its
plan fits. Optional tasks run only with the time left at the end.
"""

from __future__ import annotations

import contextlib
import gzip
import json
import os
import select
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .hetionet import EXPECTED_TRIPLES as HETIONET_TRIPLES
from .hetionet import HetionetPicks, convert
from .probe import process_tree

__all__ = [
    "BENCH_SETTINGS",
    "BUNDLED_OPS",
    "GRAPH_QUERY",
    "LUBM_EXPECTED_ROWS",
    "Budget",
    "Step",
    "Task",
    "ladder",
    "plan_tasks",
    "run_bundled",
    "run_tasks",
]

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
SHARED = Path(os.environ.get("KGEXPLORER_SHARED", ROOT.parent / "shared"))  # ../shared beside the checkout
LUBM = SHARED / "data" / "lubm"
HETIONET = SHARED / "data" / "hetionet"

#: kgexplorer settings for the benchmark: the defaults, except the limits that would otherwise stop or cut
#: the measured work (Q14 on LUBM50 returns 393,730 rows, about 76 MB as N-Triples when it is a CONSTRUCT; a worker
#: holding LUBM50 in memory needs > 2 GiB).
BENCH_SETTINGS: dict[str, Any] = {
    "max_result_rows": 1_000_000,
    "max_result_mb": 256,
    "query_time_limit_s": 300.0,
    "worker_memory_mb": 24_576,
}

#: Q14's pattern as a CONSTRUCT (one triple per Q14 row): a graph answer through each system, reported beside
#: the SELECTs and left out of the medians the targets read (the query set they were set on).
GRAPH_QUERY = "Q14 as CONSTRUCT"
_GRAPH_QUERY_TEXT = (
    "PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>\n"
    "PREFIX ub: <http://www.lehigh.edu/~zhp2/2004/0401/univ-bench.owl#>\n"
    "CONSTRUCT { ?X rdf:type ub:UndergraduateStudent } WHERE { ?X rdf:type ub:UndergraduateStudent }"
)
#: Row counts measured in lubm/README.md (plain data, no reasoning); the CONSTRUCT gives a triple per Q14 row.
LUBM_EXPECTED_ROWS: dict[str, dict[str, int]] = {
    "LUBM1": {"Q1": 4, "Q2": 0, "Q3": 6, "Q14": 5_916, GRAPH_QUERY: 5_916},
    "LUBM10": {"Q1": 4, "Q2": 28, "Q3": 6, "Q14": 75_547, GRAPH_QUERY: 75_547},
    "LUBM50": {"Q1": 4, "Q2": 130, "Q3": 6, "Q14": 393_730, GRAPH_QUERY: 393_730},
}

_UB = "http://www.lehigh.edu/~zhp2/2004/0401/univ-bench.owl#"
_DEPT0 = "http://www.Department0.University0.edu"
_HETIONET_PREFIXES = (
    "PREFIX biolink: <https://w3id.org/biolink/vocab/>\n"
    "PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>\n"
    "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n"
)
#: Hetionet queries (the LUBM ones find nothing there): a lookup, a 3-pattern join, a count by type and a
#: label scan. H1 must give 755 rows (Compound–treats–Disease in metaedges.tsv).
HETIONET_QUERIES: dict[str, str] = {
    "H1 treats": _HETIONET_PREFIXES + "SELECT ?compound ?disease WHERE { ?compound biolink:treats ?disease }",
    "H2 join": _HETIONET_PREFIXES + "SELECT DISTINCT ?compound ?disease WHERE { ?compound biolink:treats ?disease . "
    "?compound biolink:directly_physically_interacts_with ?gene . ?disease biolink:associated_with ?gene }",
    "H3 count by type": _HETIONET_PREFIXES
    + "SELECT ?type (COUNT(?s) AS ?n) WHERE { ?s rdf:type ?type } GROUP BY ?type",
    "H4 label scan": _HETIONET_PREFIXES
    + 'SELECT ?s ?label WHERE { ?s rdfs:label ?label FILTER(CONTAINS(LCASE(?label), "alcohol")) }',
}
HETIONET_EXPECTED_ROWS = {"H1 treats": 755}


@dataclass(frozen=True)
class Step:
    """One rung of the ladder: a data file and what to measure on it."""

    name: str
    data: str
    triples: int
    family: str  # "lubm" or "hetionet"
    queries: dict[str, str]
    expected_rows: dict[str, int]
    ops: list[dict[str, Any]]
    rdflib: bool
    runs: int
    ops_in_memory: bool
    picks: dict[str, str] = field(default_factory=dict)


@dataclass
class Task:
    """One probe to run: a system on a step, with its planned seconds."""

    step: Step
    system: str
    planned_s: float
    optional: bool = False
    queries: bool = True
    ops: bool = False
    defaults: bool = False

    @property
    def key(self) -> str:
        """The name of this probe's results within its step."""
        if self.defaults:
            return f"{self.system} (defaults)"
        return f"{self.system} (ops)" if self.optional else self.system


@dataclass
class Budget:
    """The time budget of the whole run."""

    total_s: float
    started: float = field(default_factory=time.monotonic)

    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def remaining(self) -> float:
        return self.total_s - self.elapsed()


def _lubm_queries() -> dict[str, str]:
    queries = {q.upper(): (LUBM / "queries" / f"{q}.rq").read_text(encoding="utf-8") for q in ("q1", "q2", "q3", "q14")}
    return {**queries, GRAPH_QUERY: _GRAPH_QUERY_TEXT}


def _lubm_ops(*, paths: bool) -> list[dict[str, Any]]:
    student = f"{_DEPT0}/GraduateStudent1"
    ops: list[dict[str, Any]] = [
        {"id": "search", "op": "search", "args": {"text": "GraduateStudent1"}},
        {"id": "focus (typical)", "op": "focus", "args": {"iri": student}},
        {"id": "focus (hub)", "op": "focus", "args": {"iri": _DEPT0}},
        {"id": "depth 2 (typical)", "op": "neighbourhood", "args": {"iri": student, "depth": 2}},
        {"id": "depth 2 (hub)", "op": "neighbourhood", "args": {"iri": _DEPT0, "depth": 2}},
        {"id": "counts by type", "op": "stats", "args": {}},
    ]
    if paths:
        ops.append(
            {"id": "paths", "op": "paths", "args": {"source": student, "target": f"{_DEPT0}/UndergraduateStudent1"}}
        )
    return ops


def _hetionet_ops(picks: HetionetPicks) -> list[dict[str, Any]]:
    hub, typical = picks.hub_gene, picks.typical_compound
    return [
        {"id": "search", "op": "search", "args": {"text": "ketamine"}},
        {"id": "focus (typical)", "op": "focus", "args": {"iri": typical}},
        {"id": "focus (hub)", "op": "focus", "args": {"iri": hub}},
        {"id": "depth 2 (typical)", "op": "neighbourhood", "args": {"iri": typical, "depth": 2}},
        {"id": "depth 2 (hub)", "op": "neighbourhood", "args": {"iri": hub, "depth": 2}},
        {"id": "counts by type", "op": "stats", "args": {}},
        {"id": "paths", "op": "paths", "args": {"source": typical, "target": hub}},
    ]


def _slice(lines: int) -> str:
    """The first ``lines`` lines (whole triples) of lubm1.nt.gz, written once to bench/out/data."""
    target = OUT / "data" / f"lubm1-first-{lines}.nt.gz"
    if not target.is_file():
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(target.name + ".partial")
        with gzip.open(LUBM / "lubm1.nt.gz", "rb") as src, gzip.open(partial, "wb") as dst:
            for i, line in enumerate(src):
                if i >= lines:
                    break
                dst.write(line)
        partial.rename(target)
    return str(target)


def ladder(*, names: list[str] | None = None) -> list[Step]:
    """The steps, smallest first (data files are prepared on first use)."""
    queries = _lubm_queries()
    steps: list[Step] = []

    def lubm(name: str, data: str, triples: int, *, runs: int = 5, rdflib: bool = True) -> Step:
        return Step(
            name=name,
            data=data,
            triples=triples,
            family="lubm",
            queries=queries,
            expected_rows=LUBM_EXPECTED_ROWS.get(name, {}),
            # Paths search lazily from both ends (bounded by path_search_nodes), so every step measures them.
            ops=_lubm_ops(paths=True),
            rdflib=rdflib,
            runs=runs,
            ops_in_memory=triples <= 200_000,
            picks={"hub": _DEPT0, "typical": f"{_DEPT0}/GraduateStudent1"},
        )

    wanted = set(names) if names else None

    def want(name: str) -> bool:
        return wanted is None or name in wanted

    if want("10k"):
        steps.append(lubm("10k", _slice(10_000), 10_000))
    if want("100k"):
        steps.append(lubm("100k", _slice(100_000), 100_000))
    if want("LUBM1"):
        steps.append(lubm("LUBM1", str(LUBM / "lubm1.nt.gz"), 100_573))
    if want("Hetionet"):
        picks = convert(HETIONET, OUT / "data" / "hetionet.nt.gz")
        steps.append(
            Step(
                name="Hetionet",
                data=str(OUT / "data" / "hetionet.nt.gz"),
                triples=HETIONET_TRIPLES,
                family="hetionet",
                queries=HETIONET_QUERIES,
                expected_rows=HETIONET_EXPECTED_ROWS,
                ops=_hetionet_ops(picks),
                rdflib=True,
                runs=5,
                ops_in_memory=False,
                picks={
                    "hub": f"{picks.hub_gene} ({picks.hub_gene_label}, gene, {picks.hub_gene_degree:,} edges)",
                    "typical": (
                        f"{picks.typical_compound} ({picks.typical_compound_label}, compound, "
                        f"{picks.typical_compound_degree:,} edges: the median compound)"
                    ),
                },
            )
        )
    if want("LUBM10"):
        # rdflib is compared at about a million triples on Hetionet; on LUBM10 its load did not end within the
        # 258 s its probe was given, and those minutes are what the on-disk build rows lacked.
        steps.append(lubm("LUBM10", str(LUBM / "lubm10.nt.gz"), 1_272_953, rdflib=False))
    if want("LUBM50"):
        # rdflib above 1.3M triples is left out (README: 226 s and 8 GiB just to load LUBM50).
        steps.append(lubm("LUBM50", str(LUBM / "lubm50.nt.gz"), 6_656_560, runs=3, rdflib=False))
    return steps


def _plan(system: str, step: Step) -> float:
    """Planned seconds for one probe on this (noisy, 2-core) machine: a constant plus seconds per M triples."""
    m = step.triples / 1e6
    ops = 0.0
    if system == "kg-disk":
        ops = 260.0 if step.family == "hetionet" else 40.0 + 10 * m
    costs = {
        "pyox-mem": 6 + 14 * m,
        "kg-mem": 12 + 55 * m + (25 if step.ops_in_memory else 0),
        "rdflib": 35 + 40 * m,
        # The store, then its label index (kgexplorer load builds both; the index was 40-60 % of it on LUBM).
        "kg-disk-build": 6 + 35 * m,
        "kg-disk": 15 + 6 * m + ops,
        "pyox-disk": 6 + 15 * m,
    }
    return costs[system]


def plan_tasks(steps: list[Step]) -> list[Task]:
    """The probes in the order they run: the ladder step by step, then the optional extras."""
    tasks: list[Task] = []
    for step in steps:
        # The builds first: a step's later probes get what the budget leaves, and the LUBM10/LUBM50 build rows
        # were the ones left empty when the in-memory probes ran before them.
        tasks.append(Task(step, "pyox-mem", _plan("pyox-mem", step)))
        tasks.append(Task(step, "kg-disk-build", _plan("kg-disk-build", step)))
        tasks.append(Task(step, "pyox-disk", _plan("pyox-disk", step)))
        # LUBM50 in memory (a worker holding 6.7 M triples) is the costliest probe: it runs at the end, with
        # the time left.
        if step.triples <= 2_000_000:
            tasks.append(Task(step, "kg-mem", _plan("kg-mem", step), ops=step.ops_in_memory))
        if step.rdflib:
            tasks.append(Task(step, "rdflib", _plan("rdflib", step)))
        tasks.append(Task(step, "kg-disk", _plan("kg-disk", step), ops=True))
    # Extras, only with the time left: the app operations on the in-memory graph where the main pass left
    # them out, and what a user gets with the default settings on the largest graph.
    for step in steps:
        if not step.ops_in_memory and step.triples <= 2_000_000:
            tasks.append(Task(step, "kg-mem", 30 + 90 * step.triples / 1e6, optional=True, queries=False, ops=True))
    for step in steps:
        if step.triples > 2_000_000:
            tasks.append(Task(step, "kg-mem", _plan("kg-mem", step), optional=True, ops=step.ops_in_memory))
    for step in steps:
        if step.triples > 2_000_000:
            tasks.append(Task(step, "kg-mem", 30 + 30 * step.triples / 1e6, optional=True, defaults=True))
    return tasks


#: The Explore page's interactions on the bundled graph (the target: each under 100 ms server side).
BUNDLED_OPS: list[dict[str, Any]] = [
    {"id": "search", "op": "search", "args": {"text": "ketamine"}},
    {"id": "focus (ketamine)", "op": "focus", "args": {"iri": "https://w3id.org/kgexplorer/id/ketamine"}},
    {
        "id": "focus (alcohol use disorder)",
        "op": "focus",
        "args": {"iri": "https://w3id.org/kgexplorer/id/alcohol_use_disorder"},
    },
    {
        "id": "depth 2 (ketamine)",
        "op": "neighbourhood",
        "args": {"iri": "https://w3id.org/kgexplorer/id/ketamine", "depth": 2},
    },
    {
        "id": "paths (ketamine – alcohol use disorder)",
        "op": "paths",
        "args": {
            "source": "https://w3id.org/kgexplorer/id/ketamine",
            "target": "https://w3id.org/kgexplorer/id/alcohol_use_disorder",
        },
    },
]


def run_bundled(budget: Budget, *, progress: Callable[[str], None]) -> dict[str, Any]:
    """The Explore page's interactions on the bundled graph, in one probe (a few seconds)."""
    spec = {
        "system": "kg-bundled",
        "queries": {},
        "ops": BUNDLED_OPS,
        "skip_ops": [],
        "op_runs": 9,
        "op_cap_s": 60.0,
        "op_budget_s": 10.0,
        "settings": {},
    }
    progress(f"[{budget.elapsed():6.0f} s] bundled graph: the Explore page's interactions")
    events, stopped = _run_probe(spec, allowance_s=120.0, log=OUT / "logs" / "bundled.log")
    out = _collect(events)
    if stopped:
        out["stopped"] = stopped
    return out


def _spec(task: Task, *, skip_ops: list[str]) -> dict[str, Any]:
    step = task.step
    store_dir = OUT / "stores" / f"{step.name}-{task.system.removesuffix('-build')}"
    big = step.triples > 2_000_000
    queries = step.queries if task.queries else {}
    if task.defaults:
        # One selective query and the biggest result: does the default worker hold the graph, and is Q14 cut?
        queries = {q: text for q, text in queries.items() if q in ("Q1", "Q14")}
    return {
        "system": task.system,
        "step": step.name,
        "data": step.data,
        "store_dir": str(store_dir),
        "queries": queries,
        "runs": 1 if task.defaults else step.runs,
        "query_cap_s": 240.0 if big else 90.0,
        # rdflib takes minutes on LUBM Q2 (README); it is tried once with this cap and reported as "> cap".
        "query_caps": {"Q2": 20.0} if task.system == "rdflib" else {},
        "query_budget_s": 25.0 if big else 15.0,
        "worker_cap_s": 900.0,
        "settings": {} if task.defaults else BENCH_SETTINGS,
        "ops": step.ops if task.ops else [],
        "skip_ops": skip_ops,
        "op_runs": step.runs,
        "op_cap_s": 150.0,
        "op_budget_s": 20.0,
    }


def _kill_tree(pid: int) -> None:
    """Stop a probe and every process it started (by PID; the query workers run in their own session)."""
    for p in [pid, *process_tree(pid)]:
        with contextlib.suppress(ProcessLookupError):
            os.kill(p, signal.SIGKILL)


def _run_probe(spec: dict[str, Any], *, allowance_s: float, log: Path) -> tuple[list[dict[str, Any]], str | None]:
    """Run one probe; returns its events and, when it was stopped, why."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as err:
        proc = subprocess.Popen(
            [sys.executable, "-m", "bench.probe"],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=err,
        )
    assert proc.stdin is not None
    assert proc.stdout is not None
    proc.stdin.write(json.dumps(spec).encode())
    proc.stdin.close()
    fd = proc.stdout.fileno()
    events: list[dict[str, Any]] = []
    started = time.monotonic()
    end = started + allowance_s
    tick_end = float("inf")
    current: dict[str, Any] | None = None
    stopped: str | None = None
    pending = b""
    while True:
        now = time.monotonic()
        limit = min(end, tick_end)
        if now >= limit:
            if current is not None and tick_end <= end:
                stopped = f"{current['name']}: stopped after its cap of {current['cap_s']:g} s"
            else:
                what = current["name"] if current is not None and tick_end < float("inf") else "the load"
                stopped = f"{what}: stopped at the task's budget ({allowance_s:.0f} s)"
            if current is not None and tick_end < float("inf"):
                current["after_s"] = now - current["at"]
            else:
                current = None
            _kill_tree(proc.pid)
            break
        ready, _, _ = select.select([fd], [], [], min(limit - now, 5.0))
        if not ready:
            continue
        chunk = os.read(fd, 1 << 16)
        if not chunk:
            break
        pending += chunk
        *lines, pending = pending.split(b"\n")
        for line in lines:
            if not line.strip():
                continue
            event = json.loads(line)
            events.append(event)
            if event["event"] == "tick":
                current = event
                current["at"] = time.monotonic()
                tick_end = current["at"] + float(event["cap_s"])
            elif event["event"] in ("result", "worker"):
                tick_end = float("inf")
    proc.stdout.close()
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        _kill_tree(proc.pid)
        proc.wait()
    if stopped and current is not None:
        events.append(
            {"event": "stopped", "name": current["name"], "kind": current["kind"], "after_s": current["after_s"]}
        )
    elif stopped:
        events.append({"event": "stopped", "name": "load", "kind": "load", "after_s": allowance_s})
    return events, stopped


def run_tasks(
    tasks: list[Task],
    budget: Budget,
    *,
    progress: Callable[[str], None],
    after_s: float = 0.0,
) -> dict[str, Any]:
    """Run every task within the budget, leaving ``after_s`` seconds for the sections that run after the
    ladder (bench/__main__.py); returns the raw results (what the report is made from)."""
    results: dict[str, Any] = {"steps": {}, "skipped": [], "stopped": []}
    reserve = 20.0 + after_s  # the sections after the ladder, the report and the plot
    for i, task in enumerate(tasks):
        step = task.step
        key = task.key
        future = sum(t.planned_s for t in tasks[i + 1 :] if not t.optional)
        remaining = budget.remaining() - reserve
        if task.optional:
            allowance = min(remaining, 2.5 * task.planned_s)
            fits = remaining >= task.planned_s
        elif task.system == "kg-disk-build":
            # A build is all or nothing: one stopped at its proportional share measured nothing, wasted that
            # share and left its step's on-disk probe without a store (LUBM10's was stopped at 62 s on a loaded
            # machine, where it needs 45-115 s; 32-51 s at a load of 4-5). It may take up to 3x its plan from
            # what the later probes can spare (each keeps 0.6x its plan), and it starts only when its plan fits.
            # (pyox-disk keeps the proportional share: its queries after the build would fill a larger one.)
            allowance = min(remaining - 0.6 * future, 3.0 * task.planned_s)
            fits = allowance >= task.planned_s
        else:
            # Its share of the time left, in proportion to the plans: a probe that ends early leaves its
            # time to the later ones. (Keeping 0.6x the rest's plan back starved the middle of the ladder
            # whenever the plans added up to more than the budget, as on a loaded machine.)
            share = remaining * task.planned_s / (task.planned_s + future)
            allowance = min(max(share, 0.6 * task.planned_s), remaining - 0.3 * future, 3.0 * task.planned_s)
            fits = allowance >= 0.4 * task.planned_s
        entry = results["steps"].setdefault(step.name, {"triples": step.triples, "systems": {}})
        if not fits:
            reason = (
                f"{step.name} {key}: skipped, the time budget could not fit it "
                f"(planned {task.planned_s:.0f} s, {max(allowance, 0):.0f} s available)"
            )
            results["skipped"].append(reason)
            entry["systems"][key] = {"skipped": reason}
            progress(reason)
            continue
        if task.system == "kg-disk" and "kg-disk-build" in entry["systems"]:
            build = entry["systems"]["kg-disk-build"]
            if not build.get("build"):
                entry["systems"][key] = {"skipped": "no on-disk store (the build did not finish)"}
                continue
        progress(f"[{budget.elapsed():6.0f} s] {step.name}: {key} (up to {allowance:.0f} s)")
        started = time.monotonic()
        events, stopped = _run_probe(
            _spec(task, skip_ops=[]), allowance_s=allowance, log=OUT / "logs" / f"{step.name}-{task.key}.log"
        )
        # An app operation that outlives its cap kills its probe; on the on-disk store reopening is instant,
        # so the remaining operations run in a new probe (the caches the stopped one had built are lost).
        while stopped and task.system == "kg-disk" and task.ops and events[-1].get("kind") == "op":
            done = [e["name"] for e in events if e["event"] in ("result", "stopped") and e.get("kind") == "op"]
            left = allowance - (time.monotonic() - started)
            if left < 30 or len(done) >= len(step.ops):
                break
            results["stopped"].append(f"{step.name} {key}: {stopped}")
            progress(f"    {stopped}; reopening for the remaining operations")
            spec = _spec(task, skip_ops=done)
            spec["queries"] = {}
            more, stopped = _run_probe(spec, allowance_s=left, log=OUT / "logs" / f"{step.name}-{task.key}.log")
            events += [e for e in more if e["event"] in ("result", "stopped")]
        if stopped:
            results["stopped"].append(f"{step.name} {key}: {stopped}")
            progress(f"    {stopped}")
        entry["systems"][key] = _collect(events)
        entry["systems"][key]["seconds"] = time.monotonic() - started
        progress(f"    done in {time.monotonic() - started:.0f} s")
    return results


def _collect(events: list[dict[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {"queries": {}, "ops": {}}
    for e in events:
        kind = e["event"]
        if kind in ("load", "build", "open", "worker", "memory", "failed", "hello"):
            out[kind] = {k: v for k, v in e.items() if k != "event"}
        elif kind == "guard":
            out.setdefault("guard", {})[e["name"]] = e["median_s"]
            if "first_s" in e:
                out.setdefault("guard_first", {})[e["name"]] = e["first_s"]
        elif kind == "result":
            bucket = "queries" if e["kind"] == "query" else "ops"
            out[bucket][e["name"]] = {k: v for k, v in e.items() if k not in ("event", "name", "kind")}
        elif kind == "stopped":
            bucket = "queries" if e["kind"] == "query" else "ops" if e["kind"] == "op" else "other"
            out.setdefault(bucket, {})[e["name"]] = {"stopped_s": e["after_s"]}
    return out
