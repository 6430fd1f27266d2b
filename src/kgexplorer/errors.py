"""The errors kgexplorer raises. Every message says the rule, the bad value and what to do.

The tree (catch ``KgExplorerError`` to handle them all)::

    KgExplorerError
    ├── SettingError            a setting name or value is invalid
    ├── GraphLoadError          an RDF file cannot be read or parsed (file, line, column)
    ├── EntityNotFound          no entity matches a name (with suggestions)
    ├── QueryError
    │   ├── QuerySyntaxError    the SPARQL does not parse (line, column)
    │   ├── QueryNotAllowed     the query would write, or reach outside (UPDATE, LOAD, SERVICE, FROM)
    │   ├── QueryTimeout        the query ran longer than the time limit
    │   ├── QueryTooLarge       the query needed more memory than the worker may use
    │   ├── SandboxUnavailable  require_sandbox is 1 but the kernel would not sandbox the query worker
    │   ├── ResultTooLarge      the answer is larger than max_result_mb
    │   ├── QueryFailed         the engine stopped with an error while running the query
    │   └── QueryRefused        the query was not run now: too many at once (retry_after_s says when to retry)
    │       ├── TooManyQueries  this client already has its share of the query workers
    │       └── ServerBusy      every query worker stayed busy for as long as a query may wait
    ├── EndpointError           a remote SPARQL endpoint failed or could not be reached
    ├── ValidationFailed        the graph does not conform to the shapes (with the problems)
    ├── RecordError             an evidence record (graph/records/*.yaml) does not follow the format
    ├── ExportError             a view could not be exported
    └── NotInstalled            an extra ([app], [server]) or a shipped asset is not installed (install says how)

The CLI and the app translate these into one-line messages; no traceback reaches a user.
"""

from __future__ import annotations

__all__ = [
    "EndpointError",
    "EntityNotFound",
    "ExportError",
    "GraphLoadError",
    "KgExplorerError",
    "NotInstalled",
    "QueryError",
    "QueryFailed",
    "QueryNotAllowed",
    "QueryRefused",
    "QuerySyntaxError",
    "QueryTimeout",
    "QueryTooLarge",
    "RecordError",
    "ResultTooLarge",
    "SandboxUnavailable",
    "ServerBusy",
    "SettingError",
    "TooManyQueries",
    "ValidationFailed",
]


class KgExplorerError(Exception):
    """Base class of every error kgexplorer raises on purpose."""


class SettingError(KgExplorerError):
    """A setting name is unknown, or its value has the wrong type or is out of range."""


class GraphLoadError(KgExplorerError):
    """An RDF file could not be read or parsed; nothing from the failed load was kept."""

    def __init__(
        self, message: str, *, path: str | None = None, line: int | None = None, column: int | None = None
    ) -> None:
        super().__init__(message)
        self.path = path
        self.line = line
        self.column = column


class EntityNotFound(KgExplorerError):
    """No entity matches the name given; ``suggestions`` holds the closest labels."""

    def __init__(self, message: str, *, name: str, suggestions: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.name = name
        self.suggestions = suggestions


class QueryError(KgExplorerError):
    """A SPARQL query could not be run."""


class QuerySyntaxError(QueryError):
    """The query does not parse; ``line`` and ``column`` are 1-based when known."""

    def __init__(self, message: str, *, line: int | None = None, column: int | None = None) -> None:
        super().__init__(message)
        self.line = line
        self.column = column


class QueryNotAllowed(QueryError):
    """The query asks for something kgexplorer never does for a user: write, or fetch from elsewhere."""


class QueryTimeout(QueryError):
    """The query ran longer than its time limit and was stopped."""


class QueryTooLarge(QueryError):
    """The query needed more memory than the query worker may use and was stopped."""


class SandboxUnavailable(QueryError):
    """The require_sandbox setting is 1, but the kernel would not refuse the query worker the network."""


class ResultTooLarge(QueryError):
    """The query's answer is larger than the ``max_result_mb`` setting; nothing of it is returned."""


class QueryFailed(QueryError):
    """The engine stopped with an error while running the query (a failing SERVICE, a worker that died on it)."""


class QueryRefused(QueryError):
    """The query was not run, because too many queries are running; ``retry_after_s`` says when to try again.

    ``setting`` names the limit that refused it.
    """

    def __init__(self, message: str, *, retry_after_s: float, setting: str) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s
        self.setting = setting


class TooManyQueries(QueryRefused):
    """This client already has as many queries running or waiting as one client may (HTTP 429)."""


class ServerBusy(QueryRefused):
    """Every query worker stayed busy with other clients' queries for as long as a query may wait (HTTP 503)."""


class EndpointError(KgExplorerError):
    """A remote SPARQL endpoint could not be reached, timed out, or answered with an error."""


class ValidationFailed(KgExplorerError):
    """The graph does not conform to its shapes."""


class ExportError(KgExplorerError):
    """A view could not be exported."""


class RecordError(KgExplorerError):
    """An evidence record (``graph/records/…/*.yaml``) does not parse or does not follow the format."""


class NotInstalled(KgExplorerError):
    """A part of kgexplorer this needs is not installed: an extra (``[app]``, ``[server]``) or a shipped asset.

    ``install`` is the exact command that installs it.
    """

    def __init__(self, message: str, *, install: str) -> None:
        super().__init__(message)
        self.install = install
