"""The label index: every entity's labels and synonyms, normalised, for search; kept with an on-disk store.

:class:`LabelIndex` ranks labels for :mod:`kgexplorer.model.search` (the ranking is described there). A local
graph builds it from all its labels (:meth:`LabelIndex.from_backend`: about a minute on LUBM50's 6.7 million
triples), so ``kgexplorer load`` builds it with the store (:func:`index_labels`) and writes it into the store's
generation folder (:data:`LABEL_INDEX_FILE`), and a graph over the store reads it back when it opens
(:class:`StoredIndex`: a few large blocks, a fraction of a second), so the first search costs what the others do.

>>> idx = LabelIndex.from_rows([("kg:a", "Esketamine", True, "Substance"), ("kg:b", "Ketamine", True, "Substance")])
>>> [h.label for h in idx.search("KETAMINE")]
['Ketamine', 'Esketamine']
"""

from __future__ import annotations

import bisect
import itertools
import json
import logging
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
_MAGIC = b"KGXLABELS1\n"


class _Strings:
    """Many strings as one text and their offsets (item ``i`` is ``text[starts[i]:starts[i + 1] - gap]``), so
    a million of them load as three objects and are sliced out only when a search needs them."""

    def __init__(self, text: str, starts: array[int], gap: int) -> None:
        self.text, self.starts, self.gap = text, starts, gap

    @classmethod
    def of(cls, items: Iterable[str], *, separator: str = "") -> _Strings:
        parts = list(items)
        starts = array("q", [0])
        offset = 0
        for part in parts:
            offset += len(part) + len(separator)
            starts.append(offset)
        return cls(separator.join(parts), starts, len(separator))

    def __getitem__(self, i: int) -> str:
        return self.text[self.starts[i] : self.starts[i + 1] - self.gap]

    def __len__(self) -> int:
        return len(self.starts) - 1


class LabelIndex:
    """An index of labels and synonyms, in memory; an on-disk store keeps it beside its data.

    Every match tier needs the normalised text inside the normalised label, so a search first finds the
    labels that contain it with ``str.find`` over all of them joined into one string (C speed), and
    ranks only those: on LUBM10's 200,000 names that took a search from 280 ms to a few. The entries are
    kept as columns (:class:`_Strings`, byte arrays), so :meth:`save` and :meth:`load` write and read them
    as a few large blocks: ``kgexplorer load`` builds the index with the store (:func:`write_label_index`)
    and a graph opens it with the store, so the first search on a large store costs what the others do.
    """

    def __init__(
        self,
        iris: _Strings,
        texts: _Strings,
        norms: _Strings,
        preferred: bytes,
        kind_ids: array[int],
        kind_names: list[str],
        label_of: array[int],
    ) -> None:
        self._iris, self._texts, self._norms = iris, texts, norms
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
            _Strings.of(norms, separator="\n"),  # normalised text never holds a line break
            bytes(preferred),
            kind_ids,
            list(kinds),
            label_of,
        )

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the index to ``path`` (a new file, renamed into place when complete)."""
        header = {
            "entries": len(self),
            "kinds": self._kind_names,
            "texts": [len(self._iris.text), len(self._texts.text), len(self._norms.text)],
        }
        blocks = [
            self._iris.text.encode("utf-8", "surrogatepass"),
            self._texts.text.encode("utf-8", "surrogatepass"),
            self._norms.text.encode("utf-8", "surrogatepass"),
            self._iris.starts.tobytes(),
            self._texts.starts.tobytes(),
            self._norms.starts.tobytes(),
            self._preferred,
            self._kind_ids.tobytes(),
            self._label_of.tobytes(),
        ]
        header["blocks"] = [len(b) for b in blocks]
        partial = f"{os.fspath(path)}.partial"
        with open(partial, "wb") as out:
            out.write(_MAGIC + json.dumps(header).encode("utf-8") + b"\n")
            for block in blocks:
                out.write(block)
        os.replace(partial, path)

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> LabelIndex:
        """Read an index :meth:`save` wrote; raises ValueError for a file that is not one (or is cut short)."""
        with open(path, "rb") as f:
            if f.readline() != _MAGIC:
                raise ValueError(f"{path} is not a kgexplorer label index")
            header = json.loads(f.readline())
            sizes = [int(n) for n in header["blocks"]]
            # Each block read on its own: the file is never held whole beside its parts (on LUBM50's 142 MB
            # index, reading it whole and slicing it cost a third of the time to open it).
            blocks = [f.read(size) for size in sizes] if len(sizes) == 9 else []
            if not blocks or any(len(b) != size for b, size in zip(blocks, sizes, strict=True)) or f.read(1):
                raise ValueError(f"the label index {path} is incomplete; rebuild the store with kgexplorer load")
        n = int(header["entries"])

        def offsets(raw: bytes) -> array[int]:
            values = array("q")
            values.frombytes(raw)
            if len(values) != n + 1:
                raise ValueError(f"the label index {path} is inconsistent; rebuild the store with kgexplorer load")
            return values

        texts = [b.decode("utf-8", "surrogatepass") for b in blocks[:3]]
        kind_ids, label_of = array("H"), array("q")
        kind_ids.frombytes(blocks[7])
        label_of.frombytes(blocks[8])
        if len(blocks[6]) != n or len(kind_ids) != n or len(label_of) != n:
            raise ValueError(f"the label index {path} is inconsistent; rebuild the store with kgexplorer load")
        return cls(
            _Strings(texts[0], offsets(blocks[3]), 0),
            _Strings(texts[1], offsets(blocks[4]), 0),
            _Strings(texts[2], offsets(blocks[5]), 1),
            blocks[6],
            kind_ids,
            [str(k) for k in header["kinds"]],
            label_of,
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
                found.append((tier, 0 if preferred[i] else 1, priority[kind], starts[i + 1] - starts[i] - 1, i))
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
        blob = self._norms.text
        n = len(self)
        exact = [0] if blob == q or blob.startswith(q + "\n") else []
        if n > 1 and blob.endswith("\n" + q):
            exact.append(n - 1)
        yield 0, itertools.chain(exact, self._found("\n" + q + "\n", 1))
        yield 1, itertools.chain([0] if blob.startswith(q) else [], self._found("\n" + q, 1))
        if " " not in q:  # one word: a later word of the name starts with it
            yield 2, self._found(" " + q, 1)
        yield 3, self._containing(q)

    def _found(self, needle: str, skip: int) -> Iterator[int]:
        """The entries holding ``needle`` at its ``skip``-th character (each entry once, in index order)."""
        blob, starts = self._norms.text, self._norms.starts
        at = blob.find(needle)
        while at != -1:
            index = bisect.bisect_right(starts, at + skip) - 1
            yield index
            at = blob.find(needle, max(at + 1, starts[index + 1] - 1))

    def exact(self, text: str) -> list[str]:
        """IRIs whose label or synonym equals ``text`` (after normalising)."""
        q = normalize(text)
        return list(dict.fromkeys(self._iris[i] for i in self._containing(q) if self._norms[i] == q)) if q else []

    def _containing(self, q: str) -> Iterable[int]:
        """The positions of the entries whose normalised text contains ``q``, in index order."""
        blob, starts = self._norms.text, self._norms.starts
        at = blob.find(q)
        while at != -1:
            index = bisect.bisect_right(starts, at) - 1
            yield index
            at = blob.find(q, starts[index + 1])


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
    """The label index kept in a store's generation ``folder``, read in a background thread from the moment the
    store opens; :meth:`get` waits for it. None when the folder has none (a store built before, or by
    :func:`~kgexplorer.engine.bulk_load.write_disk_store` without ``finish``) or it cannot be read: the graph then
    builds the index on first use, as before."""

    def __init__(self, folder: str | os.PathLike[str]) -> None:
        self.path = Path(folder) / LABEL_INDEX_FILE
        self._index: LabelIndex | None = None
        self._thread: threading.Thread | None = None
        if self.path.is_file():
            self._thread = threading.Thread(target=self._read, daemon=True, name="kgexplorer-labels")
            self._thread.start()

    def _read(self) -> None:
        try:
            self._index = LabelIndex.load(self.path)
        except (OSError, ValueError, KeyError, UnicodeDecodeError) as exc:
            _log.warning(
                "the label index %s could not be read (%s); it is built again when first needed", self.path, exc
            )

    def get(self) -> LabelIndex | None:
        """The index read from the store (waiting for the reading to end), or None."""
        if self._thread is not None:
            self._thread.join()
        return self._index
