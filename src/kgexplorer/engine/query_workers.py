"""User-written SPARQL runs here: in worker processes with a memory cap, a wall-clock limit and no network.

Why processes (docs/decisions/query-worker-processes.md): a pyoxigraph query cannot be
interrupted by threads or signals, and running out of memory aborts the whole process. So each worker
is a separate ``python -m kgexplorer.engine.worker_main`` process (:mod:`kgexplorer.engine.worker_main`) that caps
its own address space (RLIMIT_AS), builds the same store as the caller from a
:class:`~kgexplorer.engine.store.StoreRecipe`, and answers queries sent over its stdin/stdout as length-prefixed
pickles. A query that outlives its time limit is killed with its worker; the caller gets
:class:`~kgexplorer.errors.QueryTimeout` and the next query gets a fresh worker. Several workers serve at
once, shared between clients by :mod:`kgexplorer.engine.scheduler`, so runaways hold only their own clients'
workers.

What a worker is given, and what it does first:

* It installs the network sandbox before anything else (:func:`kgexplorer.engine.sandbox.install_network_sandbox`:
  the kernel then refuses it every socket but AF_UNIX), so a query that slipped past the guard still
  cannot reach anything. Its ready message says whether the sandbox is on; when it is off the pool logs
  a warning, the guard still checks every query, and the ``require_sandbox`` setting makes it an error.
* It accepts only a :class:`~kgexplorer.engine.guard.QueryText` (normalised and screened by the caller), runs
  the full guard (:func:`~kgexplorer.engine.guard.check_query`) on it itself, under the query's own time and
  memory limits, says ``checked``, and gives the engine exactly the :class:`~kgexplorer.engine.guard.CheckedQuery`
  text. Parsing is the costly part of the guard (seconds for a long value list); here it runs in
  parallel across workers and is stopped at ``query_time_limit_s`` like the query.
* A pool without a store (``recipe=None``) only checks queries (:meth:`QueryWorkers.check`): the guard for
  remote endpoints, bounded the same way and shared through the same scheduler.

Results cross the pipe for the library as streamed TSV or N-Triples (:mod:`kgexplorer.engine.packing`), or
written in the endpoint's format by the worker itself (:mod:`kgexplorer.engine.serialization`), at most
``max_result_mb`` either way.
"""

from __future__ import annotations

import dataclasses
import functools
import logging
import pickle
import sys
import threading
import time
import weakref
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from kgexplorer.errors import (
    QueryError,
    QueryTimeout,
)

from . import slow_queries
from .bindings import Bindings
from .guard import CheckedQuery, QueryText, check_in_sandbox, receive_verdict
from .packing import AnswerReader
from .result_cache import AnswerKey, ResultCache
from .results import QueryResult
from .sandbox import SandboxStatus
from .scheduler import Scheduler, Slot, Visit
from .serialization import Answer
from .store import StoreRecipe
from .worker_process import Deadline, Gone, Request, Start, WorkerProcess, exit_code
from .worker_replies import failure, stopped, typed_result

__all__ = ["Answer", "QueryWorkers"]

_log = logging.getLogger(__name__)
# Each distinct reason the sandbox is off is logged once per process, not once per worker started.
_WARNED: set[str] = set()


def _worker_command() -> list[str]:
    """How a worker process is started (tests start one without its guard or its sandbox through this)."""
    return [sys.executable, "-P", "-m", "kgexplorer.engine.worker_main"]  # -P: nothing from the working folder


class QueryWorkers:
    """A small pool of query worker processes for one store recipe (None: workers that only check queries),
    shared fairly between clients.

    Who gets a worker when is the :class:`~kgexplorer.engine.scheduler.Scheduler`'s decision (per-client shares,
    a line with a time limit); the pool starts workers as they are needed, up to ``query_workers``.

    >>> from kgexplorer.engine.guard import prepare_query
    >>> from kgexplorer.settings import Settings
    >>> pool = QueryWorkers(StoreRecipe.bundled(), Settings())
    >>> pool.run(prepare_query("ASK { ?s ?p ?o }"), max_rows=10, timeout_s=30).value
    True
    >>> pool.close()
    """

    def __init__(self, recipe: StoreRecipe | None, settings: Any) -> None:
        self.recipe = recipe
        self.memory_mb = int(settings.worker_memory_mb)
        self.max_bytes = int(settings.max_result_mb) << 20
        self._start = Start(
            recipe=recipe,
            memory_mb=self.memory_mb,
            max_query_chars=int(settings.max_query_chars),
            guard_cache_queries=int(settings.guard_cache_queries),
            require_sandbox=bool(settings.require_sandbox),
            fast_guard=bool(settings.guard_fast_path),
        )
        #: The network sandbox of the worker started last (None before the first one starts).
        self.sandbox: SandboxStatus | None = None
        self.scheduler = Scheduler(settings)
        #: How often a running query looks whether it should step aside (engine/slow_queries.py); 0: never, and no
        #: timer is armed per query, when the scheduler lets none step aside (slow_query_s or slow_query_workers 0).
        self.slow_s = float(settings.slow_query_s) if self.scheduler.aside_max else 0.0
        #: The endpoint's remembered answers (engine/result_cache.py): a pool serves one generation of its data.
        self.answers = ResultCache(max_bytes=int(settings.result_cache_mb) << 20)
        self._idle: list[WorkerProcess] = []
        self._all: list[WorkerProcess] = []
        self._loading: WorkerProcess | None = None  # started by follow(), not yet ready
        self._following: WorkerProcess | None = None  # the same, told the sizes even once a query took it
        self._lock = threading.Lock()
        self._closed = False
        # One thread per worker carries the endpoint's queries to the workers and back, so no other use of
        # a thread pool can keep a query that has its worker from running.
        self._io = ThreadPoolExecutor(
            self.scheduler.size + self.scheduler.aside_max, thread_name_prefix="kgexplorer-query"
        )
        # A pool dropped without close() still stops its processes (the finalizer holds no ref to self).
        self._finalizer = weakref.finalize(self, _kill_all, self._all)

    def visit(self, client: str | None) -> Visit:
        """Start a request of ``client`` (see :mod:`kgexplorer.engine.scheduler`); raises TooManyQueries."""
        return self.scheduler.visit(client)

    def run(
        self,
        query: QueryText,
        *,
        max_rows: int,
        timeout_s: float,
        visit: Visit | None = None,
        client: str | None = None,
        bindings: Bindings = (),
    ) -> QueryResult:
        """Check a prepared query (:func:`kgexplorer.engine.guard.prepare_query`) and run it; enforce the limits.

        The worker runs the full guard first, within ``timeout_s`` and the memory cap, and then the
        :class:`~kgexplorer.engine.guard.CheckedQuery`; a refusal raises the guard's error. Waits in line for a
        worker as ``visit`` (or a visit of ``client`` made for this query) and raises
        :class:`~kgexplorer.errors.QueryRefused` when it may not have one. ``bindings`` travel beside the text
        to the engine (:mod:`kgexplorer.engine.bindings`).
        """
        request = Request(query.text, max_rows, max_bytes=self.max_bytes, bindings=bindings)
        with AnswerReader() as rows:  # rows and triples are read as the worker writes them
            reply, elapsed = self._in_line(request, timeout_s, visit, client, pieces=rows.feed)
            count = self.scheduler.count
            return typed_result(
                reply, elapsed, max_rows, rows=rows, memory_mb=self.memory_mb, max_bytes=self.max_bytes, count=count
            )

    def check(
        self, query: QueryText, *, timeout_s: float, visit: Visit | None = None, client: str | None = None
    ) -> CheckedQuery:
        """Only the full guard, in a worker (bounded by ``timeout_s`` and the memory cap): the checked query.

        For queries that run elsewhere (a remote endpoint), where no sandbox protects this machine. The
        workers are shared like :meth:`run`'s: ``visit`` or ``client`` waits in line for one.
        """
        reply, _ = self._in_line(Request(query.text, 0, execute=False), timeout_s, visit, client)
        if reply[0] == "checked":
            self.scheduler.count("checked")
            return receive_verdict(query, form=reply[1], digest=reply[2])
        raise failure(reply, memory_mb=self.memory_mb, max_bytes=self.max_bytes, count=self.scheduler.count)

    async def answer(
        self,
        query: QueryText,
        *,
        visit: Visit,
        select_format: str | None,
        graph_format: str | None,
        max_rows: int,
        timeout_s: float,
        max_bytes: int | None = None,
        bindings: Bindings = (),
    ) -> Answer:
        """Check a prepared query in a worker and have it write the answer (see :mod:`kgexplorer.engine.serialization`).

        Waits in line without holding a thread; the answer's bytes come back whole (at most max_result_mb). An
        answer given before for the same text, bindings, formats and limits comes from :attr:`answers` without a
        worker.
        """
        if self._closed:
            raise QueryError("this knowledge graph was closed; open it again to run queries")
        import asyncio

        cap = self.max_bytes if max_bytes is None else min(max_bytes, self.max_bytes)
        key = AnswerKey(query.text, select_format, graph_format, max_rows, cap, bindings)
        remembered = self.answers.get(key)
        if remembered is not None:  # read-only data: the same bytes as last time, no worker needed
            return remembered
        slot = await visit.acquire_async(deadline_s=timeout_s)
        try:
            request = Request(
                query.text, max_rows, max_bytes=cap, formats=(select_format, graph_format), bindings=bindings
            )
            # The reply is read in this event loop (engine/worker_pipe.py): no thread between worker and client.
            running = asyncio.ensure_future(self._ask_in_loop(request, timeout_s, slot))
        except BaseException:
            slot.release()
            raise
        try:
            reply, body, elapsed = await asyncio.shield(running)
        except asyncio.CancelledError:  # the request was dropped: the worker is free when its reply is read
            running.add_done_callback(lambda _: slot.release())
            raise
        except BaseException:
            slot.release()
            raise
        slot.release()
        if reply[0] == "answer":
            _, kind, fmt, truncated, size = reply
            self.scheduler.count("answered")
            answer = Answer(kind, fmt, body or [], size, truncated, max_rows, elapsed)
            self.answers.put(key, answer)
            return answer
        if reply[0] == "unwritten":
            _, kind, fmt, problem = reply
            self.scheduler.count("not_acceptable")
            return Answer(kind, fmt, [], 0, False, max_rows, elapsed, problem=problem)
        raise failure(reply, memory_mb=self.memory_mb, max_bytes=request.max_bytes, count=self.scheduler.count)

    def counts(self) -> dict[str, int]:
        """What the pool did: queries answered, refused (and why), stopped at a limit, failed."""
        counts = {**self.scheduler.counts(), **self.answers.stats()}
        with self._lock:
            counts["workers_running"] = len(self._all)
        return counts

    def follow(self, growing: tuple[str, ...]) -> None:
        """Start a worker now that loads the recipe while the parse worker still writes its ``growing`` files
        (:mod:`kgexplorer.engine.growing_file`); tell it each one's size with :meth:`written`. It serves the first
        query once it is ready; should the parse fail, :meth:`close` the pool (that worker never says ready)."""
        worker = WorkerProcess(dataclasses.replace(self._start, growing=growing), _worker_command(), wait=False)
        with self._lock:
            self._all.append(worker)
            self._loading = self._following = worker

    def written(self, path: str, size: int) -> None:
        """The parse worker finished ``path`` at ``size`` bytes: the following worker may read it to its end."""
        with self._lock:
            following = self._following
        if following is not None:
            following.tell_written(path, size)

    def warm_up(self, workers: int = 1) -> None:
        """Start ``workers`` workers now (at most query_workers), so the first queries do not wait for one."""
        if (loading := self._take_loading()) is not None:  # counted in _all below: wait for it instead
            self._give_back(loading)
        with self._lock:
            missing = min(workers, self.scheduler.size) - len(self._all)
        started = [self._io.submit(self._take) for _ in range(max(0, missing))]
        for future in started:
            self._give_back(future.result())

    def sandbox_status(self) -> SandboxStatus:
        """Whether the kernel refuses the workers the network; starts a worker to find out if none has started."""
        if self.sandbox is None:
            self.warm_up()
        assert self.sandbox is not None  # set by the worker warm_up started
        return self.sandbox

    def close(self) -> None:
        """Stop every worker process."""
        self._closed = True
        with self._lock:
            self._idle.clear()
        self._finalizer()
        self._io.shutdown(wait=False)

    # ------------------------------------------------------------------ one query on one worker

    def _in_line(
        self,
        request: Request,
        timeout_s: float,
        visit: Visit | None,
        client: str | None,
        pieces: Callable[[bytes], None] | None = None,
    ) -> tuple[Any, float]:
        """Wait in line for a worker (blocking this thread), then :meth:`_ask` it."""
        if self._closed:
            raise QueryError("this knowledge graph was closed; open it again to run queries")
        own = visit is None
        current = self.scheduler.visit(client) if visit is None else visit
        try:
            slot = current.acquire(deadline_s=timeout_s)
            try:
                return self._ask(request, timeout_s, slot, pieces)
            finally:
                slot.release()
        finally:
            if own:
                current.leave()

    def _ask(
        self, request: Request, timeout_s: float, slot: Slot, pieces: Callable[[bytes], None] | None = None
    ) -> tuple[Any, float]:
        """Send ``request`` to a worker and read its reply (rows and triples stream into ``pieces`` before it) and the
        seconds it took; the caller holds ``slot``."""
        worker = self._take()
        started = time.monotonic()
        try:
            slow = functools.partial(self._step_aside, slot, worker)
            reply = worker.run(request, started + timeout_s, every_s=self.slow_s, slow=slow, pieces=pieces)
        except Deadline as exc:
            raise self._timed_out(worker, timeout_s, checked=exc.checked or self._native(worker, request)) from None
        except (Gone, OSError, EOFError, pickle.UnpicklingError):
            raise self._gone(worker) from None
        except BaseException:  # the caller stopped reading half-way (KeyboardInterrupt; MemoryError making rows):
            with self._lock:  # the worker's pipe is out of step, so it cannot answer again
                self._forget(worker)
            raise
        retired = self._answered(worker)
        if retired is not None:
            retired.kill()
        return reply, time.monotonic() - started

    def _answered(self, worker: WorkerProcess) -> WorkerProcess | None:
        """Give back the worker of a query answered; a worker whose priority cannot go back up is returned to
        be killed instead (engine/slow_queries.py)."""
        if worker.guard_decided is not None:  # /metrics: how many queries the guard passed natively
            self.scheduler.count(f"guard_{worker.guard_decided}")
        if worker.lowered and not slow_queries.restore(worker.proc.pid):
            self.scheduler.count("workers_retired")
            with self._lock:
                if worker in self._all:
                    self._all.remove(worker)
            return worker
        worker.lowered = False
        self._give_back(worker)
        return None

    def _step_aside(self, slot: Slot, worker: WorkerProcess) -> bool:
        """The query on ``worker`` ran another slow_query_s: step aside if someone waits (engine/slow_queries.py)."""

        def lower() -> bool:
            worker.lowered = slow_queries.lower(worker.proc.pid)
            return worker.lowered

        return slot.step_aside(lower)

    def _native(self, worker: WorkerProcess, request: Request) -> bool:
        """Whether ``worker`` checked ``request`` at native speed: it then sends its verdict only with the answer
        (worker_main._reply), so a query that ran out of time left none. The same check, repeated here,
        tells (it is a pure function of the text and takes microseconds)."""
        if not (request.execute and self._start.fast_guard and worker.sandbox.on):
            return False
        try:
            return check_in_sandbox(request.text, max_chars=self._start.max_query_chars) is not None
        except QueryError:  # refused at once by the same check: the worker answered, it did not time out
            return False

    def _timed_out(self, worker: WorkerProcess, timeout_s: float, *, checked: bool) -> QueryTimeout:
        with self._lock:
            self._forget(worker)
        self.scheduler.count("timeout")
        if not checked:
            return QueryTimeout(
                f"the query could not be checked within {timeout_s:g} s and was stopped (the "
                "query_time_limit_s setting): it is too long or too complex to parse (a long IN list or "
                "VALUES block does this). Shorten it (load large value lists as data instead), or raise "
                "the setting"
            )
        return QueryTimeout(
            f"the query ran longer than {timeout_s:g} s and was stopped (the query_time_limit_s setting). "
            "Add a LIMIT, make the patterns more specific, or raise the setting"
        )

    def _gone(self, worker: WorkerProcess) -> QueryError:
        code = exit_code(worker.proc)
        with self._lock:
            self._forget(worker)
        self.scheduler.count("worker_stopped")
        return stopped(code, memory_mb=self.memory_mb)

    async def _ask_in_loop(
        self, request: Request, timeout_s: float, slot: Slot
    ) -> tuple[Any, list[bytes] | None, float]:
        """:meth:`_ask`, waiting for the reply in the running event loop (a worker is started in a thread)."""
        import asyncio

        from .worker_pipe import run_in_loop  # here: the library and the app never import asyncio for it

        loop = asyncio.get_running_loop()
        worker = self._take_idle()
        if worker is None:  # starting a worker loads its data: never in the event loop
            worker = await loop.run_in_executor(self._io, self._take)
        started = time.monotonic()
        failed: Callable[[], QueryError]
        try:
            slow = functools.partial(self._step_aside, slot, worker)
            reply, body = await run_in_loop(worker, request, started + timeout_s, every_s=self.slow_s, slow=slow)
        except Deadline as exc:
            checked = exc.checked or self._native(worker, request)
            failed = functools.partial(self._timed_out, worker, timeout_s, checked=checked)
        except (Gone, OSError, EOFError, pickle.UnpicklingError):
            failed = functools.partial(self._gone, worker)
        except BaseException:  # cancelled mid-reply: the pipe's state is unknown, so the worker goes
            with self._lock:
                self._forget(worker)
            raise
        else:
            retired = self._answered(worker)
            if retired is not None:  # killing a process can take a while (a large store to unmap): not here
                loop.run_in_executor(self._io, retired.kill)
            return reply, body, time.monotonic() - started
        # Killing and reaping a worker can take a while (a large store to unmap): in a thread, not the loop.
        raise await loop.run_in_executor(self._io, failed)

    def _take_idle(self) -> WorkerProcess | None:
        with self._lock:
            while self._idle:
                w = self._idle.pop()
                if w.alive():
                    return w
                self._forget(w)
        return None

    def _take_loading(self) -> WorkerProcess | None:
        """The worker follow() started, once it is ready (None if there is none); raises if it cannot start."""
        with self._lock:
            loading, self._loading = self._loading, None
        if loading is None:
            return None
        try:
            loading.wait_ready()
        except BaseException:
            with self._lock:
                self._forget(loading)
            raise
        self._started(loading)
        return loading

    def _take(self) -> WorkerProcess:
        idle = self._take_idle() or self._take_loading()
        if idle is not None:
            return idle
        w = WorkerProcess(self._start, _worker_command())
        self._started(w)
        with self._lock:
            self._all.append(w)
        return w

    def _started(self, worker: WorkerProcess) -> None:
        """Note a new worker's sandbox; say loudly, once per process and reason, when it is off."""
        self.sandbox = status = worker.sandbox
        if not status.on and status.detail not in _WARNED:
            _WARNED.add(status.detail)
            _log.warning(
                "the query workers run WITHOUT the network sandbox (%s). The guard still checks every query, but "
                "if it ever missed a SERVICE or FROM, the query engine could send requests from this machine to "
                "any address it can reach (services on localhost or the local network, cloud metadata) and pass "
                "the answers back. Set require_sandbox to 1 to refuse to run queries without the sandbox; see "
                "docs/security.md",
                status.detail,
            )

    def _forget(self, worker: WorkerProcess) -> None:
        worker.kill()
        if worker in self._all:
            self._all.remove(worker)

    def _give_back(self, worker: WorkerProcess) -> None:
        with self._lock:
            if self._closed:
                self._forget(worker)
            else:
                self._idle.append(worker)


def _kill_all(workers: list[WorkerProcess]) -> None:
    """Stop the processes of a pool (runs on close(), when the pool is collected, or at exit)."""
    for w in list(workers):
        w.kill()
    workers.clear()
