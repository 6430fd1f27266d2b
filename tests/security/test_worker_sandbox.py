"""Defence in depth by the kernel (issue 12, point 1): a query worker cannot open a network connection, even
for a query the guard never refused.

These tests start workers without their guard (tests/altered_worker.py --no-guard) and send them a SERVICE aimed at
a recording loopback listener. Sandboxed, the worker reaches nothing and says why; the control, the same
worker with its sandbox switched off, reaches the listener exactly once. Every worker a pool starts,
including the one started after a runaway was killed, runs under the filter (``Seccomp: 2``).
"""

from __future__ import annotations

import logging
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from kgexplorer import KnowledgeGraph, QueryError, QueryNotAllowed, QueryTimeout, SandboxUnavailable, Settings
from kgexplorer.engine import query_workers as worker_module
from kgexplorer.engine.guard import _SEAL, QueryText, prepare_query
from kgexplorer.engine.query_workers import QueryWorkers
from kgexplorer.engine.sandbox import REFUSED
from kgexplorer.engine.store import StoreRecipe

from .support import Listener

pytestmark = pytest.mark.xdist_group("security_outbound")

ALTERED = str(Path(__file__).resolve().parents[1] / "altered_worker.py")
RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
EMPTY = StoreRecipe(label="an empty store")


def unchecked(text: str) -> QueryText:
    """A query as the worker receives it, made without the caller's screen (which would refuse SERVICE)."""
    return QueryText(text, _SEAL)


def service_to(listener: Listener) -> QueryText:
    return unchecked(f"SELECT * WHERE {{ SERVICE <{listener.base}/sparql> {{ ?s ?p ?o }} }}")


@pytest.fixture
def unguarded(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Make pools start workers without their guard; append "--no-sandbox" to the list to drop the sandbox."""
    flags: list[str] = []
    monkeypatch.setattr(worker_module, "_worker_command", lambda: [sys.executable, ALTERED, "--no-guard", *flags])
    return flags


def seccomp_of(pid: int) -> set[str]:
    """The Seccomp mode of every thread of a process (2: a filter is in force)."""
    modes = set()
    for task in Path(f"/proc/{pid}/task").iterdir():
        status = (task / "status").read_text(encoding="ascii")
        modes.add(status.split("Seccomp:")[1].split()[0])
    return modes


def test_a_service_past_the_guard_reaches_nothing_from_a_sandboxed_worker(
    listener: Listener, unguarded: list[str]
) -> None:
    pool = QueryWorkers(EMPTY, Settings())
    try:
        with pytest.raises(QueryNotAllowed) as refused:
            pool.run(service_to(listener), max_rows=10, timeout_s=30)
        assert pool.sandbox is not None
        assert (pool.sandbox.on, pool.sandbox.detail) == (True, REFUSED)
    finally:
        pool.close()
    assert listener.requests == []
    message = str(refused.value)
    assert "network sandbox refused it (Operation not permitted (os error 1))" in message
    assert "never sends a query to another server" in message


def test_control_the_same_worker_without_its_sandbox_reaches_the_listener_once(
    listener: Listener, unguarded: list[str], caplog: pytest.LogCaptureFixture
) -> None:
    unguarded.append("--no-sandbox")
    worker_module._WARNED.clear()
    pool = QueryWorkers(EMPTY, Settings())
    try:
        with (
            caplog.at_level(logging.WARNING, logger="kgexplorer.engine.query_workers"),
            pytest.raises(QueryError, match="the query failed") as failed,
        ):
            pool.run(service_to(listener), max_rows=10, timeout_s=30)
        assert pool.sandbox is not None
        assert not pool.sandbox.on
    finally:
        pool.close()
    assert listener.requests == ["POST /sparql"]  # exactly one request: the listener would have seen ours
    assert not isinstance(failed.value, QueryNotAllowed)  # no refusal: the listener's answer is not SPARQL
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "WITHOUT the network sandbox (switched off by the test" in warnings[0]
    assert "could send requests from this machine" in warnings[0]
    assert "require_sandbox" in warnings[0]


def test_require_sandbox_refuses_to_start_a_worker_without_it(listener: Listener, unguarded: list[str]) -> None:
    unguarded.append("--no-sandbox")
    pool = QueryWorkers(EMPTY, Settings(require_sandbox=1))
    try:
        with pytest.raises(SandboxUnavailable) as info:
            pool.run(service_to(listener), max_rows=10, timeout_s=30)
    finally:
        pool.close()
    message = str(info.value)
    assert "the require_sandbox setting is 1 but its network sandbox is off (switched off by the test" in message
    assert "set require_sandbox to 0" in message
    assert listener.requests == []


def test_every_worker_runs_under_the_filter_also_after_a_runaway_was_killed() -> None:
    with KnowledgeGraph.bundled(settings=Settings(require_sandbox=1)) as kg:
        workers = kg._workers
        assert workers is not None
        status = kg.query_sandbox()
        assert status is not None
        assert status.on
        seen: set[int] = set()
        for _ in range(3):
            assert kg.sparql("ASK { kg:ketamine a kgx:Substance }").value is True  # type: ignore[union-attr]
            for w in list(workers._all):
                assert seccomp_of(w.proc.pid) == {"2"}, f"worker {w.proc.pid} runs without the filter"
                seen.add(w.proc.pid)
            with pytest.raises(QueryTimeout):
                kg.sparql(RUNAWAY, timeout_s=1)
        assert len(seen) >= 3  # the runaways' workers were killed and new ones started, each filtered


def test_the_guard_workers_of_remote_endpoints_run_under_the_filter_too() -> None:
    from kgexplorer.engine.remote_endpoint import _guard_pool

    pool = _guard_pool(Settings())
    checked = pool.check(prepare_query("ASK { ?s ?p ?o }"), timeout_s=30)
    assert checked.form == "ASK"
    assert pool.sandbox is not None
    assert pool.sandbox.on
    assert all(seccomp_of(w.proc.pid) == {"2"} for w in pool._all)


def test_one_users_costly_parse_blocks_no_other_query() -> None:
    """A 60 KB query rdflib needs about 30 s to parse is stopped at the time limit with a clear message,
    while another query is answered by the other worker meanwhile (the parse used to hold a lock that made
    every other query wait). The full parse runs where the guard's native check does not (--endpoint, a
    worker without its sandbox, guard_fast_path 0: set here); a sandboxed worker answers this query at once
    (docs/decisions/guard-in-the-sandbox.md)."""
    costly = "SELECT * WHERE { FILTER(1 IN (" + ",".join(["1"] * 30_000) + ")) }"
    with KnowledgeGraph.bundled(settings=Settings(query_time_limit_s=4)) as native:
        assert len(native.sparql(costly).rows) == 1  # type: ignore[union-attr]
    order: list[str] = []
    with KnowledgeGraph.bundled(settings=Settings(query_time_limit_s=4, guard_fast_path=0)) as kg:
        with ThreadPoolExecutor(2) as both:  # start both workers, so neither query waits for one to load
            list(both.map(lambda _: kg.sparql("ASK {}"), range(2)))

        def small() -> None:
            while not order:  # start once the costly query is being checked
                threading.Event().wait(0.05)
            kg.sparql("SELECT ?l WHERE { kg:ketamine rdfs:label ?l }")
            order.append("small answered")

        helper = threading.Thread(target=small)
        helper.start()
        order.append("costly sent")
        with pytest.raises(QueryTimeout) as info:
            kg.sparql(costly)
        order.append("costly stopped")
        helper.join(timeout=60)
    assert order == ["costly sent", "small answered", "costly stopped"]
    assert str(info.value).startswith("the query could not be checked within 4 s and was stopped")
    assert "query_time_limit_s" in str(info.value)
