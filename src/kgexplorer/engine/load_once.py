"""Parse a person's files for a graph that will be queried: a query worker loads them while they are written.

:func:`parse_recipe` alone makes the first query wait for two loads one after the other: the parse worker
writes the N-Quads, then the query worker reads them. :func:`parse_for_queries` starts the pool's first query
worker when the parse worker starts and tells it each file's size once the parse worker reported that file
parsed (:mod:`kgexplorer.engine.growing_file`), so on two cores both run at once. Should the parse fail, that
worker, which never reached the end of the file and so never said ready, is stopped with its pool before the
error is raised (decision record: docs/decisions/load-once.md).
"""

from __future__ import annotations

from kgexplorer.settings import Settings

from .parse_worker import ParsedFiles, parse_recipe
from .query_workers import QueryWorkers
from .store import StoreRecipe

__all__ = ["parse_for_queries"]


def parse_for_queries(
    recipe: StoreRecipe, settings: Settings, start_query_worker: bool
) -> tuple[StoreRecipe, ParsedFiles | None, QueryWorkers | None]:
    """:func:`~kgexplorer.engine.parse_worker.parse_recipe`, and with ``start_query_worker`` the query workers
    whose first worker loaded the N-Quads as they were written (None when there was nothing to parse).

    Raises the parse's :class:`~kgexplorer.errors.GraphLoadError`, and then no worker or file is left.
    """
    pool: QueryWorkers | None = None

    def begin(parsed: StoreRecipe, growing: tuple[str, ...]) -> None:
        nonlocal pool
        pool = QueryWorkers(parsed, settings)
        pool.follow(growing)

    def written(path: str, size: int) -> None:
        if pool is not None:
            pool.written(path, size)

    try:
        if not start_query_worker:
            return (*parse_recipe(recipe, settings=settings), None)
        parsed_recipe, parsed = parse_recipe(recipe, settings=settings, begin=begin, written=written)
    except BaseException:
        if pool is not None:
            pool.close()  # kills the worker that read part of the files
        raise
    return parsed_recipe, parsed, pool
