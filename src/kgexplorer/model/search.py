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

import contextlib
import re
import weakref
from collections.abc import Callable

from kgexplorer.engine.backend import Backend
from kgexplorer.errors import EntityNotFound
from kgexplorer.namespaces import KG, PREFIXES
from kgexplorer.terms import IRI, Literal

from .label_index import LABEL_INDEX_FILE, LabelIndex, SearchHit, index_labels, normalize, write_label_index
from .labels import LABEL_PREDICATES, SYNONYM_PREDICATES, fetch_kinds, is_name_predicate, label_pattern

__all__ = [
    "LABEL_INDEX_FILE",
    "LabelIndex",
    "SearchHit",
    "candidate_index",
    "index_labels",
    "normalize",
    "resolve_name",
    "write_label_index",
]

# What a search on an endpoint reads (candidate_index), as the local index does (LabelIndex.from_backend): the three
# main label predicates and the synonym predicates, one UNION branch each (labels.label_pattern).
_SEARCHED = label_pattern("?e", (*LABEL_PREDICATES[:3], *SYNONYM_PREDICATES))


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
