"""Slow queries step aside (kgexplorer.engine.slow_queries): a query that has run slow_query_s while another
client waits gives its place and the CPU to it, on the library's path and on the endpoint's; its worker's
priority goes back up afterwards, or the worker is retired."""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import threading
import time

from kgexplorer import AskResult, KnowledgeGraph, Settings
from kgexplorer.engine import slow_queries
from kgexplorer.engine.guard import prepare_query
from kgexplorer.engine.query_workers import QueryWorkers
from kgexplorer.engine.store import StoreRecipe

RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
# Three runaways hold the three workers; they check every 0.3 s whether someone waits.
SETTINGS = Settings(query_time_limit_s=4, max_queue_wait_s=3, slow_query_s=0.3)


def _priorities(workers: QueryWorkers) -> list[int]:
    found = []
    for w in list(workers._all):
        with contextlib.suppress(OSError):  # ended meanwhile
            found.append(os.getpriority(os.PRIO_PROCESS, w.proc.pid))
    return found


def test_lowering_and_restoring_a_process_priority() -> None:
    proc = subprocess.Popen(["sleep", "30"])
    try:
        assert slow_queries.lower(proc.pid)
        assert os.getpriority(os.PRIO_PROCESS, proc.pid) == slow_queries.LOWEST
        privileged = os.geteuid() == 0
        assert slow_queries.restore(proc.pid) is privileged  # only a privileged process may raise it again
        assert os.getpriority(os.PRIO_PROCESS, proc.pid) == (0 if privileged else slow_queries.LOWEST)
    finally:
        proc.kill()
        proc.wait()
    assert not slow_queries.lower(proc.pid)  # gone


def test_a_waiting_query_is_answered_while_three_runaways_run_on_the_library_path() -> None:
    """Without stepping aside, d waited for a worker until the wait limit (3 s) and was refused."""
    with KnowledgeGraph.bundled(settings=SETTINGS) as kg:
        kg.sparql("ASK {}")
        outcomes: list[str] = []

        def run(client: str) -> None:
            try:
                kg.sparql(RUNAWAY, client=client)
                outcomes.append("answered")
            except Exception as exc:  # recorded and asserted below
                outcomes.append(type(exc).__name__)

        runaways = [threading.Thread(target=run, args=(c,)) for c in ("a", "b", "c")]
        for t in runaways:
            t.start()
        time.sleep(0.5)  # the three runaways hold the three workers
        started = time.monotonic()
        assert isinstance(kg.sparql("ASK { ?s ?p ?o }", client="d"), AskResult)
        waited = time.monotonic() - started
        assert kg._workers is not None
        lowered = _priorities(kg._workers).count(slow_queries.LOWEST)
        counts = kg.query_counts()
        assert waited < 2.5
        assert all(t.is_alive() for t in runaways)
        assert counts["stepped_aside"] >= 1
        assert lowered >= 1
        for t in runaways:
            t.join(timeout=60)
        assert outcomes == ["QueryTimeout"] * 3  # the runaways still end at their time limit
        assert kg.query_counts()["queries_aside"] == 0


def test_a_waiting_query_is_answered_while_three_runaways_run_on_the_endpoints_path() -> None:
    async def scene() -> tuple[float, list[str], dict[str, int]]:
        pool = QueryWorkers(StoreRecipe.bundled(), SETTINGS)
        try:
            await asyncio.get_running_loop().run_in_executor(None, pool.warm_up, 3)

            async def ask(client: str, text: str) -> str:
                visit = pool.visit(client)
                try:
                    answer = await pool.answer(
                        prepare_query(text),
                        visit=visit,
                        select_format="json",
                        graph_format=None,
                        max_rows=10,
                        timeout_s=SETTINGS.query_time_limit_s,
                    )
                    answer.close()
                    return "answered"
                except Exception as exc:  # recorded and asserted below
                    return type(exc).__name__
                finally:
                    visit.leave()

            runaways = [asyncio.ensure_future(ask(c, RUNAWAY)) for c in ("a", "b", "c")]
            await asyncio.sleep(0.5)
            started = time.monotonic()
            assert await ask("d", "ASK { ?s ?p ?o }") == "answered"
            waited = time.monotonic() - started
            counts = pool.counts()
            assert not any(r.done() for r in runaways)
            return waited, list(await asyncio.gather(*runaways)), counts
        finally:
            pool.close()

    waited, outcomes, counts = asyncio.run(scene())
    assert waited < 2.5
    assert counts["stepped_aside"] >= 1
    assert outcomes == ["QueryTimeout"] * 3


def test_a_lowered_worker_is_restored_or_retired_after_its_answer() -> None:
    pool = QueryWorkers(StoreRecipe.bundled(), Settings())
    try:
        pool.warm_up(1)
        worker = pool._take_idle()
        assert worker is not None
        # In the caller's session (so priorities compare with the caller's), in a process group of its own.
        assert os.getsid(worker.proc.pid) == os.getsid(0)
        assert os.getpgid(worker.proc.pid) == worker.proc.pid
        worker.lowered = slow_queries.lower(worker.proc.pid)
        retired = pool._answered(worker)
        if os.geteuid() == 0:
            assert retired is None
            assert os.getpriority(os.PRIO_PROCESS, worker.proc.pid) == 0
            assert not worker.lowered
            assert pool._take_idle() is worker
            pool._give_back(worker)
        else:
            assert retired is worker
            assert worker not in pool._all
            retired.kill()
            assert pool.counts()["workers_retired"] == 1
        result = pool.run(prepare_query("ASK { ?s ?p ?o }"), max_rows=1, timeout_s=30)
        assert isinstance(result, AskResult)
        assert result.value
    finally:
        pool.close()
