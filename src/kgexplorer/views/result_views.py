"""What a query result becomes on screen and on disk: a labelled table, a bar chart, a graph, files.

The workbench (:mod:`kgexplorer.ui.workbench`) runs a query; this module presents its answer, so the app,
the CLI or a notebook show the same thing:

* :func:`result_table` turns terms into cells that show labels (at most ``result_label_lookups`` IRIs
  are looked up; the table says when more were left with their local names), each IRI with its link
  into Explore (:func:`explore_link`);
* :func:`bar_chart` picks a number column and a label column for a chart;
* :func:`result_graph` draws CONSTRUCT/DESCRIBE answers (and subject/predicate/object rows, see
  :func:`spo_columns`) as a :class:`~kgexplorer.views.render.GraphView`;
* :func:`downloads` gives each standard serialisation as bytes, MIME type and file name.

>>> from kgexplorer import KnowledgeGraph
>>> with KnowledgeGraph.bundled() as kg:
...     table = result_table(kg, kg.sparql("SELECT ?level (COUNT(?c) AS ?n) "
...                                        "WHERE { ?c kgx:evidenceLevel ?level } GROUP BY ?level"))
>>> table.columns, bar_chart(table).y, [d.label for d in downloads(SelectResult(("x",), ()))]
(('level', 'n'), 'n', ['CSV', 'TSV', 'SPARQL JSON'])
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import quote

import networkx as nx

from kgexplorer.engine.results import AskResult, GraphResult, QueryResult, SelectResult
from kgexplorer.model.labels import fetch_kinds, fetch_labels, local_name
from kgexplorer.model.neighbourhood import Neighbourhood
from kgexplorer.settings import Settings
from kgexplorer.terms import IRI, BlankNode, Term
from kgexplorer.terms import Literal as RdfLiteral

from .render import GraphView, clean_text, render

if TYPE_CHECKING:
    from kgexplorer.knowledge_graph import KnowledgeGraph

__all__ = [
    "BarChart", "Cell", "Download", "ResultTable", "bar_chart", "downloads", "explore_link", "number_columns",
    "result_graph", "result_table", "spo_columns",
]  # fmt: skip

_SPO_NAMES = (("subject", "predicate", "object"), ("s", "p", "o"))
_XSD = "http://www.w3.org/2001/XMLSchema#"
_NUMERIC = {
    _XSD + t
    for t in (
        "integer", "decimal", "double", "float", "int", "long", "short", "byte", "nonNegativeInteger",
        "positiveInteger", "negativeInteger", "nonPositiveInteger", "unsignedInt", "unsignedLong",
        "unsignedShort", "unsignedByte",
    )
}  # fmt: skip
_SRJ = "application/sparql-results+json"


# ------------------------------------------------------------------------------------------- columns


def spo_columns(result: SelectResult) -> tuple[str, str, str] | None:
    """The subject, predicate and object columns of a SELECT result, when it has them.

    >>> spo_columns(SelectResult(("S", "p", "o", "x"), ())), spo_columns(SelectResult(("a", "b"), ()))
    (('S', 'p', 'o'), None)
    """
    names = {v.lower(): v for v in result.variables}
    for spo in _SPO_NAMES:
        if all(n in names for n in spo):
            return names[spo[0]], names[spo[1]], names[spo[2]]
    return None


def number_columns(result: SelectResult) -> tuple[str, ...]:
    """The columns of a SELECT result whose values are all numbers (at least one value each).

    >>> from kgexplorer.terms import Literal
    >>> n = Literal("3", datatype="http://www.w3.org/2001/XMLSchema#integer")
    >>> number_columns(SelectResult(("year", "n"), ((Literal("2019"), n),)))
    ('n',)
    """
    return tuple(v for v in result.variables if _is_numeric_column(result.column(v)))


def _is_numeric_column(values: Sequence[Term | None]) -> bool:
    present = [v for v in values if v is not None]
    return bool(present) and all(isinstance(v, RdfLiteral) and v.datatype in _NUMERIC for v in present)


# ------------------------------------------------------------------------------------------- tables


@dataclass(frozen=True)
class Cell:
    """One value as a reader sees it: ``text`` (a label for an IRI), the ``iri`` when it is one, the raw value."""

    text: str
    value: str
    iri: str | None = None
    number: float | None = None


@dataclass(frozen=True)
class ResultTable:
    """A result as rows of cells (labels instead of IRIs), ready for a table widget or a chart.

    ``note`` is non-empty when not every IRI's label was looked up (it names the setting).
    """

    columns: tuple[str, ...]
    rows: tuple[tuple[Cell | None, ...], ...]
    note: str = ""

    def link_columns(self) -> tuple[str, ...]:
        """Columns whose values are all IRIs (each can link into Explore)."""
        out = []
        for i, name in enumerate(self.columns):
            cells = [r[i] for r in self.rows if r[i] is not None]
            if cells and all(c is not None and c.iri is not None for c in cells):
                out.append(name)
        return tuple(out)

    def records(self, *, links: bool = False) -> list[dict[str, str | float | None]]:
        """One dict per row: labels (``links``: Explore links for :meth:`link_columns`) or numbers.

        >>> t = ResultTable(("e",), ((Cell("Ketamine", "https://w3id.org/kgexplorer/id/ketamine",
        ...                                "https://w3id.org/kgexplorer/id/ketamine"),),))
        >>> t.records(links=True)
        [{'e': 'explore?e=https%3A%2F%2Fw3id.org%2Fkgexplorer%2Fid%2Fketamine#Ketamine'}]
        """
        linked = set(self.link_columns()) if links else set()
        out: list[dict[str, str | float | None]] = []
        for row in self.rows:
            record: dict[str, str | float | None] = {}
            for name, cell in zip(self.columns, row, strict=True):
                if cell is None:
                    record[name] = None
                elif name in linked and cell.iri is not None:
                    record[name] = explore_link(cell.iri, cell.text)
                elif cell.number is not None:
                    record[name] = cell.number
                else:
                    record[name] = cell.text
            out.append(record)
        return out


def result_table(kg: KnowledgeGraph, result: QueryResult) -> ResultTable:
    """The result as a table of cells with labels, looked up for at most ``result_label_lookups`` IRIs
    (the graph's setting); the others show their local names and the table's ``note`` says so.

    >>> from kgexplorer import KnowledgeGraph
    >>> with KnowledgeGraph.bundled() as kg:
    ...     t = result_table(kg, kg.sparql("SELECT ?e WHERE { VALUES ?e { kg:ketamine } }"))
    >>> t.rows[0][0].text, t.link_columns(), t.note
    ('Ketamine', ('e',), '')
    """
    if isinstance(result, AskResult):
        answer = "yes" if result.value else "no"
        return ResultTable(("answer",), ((Cell(answer, str(result.value).lower()),),))
    if isinstance(result, GraphResult):
        columns: tuple[str, ...] = ("subject", "predicate", "object")
        raw: list[tuple[Term | None, ...]] = [(t.subject, t.predicate, t.object) for t in result.triples]
    else:
        columns, raw = result.variables, list(result.rows)
    iris = list(dict.fromkeys(t.value for row in raw for t in row if isinstance(t, IRI)))
    most = kg.settings.result_label_lookups
    wanted = iris[:most]
    labels = fetch_labels(kg, wanted) if wanted else {}
    note = ""
    if len(iris) > most:
        note = (
            f"Labels were looked up for the first {most:,} of {len(iris):,} entities (the result_label_lookups "
            "setting); the others show the last part of their IRI."
        )
    rows = tuple(tuple(_cell(t, labels) for t in row) for row in raw)
    return ResultTable(columns, rows, note)


def _cell(term: Term | None, labels: Mapping[str, str]) -> Cell | None:
    if term is None:
        return None
    if isinstance(term, IRI):
        return Cell(clean_text(labels.get(term.value) or local_name(term.value)), term.value, iri=term.value)
    if isinstance(term, BlankNode):
        return Cell(term.n3(), term.n3())
    number = None
    if term.datatype in _NUMERIC:
        try:
            number = float(term.value)
        except ValueError:
            number = None
    return Cell(term.value, term.value, number=number)


def explore_link(iri: str, label: str) -> str:
    """A link into the app's Explore page for an IRI; the label follows ``#`` (a table shows just it).

    >>> explore_link("http://example.org/a b", "A")
    'explore?e=http%3A%2F%2Fexample.org%2Fa%20b#A'
    """
    return f"explore?e={quote(iri, safe='')}#{clean_text(label)}"


@dataclass(frozen=True)
class BarChart:
    """Rows for a bar chart: ``x`` names the label column, ``y`` the number column."""

    x: str
    y: str
    rows: tuple[dict[str, str | float], ...]


def bar_chart(table: ResultTable) -> BarChart | None:
    """The first number column against the first other column (or the row number), or None.

    >>> t = ResultTable(("year", "n"), ((Cell("2019", "2019"), Cell("3", "3", number=3.0)),))
    >>> bar_chart(t)
    BarChart(x='year', y='n', rows=({'year': '2019', 'n': 3.0},))
    """
    numeric = [
        i
        for i, _ in enumerate(table.columns)
        if any(r[i] is not None for r in table.rows)
        and all(r[i] is None or r[i].number is not None for r in table.rows)  # type: ignore[union-attr]
    ]
    if not numeric:
        return None
    y = numeric[0]
    others = [i for i in range(len(table.columns)) if i not in numeric]
    x_name = table.columns[others[0]] if others else "row"
    rows: list[dict[str, str | float]] = []
    for n, row in enumerate(table.rows, start=1):
        value = row[y]
        if value is None or value.number is None:
            continue
        label = row[others[0]] if others else None
        rows.append({x_name: label.text if label is not None else str(n), table.columns[y]: value.number})
    return BarChart(x_name, table.columns[y], tuple(rows))


# ------------------------------------------------------------------------------------------- graphs


def result_graph(kg: KnowledgeGraph, result: QueryResult, *, max_nodes: int | None = None) -> GraphView:
    """Draw triples (CONSTRUCT/DESCRIBE, or SELECT ?subject ?predicate ?object rows) as a graph view.

    Literal objects stay in the table; the view keeps at most ``max_nodes`` nodes (default: the
    max_view_nodes setting) and says when it was cut.

    >>> from kgexplorer import KnowledgeGraph
    >>> with KnowledgeGraph.bundled() as kg:
    ...     view = result_graph(kg, kg.sparql("CONSTRUCT { kg:ketamine kgx:testedFor ?c } "
    ...                                       "WHERE { kg:ketamine kgx:testedFor ?c } LIMIT 3"))
    >>> view.summary, view.focus
    ('Query result as a graph: 4 nodes, 3 links.', 'https://w3id.org/kgexplorer/id/ketamine')
    """
    settings: Settings = kg.settings
    limit = min(max_nodes, settings.max_view_nodes) if max_nodes else settings.max_view_nodes
    triples = _triples_of(result)
    kept: dict[str, None] = {}
    dropped: set[str] = set()
    edges: list[tuple[str, str, str]] = []
    literals = 0
    for s, p, o in triples:
        if o is None:
            literals += 1
            continue
        ends = [s, o]
        for node in ends:
            if node not in kept and len(kept) < limit:
                kept[node] = None
        if all(node in kept for node in ends):
            edges.append((s, p, o))
        else:
            dropped.update(node for node in ends if node not in kept)
    iris = [n for n in kept if not n.startswith("_:")]
    labels = fetch_labels(kg, [*iris, *{p for _, p, _ in edges}]) if kept else {}
    kinds = fetch_kinds(kg, iris) if iris else {}
    graph: nx.MultiDiGraph = nx.MultiDiGraph()
    for node in kept:
        graph.add_node(node, label=labels.get(node, "blank node"), kind=kinds.get(node, "Resource"))
    for s, p, o in edges:
        graph.add_edge(s, o, key=p, label=labels.get(p, local_name(p)), claims=(), level="", level_rank=99)
    focus = max(kept, key=lambda n: (graph.degree(n), -list(kept).index(n))) if kept else ""
    if focus:
        lengths = nx.single_source_shortest_path_length(graph.to_undirected(as_view=True), focus)
        for node in graph.nodes:
            graph.nodes[node]["hops"] = lengths.get(node, -1)
    else:
        graph.add_node("", label="(no triples)", kind="Resource", hops=0)
    view = render(Neighbourhood(graph, focus, 1, bool(dropped), len(dropped)), settings=settings)
    notes = []
    if dropped:
        notes.append(
            f"The drawing was cut at {len(kept)} nodes: {len(dropped)} more are in the table only "
            "(setting max_view_nodes)."
        )
    if literals:
        notes.append(f"{literals} values that are text or numbers are in the table, not drawn.")
    summary = f"Query result as a graph: {len(view.nodes)} nodes, {len(view.edges)} links."
    return dataclasses.replace(view, summary=summary, note=" ".join(notes), truncated=bool(dropped))


def _triples_of(result: QueryResult) -> list[tuple[str, str, str | None]]:
    """(subject, predicate, object) ids; the object is None for a literal (not drawn)."""
    if isinstance(result, GraphResult):
        raw: list[tuple[Term | None, Term | None, Term | None]] = [
            (t.subject, t.predicate, t.object) for t in result.triples
        ]
    elif isinstance(result, SelectResult) and (cols := spo_columns(result)) is not None:
        index = [result.variables.index(c) for c in cols]
        raw = [(row[index[0]], row[index[1]], row[index[2]]) for row in result.rows]
    else:
        return []
    out: list[tuple[str, str, str | None]] = []
    for s, p, o in raw:
        if not isinstance(s, (IRI, BlankNode)) or not isinstance(p, IRI) or o is None:
            continue
        out.append((_node_id(s), p.value, None if isinstance(o, RdfLiteral) else _node_id(o)))
    return out


def _node_id(term: IRI | BlankNode) -> str:
    return term.value if isinstance(term, IRI) else term.n3()


# ------------------------------------------------------------------------------------------- downloads


@dataclass(frozen=True)
class Download:
    """One file to offer: a button label, the bytes, their MIME type and a file name."""

    label: str
    data: bytes
    mime: str
    file_name: str


def downloads(result: QueryResult, *, stem: str = "query-results") -> tuple[Download, ...]:
    """The standard serialisations of a result: CSV, TSV and SPARQL JSON for rows; Turtle, N-Triples and
    JSON-LD for triples; SPARQL JSON for a yes/no answer.

    >>> [d.file_name for d in downloads(SelectResult(("x",), ()))]
    ['query-results.csv', 'query-results.tsv', 'query-results.srj']
    """
    if isinstance(result, SelectResult):
        return (
            Download("CSV", result.to_csv().encode("utf-8"), "text/csv", f"{stem}.csv"),
            Download("TSV", result.to_tsv().encode("utf-8"), "text/tab-separated-values", f"{stem}.tsv"),
            Download("SPARQL JSON", result.to_json().encode("utf-8"), _SRJ, f"{stem}.srj"),
        )
    if isinstance(result, GraphResult):
        return (
            Download("Turtle", result.to_turtle().encode("utf-8"), "text/turtle", f"{stem}.ttl"),
            Download("N-Triples", result.to_ntriples().encode("utf-8"), "application/n-triples", f"{stem}.nt"),
            Download("JSON-LD", result.to_jsonld().encode("utf-8"), "application/ld+json", f"{stem}.jsonld"),
        )
    return (Download("SPARQL JSON", result.to_json().encode("utf-8"), _SRJ, f"{stem}.srj"),)
