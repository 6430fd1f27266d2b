"""Search over labels and synonyms: case- and accent-insensitive, exact and prefix matches first.

A local graph ranks every label at once (:meth:`LabelIndex.from_backend`). An endpoint's labels cannot all be
downloaded, so :func:`candidate_index` asks it for the labels containing the words typed (bound as literals
with :func:`~kgexplorer.engine.backend.values_clause`, never pasted into the query) and ranks only those, exactly as
the local index ranks them.

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

import bisect
import contextlib
import re
import unicodedata
import weakref
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from kgexplorer.engine.backend import Backend
from kgexplorer.errors import EntityNotFound
from kgexplorer.namespaces import KG, PREFIXES
from kgexplorer.terms import IRI, Literal

from .labels import (
    LABEL_PREDICATES,
    SYNONYM_PREDICATES,
    fetch_kinds,
    is_name_predicate,
    kind_of,
    label_pattern,
    label_score,
)

__all__ = ["LabelIndex", "SearchHit", "candidate_index", "normalize", "resolve_name"]

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
# What a search on an endpoint reads (candidate_index), as the local index does (LabelIndex.from_backend): the three
# main label predicates and the synonym predicates, one UNION branch each (labels.label_pattern).
_SEARCHED = label_pattern("?e", (*LABEL_PREDICATES[:3], *SYNONYM_PREDICATES))


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
    """An in-memory index of labels and synonyms.

    Every match tier needs the normalised text inside the normalised label, so a search first finds the
    labels that contain it with ``str.find`` over all of them joined into one string (C speed), and
    ranks only those: on LUBM10's 200,000 names that took a search from 280 ms to a few.
    """

    def __init__(self, entries: list[_Entry], labels: dict[str, str]) -> None:
        self._entries = entries
        self._labels = labels
        self._starts: list[int] = []
        offset = 0
        for e in entries:
            self._starts.append(offset)
            offset += len(e.norm) + 1
        self._blob = "\n".join(e.norm for e in entries)  # normalised text never holds a line break

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
        for e in self._containing(q):
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
        return list(dict.fromkeys(e.iri for e in self._containing(q) if e.norm == q)) if q else []

    def _containing(self, q: str) -> Iterable[_Entry]:
        """The entries whose normalised text contains ``q``, in index order."""
        blob, starts = self._blob, self._starts
        at = blob.find(q)
        while at != -1:
            index = bisect.bisect_right(starts, at) - 1
            yield self._entries[index]
            following = starts[index + 1] if index + 1 < len(starts) else len(blob)
            at = blob.find(q, following)


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


def resolve_name(backend: Backend, name: str, *, index_for: Callable[[str], LabelIndex], search_limit: int) -> str:
    """The IRI of the entity a person means: a full IRI, prefixed name, local name, label or synonym.

    ``index_for`` gives the labels to rank for a text (all of a local graph's, an endpoint's candidates);
    at most ``search_limit`` suggestions (and never more than 5) are offered when nothing matches
    (:meth:`kgexplorer.KnowledgeGraph.resolve`).
    """
    text = name.strip()
    if not text:
        raise EntityNotFound("no entity name given; type a name such as 'ketamine'", name=name)
    candidates: list[str] = []
    if text.startswith(("http://", "https://", "urn:")):
        candidates.append(text)
    elif ":" in text and text.split(":", 1)[0] in PREFIXES:
        prefix, local = text.split(":", 1)
        candidates.append(PREFIXES[prefix] + local)
    if all(c.isalnum() or c in "_-." for c in text):
        candidates.append(KG + text)
    for iri in candidates:
        if _exists(backend, iri):
            return iri
    index = index_for(text)
    exact = index.exact(text)
    if len(exact) == 1:
        return exact[0]
    hits = index.search(text, limit=min(5, search_limit))
    if exact:
        best = [h for h in hits if h.iri in exact] or hits
        return best[0].iri
    suggestions = tuple(h.label for h in hits)
    hint = f"; did you mean: {', '.join(suggestions)}?" if suggestions else "; try kgexplorer search TEXT"
    raise EntityNotFound(f"no entity called {name!r}{hint}", name=name, suggestions=suggestions)


def _exists(backend: Backend, iri: str) -> bool:
    """Whether ``iri`` is a subject or object of any triple (False for text that is no valid IRI)."""
    try:
        node = IRI(iri)
        node.n3()
    except ValueError:
        return False
    rows = backend.select("SELECT ?p WHERE { { ?e ?p ?o } UNION { ?s ?p ?e } } LIMIT 1", values={"e": node})
    return bool(rows.rows)


def _words(text: str) -> list[str]:
    # Lower-case like SPARQL's LCASE; accents are kept, since an endpoint cannot fold them portably.
    return list(dict.fromkeys(re.findall(r"[^\W_]+", text.lower())))


def candidate_index(backend: Backend, text: str, *, max_rows: int, batch: int = 400) -> LabelIndex:
    """A label index of only the entities whose label or synonym could match ``text``.

    Two label searches run on the backend: labels starting with the text, and labels containing every
    word of it (case-insensitive; accents must match). ``max_rows`` caps each. The candidates' labels and
    kinds are then fetched and ranked by :class:`~kgexplorer.model.search.LabelIndex` as in a local search.

    >>> from kgexplorer import KnowledgeGraph
    >>> with KnowledgeGraph.bundled() as kg:
    ...     index = candidate_index(kg, "special K", max_rows=100)
    >>> [(h.label, h.matched) for h in index.search("special K")][0]
    ('Ketamine', 'Special K')
    """
    words = _words(text)
    if not words:
        return LabelIndex.from_rows([])
    # The other names a local index reads (LUBM's ub:name, foaf:name, dcterms:title …), so that a search
    # finds on an endpoint what it finds in a store holding the same data.
    others = _other_names(backend)
    searched = label_pattern("?e", (*LABEL_PREDICATES[:3], *SYNONYM_PREDICATES, *others)) if others else _SEARCHED
    base = f"SELECT DISTINCT ?e WHERE {{ {searched} FILTER(isIRI(?e) && isLiteral(?l)) "
    starts = backend.select(
        base + "FILTER(STRSTARTS(LCASE(STR(?l)), ?q)) }",
        values={"q": Literal(" ".join(text.lower().split()))},
        max_rows=max_rows,
    )
    contains = " && ".join(f"CONTAINS(LCASE(STR(?l)), ?w{i})" for i in range(len(words)))
    every = backend.select(
        base + f"FILTER({contains}) }}",
        values={f"w{i}": Literal(w) for i, w in enumerate(words)},
        max_rows=max_rows,
    )
    iris = list(dict.fromkeys(str(r[0]) for r in (*starts.rows, *every.rows) if isinstance(r[0], IRI)))
    rows: list[tuple[str, str, bool, str]] = []
    kinds = fetch_kinds(backend, iris, batch=batch)
    for i in range(0, len(iris), batch):
        chunk = [IRI(x) for x in iris[i : i + batch]]
        found = backend.select(f"SELECT ?e ?p ?l WHERE {{ {searched} FILTER(isLiteral(?l)) }}", values={"e": chunk})
        got = [(str(e), str(p), str(lab)) for e, p, lab in found.rows if e is not None and p is not None and lab]
        # As in a local index: the other names count only for entities with none of the main labels.
        labelled = {e for e, p, _ in got if p in LABEL_PREDICATES[:3]}
        rows += [
            (e, lab, p not in SYNONYM_PREDICATES, kinds.get(e, "Resource"))
            for e, p, lab in got
            if p not in others or e not in labelled
        ]
    return LabelIndex.from_rows(rows)


_OTHER_NAMES: weakref.WeakKeyDictionary[Backend, tuple[str, ...]] = weakref.WeakKeyDictionary()


def _other_names(backend: Backend) -> tuple[str, ...]:
    """The name predicates beyond the main labels that ``backend`` uses (asked once per backend)."""
    try:
        return _OTHER_NAMES[backend]
    except (KeyError, TypeError):
        pass
    main = LABEL_PREDICATES[:3]
    found = tuple(
        p.value
        for (p,) in backend.select("SELECT DISTINCT ?p WHERE { ?s ?p ?o }").rows
        if isinstance(p, IRI) and is_name_predicate(p.value) and p.value not in main
    )
    with contextlib.suppress(TypeError):  # a backend that cannot be weakly referenced is asked each time
        _OTHER_NAMES[backend] = found
    return found
