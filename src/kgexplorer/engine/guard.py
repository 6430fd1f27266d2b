"""The guard in front of every user-written SPARQL query: read-only, and nothing fetched from elsewhere.

Why a parse-based guard (docs/decisions/query-guard-and-sandbox.md): ``SERVICE`` makes Oxigraph
send HTTP requests from Rust, where Python cannot see or stop them, and ``FROM <http…>`` makes rdflib
fetch. So every query is parsed first, and refused unless it is a SELECT, ASK, CONSTRUCT or DESCRIBE
without SERVICE, FROM or FROM NAMED anywhere (subqueries included). The guard fails closed: a query the
guard's parser cannot read is never run.

One text for both parsers. The guard's parser (rdflib) and the engine's (Oxigraph) are different
programs, and where they tokenise a text differently a query can mean one thing to the guard and
another to the engine: rdflib ends a ``#`` comment only at ``\n``, Oxigraph also at ``\r``, so a
SERVICE after ``# c\r`` ran unseen (issue 12). So a query is first *normalised*
(:func:`normalise_query`), and the normalised text is the only one that goes on: :func:`prepare_query`
returns it as a :class:`QueryText`, :func:`check_query` returns a :class:`CheckedQuery` carrying that
very text and its form, and the query worker runs nothing else (the types say so, mypy checks it).
tests/security/test_fuzz.py compares the guard's verdict with what an unguarded Oxigraph does with the
normalised text, for every line terminator, control character, BOM, escape and space character.

Two costs, two places. :func:`prepare_query` is cheap and linear (normalising, the length limit, and a
lexical screen that refuses a bare SERVICE or FROM at once); it runs in the caller. The full parse is
not: rdflib took 28 s for a 60 KB ``FILTER(1 IN (1,1,…))``, holding a process-wide lock. So the query
worker (:mod:`kgexplorer.engine.query_workers`) runs :func:`check_query` itself, under the query's time and memory
limits, before it runs the query; workers parse in parallel, and a query too costly to check is
stopped at ``query_time_limit_s`` like one too costly to run.

>>> check_query("SELECT ?s WHERE { ?s ?p ?o } LIMIT 3").form
'SELECT'
>>> check_query("SELECT * WHERE { OPTIONAL { SELECT ?s WHERE { sErViCe <http://x> { ?s ?p ?o } } } }")
Traceback (most recent call last):
...
kgexplorer.errors.QueryNotAllowed: SERVICE is not allowed: kgexplorer never sends a query to another server ...
"""

from __future__ import annotations

import hashlib
import re
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from kgexplorer.errors import QueryNotAllowed, QuerySyntaxError
from kgexplorer.namespaces import PREFIXES
from kgexplorer.settings import Settings, cap

from .query_text import BARE_KEYWORD as _BARE_KEYWORD
from .query_text import ESCAPES as _ESCAPES
from .query_text import NEWER_SYNTAX as _NEWER_SYNTAX
from .query_text import TOKENS as _TOKENS  # noqa: F401  (tests/engine/test_guard.py reads it here)
from .query_text import has_keyword as _has_keyword
from .query_text import mask as _mask
from .query_text import native_form, normalise_query, remembered

__all__ = [
    "MAX_QUERY_CHARS",
    "QUERY_FORMS",
    "CheckedQuery",
    "QueryText",
    "check_in_sandbox",
    "check_query",
    "normalise_query",
    "prepare_query",
    "receive_verdict",
    "syntax_error_from_oxigraph",
]

QUERY_FORMS = {
    "SelectQuery": "SELECT",
    "AskQuery": "ASK",
    "ConstructQuery": "CONSTRUCT",
    "DescribeQuery": "DESCRIBE",
}
_UPDATE_NAMES = {
    "Load": "LOAD",
    "Clear": "CLEAR",
    "Drop": "DROP",
    "Create": "CREATE",
    "Add": "ADD",
    "Move": "MOVE",
    "Copy": "COPY",
    "InsertData": "INSERT DATA",
    "DeleteData": "DELETE DATA",
    "DeleteWhere": "DELETE WHERE",
    "Modify": "INSERT/DELETE",
}
_KEYWORD_NODES = {"SERVICE": "ServiceGraphPattern", "FROM": "DatasetClause"}
_OX_POSITION = re.compile(r"error at (\d+):(\d+):?\s*(.*)", re.S)
# Oxigraph's own explanations inside its list of expected tokens ("Prefix not found", "Duplicated …").
_OX_SENTENCE = re.compile(r"(?:^|,\s)([A-Z][a-z]+(?: [A-Za-z]+)+)(?=,|$)")
_SYNTAX_HINT = "check for a missing '.', '}', ')' or quote, or a misspelt keyword"
# rdflib's SPARQL grammar (pyparsing) is not thread-safe: parse actions learn their arity on first use by
# retrying on TypeError, and two threads doing so at once leave them broken for good (measured under 20
# concurrent endpoint requests: most queries then failed with TypeError). So a process parses one query
# at a time. Query workers are single-threaded and each has its own lock, so workers parse in parallel;
# only a caller that checks in-process (tests, doctests) waits here.
_PARSER_LOCK = threading.Lock()
#: The default of the max_query_chars setting.
MAX_QUERY_CHARS: int = Settings().max_query_chars
#: The default of the guard_cache_queries setting.
GUARD_CACHE_QUERIES: int = Settings().guard_cache_queries
# Verdicts of queries that passed, by a 256-bit digest of their normalised text (the texts themselves are
# not kept: up to max_query_chars each). Parsing takes 1–4 ms, far more than running a small query, and the
# app and the endpoint send the same queries again and again. Only the parse is remembered: the length
# limit, which depends on the caller's settings, is checked on every call, and a refused query is parsed
# again. Each query worker keeps its own.
_VERDICTS: OrderedDict[bytes, str] = OrderedDict()
_VERDICTS_LOCK = threading.Lock()
# Only this module makes QueryText and CheckedQuery values (see their __post_init__).
_SEAL = object()


@dataclass(frozen=True)
class QueryText:
    """A user's query as every parser will read it: normalised, within the length limit, screened.

    Made only by :func:`prepare_query`; it is what a query worker accepts
    (:meth:`kgexplorer.engine.query_workers.QueryWorkers.run`), which then runs the full guard on ``text`` itself.
    """

    text: str
    _seal: object = field(repr=False, compare=False, default=None)

    def __post_init__(self) -> None:
        if self._seal is not _SEAL:
            raise TypeError("a QueryText is made by kgexplorer.engine.guard.prepare_query only")

    @property
    def digest(self) -> bytes:
        """A 256-bit digest of the text, naming this exact text across processes."""
        return _digest(self.text)


@dataclass(frozen=True)
class CheckedQuery:
    """A query the full guard accepted: ``text``, the exact normalised text it parsed, and its ``form``
    (SELECT, ASK, CONSTRUCT or DESCRIBE). Made only by :func:`check_query` (or :func:`receive_verdict`
    for a verdict a worker reached on a :class:`QueryText`); the only thing a query engine is given.
    """

    text: str
    form: str
    _seal: object = field(repr=False, compare=False, default=None)

    def __post_init__(self) -> None:
        if self._seal is not _SEAL:
            raise TypeError("a CheckedQuery is made by kgexplorer.engine.guard.check_query only")

    @property
    def digest(self) -> bytes:
        """A 256-bit digest of the text, naming this exact text across processes."""
        return _digest(self.text)


def prepare_query(text: str, *, max_chars: int | None = None) -> QueryText:
    """The cheap part of the guard, linear in the length of the text: normalise, limit, screen.

    Raises :class:`~kgexplorer.errors.QuerySyntaxError` for an empty query and
    :class:`~kgexplorer.errors.QueryNotAllowed` for one longer than ``max_chars`` (which can lower the
    max_query_chars setting, never raise it) or with a bare SERVICE, FROM or FROM NAMED keyword outside
    strings, IRIs and comments. What it lets through still needs :func:`check_query`.

    >>> prepare_query("ASK {\\r\\n}")
    QueryText(text='ASK {\\n}')
    >>> prepare_query("SELECT * FROM <http://127.0.0.1:9/g> WHERE { ?s ?p ?o }")
    Traceback (most recent call last):
    ...
    kgexplorer.errors.QueryNotAllowed: FROM and FROM NAMED are not allowed: they can make the query engine ...
    """
    return QueryText(_screened(text, max_chars)[0], _SEAL)


def _screened(text: str, max_chars: int | None) -> tuple[str, str]:
    """:func:`prepare_query`'s work: the normalised text and its mask (strings, IRIs and comments blanked)."""
    limit = cap(max_chars, MAX_QUERY_CHARS)
    if len(text) > limit:
        raise QueryNotAllowed(
            f"the query is {len(text):,} characters long; the limit is {limit:,} (the max_query_chars setting). "
            "Shorten it (load large value lists as data instead)"
        )
    return _screen(text)


@remembered  # a pure function of the text: the length limit above is the caller's, checked on every call
def _screen(text: str) -> tuple[str, str]:
    normalised = normalise_query(text)
    if not normalised.strip():
        raise QuerySyntaxError("the query is empty; write a SELECT, ASK, CONSTRUCT or DESCRIBE query", line=1, column=1)
    masked = _mask(normalised)
    if _has_keyword(masked):  # nearly every query holds neither word: no need to look for them one by one
        _refuse_reaching_out({_KEYWORD_NODES[m.group(1).upper()] for m in _BARE_KEYWORD.finditer(masked)})
    return normalised, masked


def check_query(query: str | QueryText, *, max_chars: int | None = None, remember: int | None = None) -> CheckedQuery:
    """The full guard: parse the (normalised) query and return it checked, or raise why it cannot run.

    ``max_chars`` can lower the max_query_chars setting, never raise it. The verdicts of the last
    ``remember`` allowed queries (the guard_cache_queries setting; 0 remembers none) are kept, so a
    repeated query is not parsed again. Parsing is the costly part (seconds for a long value list):
    the query workers call this, under the query's limits; see the module's description.

    Raises:
        QuerySyntaxError: the query does not parse (with line and column).
        QueryNotAllowed: the query writes (UPDATE, LOAD …) or reaches outside (SERVICE, FROM, FROM NAMED).

    >>> check_query("SELECT ?s WHERE {\\n  ?s ?p ?o .\\n  ?s ?p ?q ?r .\\n}")
    Traceback (most recent call last):
    ...
    kgexplorer.errors.QuerySyntaxError: SPARQL syntax error at line 3, column 12 (near '?r .'): ...
    """
    text = prepare_query(query.text if isinstance(query, QueryText) else query, max_chars=max_chars).text
    size = GUARD_CACHE_QUERIES if remember is None else remember
    if size <= 0:
        return CheckedQuery(text, _check(text), _SEAL)
    key = _digest(text)
    with _VERDICTS_LOCK:
        form = _VERDICTS.get(key)
        if form is not None:
            _VERDICTS.move_to_end(key)
            return CheckedQuery(text, form, _SEAL)
    form = _check(text)
    with _VERDICTS_LOCK:
        _VERDICTS[key] = form
        while len(_VERDICTS) > size:
            _VERDICTS.popitem(last=False)
    return CheckedQuery(text, form, _SEAL)


def check_in_sandbox(query: str | QueryText, *, max_chars: int | None = None) -> CheckedQuery | None:
    """The guard at native speed, for a query worker whose network sandbox is on: the checked query, or None
    when the full parse (:func:`check_query`) must decide.

    Why this is enough there (docs/decisions/guard-in-the-sandbox.md): with the kernel refusing the worker
    every socket but AF_UNIX, what the full parse still proved is already proved by others. Oxigraph's
    query API reads only queries (an update or LOAD is its syntax error); SERVICE cannot reach anything
    (the kernel refuses the socket); FROM and FROM NAMED name graphs of the local store (Oxigraph never
    fetches). So a query goes straight to the engine unless its text (strings, IRIs and comments masked,
    as :func:`prepare_query` reads it) holds the word SERVICE or FROM anywhere, a ``\\u`` escape, SPARQL
    1.2 syntax, a bracket nesting deeper than 64 levels or a long run of one operator (the
    engine's parser recurses on those), or its form (SELECT, ASK, CONSTRUCT, DESCRIBE) is not its first
    word after the prologue: each of those takes the full parse, which keeps the clear refusals. When the
    engine then fails, the worker runs the full parse for its message (the error path). It raises what
    :func:`prepare_query` raises (``max_chars`` as there).

    Never call it where the kernel does not refuse the network: only a sandboxed query worker does
    (kgexplorer.engine.worker_main), and never for a query sent to a remote endpoint.

    >>> check_in_sandbox("PREFIX ex: <http://x/> SELECT ?s WHERE { ?s ex:p 'FROM' }").form
    'SELECT'
    >>> check_in_sandbox("SELECT ?s WHERE { ?s ?p ?o . ?s <x:y> ?from }") is None
    True
    """
    text, masked = _screened(query.text if isinstance(query, QueryText) else query, max_chars)
    form = native_form(text, masked)
    return None if form is None else CheckedQuery(text, form, _SEAL)


def receive_verdict(query: QueryText, *, form: str, digest: bytes) -> CheckedQuery:
    """The :class:`CheckedQuery` for a verdict :func:`check_query` reached in another process (a worker).

    The worker names the text it checked by its digest: a verdict on any other text is refused.
    """
    if digest != query.digest or form not in QUERY_FORMS.values():
        raise QueryNotAllowed("the guard's verdict does not match the query sent to it; the query was not run")
    return CheckedQuery(query.text, form, _SEAL)


def _digest(text: str) -> bytes:
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=32).digest()


def _check(text: str) -> str:
    """The guard's verdict on a query within the length limit (the form, or an exception)."""
    from pyparsing import ParseException

    try:
        tree = _parse_query(text)
    except ParseException as exc:
        _raise_for_unparsable(text, exc)
    except RecursionError:
        raise QueryNotAllowed("the query is nested too deeply to check; simplify it") from None
    except ValueError as exc:  # rdflib's escape expansion: \U0011FFFF names no character
        raise QuerySyntaxError(
            f"SPARQL syntax error: {exc}; a \\u or \\U escape must name a Unicode character (at most \\U0010FFFF)"
        ) from None
    form = QUERY_FORMS.get(getattr(tree[1], "name", ""), "")
    if not form:
        raise QueryNotAllowed("only SELECT, ASK, CONSTRUCT and DESCRIBE queries can run")
    _refuse_reaching_out(_walk(tree).names)
    if _ESCAPES.search(text):
        _refuse_reaching_out(_unexpanded_reading(text, form))
    return form


def _refuse_reaching_out(names: set[str]) -> None:
    if "ServiceGraphPattern" in names:
        raise QueryNotAllowed(
            "SERVICE is not allowed: kgexplorer never sends a query to another server on a user's behalf. "
            "Query that endpoint directly instead, or load its data with --data or an upload"
        )
    if "DatasetClause" in names:
        raise QueryNotAllowed(
            "FROM and FROM NAMED are not allowed: they can make the query engine fetch or read other data. "
            "Remove them; the loaded graph (and any named graphs in it) is queried by default, and GRAPH ?g "
            "selects named graphs"
        )


def _unexpanded_reading(text: str, form: str) -> set[str]:
    """The parse-tree node names of the query read without expanding its \\u escapes, as Oxigraph reads it.

    SPARQL 1.1 expands ``\\uXXXX`` escapes before parsing, and so does rdflib (the guard's parser), but
    Oxigraph reads them as one character inside strings and IRIs. So ``"a\\u005c"`` ends a string for
    Oxigraph and escapes the next quote for rdflib, and a SERVICE that rdflib reads as part of a string
    would run. A query with escapes is therefore also checked with each escape replaced by one plain
    letter (the same tokens Oxigraph sees); if that reading does not parse to the same form, it is refused.
    """
    from pyparsing import ParseException

    refusal = QueryNotAllowed(
        "the query's \\u escapes make it read differently depending on the SPARQL parser, so the safety "
        "check cannot be sure what it does; write the characters themselves instead of \\u escapes"
    )
    try:
        tree = _parse_query(_ESCAPES.sub("x", text))
    except (ParseException, RecursionError, ValueError):
        raise refusal from None
    if QUERY_FORMS.get(getattr(tree[1], "name", ""), "") != form:
        raise refusal
    return _walk(tree).names


def syntax_error_from_oxigraph(message: str, query: str) -> QuerySyntaxError:
    """Turn one of Oxigraph's syntax errors into a one-line :class:`QuerySyntaxError` with line and column.

    Oxigraph lists every token its parser would have accepted, over several lines; a student needs the
    position, the text there and, when Oxigraph gives one, its reason ("Duplicated variable name").

    >>> str(syntax_error_from_oxigraph("error at 1:10: expected one of Duplicated variable name in SELECT, [_]",
    ...                                "SELECT ?x ?x WHERE { ?x ?p ?o }"))
    "SPARQL syntax error at line 1, column 10 (near '?x WHERE { ?x ?p ?o }'): duplicated variable name in SELECT"
    >>> str(syntax_error_from_oxigraph("error at 2:12: expected one of GROUP_CONCAT, [_]",
    ...                                "SELECT * WHERE {\\n  FILTER(foaf:f(?o)) }"))
    "SPARQL syntax error at line 2, column 10 (near 'foaf:f(?o)) }'): the prefix 'foaf:' is not declared; ..."
    """
    # An undeclared prefix is the commonest cause, and Oxigraph does not always say so: ask the parse tree.
    undeclared = _undeclared_prefixes(query)
    if undeclared:
        return _undeclared_error(query, undeclared)
    m = _OX_POSITION.search(message)
    if not m:
        return QuerySyntaxError(f"SPARQL syntax error: {_clip(' '.join(message.split()), 200)}; {_SYNTAX_HINT}")
    line, column = int(m.group(1)), int(m.group(2))
    detail = m.group(3).removeprefix("expected one of ").removeprefix("expected ")
    reasons = list(dict.fromkeys(_OX_SENTENCE.findall(detail)))
    reason = "; ".join(r[0].lower() + r[1:] for r in reasons) or f"this is not valid SPARQL; {_SYNTAX_HINT}"
    return _syntax_error(query, line, column, reason)


def _parse_query(text: str) -> Any:
    from rdflib.plugins.sparql.parser import parseQuery

    with _PARSER_LOCK:
        return parseQuery(text)


def _parse_update(text: str) -> Any:
    from rdflib.plugins.sparql.parser import parseUpdate

    with _PARSER_LOCK:
        return parseUpdate(text)


def _raise_for_unparsable(text: str, exc: Any) -> Any:
    from pyparsing import ParseException

    try:
        update = _parse_update(text)
    except (ParseException, RecursionError, ValueError):
        update = None
    if update is not None and "request" not in update:
        # Only comments, PREFIX or BASE lines: rdflib reads that as an empty update.
        lines = text.rstrip().split("\n")
        raise QuerySyntaxError(
            "the query has no SELECT, ASK, CONSTRUCT or DESCRIBE part (only comments or PREFIX lines); "
            "write the query after them",
            line=len(lines),
            column=len(lines[-1]) + 1,
        ) from None
    if update is not None:
        ops = [_UPDATE_NAMES.get(getattr(op, "name", ""), "an update") for op in update["request"]]
        what = ", ".join(dict.fromkeys(ops)) or "an update"
        raise QueryNotAllowed(
            f"{what} is not allowed: kgexplorer is read-only and never changes the graph or loads data on a "
            f"user's behalf. Write a SELECT, ASK, CONSTRUCT or DESCRIBE query; to use other data, load it "
            f"with --data or an upload"
        ) from None
    newer = _NEWER_SYNTAX.search(_mask(text))
    if newer:
        raise QueryNotAllowed(
            f"this query uses SPARQL 1.2 or RDF-star syntax ({newer.group(0).strip()!r}), which the safety "
            "check cannot read, so it is not run; rewrite it in SPARQL 1.1"
        ) from None
    # Oxigraph's parser is never asked here: it overflows the C stack (and kills the app's process) on
    # deeply nested input, and its error positions often point at the end of the query. pyparsing's
    # position is the start of the part that does not parse, on the right line.
    raise _syntax_error(text, exc.lineno, exc.col, f"this is not valid SPARQL; {_SYNTAX_HINT}") from None


def _syntax_error(text: str, line: int, column: int, reason: str) -> QuerySyntaxError:
    return QuerySyntaxError(
        f"SPARQL syntax error at line {line}, column {column} ({_near(text, line, column)}): {reason}",
        line=line,
        column=column,
    )


def _near(text: str, line: int, column: int) -> str:
    lines = text.split("\n")
    rest = lines[line - 1][max(column, 1) - 1 :].strip() if 0 < line <= len(lines) else ""
    return f"near {_clip(' '.join(rest.split()), 30)!r}" if rest else "at the end of the line"


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _prefix_position(text: str, prefix: str) -> tuple[int, int] | None:
    """Line and column (1-based) of the first use of ``prefix:`` outside strings, IRIs and comments."""
    masked = _mask(text)
    for m in re.finditer(rf"(?<![\w.:-]){re.escape(prefix)}:", masked):
        before = masked[: m.start()]
        if re.search(r"PREFIX\s*$", before, re.IGNORECASE):
            continue  # the declaration itself
        return before.count("\n") + 1, m.start() - before.rfind("\n")
    return None


def _undeclared_prefixes(text: str) -> set[str]:
    """Prefixes the query uses but neither declares nor gets from :data:`PREFIXES` (empty if it does not parse)."""
    from pyparsing import ParseException

    try:
        found = _walk(_parse_query(text))
    except (ParseException, RecursionError, ValueError):
        return set()
    return found.used_prefixes - found.declared_prefixes - set(PREFIXES)


def _undeclared_error(text: str, prefixes: set[str]) -> QuerySyntaxError:
    """The error for the first undeclared prefix in the text."""
    found = sorted((pos, p) for p in prefixes if (pos := _prefix_position(text, p)) is not None)
    prefix, (line, column) = (found[0][1], found[0][0]) if found else (sorted(prefixes)[0], (1, 1))
    return _syntax_error(
        text,
        line,
        column,
        f"the prefix '{prefix}:' is not declared; add 'PREFIX {prefix}: <namespace IRI>' at the top, or use a "
        f"built-in prefix ({', '.join(p + ':' for p in PREFIXES)})",
    )


@dataclass
class _Found:
    names: set[str] = field(default_factory=set)
    used_prefixes: set[str] = field(default_factory=set)
    declared_prefixes: set[str] = field(default_factory=set)


def _walk(tree: Any) -> _Found:
    """Every node name in the parse tree, and the prefixes used and declared."""
    from pyparsing import ParseResults
    from rdflib.plugins.sparql.parserutils import CompValue

    found = _Found()
    stack = [tree]
    while stack:
        x = stack.pop()
        if isinstance(x, CompValue):
            found.names.add(x.name)
            # CompValue.get returns the key itself when it is missing, so test membership instead.
            if x.name == "pname":
                found.used_prefixes.add(str(x["prefix"]) if "prefix" in x else "")
            elif x.name == "PrefixDecl":
                found.declared_prefixes.add(str(x["prefix"]) if "prefix" in x else "")
            stack.extend(x.values())
        elif isinstance(x, (list, tuple, ParseResults)):
            stack.extend(x)
    return found
