"""kgexplorer: an evidence-graded knowledge graph explorer for psychedelic-assisted therapy and addiction.

The library is the product; the CLI (``kgexplorer``) and the Streamlit app are thin shells over it.
Start with :class:`KnowledgeGraph`. The content is educational, not medical advice.
"""

from __future__ import annotations

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
from .views.notebook import register as _register_notebook_display

# Jupyter shows views and entity cards (kgexplorer.views.notebook): the display is attached from the views' side.
_register_notebook_display()


def __getattr__(name: str) -> str:
    # The version is read from the installed metadata on first use: importlib.metadata costs 7 MiB and
    # 75 ms at import, which every `import kgexplorer` (and every query worker) would pay.
    if name != "__version__":
        raise AttributeError(f"module 'kgexplorer' has no attribute {name!r}")
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
