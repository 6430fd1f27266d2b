"""What the model's readings of names and questions need from a graph: the :class:`Reader` protocol.

Most of the model works on a :class:`~kgexplorer.engine.backend.Backend` and IRIs. A few readings start from what a
person typed (the substances of a comparison, a gallery question's parameters) or run a person's query, so
they also need the graph's own name resolution, its labels and its guarded SPARQL. :class:`Reader` names
exactly that, and :class:`~kgexplorer.knowledge_graph.KnowledgeGraph` is one: the model says what it needs,
and the facade, one stage up, provides it, so the model never imports the facade.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

from kgexplorer.engine.backend import Backend
from kgexplorer.engine.results import QueryResult
from kgexplorer.terms import Term

__all__ = ["Reader"]


class Reader(Backend, Protocol):
    """A backend that also resolves names, labels IRIs and runs users' SPARQL (KnowledgeGraph is one)."""

    def resolve(self, name: str) -> str:
        """The IRI of the entity a person means (full IRI, prefixed name, label or synonym)."""
        ...

    def label(self, iri: str) -> str:
        """The display label of an IRI."""
        ...

    def sparql(
        self,
        query: str,
        *,
        max_rows: int | None = None,
        timeout_s: float | None = None,
        client: str | None = None,
        bindings: Mapping[str, Term] | None = None,
    ) -> QueryResult:
        """Run a user-written query through the guard, within the limits, as ``client``, with ``bindings``."""
        ...
