"""The endpoint section of ``make bench``: ``kgexplorer serve``, ``oxigraph serve-read-only``, the Python floor
and ``rdflib-endpoint serve``.

Four servers read the same LUBM1 data on loopback under the same load (Debian's ``wrk``, ``--connections``
connections, 2 threads, ``--seconds`` per measurement). kgexplorer (twice: as measured, and with the full guard
and no cache), the floor and Oxigraph run at once, each idle while another is measured, in ``--rounds`` rounds
that alternate between them query by query; each row reports the round with the median requests per second,
and every round's figure. rdflib-endpoint, far slower and holding the data in memory, runs alone afterwards,
once per row:

* **kgexplorer**: ``kgexplorer --store DIR serve`` (an on-disk store built by ``kgexplorer load``), the guard on,
  the query workers sandboxed, with its defaults except ``client_queries`` (wrk's connections all come from
  127.0.0.1, which is one client to the endpoint: it may have them all in progress) and
  ``client_query_workers`` 2 (of the 3 workers; one is kept for other clients, as always). On the distinct
  queries it runs a third time as an operator serving one heavy client would set it: ``client_query_workers``
  one more than the machine's cores and ``query_workers`` one more again (3 and 4 on 2 cores), so the client's
  next query can run while the front process hands over the last answer (docs/decisions/endpoint-hot-path.md,
  sixth pass), and one worker is still kept for others;
* **Oxigraph**: ``oxigraph serve-read-only`` (the ``oxigraph`` wheel's server, Rust) on a store pyoxigraph
  built from the same file, with ``--union-default-graph`` (kgexplorer queries the union too);
* **the Python floor**: a bare Starlette route that returns the bytes kgexplorer answered for the same query,
  served by uvicorn with the same settings as ``kgexplorer serve`` (``bench/floor.py``): what any Python
  endpoint costs before it does any work;
* **rdflib-endpoint**: ``rdflib-endpoint serve FILE`` (the ``rdflib-endpoint`` package's own command, in the
  ``bench`` dependency group): rdflib's in-memory ``Dataset`` with the default graph the union, parsed from the
  same triples (its command guesses the format from the file name and reads no gzip, so it gets the file
  unpacked into bench/out), behind FastAPI under uvicorn with that command's settings. Each query runs in the
  event loop's thread, one at a time; it remembers the parsed text of its last 128 queries, nothing else.

Queries: LUBM Q1 (cheap, 4 rows) and Q14 (result-heavy, 5,916 rows), as SPARQL JSON results. *repeated*
sends one text again and again (kgexplorer's result cache answers); *distinct* makes every request's text
new (a ``LIMIT`` that grows with each request, far above the row count, so the answer is the same), as real
users send: no cache helps, and kgexplorer's guard checks every one. Then kgexplorer again with
``guard_fast_path`` 0 (the full parse on every query) and ``result_cache_mb`` 0, to show what each part costs.

Before any measurement, every server's answer to each query is checked: status 200 and the LUBM README's row
count (Q1 4 rows, Q14 5,916). Results go to ``bench/out/endpoint.json`` (read by ``bench/report.py``).
``python -m bench.endpoint`` runs only this section.
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bench.ladder import LUBM_EXPECTED_ROWS
from bench.loopback import free_port

__all__ = ["run_endpoint_bench"]

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
OUT = ROOT / "bench" / "out"
WORK = OUT / "endpoint"
LUBM = ROOT.parent / "shared" / "data" / "lubm"
DATA = LUBM / "lubm1.nt.gz"
ACCEPT = "application/sparql-results+json"
#: The rows every server must answer (lubm/README.md, plain LUBM1) before its measurement counts.
EXPECTED_ROWS = {name: LUBM_EXPECTED_ROWS["LUBM1"][name] for name in ("Q1", "Q14")}
#: The kgexplorer settings of the measured server (see the module's description).
SERVE_SETTINGS = {"client_queries": "256", "client_query_workers": "2"}
#: The same server set for one heavy client on every core: a worker more than the cores, one kept for others.
EVERY_CORE = "kgexplorer, one client on every core"
_CORES = os.cpu_count() or 2
EVERY_CORE_SETTINGS = {"query_workers": str(_CORES + 2), "client_query_workers": str(_CORES + 1)}
#: The same server again with the full parse on every query and no result cache: what those two parts save.
FULL_GUARD = "kgexplorer, full guard, no cache"
FULL_GUARD_SETTINGS = {"guard_fast_path": "0", "result_cache_mb": "0"}

_LUA = r"""
local counter = 0
local tid = 0
local threads = {}
function urlencode(text)
  return (text:gsub("[^%w%-_%.~]", function(c) return string.format("%%%02X", string.byte(c)) end))
end
function setup(thread)
  table.insert(threads, thread)
  thread:set("tid", #threads)
end
function init(args)
  base = args[1]
  distinct = args[2] == "distinct"
  path = args[3]
  offset = tonumber(args[4] or "0")
  fixed = wrk.format("GET", path .. "?query=" .. urlencode(base), {["Accept"] = "ACCEPT"})
end
function request()
  if not distinct then return fixed end
  counter = counter + 1
  local q = base .. " LIMIT " .. tostring(10000000 + offset + tid * 1000000 + counter)
  return wrk.format("GET", path .. "?query=" .. urlencode(q), {["Accept"] = "ACCEPT"})
end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'KGX-RESULT {"requests": %d, "duration_s": %.3f, "bytes": %d, "non_2xx": %d, ' ..
    '"socket_errors": %d, "p50_ms": %.3f, "p95_ms": %.3f, "p99_ms": %.3f, "max_ms": %.3f}\n',
    summary.requests, summary.duration / 1e6, summary.bytes, e.status, e.connect + e.read + e.write + e.timeout,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000))
end
""".replace("ACCEPT", ACCEPT)


def _query(name: str) -> str:
    """A LUBM query with its comment lines dropped (the same text for every server)."""
    text = (LUBM / "queries" / f"{name}.rq").read_text(encoding="utf-8")
    return "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#")).strip()


def _wait(url: str, proc: subprocess.Popen[bytes], what: str, timeout_s: float = 180.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} ended with exit code {proc.returncode} before it answered")
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status < 500:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"{what} did not answer {url} within {timeout_s:g} s")


@contextmanager
def _server(command: list[str], log: Path, env: dict[str, str] | None = None) -> Iterator[subprocess.Popen[bytes]]:
    with log.open("wb") as out:
        proc = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=env, start_new_session=True)
        try:
            yield proc
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
                try:
                    proc.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait()


def _get(url: str, query: str) -> tuple[int, bytes]:
    request = urllib.request.Request(f"{url}?{urllib.parse.urlencode({'query': query})}", headers={"Accept": ACCEPT})
    with urllib.request.urlopen(request, timeout=60) as r:
        return r.status, r.read()


def _rows(body: bytes) -> int:
    """The number of rows of a SPARQL JSON results document."""
    document: dict[str, Any] = json.loads(body)
    return len(document["results"]["bindings"])


def _wrk(url: str, query: str, mode: str, *, connections: int, seconds: int, round_: int = 0) -> dict[str, Any]:
    """``url`` is the query URL (…/sparql, or Oxigraph's …/query); ``round_`` moves the distinct texts' LIMITs
    to a range of their own."""
    base, path = url.rsplit("/", 1)
    script = WORK / "endpoint.lua"
    command = ["wrk", "-t", "2", "-c", str(connections), "-d", f"{seconds}s", "--timeout", "30s", "--latency"]
    command += ["-s", str(script), base, "--", query, mode, "/" + path, str(round_ * 100_000_000)]
    out = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 120, check=False).stdout
    line = next((x for x in out.splitlines() if x.startswith("KGX-RESULT ")), None)
    if line is None:
        raise RuntimeError(f"wrk gave no result: {out[-2000:]}")
    result: dict[str, Any] = json.loads(line.removeprefix("KGX-RESULT "))
    result["req_s"] = result["requests"] / max(result["duration_s"], 1e-9)
    return result


def _run_record(
    system: str, query: str, mode: str, answer: tuple[int, int], results: list[dict[str, Any]]
) -> dict[str, Any]:
    """One row of the report: the round with the median requests per second (its latencies with it), and every
    round's requests per second."""
    ordered = sorted(results, key=lambda r: r["req_s"])
    median = ordered[(len(ordered) - 1) // 2]
    run = {"system": system, "query": query, "mode": mode, "answer_bytes": answer[0], "rows": answer[1]}
    return {**run, **median, "rounds_req_s": [r["req_s"] for r in results]}


def _build_stores(progress: Any) -> tuple[Path, Path]:
    kgx, oxi = WORK / "kgx-store", WORK / "oxigraph-store"
    for path in (kgx, oxi):
        shutil.rmtree(path, ignore_errors=True)
    progress("endpoint: building the stores (kgexplorer load; pyoxigraph bulk_load)")
    subprocess.run(
        [sys.executable, "-m", "kgexplorer.cli.commands", "load", str(DATA), "--store", str(kgx)],
        check=True,
        capture_output=True,
    )
    import pyoxigraph as ox

    store = ox.Store(str(oxi))
    with gzip.open(DATA, "rb") as f:
        store.bulk_load(f, format=ox.RdfFormat.N_TRIPLES)
    store.flush()
    store.optimize()
    del store
    return kgx, oxi


def _kgx_command(store: Path, port: int, extra: dict[str, str] | None = None) -> list[str]:
    command = [sys.executable, "-m", "kgexplorer.cli.commands", "--store", str(store)]
    for name, value in {**SERVE_SETTINGS, **(extra or {})}.items():
        command += ["--setting", name, value]
    return [*command, "serve", "--port", str(port)]


def _rdflib_endpoint(measure: Any, progress: Any) -> dict[str, Any]:
    """Serve the LUBM1 triples with ``rdflib-endpoint serve`` and measure it as the others; returns how it ran."""
    command = Path(sys.executable).with_name("rdflib-endpoint")
    if not command.exists():
        raise RuntimeError("rdflib-endpoint is not installed: pip install --group bench (make bench does)")
    from importlib.metadata import version

    # Its command parses each file with rdflib's format guess from the name and no gzip: the file unpacked.
    unpacked = WORK / DATA.name.removesuffix(".gz")
    with gzip.open(DATA, "rb") as src, unpacked.open("wb") as dst:
        shutil.copyfileobj(src, dst)
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    started = time.monotonic()
    try:
        serve = [str(command), "serve", str(unpacked), "--host", "127.0.0.1", "--port", str(port)]
        with _server(serve, WORK / "rdflib-endpoint.log") as proc:
            _wait(f"{url}?query=ASK%7B%7D", proc, "rdflib-endpoint serve")
            ready_s = time.monotonic() - started
            progress(f"endpoint: rdflib-endpoint answered after {ready_s:.1f} s (parsing the file)")
            runs = measure("rdflib-endpoint", url, ("Q1", "Q14"), ("repeated", "distinct"))
    finally:
        unpacked.unlink(missing_ok=True)
    return {"version": version("rdflib-endpoint"), "rdflib": version("rdflib"), "ready_s": ready_s, "runs": runs}


def run_endpoint_bench(
    *, seconds: int = 6, rounds: int = 3, connections: int = 8, progress: Any = print
) -> dict[str, Any]:
    """Run the endpoint section; return its results (also written to bench/out/endpoint.json)."""
    if shutil.which("wrk") is None:
        raise RuntimeError("wrk is not installed: apt-get install -y wrk (Debian)")
    oxigraph = Path(sys.executable).with_name("oxigraph")
    if not oxigraph.exists():
        raise RuntimeError("the oxigraph server is missing: pip install oxigraph (the wheel ships the binary)")
    WORK.mkdir(parents=True, exist_ok=True)
    (WORK / "endpoint.lua").write_text(_LUA, encoding="utf-8")
    started = time.monotonic()
    kgx_store, oxi_store = _build_stores(progress)
    queries = {"Q1": _query("q1"), "Q14": _query("q14")}
    answers: dict[tuple[str, str], tuple[int, int]] = {}  # (system, query): answer bytes, rows
    urls: dict[str, str] = {}

    def check(system: str, url: str) -> dict[str, bytes]:
        """Each query's answer from ``url``, checked; remembered with the URL under ``system``."""
        bodies = {}
        for name, text in queries.items():
            status, body = _get(url, text)
            if status != 200:
                raise RuntimeError(f"{system} answered {status} to {name}")
            # The same answer from every server, or its speed means nothing (the bytes differ: each serialises
            # its own way).
            rows = _rows(body)
            if rows != EXPECTED_ROWS[name]:
                raise RuntimeError(f"{system} answered {rows} rows to {name}, not {EXPECTED_ROWS[name]}")
            answers[system, name] = (len(body), rows)
            bodies[name] = body
        urls[system] = url
        return bodies

    def measure(system: str, url: str, names: tuple[str, ...], modes: tuple[str, ...]) -> list[dict[str, Any]]:
        """One server alone (rdflib-endpoint): each query and mode once."""
        check(system, url)
        done = []
        for name in names:
            for mode in modes:
                progress(f"endpoint: {system} {name} {mode}")
                result = _wrk(url, queries[name], mode, connections=connections, seconds=seconds)
                done.append(_run_record(system, name, mode, answers[system, name], [result]))
        return done

    kgx = "kgexplorer"
    plan = [  # (query, mode): the systems measured, one after the other, in every round
        (name, mode, systems)
        for name in queries
        for mode, systems in (
            ("repeated", (kgx, "Oxigraph")),
            ("distinct", (kgx, EVERY_CORE, FULL_GUARD, "Python floor", "Oxigraph")),
        )
    ]
    # Every server runs at once, each idle while another is measured, and the rounds alternate between them:
    # the machine is shared, and its speed drifts over minutes; a ratio of medians over alternating rounds
    # holds still where one run of each after the other did not (Q14 against Oxigraph read 1.38-1.48x on the
    # same code in one run of the sequential plan, 1.2x in rounds alternated by hand).
    measured: dict[tuple[str, str, str], list[dict[str, Any]]] = {}
    with contextlib.ExitStack() as servers:

        def serve(
            system: str,
            command: Callable[[int], list[str]],
            log: str,
            *,
            ready: str,
            path: str,
            env: dict[str, str] | None = None,
        ) -> dict[str, bytes]:
            """Start ``system``'s server on a free port, wait until ``ready`` answers; its checked answers."""
            port = free_port()
            base = f"http://127.0.0.1:{port}"
            proc = servers.enter_context(_server(command(port), WORK / log, env))
            _wait(base + ready, proc, system)
            return check(system, base + path)

        def serve_kgx(system: str, log: str, extra: dict[str, str] | None = None) -> dict[str, bytes]:
            """``kgexplorer serve`` on the store with the bench's settings and ``extra``; its checked answers."""
            return serve(
                system,
                lambda port: _kgx_command(kgx_store, port, extra),
                log,
                ready="/service-description",
                path="/sparql",
            )

        for name, body in serve_kgx(kgx, "kgx.log").items():  # kgexplorer's answers are the floor's bytes
            (WORK / f"{name}.json").write_bytes(body)
        serve_kgx(EVERY_CORE, "kgx-every-core.log", EVERY_CORE_SETTINGS)
        serve_kgx(FULL_GUARD, "kgx-full-guard.log", FULL_GUARD_SETTINGS)
        floor = ["-m", "bench.floor", "--media-type", ACCEPT, "--body", f"UndergraduateStudent={WORK / 'Q14.json'}"]
        floor += ["--body", f"={WORK / 'Q1.json'}"]
        serve(
            "Python floor",
            lambda port: [sys.executable, *floor, "--port", str(port)],
            "floor.log",
            ready="/sparql?query=ASK",
            path="/sparql",
            env={**os.environ, "PYTHONPATH": str(ROOT)},  # bench.floor is imported from the checkout
        )
        oxi = [str(oxigraph), "serve-read-only", "--location", str(oxi_store), "--union-default-graph"]
        serve(
            "Oxigraph",
            lambda port: [*oxi, "--bind", f"127.0.0.1:{port}"],
            "oxigraph.log",
            ready="/query?query=ASK%7B%7D",
            path="/query",
        )
        for round_ in range(rounds):
            for name, mode, systems in plan:
                for system in systems:
                    progress(f"endpoint: round {round_ + 1}/{rounds} {system} {name} {mode}")
                    # Each round's distinct texts are new to every server (no answer cached in an earlier round).
                    run = _wrk(
                        urls[system], queries[name], mode, connections=connections, seconds=seconds, round_=round_
                    )
                    measured.setdefault((system, name, mode), []).append(run)
        with urllib.request.urlopen(f"{urls[kgx].removesuffix('/sparql')}/metrics", timeout=10) as r:
            metrics = r.read().decode("utf-8")
    runs = [
        _run_record(system, name, mode, answers[system, name], measured[system, name, mode])
        for name, mode, systems in plan
        for system in systems
    ]
    shutil.rmtree(kgx_store, ignore_errors=True)
    shutil.rmtree(oxi_store, ignore_errors=True)
    try:
        rdflib_endpoint = _rdflib_endpoint(measure, progress)
        runs += rdflib_endpoint.pop("runs")
    except (RuntimeError, OSError, subprocess.SubprocessError, ValueError, KeyError) as exc:  # reported as such
        rdflib_endpoint = {"error": f"{type(exc).__name__}: {exc}"}
    from .mixed_load import run_mixed_load

    try:
        mixed = run_mixed_load(progress=progress)
    except (RuntimeError, OSError, subprocess.SubprocessError, ValueError) as exc:  # reported as not measured
        mixed = {"error": f"{type(exc).__name__}: {exc}"}
    results = {
        "data": DATA.name,
        "connections": connections,
        "seconds": seconds,
        "rounds": rounds,
        "settings": SERVE_SETTINGS,
        "every_core_settings": EVERY_CORE_SETTINGS,
        "runs": runs,
        "mixed_load": mixed,
        "rdflib_endpoint": rdflib_endpoint,
        "kgexplorer_metrics": [x for x in metrics.splitlines() if any(w in x for w in ("cache", "answered", "guard_"))],
        "wall_s": time.monotonic() - started,
    }
    (OUT / "endpoint.json").write_text(json.dumps(results, indent=1), encoding="utf-8")
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.endpoint", description=__doc__)
    parser.add_argument("--seconds", type=int, default=6, help="duration of each wrk run")
    parser.add_argument("--rounds", type=int, default=3, help="rounds alternating between the servers")
    parser.add_argument("--connections", type=int, default=8, help="wrk connections")
    args = parser.parse_args(argv)
    results = run_endpoint_bench(seconds=args.seconds, rounds=args.rounds, connections=args.connections)
    for r in results["runs"]:
        print(
            f"{r['system']:<38} {r['query']:<4} {r['mode']:<9} {r['req_s']:>9.0f} req/s  p95 {r['p95_ms']:.1f} ms "
            f"non-2xx {r['non_2xx']} socket errors {r['socket_errors']}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
