"""What runs inside one measured process: load one system, then time its queries and app operations.

Each probe is a fresh ``python -m bench.probe`` process, so its peak RSS (VmHWM) belongs to one
system and one load only: memory ratios are only honest per process. The parent (:mod:`bench.ladder`)
sends a JSON spec on stdin; the probe answers with JSON lines on stdout:

* ``{"event": "tick", "cap_s": …}`` before a measurement's first call and after each call of 0.1 s or more,
  so the parent can kill a call that outlives its cap (pyoxigraph queries cannot be interrupted from Python;
  rdflib ones are stopped in-process with ``SIGALRM``), the cap covering the quick calls that follow it;
* ``{"event": "result", …}`` per measurement, flushed at once, so a probe stopped at the budget keeps
  everything measured before it.

Systems: ``rdflib`` (Graph with the Memory store), ``pyox-mem`` (``Store.bulk_load``), ``pyox-disk``
(``Store(dir).bulk_load`` then ``Store.read_only``), ``kg-mem`` (``KnowledgeGraph.from_files``),
``kg-disk-build`` (``kgexplorer.engine.bulk_load.write_disk_store``), ``kg-disk`` (``KnowledgeGraph.open_store``) and
``kg-bundled`` (``KnowledgeGraph.bundled()``: the Explore page's interactions on the bundled graph).
kgexplorer queries go through ``kg.sparql()``: the guard, then the worker process.
"""

from __future__ import annotations

import gzip
import json
import os
import resource
import signal
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import Any

__all__ = ["dir_size", "main", "maxrss_mib", "process_tree", "status_mib"]

Spec = dict[str, Any]


class _RdflibCap(Exception):
    """Raised by SIGALRM inside a capped rdflib call."""


def emit(**fields: Any) -> None:
    """Write one JSON line for the parent and flush it."""
    sys.stdout.write(json.dumps(fields) + "\n")
    sys.stdout.flush()


def maxrss_mib() -> float:
    """Peak resident memory of this process so far, in MiB: VmHWM, the peak of this program's own memory.

    Not ``ru_maxrss``: Linux keeps that across fork and exec, so a probe started by a parent holding 475 MiB
    reported 475 MiB before it loaded anything (every in-memory row of the 2026-12-06 14:38 run read "475 vs
    475"). VmHWM belongs to the memory map exec made; ``ru_maxrss`` is left for systems without /proc.
    """
    peak = status_mib(os.getpid(), "VmHWM")
    return peak if peak is not None else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def status_mib(pid: int, field: str) -> float | None:
    """A memory field of /proc/PID/status (VmRSS now, VmHWM peak), in MiB; None if the process is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def process_tree(root: int) -> list[int]:
    """PIDs of all descendants of ``root`` (kgexplorer workers start their own session, so killpg misses them)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # The command name is in parentheses and may hold spaces; the parent PID is the 2nd field after it.
        rest = stat[stat.rfind(")") + 2 :].split()
        parents[int(entry.name)] = int(rest[1])
    found: list[int] = []
    frontier = [root]
    while frontier:
        pid = frontier.pop()
        kids = [p for p, pp in parents.items() if pp == pid]
        found += kids
        frontier += kids
    return found


def dir_size(path: str) -> int:
    """Bytes used by the files under ``path``."""
    return sum(f.stat().st_size for f in Path(path).rglob("*") if f.is_file())


def _open(path: str) -> Any:
    return gzip.open(path, "rb") if path.endswith(".gz") else open(path, "rb")


#: A quick query is timed until its timed runs add up to this many seconds (at most MAX_RUNS runs), not only five
#: times: on this 2-vCPU virtual machine a process's first few hundred milliseconds of queries ran at either of two
#: speeds (Hetionet's H1 through kg.sparql 0.63 or 1.0-1.1 ms in a loop, fresh process to fresh process), and a
#: median of five fell on either. The same rule for every system.
QUICK_QUERY_S = 0.5
MAX_RUNS = 200
#: A call that took this long is followed by a tick of its own; quicker ones share the last (see _timed).
_OWN_TICK_S = 0.1


def _timed(
    name: str,
    kind: str,
    fn: Callable[[], Any],
    *,
    runs: int,
    cap_s: float,
    budget_s: float,
    rdflib_cap: bool = False,
    min_s: float = 0.0,
) -> None:
    """First call (cold), then ``runs`` timed calls, and more while all of them took under ``min_s`` (up to
    :data:`MAX_RUNS`); emit the result.

    At least one timed call follows the first; more follow while the timed calls fit in ``budget_s``.
    """
    times: list[float] = []
    first: float | None = None
    info: Any = None
    warm_started = elapsed = 0.0
    try:
        for i in range(MAX_RUNS + 1):
            if i > runs and sum(times) >= min_s:
                break
            if i == 1:
                warm_started = time.perf_counter()
            if times and (time.perf_counter() - warm_started) + times[-1] > budget_s:
                break
            if i == 0 or elapsed >= _OWN_TICK_S:  # elapsed: the call before
                # The parent stops the probe past a tick's cap. Quick calls share their series' last tick: a tick
                # per call woke the parent during every timed call of a quick query, on the same two CPUs.
                emit(event="tick", name=name, kind=kind, cap_s=cap_s + budget_s + (30 if rdflib_cap else 0))
            t0 = time.perf_counter()
            if rdflib_cap:
                signal.setitimer(signal.ITIMER_REAL, cap_s)
            try:
                info = fn()
            finally:
                if rdflib_cap:
                    signal.setitimer(signal.ITIMER_REAL, 0)
            elapsed = time.perf_counter() - t0
            if i == 0:
                first = elapsed
            else:
                times.append(elapsed)
    except _RdflibCap:
        emit(event="result", name=name, kind=kind, capped_s=cap_s, first_s=first, times=times)
        return
    except Exception as exc:  # every failure is a result to report, never a crash of the harness
        emit(event="result", name=name, kind=kind, error=f"{type(exc).__name__}: {' '.join(str(exc).split())[:300]}")
        return
    median = statistics.median(times) if times else first
    emit(event="result", name=name, kind=kind, first_s=first, times=times, median_s=median, info=info)


def _on_alarm(signum: int, frame: FrameType | None) -> None:
    raise _RdflibCap


# ------------------------------------------------------------------------------------------ systems


def _run_queries(spec: Spec, run: Callable[[str], Any], *, rdflib_cap: bool = False) -> None:
    caps: dict[str, float] = spec.get("query_caps", {})
    queries: dict[str, str] = spec["queries"]
    for name, text in queries.items():

        def call(text: str = text) -> Any:
            return run(text)

        _timed(
            name,
            "query",
            call,
            runs=spec["runs"],
            min_s=QUICK_QUERY_S,
            cap_s=float(caps[name] if name in caps else spec["query_cap_s"]),
            budget_s=spec["query_budget_s"],
            rdflib_cap=rdflib_cap,
        )


def _rdflib(spec: Spec) -> None:
    import rdflib

    base = maxrss_mib()
    t0 = time.perf_counter()
    graph = rdflib.Graph()
    with _open(spec["data"]) as f:
        graph.parse(f, format="nt")
    emit(event="load", seconds=time.perf_counter() - t0, triples=len(graph), base_mib=base, peak_mib=maxrss_mib())
    signal.signal(signal.SIGALRM, _on_alarm)
    _run_queries(spec, lambda q: len(list(graph.query(q))), rdflib_cap=True)


def _pyox_rows(store: Any, query: str) -> int:
    # Read every term of every row, as kgexplorer does when it builds its result objects.
    return sum(1 for solution in store.query(query) if tuple(solution) is not None)


def _pyox_mem(spec: Spec) -> None:
    import pyoxigraph as ox

    base = maxrss_mib()
    t0 = time.perf_counter()
    store = ox.Store()
    with _open(spec["data"]) as f:
        store.bulk_load(f, format=ox.RdfFormat.N_TRIPLES)
    emit(event="load", seconds=time.perf_counter() - t0, triples=len(store), base_mib=base, peak_mib=maxrss_mib())
    _run_queries(spec, lambda q: _pyox_rows(store, q))


def _pyox_disk(spec: Spec) -> None:
    import shutil

    import pyoxigraph as ox

    target = spec["store_dir"]
    shutil.rmtree(target, ignore_errors=True)
    base = maxrss_mib()
    t0 = time.perf_counter()
    store = ox.Store(target)
    with _open(spec["data"]) as f:
        store.bulk_load(f, format=ox.RdfFormat.N_TRIPLES)
    store.flush()
    store.optimize()
    seconds = time.perf_counter() - t0
    triples = len(store)
    del store
    emit(
        event="build",
        seconds=seconds,
        triples=triples,
        bytes=dir_size(target),
        base_mib=base,
        peak_mib=maxrss_mib(),
    )
    t0 = time.perf_counter()
    reader = ox.Store.read_only(target)
    emit(event="open", seconds=time.perf_counter() - t0, triples=len(reader))
    _run_queries(spec, lambda q: _pyox_rows(reader, q))


def _settings(spec: Spec) -> Any:
    from kgexplorer import Settings

    return Settings(**spec["settings"])


def _kg_mem(spec: Spec) -> None:
    from kgexplorer import KnowledgeGraph

    settings = _settings(spec)
    base = maxrss_mib()
    t0 = time.perf_counter()
    kg = KnowledgeGraph.from_files([spec["data"]], settings=settings)
    emit(event="load", seconds=time.perf_counter() - t0, triples=len(kg), base_mib=base, peak_mib=maxrss_mib())
    try:
        _kg_session(spec, kg)
    finally:
        kg.close()


def _kg_disk_build(spec: Spec) -> None:
    from kgexplorer.engine.bulk_load import write_disk_store
    from kgexplorer.engine.store import DataFile
    from kgexplorer.model.search import index_labels

    indexing: list[float] = []

    def finish(store: Any, folder: Any) -> None:
        """What `kgexplorer load` does after the store is written: its label index, timed apart."""
        t = time.perf_counter()
        index_labels(store, folder)
        indexing.append(time.perf_counter() - t)

    base = maxrss_mib()
    t0 = time.perf_counter()
    count = write_disk_store([DataFile(spec["data"])], spec["store_dir"], finish=finish)
    total = time.perf_counter() - t0
    emit(
        event="build",
        seconds=total - sum(indexing),
        index_s=sum(indexing),
        triples=count,
        bytes=dir_size(spec["store_dir"]),
        base_mib=base,
        peak_mib=maxrss_mib(),
    )


def _kg_disk(spec: Spec) -> None:
    from kgexplorer import KnowledgeGraph

    t0 = time.perf_counter()
    kg = KnowledgeGraph.open_store(spec["store_dir"], settings=_settings(spec))
    emit(event="open", seconds=time.perf_counter() - t0, triples=len(kg), peak_mib=maxrss_mib())
    try:
        _kg_session(spec, kg)
    finally:
        kg.close()


def _kg_bundled(spec: Spec) -> None:
    from kgexplorer import KnowledgeGraph

    t0 = time.perf_counter()
    kg = KnowledgeGraph.bundled()
    emit(event="load", seconds=time.perf_counter() - t0, triples=len(kg), peak_mib=maxrss_mib())
    try:
        _kg_session(spec, kg)
    finally:
        kg.close()


def _kg_session(spec: Spec, kg: Any) -> None:
    """Worker start, the queries through kg.sparql(), then the app operations."""
    if spec["queries"]:
        emit(event="tick", name="worker start", kind="worker", cap_s=spec["worker_cap_s"])
        t0 = time.perf_counter()
        try:
            kg.sparql("ASK { ?s ?p ?o }")
        except Exception as exc:
            emit(event="worker", error=f"{type(exc).__name__}: {' '.join(str(exc).split())[:300]}")
            return
        seconds = time.perf_counter() - t0
        workers = [p for p in process_tree(os.getpid()) if "kgexplorer.engine.query_workers" in _cmdline(p)]
        peaks = [status_mib(p, "VmHWM") for p in workers]
        emit(event="worker", seconds=seconds, worker_peak_mib=max((p for p in peaks if p), default=None))

        def run(query: str) -> dict[str, Any]:
            result = kg.sparql(query)
            rows = result.rows if hasattr(result, "rows") else result.triples  # a CONSTRUCT's: its triples
            return {"rows": len(rows), "truncated": bool(result.truncated)}

        _run_queries(spec, run)
        _guard_cost(spec)
    for op in spec.get("ops", []):
        if op["id"] in spec.get("skip_ops", []):
            continue
        _timed(
            op["id"],
            "op",
            _operation(kg, op),
            runs=spec["op_runs"],
            cap_s=spec["op_cap_s"],
            budget_s=spec["op_budget_s"],
        )
    emit(event="memory", peak_mib=maxrss_mib())


def _guard_cost(spec: Spec) -> None:
    """How much of each kg.sparql() call is the guard: parsing a query the first time (rdflib's SPARQL
    parser), and checking it again once its verdict is remembered (what the timed runs of a query pay)."""
    from kgexplorer.engine.guard import check_query

    for name, text in spec["queries"].items():
        cold, warm = [], []
        for _ in range(11):
            t0 = time.perf_counter()
            check_query(text, remember=0)
            cold.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            check_query(text)
            warm.append(time.perf_counter() - t0)
        emit(event="guard", name=name, median_s=statistics.median(warm[1:]), first_s=statistics.median(cold[1:]))


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def _operation(kg: Any, op: dict[str, Any]) -> Callable[[], dict[str, Any]]:
    """The library call(s) behind one app operation, returning what it drew."""
    what, args = op["op"], op["args"]
    max_nodes = kg.settings.max_view_nodes

    def view(nb: Any) -> dict[str, Any]:
        nodes = nb.graph.number_of_nodes()
        return {"nodes": nodes, "truncated": bool(nb.truncated), "hidden": nb.hidden, "within_cap": nodes <= max_nodes}

    if what == "search":
        return lambda: {"hits": len(hits := kg.search(args["text"])), "top": hits[0].label if hits else None}
    if what == "card":
        return lambda: {"links": len((card := kg.entity(args["iri"])).links), "claims": len(card.claims)}
    if what == "focus":

        def focus() -> dict[str, Any]:
            t0 = time.perf_counter()
            card = kg.entity(args["iri"])
            t1 = time.perf_counter()
            nb = kg.neighbourhood(args["iri"], depth=1)
            t2 = time.perf_counter()
            return {"card_s": t1 - t0, "n1_s": t2 - t1, "links": len(card.links), **view(nb)}

        return focus
    if what == "neighbourhood":
        return lambda: view(kg.neighbourhood(args["iri"], depth=args["depth"]))
    if what == "paths":

        def paths() -> dict[str, Any]:
            found = kg.paths(args["source"], args["target"])
            return {
                "paths": len(found.paths),
                "truncated": bool(found.truncated),
                "nodes": found.graph.number_of_nodes(),
                "within_cap": found.graph.number_of_nodes() <= max_nodes,
            }

        return paths
    if what == "stats":
        return lambda: {"classes": len((stats := kg.stats()).classes), "triples": stats.triples}
    raise ValueError(f"unknown operation {what!r}")


_SYSTEMS: dict[str, Callable[[Spec], None]] = {
    "rdflib": _rdflib,
    "pyox-mem": _pyox_mem,
    "pyox-disk": _pyox_disk,
    "kg-mem": _kg_mem,
    "kg-disk-build": _kg_disk_build,
    "kg-disk": _kg_disk,
    "kg-bundled": _kg_bundled,
}


def main() -> None:
    """Read the spec from stdin, run the system it names, report on stdout."""
    spec: Spec = json.loads(sys.stdin.read())
    emit(event="hello", pid=os.getpid(), base_mib=maxrss_mib())
    try:
        _SYSTEMS[spec["system"]](spec)
    except Exception as exc:  # a load that fails is a result too
        emit(event="failed", error=f"{type(exc).__name__}: {' '.join(str(exc).split())[:300]}")
    emit(event="done")


if __name__ == "__main__":
    main()
