"""The graph a long-running server answers from: an on-disk store's newest generation, switched at once.

A :class:`~kgexplorer.knowledge_graph.KnowledgeGraph` over an on-disk store reads the one generation
that was current when it opened (:mod:`kgexplorer.engine.disk_store`), in this process and in every query
worker, so all its answers come from one version of the data. When ``kgexplorer load`` replaces the store,
:class:`CurrentGraph` opens the new generation beside the old one, starts its query workers, and then
switches every new request to it in one step: the label index, statistics and any cache belong to the
graph of one generation, so nothing read from the old data is served with the new. The old graph answers
the requests that already have it and is closed after ``query_time_limit_s`` plus a minute (a graph it
was given is closed only with ``owned=True``; else its owner closes it), which lets the next tidy-up
delete its generation.

Other data (the bundled graph, files, an endpoint) never changes under a running server: the graph is
served as it is.

>>> from kgexplorer import KnowledgeGraph
>>> with CurrentGraph(KnowledgeGraph.bundled()) as graphs:
...     graphs.get().recipe.label
'bundled graph'
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from kgexplorer.engine.disk_store import current_name, tidy
from kgexplorer.errors import KgExplorerError
from kgexplorer.knowledge_graph import KnowledgeGraph

__all__ = ["CurrentGraph"]

_log = logging.getLogger(__name__)
_CHECK_EVERY_S = 0.2  # how often get() looks at the store's `current` link (one readlink)
_RETRY_AFTER_S = 5.0  # after a failed switch
_GRACE_S = 60.0  # added to query_time_limit_s before a replaced graph is closed


class CurrentGraph:
    """Hands out the graph of the store's current generation, starting from ``kg``.

    The graphs it opens are its own: it closes them when they are replaced and in :meth:`close`. ``kg``
    is closed the same way only when ``owned`` is True.

    ``warm`` prepares a new graph before requests reach it (default: start all its query workers);
    ``grace_s`` is how long a replaced graph stays open for the requests that have it (default: the
    ``query_time_limit_s`` setting plus a minute).
    """

    def __init__(
        self,
        kg: KnowledgeGraph,
        *,
        warm: Callable[[KnowledgeGraph], None] | None = None,
        grace_s: float | None = None,
        owned: bool = False,
    ) -> None:
        self._kg = kg
        self._owned: set[int] = {id(kg)} if owned else set()
        self._warm = warm or _start_workers
        self._grace_s = grace_s
        self._lock = threading.Lock()
        self._next_check = 0.0
        self._switching = False
        self._retired: list[tuple[float, KnowledgeGraph]] = []
        self._closed = False

    def get(self) -> KnowledgeGraph:
        """The graph to answer from now (after a load, the new generation's once it is ready)."""
        kg = self._kg
        generation = getattr(kg, "generation", None)  # a graph of a store has one; stand-ins may not
        now = time.monotonic()
        if generation is None or now < self._next_check or self._closed:
            return kg
        self._next_check = now + _CHECK_EVERY_S
        self._close_retired(now)
        name = current_name(generation.directory)
        if name is not None and name != generation.name:
            with self._lock:
                start, self._switching = not self._switching, True
            if start:
                threading.Thread(target=self._switch, args=(kg,), name="kgexplorer-store-switch", daemon=True).start()
        return kg

    def close(self) -> None:
        """Close the graphs it owns (the current one and those it replaced)."""
        self._closed = True
        with self._lock:
            graphs = [kg for _, kg in self._retired] + [self._kg]
            self._retired.clear()
        for kg in graphs:
            if id(kg) in self._owned:
                self._owned.discard(id(kg))
                kg.close()

    def __enter__(self) -> CurrentGraph:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _switch(self, old: KnowledgeGraph) -> None:
        assert old.generation is not None
        directory = old.generation.directory
        try:
            new = KnowledgeGraph.open_store(str(directory), settings=old.settings)
        except KgExplorerError as exc:
            _log.error("the store at %s was replaced, but the new one does not open: %s", directory, exc)
            self._next_check = time.monotonic() + _RETRY_AFTER_S
            self._switching = False
            return
        try:
            self._warm(new)
        except KgExplorerError as exc:  # the graph opened; its workers will start on first use
            _log.warning("the new generation of %s opened, but its query workers did not start: %s", directory, exc)
        for note in new.generation.notes if new.generation else ():
            _log.info("%s", note)
        with self._lock:
            if self._closed:
                new.close()
                return
            self._kg = new
            self._owned.add(id(new))
            grace = self._grace_s if self._grace_s is not None else old.settings.query_time_limit_s + _GRACE_S
            self._retired.append((time.monotonic() + grace, old))
            self._switching = False
        _log.info(
            "serving %s from %s now (was %s)",
            directory,
            new.generation.name if new.generation else "?",
            old.generation.name if old.generation else "?",
        )

    def _close_retired(self, now: float) -> None:
        with self._lock:
            due = [kg for when, kg in self._retired if when <= now]
            self._retired = [(when, kg) for when, kg in self._retired if when > now]
        for kg in due:
            if id(kg) not in self._owned:
                continue  # its owner closes it
            self._owned.discard(id(kg))
            kg.close()
            if kg.generation is not None:
                for note in tidy(kg.generation.directory):
                    _log.info("%s", note)


def _start_workers(kg: KnowledgeGraph) -> None:
    """Start the graph's query workers (as many queries at once make the pool start as many, up to the
    query_workers setting) and its search index."""
    size = kg.settings.query_workers
    with ThreadPoolExecutor(size) as warm:
        list(warm.map(lambda _: kg.sparql("ASK {}"), range(size)))
    kg.warm_up()
