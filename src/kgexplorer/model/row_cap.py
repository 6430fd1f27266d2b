"""A row cap on the library's own template queries, enforced in one place, that remembers what it cut.

The model's views read rows through a :class:`RowCap`: the entity card with the ``max_card_rows`` setting, the
neighbourhood and path views with ``max_neighbour_rows``. A query that reaches the cap is cut, and ``cut``
names whose rows it was (an entity IRI, or ``""``), so the result can say so instead of showing low counts.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from kgexplorer.engine.backend import Backend
from kgexplorer.terms import Term

__all__ = ["RowCap"]


class RowCap:
    """Reads template queries over ``backend`` at most ``max_rows`` rows each; ``cut`` collects whose were cut."""

    def __init__(self, backend: Backend, max_rows: int) -> None:
        self.backend = backend
        self.max_rows = max_rows
        self.cut: set[str] = set()

    def select(
        self, query: str, *, values: Mapping[str, Term | Sequence[Term]], whose: str = ""
    ) -> tuple[tuple[Term | None, ...], ...]:
        """The rows of ``query``; when the cap cut them, ``whose`` joins :attr:`cut`."""
        result = self.backend.select(query, values=values, max_rows=self.max_rows)
        if result.truncated:
            self.cut.add(whose)
        return result.rows
