"""How far a load has read: bytes of each file, the rate and the time left, for ``kgexplorer load``.

pyoxigraph's bulk loader reports nothing while it works (20 s of silence for 1.27M triples), so the file
it reads is wrapped in a :class:`CountingReader` that counts the bytes taken from the disk (before gzip
decompression, so the share of a ``.gz`` file is the share of its size) and reports a :class:`LoadProgress`
at most every ``interval_s``.

>>> import io
>>> seen = []
>>> reader = CountingReader(io.BytesIO(b"x" * 1000), name="a.nt", total=1000, report=seen.append, interval_s=0)
>>> _ = reader.read(400); _ = reader.read()
>>> [p.done for p in seen], seen[-1].fraction
([400, 1000], 1.0)
"""

from __future__ import annotations

import io
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import IO, Any

__all__ = ["CountingReader", "LoadProgress"]


@dataclass(frozen=True)
class LoadProgress:
    """One report: ``done`` of ``total`` bytes of the file ``name`` read in ``seconds``."""

    name: str
    done: int
    total: int
    seconds: float

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

    def line(self, *, width: int = 24) -> str:
        """The report as one line with a bar.

        >>> LoadProgress("lubm.nt", 50 << 20, 100 << 20, 10.0).line(width=10)
        'lubm.nt [#####-----] 50% 50.0 of 100.0 MiB, 5.0 MiB/s, about 10 s left'
        """
        filled = round(self.fraction * width)
        eta = self.eta_s
        left = "" if eta is None else f", about {eta:.0f} s left"
        return (
            f"{self.name} [{'#' * filled}{'-' * (width - filled)}] {self.fraction:.0%} "
            f"{self.done / 2**20:.1f} of {self.total / 2**20:.1f} MiB, {self.rate / 2**20:.1f} MiB/s{left}"
        )


class CountingReader(io.RawIOBase):
    """A binary file that counts the bytes read through it and reports them (see the module example)."""

    def __init__(
        self,
        stream: IO[bytes],
        *,
        name: str,
        total: int,
        report: Callable[[LoadProgress], None],
        interval_s: float = 0.5,
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
        self.done = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self._stream.read(len(buffer))
        n = len(data)
        buffer[:n] = data
        self._count(n)
        return n

    def read(self, size: int = -1) -> bytes:
        data = self._stream.read(size)
        self._count(len(data))
        return data

    def _count(self, n: int) -> None:
        self.done += n
        now = time.perf_counter()
        finished = self.done >= self._total
        if finished and self._ended:
            return
        if finished or now - self._last >= self._interval:
            self._ended = finished
            self._last = now
            self._report(LoadProgress(self._name, self.done, self._total, now - self._started))

    def close(self) -> None:
        self._stream.close()
        super().close()
