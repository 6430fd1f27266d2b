"""Where the library's own queries run: a :class:`Backend` (the embedded store, or a remote SPARQL endpoint).

Every feature of the model (labels, search, cards, neighbourhoods, paths, statistics …) asks its questions
as SELECT *templates* written in this package, through one method, :meth:`Backend.select`. Two backends
exist: :class:`LocalBackend` runs them on the embedded store in this process, and
:class:`~kgexplorer.engine.remote_endpoint.RemoteBackend` sends them to a SPARQL endpoint. Values are bound with
:func:`values_clause` from validated terms, never pasted from user text. User-written SPARQL never runs
here: it goes through :mod:`kgexplorer.engine.guard` and a worker process
(:class:`kgexplorer.engine.query_workers.QueryWorkers`).

>>> from kgexplorer.engine.store import StoreRecipe, build_store
>>> from kgexplorer.terms import IRI
>>> store = build_store(StoreRecipe.bundled())
>>> r = run_template(store, "SELECT ?label WHERE { ?e rdfs:label ?label } LIMIT 1",
...                  values={"e": IRI("https://w3id.org/kgexplorer/id/ketamine")})
>>> r.rows[0][0].value
'Ketamine'
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol

from kgexplorer.errors import QueryError, QuerySyntaxError
from kgexplorer.namespaces import prefix_block
from kgexplorer.terms import Term

from .results import SelectResult, select_from_oxigraph

__all__ = ["Backend", "LocalBackend", "bind_values", "run_template", "values_clause"]


class Backend(Protocol):
    """Where template queries run: the embedded store, or a remote SPARQL endpoint."""

    def select(
        self,
        query: str,
        *,
        values: Mapping[str, Term | Sequence[Term]] | None = None,
        max_rows: int | None = None,
    ) -> SelectResult: ...


class LocalBackend:
    """The library's own template queries (:func:`run_template`) against an embedded store, in-process.

    Give the ``store``, or ``load``: a function that builds it, called once, when the first template query (or
    :attr:`store`) needs it. A graph of files does so: users' queries run in the query workers, which load their
    own copy, so a one-shot ``kgexplorer --data FILE query`` loads the data once (issue 17).
    """

    def __init__(self, store: Any = None, *, load: Callable[[], Any] | None = None) -> None:
        self.loaded = store
        self._load = load
        self._lock = threading.Lock()

    @property
    def store(self) -> Any:
        """The store (built now by ``load`` if it was not given or built before)."""
        if self.loaded is None and self._load is not None:
            with self._lock:
                if self.loaded is None:
                    self.loaded = self._load()
        return self.loaded

    def select(
        self,
        query: str,
        *,
        values: Mapping[str, Term | Sequence[Term]] | None = None,
        max_rows: int | None = None,
    ) -> SelectResult:
        return run_template(self.store, query, values=values, max_rows=max_rows)


def run_template(
    store: Any,
    query: str,
    *,
    values: Mapping[str, Term | Sequence[Term]] | None = None,
    max_rows: int | None = None,
) -> SelectResult:
    """Run one of the app's own SELECT templates in-process, with values bound safely.

    The template must use ``WHERE {`` once at the top level: the VALUES block is placed right after it.
    """
    text = bind_values(query, values)
    started = time.perf_counter()
    try:
        solutions = store.query(prefix_block() + text, use_default_graph_as_union=True)
    except SyntaxError as exc:  # a bug in a template, not user input
        raise QuerySyntaxError(f"internal template query does not parse: {exc}") from None
    except OSError as exc:
        raise QueryError(f"the store could not answer a query: {exc}") from None
    return select_from_oxigraph(solutions, max_rows=max_rows, started=started)


def values_clause(values: Mapping[str, Term | Sequence[Term]]) -> str:
    """A SPARQL VALUES block binding variables to validated terms (never to raw user text).

    >>> from kgexplorer.terms import IRI
    >>> values_clause({"e": IRI("https://w3id.org/kgexplorer/id/ketamine")})
    'VALUES (?e) { (<https://w3id.org/kgexplorer/id/ketamine>) }'
    >>> values_clause({"e": IRI("http://x/a> } DROP ALL #")})
    Traceback (most recent call last):
    ...
    ValueError: Invalid IRI code point '>'
    """
    names = list(values)
    columns: list[list[Term]] = []
    for name in names:
        if not name.isidentifier():
            raise ValueError(f"invalid SPARQL variable name {name!r}")
        v = values[name]
        columns.append(list(v) if isinstance(v, (list, tuple)) else [v])  # type: ignore[list-item]
    n = max(len(c) for c in columns) if columns else 0
    if any(len(c) not in (1, n) for c in columns):
        raise ValueError("every bound variable needs one value or the same number of values")
    # n3() validates each IRI through Oxigraph; a term repeated across rows (pairs of nodes) is written once.
    written: dict[Term, str] = {}

    def n3(term: Term) -> str:
        text = written.get(term)
        if text is None:
            text = written[term] = term.n3()
        return text

    rows = []
    for i in range(n):
        rows.append("(" + " ".join(n3(c[i] if len(c) > 1 else c[0]) for c in columns) + ")")
    return f"VALUES ({' '.join('?' + n for n in names)}) {{ {' '.join(rows)} }}"


def bind_values(query: str, values: Mapping[str, Term | Sequence[Term]] | None) -> str:
    """Put a VALUES block right after the first ``WHERE {`` of a template (local and remote alike).

    >>> from kgexplorer.terms import IRI
    >>> bind_values("SELECT ?l WHERE { ?e rdfs:label ?l }", {"e": IRI("https://w3id.org/kgexplorer/id/ketamine")})
    'SELECT ?l WHERE { VALUES (?e) { (<https://w3id.org/kgexplorer/id/ketamine>) }  ?e rdfs:label ?l }'
    """
    if not values:
        return query
    marker = query.find("WHERE {")
    if marker < 0:
        raise ValueError("template queries must contain 'WHERE {' so values can be bound")
    cut = marker + len("WHERE {")
    return query[:cut] + " " + values_clause(values) + " " + query[cut:]
