"""SPARQL results as distinct types (:class:`SelectResult`, :class:`AskResult`, :class:`GraphResult`) and their
standard serialisations, read from whatever answered: the store, a query worker or a remote endpoint.

Where queries run is elsewhere: the library's own templates on a :mod:`~kgexplorer.engine.backend`, user-written
SPARQL through :mod:`kgexplorer.engine.guard` and a worker process
(:class:`kgexplorer.engine.query_workers.QueryWorkers`).

>>> r = SelectResult(("label",), ((Literal("Ketamine"),),))
>>> [row["label"].value for row in r], r.truncated
(['Ketamine'], False)
"""

from __future__ import annotations

import csv
import io
import json
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pyoxigraph as ox

from kgexplorer.errors import ExportError, QueryError
from kgexplorer.namespaces import PREFIXES
from kgexplorer.terms import IRI, BlankNode, Literal, Term, Triple, from_oxigraph

__all__ = ["AskResult", "GraphResult", "QueryResult", "SelectResult", "graph_from_oxigraph", "select_from_oxigraph"]


@dataclass(frozen=True, repr=False)
class SelectResult:
    """Rows of a SELECT query. ``truncated`` is True when the row cap cut the result.

    Its ``repr`` shows the count and the first rows only, so a notebook never saves megabytes of it.
    """

    variables: tuple[str, ...]
    rows: tuple[tuple[Term | None, ...], ...]
    truncated: bool = False
    elapsed_s: float = 0.0
    row_limit: int | None = None

    def __len__(self) -> int:
        return len(self.rows)

    def __iter__(self) -> Iterator[dict[str, Term | None]]:
        for row in self.rows:
            yield dict(zip(self.variables, row, strict=True))

    def __repr__(self) -> str:
        return _bounded_repr("SelectResult", f"variables={self.variables!r}", self.rows, "rows", self.truncated)

    def column(self, name: str) -> list[Term | None]:
        """All values of one variable."""
        i = self.variables.index(name)
        return [row[i] for row in self.rows]

    def to_json(self) -> str:
        """SPARQL 1.1 Query Results JSON."""
        bindings = []
        for row in self.rows:
            b: dict[str, Any] = {}
            for var, term in zip(self.variables, row, strict=True):
                if term is not None:
                    b[var] = _term_json(term)
            bindings.append(b)
        return json.dumps(
            {"head": {"vars": list(self.variables)}, "results": {"bindings": bindings}}, ensure_ascii=False
        )

    def to_csv(self) -> str:
        """SPARQL 1.1 Query Results CSV (values only)."""
        out = io.StringIO()
        w = csv.writer(out, lineterminator="\r\n")
        w.writerow(self.variables)
        for row in self.rows:
            w.writerow(["" if t is None else _csv_value(t) for t in row])
        return out.getvalue()

    def to_tsv(self) -> str:
        """SPARQL 1.1 Query Results TSV (terms in SPARQL syntax)."""
        lines = ["\t".join("?" + v for v in self.variables)]
        lines += ["\t".join("" if t is None else t.n3() for t in row) for row in self.rows]
        return "\n".join(lines) + "\n"

    def to_pandas(self) -> Any:
        """The rows as a pandas DataFrame with typed columns: numbers, booleans and dates as such
        (:meth:`~kgexplorer.terms.Literal.to_python`), IRIs whole, text as text, unbound as missing.

        A column whose values are all integers is ``Int64`` (missing values allowed), all booleans
        ``boolean``, all dates or date-times ``datetime64``; a mixed column keeps each value as it is.
        pandas is an optional extra (``pip install 'kgexplorer[pandas]'``).

        >>> xsd = "http://www.w3.org/2001/XMLSchema#"
        >>> ketamine = IRI("https://w3id.org/kgexplorer/id/ketamine")
        >>> r = SelectResult(("e", "n"), ((ketamine, Literal("96", xsd + "integer")),))
        >>> frame = r.to_pandas()
        >>> frame["e"][0], int(frame["n"][0]), str(frame["n"].dtype)
        ('https://w3id.org/kgexplorer/id/ketamine', 96, 'Int64')
        """
        try:
            import pandas as pd
        except ImportError:
            raise ExportError(
                "to_pandas needs pandas, an optional extra; install it with pip install 'kgexplorer[pandas]'"
            ) from None
        columns = {}
        for i, name in enumerate(self.variables):
            values = [_python(row[i]) for row in self.rows]
            columns[name] = _typed_column(pd, values)
        return pd.DataFrame(columns, columns=list(self.variables))

    def _repr_html_(self) -> str:
        """An HTML table for notebooks (every value escaped)."""
        import html

        head = "".join(f"<th>{html.escape(v)}</th>" for v in self.variables)
        body = "".join(
            "<tr>" + "".join(f"<td>{'' if t is None else html.escape(_short(t))}</td>" for t in row) + "</tr>"
            for row in self.rows[:200]
        )
        more = f"<p>{len(self.rows) - 200:,} more rows not shown.</p>" if len(self.rows) > 200 else ""
        cut = "<p><b>Cut at the row limit.</b></p>" if self.truncated else ""
        return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>{more}{cut}"

    def to_table(self, *, max_width: int = 60) -> str:
        """A plain-text table for terminals (control and invisible characters in the data shown escaped)."""
        from kgexplorer.control_chars import printable

        header = list(self.variables)
        # Line breaks and tabs become spaces (one line per row, _clip); other control characters show escaped.
        body = [["" if t is None else printable(_short(t), keep="\t\n\r") for t in row] for row in self.rows]
        widths = [min(max_width, max([len(h)] + [len(r[i]) for r in body])) for i, h in enumerate(header)]

        def fmt(cells: Sequence[str]) -> str:
            return " | ".join(_clip(c, w).ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip()

        lines = [fmt(header), "-+-".join("-" * w for w in widths)] + [fmt(r) for r in body]
        note = f"\n({len(self.rows)} rows{', cut at the row limit' if self.truncated else ''})"
        return "\n".join(lines) + note


@dataclass(frozen=True)
class AskResult:
    """The answer to an ASK query."""

    value: bool
    elapsed_s: float = 0.0

    def __bool__(self) -> bool:
        return self.value

    def _repr_html_(self) -> str:
        return f"<p>ASK: <b>{'yes' if self.value else 'no'}</b></p>"

    def to_json(self) -> str:
        """SPARQL 1.1 Query Results JSON."""
        return json.dumps({"head": {}, "boolean": self.value})


@dataclass(frozen=True, repr=False)
class GraphResult:
    """Triples from a CONSTRUCT or DESCRIBE query. ``truncated`` is True when the cap cut the result.

    Its ``repr`` shows the count and the first triples only.
    """

    triples: tuple[Triple, ...]
    truncated: bool = False
    elapsed_s: float = 0.0
    row_limit: int | None = None
    prefixes: Mapping[str, str] = field(default_factory=lambda: dict(PREFIXES))

    def __len__(self) -> int:
        return len(self.triples)

    def __iter__(self) -> Iterator[Triple]:
        return iter(self.triples)

    def __repr__(self) -> str:
        return _bounded_repr("GraphResult", "", self.triples, "triples", self.truncated)

    def to_rdflib(self) -> Any:
        """The triples as an ``rdflib.Graph`` (with the prefixes bound), for code built on rdflib.

        >>> from kgexplorer.terms import Triple
        >>> g = GraphResult((Triple(IRI("http://e/a"), IRI("http://e/p"), Literal("x")),)).to_rdflib()
        >>> len(g)
        1
        """
        import rdflib

        from kgexplorer.terms import to_rdflib

        graph = rdflib.Graph()
        for prefix, namespace in self.prefixes.items():
            graph.bind(prefix, namespace)
        for t in self.triples:
            graph.add((to_rdflib(t.subject), to_rdflib(t.predicate), to_rdflib(t.object)))
        return graph

    def to_ntriples(self) -> str:
        """N-Triples."""
        return "".join(f"{t.subject.n3()} {t.predicate.n3()} {t.object.n3()} .\n" for t in self.triples)

    def to_turtle(self) -> str:
        """Turtle with the project prefixes."""
        return self._serialize(ox.RdfFormat.TURTLE)

    def to_jsonld(self) -> str:
        """JSON-LD (expanded form, as Oxigraph writes it)."""
        return self._serialize(ox.RdfFormat.JSON_LD)

    def _serialize(self, fmt: Any) -> str:
        from kgexplorer.terms import to_oxigraph

        quads = [
            ox.Triple(to_oxigraph(t.subject), to_oxigraph(t.predicate), to_oxigraph(t.object)) for t in self.triples
        ]
        kwargs: dict[str, Any] = {"format": fmt}
        if fmt == ox.RdfFormat.TURTLE:
            kwargs["prefixes"] = dict(self.prefixes)
        data = ox.serialize(quads, **kwargs)
        return bytes(data).decode("utf-8") if data is not None else ""


QueryResult = SelectResult | AskResult | GraphResult


def select_from_oxigraph(solutions: Any, *, max_rows: int | None, started: float) -> SelectResult:
    """Read pyoxigraph solutions into a :class:`SelectResult`, stopping one row past the cap (``max_rows``: the
    max_result_rows setting, or a lower limit the caller asked for)."""
    variables = tuple(v.value for v in solutions.variables)
    rows: list[tuple[Term | None, ...]] = []
    truncated = False
    for sol in solutions:
        if max_rows is not None and len(rows) >= max_rows:
            truncated = True
            break
        rows.append(tuple(None if sol[i] is None else from_oxigraph(sol[i]) for i in range(len(variables))))
    return SelectResult(variables, tuple(rows), truncated, time.perf_counter() - started, max_rows)


def graph_from_oxigraph(triples: Any, *, max_rows: int | None, started: float) -> GraphResult:
    """Read pyoxigraph triples into a :class:`GraphResult`, stopping one triple past the cap."""
    out: list[Triple] = []
    truncated = False
    for t in triples:
        if max_rows is not None and len(out) >= max_rows:
            truncated = True
            break
        s, p, o = from_oxigraph(t.subject), from_oxigraph(t.predicate), from_oxigraph(t.object)
        if not isinstance(p, IRI) or isinstance(s, Literal):  # pragma: no cover - RDF guarantees this shape
            raise QueryError("the store returned a malformed triple")
        out.append(Triple(s, p, o))
    return GraphResult(tuple(out), truncated, time.perf_counter() - started, max_rows)


def _term_json(t: Term) -> dict[str, str]:
    if isinstance(t, IRI):
        return {"type": "uri", "value": t.value}
    if isinstance(t, BlankNode):
        return {"type": "bnode", "value": t.id}
    d = {"type": "literal", "value": t.value}
    if t.language:
        d["xml:lang"] = t.language
    elif t.datatype:
        d["datatype"] = t.datatype
    return d


#: How many rows or triples a result's repr shows.
_REPR_ROWS = 5


def _bounded_repr(kind: str, head: str, items: Sequence[Any], what: str, truncated: bool) -> str:
    """``Kind(head, N rows, first k: [...], truncated=…)``: short whatever the result's size.

    >>> _bounded_repr("SelectResult", "variables=('a',)", [(1,)] * 5921, "rows", False)
    "SelectResult(variables=('a',), 5,921 rows, first 5: [(1,), (1,), (1,), (1,), (1,)], truncated=False)"
    """
    shown = ", ".join(repr(item)[:300] for item in items[:_REPR_ROWS])
    first = f"first {min(len(items), _REPR_ROWS)}: [{shown}]" if len(items) > _REPR_ROWS else f"[{shown}]"
    parts = [p for p in (head, f"{len(items):,} {what}", first, f"truncated={truncated}") if p]
    return f"{kind}({', '.join(parts)})"


def _python(t: Term | None) -> Any:
    """A value for a DataFrame cell: typed literal values, IRIs whole, blank nodes as _:id, unbound as None."""
    if t is None:
        return None
    if isinstance(t, Literal):
        return t.to_python()
    return str(t)


def _typed_column(pd: Any, values: list[Any]) -> Any:
    """A pandas column of ``values`` with the narrowest type they all share (missing values allowed)."""
    import datetime

    present = [v for v in values if v is not None]
    if present and all(isinstance(v, bool) for v in present):
        return pd.array(values, dtype="boolean")
    if present and all(isinstance(v, int) and not isinstance(v, bool) for v in present):
        return pd.array(values, dtype="Int64")
    if present and all(isinstance(v, float) for v in present):
        return pd.array(values, dtype="Float64")
    if present and all(isinstance(v, datetime.date) for v in present):
        try:
            return pd.to_datetime(
                pd.Series(values, dtype=object),
                utc=any(isinstance(v, datetime.datetime) and v.tzinfo is not None for v in present),
            )
        except (ValueError, TypeError):  # mixed time zones or dates out of pandas' range: keep them as they are
            return pd.Series(values, dtype=object)
    if present and all(isinstance(v, str) for v in present):
        return pd.array(values, dtype="string")
    return pd.Series(values, dtype=object)


def _csv_value(t: Term) -> str:
    return "_:" + t.id if isinstance(t, BlankNode) else t.value


def _short(t: Term) -> str:
    from kgexplorer.namespaces import shorten

    if isinstance(t, IRI):
        return shorten(t.value)
    return str(t)


def _clip(text: str, width: int) -> str:
    text = text.replace("\r\n", " ").replace("\n", " ").replace("\r", " ").replace("\t", " ")  # one line per row
    return text if len(text) <= width else text[: width - 1] + "…"
