"""Answers remembered in memory, bounded in bytes: the data is read-only, so a repeated query has one answer.

A :class:`ResultCache` belongs to one :class:`~kgexplorer.knowledge_graph.KnowledgeGraph`, which reads one
generation of its data (:mod:`kgexplorer.engine.disk_store`: a server switches to a new generation with a new
graph, and with it a new, empty cache), so an answer is never served from an older version of the data. Within
it, an answer is kept by everything that shapes its bytes: the normalised query text, the formats asked for,
the row limit, the byte limit and the values bound beside the text (:class:`AnswerKey`).

Only complete, written answers are kept (not refusals, errors or answers with a format problem); an answer
larger than a quarter of the cache is never kept, so one answer cannot empty it. The least recently used
answers leave first. A hit hands out the same immutable bytes objects (never copied): only the list that
holds them is new, because the endpoint takes chunks from it as they are sent.

>>> cache = ResultCache(max_bytes=1 << 20)
>>> key = AnswerKey("ASK {}", "json", "turtle", 10, 1 << 20)
>>> cache.get(key) is None
True
>>> cache.put(key, Answer("ask", "json", [b'{"head":{},', b'"boolean":true}'], 26, False, 10, 0.001))
True
>>> found = cache.get(key)
>>> b"".join(found.chunks), found.elapsed_s
(b'{"head":{},"boolean":true}', 0.0)

The bytes counted are the answer's 26 plus what keeping it costs (the entry, its chunks and the key's text):

>>> cache.stats()
{'cache_hits': 1, 'cache_misses': 1, 'cache_answers': 1, 'cache_bytes': 386}
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass

from kgexplorer.terms import Term

from .serialization import Answer

__all__ = ["AnswerKey", "ResultCache"]

# What keeping one answer costs besides its bytes (the key's text is counted too): the entry, the tuple of
# chunks and the bytes objects' own headers, rounded up.
_ENTRY_OVERHEAD = 256
_CHUNK_OVERHEAD = 40


@dataclass(frozen=True)
class AnswerKey:
    """What shapes an answer's bytes: the normalised query text, the formats, the row and byte limits, and the
    values bound beside the text (kgexplorer.engine.bindings: two bindings of one question are two answers)."""

    text: str
    select_format: str | None
    graph_format: str | None
    max_rows: int
    max_bytes: int
    bindings: tuple[tuple[str, Term], ...] = ()


@dataclass(frozen=True)
class _Kept:
    kind: str
    format: str
    chunks: tuple[bytes, ...]
    size: int
    truncated: bool
    row_limit: int
    cost: int


class ResultCache:
    """Written answers by :class:`AnswerKey`, at most ``max_bytes`` of them (0: keep nothing); thread-safe."""

    def __init__(self, *, max_bytes: int) -> None:
        self.max_bytes = max(0, int(max_bytes))
        self._answers: OrderedDict[AnswerKey, _Kept] = OrderedDict()
        self._bytes = 0
        self._hits = 0
        self._misses = 0
        self._lock = threading.Lock()

    def get(self, key: AnswerKey) -> Answer | None:
        """The remembered answer for ``key`` (a fresh :class:`Answer` with no visit), or None."""
        if self.max_bytes <= 0:
            return None
        with self._lock:
            kept = self._answers.get(key)
            if kept is None:
                self._misses += 1
                return None
            self._answers.move_to_end(key)
            self._hits += 1
        return Answer(kept.kind, kept.format, list(kept.chunks), kept.size, kept.truncated, kept.row_limit, 0.0)

    def put(self, key: AnswerKey, answer: Answer) -> bool:
        """Remember a complete written answer (call before its chunks are sent); whether it was kept."""
        if answer.format is None or answer.problem is not None or answer.size != sum(map(len, answer.chunks)):
            return False
        text = len(key.text) + sum(len(repr(value)) for value in key.bindings)
        cost = answer.size + text * 4 + _ENTRY_OVERHEAD + _CHUNK_OVERHEAD * len(answer.chunks)
        if cost > self.max_bytes // 4:
            return False
        kept = _Kept(
            answer.kind, answer.format, tuple(answer.chunks), answer.size, answer.truncated, answer.row_limit, cost
        )
        with self._lock:
            old = self._answers.pop(key, None)
            if old is not None:
                self._bytes -= old.cost
            self._answers[key] = kept
            self._bytes += cost
            while self._bytes > self.max_bytes:
                _, dropped = self._answers.popitem(last=False)
                self._bytes -= dropped.cost
        return True

    def stats(self) -> dict[str, int]:
        """Hits and misses so far, answers and bytes kept now (for /metrics)."""
        with self._lock:
            return {
                "cache_hits": self._hits,
                "cache_misses": self._misses,
                "cache_answers": len(self._answers),
                "cache_bytes": self._bytes,
            }

    def clear(self) -> None:
        """Forget every answer."""
        with self._lock:
            self._answers.clear()
            self._bytes = 0
