"""What runs inside a query worker (kgexplorer.engine.worker_main), the parts that can run in the test process;
the worker as a whole is tested through the pool (tests/engine/test_query_workers.py)."""

from __future__ import annotations

import os
import random
import threading

import pytest

from kgexplorer.engine import worker_main


def _through_a_pipe(chunks: list[bytes]) -> bytes:
    read_end, write_end = os.pipe()
    received = bytearray()

    def drain() -> None:
        while data := os.read(read_end, 1 << 16):
            received.extend(data)

    reader = threading.Thread(target=drain)
    reader.start()
    try:
        worker_main._write_all(write_end, chunks)
    finally:
        os.close(write_end)
        reader.join(timeout=30)
        os.close(read_end)
    return bytes(received)


def test_an_answers_pieces_arrive_whole_and_in_order() -> None:
    pieces = [random.Random(i).randbytes(random.Random(-i).randrange(0, 9000)) for i in range(3000)]  # > IOV_MAX
    assert _through_a_pipe(pieces) == b"".join(pieces)


def test_a_piece_written_in_part_is_finished_before_the_next(monkeypatch: pytest.MonkeyPatch) -> None:
    """A writev interrupted by a signal returns less than it was given: the rest must follow, nothing twice."""
    real = os.writev

    def in_part(fd: int, buffers: list[memoryview]) -> int:  # at most 5,000 bytes a call
        wanted, budget = [], 5000
        for b in buffers:
            if budget <= 0:
                break
            wanted.append(b[:budget])
            budget -= len(wanted[-1])
        return real(fd, wanted)

    monkeypatch.setattr(os, "writev", in_part)
    pieces = [bytes([i % 251]) * (1000 + 37 * i) for i in range(60)]
    assert _through_a_pipe(pieces) == b"".join(pieces)
