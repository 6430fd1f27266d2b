"""A free TCP port on 127.0.0.1, for the benchmark servers (the benchmarks do not import the tests)."""

from __future__ import annotations

import socket

__all__ = ["free_port"]


def free_port() -> int:
    """An unused TCP port on 127.0.0.1 (bound, read, closed)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port
