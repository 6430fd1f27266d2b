"""What a query worker's reply means for the caller: a typed result, or the error it stands for.

:mod:`kgexplorer.engine.query_workers` sends a worker a query and reads its reply (a tuple whose first item
says what it is, :mod:`kgexplorer.engine.worker_main`); these turn the reply, or the exit code of a worker that
died on a query, into a :class:`~kgexplorer.engine.results.QueryResult` or a typed
:class:`~kgexplorer.errors.QueryError` whose message names the limit and the fix. Each outcome is counted
(``count``: the scheduler's counts, for ``/metrics``).

>>> stopped(-9, memory_mb=512).__class__.__name__
'QueryTooLarge'
"""

from __future__ import annotations

import dataclasses
import signal
from collections.abc import Callable
from typing import Any

from kgexplorer.errors import (
    QueryError,
    QueryFailed,
    QueryNotAllowed,
    QuerySyntaxError,
    QueryTooLarge,
    ResultTooLarge,
)

from .packing import AnswerReader
from .results import GraphResult, QueryResult, SelectResult

__all__ = ["failure", "stopped", "typed_result"]


def stopped(code: int | None, *, memory_mb: int) -> QueryError:
    """The error for a worker that died while running a query: the query's doing, so a client error."""
    if code == -signal.SIGSEGV:
        return QueryTooLarge(
            "the query engine ran out of stack space on this query and was stopped (deeply nested "
            "expressions or paths do this). Simplify the query"
        )
    if code in (-signal.SIGKILL, -signal.SIGABRT):  # the kernel's OOM killer; Rust's abort on a failed allocation
        return QueryTooLarge(
            f"the query needed more memory than the query worker may use ({memory_mb} MiB, the "
            "worker_memory_mb setting) and was stopped. Make the query more selective (fewer "
            "rows to sort or group, shorter values), or raise the setting"
        )
    how = f"was stopped by signal {-code}" if code is not None and code < 0 else f"stopped (exit code {code})"
    return QueryFailed(
        f"the query worker {how} while running this query, which was not answered. Simplify the query, or try again"
    )


def typed_result(
    reply: Any,
    elapsed: float,
    max_rows: int,
    *,
    rows: AnswerReader,
    memory_mb: int,
    max_bytes: int,
    count: Callable[[str], None],
) -> QueryResult:
    """The typed result a reply carries (a SELECT's or CONSTRUCT's: what ``rows`` read as it streamed in), or raise
    the error it stands for."""
    kind = reply[0]
    if kind in ("rows_done", "triples_done"):
        try:
            result: QueryResult = (
                SelectResult(*rows.result(), reply[1], elapsed, max_rows)
                if kind == "rows_done"
                else GraphResult(rows.triples(), reply[1], elapsed, max_rows)
            )
        except (ValueError, TypeError, SyntaxError) as exc:  # TypeError: an RDF-star triple term
            count("failed")
            raise QueryFailed(f"the query failed: {exc}; check the query and try again") from None
        count("answered")
        return result
    if kind == "ok":
        count("answered")
        answered: QueryResult = reply[1]
        return dataclasses.replace(answered, elapsed_s=elapsed)
    raise failure(reply, memory_mb=memory_mb, max_bytes=max_bytes, count=count)


def failure(reply: Any, *, memory_mb: int, max_bytes: int, count: Callable[[str], None]) -> QueryError:
    """The error for a reply that is not a result (counted by kind)."""
    kind = reply[0]
    if kind == "too_large":
        count("too_large")
        return QueryTooLarge(
            f"the query needed more memory than the query worker may use ({memory_mb} MiB, the "
            "worker_memory_mb setting). Make the query more selective, or raise the setting"
        )
    if kind == "result_too_large":
        count("result_too_large")
        mb = max_bytes >> 20
        return ResultTooLarge(
            f"the answer is larger than {mb} MiB (the max_result_mb setting) and was not sent. Select fewer "
            "or shorter values (a LIMIT, SUBSTR of long texts), or raise the setting"
        )
    if kind == "syntax":
        count("syntax")
        return QuerySyntaxError(reply[1], line=reply[2], column=reply[3])
    if kind == "not_allowed":
        count("not_allowed")
        return QueryNotAllowed(reply[1])
    count("failed")
    if kind != "error":
        return QueryFailed(f"the query worker answered {kind!r}, which is not an answer; try again")
    return QueryFailed(str(reply[1]))
