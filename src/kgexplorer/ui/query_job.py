"""A workbench query that outlives the script run that asked for it.

Streamlit stops a running script when a new rerun request arrives and, with fast reruns (``runner.fastReruns``,
on by default), starts the next run at once in a new thread. The old thread cannot be stopped inside a long call:
it finishes its query, holding the session's query worker, and only then notices that it was stopped. A next run
that started the same query again waited in line behind it, and was refused (TooManyQueries) once the first one
had taken longer than ``max_queue_wait_s``; the person saw an error for a query that was fine. The editor hands its
text over when it loses the focus, so one click elsewhere while a query runs was enough
(docs/decisions/workbench-runs.md).

So a run does not run the query itself: it keeps a :class:`QueryJob` in the session, starts it (a thread of its
own, which touches no Streamlit state) and waits for its :class:`~kgexplorer.ui.workbench.Outcome`. The run that
replaces a stopped one finds the same job and waits for it instead of starting the query again. A job for
another text starts only once the one before it has ended (``after``): a session never has two queries of its
own in line, and never waits for itself.

>>> from kgexplorer import KnowledgeGraph
>>> with KnowledgeGraph.bundled() as kg:
...     job = QueryJob("SELECT ?s WHERE { ?s a kgx:Substance } LIMIT 2").start(kg)
...     outcome = job.outcome()
>>> job.serves("SELECT ?s WHERE { ?s a kgx:Substance } LIMIT 2"), len(outcome.table.rows), outcome.error
(True, 2, None)
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import TYPE_CHECKING

from kgexplorer.errors import KgExplorerError
from kgexplorer.terms import Term
from kgexplorer.views.result_views import result_table

from .workbench import Outcome, run_query

if TYPE_CHECKING:
    from kgexplorer.knowledge_graph import KnowledgeGraph

__all__ = ["QueryJob"]


class QueryJob:
    """One run of a query in a thread of its own: :meth:`start` it, then :meth:`outcome` waits for the answer
    (or the error that a reader should see), from any thread, as often as asked."""

    def __init__(self, text: str, values: Mapping[str, Term] | None = None) -> None:
        self.text = text
        self.values = dict(values or {})
        self.stored = False  # the page has shown and kept this job's outcome: a new request needs a new job
        self._done = threading.Event()
        self._outcome: Outcome | None = None
        self._fault: BaseException | None = None
        self._started = False

    def start(self, kg: KnowledgeGraph, *, client: str | None = None, after: QueryJob | None = None) -> QueryJob:
        """Start running the text as :func:`~kgexplorer.ui.workbench.run_query` does (as ``client``) once the job
        ``after`` (the session's previous one, perhaps still running) has ended; returns this job.

        Separate from creating the job so a page can keep the job in its session first: Streamlit may stop a run
        at any session-state access, and a job started but never kept would run beside the next one."""
        if self._started:
            raise RuntimeError("a QueryJob runs once; make a new one to run the query again")
        self._started = True
        threading.Thread(target=self._work, args=(kg, client, after), name="kgexplorer-query", daemon=True).start()
        return self

    def serves(self, text: str, values: Mapping[str, Term] | None = None) -> bool:
        """Whether this job answers a request for ``text`` with ``values`` that was not answered yet (a job that
        ended in a fault of ours answers none: asking again runs the query again)."""
        return not self.stored and self._fault is None and self.text == text and self.values == dict(values or {})

    @property
    def done(self) -> bool:
        """Whether the query has ended (with an answer or an error)."""
        return self._done.is_set()

    def outcome(self) -> Outcome:
        """Wait for the query to end; its answer, or the :class:`~kgexplorer.errors.KgExplorerError` it raised as
        an :class:`Outcome`. Any other exception (a fault of ours) is raised again here. The wait is bounded by
        the query's own time limit (``query_time_limit_s``), which the query workers enforce."""
        self._done.wait()
        if self._fault is not None:
            raise self._fault
        assert self._outcome is not None  # set before _done
        return self._outcome

    def _work(self, kg: KnowledgeGraph, client: str | None, after: QueryJob | None) -> None:
        try:
            if after is not None:
                after._done.wait()
            run = run_query(kg, self.text, values=self.values or None, client=client)
            self._outcome = Outcome(self.text, run, result_table(kg, run.result))
        except KgExplorerError as exc:
            self._outcome = Outcome(self.text, error=exc)
        except BaseException as exc:  # handed to the waiting run, which shows it; a thread has no one else to tell
            self._fault = exc
        finally:
            self._done.set()
