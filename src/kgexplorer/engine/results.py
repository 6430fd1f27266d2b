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

from kgexplorer.errors import QueryError
from kgexplorer.namespaces import PREFIXES
from kgexplorer.terms import IRI, BlankNode, Literal, Term, Triple, from_oxigraph

__all__ = ["AskResult", "GraphResult", "QueryResult", "SelectResult", "graph_from_oxigraph", "select_from_oxigraph"]


@dataclass(frozen=True)
class SelectResult:
    """Rows of a SELECT query. ``truncated`` is True when the row cap cut the result."""

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
        """The rows as a pandas DataFrame of plain strings (IRIs shortened with the project prefixes)."""
        import pandas as pd

        return pd.DataFrame(
            [["" if t is None else _short(t) for t in row] for row in self.rows], columns=list(self.variables)
        )

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


@dataclass(frozen=True)
class GraphResult:
    """Triples from a CONSTRUCT or DESCRIBE query. ``truncated`` is True when the cap cut the result."""

    triples: tuple[Triple, ...]
    truncated: bool = False
    elapsed_s: float = 0.0
    row_limit: int | None = None
    prefixes: Mapping[str, str] = field(default_factory=lambda: dict(PREFIXES))

    def __len__(self) -> int:
        return len(self.triples)

    def __iter__(self) -> Iterator[Triple]:
        return iter(self.triples)

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
