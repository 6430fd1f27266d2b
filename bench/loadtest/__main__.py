"""``python -m bench.loadtest``: 20 users on the SPARQL endpoint and 20 on the app for 5 minutes, with a user
sending runaway queries all along; reports p50/p95 latency and every error. Stops by itself.

It starts ``kgexplorer serve`` and ``streamlit run app.py`` on free 127.0.0.1 ports, runs three ``wrk``
processes at once (Debian's wrk: ``apt-get install -y wrk``) with the Lua scripts beside this file, and
stops the servers by PID at the end:

* ``endpoint``: ``--users`` connections sending the app's kind of queries (SELECT, ASK, CONSTRUCT,
  DESCRIBE, the service description); every answer must be 200.
* ``runaway``: one connection sending runaway queries back to back (a cartesian product, an ORDER BY over
  a huge join, a costly REGEX); every answer must be 422 (QueryTimeout or QueryTooLarge).
* ``app``: ``--users`` connections loading the app's page shell, its static assets, ``/_stcore/health`` and
  ``/_stcore/host-config``; every answer must be 200. Streamlit draws pages over a websocket, which an
  HTTP load tool cannot speak, so this measures the app server's HTTP side only.

Everything is bounded: wrk stops after ``--duration`` seconds, and the runner kills anything still running
at ``--duration`` + 180 s. The report goes to bench/out/loadtest.json and bench/out/loadtest.md; the exit
code is 1 when any answer was not the expected one.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

__all__ = ["main"]

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
OUT = ROOT / "bench" / "out"
EXPECTED = {"endpoint": {200}, "runaway": {422}, "app": {200}}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


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
def _server(command: list[str], logs: Path, name: str) -> Any:
    with (logs / f"{name}.out").open("wb") as out, (logs / f"{name}.err").open("wb") as err:
        proc = subprocess.Popen(
            command, stdout=out, stderr=err, stdin=subprocess.DEVNULL, cwd=ROOT, start_new_session=True
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


def _markdown(report: dict[str, Any]) -> str:
    lines = [
        f"# Load test ({report['started']})",
        "",
        f"{report['users']} users on the SPARQL endpoint and {report['users']} on the app for "
        f"{report['duration_s']} s, with one user sending runaway queries all along "
        f"(query_time_limit_s = {report['query_time_limit_s']} s). Machine: {report['cpus']} CPUs.",
        "",
        "| stream | connections | requests | requests/s | p50 ms | p95 ms | p99 ms | max ms | statuses | unexpected |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: |",
    ]
    for r in report["streams"]:
        lat = r["latency_ms"]
        statuses = ", ".join(f"{k}: {v:,}" for k, v in sorted(r["statuses"].items()))
        rate = r["requests"] / r["duration_s"] if r["duration_s"] else 0
        lines.append(
            f"| {r['name']} | {r['connections']} | {r['requests']:,} | {rate:.1f} | {lat['p50']:.1f} | "
            f"{lat['p95']:.1f} | {lat['p99']:.1f} | {lat['max']:.1f} | {statuses} | {r['unexpected']} |"
        )
    lines += [
        "",
        'Expected answers: endpoint 200, runaway 422 (QueryTimeout/QueryTooLarge), app 200. "unexpected" '
        "counts any other status and every socket error (connect, read, write, timeout).",
        "The app stream loads the page shell, static assets, /_stcore/health and /_stcore/host-config; "
        "Streamlit renders pages over a websocket, which an HTTP load tool cannot drive.",
    ]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Run the load test and return the exit code (0: every answer was the expected one)."""
    parser = argparse.ArgumentParser(prog="python -m bench.loadtest", description=__doc__)
    parser.add_argument("--duration", type=int, default=300, help="seconds of load (default 300)")
    parser.add_argument("--users", type=int, default=20, help="concurrent connections per stream (default 20)")
    parser.add_argument("--time-limit", type=float, default=10.0, help="the endpoint's query_time_limit_s")
    parser.add_argument("--out", type=Path, default=OUT, help="folder for loadtest.json, loadtest.md and logs")
    args = parser.parse_args(argv)
    if shutil.which("wrk") is None:
        print("wrk is not installed: apt-get install -y wrk (Debian)", file=sys.stderr)
        return 2
    logs = args.out / "loadtest-logs"
    logs.mkdir(parents=True, exist_ok=True)
    endpoint_port, app_port = _free_port(), _free_port()
    serve = [sys.executable, "-m", "kgexplorer.cli", "--setting", "query_time_limit_s", str(args.time_limit)]
    serve += ["serve", "--port", str(endpoint_port)]
    streamlit = [str(Path(sys.executable).with_name("streamlit")), "run", str(ROOT / "app.py")]
    streamlit += ["--server.port", str(app_port), "--server.address", "127.0.0.1", "--server.headless", "true"]
    streamlit += ["--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"]
    started = datetime.now(UTC).isoformat(timespec="seconds")
    with _server(serve, logs, "serve") as endpoint, _server(streamlit, logs, "streamlit") as app:
        endpoint_url, app_url = f"http://127.0.0.1:{endpoint_port}", f"http://127.0.0.1:{app_port}"
        _wait_for(f"{endpoint_url}/service-description", endpoint, "kgexplorer serve")
        _wait_for(f"{app_url}/_stcore/health", app, "streamlit")
        assets = _static_assets(app_url)
        plans = {
            "endpoint": _wrk(
                "endpoint", endpoint_url, connections=args.users, threads=2, duration=args.duration, extra=[]
            ),
            "runaway": _wrk("runaway", endpoint_url, connections=1, threads=1, duration=args.duration, extra=[]),
            "app": _wrk("app", app_url, connections=args.users, threads=2, duration=args.duration, extra=assets),
        }
        running = {
            name: subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
            for name, cmd in plans.items()
        }
        outputs: dict[str, str] = {}
        deadline = time.monotonic() + args.duration + 180
        for name, proc in running.items():
            try:
                out, _ = proc.communicate(timeout=max(1.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                _stop(proc)  # type: ignore[arg-type]
                out, _ = proc.communicate()
            outputs[name] = out.decode("utf-8", "replace")
            (logs / f"wrk-{name}.txt").write_text(outputs[name], encoding="utf-8")
    streams = []
    for name, text in outputs.items():
        result = _result(text, name)
        result["connections"] = 1 if name == "runaway" else args.users
        result["unexpected"] = _unexpected(result)
        streams.append(result)
    report = {
        "started": started,
        "duration_s": args.duration,
        "users": args.users,
        "query_time_limit_s": args.time_limit,
        "cpus": os.cpu_count(),
        "wrk": subprocess.run(["wrk", "--version"], capture_output=True, text=True, check=False).stdout.split("\n")[0],
        "app_assets": assets,
        "streams": streams,
    }
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "loadtest.json").write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    text = _markdown(report)
    (args.out / "loadtest.md").write_text(text, encoding="utf-8")
    print(text)
    return 1 if any(s["unexpected"] for s in streams) else 0


if __name__ == "__main__":
    sys.exit(main())
