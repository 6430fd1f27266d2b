"""The researchers' SPARQL workbench: run a query, pick how to show its answer, keep and share it.

Everything the app's SPARQL console does with a query is computed here, so the CLI, a notebook or
another front end gets the same answers (what the answer looks like is :mod:`kgexplorer.views.result_views`):

* :func:`run_query` runs a user's query through :meth:`KnowledgeGraph.sparql` (the guard, a worker
  process, the row and time limits) exactly as written; only a query whose own header declares
  parameters (:func:`question_in`) has them bound, beside the text (:mod:`kgexplorer.engine.bindings`);
* :func:`choose_view` picks table, graph or bar chart from a ``#defaultView:Graph`` comment (as in the
  Wikidata Query Service), a gallery ``# view:`` header, or the shape of the result;
* :class:`History` keeps a session's queries (at most the ``query_history_size`` setting);
* :func:`encode_query` / :func:`decode_query` put a query into a URL (zlib + base64url), refusing a
  token longer than the ``share_link_max_chars`` setting;
* :func:`completions` and :func:`error_excerpt` help the editor.

>>> from kgexplorer import KnowledgeGraph
>>> with KnowledgeGraph.bundled() as kg:
...     run = run_query(kg, "#defaultView:BarChart\\nSELECT ?level (COUNT(?c) AS ?n) "
...                         "WHERE { ?c kgx:evidenceLevel ?level } GROUP BY ?level")
>>> run.view.default, run.view.available, run.result.variables
('bar', ('table', 'bar'), ('level', 'n'))
>>> decode_query(encode_query(run.text)) == run.text
True
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

from kgexplorer.engine.bindings import Bindings
from kgexplorer.engine.results import AskResult, GraphResult, QueryResult, SelectResult
from kgexplorer.engine.store import bundled_graph_dir
from kgexplorer.errors import KgExplorerError, QueryError
from kgexplorer.namespaces import PREFIXES, shorten
from kgexplorer.settings import Settings, cap
from kgexplorer.terms import Term
from kgexplorer.views.result_views import ResultTable, number_columns, spo_columns

if TYPE_CHECKING:
    from kgexplorer.knowledge_graph import KnowledgeGraph
    from kgexplorer.model.gallery import GalleryQuery

__all__ = [
    "Completion", "History", "HistoryEntry", "Outcome", "QueryRun", "View", "ViewChoice", "choose_view", "completions",
    "decode_query", "encode_query", "error_excerpt", "question_in", "run_query",
]  # fmt: skip

View = Literal["table", "graph", "bar"]

# WDQS view names, lower-cased, mapped to ours; views we do not have fall back with a note.
_WDQS_VIEWS: dict[str, View] = {"table": "table", "graph": "graph", "barchart": "bar", "bar": "bar"}
_DEFAULT_VIEW = re.compile(r"^\s*#\s*defaultView\s*:\s*([A-Za-z]+)", re.IGNORECASE | re.MULTILINE)
_HEADER_VIEW = re.compile(r"^\s*#\s*view\s*:\s*([A-Za-z]+)\s*$", re.IGNORECASE | re.MULTILINE)


# ------------------------------------------------------------------------------------------- running


@dataclass(frozen=True)
class ViewChoice:
    """Which views suit a result, the one to show first, and why."""

    default: View
    available: tuple[View, ...]
    reason: str


@dataclass(frozen=True)
class Outcome:
    """The last run a page shows: the text that ran and its run and table, or the error it raised."""

    text: str
    run: QueryRun | None = None
    table: ResultTable | None = None
    error: KgExplorerError | None = None


@dataclass(frozen=True)
class QueryRun:
    """One run of a query: the text as written (and run as it is), the values bound beside it, the result
    and the time.

    ``notice`` is non-empty when a limit cut the result (it names the setting).
    """

    text: str
    bindings: Bindings
    result: QueryResult
    seconds: float
    notice: str
    view: ViewChoice


def run_query(
    kg: KnowledgeGraph,
    text: str,
    *,
    values: Mapping[str, Term] | None = None,
    client: str | None = None,
) -> QueryRun:
    """Run a user's query safely, exactly as written unless its own header declares parameters.

    A query whose first lines are a gallery header (``# param: substance Substance kg:ketamine`` …, as a
    gallery question loads) has those parameters bound (``values``, checked for their kind, or the
    defaults); any other query runs as written, and ``values`` for a parameter it does not declare are
    refused. So a parameter never carries over from a question to a query that replaced it. Raises the
    errors of :meth:`KnowledgeGraph.sparql` (syntax with the line and column of the text as written,
    refused queries, time limit), which runs it as ``client`` (the app's session: see
    :mod:`kgexplorer.engine.scheduler`).

    >>> from kgexplorer import KnowledgeGraph
    >>> from kgexplorer.model.gallery import get_query
    >>> from kgexplorer.terms import IRI
    >>> q = get_query("risks-and-barriers-of-a-substance")
    >>> with KnowledgeGraph.bundled() as kg:
    ...     run = run_query(kg, q.text, values={"substance": IRI("https://w3id.org/kgexplorer/id/esketamine")})
    ...     own = run_query(kg, "SELECT ?substance WHERE { ?substance a kgx:Substance }")
    >>> [(name, value.value) for name, value in run.bindings], own.bindings, len(run.result) > 0, len(own.result) > 1
    ([('substance', 'https://w3id.org/kgexplorer/id/esketamine')], (), True, True)
    """
    started = time.perf_counter()
    question = question_in(text)
    bound: Bindings = ()
    if question is not None and question.params:
        bound = question.bind(values)
        result = question.run(kg, values, client=client)
    else:
        if values:
            raise QueryError(
                f"the query declares no parameter {sorted(values)[0]!r}: only a query whose header has a "
                "'# param:' line for it binds a value; declare it or leave the value out"
            )
        result = kg.sparql(text, client=client)
    seconds = time.perf_counter() - started
    notice = ""
    if isinstance(result, (SelectResult, GraphResult)) and result.truncated:
        what = "rows" if isinstance(result, SelectResult) else "triples"
        notice = (
            f"Only the first {len(result):,} {what} are shown: the result was cut at the row limit (the "
            "max_result_rows setting). Add a LIMIT or narrower patterns to get a complete answer."
        )
    return QueryRun(text, bound, result, seconds, notice, choose_view(text, result))


def question_in(text: str, *, gallery: Sequence[GalleryQuery] | None = None) -> GalleryQuery | None:
    """The question a query's own header declares (title, parameters, view), or None for a plain query.

    Named after the gallery question with the same title (from ``gallery``, default the bundled one), so
    its parameter fields and links keep their names; else ``query``. A malformed header raises
    :class:`~kgexplorer.errors.QuerySyntaxError` naming its line.

    >>> from kgexplorer.model.gallery import get_query
    >>> question_in(get_query("mechanism-chain").text).name, question_in("SELECT * WHERE { ?s ?p ?o }")
    ('mechanism-chain', None)
    """
    from kgexplorer.model.gallery import declares_fields, load_gallery, question_from_text

    if not declares_fields(text):
        return None
    found = question_from_text(text)
    known = load_gallery() if gallery is None else gallery
    name = next((q.name for q in known if q.title == found.title), found.name)
    return dataclasses.replace(found, name=name)


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
        if number_columns(result):
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
    """A session's queries, newest first, at most the ``query_history_size`` setting; running one again
    moves it up.

    >>> h = History().add(HistoryEntry("ASK {}", "bundled", "yes", True)).add(HistoryEntry("q2", "x", "", True))
    >>> [e.query for e in h.add(HistoryEntry("ASK {}", "bundled", "no", True)).entries]
    ['ASK {}', 'q2']
    >>> len(h.add(HistoryEntry("q3", "x", "", True), settings=Settings(query_history_size=2)))
    2
    """

    entries: tuple[HistoryEntry, ...] = ()

    def add(self, entry: HistoryEntry, *, settings: Settings | None = None) -> History:
        """A new history with ``entry`` first (an earlier run of the same query on the same data is dropped);
        the oldest entries beyond ``settings.query_history_size`` (pass the graph's ``kg.settings``) go."""
        limit = (settings or Settings()).query_history_size
        rest = tuple(e for e in self.entries if (e.query, e.source) != (entry.query, entry.source))
        return History((entry, *rest)[:limit])

    def merged(self, kept: History | None, *, settings: Settings | None = None) -> History:
        """This history followed by the entries of ``kept`` (the browser's) it does not hold, within the limit.

        >>> mine = History((HistoryEntry("q1", "bundled", "1 row", True),))
        >>> kept = History((HistoryEntry("q1", "bundled", "1 row", True), HistoryEntry("q0", "bundled", "", True)))
        >>> [e.query for e in mine.merged(kept).entries]
        ['q1', 'q0']
        """
        limit = (settings or Settings()).query_history_size
        seen = {(e.query, e.source) for e in self.entries}
        rest = tuple(e for e in (kept.entries if kept is not None else ()) if (e.query, e.source) not in seen)
        return History((*self.entries, *rest)[:limit])

    def __len__(self) -> int:
        return len(self.entries)


# ------------------------------------------------------------------------------------------- sharing

_TOKEN = re.compile(r"^[A-Za-z0-9_-]*$")


def encode_query(text: str, *, settings: Settings | None = None) -> str:
    """The query compressed for a URL (zlib, then base64url without padding); a token longer than the
    ``share_link_max_chars`` setting (pass the graph's ``kg.settings``) is refused with a QueryError.

    >>> token = encode_query("SELECT * WHERE { ?s ?p ?o } LIMIT 10")
    >>> decode_query(token)
    'SELECT * WHERE { ?s ?p ?o } LIMIT 10'
    """
    most = (settings or Settings()).share_link_max_chars
    token = base64.urlsafe_b64encode(zlib.compress(text.encode("utf-8"), 9)).decode("ascii").rstrip("=")
    if len(token) > most:
        raise QueryError(
            f"the query is too long to share in a link: compressed it takes {len(token):,} characters, and a link "
            f"may carry {most:,} (the share_link_max_chars setting). Download it as a file instead, or shorten it"
        )
    return token


def decode_query(token: str, *, max_chars: int | None = None, settings: Settings | None = None) -> str:
    """The query a share token carries. The token may be at most ``share_link_max_chars`` long, the query
    at most ``max_chars`` characters (never more than the max_query_chars setting).

    >>> decode_query("not base64!")
    Traceback (most recent call last):
    ...
    kgexplorer.errors.QueryError: the link does not carry a readable query (it was cut or changed); ...
    """
    limits = settings or Settings()
    limit: int = cap(max_chars, limits.max_query_chars)
    broken = QueryError(
        "the link does not carry a readable query (it was cut or changed); ask for the link again, "
        "or paste the query into the editor"
    )
    if len(token) > limits.share_link_max_chars or not _TOKEN.match(token):
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
