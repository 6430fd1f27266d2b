"""``python -m bench.loadtest.clients``: the endpoint's load-test clients, each from its own loopback address.

The endpoint shares its query workers per client, and a client is an address, so a fair test needs
clients at distinct addresses: wrk cannot choose its source address, so these clients are asyncio
connections bound to 127.0.0.x (Linux routes all of 127.0.0.0/8 to the loopback interface).

* ``--cheap N`` clients (127.0.0.11, .12 …), one keep-alive connection each, send the app's and a
  student's kinds of queries back to back: SELECT, ASK, CONSTRUCT, DESCRIBE, an aggregate and a text
  filter. Every text is distinct (a number in a LIMIT or a FILTER changes each time), so no cache helps:
  each one is checked by the guard and run by a worker. Every answer must be 200.
* ``--runaways R`` clients (127.0.0.101, .102 …), each with ``--runaway-connections`` connections, send
  runaway queries back to back (a cartesian product, an ORDER BY over a huge join, a costly REGEX) and
  never wait: the worst a client can do. Expected answers: 422 (stopped at the time limit) and 429 (over
  its share).

It runs for ``--duration`` seconds and prints one line ``KGX-RESULT {json}`` per stream, in the format
of the wrk scripts (bench/loadtest/common.lua): requests, latency percentiles in ms, statuses and
socket errors.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
import urllib.parse
from collections import Counter
from dataclasses import dataclass, field

__all__ = ["CHEAP", "RUNAWAYS", "main"]

CHEAP = (
    "SELECT ?s ?label WHERE {{ ?s a kgx:Substance ; rdfs:label ?label }} ORDER BY ?label LIMIT {n}",
    "ASK {{ kg:ketamine a kgx:Substance FILTER({n} > 0) }}",
    "SELECT ?c ?p ?o WHERE {{ ?c a kgx:Claim ; kgx:subject kg:ketamine ; kgx:predicate ?p ; kgx:object ?o }} LIMIT {n}",
    "CONSTRUCT {{ kg:ketamine ?p ?o }} WHERE {{ kg:ketamine ?p ?o }} LIMIT {n}",
    "DESCRIBE kg:alcohol_use_disorder LIMIT {n}",
    "SELECT ?level (COUNT(?c) AS ?n) WHERE {{ ?c a kgx:Claim ; kgx:evidenceLevel ?level }} GROUP BY ?level LIMIT {n}",
    'SELECT ?s ?l WHERE {{ ?s rdfs:label ?l FILTER(CONTAINS(LCASE(STR(?l)), "ket")) }} LIMIT {n}',
)
RUNAWAYS = (
    "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }",
    "SELECT ?a ?d WHERE { ?a ?b ?c . ?d ?e ?f } ORDER BY DESC(STR(?c)) ?f LIMIT 1",
    'SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f FILTER(REGEX(CONCAT(STR(?c), STR(?f)), "(a|aa)+z")) }',
)
_ACCEPT = "application/sparql-results+json, text/turtle"
_TIMEOUT_S = 60.0


@dataclass
class Stream:
    """What one stream of clients saw."""

    name: str
    connections: int
    latencies_ms: list[float] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)
    bytes: int = 0

    def result(self, duration_s: float) -> dict[str, object]:
        ordered = sorted(self.latencies_ms)

        def pct(p: float) -> float:
            return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))] if ordered else 0.0

        return {
            "name": self.name,
            "connections": self.connections,
            "requests": len(ordered),
            "duration_s": round(duration_s, 3),
            "bytes": self.bytes,
            "latency_ms": {
                "p50": round(pct(50), 2),
                "p90": round(pct(90), 2),
                "p95": round(pct(95), 2),
                "p99": round(pct(99), 2),
                "max": round(ordered[-1], 2) if ordered else 0.0,
                "mean": round(sum(ordered) / len(ordered), 2) if ordered else 0.0,
            },
            "socket_errors": {k: self.errors.get(k, 0) for k in ("connect", "read", "write", "timeout")},
            "statuses": {str(k): v for k, v in sorted(self.statuses.items())},
        }


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, int, bool]:
    """Status, body length and whether the server keeps the connection open."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:] if line)}
    if "content-length" in headers:
        size = int(headers["content-length"])
        await reader.readexactly(size)
    elif headers.get("transfer-encoding", "").lower() == "chunked":
        size = 0
        while True:
            length = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            await reader.readexactly(length + 2)
            size += length
            if length == 0:
                break
    else:
        size = len(await reader.read())
        return status, size, False
    return status, size, headers.get("connection", "").lower() != "close"


async def _client(
    stream: Stream,
    address: str,
    port: int,
    queries: tuple[str, ...],
    deadline: float,
    *,
    distinct: bool,
    seed: int,
    path: str = "/sparql",
    prologue: str = "",
) -> None:
    """One connection sending ``queries`` in turn until ``deadline`` (reconnecting when the server closes)."""
    counter = seed
    reader: asyncio.StreamReader | None = None
    writer: asyncio.StreamWriter | None = None
    while time.monotonic() < deadline:
        if writer is None:
            try:
                reader, writer = await asyncio.open_connection("127.0.0.1", port, local_addr=(address, 0))
            except OSError:
                stream.errors["connect"] += 1
                await asyncio.sleep(0.1)
                continue
        assert reader is not None
        counter += 1
        template = queries[counter % len(queries)]
        text = prologue + (template.format(n=1000 + counter) if distinct else template)
        target = path + "?" + urllib.parse.urlencode({"query": text})
        request = f"GET {target} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAccept: {_ACCEPT}\r\n\r\n".encode("ascii")
        started = time.monotonic()
        try:
            writer.write(request)
            await writer.drain()
            status, size, keep = await asyncio.wait_for(_read_response(reader), _TIMEOUT_S)
        except TimeoutError:
            stream.errors["timeout"] += 1
            keep = False
        except (OSError, asyncio.IncompleteReadError, ValueError):
            stream.errors["read"] += 1
            keep = False
        else:
            stream.latencies_ms.append((time.monotonic() - started) * 1000)
            stream.statuses[status] += 1
            stream.bytes += size
        if not keep:
            writer.close()
            writer = reader = None
    if writer is not None:
        writer.close()


async def run(
    port: int,
    *,
    cheap: int,
    runaways: int,
    runaway_connections: int,
    duration: float,
    path: str = "/sparql",
    prologue: str = "",
) -> list[Stream]:
    """Run the streams for ``duration`` seconds and return what they saw (``path``: the query URL's path;
    ``prologue``: PREFIX lines for a server that does not know kgexplorer's prefixes)."""
    where = {"path": path, "prologue": prologue}
    deadline = time.monotonic() + duration
    cheap_stream = Stream("cheap", cheap)
    runaway_stream = Stream("runaway", runaways * runaway_connections)
    tasks = [
        _client(cheap_stream, f"127.0.0.{11 + i}", port, CHEAP, deadline, distinct=True, seed=i * 10_000_000, **where)
        for i in range(cheap)
    ]
    tasks += [
        _client(runaway_stream, f"127.0.0.{101 + r}", port, RUNAWAYS, deadline, distinct=False, seed=c, **where)
        for r in range(runaways)
        for c in range(runaway_connections)
    ]
    running = [asyncio.ensure_future(t) for t in tasks]
    # Stop at the deadline: a runaway still waiting for its 422 then is not counted (nor its latency).
    _, late = await asyncio.wait(running, timeout=duration + 1)
    for task in late:
        task.cancel()
    await asyncio.gather(*late, return_exceptions=True)
    return [cheap_stream, runaway_stream] if runaways else [cheap_stream]


def main(argv: list[str] | None = None) -> int:
    """Run the clients and print one KGX-RESULT line per stream."""
    parser = argparse.ArgumentParser(prog="python -m bench.loadtest.clients", description=__doc__)
    parser.add_argument("--port", type=int, required=True, help="the endpoint's port on 127.0.0.1")
    parser.add_argument("--cheap", type=int, default=18, help="clients sending distinct cheap queries (default 18)")
    parser.add_argument("--runaways", type=int, default=2, help="clients sending runaway queries (default 2)")
    parser.add_argument("--runaway-connections", type=int, default=2, help="connections per runaway client")
    parser.add_argument("--duration", type=float, default=60, help="seconds (default 60)")
    parser.add_argument("--path", default="/sparql", help="the query URL's path (Oxigraph's is /query)")
    parser.add_argument("--prologue", default="", help="text put before every query (PREFIX lines)")
    args = parser.parse_args(argv)
    streams = asyncio.run(
        run(
            args.port,
            cheap=args.cheap,
            runaways=args.runaways,
            runaway_connections=args.runaway_connections,
            duration=args.duration,
            path=args.path,
            prologue=args.prologue,
        )
    )
    for stream in streams:
        print("KGX-RESULT " + json.dumps(stream.result(args.duration)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
