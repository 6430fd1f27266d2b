"""A loopback HTTP server for tests: it records every request it receives and answers each with ``respond``.

Tests that must prove kgexplorer sends nothing (or exactly what it should) point it at one of these.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

__all__ = ["NO_ROWS", "Answer", "CountingEndpoint", "Listener", "free_port"]


def free_port() -> int:
    """An unused TCP port on 127.0.0.1 (bound, read, closed: nothing listens there until a test starts a server)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


#: An answer: (status, content type, body).
Answer = tuple[int, str, bytes]


class Listener:
    """A 127.0.0.1 HTTP server in a thread. ``received`` lists each request as ``"METHOD /path"``;
    ``respond(path)`` gives the answer (by default an empty 200)."""

    def __init__(self, respond: Callable[[str], Answer] = lambda path: (200, "text/plain", b"")) -> None:
        self.received: list[str] = []
        listener = self

        class Handler(BaseHTTPRequestHandler):
            def _record(self) -> None:
                listener.received.append(f"{self.command} {self.path}")
                length = int(self.headers.get("Content-Length") or 0)
                if length:
                    self.rfile.read(length)
                status, content_type, body = respond(self.path)
                self.send_response(status)
                if body:
                    self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = do_HEAD = do_PUT = do_DELETE = do_OPTIONS = _record  # noqa: N815

            def log_message(self, format: str, *args: object) -> None:  # quiet test output
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=10)


#: A SPARQL JSON answer with no rows.
NO_ROWS = b'{"head":{"vars":["s"]},"results":{"bindings":[]}}'


class CountingEndpoint(Listener):
    """A SPARQL endpoint stub: ``url`` is its query address, ``requests`` how many requests reached it, and
    every request gets ``answer`` (by default no rows)."""

    def __init__(self, answer: Answer = (200, "application/sparql-results+json", NO_ROWS)) -> None:
        super().__init__(lambda path: answer)
        self.url = self.base + "/query"

    @property
    def requests(self) -> int:
        return len(self.received)
