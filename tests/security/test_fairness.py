"""Promise 2, continued: one user cannot starve the rest. A real ``kgexplorer serve`` and real clients, each
from its own loopback address (the endpoint's clients are addresses).

Proven elsewhere, not repeated: the scheduler's rules one by one (tests/test_scheduler.py), a client over
its share getting 429 while another is answered, a full pool's 503 with Retry-After, X-Forwarded-For from
untrusted peers, the byte cap and a worker killed by huge rows as 4xx (tests/test_server.py,
tests/test_worker.py).
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.answers import big_rows
from tests.loopback import free_port

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("security_fairness")]

RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
ASK = "ASK { kg:ketamine a kgx:Substance }"


def _rss(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


def _request(query: str, port: int) -> bytes:
    body = urllib.parse.urlencode({"query": query}).encode("ascii")
    head = (
        f"POST /sparql HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/x-www-form-urlencoded\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    )
    return head.encode("ascii") + body


def _ask(port: int, source: str, query: str = ASK) -> tuple[int, dict[str, str], bytes]:
    """One query from ``source``, read whole: status, headers (lower-case names) and body."""
    with socket.create_connection(("127.0.0.1", port), timeout=120, source_address=(source, 0)) as sock:
        sock.sendall(_request(query, port))
        reply = b""
        while chunk := sock.recv(1 << 16):
            reply += chunk
    head, _, body = reply.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {k.lower(): v.strip() for k, v in (line.split(":", 1) for line in lines[1:])}
    return int(lines[0].split()[1]), headers, body


def _non_reader(port: int, source: str, query: str) -> socket.socket:
    """A client that sends ``query`` and never reads a byte of the answer (a 4 KiB receive buffer)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.bind((source, 0))
    sock.connect(("127.0.0.1", port))
    sock.sendall(_request(query, port))
    return sock


def _metrics(port: int) -> str:
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(f"GET /metrics HTTP/1.0\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode("ascii"))
        reply = b""
        while chunk := sock.recv(1 << 16):
            reply += chunk
    return reply.decode("utf-8")


Served = tuple[int, "subprocess.Popen[bytes]", Path]


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[Served]:
    """``kgexplorer serve`` with small limits: 16 MiB answers, one request per client, 4 s to read a chunk."""
    port = free_port()
    settings = {"max_result_mb": 16, "client_queries": 1, "client_stall_s": 4, "query_time_limit_s": 6}
    command = [sys.executable, "-m", "kgexplorer.cli.commands"]
    for name, value in settings.items():
        command += ["--setting", name, str(value)]
    err = (tmp_path / "serve.err").open("wb")
    proc = subprocess.Popen(
        [*command, "serve", "--port", str(port)], stdout=subprocess.DEVNULL, stderr=err, start_new_session=True
    )
    try:
        deadline = time.monotonic() + 120
        while True:
            assert proc.poll() is None, (tmp_path / "serve.err").read_text()
            try:
                if _ask(port, "127.0.0.1")[0] == 200:
                    break
            except OSError:
                assert time.monotonic() < deadline, "kgexplorer serve did not start"
                time.sleep(0.2)
        yield port, proc, tmp_path / "serve.err"
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        err.close()


def test_clients_that_never_read_hold_bounded_memory_and_no_worker(serve: Served) -> None:
    """Five clients ask for big answers and never read. Answers over max_result_mb are refused at once; the
    others are held whole (each at most max_result_mb), cost no worker, and are dropped after
    client_stall_s, which frees the client. Before: every answer was built in full, several copies each,
    and a client that never read kept it (1.26 GB for five clients of a 210 MB answer)."""
    port, proc, err = serve
    time.sleep(1)
    idle = _rss(proc.pid)
    # 40 MiB (over the 16 MiB cap) and 12 MiB answers; 12 MiB is more than the kernel's socket buffers
    # (tcp_wmem, 4 MiB at most) take, so the server itself must hold the rest.
    over, under = big_rows(40, 64, 4), big_rows(12, 64, 4)
    readers = [_non_reader(port, f"127.0.0.{11 + i}", over if i % 2 else under) for i in range(5)]
    try:
        peak = 0
        started = time.monotonic()
        while time.monotonic() - started < 2:
            peak = max(peak, _rss(proc.pid))
            time.sleep(0.05)
        status, _, body = _ask(port, "127.0.0.9")  # another client: answered, no worker is held
        assert (status, json.loads(body)["boolean"]) == (200, True)
        # A client whose unread answer is still held has its one request in progress: 429 at once.
        status, headers, body = _ask(port, "127.0.0.11")
        assert (status, json.loads(body)["setting"]) == (429, "client_queries")
        assert int(headers["retry-after"]) >= 1
        # The server held at most the three 12 MiB answers (measured: 59 MiB of growth, with what the
        # allocator keeps), never the two 40 MiB answers, which it built in several copies before.
        grown = max(peak, _rss(proc.pid)) - idle
        assert grown < 120 << 20, f"the server grew {grown >> 20} MiB"
        # Past client_stall_s from when each answer's sending stalled, the three unread answers are dropped and
        # their clients freed. When that is depends on when each answer was ready (on a loaded CI machine, seconds
        # later than here: a fixed 5 s wait once asked while the first was still held), so wait for the server
        # to say it dropped all three, then ask again.
        deadline = time.monotonic() + 60
        while err.read_text().count("(client_stall_s); its answer was dropped") < 3:
            assert time.monotonic() < deadline, f"the unread answers were not dropped: {err.read_text()}"
            time.sleep(0.1)
        assert _ask(port, "127.0.0.11")[0] == 200
        metrics = _metrics(port)
        assert 'kgexplorer_responses_total{status="422",type="ResultTooLarge"} 2' in metrics
        assert 'kgexplorer_responses_total{status="429",type="TooManyQueries"} 1' in metrics
    finally:
        for sock in readers:
            sock.close()


def test_two_runaway_clients_leave_a_worker_for_everyone_else(serve: Served) -> None:
    """Two clients send runaways (each from several connections); a third client's queries are answered in
    well under a second all along, and every refusal of the runaways is a 4xx with a reason."""
    port, _, _ = serve
    statuses: list[int] = []
    stop = threading.Event()

    def runaway(source: str) -> None:
        while not stop.is_set():
            statuses.append(_ask(port, source, RUNAWAY)[0])

    threads = [threading.Thread(target=runaway, args=(f"127.0.0.{n}",)) for n in (21, 21, 22, 22)]
    for t in threads:
        t.start()
    try:
        time.sleep(1)
        latencies = []
        for _ in range(10):
            started = time.monotonic()
            status, _, body = _ask(port, "127.0.0.30")
            latencies.append(time.monotonic() - started)
            assert (status, json.loads(body)["boolean"]) == (200, True)
            time.sleep(0.3)
        assert max(latencies) < 2.5, latencies
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=60)
    assert statuses, "the runaways sent nothing"
    assert set(statuses) <= {422, 429}, statuses
    assert 429 in statuses  # each runaway client's second connection is over its share
