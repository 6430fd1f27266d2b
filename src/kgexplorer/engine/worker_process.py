"""One query worker process as the pool sees it (:class:`WorkerProcess`), and the frames that cross its pipes.

The pool that starts these processes, shares them between clients and turns their replies into results
is :mod:`kgexplorer.engine.query_workers`; why queries run in processes at all is said there. What runs inside
the process (``python -m kgexplorer.engine.worker_main``) is :mod:`kgexplorer.engine.worker_main`: it installs
the network sandbox before anything else, caps its own address space, builds the store from the :class:`Start`
it is sent and says ``ready`` with its :class:`~kgexplorer.engine.sandbox.SandboxStatus`; then, for each
:class:`Request`, it runs the guard, says ``checked`` (form and digest) and runs exactly the checked text (with
the request's bindings as the engine's substitutions, :mod:`kgexplorer.engine.bindings`): as typed rows for the
library (:mod:`kgexplorer.engine.packing`), or written natively in the endpoint's format
(:mod:`kgexplorer.engine.serialization`), at most ``max_bytes`` either way.

Frames are length-prefixed pickles (both ends are this package); a written answer's bytes follow its reply
frame raw, and the caller reads them as the chunks the pipe gives (never joined: the endpoint sends them
one by one). A library SELECT's rows (or CONSTRUCT's triples) come before its reply, as pieces of TSV (or
N-Triples) sent while the engine writes them, each with its header marked :data:`PIECE`.
"""

from __future__ import annotations

import contextlib
import math
import os
import pickle
import select
import struct
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING, Any

from kgexplorer.errors import QueryError, SandboxUnavailable

from .bindings import Bindings
from .growing_file import Written
from .sandbox import SandboxStatus

if TYPE_CHECKING:
    from .store import StoreRecipe

__all__ = [
    "HEADER",
    "Deadline",
    "Gone",
    "Request",
    "Start",
    "WorkerProcess",
    "exit_code",
    "write_frame",
]

HEADER = struct.Struct("!Q")
#: Set in a header whose bytes are a piece of a streamed answer (raw TSV or N-Triples, for ``pieces``), not a frame.
PIECE = 1 << 63
_STARTUP_LIMIT_S = 600.0  # building a big in-memory store can take minutes; queries have their own limit


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
            # A group of its own: a signal to the app's group (Ctrl-C) does not reach it. The caller's session, not
            # one of its own: Linux shares the CPU between sessions first, and a slow query's lowered priority
            # (engine/slow_queries.py) must count against the caller's processes.
            process_group=0,
        )
        if self.proc.stdin is None or self.proc.stdout is None:  # pragma: no cover - Popen with PIPE always sets them
            raise QueryError("could not start the query worker (no pipes); try again")
        self._in: IO[bytes] = self.proc.stdin
        self._out: IO[bytes] = self.proc.stdout
        #: Where requests are written, and the reply pipe's descriptor (read from an event loop by
        #: :mod:`kgexplorer.engine.worker_pipe`).
        self.requests: IO[bytes] = self._in
        self.out_fd = self._out.fileno()
        self._inbox = _Inbox(self.out_fd)
        _widen_pipe(self._out)
        #: Whether the kernel refuses this worker the network (its ready message; off until then).
        self.sandbox = SandboxStatus(False, "the query worker has not said yet")
        #: How the guard decided on the last query run: ``native`` (guard.check_in_sandbox), ``parsed`` (the
        #: full parse), or None (refused, or not run).
        self.guard_decided: str | None = None
        self.ready = False
        #: Whether its priority was lowered (engine/slow_queries.py): restored or retired after the query.
        self.lowered = False
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
            self._inbox.done()
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

    def run(
        self,
        request: Request,
        deadline: float,
        *,
        every_s: float = 0,
        slow: Callable[[], bool] | None = None,
        pieces: Callable[[bytes], None] | None = None,
    ) -> Any:
        """Send one library request (or a check); return its reply. Written answers (the endpoint's, with their
        bytes after the reply) are read in the event loop instead (:mod:`kgexplorer.engine.worker_pipe`).

        A query to execute is first answered ``checked``: from then on a deadline is the query's, not the guard's.
        ``slow`` is called every ``every_s`` seconds while the reply has not come, until it returns True. A library
        SELECT's rows and a CONSTRUCT's triples stream before its reply: each piece goes to ``pieces`` as it comes.
        """
        alarm = _Alarm(time.monotonic() + every_s, every_s, slow) if slow is not None and every_s > 0 else None
        write_frame(self._in, request)
        reply = self._read(deadline, checked=False, alarm=alarm)
        self.guard_decided = None
        if request.execute and reply[0] == "checked":
            self.guard_decided = reply[3] if len(reply) > 3 else None
            reply = self._read(deadline, checked=True, alarm=alarm, pieces=pieces)
        self._inbox.done()
        return reply

    def _read(
        self,
        deadline: float,
        *,
        checked: bool = False,
        alarm: _Alarm | None = None,
        pieces: Callable[[bytes], None] | None = None,
    ) -> Any:
        """The next frame; the pieces of a streamed answer before it go to ``pieces`` (or are dropped, without)."""
        inbox = self._inbox
        try:
            while True:
                (size,) = HEADER.unpack(inbox.take(HEADER.size, deadline, alarm))
                if not size & PIECE:
                    return pickle.loads(inbox.take(size, deadline, alarm))
                # A piece whole, as the worker wrote it (pyoxigraph's 8 KiB): the reader then reads each once.
                (pieces or _drop)(inbox.take(size & ~PIECE, deadline, alarm))
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


class _Alarm:
    """Call ``fire`` at ``at`` (time.monotonic()) and every ``every_s`` after, until it returns True."""

    __slots__ = ("at", "every_s", "fire")

    def __init__(self, at: float, every_s: float, fire: Callable[[], bool]) -> None:
        self.at, self.every_s, self.fire = at, every_s, fire


#: How long a side of the pipe looks for the other's next frame before it sleeps (docs/decisions/library-query-path.md):
#: on a virtual machine waking a sleeping process cost 45-80 µs there, more than a small query's own work. 1 ms
#: covers a worker answering a few hundred rows and a caller reading them back (Hetionet's 755-row H1: 0.37 and
#: 0.33 ms), which 0.3 ms did not: H1 through kg.sparql 0.80 against 0.90 ms. Only library queries and checks wait
#: here; the endpoint reads its replies in the event loop (engine/worker_pipe.py).
SPIN_S = 0.001


def spin_until_readable(fd: int, seconds: float = SPIN_S) -> bool:
    """Look whether ``fd`` can be read, again and again for up to ``seconds``, giving the CPU to any other process
    that is waiting for it in between; False when nothing came (then sleep in ``select``)."""
    end = time.perf_counter() + seconds
    while True:
        if select.select([fd], [], [], 0)[0]:
            return True
        if time.perf_counter() >= end:
            return False
        os.sched_yield()


def _wait_readable(fd: int, deadline: float, alarm: _Alarm | None) -> None:
    """Wait until ``fd`` can be read; raise Deadline at ``deadline``; ring ``alarm`` on the way."""
    if spin_until_readable(fd):
        return
    while True:
        now = time.monotonic()
        remaining = deadline - now
        if remaining <= 0:
            raise Deadline
        if alarm is not None and alarm.at <= now:
            alarm.at = math.inf if alarm.fire() else now + alarm.every_s
        wait = remaining if alarm is None else min(remaining, max(0.0, alarm.at - now))
        ready, _, _ = select.select([fd], [], [], wait)
        if ready:
            return


class _Inbox:
    """The reply pipe as the caller's blocking path reads it: each read takes what the pipe holds (up to 64 KiB, or
    the rest of a larger frame), and frames and pieces are taken from that. A small answer's frames come in one or
    two writes (its verdict with its one piece, then the reply), which were six reads and six looks at the pipe when
    each header and body was read on its own. Nothing is left over after a reply (the worker writes nothing more
    until it is asked again), so the endpoint's reader (engine/worker_pipe.py) finds the pipe as it always did."""

    __slots__ = ("_at", "_data", "_fd")

    _READ = 1 << 16

    def __init__(self, fd: int) -> None:
        self._fd = fd
        self._data = b""
        self._at = 0

    def take(self, size: int, deadline: float, alarm: _Alarm | None) -> bytes:
        """Exactly ``size`` bytes."""
        at, end = self._at, self._at + size
        if end <= len(self._data):
            self._at = end
            return self._data[at:end]
        parts = [self._data[at:]]
        have = len(parts[0])
        while have < size:
            chunk = self._fill(size - have, deadline, alarm)
            parts.append(chunk)
            have += len(chunk)
        last = parts[-1]
        self._data, self._at = last, len(last) - (have - size)  # what the last read gave beyond ``size`` stays
        parts[-1] = last[: self._at]
        return b"".join(parts)

    def done(self) -> None:
        """After a reply: raise :class:`Gone` if the worker wrote anything more (its pipe is out of step)."""
        if self._at < len(self._data):  # bytes read from the pipe and not taken
            raise Gone
        self._data, self._at = b"", 0

    def _fill(self, wanted: int, deadline: float, alarm: _Alarm | None) -> bytes:
        """One read of what the pipe holds: at least a byte, up to ``wanted`` or 64 KiB, whichever is more (and
        at most 1 MiB, the pipe's size)."""
        _wait_readable(self._fd, deadline, alarm)
        chunk = os.read(self._fd, min(max(wanted, self._READ), 1 << 20))
        if not chunk:
            raise Gone
        return chunk


def _drop(chunk: bytes) -> None:
    """What becomes of a streamed piece no one asked for."""
