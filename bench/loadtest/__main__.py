"""``python -m bench.loadtest``: can one user starve the rest? The endpoint under cheap queries from 18
clients while 0, then 1, then 2 other clients send runaway queries, with 20 users on the app all along.

It starts ``kgexplorer serve`` and ``streamlit run app.py`` on free 127.0.0.1 ports, then runs three phases
of ``--duration`` / 3 seconds each. In each, ``bench.loadtest.clients`` (asyncio; every client from its own
loopback address, since the endpoint shares its workers per client address) runs:

* ``cheap``: ``--cheap`` clients, one connection each, sending the app's kind of queries (SELECT, ASK,
  CONSTRUCT, DESCRIBE, an aggregate, a text filter), every text distinct so no cache helps; every
  answer must be 200, and the 95th percentile must stay under 1 s;
* ``runaway``: 0, 1, then 2 clients, each with ``--runaway-connections`` connections, sending runaway
  queries back to back (a cartesian product, an ORDER BY over a huge join, a costly REGEX); every
  answer must be 422 (stopped at the time limit) or 429 (over the client's share).

All along, ``wrk`` (Debian's: ``apt-get install -y wrk``) runs the ``app`` stream: ``--users`` connections
loading the app's page shell, its static assets, ``/_stcore/health`` and ``/_stcore/host-config``; every
answer must be 200. Streamlit draws pages over a websocket, which an HTTP load tool cannot speak, so
this measures the app server's HTTP side only. After each phase the runner reads the endpoint's
``/metrics`` (responses by status and type, refusals by reason), so every error the server gave is
counted beside what the clients saw.

Everything is bounded: each phase ends at its duration, and the runner kills anything still running
180 s after the end. The report goes to bench/out/loadtest.json and bench/out/loadtest.md; the exit code
is 1 when any answer was not the expected one or a phase's cheap p95 reached 1 s.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.loopback import free_port

__all__ = ["main"]

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
OUT = ROOT / "bench" / "out"
EXPECTED = {"cheap": {200}, "runaway": {422, 429}, "app": {200}}
P95_LIMIT_MS = 1000.0


def _wait_for(url: str, proc: subprocess.Popen[bytes], what: str, *, timeout_s: float = 180) -> None:
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5) as reply:
                if reply.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        if proc.poll() is not None:
            raise SystemExit(f"{what} exited with code {proc.returncode} before it answered")
        if time.monotonic() > deadline:
            raise SystemExit(f"{what} did not answer {url} within {timeout_s:.0f} s")
        time.sleep(0.2)


def _stop(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM to the process group the runner started, SIGKILL after 20 s."""
    if proc.poll() is not None:
        return
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=20)


@contextmanager
def _server(command: list[str], logs: Path, name: str, env: dict[str, str] | None = None) -> Any:
    with (logs / f"{name}.out").open("wb") as out, (logs / f"{name}.err").open("wb") as err:
        proc = subprocess.Popen(
            command, stdout=out, stderr=err, stdin=subprocess.DEVNULL, cwd=ROOT, start_new_session=True, env=env
        )
    try:
        yield proc
    finally:
        _stop(proc)


def _static_assets(base: str) -> list[str]:
    """The script and style sheets the app's page shell loads (paths under /static/)."""
    with urllib.request.urlopen(base + "/", timeout=10) as reply:
        page = reply.read().decode("utf-8", "replace")
    found = re.findall(r'(?:src|href)="\.?(/?static/[^"]+\.(?:js|css))"', page)
    return sorted({"/" + p.lstrip("/") for p in found})


def _wrk(name: str, url: str, *, connections: int, threads: int, duration: int, extra: list[str]) -> list[str]:
    script = HERE / f"{name}.lua"
    command = ["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{duration}s", "--timeout", "30s"]
    command += ["--latency", "-s", str(script), url]
    return command + (["--", *extra] if extra else [])


def _result(text: str, name: str) -> dict[str, Any]:
    for line in text.splitlines():
        if line.startswith("KGX-RESULT "):
            data: dict[str, Any] = json.loads(line.removeprefix("KGX-RESULT "))
            return data
    raise SystemExit(f"wrk ({name}) printed no result; its output:\n{text[-2000:]}")


def _unexpected(result: dict[str, Any]) -> int:
    wanted = EXPECTED[result["name"]]
    wrong = sum(n for status, n in result["statuses"].items() if int(status) not in wanted)
    return wrong + sum(result["socket_errors"].values())


def _metrics(base: str) -> dict[str, int]:
    """The endpoint's counters (/metrics) as ``name{labels}`` -> value (empty for a server without them)."""
    try:
        with urllib.request.urlopen(base + "/metrics", timeout=30) as reply:
            text = reply.read().decode("utf-8")
    except urllib.error.HTTPError:  # an older kgexplorer (--src) has no /metrics
        return {}
    counts = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            key, _, value = line.rpartition(" ")
            counts[key] = int(float(value))
    return counts


def _idle(base: str, timeout_s: float) -> None:
    """Wait until no query runs or waits (the runaways cancelled at a phase's end finish on the server)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        counts = _metrics(base)
        if not counts:  # no /metrics to ask: wait out the longest a runaway can still run
            time.sleep(timeout_s / 3 + 2)
            return
        if not counts.get('kgexplorer_queries{what="workers_busy"}') and not counts.get(
            'kgexplorer_queries{what="queries_waiting"}'
        ):
            return
        time.sleep(0.5)


def _server_counts(before: dict[str, int], after: dict[str, int]) -> dict[str, int]:
    """What the server counted during a phase: responses by status and type, refusals by reason."""
    keep = ("kgexplorer_responses_total", 'kgexplorer_queries{what="refused', 'kgexplorer_queries{what="timeout')
    return {k: v - before.get(k, 0) for k, v in after.items() if k.startswith(keep) and v - before.get(k, 0)}


def _cells(r: dict[str, Any]) -> str:
    lat = r["latency_ms"]
    statuses = ", ".join(f"{k}: {v:,}" for k, v in sorted(r["statuses"].items()))
    rate = r["requests"] / r["duration_s"] if r["duration_s"] else 0
    return (
        f"{r['requests']:,} | {rate:.1f} | {lat['p50']:.1f} | {lat['p95']:.1f} | {lat['p99']:.1f} | "
        f"{lat['max']:.1f} | {statuses} | {r['unexpected']} |"
    )


def _markdown(report: dict[str, Any]) -> str:
    head = [
        "| stream | connections | requests | requests/s | p50 ms | p95 ms | p99 ms | max ms | statuses | unexpected |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: |",
    ]
    lines = [
        f"# Load test ({report['started']})",
        "",
        f"{report['cheap']} clients sending distinct cheap queries to the SPARQL endpoint, each from its own "
        f"loopback address, while 0, 1 and 2 other clients send runaway queries ({report['runaway_connections']} "
        f"connections each), {report['phase_s']} s per phase; {report['users']} users on the app all along "
        f"(query_time_limit_s = {report['query_time_limit_s']} s). Machine: {report['cpus']} CPUs. Server: "
        f"{report['server_source']}.",
        "",
        "Cheap queries, by the number of clients sending runaways:",
        "",
        "| runaway clients | cheap requests | requests/s | p50 ms | p95 ms | p99 ms | max ms | statuses | unexpected |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: |",
    ]
    for phase in report["phases"]:
        lines.append(f"| {phase['runaway_clients']} | {_cells(phase['streams'][0])}")
    lines += ["", "Every stream:", "", *head]
    for phase in report["phases"]:
        for r in phase["streams"]:
            label = f"{r['name']} ({phase['runaway_clients']} runaway clients)"
            lines.append(f"| {label} | {r['connections']} | {_cells(r)}")
    lines.append(f"| app (all phases) | {report['app']['connections']} | {_cells(report['app'])}")
    lines += ["", "What the server counted (/metrics), by phase:", ""]
    for phase in report["phases"]:
        counted = ", ".join(f"`{k}` {v:,}" for k, v in sorted(phase["server_counts"].items()))
        lines.append(f"* {phase['runaway_clients']} runaway clients: {counted}")
    lines += [
        "",
        f"Verdict: {report['verdict']}.",
        "",
        "Expected answers: cheap 200, runaway 422 (QueryTimeout/QueryTooLarge) or 429 (TooManyQueries: over the "
        'client\'s share), app 200. "unexpected" counts any other status and every socket error (connect, read, '
        "write, timeout). The server's counts include the runaways still running when a phase ended, which "
        "the clients stopped waiting for.",
    ]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Run the load test and return the exit code (0: every answer as expected, every cheap p95 under 1 s)."""
    parser = argparse.ArgumentParser(prog="python -m bench.loadtest", description=__doc__)
    parser.add_argument("--duration", type=int, default=300, help="seconds of load, all phases (default 300)")
    parser.add_argument("--users", type=int, default=20, help="connections on the app (default 20)")
    parser.add_argument("--cheap", type=int, default=18, help="clients sending cheap queries (default 18)")
    parser.add_argument("--runaway-connections", type=int, default=2, help="connections per runaway client")
    parser.add_argument("--time-limit", type=float, default=10.0, help="the endpoint's query_time_limit_s")
    parser.add_argument("--out", type=Path, default=OUT, help="folder for loadtest.json, loadtest.md and logs")
    parser.add_argument("--src", type=Path, help="run kgexplorer serve from this source tree (its src/ folder)")
    args = parser.parse_args(argv)
    if shutil.which("wrk") is None:
        print("wrk is not installed: apt-get install -y wrk (Debian)", file=sys.stderr)
        return 2
    logs = args.out / "loadtest-logs"
    logs.mkdir(parents=True, exist_ok=True)
    phases = (0, 1, 2)
    phase_s = max(1, args.duration // len(phases))
    endpoint_port, app_port = free_port(), free_port()
    serve = [sys.executable, "-m", "kgexplorer.cli.commands", "--setting", "query_time_limit_s", str(args.time_limit)]
    serve += ["serve", "--port", str(endpoint_port)]
    streamlit = [str(Path(sys.executable).with_name("streamlit")), "run", str(ROOT / "app.py")]
    streamlit += ["--server.port", str(app_port), "--server.address", "127.0.0.1", "--server.headless", "true"]
    streamlit += ["--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"]
    started = datetime.now(UTC).isoformat(timespec="seconds")
    results: list[dict[str, Any]] = []
    serve_env = {**os.environ, "PYTHONPATH": str(args.src)} if args.src else None
    with _server(serve, logs, "serve", serve_env) as endpoint, _server(streamlit, logs, "streamlit") as app:
        endpoint_url, app_url = f"http://127.0.0.1:{endpoint_port}", f"http://127.0.0.1:{app_port}"
        _wait_for(f"{endpoint_url}/service-description", endpoint, "kgexplorer serve")
        _wait_for(f"{app_url}/_stcore/health", app, "streamlit")
        assets = _static_assets(app_url)
        total = phase_s * len(phases)
        app_cmd = _wrk("app", app_url, connections=args.users, threads=2, duration=total, extra=assets)
        app_proc = subprocess.Popen(app_cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + total + 180
        for runaways in phases:
            before = _metrics(endpoint_url)
            command = [sys.executable, "-m", "bench.loadtest.clients", "--port", str(endpoint_port)]
            command += ["--cheap", str(args.cheap), "--runaways", str(runaways), "--duration", str(phase_s)]
            command += ["--runaway-connections", str(args.runaway_connections)]
            clients = subprocess.Popen(
                command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, cwd=ROOT, start_new_session=True
            )
            try:
                out, _ = clients.communicate(timeout=max(1.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                _stop(clients)  # type: ignore[arg-type]
                out, _ = clients.communicate()
            text = out.decode("utf-8", "replace")
            (logs / f"clients-{runaways}.txt").write_text(text, encoding="utf-8")
            streams = [
                json.loads(line.removeprefix("KGX-RESULT "))
                for line in text.splitlines()
                if line.startswith("KGX-RESULT ")
            ]
            if not streams:
                raise SystemExit(f"the load-test clients printed no result; their output:\n{text[-2000:]}")
            for stream in streams:
                stream["unexpected"] = _unexpected(stream)
            _idle(endpoint_url, args.time_limit * 3)
            results.append(
                {
                    "runaway_clients": runaways,
                    "streams": streams,
                    "server_counts": _server_counts(before, _metrics(endpoint_url)),
                }
            )
        try:
            app_out, _ = app_proc.communicate(timeout=max(1.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            _stop(app_proc)  # type: ignore[arg-type]
            app_out, _ = app_proc.communicate()
        app_text = app_out.decode("utf-8", "replace")
        (logs / "wrk-app.txt").write_text(app_text, encoding="utf-8")
    app_result = _result(app_text, "app")
    app_result["connections"] = args.users
    app_result["unexpected"] = _unexpected(app_result)
    slow = [p["runaway_clients"] for p in results if p["streams"][0]["latency_ms"]["p95"] >= P95_LIMIT_MS]
    wrong = sum(s["unexpected"] for p in results for s in p["streams"]) + app_result["unexpected"]
    if slow or wrong:
        verdict = f"not met: {wrong} unexpected answers; cheap p95 of 1 s or more with {slow} runaway clients"
    else:
        verdict = "met: every answer as expected, and every phase's cheap p95 under 1 s"
    report = {
        "started": started,
        "duration_s": phase_s * len(phases),
        "phase_s": phase_s,
        "users": args.users,
        "cheap": args.cheap,
        "runaway_connections": args.runaway_connections,
        "query_time_limit_s": args.time_limit,
        "cpus": os.cpu_count(),
        "server_source": str(args.src) if args.src else "this checkout",
        "wrk": subprocess.run(["wrk", "--version"], capture_output=True, text=True, check=False).stdout.split("\n")[0],
        "app_assets": assets,
        "phases": results,
        "app": app_result,
        "verdict": verdict,
    }
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "loadtest.json").write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    text = _markdown(report)
    (args.out / "loadtest.md").write_text(text, encoding="utf-8")
    print(text)
    return 0 if not slow and not wrong else 1


if __name__ == "__main__":
    sys.exit(main())
