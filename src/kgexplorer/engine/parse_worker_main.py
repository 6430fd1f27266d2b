"""What runs inside the parse worker process (``python -m kgexplorer.engine.parse_worker_main``).

The caller's side, the request and why files are parsed in a process of their own are
:mod:`kgexplorer.engine.parse_worker`. Here, in order, :func:`child_main` installs the network sandbox before
anything else (:func:`kgexplorer.engine.sandbox.install_network_sandbox`), asks to die with the process that
started it, says whether the sandbox is on, reads the request, caps its own address space (RLIMIT_AS, the
``parse_memory_mb`` setting) and streams each file into N-Quads (:func:`kgexplorer.engine.store.write_nquads`),
answering as JSON lines.

This module imports only what that side uses: the caller's side (subprocess, logging, temporary folders) took 10-15 ms
of the worker's start (docs/decisions/load-once.md, "Loading nothing").
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
from typing import Any

__all__ = ["child_main"]

_MIB = 1 << 20


def child_main() -> None:  # pragma: no cover - runs in the worker process (covered by the tests through it)
    from .sandbox import install_network_sandbox

    status = install_network_sandbox()  # first: before anything reads a file
    _end_with_parent()
    out = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)  # anything printed goes to stderr, never into the answers

    def say(**message: Any) -> None:
        out.write(json.dumps(message) + "\n")
        out.flush()

    say(sandbox=str(status), on=status.on)  # the caller sends the request while the rest is imported
    # Imported before the address space is capped, as the worker always did: the cap is for the files.
    import resource

    from kgexplorer.errors import GraphLoadError
    from kgexplorer.settings import Settings

    from .store import DataFile, write_nquads

    request = json.loads(sys.stdin.buffer.read())
    limit = int(request["memory_mb"]) * _MIB
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    settings = Settings(max_xml_depth=request["max_xml_depth"], max_xml_expansion=request["max_xml_expansion"])
    for index, item in enumerate(request["files"]):
        say(start=index)
        try:
            quads = write_nquads(
                DataFile(item["path"], item["format"]),
                item["target"],
                name=item["name"],
                settings=settings,
                max_decompressed_bytes=request["max_decompressed_bytes"],
                memory_note=f" (the parse_memory_mb setting: {request['memory_mb']} MiB)",
            )
        except GraphLoadError as exc:
            say(index=index, error=str(exc), line=exc.line, column=exc.column)
            if request["stop_at_first_error"]:
                return
        else:
            say(index=index, quads=quads)


def _end_with_parent() -> None:  # pragma: no cover - child side
    """Linux: be killed when the process that started this one dies (a killed load leaves no parser behind)."""
    if not sys.platform.startswith("linux"):
        return
    import ctypes
    import signal

    parent = os.getppid()
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG
    if os.getppid() != parent:  # the parent died before the request took effect
        os._exit(1)


def _end_now() -> None:  # pragma: no cover - child side
    """Exit at once: every answer and file is written and closed by now, and Python's own ending of the process
    (its modules and the engine's objects freed one by one) took 15 ms, which the caller waits for."""
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


if __name__ == "__main__":  # pragma: no cover
    child_main()
    _end_now()
