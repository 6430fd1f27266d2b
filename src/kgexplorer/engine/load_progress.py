"""How far a load has read: bytes and triples of each file, the rate and the time left, for ``kgexplorer load``.

pyoxigraph's bulk loader reports nothing while it works (20 s of silence for 1.27M triples), so the file
it reads is wrapped in a :class:`CountingReader` that counts the bytes taken from the disk (before gzip
decompression, so the share of a ``.gz`` file is the share of its size) and reports a :class:`LoadProgress`
at most every ``interval_s``. For a line-based file (N-Triples, N-Quads: what the parse worker writes, one
statement a line) it also counts the line ends it passes, so a report says how many triples were read and
their rate without a second parse; for other formats ``triples`` stays None. Its twins: a
:class:`CappedReader` stops a gzip file that expands past a cap, and a :class:`LineCounter` counts the
statements of N-Quads as they are written.

>>> import io
>>> seen = []
>>> reader = CountingReader(io.BytesIO(b"<a> <b> <c> .\\n" * 100), name="a.nt", total=1400, report=seen.append,
...                         interval_s=0, lines=True)
>>> _ = reader.read(700); _ = reader.read()
>>> [(p.done, p.triples) for p in seen], seen[-1].fraction
([(700, 50), (1400, 100)], 1.0)
"""

from __future__ import annotations

import io
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import IO, Any

from kgexplorer.errors import GraphLoadError

__all__ = ["CappedReader", "CountingReader", "LineCounter", "LoadProgress"]


@dataclass(frozen=True)
class LoadProgress:
    """One report: ``done`` of ``total`` bytes of the file ``name`` read in ``seconds``, holding ``triples``
    statements (None when the format does not say without parsing)."""

    name: str
    done: int
    total: int
    seconds: float
    triples: int | None = None

    @property
    def fraction(self) -> float:
        """The share read, 0 to 1 (1 for an empty file)."""
        return 1.0 if self.total <= 0 else min(self.done / self.total, 1.0)

    @property
    def rate(self) -> float:
        """Bytes read per second so far."""
        return self.done / self.seconds if self.seconds > 0 else 0.0

    @property
    def eta_s(self) -> float | None:
        """Seconds left at the rate so far (None before anything was read)."""
        if self.rate <= 0:
            return None
        return max(self.total - self.done, 0) / self.rate

    @property
    def triple_rate(self) -> float | None:
        """Triples read per second so far (None when they are not counted)."""
        if self.triples is None:
            return None
        return self.triples / self.seconds if self.seconds > 0 else 0.0

    def line(self, *, width: int = 24) -> str:
        """The report as one line with a bar.

        >>> LoadProgress("lubm.nt", 50 << 20, 100 << 20, 10.0).line(width=10)
        'lubm.nt [#####-----] 50% 50.0 of 100.0 MiB, 5.0 MiB/s, about 10 s left'
        >>> LoadProgress("lubm.nq", 50 << 20, 100 << 20, 10.0, triples=635_000).line(width=10)
        'lubm.nq [#####-----] 50% 635,000 triples, 63,500 triples/s, 50.0 of 100.0 MiB, 5.0 MiB/s, about 10 s left'
        """
        filled = round(self.fraction * width)
        eta = self.eta_s
        left = "" if eta is None else f", about {eta:.0f} s left"
        counted = "" if self.triples is None else f"{self.triples:,} triples, {self.triple_rate:,.0f} triples/s, "
        return (
            f"{self.name} [{'#' * filled}{'-' * (width - filled)}] {self.fraction:.0%} {counted}"
            f"{self.done / 2**20:.1f} of {self.total / 2**20:.1f} MiB, {self.rate / 2**20:.1f} MiB/s{left}"
        )


class CountingReader(io.RawIOBase):
    """A binary file that counts the bytes read through it (and, with ``lines``, the line ends: one statement
    each in N-Triples and N-Quads) and reports them (see the module example)."""

    def __init__(
        self,
        stream: IO[bytes],
        *,
        name: str,
        total: int,
        report: Callable[[LoadProgress], None],
        interval_s: float = 0.5,
        lines: bool = False,
    ) -> None:
        super().__init__()
        self._stream = stream
        self._name = name
        self._total = total
        self._report = report
        self._interval = interval_s
        self._started = time.perf_counter()
        self._last = float("-inf")
        self._ended = False
        self._lines = lines
        self.done = 0
        #: Line ends read so far (0 unless ``lines``).
        self.triples = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self._stream.read(len(buffer))
        n = len(data)
        buffer[:n] = data
        self._count(data)
        return n

    def read(self, size: int = -1) -> bytes:
        data = self._stream.read(size)
        self._count(data)
        return data

    def _count(self, data: bytes) -> None:
        self.done += len(data)
        if self._lines:
            self.triples += data.count(b"\n")
        now = time.perf_counter()
        finished = self.done >= self._total
        if finished and self._ended:
            return
        if finished or now - self._last >= self._interval:
            self._ended = finished
            self._last = now
            triples = self.triples if self._lines else None
            self._report(LoadProgress(self._name, self.done, self._total, now - self._started, triples))

    def close(self) -> None:
        self._stream.close()
        super().close()


class CappedReader:
    """A decompressing stream that raises GraphLoadError past ``limit`` bytes (a gzip bomb)."""

    def __init__(self, stream: IO[bytes], limit: int, name: str) -> None:
        self._stream = stream
        self._left = limit
        self._limit = limit
        self._name = name

    def read(self, size: int = -1) -> bytes:
        data = self._stream.read(size if size >= 0 else self._left + 1)
        self._left -= len(data)
        if self._left < 0:
            size_text = f"{self._limit / (1 << 20):.1f} MiB" if self._limit >= (1 << 20) else f"{self._limit:,} bytes"
            raise GraphLoadError(
                f"{self._name} expands to more than {size_text} when decompressed (the "
                "max_decompressed_mb setting); upload a smaller file or raise the setting",
                path=self._name,
            )
        return data


class LineCounter:
    """A binary file to write into that counts the line breaks written through it (``count``)."""

    def __init__(self, out: IO[bytes]) -> None:
        self.out, self.count = out, 0

    def write(self, data: Any) -> int:
        chunk = bytes(data)
        self.count += chunk.count(b"\n")
        return self.out.write(chunk)

    def flush(self) -> None:
        self.out.flush()
