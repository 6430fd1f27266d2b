"""A query worker without its guard, and with ``--no-sandbox`` without its network sandbox too: for the tests
that prove the sandbox alone stops a query the guard would have refused (tests/security/test_worker_sandbox.py).

The tests start it in place of ``python -m kgexplorer.worker`` (``kgexplorer.worker._worker_command``); it
replaces the guard in its own process only, then runs the real worker: the same start, the same sandbox
(unless switched off), the same engine.
"""

from __future__ import annotations

import sys

from kgexplorer import guard, sandbox, worker
from kgexplorer.sandbox import SandboxStatus

#: What the worker reports when the test switches its sandbox off.
SWITCHED_OFF = SandboxStatus(False, "switched off by the test (tests/unguarded_worker.py --no-sandbox)")


def _unguarded(query: str | guard.QueryText, **_: object) -> guard.CheckedQuery:
    """Accept every query unread: what a guard that missed something would do."""
    text = query.text if isinstance(query, guard.QueryText) else query
    return guard.CheckedQuery(text, "SELECT", guard._SEAL)


def main(argv: list[str]) -> None:
    guard.check_query = _unguarded  # type: ignore[assignment]
    if "--no-sandbox" in argv:
        sandbox.install_network_sandbox = lambda: SWITCHED_OFF
    worker._child_main()


if __name__ == "__main__":
    main(sys.argv[1:])
