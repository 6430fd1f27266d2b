"""What runs inside a query worker process (``python -m kgexplorer.engine.worker_main``).

The caller's end of the pipe, the frames and why queries run in processes are
:mod:`kgexplorer.engine.worker_process` and :mod:`kgexplorer.engine.query_workers`. Here, in order:

* :func:`child_main` installs the network sandbox before anything else
  (:func:`kgexplorer.engine.sandbox.install_network_sandbox`: the kernel then refuses the process every socket but
  AF_UNIX), caps its own address space (RLIMIT_AS), builds the store from the
  :class:`~kgexplorer.engine.worker_process.Start` it is sent (none for a worker that only checks queries), and
  says ``ready`` with its :class:`~kgexplorer.engine.sandbox.SandboxStatus`. Files the parse worker is still
  writing (``growing``) it reads as they grow (:mod:`kgexplorer.engine.growing_file`).
* For each :class:`~kgexplorer.engine.worker_process.Request`, :func:`_reply` runs the guard on the text
  (:func:`_check`), says ``checked``, and then runs exactly the checked text: for the library (:func:`_execute`:
  SELECT rows streamed as TSV, triples as N-Triples), or written natively in the endpoint's format
  (:func:`_write`), at most ``max_bytes`` either way.
* Nothing about an answer may end the process with an error of its own: a reply too large to pickle, or past
  the byte cap, becomes a reply saying so; an engine error becomes the clearest message the guard can give
  (:func:`_failure`).
"""

from __future__ import annotations

import functools
import os
import pickle
import time
from typing import IO, TYPE_CHECKING, Any

from kgexplorer.errors import QueryNotAllowed, QuerySyntaxError

from .bindings import substitutions
from .results import AskResult
from .worker_process import HEADER, PIECE, Request, Start, spin_until_readable, write_frame

if TYPE_CHECKING:
    from .guard import CheckedQuery

__all__ = ["child_main"]

#: Most pieces one writev(2) takes (the kernel's IOV_MAX on Linux).
_IOV_MAX = 1024
# How Oxigraph reports a system call the sandbox refused (EPERM, from socket()).
_REFUSED_BY_THE_KERNEL = "Operation not permitted (os error 1)"


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
        if request.formats is None:
            # The library's next query (an app page runs several) often follows at once: look for it a moment
            # before sleeping, which saves a wake-up. Not for the endpoint's: under load, the spin only took CPU
            # from the front process and the other workers (A/B, distinct Q1 1,751 against 1,843 req/s).
            spin_until_readable(0)


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
                reply = _execute(store, checked, request, out, sandboxed=sandboxed)
            else:
                reply, body = _write(store, checked, request, sandboxed=sandboxed)
        data = pickle.dumps(reply, protocol=pickle.HIGHEST_PROTOCOL)
        if request.formats is None and len(data) > request.max_bytes:
            data = pickle.dumps(("result_too_large",))
    except MemoryError:
        data, body = pickle.dumps(("too_large",)), []
    out.write(HEADER.pack(len(data)) + data)
    out.flush()
    _write_all(out.fileno(), body)


def _write_all(fd: int, chunks: list[bytes]) -> None:  # pragma: no cover - child side
    """Write ``chunks`` (pyoxigraph's 8 KiB pieces of an answer) in as few system calls as the kernel allows: one
    write per piece woke the reader once per piece."""
    views = [memoryview(c) for c in chunks if c]
    first = 0
    while first < len(views):
        done = os.writev(fd, views[first : first + _IOV_MAX])
        while first < len(views) and done >= len(views[first]):
            done -= len(views[first])
            first += 1
        if done:  # a piece written in part (a signal): the rest of it goes first next time
            views[first] = views[first][done:]


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
        fast = sandboxed and request.execute and start.fast_guard  # the guard_fast_path setting
        native = guard.check_in_sandbox(request.text, max_chars=start.max_query_chars) if fast else None
        checked = native or guard.check_query(
            request.text, max_chars=start.max_query_chars, remember=start.guard_cache_queries
        )
    except (QuerySyntaxError, QueryNotAllowed, MemoryError) as exc:
        return _refusal(exc)
    if not request.execute:
        return ("checked", checked.form, checked.digest)
    return checked, "native" if native is not None else "parsed"


def _refusal(exc: BaseException) -> tuple[Any, ...]:  # pragma: no cover - child side
    """The reply for the guard's refusal, or for running out of memory while checking."""
    if isinstance(exc, QuerySyntaxError):
        return ("syntax", str(exc), exc.line, exc.column)
    if isinstance(exc, QueryNotAllowed):
        return ("not_allowed", str(exc))
    return ("too_large",)


def _run(store: Any, query: CheckedQuery, request: Request) -> Any:  # pragma: no cover - child side
    """The engine on exactly the text the guard checked, the request's bindings as its substitutions."""
    from kgexplorer.namespaces import PREFIXES

    return store.query(
        query.text, prefixes=PREFIXES, use_default_graph_as_union=True, substitutions=substitutions(request.bindings)
    )


def _execute(  # pragma: no cover - child side
    store: Any, query: CheckedQuery, request: Request, out: IO[bytes], *, sandboxed: bool
) -> tuple[Any, ...]:
    """Run a query the guard accepted for the library: the engine is given exactly the text the guard parsed.

    Rows and triples stream: each piece of the TSV (SELECT) or N-Triples (CONSTRUCT, DESCRIBE) pyoxigraph writes is
    sent as it is written (:func:`_send_piece`), so the caller reads one piece while the next is written
    (:class:`kgexplorer.engine.packing.AnswerReader`); the reply after them says how it ended (``rows_done`` or
    ``triples_done``, or the error).
    """
    import pyoxigraph as ox

    from .serialization import send_lines

    started = time.perf_counter()
    try:
        result = _run(store, query, request)
        if isinstance(result, ox.QueryBoolean):
            return ("ok", AskResult(bool(result), time.perf_counter() - started))
        send = functools.partial(_send_piece, out)
        written = send_lines(result, send, max_rows=request.max_rows, max_bytes=request.max_bytes)
        if written.too_large:
            return ("result_too_large",)
        return ("rows_done" if written.kind == "select" else "triples_done", written.truncated)
    except (MemoryError, SyntaxError, OSError, RuntimeError, ValueError, TypeError) as exc:  # TypeError: RDF-star
        return _failure(exc, query.text, sandboxed=sandboxed)


def _send_piece(out: IO[bytes], piece: bytes) -> None:  # pragma: no cover - child side
    """One piece of a streamed answer, marked as one (``PIECE``), sent at once: the caller reads it while the engine
    writes the next (even for a one-piece answer, measured: the caller reads it while the reply is made)."""
    out.write(HEADER.pack(PIECE | len(piece)) + piece)
    out.flush()


def _write(  # pragma: no cover - child side
    store: Any, query: CheckedQuery, request: Request, *, sandboxed: bool
) -> tuple[tuple[Any, ...], list[bytes]]:
    """Run a checked query and write its answer natively in the format asked for (kgexplorer.engine.serialization)."""
    from .serialization import write_answer

    assert request.formats is not None
    select_format, graph_format = request.formats
    try:
        result = _run(store, query, request)
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
    except (QuerySyntaxError, QueryNotAllowed, MemoryError) as refused:
        return _refusal(refused)
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
