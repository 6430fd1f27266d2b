"""N-Quads read while the parse worker still writes them, so that a person's data is loaded once, not twice.

A person's file is parsed only in the parse worker (:mod:`kgexplorer.engine.parse_worker`), which writes it as
N-Quads; the query workers load those N-Quads. Done one after the other, a one-shot query over LUBM10 waited for
both (3.7 s, then 4.1 s). With two cores the first query worker can instead load the N-Quads *as they are
written*: it is started with the files the parse worker is writing (``growing`` of
:class:`~kgexplorer.engine.worker_process.Start`) and reads each through a :class:`GrowingFile`, which, at the end
of what is written so far, waits instead of saying "end of file".

Only the process that started both workers says when a file is complete: when the parse worker reports it
parsed, that process tells the query worker its final size (:class:`Written`); the query worker ends the file
only once it has read that many bytes (and reads no further). A parse that fails never reports its file, so the
query worker never reaches the end of it, never says ready and is killed: nothing is answered from part of a
file. The files stay whole on disk, so a worker started later loads them from there as before (decision record:
docs/decisions/load-once.md).

>>> import tempfile, os
>>> told = [None, Written("x", 0)]  # the caller: nothing yet, then "x" is complete (filled in below)
>>> with tempfile.TemporaryDirectory() as folder:
...     path = os.path.join(folder, "a.nq")
...     with open(path, "wb") as f:
...         _ = f.write(b"<a> <b> <c> .\\n")
...     told[1] = Written(path, 14)
...     sizes = WrittenSizes(lambda timeout_s: told.pop(0) if told else None)
...     with open_growing(path, sizes) as stream:
...         stream.read()
b'<a> <b> <c> .\\n'
"""

from __future__ import annotations

import errno
import io
import os
import pickle
import select
import struct
from collections.abc import Callable
from dataclasses import dataclass
from typing import IO, Any, cast

__all__ = ["GrowingFile", "Written", "WrittenSizes", "open_growing", "read_frame", "sizes_from"]

#: How long a reader that caught up with the writer waits before it looks at the file again (a message that
#: the file is complete ends the wait at once). At LUBM10's pace (75 MB/s written) 10 ms is 0.75 MB behind.
POLL_S = 0.01
_BUFFER = 1 << 20  # Oxigraph asks for about 1 KiB a read; the buffer makes that one system call per MiB


@dataclass(frozen=True)
class Written:
    """The parse worker finished the N-Quads at ``path``: they are ``size`` bytes long (sent to a query worker
    that loads them as they grow, by the process that started both)."""

    path: str
    size: int


class WrittenSizes:
    """The final sizes a query worker has been told so far; ``receive(timeout_s)`` returns the next
    :class:`Written` within ``timeout_s`` or None, and raises EOFError when the teller is gone."""

    def __init__(self, receive: Callable[[float], Written | None]) -> None:
        self._receive = receive
        self._sizes: dict[str, int] = {}

    def size_of(self, path: str) -> int | None:
        """The final size of ``path``, or None while it is still being written."""
        return self._sizes.get(path)

    def wait(self, timeout_s: float) -> None:
        """Wait up to ``timeout_s`` for the next message (and note it)."""
        told = self._receive(timeout_s)
        if told is not None:
            self._sizes[told.path] = told.size


class GrowingFile(io.RawIOBase):
    """A file being written, read to its final size: at the end of what is there it waits for more (or for
    the file to appear), and it ends only once :class:`WrittenSizes` knows the size and all of it was read."""

    def __init__(self, path: str, sizes: WrittenSizes, *, poll_s: float = POLL_S) -> None:
        super().__init__()
        self.path = path
        self._sizes = sizes
        self._poll_s = poll_s
        self._fd: int | None = None
        self._offset = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        view = memoryview(buffer).cast("B")
        while True:
            size = self._sizes.size_of(self.path)
            if self._fd is None:
                try:
                    self._fd = os.open(self.path, os.O_RDONLY)
                except FileNotFoundError:
                    if size is not None:  # said complete, yet not there: never end it as if it were read
                        raise OSError(errno.ENOENT, "the parsed file is missing", self.path) from None
                    self._sizes.wait(self._poll_s)  # the parse worker has not started this file yet
                    continue
            want = len(view) if size is None else min(len(view), size - self._offset)
            if want <= 0:
                return 0  # the whole file, as long as the parse worker wrote it
            got = os.readv(self._fd, [view[:want]])
            if got:
                self._offset += got
                return got
            if size is not None:  # a file cut short after it was reported complete: fail, never end early
                raise OSError(errno.EIO, f"the parsed file ends at {self._offset:,} of {size:,} bytes", self.path)
            self._sizes.wait(self._poll_s)

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
        super().close()


def open_growing(path: str, sizes: WrittenSizes) -> IO[bytes]:
    """A :class:`GrowingFile` behind a 1 MiB buffer, to give to Oxigraph's parser like an open file."""
    return cast(IO[bytes], io.BufferedReader(GrowingFile(path, sizes), _BUFFER))


def read_frame(fd: int, header: struct.Struct) -> Any:
    """One length-prefixed pickle read straight from ``fd`` (no read-ahead, so ``select`` on ``fd`` stays
    true to what is left); EOFError when the writer closed it. For a worker's own input from its parent."""
    (size,) = header.unpack(_read_exact(fd, header.size))
    return pickle.loads(_read_exact(fd, size))


def sizes_from(fd: int, header: struct.Struct) -> WrittenSizes:
    """The :class:`WrittenSizes` a query worker is told on ``fd`` (its input from the process that started it)."""

    def receive(timeout_s: float) -> Written | None:
        ready, _, _ = select.select([fd], [], [], timeout_s)
        if not ready:
            return None
        told = read_frame(fd, header)
        if not isinstance(told, Written):
            raise ValueError(f"expected the size of a parsed file, got {type(told).__name__}")
        return told

    return WrittenSizes(receive)


def _read_exact(fd: int, size: int) -> bytes:
    data = bytearray()
    while len(data) < size:
        chunk = os.read(fd, size - len(data))
        if not chunk:
            raise EOFError
        data += chunk
    return bytes(data)
