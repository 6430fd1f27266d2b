"""A worker's reply read in the event loop (kgexplorer.engine.worker_pipe): frames, answer chunks, limits."""

from __future__ import annotations

import asyncio
import contextlib
import io
import os
import pickle
import threading
import time
from typing import Any

import pytest

from kgexplorer.engine.worker_pipe import run_in_loop
from kgexplorer.engine.worker_process import HEADER, Deadline, Gone, Request


class _Worker:
    """The two ends run_in_loop uses: a request stream and the reply pipe's descriptor."""

    def __init__(self) -> None:
        self.out_fd, self.reply_end = os.pipe()
        self.requests = io.BytesIO()
        self.guard_decided: str | None = None

    def reply(self, *frames: Any, body: bytes = b"") -> bytes:
        data = b"".join(HEADER.pack(len(p)) + p for p in (pickle.dumps(f) for f in frames))
        return data + body

    def close(self) -> None:
        for fd in (self.out_fd, self.reply_end):
            with contextlib.suppress(OSError):
                os.close(fd)


def _run(worker: _Worker, request: Request, feed: list[bytes], *, limit_s: float = 5.0) -> Any:
    """Run ``request`` while a thread writes ``feed`` into the reply pipe, piece by piece (a blocking write:
    the pipe holds 64 KiB, so a larger reply is read in several chunks, as from a real worker)."""

    def write() -> None:
        for piece in feed:
            time.sleep(0.01)
            with contextlib.suppress(OSError):
                os.write(worker.reply_end, piece)

    async def main() -> Any:
        return await run_in_loop(worker, request, time.monotonic() + limit_s)  # type: ignore[arg-type]

    writer = threading.Thread(target=write, daemon=True)
    writer.start()
    try:
        return asyncio.run(main())
    finally:
        writer.join(timeout=limit_s)


def test_an_answer_comes_back_whole_in_the_chunks_the_pipe_gave() -> None:
    worker = _Worker()
    body = bytes(range(256)) * 10_000  # 2.5 MB: more than a pipe holds, so several reads
    data = worker.reply(
        ("checked", "SELECT", "digest", "native"), ("answer", "select", "json", False, len(body)), body=body
    )
    try:
        reply, chunks = _run(worker, Request("SELECT * {}", 10), [data[:5], data[5:300], data[300:]])
    finally:
        worker.close()
    assert reply == ("answer", "select", "json", False, len(body))
    assert b"".join(chunks) == body
    assert len(chunks) >= 3  # never joined: sent to the client one by one
    assert worker.guard_decided == "native"
    assert pickle.loads(worker.requests.getvalue()[HEADER.size :]) == Request("SELECT * {}", 10)


def test_a_refusal_has_no_body() -> None:
    worker = _Worker()
    try:
        reply, chunks = _run(worker, Request("SELECT", 10), [worker.reply(("syntax", "bad", 1, 7))])
    finally:
        worker.close()
    assert reply == ("syntax", "bad", 1, 7)
    assert chunks is None


def test_silence_past_the_deadline_says_whether_the_guard_had_accepted() -> None:
    worker = _Worker()
    try:
        with pytest.raises(Deadline) as unchecked:
            _run(worker, Request("ASK {}", 1), [], limit_s=0.1)
        assert unchecked.value.checked is False
        with pytest.raises(Deadline) as running:
            _run(worker, Request("ASK {}", 1), [worker.reply(("checked", "ASK", "d", "native"))], limit_s=0.2)
        assert running.value.checked is True
    finally:
        worker.close()


def test_a_pipe_that_closes_is_a_gone_worker() -> None:
    worker = _Worker()
    try:

        async def main() -> Any:
            asyncio.get_running_loop().call_later(0.01, os.close, worker.reply_end)
            return await run_in_loop(worker, Request("ASK {}", 1), time.monotonic() + 5)  # type: ignore[arg-type]

        with pytest.raises(Gone):
            asyncio.run(main())
    finally:
        worker.close()


def test_each_read_asks_for_what_is_missing_not_a_whole_pipe(monkeypatch: pytest.MonkeyPatch) -> None:
    # Reading 1 MiB per wake-up allocated (mmap) and freed 1 MiB for every answer: ~90 page faults per Q14
    # answer in the endpoint. Each read now asks for the bytes still missing, at least a frame's worth.
    from kgexplorer.engine import worker_pipe

    asked: list[int] = []
    real_read = os.read

    def read(fd: int, n: int) -> bytes:
        asked.append(n)
        return real_read(fd, n)

    monkeypatch.setattr(worker_pipe.os, "read", read)
    worker = _Worker()
    body = b"x" * 300_000
    data = worker.reply(("answer", "select", "json", False, len(body)), body=body)
    try:
        _reply, chunks = _run(worker, Request("SELECT * {}", 10), [data[:100], data[100:200_000], data[200_000:]])
    finally:
        worker.close()
    assert b"".join(chunks) == body
    assert asked[0] == 1 << 16  # no size known yet: a frame's worth
    assert max(asked) <= len(body)  # never more than the answer
    assert asked[-1] < len(body)  # the last read asked only for the rest
