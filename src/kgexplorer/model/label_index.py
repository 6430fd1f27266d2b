"""The label index: every entity's labels and synonyms, normalised, for search; kept with an on-disk store.

:class:`LabelIndex` ranks labels for :mod:`kgexplorer.model.search` (the ranking is described there). A local
graph builds it from all its labels (:meth:`LabelIndex.from_backend`: about a minute on LUBM50's 6.7 million
triples), so ``kgexplorer load`` builds it with the store (:func:`index_labels`) and writes it into the store's
generation folder (:data:`LABEL_INDEX_FILE`), and a graph over the store memory-maps it when first searched
(:class:`StoredIndex`: nothing is read but its header; a search reads the pages it touches), so the first search
costs what the others do.

>>> idx = LabelIndex.from_rows([("kg:a", "Esketamine", True, "Substance"), ("kg:b", "Ketamine", True, "Substance")])
>>> [h.label for h in idx.search("KETAMINE")]
['Ketamine', 'Esketamine']
"""

from __future__ import annotations

import bisect
import itertools
import json
import logging
import mmap
import os
import re
import threading
import unicodedata
from array import array
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from typing import Literal as Exactly

from kgexplorer.engine.backend import Backend, LocalBackend
from kgexplorer.terms import IRI, Literal

from .labels import (
    LABEL_PREDICATES,
    SYNONYM_PREDICATES,
    is_name_predicate,
    kind_of,
    label_pattern,
    label_score,
)

__all__ = [
    "LABEL_INDEX_FILE",
    "LabelIndex",
    "SearchHit",
    "StoredIndex",
    "index_labels",
    "normalize",
    "write_label_index",
]

_log = logging.getLogger(__name__)

# Kinds students look for come before records about them.
_KIND_PRIORITY = {
    "Substance": 0,
    "Condition": 0,
    "Mechanism": 0,
    "Therapy": 0,
    "Outcome": 1,
    "Acute effect": 1,
    "Risk": 1,
    "Access barrier": 1,
    "Adverse event": 1,
    "Drug class": 1,
    "Topic": 2,
    "Jurisdiction": 2,
    "Study": 3,
    "Source document": 3,
    "Regulatory event": 4,
    "Historical event": 4,
    "Publication event": 4,
    "Legal status": 5,
    "Real-world figure": 5,
}
_NOT_SEARCHED = {"Claim", "Study result"}


_PUNCTUATION = re.compile(r"[\W_]+")


def normalize(text: str) -> str:
    """Fold case, accents and punctuation so 'Lambarène', 'lambarene' and 'LAMBARENE' compare equal.

    >>> normalize("  (S)-Kétamine ")
    's ketamine'
    """
    if text.isascii():  # NFKD changes no ASCII text, and casefold() is lower() on it: 4x faster on LUBM's names
        return _PUNCTUATION.sub(" ", text.lower()).strip()
    decomposed = unicodedata.normalize("NFKD", text)
    no_marks = "".join(c for c in decomposed if not unicodedata.combining(c))
    return _PUNCTUATION.sub(" ", no_marks.casefold()).strip()


@dataclass(frozen=True)
class SearchHit:
    """One search result: the entity, its label, the text that matched and its kind."""

    iri: str
    label: str
    matched: str
    kind: str
    score: tuple[int, ...]


#: The file in an on-disk store's generation folder that holds its label index (written by ``kgexplorer load``).
LABEL_INDEX_FILE = "kgexplorer-labels.idx"
_MAGIC = b"KGXLABELS2\n"
_ALIGN = 8  # every block of the file starts at a multiple of this, so its offsets are read in place


class _Strings:
    """Many strings as one UTF-8 buffer and their byte offsets (item ``i`` is ``data[starts[i]:starts[i + 1] - gap]``
    decoded), so a million of them are three objects, sliced out and decoded only when a search needs them.

    The buffer is ``bytes`` for an index built in memory, or a window (``base``, ``size``) on the memory-mapped
    index file for one read from a store: nothing is read until a search touches it. UTF-8 is self-synchronising,
    so a needle found in the bytes is the same match as in the text, at a character boundary."""

    def __init__(self, data: Any, starts: Any, gap: int, *, base: int = 0, size: int | None = None) -> None:
        self.data, self.starts, self.gap, self.base = data, starts, gap, base
        self.size = len(data) - base if size is None else size

    @classmethod
    def of(cls, items: Iterable[str], *, separator: str = "") -> _Strings:
        parts = [part.encode("utf-8", "surrogatepass") for part in items]
        sep = separator.encode("utf-8")
        starts = array("q", [0])
        offset = 0
        for part in parts:
            offset += len(part) + len(sep)
            starts.append(offset)
        return cls(sep.join(parts) + (sep if parts else b""), starts, len(sep))

    def __getitem__(self, i: int) -> str:
        return self.slice(self.starts[i], self.starts[i + 1] - self.gap).decode("utf-8", "surrogatepass")

    def __len__(self) -> int:
        return len(self.starts) - 1

    def slice(self, start: int, end: int) -> bytes:
        """The bytes from ``start`` to ``end`` (offsets in this buffer)."""
        return bytes(self.data[self.base + start : self.base + end])

    def find(self, needle: bytes, start: int = 0) -> int:
        """The offset of ``needle`` from ``start``, or -1 (a C search over the buffer, mapped or not)."""
        at: int = self.data.find(needle, self.base + start, self.base + self.size)
        return at - self.base if at != -1 else -1

    def blocks(self) -> list[bytes]:
        """The text and the offsets as they are saved."""
        return [self.slice(0, self.size), bytes(memoryview(self.starts).cast("B"))]


class LabelIndex:
    """An index of labels and synonyms, in memory; an on-disk store keeps it beside its data.

    Every match tier needs the normalised text inside the normalised label, so a search first finds the
    labels that contain it with ``find`` over all of them joined into one buffer (C speed), and
    ranks only those: on LUBM10's 200,000 names that took a search from 280 ms to a few. The entries are
    kept as columns (:class:`_Strings`, UTF-8 bytes and byte offsets), so :meth:`save` writes them as a few
    large blocks and :meth:`load` maps them in place: ``kgexplorer load`` builds the index with the store
    (:func:`write_label_index`) and a graph maps it, so the first search on a large store costs what the others
    do (docs/decisions/label-index-file.md).
    """

    def __init__(
        self,
        iris: _Strings,
        texts: _Strings,
        norms: _Strings,
        preferred: bytes | memoryview,
        kind_ids: array[int] | memoryview,
        kind_names: list[str],
        label_of: array[int] | memoryview,
        *,
        ascii: bool,
    ) -> None:
        self._iris, self._texts, self._norms = iris, texts, norms
        self._ascii = ascii  # every normalised text is ASCII: its length in characters is its length in bytes
        self._preferred, self._kind_ids, self._kind_names, self._label_of = preferred, kind_ids, kind_names, label_of
        self._labels: dict[str, str] | None = None

    @classmethod
    def from_rows(cls, rows: Iterable[tuple[str, str, bool, str]]) -> LabelIndex:
        """Build from ``(iri, text, is_preferred_label, kind)`` rows; an entity's first preferred text is its label."""
        iris: list[str] = []
        texts: list[str] = []
        norms: list[str] = []
        preferred = bytearray()
        kind_ids = array("H")
        kinds: dict[str, int] = {}
        label_of = array("q")
        first_label: dict[str, int] = {}
        seen: set[tuple[str, str]] = set()
        for iri, text, is_preferred, kind in rows:
            if kind in _NOT_SEARCHED:
                continue
            norm = normalize(text)
            if not norm or (iri, norm) in seen:
                continue
            seen.add((iri, norm))
            if is_preferred and iri not in first_label:
                first_label[iri] = len(iris)
            iris.append(iri)
            texts.append(text)
            norms.append(norm)
            preferred.append(1 if is_preferred else 0)
            kind_ids.append(kinds.setdefault(kind, len(kinds)))
        label_of.extend(first_label.get(iri, -1) for iri in iris)
        return cls(
            _Strings.of(iris),
            _Strings.of(texts),
            _Strings.of(norms, separator="\n"),  # normalised text never holds a line break; each ends with one
            bytes(preferred),
            kind_ids,
            list(kinds),
            label_of,
            ascii=all(norm.isascii() for norm in norms),
        )

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the index to ``path`` (a new file, renamed into place when complete).

        The columns are written as blocks, each starting at a multiple of 8 bytes, after a one-line header
        padded to a multiple of 8, so :meth:`load` maps the file and uses the blocks where they are."""
        blocks = [*self._iris.blocks()[:1], *self._texts.blocks()[:1], *self._norms.blocks()[:1]]
        blocks += [self._iris.blocks()[1], self._texts.blocks()[1], self._norms.blocks()[1]]
        blocks += [bytes(self._preferred), bytes(memoryview(self._kind_ids).cast("B"))]
        blocks += [bytes(memoryview(self._label_of).cast("B"))]
        header = json.dumps(
            {"entries": len(self), "kinds": self._kind_names, "ascii": self._ascii, "blocks": [len(b) for b in blocks]}
        ).encode("utf-8")
        head = _MAGIC + header + b" " * (-(len(_MAGIC) + len(header) + 1) % _ALIGN) + b"\n"
        partial = f"{os.fspath(path)}.partial"
        with open(partial, "wb") as out:
            out.write(head)
            for block in blocks:
                out.write(block + b"\0" * (-len(block) % _ALIGN))
        os.replace(partial, path)

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> LabelIndex:
        """Map an index :meth:`save` wrote; raises ValueError for a file that is not one (or is cut short).

        Nothing but the header is read here: the file is memory-mapped and its blocks used in place, so a
        search reads (from the page cache, or the disk) only the pages it touches."""
        with open(path, "rb") as f:
            if f.readline() != _MAGIC:
                raise ValueError(f"{path} is not a kgexplorer label index (or one from an older kgexplorer)")
            header = json.loads(f.readline())
            data_start = f.tell()
            size = os.fstat(f.fileno()).st_size
            sizes = [int(n) for n in header["blocks"]]
            padded = [n + (-n % _ALIGN) for n in sizes]
            if len(sizes) != 9 or data_start % _ALIGN or size != data_start + sum(padded):
                raise ValueError(f"the label index {path} is incomplete; rebuild the store with kgexplorer load")
            mapped = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
        n = int(header["entries"])
        view = memoryview(mapped)
        offsets = [data_start + sum(padded[:k]) for k in range(9)]

        def block(k: int, fmt: Exactly["B", "H", "q"], count: int) -> memoryview[int]:
            part = view[offsets[k] : offsets[k] + sizes[k]].cast(fmt)
            if len(part) != count:
                raise ValueError(f"the label index {path} is inconsistent; rebuild the store with kgexplorer load")
            return part

        columns = []
        for k, gap in enumerate((0, 0, 1)):
            starts = block(3 + k, "q", n + 1)
            if starts[0] != 0 or starts[n] != sizes[k]:
                raise ValueError(f"the label index {path} is inconsistent; rebuild the store with kgexplorer load")
            columns.append(_Strings(mapped, starts, gap, base=offsets[k], size=sizes[k]))
        iris, texts, norms = columns
        return cls(
            iris,
            texts,
            norms,
            block(6, "B", n),
            block(7, "H", n),
            [str(k) for k in header["kinds"]],
            block(8, "q", n),
            ascii=bool(header["ascii"]),
        )

    @classmethod
    def from_backend(cls, backend: Backend, *, max_rows: int | None = None) -> LabelIndex:
        """Index every entity's labels (rdfs:label, skos:prefLabel, schema:name) and synonyms (skos:altLabel,
        and skos:hiddenLabel: lay names that find the entity but are never shown as its name).

        One query reads them with the entities' types (their kinds); Oxigraph answers a UNION of one
        branch per predicate from its index, where ``VALUES ?p {…}`` made it scan the whole store.
        Entities with none of those labels are indexed by the other names :func:`~kgexplorer.model.labels.fetch_labels`
        reads (foaf:name, dcterms:title, dc:title, or any predicate whose local name is ``name`` or
        ``title``, such as LUBM's ``ub:name``), found with one DISTINCT query over the predicates.
        Each entity's label is the one :func:`~kgexplorer.model.labels.fetch_labels` shows.

        >>> from kgexplorer import KnowledgeGraph
        >>> with KnowledgeGraph.bundled() as kg:
        ...     index = LabelIndex.from_backend(kg)
        >>> [(h.label, h.matched) for h in index.search("special K", kinds=["Substance"])]
        [('Ketamine', 'Special K')]
        >>> [(h.label, h.matched) for h in index.search("magic mushrooms", kinds=["Substance"])]
        [('Psilocybin', 'Magic Mushrooms')]
        """
        main = LABEL_PREDICATES[:3]
        rows = backend.select(
            f"SELECT ?e ?p ?l ?t WHERE {{ {{ {label_pattern('?e', (*main, *SYNONYM_PREDICATES))} }} "
            "OPTIONAL { ?e a ?t } }",
            max_rows=max_rows,
        ).rows
        others = [
            p.value
            for (p,) in backend.select("SELECT DISTINCT ?p WHERE { ?s ?p ?o }").rows
            if isinstance(p, IRI) and is_name_predicate(p.value) and p.value not in main
        ]
        if others:
            named = backend.select(
                f"SELECT ?e ?p ?l ?t WHERE {{ {{ {label_pattern('?e', others)} }} OPTIONAL {{ ?e a ?t }} }}",
                max_rows=max_rows,
            ).rows
            labelled = {r[0] for r in rows if r[1] is not None and str(r[1]) in main}
            rows += tuple(r for r in named if r[0] not in labelled)
        types: dict[str, set[str]] = defaultdict(set)
        texts: dict[tuple[str, str, bool], int] = {}
        for e, p, lab, t in rows:
            if not isinstance(e, IRI) or not isinstance(lab, Literal) or p is None:
                continue
            if isinstance(t, IRI):
                types[e.value].add(t.value)
            preferred = str(p) not in SYNONYM_PREDICATES
            texts[(e.value, lab.value, preferred)] = label_score(str(p), lab) if preferred else 0
        kinds = {e: kind_of(sorted(ts)) for e, ts in types.items()}
        # The best label of each entity first: from_rows takes an entity's first preferred text as its label.
        ordered = sorted(texts, key=lambda k: (k[0], texts[k], k[1]))
        return cls.from_rows((e, text, preferred, kinds.get(e, "Resource")) for e, text, preferred in ordered)

    def __len__(self) -> int:
        return len(self._iris)

    def label(self, iri: str) -> str | None:
        """The preferred label of an indexed entity."""
        if self._labels is None:  # built on first use: the search itself never needs it
            texts, label_of = self._texts, self._label_of
            self._labels = {self._iris[i]: texts[i] for i in range(len(self)) if label_of[i] == i}
        return self._labels.get(iri)

    def search(self, text: str, *, limit: int = 20, kinds: Iterable[str] | None = None) -> list[SearchHit]:
        """The best matches for ``text``, at most ``limit``, optionally only of some kinds.

        The tiers are taken best first, each found by its own scan of the joined text (an exact label,
        then labels starting with the text, a word starting with it, anywhere), and the search stops after
        the tier that brings ``limit`` entities: a later tier can only rank below them. On LUBM50 the text
        "GraduateStudent1" is inside 148,000 names but equals about a thousand, so only those are ranked
        (it took 3.7 s when every containing name was; docs/benchmarks.md).
        """
        q = normalize(text)
        if not q:
            return []
        wanted = None if not kinds else {k for k, name in enumerate(self._kind_names) if name in set(kinds)}
        priority = [_KIND_PRIORITY.get(name, 3) for name in self._kind_names]
        starts, preferred, kind_ids, label_of = self._norms.starts, self._preferred, self._kind_ids, self._label_of
        seen: set[int] = set()
        ranked: list[tuple[int, int, int, int, int]] = []  # the score's four parts and the entry
        iris: set[str] = set()
        for tier, positions in self._tiers(q):
            found = []
            for i in positions:
                if i in seen:
                    continue
                seen.add(i)
                kind = kind_ids[i]
                if wanted is not None and kind not in wanted:
                    continue
                length = starts[i + 1] - starts[i] - 1 if self._ascii else len(self._norms[i])
                found.append((tier, 0 if preferred[i] else 1, priority[kind], length, i))
            ranked += found
            iris.update(self._iris[i] for *_, i in found)
            if len(iris) >= limit:
                break
        ranked.sort()
        best: dict[str, SearchHit] = {}
        last: tuple[int, ...] | None = None
        for *score, i in ranked:
            key = tuple(score)
            if len(best) >= limit and key != last:
                break  # every entity with a score up to the limit's is in (ties are then ordered by label)
            iri = self._iris[i]
            if iri in best:
                continue  # its best entry came first
            last = key
            at = label_of[i]
            matched = self._texts[i]
            best[iri] = SearchHit(
                iri, self._texts[at] if at >= 0 else matched, matched, self._kind_names[kind_ids[i]], key
            )
        return sorted(best.values(), key=lambda h: (h.score, h.label))[:limit]

    def _tiers(self, q: str) -> Iterator[tuple[int, Iterable[int]]]:
        """The entries of each match tier, best first; an entry may also appear in later tiers' scans."""
        norms = self._norms
        needle = q.encode("utf-8", "surrogatepass")
        first = norms.slice(0, len(needle) + 1) if len(self) else b""
        yield 0, itertools.chain([0] if first == needle + b"\n" else [], self._found(b"\n" + needle + b"\n", 1))
        yield 1, itertools.chain([0] if first.startswith(needle) else [], self._found(b"\n" + needle, 1))
        if " " not in q:  # one word: a later word of the name starts with it
            yield 2, self._found(b" " + needle, 1)
        yield 3, self._containing(needle)

    def _found(self, needle: bytes, skip: int) -> Iterator[int]:
        """The entries holding ``needle`` at its ``skip``-th byte (each entry once, in index order)."""
        norms, starts = self._norms, self._norms.starts
        at = norms.find(needle)
        while at != -1:
            index = bisect.bisect_right(starts, at + skip) - 1
            yield index
            at = norms.find(needle, max(at + 1, starts[index + 1] - 1))

    def exact(self, text: str) -> list[str]:
        """IRIs whose label or synonym equals ``text`` (after normalising)."""
        q = normalize(text)
        if not q:
            return []
        found = self._containing(q.encode("utf-8", "surrogatepass"))
        return list(dict.fromkeys(self._iris[i] for i in found if self._norms[i] == q))

    def _containing(self, needle: bytes) -> Iterable[int]:
        """The positions of the entries whose normalised text contains ``needle``, in index order."""
        norms, starts = self._norms, self._norms.starts
        at = norms.find(needle)
        while at != -1:
            index = bisect.bisect_right(starts, at) - 1
            yield index
            at = norms.find(needle, starts[index + 1])


def index_labels(store: Any, folder: str | os.PathLike[str]) -> int:
    """Write the label index of a finished Oxigraph ``store`` into its ``folder``: what ``kgexplorer load`` passes
    as ``finish`` to :func:`kgexplorer.engine.bulk_load.bulk_load`, so a store opens with its index."""
    return write_label_index(LocalBackend(store), folder)


def write_label_index(backend: Backend, folder: str | os.PathLike[str]) -> int:
    """Build the label index of ``backend`` and save it in ``folder`` (:data:`LABEL_INDEX_FILE`); returns its size.

    ``kgexplorer load`` calls this on the store it has just built, before it becomes the current generation.
    """
    index = LabelIndex.from_backend(backend)
    index.save(Path(folder) / LABEL_INDEX_FILE)
    return len(index)


class StoredIndex:
    """The label index kept in a store's generation ``folder``, mapped when first needed (:meth:`get`: the
    header is read and the file memory-mapped, well under a millisecond). None when the folder has none (a
    store built before, or by :func:`~kgexplorer.engine.bulk_load.write_disk_store` without ``finish``) or it
    cannot be read (damaged, or written by an older kgexplorer): the graph then builds the index on first
    use, as before."""

    def __init__(self, folder: str | os.PathLike[str]) -> None:
        self.path = Path(folder) / LABEL_INDEX_FILE
        self._index: LabelIndex | None = None
        self._tried = False
        self._lock = threading.Lock()

    def get(self) -> LabelIndex | None:
        """The index mapped from the store, or None."""
        with self._lock:
            if not self._tried:
                self._tried = True
                if self.path.is_file():
                    try:
                        self._index = LabelIndex.load(self.path)
                    except (OSError, ValueError, KeyError, TypeError, UnicodeDecodeError) as exc:
                        _log.warning(
                            "the label index %s could not be read (%s); it is built again when first needed",
                            self.path,
                            exc,
                        )
            return self._index
