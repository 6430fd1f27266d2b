"""Search over labels and synonyms: case- and accent-insensitive, exact and prefix matches first.

Ranking (best first): the whole label or synonym equals the text; a label or synonym starts with it;
a word inside starts with it; it appears anywhere. Within a tier, preferred labels beat synonyms,
domain entities beat studies and records, and shorter names win.

>>> idx = LabelIndex.from_rows([("kg:a", "Esketamine", True, "Substance"),
...                             ("kg:a", "Spravato", False, "Substance"),
...                             ("kg:b", "Ketamine", True, "Substance")])
>>> [h.iri for h in idx.search("spra")]
['kg:a']
>>> [h.label for h in idx.search("KETAMINE")]
['Ketamine', 'Esketamine']
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

__all__ = ["LabelIndex", "SearchHit", "normalize"]

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
    "Topic": 2,
    "Jurisdiction": 2,
    "Study": 3,
    "Regulatory event": 4,
    "Historical event": 4,
    "Publication event": 4,
    "Legal status": 5,
    "Real-world figure": 5,
}
_NOT_SEARCHED = {"Claim", "Study result"}


def normalize(text: str) -> str:
    """Fold case, accents and punctuation so 'Lambarène', 'lambarene' and 'LAMBARENE' compare equal.

    >>> normalize("  (S)-Kétamine ")
    's ketamine'
    """
    decomposed = unicodedata.normalize("NFKD", text)
    no_marks = "".join(c for c in decomposed if not unicodedata.combining(c))
    return re.sub(r"[\W_]+", " ", no_marks.casefold()).strip()


@dataclass(frozen=True)
class SearchHit:
    """One search result: the entity, its label, the text that matched and its kind."""

    iri: str
    label: str
    matched: str
    kind: str
    score: tuple[int, ...]


@dataclass(frozen=True)
class _Entry:
    iri: str
    text: str
    norm: str
    words: tuple[str, ...]
    preferred: bool
    kind: str


class LabelIndex:
    """An in-memory index of labels and synonyms."""

    def __init__(self, entries: list[_Entry], labels: dict[str, str]) -> None:
        self._entries = entries
        self._labels = labels

    @classmethod
    def from_rows(cls, rows: Iterable[tuple[str, str, bool, str]]) -> LabelIndex:
        """Build from ``(iri, text, is_preferred_label, kind)`` rows."""
        entries: list[_Entry] = []
        labels: dict[str, str] = {}
        seen: set[tuple[str, str]] = set()
        for iri, text, preferred, kind in rows:
            if kind in _NOT_SEARCHED:
                continue
            norm = normalize(text)
            if not norm or (iri, norm) in seen:
                continue
            seen.add((iri, norm))
            entries.append(_Entry(iri, text, norm, tuple(norm.split()), preferred, kind))
            if preferred and iri not in labels:
                labels[iri] = text
        return cls(entries, labels)

    def __len__(self) -> int:
        return len(self._entries)

    def label(self, iri: str) -> str | None:
        """The preferred label of an indexed entity."""
        return self._labels.get(iri)

    def search(self, text: str, *, limit: int = 20, kinds: Iterable[str] | None = None) -> list[SearchHit]:
        """The best matches for ``text``, at most ``limit``, optionally only of some kinds."""
        q = normalize(text)
        if not q:
            return []
        wanted = set(kinds) if kinds else None
        best: dict[str, SearchHit] = {}
        for e in self._entries:
            if wanted is not None and e.kind not in wanted:
                continue
            tier = _tier(q, e)
            if tier is None:
                continue
            score = (tier, 0 if e.preferred else 1, _KIND_PRIORITY.get(e.kind, 3), len(e.norm))
            hit = SearchHit(e.iri, self._labels.get(e.iri, e.text), e.text, e.kind, score)
            if e.iri not in best or score < best[e.iri].score:
                best[e.iri] = hit
        return sorted(best.values(), key=lambda h: (h.score, h.label))[:limit]

    def exact(self, text: str) -> list[str]:
        """IRIs whose label or synonym equals ``text`` (after normalising)."""
        q = normalize(text)
        return list(dict.fromkeys(e.iri for e in self._entries if e.norm == q))


def _tier(q: str, e: _Entry) -> int | None:
    if e.norm == q:
        return 0
    if e.norm.startswith(q):
        return 1
    q_words = q.split()
    if len(q_words) == 1 and any(w.startswith(q) for w in e.words):
        return 2
    if q in e.norm:
        return 3
    return None
