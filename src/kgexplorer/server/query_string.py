"""The parameters of a request's URL (``?query=…&format=…``), read as Starlette reads them, and remembered.

A cached answer (a repeated query) cost the endpoint's process about 75 µs of CPU, a bare Starlette route 16-20 µs;
of the difference, reading the URL's parameters was the largest part (a quarter of the app's time under
cProfile): :func:`urllib.parse.unquote` is pure Python and makes a list item for every ``%XX`` of the query's
text, and a SPARQL query is mostly such escapes. The same URL gives the same parameters, so the last 256 query
strings of up to 4,096 characters are remembered (:func:`kgexplorer.engine.query_text.remembered`, as the guard
remembers its verdicts); longer ones are read each time.

>>> from starlette.requests import Request
>>> url_params(Request({"type": "http", "query_string": b"query=ASK+%7B%7D&format=&x=%C3%A9"}))
[('query', 'ASK {}'), ('format', ''), ('x', 'é')]
"""

from __future__ import annotations

import urllib.parse

from starlette.requests import Request

from kgexplorer.engine.query_text import remembered

__all__ = ["url_params"]


def url_params(request: Request) -> list[tuple[str, str]]:
    """The URL's parameters in order, equal to ``request.query_params.multi_items()`` (the query string read as
    Latin-1, split at ``&`` and ``=``, each part unquoted as UTF-8, blank values kept), as a new list."""
    return list(_read(request.scope.get("query_string", b"").decode("latin-1")))


@remembered
def _read(query_string: str) -> tuple[tuple[str, str], ...]:
    return tuple(urllib.parse.parse_qsl(query_string, keep_blank_values=True))
