"""A worker's reply read in the event loop (kgexplorer.engine.worker_pipe): frames, answer chunks, limits."""

from __future__ import annotations

import asyncio
import contextlib
import io
import os
import pickle
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
    async def main() -> Any:
        loop = asyncio.get_running_loop()
        for i, piece in enumerate(feed):  # the reply arrives in pieces, as a pipe gives it
            loop.call_later(0.01 * (i + 1), os.write, worker.reply_end, piece)
        return await run_in_loop(worker, request, time.monotonic() + limit_s)  # type: ignore[arg-type]

    return asyncio.run(main())


def test_an_answer_comes_back_whole_in_the_chunks_the_pipe_gave() -> None:
    worker = _Worker()
    body = bytes(range(256)) * 40
    data = worker.reply(
        ("checked", "SELECT", "digest", "native"), ("answer", "select", "json", False, len(body)), body=body
    )
    try:
        reply, chunks = _run(worker, Request("SELECT * {}", 10), [data[:5], data[5:300], data[300:]])
    finally:
        worker.close()
    assert reply == ("answer", "select", "json", False, len(body))
    assert b"".join(chunks) == body
    assert len(chunks) >= 2  # never joined: sent to the client one by one
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
