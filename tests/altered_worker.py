"""The real query worker with a part taken away, for tests: ``--no-guard`` accepts every query unread (what a
guard that missed something would do); ``--no-sandbox`` reports the network sandbox off instead of installing
it (what a kernel that refuses seccomp would do).

Tests start it in place of ``python -m kgexplorer.engine.worker_main`` (by replacing
``kgexplorer.engine.query_workers._worker_command`` in the test process); it changes only its own process, then runs the
real worker: the same start, the same sandbox unless switched off, the same engine. Used by
tests/security/test_worker_sandbox.py, tests/test_server.py and tests/test_worker.py.
"""

from __future__ import annotations

import sys

from kgexplorer.engine import guard, sandbox, worker_main
from kgexplorer.engine.sandbox import SandboxStatus

#: What the worker reports when the test switches its sandbox off.
SWITCHED_OFF = SandboxStatus(False, "switched off by the test (tests/altered_worker.py --no-sandbox)")


def _unguarded(query: str | guard.QueryText, **_: object) -> guard.CheckedQuery:
    """Accept every query unread."""
    text = query.text if isinstance(query, guard.QueryText) else query
    return guard.CheckedQuery(text, "SELECT", guard._SEAL)


def main(argv: list[str]) -> None:
    if "--no-guard" in argv:
        guard.check_query = _unguarded  # type: ignore[assignment]
        guard.check_in_sandbox = lambda *_, **__: None  # type: ignore[assignment]  # the unguarded check decides
    if "--no-sandbox" in argv:
        sandbox.install_network_sandbox = lambda: SWITCHED_OFF
    worker_main.child_main()


if __name__ == "__main__":
    main(sys.argv[1:])
