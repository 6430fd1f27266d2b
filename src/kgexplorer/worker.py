"""User-written SPARQL runs here: in worker processes with a memory cap and a wall-clock limit.

Why processes (../shared/notes/stack-measurements.md, section 3): a pyoxigraph query cannot be
interrupted by threads or signals, and running out of memory aborts the whole process. So each worker
is a separate ``python -m kgexplorer.worker`` process that caps its own address space (RLIMIT_AS),
builds the same store as the caller from a :class:`~kgexplorer.store.StoreRecipe`, and answers queries
sent over its stdin/stdout as length-prefixed pickles. A query that outlives its time limit is killed
with its worker; the caller gets :class:`~kgexplorer.errors.QueryTimeout` and the next query gets a
fresh worker. Several workers serve at once, so one runaway does not block other users.

Results cross the pipe as plain tuples and strings (an IRI is its string, a literal a tuple, a blank
node bytes), which pickle in C, and the caller rebuilds the terms once per distinct value: pickling
the term objects themselves made a 5,916-row result cost 4× the query (LUBM Q14, measured).
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
from dataclasses import dataclass
from typing import IO, Any

from .errors import QueryError, QuerySyntaxError, QueryTimeout, QueryTooLarge
from .query import AskResult, GraphResult, QueryResult, SelectResult
from .store import StoreRecipe
from .terms import IRI, BlankNode, Literal, Term, Triple

__all__ = ["QueryWorkers"]

_HEADER = struct.Struct("!Q")
_STARTUP_LIMIT_S = 600.0  # building a big in-memory store can take minutes; queries have their own limit


@dataclass(frozen=True)
class _Request:
    query: str
    max_rows: int


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
    """A small pool of query worker processes for one store recipe.

    >>> from kgexplorer.settings import Settings
    >>> pool = QueryWorkers(StoreRecipe.bundled(), Settings())
    >>> pool.run("ASK { ?s ?p ?o }", max_rows=10, timeout_s=30).value
    True
    >>> pool.close()
    """

    def __init__(self, recipe: StoreRecipe, settings: Any, *, size: int = 2) -> None:
        self.recipe = recipe
        self.memory_mb = int(settings.worker_memory_mb)
        self._idle: list[_Worker] = []
        self._all: list[_Worker] = []
        self._slots = threading.BoundedSemaphore(size)
        self._lock = threading.Lock()
        self._closed = False
        # A pool dropped without close() still stops its processes (the finalizer holds no ref to self).
        self._finalizer = weakref.finalize(self, _kill_all, self._all)

    def run(self, query: str, *, max_rows: int, timeout_s: float) -> QueryResult:
        """Run a query that has passed :func:`kgexplorer.guard.check_query`; enforce the limits."""
        if self._closed:
            raise QueryError("this knowledge graph was closed; open it again to run queries")
        with self._slots:
            worker = self._take()
            started = time.monotonic()
            try:
                reply = worker.run(_Request(query, max_rows), started + timeout_s)
            except _Deadline:
                with self._lock:
                    self._forget(worker)
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
        kind = reply[0]
        elapsed = time.monotonic() - started
        if kind == "ok":
            result: QueryResult = reply[1]
            return _with_elapsed(result, elapsed)
        if kind == "rows":
            _, variables, packed, truncated = reply
            return SelectResult(tuple(variables), _unpack_rows(packed), truncated, elapsed, max_rows)
        if kind == "triples":
            _, packed, truncated = reply
            return GraphResult(_unpack_triples(packed), truncated, elapsed, max_rows)
        if kind == "too_large":
            raise QueryTooLarge(
                f"the query needed more memory than the query worker may use ({self.memory_mb} MiB, the "
                "worker_memory_mb setting). Make the query more selective, or raise the setting"
            )
        if kind == "syntax":
            raise QuerySyntaxError(reply[1], line=reply[2], column=reply[3])
        raise QueryError(str(reply[1]))

    def warm_up(self) -> None:
        """Start one worker now, so the first query does not wait for it."""
        with self._slots:
            self._give_back(self._take())

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
        _write_frame(frames_out, _answer(store, request))


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
            rows, truncated = _pack_rows(result, request.max_rows, lambda sol: sol)
            return ("rows", variables, rows, truncated)
        triples, truncated = _pack_rows(result, request.max_rows, lambda t: (t.subject, t.predicate, t.object))
        return ("triples", triples, truncated)
    except MemoryError:
        return ("too_large",)
    except SyntaxError as exc:
        from .guard import syntax_error_from_oxigraph

        err = syntax_error_from_oxigraph(str(exc), request.query)
        return ("syntax", str(err), err.line, err.column)
    except (OSError, RuntimeError, ValueError, TypeError) as exc:  # TypeError: RDF-star terms in the data
        return ("error", f"the query failed: {' '.join(str(exc).split())}; check the query and try again")


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
