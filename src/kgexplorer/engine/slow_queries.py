"""Slow queries step aside: a long query gives its worker's place and the CPU to queries waiting behind it.

A graph has few query workers (``query_workers``, 3 by default) and a query may hold one for
``query_time_limit_s``. The scheduler already keeps a client from holding more than its share, but two
clients with long queries still held two of the three workers, and their processes took two thirds of the
CPU from everyone else's short queries. So, when a query has run ``slow_query_s`` seconds and a query of
another client waits in line that could run on its place:

* the query's worker process drops to the lowest CPU priority (nice 19, :func:`lower`): it keeps running, on
  what CPU the others leave;
* only if that worked does its slot step aside (:meth:`Slot.step_aside
  <kgexplorer.engine.scheduler.Slot.step_aside>`): the scheduler gives the place to the waiting query, and the pool
  starts a worker for it if none is idle. At most ``slow_query_workers`` queries are aside at once; the client
  still holds its share, so it cannot start more queries by being slow.
* When the query ends, its worker's priority goes back to normal (:func:`restore`). Linux lets only a
  privileged process raise a priority again (RLIMIT_NICE is 0 by default), so usually the worker is retired
  instead: its process ends, and a fresh one starts when one is needed.

A query checks again every ``slow_query_s`` while it runs, so a long query alone on the machine keeps its
priority and its worker (nothing waits), and steps aside only once someone does.

Linux shares the CPU first between sessions (autogroup scheduling), then between the processes of a session
by their priority; a worker started in a session of its own would be its own group, and lowering its priority
would change nothing. So the pool starts its workers in a process group of their own (a signal to the app's
group does not reach them) but in the caller's session (:class:`~kgexplorer.engine.worker_process.WorkerProcess`).
"""

from __future__ import annotations

import os

__all__ = ["LOWEST", "lower", "restore"]

#: The priority a query that stepped aside runs at (the kernel's lowest).
LOWEST = 19


def lower(pid: int) -> bool:
    """Give process ``pid`` (its main thread, where a worker runs its queries) the lowest CPU priority; whether
    the kernel agreed.

    >>> lower(2**22 + 1)  # no such process
    False
    """
    try:
        os.setpriority(os.PRIO_PROCESS, pid, LOWEST)
    except OSError:
        return False
    return True


def restore(pid: int) -> bool:
    """Give process ``pid`` its normal priority (nice 0) back; False where the kernel refuses (an unprivileged
    process may only lower priorities), and the caller then retires the process."""
    try:
        os.setpriority(os.PRIO_PROCESS, pid, 0)
    except OSError:
        return False
    return True
