"""Values bound beside a query's text: a gallery question's parameters, never pasted into the text.

A query with parameters (``# param: substance Substance kg:ketamine``) reaches the engine exactly as the
person wrote it, and its bound values travel beside it as :data:`Bindings` (docs/decisions/query-bindings.md):

* on the embedded store, through the guarded, sandboxed query worker, as pyoxigraph's ``substitutions``
  (:func:`substitutions`; SEP-0007: each variable takes its value throughout the query);
* on a remote SPARQL endpoint, which has no such parameter in the protocol, as a ``VALUES`` clause after
  the query (:func:`with_trailing_values`), on its own line, so every line of the text keeps its number.

Both need the variable in a SELECT query's projection (pyoxigraph refuses a substitution it could not
show; a trailing ``VALUES`` after ``GROUP BY`` joins only what is grouped), which :func:`check_bindable`
asks the engine itself about.

>>> from kgexplorer.terms import IRI
>>> b = bindings({"substance": IRI("https://w3id.org/kgexplorer/id/ketamine")})
>>> b
(('substance', IRI(value='https://w3id.org/kgexplorer/id/ketamine')),)
>>> print(with_trailing_values("SELECT ?substance WHERE { ?substance a kgx:Substance }", b))
SELECT ?substance WHERE { ?substance a kgx:Substance }
VALUES (?substance) { (<https://w3id.org/kgexplorer/id/ketamine>) }
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from kgexplorer.errors import QueryError
from kgexplorer.terms import BlankNode, Term, to_oxigraph

from .backend import values_clause

__all__ = ["Bindings", "bindings", "check_bindable", "substitutions", "with_trailing_values"]

#: Variable names and their values, sorted by name: hashable (a result cache keys on them) and picklable
#: (they cross the pipe to a query worker). Empty: nothing bound.
Bindings = tuple[tuple[str, Term], ...]

# SPARQL's VARNAME, ASCII part (the gallery's parameter names are Python identifiers, a subset).
_VARNAME = re.compile(r"[A-Za-z_0-9][A-Za-z_0-9\u00b7]*")


def bindings(values: Mapping[str, Term] | Iterable[tuple[str, Term]] | None) -> Bindings:
    """Checked bindings: every name a SPARQL variable name, every value a valid IRI or literal.

    Raises :class:`~kgexplorer.errors.QueryError` for a bad name or value (a blank node binds nothing a
    person could name).

    >>> from kgexplorer.terms import IRI
    >>> bindings({"x y": IRI("https://example.org/")})
    Traceback (most recent call last):
    ...
    kgexplorer.errors.QueryError: 'x y' is not a SPARQL variable name; a bound variable takes letters, digits and _
    """
    if values is None:
        return ()
    pairs = list(values.items()) if isinstance(values, Mapping) else list(values)
    checked: dict[str, Term] = {}
    for name, value in pairs:
        if not isinstance(name, str) or not _VARNAME.fullmatch(name):
            raise QueryError(f"{name!r} is not a SPARQL variable name; a bound variable takes letters, digits and _")
        if isinstance(value, BlankNode) or not hasattr(value, "n3"):
            raise QueryError(f"?{name} can be bound to an IRI or a literal, not {value!r}")
        try:
            value.n3()
        except ValueError as exc:
            raise QueryError(f"?{name} got an invalid value {value!r} ({exc}); give a full IRI or a literal") from None
        if name in checked and checked[name] != value:
            raise QueryError(f"?{name} is bound twice; bind it once")
        checked[name] = value
    return tuple(sorted(checked.items()))


def substitutions(bound: Bindings) -> dict[Any, Any] | None:
    """The bindings as pyoxigraph's ``substitutions`` argument of ``Store.query`` (None: nothing bound)."""
    if not bound:
        return None
    import pyoxigraph as ox

    return {ox.Variable(name): to_oxigraph(value) for name, value in bound}


def with_trailing_values(text: str, bound: Bindings) -> str:
    """The text with a ``VALUES`` clause after it, on a line of its own (for an engine without substitutions).

    The query's own lines keep their numbers and columns; the clause is built from checked terms.
    """
    if not bound:
        return text
    return text + ("" if text.endswith("\n") else "\n") + values_clause(dict(bound))


def check_bindable(text: str, names: Iterable[str], *, prefixes: Mapping[str, str]) -> str | None:
    """Why the engine could not bind ``names`` in ``text`` (a SELECT that does not return one), or None.

    Asks pyoxigraph itself, on an empty store (nothing is read). A text that does not parse is not judged
    here: running it reports the syntax error at its true line.

    >>> from kgexplorer.namespaces import PREFIXES
    >>> check_bindable("SELECT ?x WHERE { ?x ?p ?o }", ["x"], prefixes=PREFIXES) is None
    True
    >>> check_bindable("SELECT ?o WHERE { ?x ?p ?o }", ["x"], prefixes=PREFIXES)
    'a SELECT query must return ?x (put it in the SELECT clause, and in GROUP BY if the query groups)'
    """
    import pyoxigraph as ox

    store = ox.Store()
    for name in names:
        try:
            store.query(
                text,
                prefixes=dict(prefixes),
                substitutions={ox.Variable(name): ox.NamedNode("urn:kgexplorer:bindable")},
            )
        except SyntaxError:
            return None
        except (RuntimeError, ValueError):
            return (
                f"a SELECT query must return ?{name} (put it in the SELECT clause, and in GROUP BY if the query groups)"
            )
    return None
