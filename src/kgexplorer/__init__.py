"""kgexplorer: an evidence-graded knowledge graph explorer for psychedelic-assisted therapy and addiction.

The library is the product; the CLI (``kgexplorer``) and the Streamlit app are thin shells over it.
Start with :class:`KnowledgeGraph`. The content is educational, not medical advice.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # loaded on first use (__getattr__); type checkers see the names here
    from .engine.results import AskResult, GraphResult, QueryResult, SelectResult
    from .errors import (
        EndpointError,
        EntityNotFound,
        ExportError,
        GraphLoadError,
        KgExplorerError,
        NotInstalled,
        QueryError,
        QueryFailed,
        QueryNotAllowed,
        QueryRefused,
        QuerySyntaxError,
        QueryTimeout,
        QueryTooLarge,
        ResultTooLarge,
        SandboxUnavailable,
        ServerBusy,
        SettingError,
        TooManyQueries,
        ValidationFailed,
    )
    from .knowledge_graph import KnowledgeGraph
    from .model.entity import ClaimView, EntityCard
    from .model.labels import EntityRef
    from .model.neighbourhood import Neighbourhood, PathSet, PathStep
    from .model.relations import RelationCount
    from .model.search import SearchHit
    from .model.stats import DatasetInfo, GraphStats
    from .settings import Settings, describe_settings
    from .terms import IRI, BlankNode, Literal, Triple

# The query and parse workers are started as `python -m kgexplorer.engine.…`, which runs this file first: importing
# the whole library there (the model, the views, the server's errors) cost each worker time and 5 MiB it never used. So
# `import kgexplorer` is light, and the first public name asked for loads them all, as the package always did.
#: Where each public name lives (the same names as the TYPE_CHECKING imports above).
_WHERE = {
    "AskResult": ".engine.results",
    "GraphResult": ".engine.results",
    "QueryResult": ".engine.results",
    "SelectResult": ".engine.results",
    "EndpointError": ".errors",
    "EntityNotFound": ".errors",
    "ExportError": ".errors",
    "GraphLoadError": ".errors",
    "KgExplorerError": ".errors",
    "NotInstalled": ".errors",
    "QueryError": ".errors",
    "QueryFailed": ".errors",
    "QueryNotAllowed": ".errors",
    "QueryRefused": ".errors",
    "QuerySyntaxError": ".errors",
    "QueryTimeout": ".errors",
    "QueryTooLarge": ".errors",
    "ResultTooLarge": ".errors",
    "SandboxUnavailable": ".errors",
    "ServerBusy": ".errors",
    "SettingError": ".errors",
    "TooManyQueries": ".errors",
    "ValidationFailed": ".errors",
    "KnowledgeGraph": ".knowledge_graph",
    "ClaimView": ".model.entity",
    "EntityCard": ".model.entity",
    "EntityRef": ".model.labels",
    "Neighbourhood": ".model.neighbourhood",
    "PathSet": ".model.neighbourhood",
    "PathStep": ".model.neighbourhood",
    "RelationCount": ".model.relations",
    "SearchHit": ".model.search",
    "DatasetInfo": ".model.stats",
    "GraphStats": ".model.stats",
    "Settings": ".settings",
    "describe_settings": ".settings",
    "IRI": ".terms",
    "BlankNode": ".terms",
    "Literal": ".terms",
    "Triple": ".terms",
}


def _load() -> None:
    """Import every public name into this module, and give views and entity cards their Jupyter display."""
    from importlib import import_module

    for name, module in _WHERE.items():
        globals()[name] = getattr(import_module(module, __name__), name)
    from .views.notebook import register

    register()  # Jupyter shows views and entity cards (kgexplorer.views.notebook): attached from the views' side


def __getattr__(name: str) -> Any:
    if name == "__version__":
        return _version()
    if name in _WHERE:  # not loaded yet: once loaded, the names are this module's own and never come here
        _load()
        return globals()[name]
    raise AttributeError(f"module 'kgexplorer' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})


def _version() -> str:
    # The version is read from the installed metadata on first use: importlib.metadata costs 7 MiB and
    # 75 ms at import, which every `import kgexplorer` (and every query worker) would pay.
    from importlib.metadata import PackageNotFoundError, version

    try:
        found = version("kgexplorer")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree without installing
        found = "0.0.0"
    globals()["__version__"] = found
    return found


__all__ = [
    "IRI",
    "AskResult",
    "BlankNode",
    "ClaimView",
    "DatasetInfo",
    "EndpointError",
    "EntityCard",
    "EntityNotFound",
    "EntityRef",
    "ExportError",
    "GraphLoadError",
    "GraphResult",
    "GraphStats",
    "KgExplorerError",
    "KnowledgeGraph",
    "Literal",
    "Neighbourhood",
    "NotInstalled",
    "PathSet",
    "PathStep",
    "QueryError",
    "QueryFailed",
    "QueryNotAllowed",
    "QueryRefused",
    "QueryResult",
    "QuerySyntaxError",
    "QueryTimeout",
    "QueryTooLarge",
    "RelationCount",
    "ResultTooLarge",
    "SandboxUnavailable",
    "SearchHit",
    "SelectResult",
    "ServerBusy",
    "SettingError",
    "Settings",
    "TooManyQueries",
    "Triple",
    "ValidationFailed",
    "__version__",
    "describe_settings",
]
