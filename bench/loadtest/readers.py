"""``python -m bench.loadtest.readers``: the endpoint's memory while clients ask for big answers and never read.

Starts ``kgexplorer serve`` on a free 127.0.0.1 port, then has ``--clients`` clients, each from its own
loopback address (127.0.0.11, .12 …), send one query whose answer is big and never read a byte of it
(a 4 KiB receive buffer, then nothing), while one more client (127.0.0.9) asks a quick query every half
second. It samples the resident memory (VmRSS) of the server process and of its query workers every
50 ms for ``--seconds`` and reports the peaks above the idle server, and the quick client's latencies.

Two answers, each built by the query from the bundled graph (no data file needed):

* ``over``: 40 rows of 5 MiB (a 210 MB SPARQL JSON answer, the case in the security issue), over the
  default max_result_mb of 32;
* ``under``: 40 rows of 640 KiB (a 26 MB answer), under it.

``--src DIR`` runs the server from another source tree (e.g. an export of an older commit) with this
environment's packages, to measure before and after a change the same way. The report is printed as a
Markdown table and written to bench/out/readers.json.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
from pathlib import Path
from typing import Any

from bench.loopback import free_port

__all__ = ["big_rows", "main", "process_rss"]

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "bench" / "out"
ANSWERS = {"over": (40, 5, 10), "under": (40, 5, 7)}


def big_rows(rows: int, kib: int, doublings: int) -> str:
    """A query whose ``rows`` rows each hold one value of ``kib`` KiB doubled ``doublings`` times."""
    numbers = " ".join(str(i) for i in range(1, rows + 1))
    query = f'SELECT ?v WHERE {{ VALUES ?n {{ {numbers} }} BIND(CONCAT(STR(?n), "{"x" * (kib * 1024)}") AS ?a0)'
    for i in range(doublings):
        query += f" BIND(CONCAT(?a{i}, ?a{i}) AS ?a{i + 1})"
    return query + f" BIND(?a{doublings} AS ?v) }}"


def process_rss(pid: int) -> int:
    """Resident memory of one process in bytes (0 once it is gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def _children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def _request(query: str, port: int) -> bytes:
    body = urllib.parse.urlencode({"query": query}).encode("ascii")
    head = (
        f"POST /sparql HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAccept: application/sparql-results+json\r\n"
        f"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    return head.encode("ascii") + body


def non_reader(address: str, port: int, query: str) -> socket.socket:
    """A connection from ``address`` that sends ``query`` and then never reads."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.bind((address, 0))
    sock.connect(("127.0.0.1", port))
    sock.sendall(_request(query, port))
    return sock


def _ask(port: int) -> tuple[int, float]:
    """One quick query from 127.0.0.9: its status and seconds."""
    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", port), timeout=60, source_address=("127.0.0.9", 0)) as sock:
        sock.sendall(_request("ASK { kg:ketamine a kgx:Substance }", port).replace(b"HTTP/1.1", b"HTTP/1.0", 1))
        reply = b""
        while chunk := sock.recv(65536):
            reply += chunk
    status = int(reply.split(b" ", 2)[1]) if reply.startswith(b"HTTP/") else 0
    return status, time.monotonic() - started


def _wait_ready(port: int, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 180
    while True:
        if proc.poll() is not None:
            raise SystemExit(f"kgexplorer serve exited with code {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=2) as sock:
                sock.sendall(f"GET /service-description HTTP/1.0\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode("ascii"))
                if sock.recv(12).startswith(b"HTTP/1.1 200"):
                    return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise SystemExit("kgexplorer serve did not start within 180 s")
        time.sleep(0.2)


def measure(answer: str, *, clients: int, seconds: float, src: Path | None) -> dict[str, Any]:
    """Run one scenario and return its figures."""
    port = free_port()
    env = dict(os.environ)
    if src is not None:
        env["PYTHONPATH"] = str(src)
    command = [sys.executable, "-m", "kgexplorer.cli.commands", "serve", "--port", str(port)]
    proc = subprocess.Popen(
        command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    sockets: list[socket.socket] = []
    try:
        _wait_ready(port, proc)
        time.sleep(1)
        workers = _children(proc.pid)
        idle_front, idle_workers = process_rss(proc.pid), sum(process_rss(w) for w in workers)
        query = big_rows(*ANSWERS[answer])
        peaks = {"front": 0, "workers": 0}
        quick: list[tuple[int, float]] = []
        stop = threading.Event()

        def asker() -> None:
            while not stop.is_set():
                quick.append(_ask(port))
                stop.wait(0.5)

        thread = threading.Thread(target=asker)
        sockets = [non_reader(f"127.0.0.{11 + i}", port, query) for i in range(clients)]
        thread.start()
        started = time.monotonic()
        while time.monotonic() - started < seconds:
            front = process_rss(proc.pid)
            tree = sum(process_rss(w) for w in _children(proc.pid))
            peaks["front"] = max(peaks["front"], front)
            peaks["workers"] = max(peaks["workers"], tree)
            time.sleep(0.05)
        stop.set()
        thread.join(timeout=120)
        mib = 1 << 20
        return {
            "answer": answer,
            "clients": clients,
            "seconds": seconds,
            "source": str(src) if src else "this checkout",
            "idle_front_mib": round(idle_front / mib, 1),
            "idle_workers_mib": round(idle_workers / mib, 1),
            "peak_front_mib": round(peaks["front"] / mib, 1),
            "peak_workers_mib": round(peaks["workers"] / mib, 1),
            "peak_total_mib": round((peaks["front"] + peaks["workers"]) / mib, 1),
            "quick_statuses": sorted({s for s, _ in quick}),
            "quick_queries": len(quick),
            "quick_max_s": round(max((t for _, t in quick), default=0.0), 2),
        }
    finally:
        for sock in sockets:
            sock.close()
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=30)


def main(argv: list[str] | None = None) -> int:
    """Run the scenarios and print the table."""
    parser = argparse.ArgumentParser(prog="python -m bench.loadtest.readers", description=__doc__)
    parser.add_argument("--clients", type=int, default=5, help="clients that never read (default 5)")
    parser.add_argument("--seconds", type=float, default=20, help="how long to watch each scenario (default 20)")
    parser.add_argument("--answer", choices=sorted(ANSWERS), action="append", help="scenario(s); default both")
    parser.add_argument("--src", type=Path, help="run the server from this source tree (its src/ folder)")
    parser.add_argument("--out", type=Path, default=OUT / "readers.json", help="where to write the figures")
    args = parser.parse_args(argv)
    results = [
        measure(a, clients=args.clients, seconds=args.seconds, src=args.src) for a in (args.answer or ["over", "under"])
    ]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print("| answer | source | idle server MiB | peak server MiB | peak workers MiB | quick statuses | quick max s |")
    print("| --- | --- | ---: | ---: | ---: | --- | ---: |")
    for r in results:
        print(
            f"| {r['answer']} | {r['source']} | {r['idle_front_mib']} | {r['peak_front_mib']} | "
            f"{r['peak_workers_mib']} | {r['quick_statuses']} | {r['quick_max_s']} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
