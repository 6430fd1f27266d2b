"""The guard in front of every user-written SPARQL query: read-only, and nothing fetched from elsewhere.

Why a parse-based guard (../shared/notes/stack-measurements.md, section 3): ``SERVICE`` makes Oxigraph
send HTTP requests from Rust, where Python cannot see or stop them, and ``FROM <http…>`` makes rdflib
fetch. So every query is parsed first, and refused unless it is a SELECT, ASK, CONSTRUCT or DESCRIBE
without SERVICE, FROM or FROM NAMED anywhere (subqueries included). The guard fails closed: a query the
guard's parser cannot read is never run.

>>> check_query("SELECT ?s WHERE { ?s ?p ?o } LIMIT 3")
'SELECT'
>>> check_query("SELECT * WHERE { OPTIONAL { SELECT ?s WHERE { sErViCe <http://x> { ?s ?p ?o } } } }")
Traceback (most recent call last):
...
kgexplorer.errors.QueryNotAllowed: SERVICE is not allowed: kgexplorer never sends a query to another server ...
"""

from __future__ import annotations

import re
from typing import Any

from .errors import QueryNotAllowed, QuerySyntaxError
from .namespaces import PREFIXES

__all__ = ["QUERY_FORMS", "check_query"]

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
_ESCAPE = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")
_OX_POSITION = re.compile(r"error at (\d+):(\d+):?\s*(.*)", re.S)
MAX_QUERY_CHARS = 100_000


def check_query(text: str) -> str:
    """Return the query form (SELECT, ASK, CONSTRUCT or DESCRIBE), or raise why the query cannot run.

    Raises:
        QuerySyntaxError: the query does not parse (with line and column).
        QueryNotAllowed: the query writes (UPDATE, LOAD …) or reaches outside (SERVICE, FROM, FROM NAMED).
    """
    from pyparsing import ParseException
    from rdflib.plugins.sparql.parser import parseQuery

    if not text.strip():
        raise QuerySyntaxError("the query is empty; write a SELECT, ASK, CONSTRUCT or DESCRIBE query", line=1, column=1)
    if len(text) > MAX_QUERY_CHARS:
        raise QueryNotAllowed(
            f"the query is {len(text):,} characters long; the limit is {MAX_QUERY_CHARS:,}. "
            "Shorten it (load large value lists as data instead)"
        )
    try:
        tree = parseQuery(text)
    except ParseException as exc:
        _raise_for_unparsable(text, exc)
    except RecursionError:
        raise QueryNotAllowed("the query is nested too deeply to check; simplify it") from None
    form = QUERY_FORMS.get(getattr(tree[1], "name", ""), "")
    if not form:
        raise QueryNotAllowed("only SELECT, ASK, CONSTRUCT and DESCRIBE queries can run")
    found = _names(tree, set())
    if "ServiceGraphPattern" in found:
        raise QueryNotAllowed(
            "SERVICE is not allowed: kgexplorer never sends a query to another server on a user's behalf. "
            "Query the remote endpoint directly (kgexplorer query --endpoint URL), or load its data with --data"
        )
    if "DatasetClause" in found:
        raise QueryNotAllowed(
            "FROM and FROM NAMED are not allowed: they can make the query engine fetch or read other data. "
            "Remove them; the loaded graph (and any named graphs in it) is queried by default, and GRAPH ?g "
            "selects named graphs"
        )
    return form


def _raise_for_unparsable(text: str, exc: Any) -> Any:
    from pyparsing import ParseException
    from rdflib.plugins.sparql.parser import parseUpdate

    try:
        update = parseUpdate(text)
    except (ParseException, RecursionError):
        update = None
    if update is not None:
        ops = [_UPDATE_NAMES.get(getattr(op, "name", ""), "an update") for op in update["request"]]
        what = ", ".join(dict.fromkeys(ops)) or "an update"
        raise QueryNotAllowed(
            f"{what} is not allowed: kgexplorer is read-only and never changes the graph or loads data on a "
            f"user's behalf. Write a SELECT, ASK, CONSTRUCT or DESCRIBE query; to use other data, load it "
            f"with --data or an upload"
        ) from None
    line, column, message = exc.lineno, exc.col, str(exc.msg)
    precise = _oxigraph_position(text)
    if precise is not None:
        if precise is True:
            raise QueryNotAllowed(
                "this query uses syntax the safety check cannot read (for example SPARQL 1.2 or RDF-star), "
                "so it is not run; rewrite it in SPARQL 1.1"
            ) from None
        if isinstance(precise, tuple):
            line, column, message = precise
    raise QuerySyntaxError(
        f"SPARQL syntax error at line {line}, column {column}: {message}; fix the query there",
        line=line,
        column=column,
    ) from None


def _oxigraph_position(text: str) -> tuple[int, int, str] | bool | None:
    """Ask Oxigraph's parser (more precise positions) when that cannot cause any network request.

    Returns (line, column, message) for a syntax error, True when Oxigraph parses the query, or None.
    """
    import pyoxigraph as ox

    decoded = _ESCAPE.sub(lambda m: chr(int(m.group(1) or m.group(2), 16)), text)
    if "service" in decoded.lower():
        return None  # SERVICE is the only construct that makes Oxigraph reach out; never run it, even empty
    try:
        # An empty store: nothing to read, and without SERVICE no request can be made.
        ox.Store().query(text, prefixes=PREFIXES)
    except SyntaxError as exc:
        m = _OX_POSITION.search(str(exc))
        if m:
            return int(m.group(1)), int(m.group(2)), m.group(3).strip()
        return None
    except (OSError, RuntimeError, ValueError):
        return None
    return True  # Oxigraph reads it although the guard's parser cannot


def _names(node: Any, acc: set[str]) -> set[str]:
    from pyparsing import ParseResults
    from rdflib.plugins.sparql.parserutils import CompValue

    stack = [node]
    while stack:
        x = stack.pop()
        if isinstance(x, CompValue):
            acc.add(x.name)
            stack.extend(x.values())
        elif isinstance(x, (list, tuple, ParseResults)):
            stack.extend(x)
    return acc
