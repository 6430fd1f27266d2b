"""kgexplorer: an evidence-graded knowledge graph explorer for psychedelic-assisted therapy and addiction.

The library is the product; the CLI (``kgexplorer``) and the Streamlit app are thin shells over it.
Start with :class:`KnowledgeGraph`. The content is educational, not medical advice.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from .entity import ClaimView, EntityCard
from .errors import (
    EndpointError,
    EntityNotFound,
    ExportError,
    GraphLoadError,
    KgExplorerError,
    QueryError,
    QueryNotAllowed,
    QuerySyntaxError,
    QueryTimeout,
    QueryTooLarge,
    SettingError,
    ValidationFailed,
)
from .knowledge_graph import KnowledgeGraph
from .labels import EntityRef
from .network import Neighbourhood, PathSet, PathStep
from .query import AskResult, GraphResult, QueryResult, SelectResult
from .relations import RelationCount
from .search import SearchHit
from .settings import Settings, describe_settings
from .stats import DatasetInfo, GraphStats
from .terms import IRI, BlankNode, Literal, Triple

try:
    __version__ = version("kgexplorer")
except PackageNotFoundError:  # pragma: no cover - running from a source tree without installing
    __version__ = "0.0.0"

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
    "PathSet",
    "PathStep",
    "QueryError",
    "QueryNotAllowed",
    "QueryResult",
    "QuerySyntaxError",
    "QueryTimeout",
    "QueryTooLarge",
    "RelationCount",
    "SearchHit",
    "SelectResult",
    "SettingError",
    "Settings",
    "Triple",
    "ValidationFailed",
    "__version__",
    "describe_settings",
]
