"""User-written SPARQL runs here: in worker processes with a memory cap, a wall-clock limit and no network.

Why processes (../shared/notes/stack-measurements.md, section 3): a pyoxigraph query cannot be
interrupted by threads or signals, and running out of memory aborts the whole process. So each worker
is a separate ``python -m kgexplorer.worker`` process that caps its own address space (RLIMIT_AS),
builds the same store as the caller from a :class:`~kgexplorer.store.StoreRecipe`, and answers queries
sent over its stdin/stdout as length-prefixed pickles. A query that outlives its time limit is killed
with its worker; the caller gets :class:`~kgexplorer.errors.QueryTimeout` and the next query gets a
fresh worker. Several workers serve at once, so one runaway does not block other users.

What a worker is given, and what it does first:

* It installs the network sandbox before anything else (:func:`kgexplorer.sandbox.install_network_sandbox`:
  the kernel then refuses it every socket but AF_UNIX), so a query that slipped past the guard still
  cannot reach anything. Its ready message says whether the sandbox is on; when it is off the pool logs
  a warning, the guard still checks every query, and the ``require_sandbox`` setting makes it an error.
* It accepts only a :class:`~kgexplorer.guard.QueryText` (normalised and screened by the caller), runs
  the full guard (:func:`~kgexplorer.guard.check_query`) on it itself, under the query's own time and
  memory limits, says ``checked``, and gives the engine exactly the :class:`~kgexplorer.guard.CheckedQuery`
  text. Parsing is the costly part of the guard (seconds for a long value list); here it runs in
  parallel across workers and is stopped at ``query_time_limit_s`` like the query.
* A pool without a store (``recipe=None``) only checks queries (:meth:`QueryWorkers.check`): the guard for
  remote endpoints, bounded the same way.

Results cross the pipe as plain tuples and strings (an IRI is its string, a literal a tuple, a blank
node bytes), which pickle in C, and the caller rebuilds the terms once per distinct value: pickling
the term objects themselves made a 5,916-row result cost 4× the query (LUBM Q14, measured).
"""

from __future__ import annotations

import contextlib
import functools
import logging
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
from collections.abc import Callable
from dataclasses import dataclass
from typing import IO, Any

from .errors import QueryError, QueryNotAllowed, QuerySyntaxError, QueryTimeout, QueryTooLarge, SandboxUnavailable
from .guard import CheckedQuery, QueryText, receive_verdict
from .query import AskResult, GraphResult, QueryResult, SelectResult
from .sandbox import SandboxStatus
from .store import StoreRecipe
from .terms import IRI, BlankNode, Literal, Term, Triple

__all__ = ["QueryWorkers"]

_log = logging.getLogger(__name__)
_HEADER = struct.Struct("!Q")
_STARTUP_LIMIT_S = 600.0  # building a big in-memory store can take minutes; queries have their own limit
# How Oxigraph reports a system call the sandbox refused (EPERM, from socket()).
_REFUSED_BY_THE_KERNEL = "Operation not permitted (os error 1)"
# Each distinct reason the sandbox is off is logged once per process, not once per worker started.
_WARNED: set[str] = set()


@dataclass(frozen=True)
class _Start:
    """What a worker is told when it starts (its first frame)."""

    recipe: StoreRecipe | None  # None: a worker that only checks queries
    memory_mb: int
    max_query_chars: int
    guard_cache_queries: int
    require_sandbox: bool


@dataclass(frozen=True)
class _Request:
    text: str  # a QueryText's text: normalised and screened; the worker runs the full guard on it
    max_rows: int
    execute: bool = True  # False: check only, answer ("checked", form, digest)


def _worker_command() -> list[str]:
    """How a worker process is started (tests start one without its guard or its sandbox through this)."""
    return [sys.executable, "-m", "kgexplorer.worker"]


class _Worker:
    """One worker process."""

    def __init__(self, start: _Start) -> None:
        env = dict(os.environ)
        env["PYTHONUNBUFFERED"] = "1"
        memory_mb = start.memory_mb
        self.proc = subprocess.Popen(
            _worker_command(),
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
            _write_frame(self._in, start)
            reply = self._read(time.monotonic() + _STARTUP_LIMIT_S)
        except (_Gone, _Deadline, OSError, EOFError, pickle.UnpicklingError):
            # The worker died or hung while loading the data (e.g. out of memory): never leak our internals.
            code = self.proc.poll()
            self.kill()
            raise QueryError(
                f"the query worker could not start (exit code {code}); the data may be too large for "
                f"worker_memory_mb ({memory_mb} MiB) — raise that setting or open the data as an on-disk store"
            ) from None
        if reply[0] == "no_sandbox" or (reply[0] == "ready" and start.require_sandbox and not reply[1].on):
            self.kill()
            raise SandboxUnavailable(
                f"the query worker was not started: the require_sandbox setting is 1 but its network sandbox is off "
                f"({reply[1].detail}). Run "
                "kgexplorer on Linux (x86-64 or aarch64) where processes may install seccomp filters (a container "
                "profile may forbid it), or set require_sandbox to 0 to rely on the query guard alone"
            )
        if reply[0] != "ready":
            self.kill()
            raise QueryError(f"the query worker could not load the data: {reply[1]}")
        #: Whether the kernel refuses this worker the network (its ready message).
        self.sandbox: SandboxStatus = reply[1]

    def run(self, request: _Request, deadline: float) -> Any:
        """Send one request and return its answer; a query to execute is first answered ``checked``."""
        _write_frame(self._in, request)
        reply = self._read(deadline, checked=False)
        if request.execute and reply[0] == "checked":
            reply = self._read(deadline, checked=True)
        return reply

    def _read(self, deadline: float, *, checked: bool = False) -> Any:
        try:
            header = _read_exact(self._out, _HEADER.size, deadline)
            (size,) = _HEADER.unpack(header)
            return pickle.loads(_read_exact(self._out, size, deadline))
        except _Deadline:
            raise _Deadline(checked) from None

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
    """The time limit passed; ``checked`` says whether the guard had accepted the query by then."""

    def __init__(self, checked: bool = False) -> None:
        super().__init__(checked)
        self.checked = checked


class _Gone(Exception):
    pass


class QueryWorkers:
    """A small pool of query worker processes for one store recipe (None: workers that only check queries).

    >>> from kgexplorer.guard import prepare_query
    >>> from kgexplorer.settings import Settings
    >>> pool = QueryWorkers(StoreRecipe.bundled(), Settings())
    >>> pool.run(prepare_query("ASK { ?s ?p ?o }"), max_rows=10, timeout_s=30).value
    True
    >>> pool.close()
    """

    def __init__(self, recipe: StoreRecipe | None, settings: Any, *, size: int = 2) -> None:
        self.recipe = recipe
        self.memory_mb = int(settings.worker_memory_mb)
        self._start = _Start(
            recipe=recipe,
            memory_mb=self.memory_mb,
            max_query_chars=int(settings.max_query_chars),
            guard_cache_queries=int(settings.guard_cache_queries),
            require_sandbox=bool(settings.require_sandbox),
        )
        #: The network sandbox of the worker started last (None before the first one starts).
        self.sandbox: SandboxStatus | None = None
        self._idle: list[_Worker] = []
        self._all: list[_Worker] = []
        self._slots = threading.BoundedSemaphore(size)
        self._lock = threading.Lock()
        self._closed = False
        # A pool dropped without close() still stops its processes (the finalizer holds no ref to self).
        self._finalizer = weakref.finalize(self, _kill_all, self._all)

    def run(self, query: QueryText, *, max_rows: int, timeout_s: float) -> QueryResult:
        """Check a prepared query (:func:`kgexplorer.guard.prepare_query`) and run it; enforce the limits.

        The worker runs the full guard first, within ``timeout_s`` and the memory cap, and then the
        :class:`~kgexplorer.guard.CheckedQuery`; a refusal raises the guard's error.
        """
        reply, elapsed = self._exchange(_Request(query.text, max_rows), timeout_s)
        kind = reply[0]
        if kind == "ok":
            result: QueryResult = reply[1]
            return _with_elapsed(result, elapsed)
        if kind == "rows":
            _, variables, packed, truncated = reply
            return SelectResult(tuple(variables), _unpack_rows(packed), truncated, elapsed, max_rows)
        if kind == "triples":
            _, packed, truncated = reply
            return GraphResult(_unpack_triples(packed), truncated, elapsed, max_rows)
        raise self._failure(reply)

    def check(self, query: QueryText, *, timeout_s: float) -> CheckedQuery:
        """Only the full guard, in a worker (bounded by ``timeout_s`` and the memory cap): the checked query.

        For queries that run elsewhere (a remote endpoint), where no sandbox protects this machine.
        """
        reply, _ = self._exchange(_Request(query.text, 0, execute=False), timeout_s)
        if reply[0] == "checked":
            return receive_verdict(query, form=reply[1], digest=reply[2])
        raise self._failure(reply)

    def _exchange(self, request: _Request, timeout_s: float) -> tuple[Any, float]:
        """One request to a worker of the pool: its reply and the time taken."""
        if self._closed:
            raise QueryError("this knowledge graph was closed; open it again to run queries")
        with self._slots:
            worker = self._take()
            started = time.monotonic()
            try:
                reply = worker.run(request, started + timeout_s)
            except _Deadline as exc:
                with self._lock:
                    self._forget(worker)
                if not exc.checked:
                    raise QueryTimeout(
                        f"the query could not be checked within {timeout_s:g} s and was stopped (the "
                        "query_time_limit_s setting): it is too long or too complex to parse (a long IN list or "
                        "VALUES block does this). Shorten it (load large value lists as data instead), or raise "
                        "the setting"
                    ) from None
                raise QueryTimeout(
                    f"the query ran longer than {timeout_s:g} s and was stopped (the query_time_limit_s setting). "
                    "Add a LIMIT, make the patterns more specific, or raise the setting"
                ) from None
            except (_Gone, OSError, EOFError, pickle.UnpicklingError):
                code = _exit_code(worker.proc)
                with self._lock:
                    self._forget(worker)
                if code == -signal.SIGSEGV:
                    raise QueryTooLarge(
                        "the query engine ran out of stack space on this query and was stopped (deeply nested "
                        "expressions or paths do this). Simplify the query"
                    ) from None
                if code is not None and code < 0:
                    raise QueryTooLarge(
                        f"the query needed more memory than the query worker may use ({self.memory_mb} MiB, the "
                        "worker_memory_mb setting) and was stopped. Make the query more selective (fewer "
                        "rows to sort or group), or raise the setting"
                    ) from None
                raise QueryError(f"the query worker stopped unexpectedly (exit code {code}); try again") from None
            self._give_back(worker)
        return reply, time.monotonic() - started

    def _failure(self, reply: Any) -> QueryError:
        """The error for a reply that is not a result."""
        kind = reply[0]
        if kind == "too_large":
            return QueryTooLarge(
                f"the query needed more memory than the query worker may use ({self.memory_mb} MiB, the "
                "worker_memory_mb setting). Make the query more selective, or raise the setting"
            )
        if kind == "syntax":
            return QuerySyntaxError(reply[1], line=reply[2], column=reply[3])
        if kind == "not_allowed":
            return QueryNotAllowed(reply[1])
        return QueryError(str(reply[1]))

    def warm_up(self) -> None:
        """Start one worker now, so the first query does not wait for it."""
        with self._slots:
            self._give_back(self._take())

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

    def _take(self) -> _Worker:
        with self._lock:
            while self._idle:
                w = self._idle.pop()
                if w.alive():
                    return w
                self._forget(w)
        w = _Worker(self._start)
        self._started(w)
        with self._lock:
            self._all.append(w)
        return w

    def _started(self, worker: _Worker) -> None:
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


Packed = str | tuple[str] | tuple[str, str] | tuple[str, None, str] | bytes


def _unpack_rows(rows: list[tuple[Packed | None, ...]]) -> tuple[tuple[Term | None, ...], ...]:
    """Rebuild the terms of packed rows; each distinct value becomes one term object, shared by its rows."""
    memo: dict[Packed, Term] = {}
    out: list[tuple[Term | None, ...]] = []
    for row in rows:
        cells: list[Term | None] = []
        for cell in row:
            if cell is None:
                cells.append(None)
                continue
            term = memo.get(cell)
            if term is None:
                term = memo[cell] = _unpack(cell)
            cells.append(term)
        out.append(tuple(cells))
    return tuple(out)


def _unpack_triples(rows: list[tuple[Packed, Packed, Packed]]) -> tuple[Triple, ...]:
    return tuple(Triple(s, p, o) for s, p, o in _unpack_rows(rows))  # type: ignore[arg-type]


def _unpack(cell: Packed) -> Term:
    if isinstance(cell, str):
        return IRI(cell)
    if isinstance(cell, bytes):
        return BlankNode(cell.decode("utf-8"))
    if len(cell) == 1:
        return Literal(cell[0])
    if len(cell) == 2:
        return Literal(cell[0], datatype=cell[1])
    return Literal(cell[0], language=cell[2])


def _widen_pipe(stream: IO[bytes]) -> None:
    """Let the result pipe hold 1 MiB (Linux; 64 KiB by default), so a large result crosses in fewer wake-ups."""
    with contextlib.suppress(OSError, AttributeError, ImportError):
        import fcntl

        fcntl.fcntl(stream.fileno(), fcntl.F_SETPIPE_SZ, 1 << 20)


def _write_frame(stream: IO[bytes], obj: Any) -> None:
    data = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(_HEADER.pack(len(data)) + data)
    stream.flush()


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
    from . import sandbox

    # First, before any thread starts and before any input is read: the kernel refuses this process the
    # network from here on (the filter also covers threads already running, and cannot be removed).
    status = sandbox.install_network_sandbox()
    import resource

    frames_out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # anything printed goes to stderr, never into the frame stream
    frames_in = sys.stdin.buffer
    start: _Start = _read_child(frames_in)
    if start.require_sandbox and not status.on:
        _write_frame(frames_out, ("no_sandbox", status))
        return
    limit = start.memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    try:
        from . import guard
        from .store import build_store

        store = build_store(start.recipe) if start.recipe is not None else None
        guard.check_query("ASK {}", remember=0)  # rdflib's grammar is built now, not during the first query
    except Exception as exc:  # report any load failure to the parent, which raises a clear error
        _write_frame(frames_out, ("error", str(exc)))
        return
    _write_frame(frames_out, ("ready", status))
    say = functools.partial(_write_frame, frames_out)
    while True:
        try:
            request = _read_child(frames_in)
        except EOFError:
            return
        _write_frame(frames_out, _answer(store, request, start, say, sandboxed=status.on))


def _answer(  # pragma: no cover - child side
    store: Any, request: _Request, start: _Start, say: Callable[[tuple[Any, ...]], None], *, sandboxed: bool
) -> tuple[Any, ...]:
    """Check the query with the full guard (``say`` then sends ``checked``), then run the checked text."""
    from . import guard

    try:
        checked = guard.check_query(request.text, max_chars=start.max_query_chars, remember=start.guard_cache_queries)
    except QuerySyntaxError as exc:
        return ("syntax", str(exc), exc.line, exc.column)
    except QueryNotAllowed as exc:
        return ("not_allowed", str(exc))
    except MemoryError:
        return ("too_large",)
    verdict = ("checked", checked.form, checked.digest)
    if not request.execute:
        return verdict
    say(verdict)
    if store is None:
        return ("error", "this query worker has no data to query; it only checks queries")
    return _execute(store, checked, request.max_rows, sandboxed=sandboxed)


def _execute(  # pragma: no cover - child side
    store: Any, query: CheckedQuery, max_rows: int, *, sandboxed: bool
) -> tuple[Any, ...]:
    """Run a query the guard accepted: the engine is given exactly the text the guard parsed."""
    import pyoxigraph as ox

    from .namespaces import PREFIXES

    started = time.perf_counter()
    try:
        result = store.query(query.text, prefixes=PREFIXES, use_default_graph_as_union=True)
        if isinstance(result, ox.QueryBoolean):
            return ("ok", AskResult(bool(result), time.perf_counter() - started))
        if isinstance(result, ox.QuerySolutions):
            variables = [v.value for v in result.variables]
            rows, truncated = _pack_rows(result, max_rows, lambda sol: sol)
            return ("rows", variables, rows, truncated)
        triples, truncated = _pack_rows(result, max_rows, lambda t: (t.subject, t.predicate, t.object))
        return ("triples", triples, truncated)
    except MemoryError:
        return ("too_large",)
    except SyntaxError as exc:
        from .guard import syntax_error_from_oxigraph

        err = syntax_error_from_oxigraph(str(exc), query.text)
        return ("syntax", str(err), err.line, err.column)
    except (OSError, RuntimeError, ValueError, TypeError) as exc:  # TypeError: RDF-star terms in the data
        said = " ".join(str(exc).split())
        if sandboxed and _REFUSED_BY_THE_KERNEL in said:
            # Only a query that reached past the guard gets here: the sandbox is the last line, and it held.
            return (
                "not_allowed",
                f"the query tried to open a network connection and the query worker's network sandbox refused it "
                f"({said}): kgexplorer never sends a query to another server (SERVICE, FROM). Remove that part "
                "of the query; to use another endpoint's data, query it directly or load its data",
            )
        return ("error", f"the query failed: {said}; check the query and try again")


def _pack_rows(  # pragma: no cover - child side (the caller's tests cover it through the worker)
    items: Any, max_rows: int, terms: Any
) -> tuple[list[tuple[Packed | None, ...]], bool]:
    """Solutions (or triples) as tuples of packed terms, stopping one past the cap."""
    import pyoxigraph as ox

    from .terms import XSD_STRING

    named, literal, blank = ox.NamedNode, ox.Literal, ox.BlankNode

    def pack(term: Any) -> Packed | None:
        kind = type(term)
        if kind is named:
            return str(term.value)
        if term is None:
            return None
        if kind is literal:
            if term.language:
                return (term.value, None, term.language)
            datatype = term.datatype.value
            return (term.value,) if datatype == XSD_STRING else (term.value, datatype)
        if kind is blank:
            return str(term.value).encode("utf-8")
        raise TypeError(f"unsupported RDF term {term!r} (RDF-star triple terms are not supported)")

    rows: list[tuple[Packed | None, ...]] = []
    for item in items:
        if len(rows) >= max_rows:
            return rows, True
        rows.append(tuple([t.value if type(t) is named else pack(t) for t in terms(item)]))
    return rows, False


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
