"""Who gets a query worker next: per-client shares, a line with a time limit, and counts of every refusal.

A graph's query workers are few (``query_workers``, at least 3) and a query may hold one for
``query_time_limit_s``. Without rules, two clients sending runaway queries held every worker and everyone
else waited without limit. The :class:`Scheduler` decides, for every query, when it may take a worker:

* **A client** is whoever sends the query: the endpoint's client address (kgexplorer.server.endpoint), an app
  session (kgexplorer.ui), or ``None``, the program that owns the graph (the library and the CLI).
* **Its share.** A client holds at most ``client_query_workers`` workers at once, and never all of them
  (at most ``query_workers - 1``), so no client can starve the others. ``None`` may use them all.
* **Its requests.** A client has at most ``client_queries`` requests in progress (from arrival until its
  answer is sent); one more is refused at once with :class:`~kgexplorer.errors.TooManyQueries` (429).
* **The line.** A query that cannot take a worker waits in line, at most ``max_queue_wait_s``. A freed
  worker goes to the waiting query whose client holds the fewest workers, then to the one that came
  first. A query still waiting at the limit is refused: :class:`~kgexplorer.errors.ServerBusy` (503)
  when other clients held the workers, :class:`~kgexplorer.errors.TooManyQueries` (429) when its own
  client's queries did. Either says when to retry: when the soonest running query must end.

Waiting never holds a thread of the endpoint: :meth:`Visit.acquire_async` waits in the event loop, and
:meth:`Visit.acquire` blocks the calling thread (the library, the app). Every decision is counted
(:meth:`Scheduler.counts`).

>>> from kgexplorer.settings import Settings
>>> s = Scheduler(Settings(client_queries=1))
>>> with s.visit("203.0.113.7") as visit:
...     slot = visit.acquire()
...     try:
...         s.visit("203.0.113.7")
...     except TooManyQueries as refused:
...         print(refused.setting)
...     slot.release()
client_queries
"""

from __future__ import annotations

import itertools
import math
import threading
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

from kgexplorer.errors import QueryError, QueryRefused, ServerBusy, TooManyQueries

__all__ = ["Scheduler", "Slot", "Visit"]

Client = str | None


class _Client:
    """What one client holds: its requests in progress and its workers."""

    __slots__ = ("requests", "running")

    def __init__(self) -> None:
        self.requests = 0
        self.running = 0


class Slot:
    """The right to use one query worker; :meth:`release` gives it back (once)."""

    def __init__(self, scheduler: Scheduler, client: Client, deadline: float) -> None:
        self._scheduler = scheduler
        self.client = client
        #: When the query on this worker must end at the latest (time.monotonic()); tells waiters when to retry.
        self.deadline = deadline
        self._released = False
        #: Whether the query stepped aside (:meth:`step_aside`): its place went to another query.
        self.aside = False

    def release(self) -> None:
        """Give the worker back; the next query in line gets it."""
        self._scheduler._release(self)

    def step_aside(self, lower: Callable[[], bool]) -> bool:
        """A slow query gives its place to a waiting query (kgexplorer.engine.slow_queries), if one of another
        client could take it and fewer than ``slow_query_workers`` are aside, and if ``lower`` (lowering its
        worker's priority) succeeds. Whether it stepped aside; the client still holds its share."""
        return self._scheduler._step_aside(self, lower)


class _Waiter:
    __slots__ = ("client", "event", "seq", "slot", "wake")

    def __init__(self, client: Client, seq: int, wake: Callable[[], None] | None) -> None:
        self.client = client
        self.seq = seq
        self.wake = wake
        self.slot: Slot | None = None
        #: What a blocking :meth:`Visit.acquire` waits on, made only when no worker was free at once.
        self.event: threading.Event | None = None


class Visit:
    """One request of one client, from arrival until its answer is sent; :meth:`leave` ends it (once).

    While a visit lasts it counts against the client's ``client_queries``. A visit takes a worker with
    :meth:`acquire` (or :meth:`acquire_async`) for each query it runs.
    """

    def __init__(self, scheduler: Scheduler, client: Client) -> None:
        self._scheduler = scheduler
        self.client = client
        self._left = False

    def acquire(self, *, deadline_s: float | None = None) -> Slot:
        """Wait in line (blocking this thread) for a worker; raise :class:`QueryRefused` at the wait limit.

        ``deadline_s`` is how long the query may then run (for the Retry-After others are told).
        """
        waiter = self._scheduler._enqueue(self.client, None)
        if waiter.event is not None:
            waiter.event.wait(self._scheduler.max_wait_s)
        return self._scheduler._finish_wait(waiter, deadline_s)

    async def acquire_async(self, *, deadline_s: float | None = None) -> Slot:
        """Like :meth:`acquire`, but waits in the running asyncio event loop, holding no thread."""
        import asyncio  # only here: the query workers import this module and never wait in a loop

        loop = asyncio.get_running_loop()
        granted = loop.create_future()

        def wake() -> None:  # called by whichever thread frees a worker, under the scheduler's lock
            loop.call_soon_threadsafe(_resolve, granted)

        waiter = self._scheduler._enqueue(self.client, wake)
        if waiter.slot is None:
            try:
                await asyncio.wait_for(asyncio.shield(granted), self._scheduler.max_wait_s)
            except TimeoutError:
                pass
            except BaseException:  # cancelled (the client went away): leave the line, or give back what came
                self._scheduler._abandon(waiter)
                raise
        return self._scheduler._finish_wait(waiter, deadline_s)

    def leave(self) -> None:
        """End the request: it no longer counts against the client."""
        self._scheduler._leave(self)

    def __enter__(self) -> Visit:
        return self

    def __exit__(self, *exc: object) -> None:
        self.leave()


def _resolve(future: Any) -> None:
    if not future.done():
        future.set_result(None)


class Scheduler:
    """The rules above for one pool of ``query_workers`` workers, with the limits of ``settings``."""

    def __init__(self, settings: Any) -> None:
        self.size = int(settings.query_workers)
        self.share = max(1, min(int(settings.client_query_workers), self.size - 1))
        self.max_requests = int(settings.client_queries)
        self.max_wait_s = float(settings.max_queue_wait_s)
        self.default_run_s = float(settings.query_time_limit_s)
        #: Most slots stepped aside at once (kgexplorer.engine.slow_queries); 0 when slow_query_s is 0.
        self.aside_max = int(settings.slow_query_workers) if float(settings.slow_query_s) > 0 else 0
        self._lock = threading.Lock()
        self._free = self.size
        self._aside = 0
        self._clients: dict[Client, _Client] = {}
        self._line: list[_Waiter] = []
        self._slots: set[Slot] = set()
        self._seq = itertools.count()
        self._counts: Counter[str] = Counter()

    # ------------------------------------------------------------------ public

    def visit(self, client: Client) -> Visit:
        """Start a request of ``client``; raise :class:`TooManyQueries` if it already has ``client_queries``."""
        with self._lock:
            holder = self._clients.get(client)
            if holder is None:
                holder = self._clients[client] = _Client()
            if client is not None and holder.requests >= self.max_requests:
                self._counts["refused_client_queries"] += 1
                retry = self._retry_after(client, own=True)
                self._forget_if_idle(client, holder)
                raise TooManyQueries(
                    f"this client already has {holder.requests} requests in progress, as many as one client may "
                    f"(the client_queries setting); wait for an answer, then send the next query (retry after "
                    f"{retry:g} s)",
                    retry_after_s=retry,
                    setting="client_queries",
                )
            holder.requests += 1
            self._counts["visits"] += 1
        return Visit(self, client)

    def counts(self) -> dict[str, int]:
        """How many requests came, and how many were refused and why (for logs and ``/metrics``)."""
        with self._lock:
            counts = dict(self._counts)
            counts["workers_busy"] = self.size - self._free
            counts["queries_aside"] = self._aside
            counts["queries_waiting"] = len(self._line)
            counts["clients"] = sum(1 for c in self._clients if c is not None)
        return counts

    def count(self, outcome: str) -> None:
        """Count one outcome of a query (``answered``, ``timeout``, ``too_large`` …) beside the refusals."""
        with self._lock:
            self._counts[outcome] += 1

    # ------------------------------------------------------------------ the line

    def _share(self, client: Client) -> int:
        return self.size if client is None else self.share

    def _eligible(self, waiter: _Waiter) -> bool:
        holder = self._clients[waiter.client]
        return holder.running < self._share(waiter.client)

    def _enqueue(self, client: Client, wake: Callable[[], None] | None) -> _Waiter:
        """Put a waiter in line and give out free workers. ``wake`` is called (lock held) when it gets one later;
        None: a blocking wait, given an event to wait on only if no worker came at once (most queries of a program
        or an app page find one free, and an event costs more than the rest of this)."""
        with self._lock:
            if client not in self._clients:  # a visit always registers its client first
                raise QueryError("a query must be part of a visit; call Scheduler.visit() first")
            waiter = _Waiter(client, next(self._seq), wake)
            self._line.append(waiter)
            self._dispatch()
            if waiter.slot is None and wake is None:
                waiter.event = threading.Event()
                waiter.wake = waiter.event.set
            return waiter

    def _dispatch(self) -> None:
        """Give free workers to eligible waiters: fewest workers held first, then first come (lock held)."""
        while self._free > 0 and self._line:
            if len(self._line) == 1:  # the usual case (one query in line): no list to make, nothing to compare
                chosen = self._line[0]
                if not self._eligible(chosen):
                    return
            else:
                eligible = [w for w in self._line if self._eligible(w)]
                if not eligible:
                    return
                chosen = min(eligible, key=lambda w: (self._clients[w.client].running, w.seq))
            self._line.remove(chosen)
            self._free -= 1
            self._clients[chosen.client].running += 1
            chosen.slot = Slot(self, chosen.client, time.monotonic() + self.default_run_s)
            self._slots.add(chosen.slot)
            if chosen.wake is not None:  # None: the waiter is being put in line and sees its slot at once
                chosen.wake()

    def _finish_wait(self, waiter: _Waiter, deadline_s: float | None) -> Slot:
        with self._lock:
            slot = waiter.slot
            if slot is None:  # still in line at the wait limit
                self._line.remove(waiter)
                raise self._refusal(waiter.client)
            if deadline_s is not None:
                slot.deadline = time.monotonic() + deadline_s
            return slot

    def _abandon(self, waiter: _Waiter) -> None:
        with self._lock:
            if waiter.slot is None:
                if waiter in self._line:
                    self._line.remove(waiter)
                return
        waiter.slot.release()

    def _refusal(self, client: Client) -> QueryRefused:
        holder = self._clients[client]
        if client is not None and holder.running >= self.share:
            self._counts["refused_client_share"] += 1
            retry = self._retry_after(client, own=True)
            return TooManyQueries(
                f"this client's own queries held its {self.share} query worker{'s' * (self.share != 1)} (the "
                f"client_query_workers setting) for the {self.max_wait_s:g} s a query may wait (max_queue_wait_s); "
                f"send one query at a time, or retry after {retry:g} s",
                retry_after_s=retry,
                setting="client_query_workers",
            )
        self._counts["refused_busy"] += 1
        retry = self._retry_after(client, own=False)
        return ServerBusy(
            f"every query worker was busy with other queries for the {self.max_wait_s:g} s a query may wait "
            f"(the max_queue_wait_s setting); retry after {retry:g} s",
            retry_after_s=retry,
            setting="max_queue_wait_s",
        )

    def _retry_after(self, client: Client, *, own: bool) -> float:
        """Whole seconds (at least 1) until the soonest worker must be free: one of the client's own, or any."""
        now = time.monotonic()
        ends = [s.deadline for s in self._slots if not own or s.client == client]
        soonest = min(ends, default=now + 1)
        return float(max(1, math.ceil(soonest - now)))

    # ------------------------------------------------------------------ giving back

    def _step_aside(self, slot: Slot, lower: Callable[[], bool]) -> bool:
        with self._lock:
            if slot._released or slot.aside or self._aside >= self.aside_max:
                return False
            # Only a waiting query of another client gains from the place (the slow query's client keeps its share).
            if not any(w.client != slot.client and self._eligible(w) for w in self._line) or not lower():
                return False
            slot.aside = True
            self._aside += 1
            self._free += 1
            self._counts["stepped_aside"] += 1
            self._dispatch()
            return True

    def _release(self, slot: Slot) -> None:
        with self._lock:
            if slot._released:
                return
            slot._released = True
            self._slots.discard(slot)
            if slot.aside:  # its place was given away when it stepped aside
                self._aside -= 1
            else:
                self._free += 1
            holder = self._clients[slot.client]
            holder.running -= 1
            self._forget_if_idle(slot.client, holder)
            self._dispatch()

    def _leave(self, visit: Visit) -> None:
        with self._lock:
            if visit._left:
                return
            visit._left = True
            holder = self._clients[visit.client]
            holder.requests -= 1
            self._forget_if_idle(visit.client, holder)

    def _forget_if_idle(self, client: Client, holder: _Client) -> None:
        """Drop a client that holds nothing, so the table stays as small as the clients in progress."""
        if holder.requests <= 0 and holder.running <= 0:
            self._clients.pop(client, None)
