"""One query worker process: how the pool talks to it (:class:`WorkerProcess`), and what runs inside it.

The pool that starts these processes, shares them between clients and turns their replies into results
is :mod:`kgexplorer.engine.query_workers`; why queries run in processes at all is said there. This module is the pipe
between the two and both its ends:

* The process (``python -m kgexplorer.engine.worker_process``, :func:`child_main`) installs the network sandbox
  before anything else (:func:`kgexplorer.engine.sandbox.install_network_sandbox`: the kernel then refuses it every
  socket but AF_UNIX), caps its own address space (RLIMIT_AS), builds the store from the :class:`Start` it
  is sent (none for a worker that only checks queries), and says ``ready`` with its
  :class:`~kgexplorer.engine.sandbox.SandboxStatus`. Files the parse worker is still writing (``growing``) it
  reads as they grow, each to the size the caller then tells it (:mod:`kgexplorer.engine.growing_file`).
* For each :class:`Request` it runs the full guard (:func:`kgexplorer.engine.guard.check_query`) on the text,
  says ``checked`` (form and digest), and then runs exactly the checked text (with the request's bindings as
  the engine's substitutions, :mod:`kgexplorer.engine.bindings`): as typed rows for the
  library (:mod:`kgexplorer.engine.packing`), or written natively in the endpoint's format
  (:mod:`kgexplorer.engine.serialization`), at most ``max_bytes`` either way.
* Nothing about an answer may end the process with an error of its own: a reply too large to pickle, or
  past the byte cap, becomes a reply saying so.

Frames are length-prefixed pickles (both ends are this package); a written answer's bytes follow its reply
frame raw, and the caller reads them as the chunks the pipe gives (never joined: the endpoint sends them
one by one).
"""

from __future__ import annotations

import contextlib
import os
import pickle
import select
import struct
import subprocess
import time
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING, Any

from kgexplorer.errors import QueryError, QueryNotAllowed, QuerySyntaxError, SandboxUnavailable

from .bindings import Bindings, substitutions
from .growing_file import Written
from .results import AskResult
from .sandbox import SandboxStatus

if TYPE_CHECKING:
    from .guard import CheckedQuery
    from .store import StoreRecipe

__all__ = [
    "HEADER",
    "Deadline",
    "Gone",
    "Request",
    "Start",
    "WorkerProcess",
    "child_main",
    "exit_code",
    "write_frame",
]

HEADER = struct.Struct("!Q")
_STARTUP_LIMIT_S = 600.0  # building a big in-memory store can take minutes; queries have their own limit
# How Oxigraph reports a system call the sandbox refused (EPERM, from socket()).
_REFUSED_BY_THE_KERNEL = "Operation not permitted (os error 1)"


@dataclass(frozen=True)
class Start:
    """What a worker is told when it starts (its first frame)."""

    recipe: StoreRecipe | None  # None: a worker that only checks queries
    memory_mb: int
    max_query_chars: int
    guard_cache_queries: int
    require_sandbox: bool
    #: Whether a worker whose sandbox is on checks queries at native speed (guard.check_in_sandbox); the
    #: full parse then runs only when that cannot decide, and on the error path (the guard_fast_path setting).
    fast_guard: bool = True
    #: The recipe's files the parse worker is still writing: read as they grow, each to the size the caller
    #: sends (a :class:`~kgexplorer.engine.growing_file.Written` frame) once the parse worker reported it.
    growing: tuple[str, ...] = ()


@dataclass(frozen=True)
class Request:
    """One query for a worker (each frame after the first)."""

    text: str  # a QueryText's text: normalised and screened; the worker runs the full guard on it
    max_rows: int
    execute: bool = True  # False: check only, answer ("checked", form, digest)
    #: The answer may not grow past this many bytes (the max_result_mb setting).
    max_bytes: int = 32 << 20
    #: For the endpoint: the format names to write a SELECT/ASK and a CONSTRUCT/DESCRIBE answer in (None:
    #: the client accepts none of that kind); the worker then writes the answer natively. Absent: typed rows.
    formats: tuple[str | None, str | None] | None = None
    #: Values bound beside the text (kgexplorer.engine.bindings), given to the engine as its substitutions.
    bindings: Bindings = ()


def write_frame(stream: IO[bytes], obj: Any, *, flush: bool = True) -> None:
    """Send one pickled frame (``flush``: now; otherwise with whatever the stream writes next)."""
    data = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(HEADER.pack(len(data)) + data)
    if flush:
        stream.flush()


# ------------------------------------------------------------------------------------------ the caller's end


class WorkerProcess:
    """One worker process, seen from the pool that started it: its start, one request at a time, its end.

    With ``wait=False`` it is started and left loading; :meth:`wait_ready` must then succeed before any
    request (a worker given ``growing`` files is told their sizes, :meth:`tell_written`, meanwhile).
    """

    def __init__(self, start: Start, command: list[str], *, wait: bool = True) -> None:
        env = dict(os.environ)
        env["PYTHONUNBUFFERED"] = "1"
        self.start = start
        self.proc = subprocess.Popen(
            command,
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
        #: Where requests are written, and the reply pipe's descriptor (read from an event loop by
        #: :mod:`kgexplorer.engine.worker_pipe`).
        self.requests: IO[bytes] = self._in
        self.out_fd = self._out.fileno()
        _widen_pipe(self._out)
        #: Whether the kernel refuses this worker the network (its ready message; off until then).
        self.sandbox = SandboxStatus(False, "the query worker has not said yet")
        #: How the guard decided on the last query run: ``native`` (guard.check_in_sandbox), ``parsed`` (the
        #: full parse), or None (refused, or not run).
        self.guard_decided: str | None = None
        self.ready = False
        with contextlib.suppress(OSError):  # a worker that died at once is reported by wait_ready
            write_frame(self._in, start)
        if wait:
            self.wait_ready()

    def tell_written(self, path: str, size: int) -> None:
        """Tell a worker still loading that the parse worker finished ``path`` at ``size`` bytes."""
        with contextlib.suppress(OSError):  # it died while loading: wait_ready says so
            write_frame(self._in, Written(path, size))

    def wait_ready(self) -> None:
        """Wait for the worker's ready message; raise QueryError (and kill it) when it cannot start."""
        start, memory_mb = self.start, self.start.memory_mb
        try:
            reply = self._read(time.monotonic() + _STARTUP_LIMIT_S)
        except (Gone, Deadline, OSError, EOFError, pickle.UnpicklingError):
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
        self.sandbox, self.ready = reply[1], True

    def run(self, request: Request, deadline: float) -> tuple[Any, list[bytes] | None]:
        """Send one request; return its reply, and a written answer's bytes (in the chunks the pipe gave).

        A query to execute is first answered ``checked``: from then on a deadline is the query's, not the guard's.
        """
        write_frame(self._in, request)
        reply = self._read(deadline, checked=False)
        self.guard_decided = None
        if request.execute and reply[0] == "checked":
            self.guard_decided = reply[3] if len(reply) > 3 else None
            reply = self._read(deadline, checked=True)
        if reply[0] != "answer":
            return reply, None
        try:
            return reply, _read_chunks(self._out, reply[4], deadline)
        except Deadline:
            raise Deadline(checked=True) from None

    def _read(self, deadline: float, *, checked: bool = False) -> Any:
        try:
            header = _read_exact(self._out, HEADER.size, deadline)
            (size,) = HEADER.unpack(header)
            return pickle.loads(_read_exact(self._out, size, deadline))
        except Deadline:
            raise Deadline(checked) from None

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


class Deadline(Exception):
    """The time limit passed; ``checked`` says whether the guard had accepted the query by then."""

    def __init__(self, checked: bool = False) -> None:
        super().__init__(checked)
        self.checked = checked


class Gone(Exception):
    """The worker's pipe closed: the process ended."""


def exit_code(proc: subprocess.Popen[bytes], *, grace_s: float = 5.0) -> int | None:
    """The exit code of a worker whose pipe just closed (negative: killed by a signal).

    The pipe closes a moment before the process is reaped, so polling at once would often see it still
    running and report an out-of-memory abort as an unexplained failure; wait briefly for it instead.
    """
    try:
        return proc.wait(timeout=grace_s)
    except subprocess.TimeoutExpired:
        return proc.poll()


def _widen_pipe(stream: IO[bytes]) -> None:
    """Let the result pipe hold 1 MiB (Linux; 64 KiB by default), so a large result crosses in fewer wake-ups."""
    with contextlib.suppress(OSError, AttributeError, ImportError):
        import fcntl

        fcntl.fcntl(stream.fileno(), fcntl.F_SETPIPE_SZ, 1 << 20)


def _read_chunks(stream: IO[bytes], size: int, deadline: float) -> list[bytes]:
    """Exactly ``size`` bytes as the list of chunks read (never joined: the endpoint sends them one by one)."""
    fd = stream.fileno()
    chunks: list[bytes] = []
    left = size
    while left > 0:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise Deadline
        ready, _, _ = select.select([fd], [], [], remaining)
        if not ready:
            raise Deadline
        chunk = os.read(fd, min(left, 1 << 20))
        if not chunk:
            raise Gone
        chunks.append(chunk)
        left -= len(chunk)
    return chunks


def _read_exact(stream: IO[bytes], size: int, deadline: float) -> bytes:
    fd = stream.fileno()
    chunks = bytearray()
    while len(chunks) < size:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise Deadline
        ready, _, _ = select.select([fd], [], [], remaining)
        if not ready:
            raise Deadline
        chunk = os.read(fd, min(size - len(chunks), 1 << 20))
        if not chunk:
            raise Gone
        chunks += chunk
    return bytes(chunks)


# ------------------------------------------------------------------------------------------ inside the process


def child_main() -> None:  # pragma: no cover - runs in the worker process (covered by the worker tests)
    from . import sandbox

    # First, before any thread starts and before any input is read: the kernel refuses this process the
    # network from here on (the filter also covers threads already running, and cannot be removed).
    status = sandbox.install_network_sandbox()
    import resource

    from .growing_file import open_growing, read_frame, sizes_from

    frames_out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # anything printed goes to stderr, never into the frame stream
    # Frames are read straight from the descriptor (no read-ahead), so that waiting on it for the size of a
    # growing file (select) sees every frame sent.
    start: Start = read_frame(0, HEADER)
    sizes = sizes_from(0, HEADER)
    if start.require_sandbox and not status.on:
        write_frame(frames_out, ("no_sandbox", status))
        return
    limit = start.memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    try:
        from . import guard
        from .store import build_store

        growing = set(start.growing)
        opener = (lambda df: open_growing(df.path, sizes) if df.path in growing else None) if growing else None
        store = build_store(start.recipe, open_file=opener) if start.recipe is not None else None
        if not (status.on and start.fast_guard and store is not None):
            # Every query here takes the full parse: build rdflib's grammar now, not in the first query. Where the
            # native check decides, the first query that needs the parse builds it (half the worker's start CPU).
            guard.check_query("ASK {}", remember=0)
    except Exception as exc:  # report any load failure to the parent, which raises a clear error
        write_frame(frames_out, ("error", str(exc)))
        return
    write_frame(frames_out, ("ready", status))
    while True:
        try:
            request = read_frame(0, HEADER)
        except EOFError:
            return
        _reply(frames_out, store, request, start, sandboxed=status.on)


def _reply(  # pragma: no cover - child side
    out: IO[bytes],
    store: Any,
    request: Request,
    start: Start,
    *,
    sandboxed: bool,
) -> None:
    """Answer one request: check it (and send ``checked``), run it, send a pickled reply, then (for a
    written answer) its raw bytes."""
    from . import guard

    body: list[bytes] = []
    try:
        outcome = _check(request, start, sandboxed=sandboxed and store is not None)
        if not isinstance(outcome[0], guard.CheckedQuery):  # refused by the guard, or a check-only request answered
            reply: tuple[Any, ...] = outcome
        else:
            checked, how = outcome
            # From here on the time limit is the query's; the last field says how the guard decided. A full
            # parse may have used much of the time, so its verdict is sent at once. The native check takes
            # microseconds: its verdict waits for the answer and both go in one write, which saves the caller a
            # wake-up per query; should the query then run out of time, the caller repeats that check itself
            # (QueryWorkers._native) to say which limit was hit.
            write_frame(out, ("checked", checked.form, checked.digest, how), flush=how != "native")
            if store is None:
                reply = ("error", "this query worker has no data to query; it only checks queries")
            elif request.formats is None:
                reply = _execute(store, checked, request, sandboxed=sandboxed)
            else:
                reply, body = _write(store, checked, request, sandboxed=sandboxed)
        data = pickle.dumps(reply, protocol=pickle.HIGHEST_PROTOCOL)
        if request.formats is None and len(data) > request.max_bytes:
            data = pickle.dumps(("result_too_large",))
    except MemoryError:
        data, body = pickle.dumps(("too_large",)), []
    out.write(HEADER.pack(len(data)) + data)
    for chunk in body:
        out.write(chunk)
    out.flush()


def _check(  # pragma: no cover - child side
    request: Request, start: Start, *, sandboxed: bool = False
) -> tuple[CheckedQuery, str] | tuple[Any, ...]:
    """The guard on the request's text: the checked query and how it was decided (``native`` or ``parsed``),
    or the reply that ends the request.

    In a worker whose network sandbox is on, a query to run is checked at native speed when that can decide
    (:func:`kgexplorer.engine.guard.check_in_sandbox`); otherwise, and always for check-only requests (the
    guard of a remote endpoint, where no sandbox here protects anything), the full parse decides.
    """
    from . import guard  # looked up on the module each time: tests/altered_worker.py replaces check_query

    try:
        fast = sandboxed and request.execute and start.fast_guard
        native = guard.check_in_sandbox(request.text, max_chars=start.max_query_chars) if fast else None
        checked = native or guard.check_query(
            request.text, max_chars=start.max_query_chars, remember=start.guard_cache_queries
        )
    except QuerySyntaxError as exc:
        return ("syntax", str(exc), exc.line, exc.column)
    except QueryNotAllowed as exc:
        return ("not_allowed", str(exc))
    except MemoryError:
        return ("too_large",)
    if not request.execute:
        return ("checked", checked.form, checked.digest)
    return checked, "native" if native is not None else "parsed"


def _execute(  # pragma: no cover - child side
    store: Any, query: CheckedQuery, request: Request, *, sandboxed: bool
) -> tuple[Any, ...]:
    """Run a query the guard accepted, as typed rows: the engine is given exactly the text the guard parsed."""
    import pyoxigraph as ox

    from kgexplorer.namespaces import PREFIXES

    from .packing import pack_rows

    started = time.perf_counter()
    try:
        result = store.query(
            query.text,
            prefixes=PREFIXES,
            use_default_graph_as_union=True,
            substitutions=substitutions(request.bindings),
        )
        if isinstance(result, ox.QueryBoolean):
            return ("ok", AskResult(bool(result), time.perf_counter() - started))
        if isinstance(result, ox.QuerySolutions):
            variables = [v.value for v in result.variables]
            rows, truncated = pack_rows(result, request.max_rows, lambda sol: sol)
            return ("rows", variables, rows, truncated)
        triples, truncated = pack_rows(result, request.max_rows, lambda t: (t.subject, t.predicate, t.object))
        return ("triples", triples, truncated)
    except (MemoryError, SyntaxError, OSError, RuntimeError, ValueError, TypeError) as exc:  # TypeError: RDF-star
        return _failure(exc, query.text, sandboxed=sandboxed)


def _write(  # pragma: no cover - child side
    store: Any, query: CheckedQuery, request: Request, *, sandboxed: bool
) -> tuple[tuple[Any, ...], list[bytes]]:
    """Run a checked query and write its answer natively in the format asked for (kgexplorer.engine.serialization)."""
    from kgexplorer.namespaces import PREFIXES

    from .serialization import write_answer

    assert request.formats is not None
    select_format, graph_format = request.formats
    try:
        result = store.query(
            query.text,
            prefixes=PREFIXES,
            use_default_graph_as_union=True,
            substitutions=substitutions(request.bindings),
        )
        written = write_answer(
            result,
            select_format=select_format,
            graph_format=graph_format,
            max_rows=request.max_rows,
            max_bytes=request.max_bytes,
        )
    except (MemoryError, SyntaxError, OSError, RuntimeError, ValueError, TypeError) as exc:
        return _failure(exc, query.text, sandboxed=sandboxed), []
    if written.too_large:
        return ("result_too_large",), []
    if written.format is None or written.problem is not None:
        return ("unwritten", written.kind, written.format, written.problem), []
    return ("answer", written.kind, written.format, written.truncated, written.size), written.chunks


def _failure(exc: BaseException, text: str, *, sandboxed: bool) -> tuple[Any, ...]:  # pragma: no cover - child side
    """The reply for a checked query the engine could not run (the same for typed and written answers)."""
    if isinstance(exc, MemoryError):
        return ("too_large",)
    from . import guard

    try:  # the error path runs the full parse (again, if it ran before): its refusal is the clearest message
        guard.check_query(text, remember=0)
    except QuerySyntaxError as refused:
        return ("syntax", str(refused), refused.line, refused.column)
    except QueryNotAllowed as refused:
        return ("not_allowed", str(refused))
    except MemoryError:
        return ("too_large",)
    if isinstance(exc, SyntaxError):
        err = guard.syntax_error_from_oxigraph(str(exc), text)
        return ("syntax", str(err), err.line, err.column)
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


if __name__ == "__main__":  # pragma: no cover
    child_main()
