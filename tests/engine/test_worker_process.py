"""The caller's end of a worker's pipe: looking for the next frame before sleeping (spin_until_readable)."""

from __future__ import annotations

import os
import threading
import time

from kgexplorer.engine.worker_process import spin_until_readable


def test_a_pipe_already_readable_is_found_at_once() -> None:
    read, write = os.pipe()
    try:
        os.write(write, b"x")
        assert spin_until_readable(read, 10.0)
    finally:
        os.close(read)
        os.close(write)


def test_nothing_coming_ends_the_spin_after_its_time() -> None:
    read, write = os.pipe()
    try:
        started = time.perf_counter()
        assert not spin_until_readable(read, 0.01)
        assert time.perf_counter() - started >= 0.01
    finally:
        os.close(read)
        os.close(write)


def test_a_frame_written_during_the_spin_ends_it() -> None:
    read, write = os.pipe()
    writer = threading.Timer(0.02, os.write, (write, b"x"))
    try:
        writer.start()
        assert spin_until_readable(read, 30.0)
        assert os.read(read, 1) == b"x"
    finally:
        writer.join()
        os.close(read)
        os.close(write)


def test_a_closed_writer_ends_the_spin() -> None:
    read, write = os.pipe()
    os.close(write)
    try:
        assert spin_until_readable(read, 30.0)  # readable: the read that follows sees the end (EOFError there)
    finally:
        os.close(read)
