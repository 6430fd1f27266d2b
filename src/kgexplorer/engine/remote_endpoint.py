"""Remote SPARQL endpoints: the explorer's features over HTTP, for graphs that outgrow one machine.

:class:`RemoteBackend` speaks the SPARQL 1.1 Protocol (HTTP POST with ``application/sparql-query``) to
any endpoint (Oxigraph server, QLever, Virtuoso, GraphDB, Fuseki …) using only the standard library's
urllib. Answers are read as a stream and parsed by pyoxigraph, so a row cap stops reading early instead
of downloading everything. A body that does not parse is an error, never a silently short result:
Oxigraph answers HTTP 200 with a cut-short body when it cancels a query
(docs/decisions/remote-endpoints.md). Every failure is an
:class:`~kgexplorer.errors.EndpointError` that names the endpoint and says what to do.

Which endpoints may be reached is the ``remote_endpoints`` setting, enforced here and nowhere else: 0
refuses every endpoint; 1 reaches public internet addresses only, so that visitors of a hosted app cannot
make the server request its own network (cloud metadata at 169.254.169.254, services on 127.0.0.1 or
10.x): every connection resolves the host name once, refuses it unless every address is public, and
connects to the address it checked, so a name that resolves differently later (DNS rebinding) gains
nothing; 2 reaches any address. Redirects are never followed (each is an error naming the new URL), so
no request goes anywhere but the checked address.

Nothing here contacts the network until a query runs:

>>> backend = RemoteBackend("http://localhost:7878/query", timeout_s=30)
>>> backend
<RemoteBackend http://localhost:7878/query>
>>> RemoteBackend("localhost:7878", timeout_s=30)
Traceback (most recent call last):
...
kgexplorer.errors.EndpointError: 'localhost:7878' is not a SPARQL endpoint URL: it must start with http:// or ...
"""

from __future__ import annotations

import http.client
import io
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from typing import IO, TYPE_CHECKING, Any, TypeVar

import pyoxigraph as ox

from kgexplorer.errors import EndpointError, QuerySyntaxError, SettingError
from kgexplorer.namespaces import prefix_block
from kgexplorer.settings import Settings
from kgexplorer.terms import Term

from .address_policy import NOT_AN_ADDRESS, PUBLIC_ONLY_HANDLERS, Refused, address_problem
from .backend import bind_values
from .bindings import Bindings, with_trailing_values
from .guard import CheckedQuery, prepare_query
from .results import (
    AskResult,
    GraphResult,
    QueryResult,
    SelectResult,
    graph_from_oxigraph,
    select_from_oxigraph,
)

if TYPE_CHECKING:
    from _typeshed import WriteableBuffer

    from .query_workers import QueryWorkers

__all__ = ["RemoteBackend", "check_endpoint_url"]

_T = TypeVar("_T")
_RESULTS_JSON = "application/sparql-results+json"
_NTRIPLES = "application/n-triples"
_WEB_PAGE = {"text/html", "application/xhtml+xml"}
_USER_AGENT = "kgexplorer (https://w3id.org/kgexplorer)"
_ERROR_BODY_CHARS = 300
# The values of the remote_endpoints setting.
_OFF, _PUBLIC_ONLY, _ANY_ADDRESS = 0, 1, 2
# The guard's workers for queries sent to endpoints: workers without a store that only check queries, one
# pool per combination of the settings they obey, shared by every RemoteBackend of the process (an app
# opens one backend per visitor who picks an endpoint) and stopped when the process exits.
_GUARD_POOLS: dict[tuple[int | float, ...], QueryWorkers] = {}
_GUARD_POOLS_LOCK = threading.Lock()


def check_endpoint_url(url: str) -> str:
    """The URL of a SPARQL endpoint, checked: http(s), a host, no credentials, no spaces.

    >>> check_endpoint_url(" http://localhost:7878/query ")
    'http://localhost:7878/query'
    >>> check_endpoint_url("ftp://example.org/sparql")
    Traceback (most recent call last):
    ...
    kgexplorer.errors.EndpointError: 'ftp://example.org/sparql' is not a SPARQL endpoint URL: it must start ...
    """
    text = url.strip()
    parts = urllib.parse.urlsplit(text)
    example = "for example http://localhost:7878/query (Oxigraph) or https://query.wikidata.org/sparql"
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise EndpointError(
            f"{url!r} is not a SPARQL endpoint URL: it must start with http:// or https:// and name a host; {example}"
        )
    if any(c.isspace() or ord(c) < 32 for c in text):
        raise EndpointError(f"{url!r} is not a SPARQL endpoint URL: it contains spaces; {example}")
    if parts.username or parts.password:
        raise EndpointError(
            "SPARQL endpoint URLs with a user name or password are not supported (kgexplorer sends no "
            "credentials); use an endpoint open for reading"
        )
    try:
        _ = parts.port
    except ValueError:
        raise EndpointError(f"{url!r} is not a SPARQL endpoint URL: its port is not a number; {example}") from None
    return text


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """Redirects become errors: urllib would replay a POST as a GET without the query."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


class _TimedOut(Exception):
    pass


class _Body(io.RawIOBase):
    """An answer's bytes as a stream that stops at the deadline (socket timeouts bound each wait)."""

    def __init__(self, response: http.client.HTTPResponse, deadline: float) -> None:
        super().__init__()
        self._response = response
        self._deadline = deadline

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: WriteableBuffer) -> int:
        if time.monotonic() > self._deadline:
            raise _TimedOut
        view = memoryview(buffer).cast("B")
        data = self._response.read1(len(view))
        view[: len(data)] = data
        return len(data)


class RemoteBackend:
    """Queries on a remote SPARQL 1.1 endpoint; implements :class:`kgexplorer.engine.backend.Backend`.

    ``timeout_s`` (the ``endpoint_timeout_s`` setting) limits the library's own template queries; user
    queries (:meth:`query`) bring their own limit. ``remote_endpoints`` (the setting of that name) says
    which addresses may be reached: 0 refuses the endpoint here, 1 refuses an address that is not public
    when it connects (an IP address in the URL at once), 2 allows any. Safe to share between threads:
    each request opens its own connection.

    >>> RemoteBackend("http://169.254.169.254/latest/meta-data", timeout_s=30, remote_endpoints=1)
    Traceback (most recent call last):
    ...
    kgexplorer.errors.EndpointError: the SPARQL endpoint http://169.254.169.254/latest/meta-data was not contacted: ...
    """

    def __init__(
        self, url: str, *, timeout_s: float, remote_endpoints: int = _ANY_ADDRESS, settings: Settings | None = None
    ) -> None:
        if remote_endpoints not in (_OFF, _PUBLIC_ONLY, _ANY_ADDRESS):
            raise SettingError(f"remote_endpoints must be 0, 1 or 2, got {remote_endpoints!r}; the default is 2")
        if remote_endpoints == _OFF:
            raise EndpointError(
                f"remote SPARQL endpoints are switched off here (the remote_endpoints setting is 0), so {url!r} "
                "was not contacted; use the bundled graph or your own files, or, where you run kgexplorer, allow "
                "endpoints with --setting remote_endpoints 1 (public addresses only) or 2 (any address), for "
                "example kgexplorer --setting remote_endpoints 1 app"
            )
        self.url = check_endpoint_url(url)
        self.timeout_s = timeout_s
        self.remote_endpoints = remote_endpoints
        #: The limits of the guard's workers (worker_memory_mb, max_query_chars, guard_cache_queries,
        #: require_sandbox) for the user queries sent through :meth:`query`.
        self.settings = settings or Settings()
        if remote_endpoints == _PUBLIC_ONLY:
            host = urllib.parse.urlsplit(self.url).hostname or ""
            problem = address_problem(host)
            if problem not in (None, NOT_AN_ADDRESS):  # a host name is checked each time it is connected to
                raise self._refused(Refused(host, host, str(problem)))
            # No proxy from the environment: the check must see the endpoint's address, not the proxy's.
            no_proxy = urllib.request.ProxyHandler({})
            self._opener = urllib.request.build_opener(_NoRedirect, no_proxy, *PUBLIC_ONLY_HANDLERS)
        else:
            self._opener = urllib.request.build_opener(_NoRedirect)

    def __repr__(self) -> str:
        return f"<RemoteBackend {self.url}>"

    def select(
        self,
        query: str,
        *,
        values: Mapping[str, Term | Sequence[Term]] | None = None,
        max_rows: int | None = None,
    ) -> SelectResult:
        """Run one of the library's own SELECT templates remotely, values bound like local templates."""
        text = prefix_block() + bind_values(query, values)
        result = self._exchange(
            text,
            accept=_RESULTS_JSON,
            timeout_s=self.timeout_s,
            limit_name="endpoint_timeout_s",
            read=lambda body, ctype, started: _read_results(self.url, body, ctype, started, max_rows),
        )
        if not isinstance(result, SelectResult):
            raise EndpointError(
                f"the SPARQL endpoint {self.url} answered a SELECT query with a yes/no answer; "
                "check that the URL is a SPARQL endpoint"
            )
        return result

    def query(
        self,
        text: str,
        *,
        max_rows: int,
        timeout_s: float,
        max_chars: int | None = None,
        client: str | None = None,
        bindings: Bindings = (),
    ) -> QueryResult:
        """Run a user-written query remotely: checked by the guard first, rows capped, time limited.

        The guard refuses updates, SERVICE and FROM before anything is sent: the text is normalised and
        screened here (:func:`kgexplorer.engine.guard.prepare_query`, given ``max_chars``), and parsed by the
        full guard in a worker process (:meth:`kgexplorer.engine.query_workers.QueryWorkers.check`), bounded by
        ``timeout_s`` and worker_memory_mb like a local query. No sandbox can help here (the remote engine
        would run a SERVICE itself), so the guard always runs in full, and what is sent is exactly the
        text it checked, after the project's PREFIX lines. ``max_rows`` cuts the answer (``truncated``
        says so); ``timeout_s`` is also the HTTP time limit (the ``query_time_limit_s`` setting). The
        guard's workers are shared between clients like the query workers (:mod:`kgexplorer.engine.scheduler`):
        ``client`` (an app session) waits in line for one and may be refused
        (:class:`~kgexplorer.errors.QueryRefused`). ``bindings`` are sent as a ``VALUES`` clause on a line after
        the text (:func:`kgexplorer.engine.bindings.with_trailing_values`), checked with it.
        """
        prepared = prepare_query(text, max_chars=max_chars)
        if bindings:
            lines = prepared.text.count("\n") + 1
            prepared = prepare_query(with_trailing_values(prepared.text, bindings), max_chars=max_chars)
        try:
            checked = _guard_pool(self.settings).check(prepared, timeout_s=timeout_s, client=client)
        except QuerySyntaxError as exc:
            if bindings and exc.line is not None and exc.line > lines:
                raise QuerySyntaxError(
                    "a remote endpoint takes bound values as a VALUES clause after the query, and this query "
                    "cannot have one (it ends with a VALUES clause of its own?); drop its own trailing VALUES, or "
                    "bind the values in the query",
                    line=exc.line,
                    column=exc.column,
                ) from None
            raise
        return self._send(checked, max_rows=max_rows, timeout_s=timeout_s)

    def _send(self, checked: CheckedQuery, *, max_rows: int, timeout_s: float) -> QueryResult:
        """Send a checked query, the project's PREFIX lines first (whole lines: they cannot change its tokens)."""
        form = checked.form
        full = prefix_block() + checked.text
        if form in ("CONSTRUCT", "DESCRIBE"):
            return self._exchange(
                full,
                accept=_NTRIPLES,
                timeout_s=timeout_s,
                limit_name="query_time_limit_s",
                read=lambda body, ctype, started: _read_triples(self.url, body, ctype, started, max_rows),
            )
        result = self._exchange(
            full,
            accept=_RESULTS_JSON,
            timeout_s=timeout_s,
            limit_name="query_time_limit_s",
            read=lambda body, ctype, started: _read_results(self.url, body, ctype, started, max_rows),
        )
        if (form == "ASK") != isinstance(result, AskResult):
            raise EndpointError(
                f"the SPARQL endpoint {self.url} answered a {form} query with the wrong kind of result; "
                "check that the URL is a SPARQL endpoint"
            )
        return result

    def _exchange(
        self,
        text: str,
        *,
        accept: str,
        timeout_s: float,
        limit_name: str,
        read: Callable[[IO[bytes], str, float], _T],
    ) -> _T:
        """POST one query and read its answer; every failure becomes an EndpointError."""
        started = time.perf_counter()
        deadline = time.monotonic() + timeout_s
        request = urllib.request.Request(
            self.url,
            data=text.encode("utf-8"),
            method="POST",
            headers={"Content-Type": "application/sparql-query", "Accept": accept, "User-Agent": _USER_AGENT},
        )
        try:
            response = self._opener.open(request, timeout=timeout_s)
        except Refused as exc:
            raise self._refused(exc) from None
        except urllib.error.HTTPError as exc:
            raise self._http_error(exc) from None
        except urllib.error.URLError as exc:
            if isinstance(exc.reason, TimeoutError):
                raise self._timeout(timeout_s, limit_name) from None
            raise EndpointError(
                f"cannot reach the SPARQL endpoint {self.url} ({_reason(exc.reason)}); check the URL, that "
                "the server is running, and that this machine can reach it"
            ) from None
        except TimeoutError:
            raise self._timeout(timeout_s, limit_name) from None
        except (http.client.HTTPException, OSError) as exc:
            raise self._broken(exc, "waiting for the answer") from None
        with response:
            ctype = response.headers.get_content_type()
            if ctype in _WEB_PAGE:
                raise EndpointError(
                    f"{self.url} answered with a web page, not SPARQL results; check that it is the "
                    "endpoint's query URL (Oxigraph serves /query, Fuseki /DATASET/sparql, Virtuoso /sparql)"
                )
            body = io.BufferedReader(_Body(response, deadline), buffer_size=1 << 16)
            try:
                return read(body, ctype, started)
            except (_TimedOut, TimeoutError):
                raise self._timeout(timeout_s, limit_name) from None
            except (http.client.HTTPException, OSError) as exc:
                raise self._broken(exc, "reading the answer") from None

    def _http_error(self, exc: urllib.error.HTTPError) -> EndpointError:
        try:
            raw = exc.read(4 * _ERROR_BODY_CHARS)
        except (http.client.HTTPException, OSError):
            raw = b""
        finally:
            exc.close()
        snippet = " ".join(raw.decode("utf-8", errors="replace").split())
        if len(snippet) > _ERROR_BODY_CHARS:
            snippet = snippet[:_ERROR_BODY_CHARS] + "…"
        code = exc.code
        if 300 <= code < 400:
            fix = f"the endpoint has moved to {exc.headers.get('Location') or 'another URL'}; use that URL"
        elif code == 400:
            fix = "the endpoint could not run the query; check it (endpoints differ in the SPARQL they accept)"
        elif code in (401, 403):
            fix = "the endpoint refused access; kgexplorer sends no credentials, so use an endpoint open for reading"
        elif code in (404, 405):
            fix = (
                "there is no SPARQL endpoint at this URL; check it (Oxigraph serves /query, "
                "Fuseki /DATASET/sparql, Virtuoso /sparql)"
            )
        elif code == 429:
            fix = "the endpoint is limiting requests; wait a moment and try again"
        elif code >= 500:
            fix = "the endpoint failed while answering; try again later, or check the server's log"
        else:
            fix = "check the endpoint URL and the server's log"
        said = f": {snippet!r}" if snippet else ""
        return EndpointError(f"the SPARQL endpoint {self.url} answered HTTP {code} {exc.reason}{said}; {fix}")

    def _refused(self, exc: Refused) -> EndpointError:
        if exc.host == exc.address:
            what = f"its address {exc.address} is {exc.problem}"
        else:
            what = f"{exc.host} resolves to {exc.address}, {exc.problem}"
        return EndpointError(
            f"the SPARQL endpoint {self.url} was not contacted: {what}. With the "
            "remote_endpoints setting at 1 only public internet addresses are reached, so that nobody can make "
            "this server reach its own network. Use an endpoint on the public internet; to allow internal "
            "endpoints, whoever runs kgexplorer can set it to 2: kgexplorer --setting remote_endpoints 2 app"
        )

    def _timeout(self, timeout_s: float, limit_name: str) -> EndpointError:
        return EndpointError(
            f"the SPARQL endpoint {self.url} did not answer within {timeout_s:g} s (the {limit_name} setting); "
            "make the query more specific (add a LIMIT), check that the server is up, or raise the setting"
        )

    def _broken(self, exc: BaseException, phase: str) -> EndpointError:
        return EndpointError(
            f"the connection to the SPARQL endpoint {self.url} broke while {phase} ({_reason(exc)}); "
            "try again, and check the server's log"
        )


def _guard_pool(settings: Settings) -> QueryWorkers:
    """The store-less workers that check queries for endpoints, under these settings' limits."""
    from .query_workers import QueryWorkers  # only now: a graph that never queries an endpoint starts no guard worker

    key = (
        settings.worker_memory_mb,
        settings.max_query_chars,
        settings.guard_cache_queries,
        settings.require_sandbox,
        settings.query_workers,
        settings.client_query_workers,
        settings.client_queries,
        settings.max_queue_wait_s,
    )
    with _GUARD_POOLS_LOCK:
        pool = _GUARD_POOLS.get(key)
        if pool is None:
            pool = _GUARD_POOLS[key] = QueryWorkers(None, settings)
        return pool


def _reason(reason: object) -> str:
    if isinstance(reason, ConnectionRefusedError):
        return "connection refused: nothing is listening there"
    if isinstance(reason, BaseException):
        return str(reason) or type(reason).__name__
    return str(reason)


def _bad_answer(url: str, what: str, exc: BaseException) -> EndpointError:
    return EndpointError(
        f"the SPARQL endpoint {url} sent an answer that is not valid {what} ({exc}); it may have been cut "
        "short because the endpoint stopped the query (Oxigraph does this when it times out). Make the query "
        "more specific (add a LIMIT), and check the server's log"
    )


def _read_results(
    url: str, body: IO[bytes], ctype: str, started: float, max_rows: int | None
) -> SelectResult | AskResult:
    """SPARQL results (JSON unless the server said otherwise), stopping one row past the cap."""
    fmt = ox.QueryResultsFormat.from_media_type(ctype) or ox.QueryResultsFormat.JSON
    try:
        parsed = ox.parse_query_results(body, fmt)
        if isinstance(parsed, ox.QueryBoolean):
            return AskResult(bool(parsed), time.perf_counter() - started)
        return select_from_oxigraph(parsed, max_rows=max_rows, started=started)
    except (SyntaxError, ValueError, TypeError) as exc:
        raise _bad_answer(url, fmt.name, exc) from None


def _read_triples(url: str, body: IO[bytes], ctype: str, started: float, max_rows: int) -> GraphResult:
    """RDF triples (N-Triples unless the server said otherwise), stopping one triple past the cap."""
    fmt = ox.RdfFormat.from_media_type(ctype) or ox.RdfFormat.N_TRIPLES
    try:
        return graph_from_oxigraph(ox.parse(body, format=fmt), max_rows=max_rows, started=started)
    except (SyntaxError, ValueError, TypeError) as exc:
        raise _bad_answer(url, fmt.name, exc) from None
