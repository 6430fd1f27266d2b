"""User-written SPARQL runs here: in worker processes with a memory cap and a wall-clock limit.

Why processes (../shared/notes/stack-measurements.md, section 3): a pyoxigraph query cannot be
interrupted by threads or signals, and running out of memory aborts the whole process. So each worker
is a separate ``python -m kgexplorer.worker`` process that caps its own address space (RLIMIT_AS),
builds the same store as the caller from a :class:`~kgexplorer.store.StoreRecipe`, and answers queries
sent over its stdin/stdout as length-prefixed pickles. A query that outlives its time limit is killed
with its worker; the caller gets :class:`~kgexplorer.errors.QueryTimeout` and the next query gets a
fresh worker. Several workers serve at once, shared between clients by :mod:`kgexplorer.scheduler`,
so runaways hold only their own clients' workers.

Results cross the pipe packed (:mod:`kgexplorer.packing`) for the library, or written in the endpoint's
format by the worker itself (:mod:`kgexplorer.serialization`), at most ``max_result_mb`` either way.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import select
import signal
import struct
import subprocess
import sys
import threading
import time
import weakref
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import IO, Any

from .errors import QueryError, QueryFailed, QuerySyntaxError, QueryTimeout, QueryTooLarge, ResultTooLarge
from .packing import pack_rows, unpack_rows, unpack_triples
from .query import AskResult, GraphResult, QueryResult, SelectResult
from .scheduler import Scheduler, Visit
from .serialization import Answer
from .store import StoreRecipe

__all__ = ["Answer", "QueryWorkers"]

_HEADER = struct.Struct("!Q")
_STARTUP_LIMIT_S = 600.0  # building a big in-memory store can take minutes; queries have their own limit


@dataclass(frozen=True)
class _Request:
    query: str
    max_rows: int
    #: The answer may not grow past this many bytes (the max_result_mb setting).
    max_bytes: int = 32 << 20
    #: For the endpoint: the format names to write a SELECT/ASK and a CONSTRUCT/DESCRIBE answer in (None:
    #: the client accepts none of that kind); the worker then writes the answer natively. Absent: typed rows.
    formats: tuple[str | None, str | None] | None = None


class _Worker:
    """One worker process."""

    def __init__(self, recipe: StoreRecipe, memory_mb: int) -> None:
        env = dict(os.environ)
        env["PYTHONUNBUFFERED"] = "1"
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "kgexplorer.worker"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=env,
            start_new_session=True,  # a kill reaches only the worker, never the app's process group
        )
        if self.proc.stdin is None or self.proc.stdout is None:  # pragma: no cover - Popen with PIPE always sets them
            raise QueryError("could not start the query worker (no pipes); try again")
        self._in: IO[bytes] = self.proc.stdin
        self._out: IO[bytes] = self.proc.stdout
        _widen_pipe(self._out)
        try:
            _write_frame(self._in, (recipe, memory_mb))
            reply = self._read(time.monotonic() + _STARTUP_LIMIT_S)
        except (_Gone, _Deadline, OSError, EOFError, pickle.UnpicklingError):
            # The worker died or hung while loading the data (e.g. out of memory): never leak our internals.
            code = self.proc.poll()
            self.kill()
            raise QueryError(
                f"the query worker could not start (exit code {code}); the data may be too large for "
                f"worker_memory_mb ({memory_mb} MiB) — raise that setting or open the data as an on-disk store"
            ) from None
        if reply[0] != "ready":
            self.kill()
            raise QueryError(f"the query worker could not load the data: {reply[1]}")

    def run(self, request: _Request, deadline: float) -> Any:
        _write_frame(self._in, request)
        return self._read(deadline)

    def _read(self, deadline: float) -> Any:
        header = _read_exact(self._out, _HEADER.size, deadline)
        (size,) = _HEADER.unpack(header)
        return pickle.loads(_read_exact(self._out, size, deadline))

    def read_body(self, size: int, deadline: float) -> list[bytes]:
        """The ``size`` raw bytes of an answer that follow its reply, in the chunks the pipe gave."""
        return _read_chunks(self._out, size, deadline)

    def alive(self) -> bool:
        return self.proc.poll() is None

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout=5)
        for stream in (self._in, self._out):
            with contextlib.suppress(OSError):
                stream.close()


class _Deadline(Exception):
    pass


class _Gone(Exception):
    pass


class QueryWorkers:
    """A small pool of query worker processes for one store recipe, shared fairly between clients.

    Who gets a worker when is the :class:`~kgexplorer.scheduler.Scheduler`'s decision (per-client shares,
    a line with a time limit); the pool starts workers as they are needed, up to ``query_workers``.

    >>> from kgexplorer.settings import Settings
    >>> pool = QueryWorkers(StoreRecipe.bundled(), Settings())
    >>> pool.run("ASK { ?s ?p ?o }", max_rows=10, timeout_s=30).value
    True
    >>> pool.close()
    """

    def __init__(self, recipe: StoreRecipe, settings: Any) -> None:
        self.recipe = recipe
        self.memory_mb = int(settings.worker_memory_mb)
        self.max_bytes = int(settings.max_result_mb) << 20
        self.scheduler = Scheduler(settings)
        self._idle: list[_Worker] = []
        self._all: list[_Worker] = []
        self._lock = threading.Lock()
        self._closed = False
        # One thread per worker carries the endpoint's queries to the workers and back, so no other use of
        # a thread pool can keep a query that has its worker from running.
        self._io = ThreadPoolExecutor(self.scheduler.size, thread_name_prefix="kgexplorer-query")
        # A pool dropped without close() still stops its processes (the finalizer holds no ref to self).
        self._finalizer = weakref.finalize(self, _kill_all, self._all)

    def visit(self, client: str | None) -> Visit:
        """Start a request of ``client`` (see :mod:`kgexplorer.scheduler`); raises TooManyQueries."""
        return self.scheduler.visit(client)

    def run(
        self, query: str, *, max_rows: int, timeout_s: float, visit: Visit | None = None, client: str | None = None
    ) -> QueryResult:
        """Run a query that has passed :func:`kgexplorer.guard.check_query`; enforce the limits.

        Waits in line for a worker as ``visit`` (or a visit of ``client`` made for this query) and raises
        :class:`~kgexplorer.errors.QueryRefused` when it may not have one.
        """
        if self._closed:
            raise QueryError("this knowledge graph was closed; open it again to run queries")
        own = visit is None
        current = self.scheduler.visit(client) if visit is None else visit
        try:
            slot = current.acquire(deadline_s=timeout_s)
            try:
                reply, _, elapsed = self._ask(_Request(query, max_rows, self.max_bytes), timeout_s)
            finally:
                slot.release()
        finally:
            if own:
                current.leave()
        return self._typed(reply, elapsed, max_rows)

    async def answer(
        self,
        query: str,
        *,
        visit: Visit,
        select_format: str | None,
        graph_format: str | None,
        max_rows: int,
        timeout_s: float,
        max_bytes: int | None = None,
    ) -> Answer:
        """Run a checked query and have the worker write its answer (see :mod:`kgexplorer.serialization`).

        Waits in line without holding a thread; the answer's bytes come back whole (at most max_result_mb).
        """
        if self._closed:
            raise QueryError("this knowledge graph was closed; open it again to run queries")
        import asyncio

        slot = await visit.acquire_async(deadline_s=timeout_s)
        try:
            cap = self.max_bytes if max_bytes is None else min(max_bytes, self.max_bytes)
            request = _Request(query, max_rows, cap, (select_format, graph_format))
            running = asyncio.get_running_loop().run_in_executor(self._io, self._ask, request, timeout_s)
        except BaseException:
            slot.release()
            raise
        try:
            reply, body, elapsed = await asyncio.shield(running)
        except asyncio.CancelledError:  # the request was dropped: the worker is free when its thread is done
            running.add_done_callback(lambda _: slot.release())
            raise
        except BaseException:
            slot.release()
            raise
        slot.release()
        if reply[0] == "answer":
            _, kind, fmt, truncated, size = reply
            self.scheduler.count("answered")
            return Answer(kind, fmt, body or [], size, truncated, max_rows, elapsed)
        if reply[0] == "unwritten":
            _, kind, fmt, problem = reply
            self.scheduler.count("not_acceptable")
            return Answer(kind, fmt, [], 0, False, max_rows, elapsed, problem=problem)
        self._typed(reply, elapsed, max_rows, request.max_bytes)  # raises the error the reply stands for
        raise QueryError(f"the query worker answered {reply[0]!r}, which is not an answer; try again")

    def counts(self) -> dict[str, int]:
        """What the pool did: queries answered, refused (and why), stopped at a limit, failed."""
        counts = self.scheduler.counts()
        with self._lock:
            counts["workers_running"] = len(self._all)
        return counts

    def warm_up(self, workers: int = 1) -> None:
        """Start ``workers`` workers now (at most query_workers), so the first queries do not wait for one."""
        with self._lock:
            missing = min(workers, self.scheduler.size) - len(self._all)
        started = [self._io.submit(self._take) for _ in range(max(0, missing))]
        for future in started:
            self._give_back(future.result())

    def close(self) -> None:
        """Stop every worker process."""
        self._closed = True
        with self._lock:
            self._idle.clear()
        self._finalizer()
        self._io.shutdown(wait=False)

    # ------------------------------------------------------------------ one query on one worker

    def _ask(self, request: _Request, timeout_s: float) -> tuple[Any, list[bytes] | None, float]:
        """Send ``request`` to a worker and read its reply (and answer bytes); the caller holds a slot."""
        worker = self._take()
        started = time.monotonic()
        deadline = started + timeout_s
        try:
            reply = worker.run(request, deadline)
            body = worker.read_body(reply[4], deadline) if reply[0] == "answer" else None
        except _Deadline:
            with self._lock:
                self._forget(worker)
            self.scheduler.count("timeout")
            raise QueryTimeout(
                f"the query ran longer than {timeout_s:g} s and was stopped (the query_time_limit_s setting). "
                "Add a LIMIT, make the patterns more specific, or raise the setting"
            ) from None
        except (_Gone, OSError, EOFError, pickle.UnpicklingError):
            code = _exit_code(worker.proc)
            with self._lock:
                self._forget(worker)
            self.scheduler.count("worker_stopped")
            raise self._stopped(code) from None
        self._give_back(worker)
        return reply, body, time.monotonic() - started

    def _stopped(self, code: int | None) -> QueryError:
        """The error for a worker that died while running a query: the query's doing, so a client error."""
        if code == -signal.SIGSEGV:
            return QueryTooLarge(
                "the query engine ran out of stack space on this query and was stopped (deeply nested "
                "expressions or paths do this). Simplify the query"
            )
        if code in (-signal.SIGKILL, -signal.SIGABRT):  # the kernel's OOM killer; Rust's abort on a failed allocation
            return QueryTooLarge(
                f"the query needed more memory than the query worker may use ({self.memory_mb} MiB, the "
                "worker_memory_mb setting) and was stopped. Make the query more selective (fewer "
                "rows to sort or group, shorter values), or raise the setting"
            )
        how = f"was stopped by signal {-code}" if code is not None and code < 0 else f"stopped (exit code {code})"
        return QueryFailed(
            f"the query worker {how} while running this query, which was not answered. Simplify the query, or try again"
        )

    def _typed(self, reply: Any, elapsed: float, max_rows: int, max_bytes: int | None = None) -> QueryResult:
        kind = reply[0]
        if kind in ("ok", "rows", "triples"):
            self.scheduler.count("answered")
        if kind == "ok":
            result: QueryResult = reply[1]
            return _with_elapsed(result, elapsed)
        if kind == "rows":
            _, variables, packed, truncated = reply
            return SelectResult(tuple(variables), unpack_rows(packed), truncated, elapsed, max_rows)
        if kind == "triples":
            _, packed, truncated = reply
            return GraphResult(unpack_triples(packed), truncated, elapsed, max_rows)
        if kind == "too_large":
            self.scheduler.count("too_large")
            raise QueryTooLarge(
                f"the query needed more memory than the query worker may use ({self.memory_mb} MiB, the "
                "worker_memory_mb setting). Make the query more selective, or raise the setting"
            )
        if kind == "result_too_large":
            self.scheduler.count("result_too_large")
            mb = (self.max_bytes if max_bytes is None else max_bytes) >> 20
            raise ResultTooLarge(
                f"the answer is larger than {mb} MiB (the max_result_mb setting) and was not sent. Select fewer "
                "or shorter values (a LIMIT, SUBSTR of long texts), or raise the setting"
            )
        if kind == "syntax":
            self.scheduler.count("syntax")
            raise QuerySyntaxError(reply[1], line=reply[2], column=reply[3])
        self.scheduler.count("failed")
        raise QueryFailed(str(reply[1]))

    def _take(self) -> _Worker:
        with self._lock:
            while self._idle:
                w = self._idle.pop()
                if w.alive():
                    return w
                self._forget(w)
        w = _Worker(self.recipe, self.memory_mb)
        with self._lock:
            self._all.append(w)
        return w

    def _forget(self, worker: _Worker) -> None:
        worker.kill()
        if worker in self._all:
            self._all.remove(worker)

    def _give_back(self, worker: _Worker) -> None:
        with self._lock:
            if self._closed:
                self._forget(worker)
            else:
                self._idle.append(worker)


def _exit_code(proc: subprocess.Popen[bytes], *, grace_s: float = 5.0) -> int | None:
    """The exit code of a worker whose pipe just closed (negative: killed by a signal).

    The pipe closes a moment before the process is reaped, so polling at once would often see it still
    running and report an out-of-memory abort as an unexplained failure; wait briefly for it instead.
    """
    try:
        return proc.wait(timeout=grace_s)
    except subprocess.TimeoutExpired:
        return proc.poll()


def _kill_all(workers: list[_Worker]) -> None:
    """Stop the processes of a pool (runs on close(), when the pool is collected, or at exit)."""
    for w in list(workers):
        w.kill()
    workers.clear()


def _with_elapsed(result: QueryResult, elapsed: float) -> QueryResult:
    import dataclasses

    return dataclasses.replace(result, elapsed_s=elapsed)


def _widen_pipe(stream: IO[bytes]) -> None:
    """Let the result pipe hold 1 MiB (Linux; 64 KiB by default), so a large result crosses in fewer wake-ups."""
    with contextlib.suppress(OSError, AttributeError, ImportError):
        import fcntl

        fcntl.fcntl(stream.fileno(), fcntl.F_SETPIPE_SZ, 1 << 20)


def _write_frame(stream: IO[bytes], obj: Any) -> None:
    data = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(_HEADER.pack(len(data)) + data)
    stream.flush()


def _read_chunks(stream: IO[bytes], size: int, deadline: float) -> list[bytes]:
    """Exactly ``size`` bytes as the list of chunks read (never joined: the endpoint sends them one by one)."""
    fd = stream.fileno()
    chunks: list[bytes] = []
    left = size
    while left > 0:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise _Deadline
        ready, _, _ = select.select([fd], [], [], remaining)
        if not ready:
            raise _Deadline
        chunk = os.read(fd, min(left, 1 << 20))
        if not chunk:
            raise _Gone
        chunks.append(chunk)
        left -= len(chunk)
    return chunks


def _read_exact(stream: IO[bytes], size: int, deadline: float) -> bytes:
    fd = stream.fileno()
    chunks = bytearray()
    while len(chunks) < size:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise _Deadline
        ready, _, _ = select.select([fd], [], [], remaining)
        if not ready:
            raise _Deadline
        chunk = os.read(fd, min(size - len(chunks), 1 << 20))
        if not chunk:
            raise _Gone
        chunks += chunk
    return bytes(chunks)


# ------------------------------------------------------------------------------------------ child side


def _child_main() -> None:  # pragma: no cover - runs in the worker process (covered by the worker tests)
    import resource

    frames_out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # anything printed goes to stderr, never into the frame stream
    frames_in = sys.stdin.buffer
    recipe, memory_mb = _read_child(frames_in)
    limit = memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    try:
        from .store import build_store

        store = build_store(recipe)
    except Exception as exc:  # report any load failure to the parent, which raises a clear error
        _write_frame(frames_out, ("error", str(exc)))
        return
    _write_frame(frames_out, ("ready",))
    while True:
        try:
            request = _read_child(frames_in)
        except EOFError:
            return
        _reply(frames_out, store, request)


def _reply(out: IO[bytes], store: Any, request: _Request) -> None:  # pragma: no cover - child side
    """Answer one request: a pickled reply, then (for a written answer) its raw bytes.

    Nothing about the answer may end the worker with an error of its own: a reply too large to pickle,
    or past max_result_mb, becomes a reply saying so.
    """
    body: list[bytes] = []
    try:
        if request.formats is None:
            data = pickle.dumps(_answer(store, request), protocol=pickle.HIGHEST_PROTOCOL)
            if len(data) > request.max_bytes:
                data = pickle.dumps(("result_too_large",))
        else:
            reply, body = _write(store, request)
            data = pickle.dumps(reply, protocol=pickle.HIGHEST_PROTOCOL)
    except MemoryError:
        data, body = pickle.dumps(("too_large",)), []
    out.write(_HEADER.pack(len(data)) + data)
    for chunk in body:
        out.write(chunk)
    out.flush()


def _write(store: Any, request: _Request) -> tuple[tuple[Any, ...], list[bytes]]:  # pragma: no cover - child side
    """Run the query and write its answer natively in the format asked for (kgexplorer.serialization)."""
    from .namespaces import PREFIXES
    from .serialization import write_answer

    assert request.formats is not None
    select_format, graph_format = request.formats
    try:
        result = store.query(request.query, prefixes=PREFIXES, use_default_graph_as_union=True)
        written = write_answer(
            result,
            select_format=select_format,
            graph_format=graph_format,
            max_rows=request.max_rows,
            max_bytes=request.max_bytes,
        )
    except (MemoryError, SyntaxError, OSError, RuntimeError, ValueError, TypeError) as exc:
        return _failure(exc, request), []
    if written.too_large:
        return ("result_too_large",), []
    if written.format is None or written.problem is not None:
        return ("unwritten", written.kind, written.format, written.problem), []
    return ("answer", written.kind, written.format, written.truncated, written.size), written.chunks


def _failure(exc: BaseException, request: _Request) -> tuple[Any, ...]:  # pragma: no cover - child side
    """The reply for a query the engine could not run (the same for typed and written answers)."""
    if isinstance(exc, MemoryError):
        return ("too_large",)
    if isinstance(exc, SyntaxError):
        from .guard import syntax_error_from_oxigraph

        err = syntax_error_from_oxigraph(str(exc), request.query)
        return ("syntax", str(err), err.line, err.column)
    return ("error", f"the query failed: {' '.join(str(exc).split())}; check the query and try again")


def _answer(store: Any, request: _Request) -> tuple[Any, ...]:  # pragma: no cover - child side
    import pyoxigraph as ox

    from .namespaces import PREFIXES

    started = time.perf_counter()
    try:
        result = store.query(request.query, prefixes=PREFIXES, use_default_graph_as_union=True)
        if isinstance(result, ox.QueryBoolean):
            return ("ok", AskResult(bool(result), time.perf_counter() - started))
        if isinstance(result, ox.QuerySolutions):
            variables = [v.value for v in result.variables]
            rows, truncated = pack_rows(result, request.max_rows, lambda sol: sol)
            return ("rows", variables, rows, truncated)
        triples, truncated = pack_rows(result, request.max_rows, lambda t: (t.subject, t.predicate, t.object))
        return ("triples", triples, truncated)
    except (MemoryError, SyntaxError, OSError, RuntimeError, ValueError, TypeError) as exc:  # TypeError: RDF-star
        return _failure(exc, request)


def _read_child(stream: IO[bytes]) -> Any:  # pragma: no cover - child side
    header = stream.read(_HEADER.size)
    if len(header) < _HEADER.size:
        raise EOFError
    (size,) = _HEADER.unpack(header)
    data = stream.read(size)
    if len(data) < size:
        raise EOFError
    return pickle.loads(data)


if __name__ == "__main__":  # pragma: no cover
    _child_main()
