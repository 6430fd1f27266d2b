"""The caller's end of a worker's pipe: looking for the next frame before sleeping (spin_until_readable), and reading
frames from what each read gave (_Inbox)."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kgexplorer.engine import worker_process
from kgexplorer.engine.worker_process import Deadline, Gone, _Inbox, spin_until_readable


@pytest.fixture
def pipe() -> Iterator[tuple[int, int]]:
    """A pipe's read and write ends, both closed after the test (tests that close an end themselves make their own:
    closing a number twice could close a descriptor opened meanwhile)."""
    read, write = os.pipe()
    try:
        yield read, write
    finally:
        os.close(read)
        os.close(write)


def test_a_pipe_already_readable_is_found_at_once(pipe: tuple[int, int]) -> None:
    read, write = pipe
    os.write(write, b"x")
    assert spin_until_readable(read, 10.0)


def test_nothing_coming_ends_the_spin_after_its_time(pipe: tuple[int, int]) -> None:
    read, _write = pipe  # the write end stays open: nothing comes, yet the pipe has not ended
    started = time.perf_counter()
    assert not spin_until_readable(read, 0.01)
    assert time.perf_counter() - started >= 0.01


def test_a_frame_written_during_the_spin_ends_it(pipe: tuple[int, int]) -> None:
    read, write = pipe
    writer = threading.Timer(0.02, os.write, (write, b"x"))
    try:
        writer.start()
        assert spin_until_readable(read, 30.0)
        assert os.read(read, 1) == b"x"
    finally:
        writer.join()


def test_a_closed_writer_ends_the_spin() -> None:
    read, write = os.pipe()
    os.close(write)
    try:
        assert spin_until_readable(read, 30.0)  # readable: the read that follows sees the end (EOFError there)
    finally:
        os.close(read)


# ------------------------------------------------------------------ the caller's reads (_Inbox)


def _written_in_pieces(data: bytes, cuts: list[int], write: int) -> threading.Thread:
    """A thread writing ``data`` to ``write`` cut at ``cuts``, a moment apart, then closing it."""

    def run() -> None:
        at = 0
        for cut in [*sorted(set(cuts)), len(data)]:
            if cut > at:
                os.write(write, data[at:cut])
                at = cut
                time.sleep(0.0005)
        os.close(write)

    return threading.Thread(target=run)


@settings(max_examples=60, deadline=None)
@given(
    frames=st.lists(st.binary(max_size=300).map(lambda b: b * 300 if b[:1] == b"\xff" else b), max_size=8),
    cuts=st.lists(st.integers(min_value=0, max_value=200_000), max_size=12),
)
def test_frames_read_back_exactly_however_the_pipe_cuts_them(frames: list[bytes], cuts: list[int]) -> None:
    """Each take gives exactly the frame's bytes, wherever the writes were cut (in a header, in a body, several
    frames in one write); what one read gave beyond a frame waits for the next take, and nothing is left after
    the last."""
    read, write = os.pipe()
    data = b"".join(frames)
    writer = _written_in_pieces(data, [c for c in cuts if c < len(data)], write)
    writer.start()
    try:
        inbox = _Inbox(read)
        got = [inbox.take(len(frame), time.monotonic() + 30, None) for frame in frames]
        assert got == frames
        writer.join()
        inbox.done()  # nothing left over: the pipe is as the endpoint's reader expects it
        with pytest.raises(Gone):  # the writer closed: the next take sees the end
            inbox.take(1, time.monotonic() + 30, None)
    finally:
        writer.join()
        os.close(read)


def test_a_small_answer_in_one_write_is_read_with_one_read(
    pipe: tuple[int, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A verdict, a piece and a reply written at once cost the caller one read, not one per header and body."""
    read, write = pipe
    reads: list[int] = []
    real_read = os.read

    def counted(fd: int, size: int) -> bytes:
        reads.append(size)
        return real_read(fd, size)

    monkeypatch.setattr(worker_process.os, "read", counted)
    frames = [b"\x00" * 8, b"checked", b"\x00" * 8, b"?x\n1\n", b"\x00" * 8, b"rows_done"]
    os.write(write, b"".join(frames))
    inbox = _Inbox(read)
    assert [inbox.take(len(f), time.monotonic() + 5, None) for f in frames] == frames
    inbox.done()
    assert len(reads) == 1


def test_bytes_after_a_reply_put_the_worker_out_of_step(pipe: tuple[int, int]) -> None:
    """The worker writes nothing after a reply until it is asked again; anything there means its pipe is out of
    step, and the pool then stops using it (Gone)."""
    read, write = pipe
    os.write(write, b"reply" + b"more")
    inbox = _Inbox(read)
    assert inbox.take(5, time.monotonic() + 5, None) == b"reply"
    with pytest.raises(Gone):
        inbox.done()


def test_a_frame_that_never_comes_ends_at_the_deadline(pipe: tuple[int, int]) -> None:
    read, write = pipe
    os.write(write, b"abc")
    inbox = _Inbox(read)
    with pytest.raises(Deadline):
        inbox.take(10, time.monotonic() + 0.05, None)
