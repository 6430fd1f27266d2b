"""A query worker's replies read in the endpoint's event loop: no thread between the worker and the client.

The library and the app wait for a worker's reply in a thread (:meth:`WorkerProcess.run
<kgexplorer.engine.worker_process.WorkerProcess.run>`). The endpoint used to do the same through a thread pool,
and a profile of ``kgexplorer serve`` under wrk showed what that cost on every query: the reply woke a
pool thread, which then had to win the GIL from the event loop (up to the 5 ms switch interval while the
loop was busy with other requests) and wake the loop in turn. With 8 connections the median request took
9 ms of which the worker needed under 1 ms. :func:`run_in_loop` instead watches the worker's pipe from the
event loop itself (``loop.add_reader``): the reply is read by the thread that sends it to the client, with
one wake-up. The frames are those of :mod:`kgexplorer.engine.worker_process`; an answer's bytes are kept
as the chunks the pipe gave (never joined), as :func:`~kgexplorer.engine.worker_process.WorkerProcess.run`
does.
"""

from __future__ import annotations

import asyncio
import os
import pickle
import time
from collections.abc import Callable
from typing import Any

from .worker_process import HEADER, Deadline, Gone, Request, WorkerProcess, write_frame

__all__ = ["run_in_loop"]

_READ = 1 << 20  # the pipe's size (WorkerProcess): no read can return more
_FRAME_READ = 1 << 16  # while no size is known: a frame is small


class _Pipe:
    """The worker's reply pipe, read by the running event loop whenever it holds bytes."""

    def __init__(self, fd: int, loop: asyncio.AbstractEventLoop) -> None:
        self.fd, self.loop = fd, loop
        self.chunks: list[bytes] = []
        self.held = 0
        self.want = 0  # bytes the reader waits for; each read asks for what is missing, no more
        self.closed = False
        self.waiter: asyncio.Future[None] | None = None
        loop.add_reader(fd, self._readable)

    def _readable(self) -> None:
        try:
            # Asked for just what is missing: a read of _READ would allocate 1 MiB for every answer, above
            # malloc's mmap threshold, so each answer's pages were mapped, faulted in and unmapped again
            # (90 page faults per Q14 answer in the endpoint). Sized to the answer, freed memory is reused.
            data = os.read(self.fd, min(max(self.want - self.held, _FRAME_READ), _READ))
        except BlockingIOError:  # pragma: no cover - woken without data
            return
        except OSError:
            data = b""
        if data:
            self.chunks.append(data)
            self.held += len(data)
        else:
            self.closed = True
            self.loop.remove_reader(self.fd)
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_result(None)

    def stop(self) -> None:
        if not self.closed:
            self.loop.remove_reader(self.fd)
            self.closed = True

    async def _more(self, deadline: float) -> None:
        if self.closed:
            raise Gone
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise Deadline
        self.waiter = self.loop.create_future()
        try:
            async with asyncio.timeout(remaining):
                await self.waiter
        except TimeoutError:
            raise Deadline from None
        finally:
            self.waiter = None

    def _split(self, size: int) -> list[bytes]:
        """The first ``size`` bytes held, as chunks (the caller checked there are that many); only a chunk cut
        in two is copied."""
        parts: list[bytes] = []
        need = size
        while need:
            first = self.chunks[0]
            if len(first) <= need:
                parts.append(self.chunks.pop(0))
                need -= len(first)
            else:
                parts.append(first[:need])
                self.chunks[0] = first[need:]
                need = 0
        self.held -= size
        return parts

    def _take(self, size: int) -> bytes:
        parts = self._split(size)
        return parts[0] if len(parts) == 1 else b"".join(parts)

    async def exactly(self, size: int, deadline: float) -> bytes:
        self.want = size
        while self.held < size:
            await self._more(deadline)
        return self._take(size)

    async def frame(self, deadline: float, *, checked: bool) -> Any:
        try:
            (size,) = HEADER.unpack(await self.exactly(HEADER.size, deadline))
            return pickle.loads(await self.exactly(size, deadline))
        except Deadline:
            raise Deadline(checked) from None

    async def body(self, size: int, deadline: float) -> list[bytes]:
        """Exactly ``size`` bytes, as the chunks the pipe gave (never joined)."""
        self.want = size
        while self.held < size:
            try:
                await self._more(deadline)
            except Deadline:
                raise Deadline(checked=True) from None
        if self.held == size:
            chunks, self.chunks, self.held = self.chunks, [], 0
            return chunks
        # Nothing follows an answer before the next request; should more ever be held, it stays for the next read.
        return self._split(size)


class _Repeat:
    """Call ``fire`` from the loop every ``every_s`` seconds until it returns True or :meth:`cancel` is called."""

    def __init__(self, loop: asyncio.AbstractEventLoop, every_s: float, fire: Callable[[], bool]) -> None:
        self.loop, self.every_s, self.fire = loop, every_s, fire
        self.handle = loop.call_later(every_s, self._ring)

    def _ring(self) -> None:
        if not self.fire():
            self.handle = self.loop.call_later(self.every_s, self._ring)

    def cancel(self) -> None:
        self.handle.cancel()


async def run_in_loop(
    worker: WorkerProcess,
    request: Request,
    deadline: float,
    *,
    every_s: float = 0,
    slow: Callable[[], bool] | None = None,
) -> tuple[Any, list[bytes] | None]:
    """What :meth:`WorkerProcess.run <kgexplorer.engine.worker_process.WorkerProcess.run>` does, waiting in the
    running event loop instead of a thread: send ``request``, return the reply and a written answer's bytes.

    Raises :class:`~kgexplorer.engine.worker_process.Deadline` (saying whether the guard had accepted the
    query) at ``deadline`` (``time.monotonic()``), and :class:`~kgexplorer.engine.worker_process.Gone` when
    the worker's pipe closes. ``slow`` is called every ``every_s`` seconds meanwhile, until it returns True.
    """
    loop = asyncio.get_running_loop()
    pipe = _Pipe(worker.out_fd, loop)
    repeat = _Repeat(loop, every_s, slow) if slow is not None and every_s > 0 else None
    try:
        # A request is one small frame the idle worker is waiting to read: the write does not wait.
        write_frame(worker.requests, request)
        reply = await pipe.frame(deadline, checked=False)
        worker.guard_decided = None
        if request.execute and reply[0] == "checked":
            worker.guard_decided = reply[3] if len(reply) > 3 else None
            reply = await pipe.frame(deadline, checked=True)
        if reply[0] != "answer":
            return reply, None
        return reply, await pipe.body(reply[4], deadline)
    finally:
        if repeat is not None:
            repeat.cancel()
        pipe.stop()
