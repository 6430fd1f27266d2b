"""The researchers' SPARQL workbench: run a query, read its answer with labels, draw it, download it, share it.

Everything the app's SPARQL console shows is computed here, so the CLI, a notebook or another front end
gets the same answers:

* :func:`run_query` runs a user's query through :meth:`KnowledgeGraph.sparql` (the guard, a worker
  process, the row and time limits); a gallery question's parameters are bound as a ``VALUES`` block,
  never pasted into the text;
* :func:`choose_view` picks table, graph or bar chart from a ``#defaultView:Graph`` comment (as in the
  Wikidata Query Service), a gallery ``# view:`` header, or the shape of the result;
* :func:`result_table` turns terms into cells that show labels, each IRI with its link into Explore;
  :func:`result_graph` draws CONSTRUCT/DESCRIBE answers (and subject/predicate/object rows);
* :func:`downloads` gives each standard serialisation as bytes, MIME type and file name;
* :class:`History` keeps a session's queries; :func:`encode_query` / :func:`decode_query` put a query
  into a URL (zlib + base64url), refusing what would not fit.

>>> from kgexplorer import KnowledgeGraph
>>> with KnowledgeGraph.bundled() as kg:
...     run = run_query(kg, "#defaultView:BarChart\\nSELECT ?level (COUNT(?c) AS ?n) "
...                         "WHERE { ?c kgx:evidenceLevel ?level } GROUP BY ?level")
...     table = result_table(kg, run.result)
>>> run.view.default, table.columns
('bar', ('level', 'n'))
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import functools
import re
import time
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import quote

import networkx as nx

from .errors import QueryError
from .labels import fetch_kinds, fetch_labels, local_name
from .namespaces import PREFIXES, shorten
from .network import Neighbourhood
from .query import AskResult, GraphResult, QueryResult, SelectResult
from .render import GraphView, render
from .settings import Settings
from .store import bundled_graph_dir
from .terms import IRI, BlankNode, Term
from .terms import Literal as RdfLiteral

if TYPE_CHECKING:
    from .gallery import GalleryQuery
    from .knowledge_graph import KnowledgeGraph

__all__ = [
    "HISTORY_SIZE", "LABEL_LOOKUP_MAX", "SHARE_MAX_CHARS", "BarChart", "Cell", "Completion", "Download", "History",
    "HistoryEntry", "QueryRun", "ResultTable", "View", "ViewChoice", "bar_chart", "choose_view", "completions",
    "decode_query", "downloads", "encode_query", "error_excerpt", "explore_link", "result_graph", "result_table",
    "run_query", "spo_columns",
]  # fmt: skip

View = Literal["table", "graph", "bar"]
#: Most queries a session's history keeps (newest first).
HISTORY_SIZE = 50
#: Longest share token (the compressed, encoded query) put in a URL; web servers refuse much longer URLs.
SHARE_MAX_CHARS = 8_000
#: Most distinct IRIs whose labels one result looks up; the rest show their local names.
LABEL_LOOKUP_MAX = 2_000

# WDQS view names, lower-cased, mapped to ours; views we do not have fall back with a note.
_WDQS_VIEWS: dict[str, View] = {"table": "table", "graph": "graph", "barchart": "bar", "bar": "bar"}
_DEFAULT_VIEW = re.compile(r"^\s*#\s*defaultView\s*:\s*([A-Za-z]+)", re.IGNORECASE | re.MULTILINE)
_HEADER_VIEW = re.compile(r"^\s*#\s*view\s*:\s*([A-Za-z]+)\s*$", re.IGNORECASE | re.MULTILINE)
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
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")


# ------------------------------------------------------------------------------------------- running


@dataclass(frozen=True)
class ViewChoice:
    """Which views suit a result, the one to show first, and why."""

    default: View
    available: tuple[View, ...]
    reason: str


@dataclass(frozen=True)
class QueryRun:
    """One run of a query: the text as written, the text sent (values bound), the result and the time.

    ``notice`` is non-empty when a limit cut the result (it names the setting).
    """

    text: str
    sent: str
    result: QueryResult
    seconds: float
    notice: str
    view: ViewChoice


def run_query(
    kg: KnowledgeGraph,
    text: str,
    *,
    question: GalleryQuery | None = None,
    values: Mapping[str, Term] | None = None,
) -> QueryRun:
    """Run a user's query safely; with a gallery ``question``, bind its parameters (checked) first.

    The text may be the question's own or an edited copy: the values are added as a ``VALUES`` block
    after its first top-level ``WHERE {`` either way. Raises the errors of :meth:`KnowledgeGraph.sparql`
    (syntax with line and column, refused queries, time limit).

    >>> from kgexplorer import KnowledgeGraph
    >>> from kgexplorer.gallery import get_query
    >>> q = get_query("risks-and-barriers-of-a-substance")
    >>> with KnowledgeGraph.bundled() as kg:
    ...     run = run_query(kg, q.text, question=q, values={"substance": IRI("https://w3id.org/kgexplorer/id/esketamine")})
    >>> "VALUES (?substance)" in run.sent, "VALUES (?substance)" in run.text, len(run.result) > 0
    (True, False, True)
    """
    started = time.perf_counter()
    if question is not None:
        edited = dataclasses.replace(question, text=text)
        sent = edited.bind(values)
        result = edited.run(kg, values)
    else:
        sent = text
        result = kg.sparql(text)
    seconds = time.perf_counter() - started
    notice = ""
    if isinstance(result, (SelectResult, GraphResult)) and result.truncated:
        what = "rows" if isinstance(result, SelectResult) else "triples"
        notice = (
            f"Only the first {len(result):,} {what} are shown: the result was cut at the row limit (the "
            "max_result_rows setting). Add a LIMIT or narrower patterns to get a complete answer."
        )
    return QueryRun(text, sent, result, seconds, notice, choose_view(text, result))


def choose_view(text: str, result: QueryResult) -> ViewChoice:
    """The views that fit a result and the first to show: asked for in a comment, else by its shape.

    >>> select = SelectResult(("s", "p", "o"), ())
    >>> choose_view("#defaultView:Graph\\nSELECT ?s ?p ?o WHERE { ?s ?p ?o }", select).default
    'graph'
    >>> choose_view("#defaultView:Map\\nSELECT ?s ?p ?o WHERE { ?s ?p ?o }", select).reason
    "The query asks for the 'Map' view, which this workbench does not have; showing a table."
    """
    if isinstance(result, AskResult):
        return ViewChoice("table", ("table",), "A yes/no answer.")
    available: list[View] = ["table"]
    if isinstance(result, GraphResult):
        available.insert(0, "graph")
    else:
        if spo_columns(result) is not None:
            available.append("graph")
        if _bar_columns(result) is not None:
            available.append("bar")
    asked = _DEFAULT_VIEW.search(text) or _HEADER_VIEW.search(text)
    if asked:
        name = asked.group(1)
        view: View | None = _WDQS_VIEWS.get(name.lower())
        if view is None:
            return ViewChoice("table", tuple(available), _unknown_view(name))
        if view in available:
            return ViewChoice(view, tuple(available), f"The query asks for the {name} view.")
        return ViewChoice(
            "table", tuple(available), f"The query asks for the {name} view, but this result cannot be shown so."
        )
    default = available[0]
    why = "Triples are drawn as a graph." if default == "graph" else "Rows are shown as a table."
    return ViewChoice(default, tuple(available), why)


def _unknown_view(name: str) -> str:
    return f"The query asks for the {name!r} view, which this workbench does not have; showing a table."


def spo_columns(result: SelectResult) -> tuple[str, str, str] | None:
    """The subject, predicate and object columns of a SELECT result, when it has them."""
    names = {v.lower(): v for v in result.variables}
    for spo in _SPO_NAMES:
        if all(n in names for n in spo):
            return names[spo[0]], names[spo[1]], names[spo[2]]
    return None


def _bar_columns(result: SelectResult) -> tuple[str | None, str] | None:
    """(label column or None, number column) when some column holds only numbers."""
    numeric = [v for v in result.variables if _is_numeric_column(result.column(v))]
    if not numeric:
        return None
    labels = [v for v in result.variables if v not in numeric]
    return (labels[0] if labels else None), numeric[0]


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
    """A result as rows of cells (labels instead of IRIs), ready for a table widget or a chart."""

    columns: tuple[str, ...]
    rows: tuple[tuple[Cell | None, ...], ...]

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
    """The result as a table of cells with labels (looked up for up to :data:`LABEL_LOOKUP_MAX` IRIs).

    >>> from kgexplorer import KnowledgeGraph
    >>> with KnowledgeGraph.bundled() as kg:
    ...     t = result_table(kg, kg.sparql("SELECT ?e WHERE { VALUES ?e { kg:ketamine } }"))
    >>> t.rows[0][0].text, t.link_columns()
    ('Ketamine', ('e',))
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
    labels = fetch_labels(kg, iris[:LABEL_LOOKUP_MAX]) if iris else {}
    rows = tuple(tuple(_cell(t, labels) for t in row) for row in raw)
    return ResultTable(columns, rows)


def _cell(term: Term | None, labels: Mapping[str, str]) -> Cell | None:
    if term is None:
        return None
    if isinstance(term, IRI):
        return Cell(_clean(labels.get(term.value) or local_name(term.value)), term.value, iri=term.value)
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
    return f"explore?e={quote(iri, safe='')}#{_clean(label)}"


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


# ------------------------------------------------------------------------------------------- history


@dataclass(frozen=True)
class HistoryEntry:
    """One query a session ran: its text, the data source, and how it went (rows and time, or the error)."""

    query: str
    source: str
    outcome: str
    ok: bool


@dataclass(frozen=True)
class History:
    """A session's queries, newest first, at most :data:`HISTORY_SIZE`; running one again moves it up.

    >>> h = History().add(HistoryEntry("ASK {}", "bundled", "yes", True)).add(HistoryEntry("q2", "x", "", True))
    >>> [e.query for e in h.add(HistoryEntry("ASK {}", "bundled", "no", True)).entries]
    ['ASK {}', 'q2']
    """

    entries: tuple[HistoryEntry, ...] = ()

    def add(self, entry: HistoryEntry, *, limit: int = HISTORY_SIZE) -> History:
        """A new history with ``entry`` first (an earlier run of the same query on the same data is dropped)."""
        rest = tuple(e for e in self.entries if (e.query, e.source) != (entry.query, entry.source))
        return History((entry, *rest)[:limit])

    def __len__(self) -> int:
        return len(self.entries)


# ------------------------------------------------------------------------------------------- sharing

_TOKEN = re.compile(r"^[A-Za-z0-9_-]*$")


def encode_query(text: str, *, max_chars: int = SHARE_MAX_CHARS) -> str:
    """The query compressed for a URL (zlib, then base64url without padding).

    >>> token = encode_query("SELECT * WHERE { ?s ?p ?o } LIMIT 10")
    >>> decode_query(token)
    'SELECT * WHERE { ?s ?p ?o } LIMIT 10'
    """
    token = base64.urlsafe_b64encode(zlib.compress(text.encode("utf-8"), 9)).decode("ascii").rstrip("=")
    if len(token) > max_chars:
        raise QueryError(
            f"the query is too long to share in a link: compressed it takes {len(token):,} characters, and a link "
            f"may carry {max_chars:,}. Download it as a file instead, or shorten it"
        )
    return token


def decode_query(token: str, *, max_chars: int | None = None) -> str:
    """The query a share token carries; at most ``max_chars`` characters (default: the max_query_chars setting).

    >>> decode_query("not base64!")
    Traceback (most recent call last):
    ...
    kgexplorer.errors.QueryError: the link does not carry a readable query (it was cut or changed); ...
    """
    limit = max_chars if max_chars is not None else Settings().max_query_chars
    broken = QueryError(
        "the link does not carry a readable query (it was cut or changed); ask for the link again, "
        "or paste the query into the editor"
    )
    if len(token) > SHARE_MAX_CHARS or not _TOKEN.match(token):
        raise broken
    try:
        packed = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        inflater = zlib.decompressobj()
        # Stop inflating past the limit: a crafted link must not expand into gigabytes.
        raw = inflater.decompress(packed, limit * 4 + 1)
        if inflater.unconsumed_tail or len(raw) > limit * 4:
            raise QueryError(
                f"the query in the link is longer than {limit:,} characters (the max_query_chars setting); "
                "it cannot be opened"
            )
        if not inflater.eof:
            raise broken
        text = raw.decode("utf-8")
    except (binascii.Error, zlib.error, UnicodeDecodeError, ValueError):
        raise broken from None
    if len(text) > limit:
        raise QueryError(
            f"the query in the link is {len(text):,} characters long; the limit is {limit:,} (the max_query_chars "
            "setting)"
        )
    return text


# ------------------------------------------------------------------------------------------- editing


@dataclass(frozen=True)
class Completion:
    """One suggestion for the editor: what it shows, what it inserts, and a hint (prefix, class …)."""

    caption: str
    value: str
    meta: str


@functools.cache
def completions() -> tuple[Completion, ...]:
    """The project prefixes and the kgexplorer vocabulary's classes and properties, for autocompletion.

    >>> names = [c.value for c in completions()]
    >>> "kgx:" in names and "kgx:Claim" in names and "kgx:evidenceLevel" in names
    True
    """
    import pyoxigraph as ox

    out = [Completion(f"{p}:", f"{p}:", f"prefix <{iri}>") for p, iri in PREFIXES.items()]
    store = ox.Store()
    store.load(path=str(bundled_graph_dir() / "ontology.ttl"), format=ox.RdfFormat.TURTLE)
    rows: Any = store.query(
        "PREFIX owl: <http://www.w3.org/2002/07/owl#> PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#> "
        "SELECT DISTINCT ?t ?type WHERE { ?t a ?type . VALUES ?type { owl:Class owl:ObjectProperty "
        "owl:DatatypeProperty rdf:Property owl:NamedIndividual } FILTER(isIRI(?t)) }"
    )
    seen: set[str] = set()
    for row in rows:
        name = shorten(row["t"].value)
        if name.startswith("http") or name in seen:
            continue
        seen.add(name)
        meta = "class" if row["type"].value.endswith("Class") else "property"
        out.append(Completion(name, name, meta))
    return tuple(out)


def error_excerpt(text: str, line: int | None, column: int | None) -> str:
    """The line of the query with the error and a caret under its column (empty when unknown).

    >>> print(error_excerpt("SELECT ?s\\nWHERE { ?s ?p }", 2, 14))
    2 | WHERE { ?s ?p }
                     ^
    """
    lines = text.splitlines()
    if line is None or not 1 <= line <= len(lines):
        return ""
    prefix = f"{line} | "
    caret = " " * (len(prefix) + max((column or 1) - 1, 0)) + "^"
    return f"{prefix}{lines[line - 1]}\n{caret}"


def _clean(text: str) -> str:
    """Drop control and bidi-override characters (data is shown, never obeyed)."""
    return _CONTROL.sub(lambda m: " " if m.group() in "\n\r\t" else "", text).strip()
