"""The endpoint's access log: one line per HTTP request, written in batches.

An operator reads who asked for what and how it ended, as uvicorn's own access log showed it
(``INFO:     127.0.0.1:40522 - "GET /sparql?query=… HTTP/1.1" 200 OK``). uvicorn made each line a log
record, copied and formatted it and wrote it to standard output with a system call of its own: about 60 µs
of the front process's CPU per request, more than a cached answer costs (docs/decisions/endpoint-hot-path.md,
seventh pass). Here a line is one f-string, and the lines of the last ``flush_s`` seconds (or the last
``max_lines``) go out in one write. The request path and query are the client's bytes, shown with every
control or invisible character escaped (:func:`kgexplorer.control_chars.printable`) and ``"`` as ``%22``,
so a line never moves a terminal's cursor or ends early.

>>> import asyncio, io
>>> async def app(scope, receive, send):
...     await send({"type": "http.response.start", "status": 404, "headers": []})
...     await send({"type": "http.response.body", "body": b""})
>>> async def nothing(message): pass
>>> out = io.StringIO()
>>> logged = AccessLog(app, stream=out)
>>> scope = {"type": "http", "method": "GET", "raw_path": b"/x\\x1b[2J", "query_string": b"a=%1B",
...          "http_version": "1.1", "client": ("127.0.0.1", 40522)}
>>> asyncio.run(logged(scope, None, nothing))
>>> logged.flush()
>>> print(out.getvalue(), end="")
INFO:     127.0.0.1:40522 - "GET /x\\x1b[2J?a=%1B HTTP/1.1" 404 Not Found
"""

from __future__ import annotations

import asyncio
import contextlib
import http
import sys
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any, TextIO

from kgexplorer.control_chars import printable

__all__ = ["AccessLog"]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

_PHRASES = {status.value: f"{status.value} {status.phrase}" for status in http.HTTPStatus}


class AccessLog:
    """ASGI middleware around ``app`` that writes a line per HTTP request to ``stream`` (standard output).

    A request gets its line when it ends, if its response had started (a client that left before gets none,
    as with uvicorn, which wrote its line as the response started). Lines wait at most ``flush_s`` seconds, or
    until ``max_lines`` are waiting; :meth:`flush` writes them at once (the server calls it when it stops).
    """

    def __init__(
        self, app: ASGIApp, *, stream: TextIO | None = None, flush_s: float = 0.2, max_lines: int = 256
    ) -> None:
        self.app = app
        self.stream = stream
        self.flush_s = flush_s
        self.max_lines = max_lines
        self._lines: list[str] = []
        self._timer: asyncio.TimerHandle | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status = 0

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            if status:
                self._add(scope, status)

    def _add(self, scope: Scope, status: int) -> None:
        client = scope.get("client")
        who = f"{client[0]}:{client[1]}" if client else "-"
        path = scope.get("raw_path") or scope["path"].encode("utf-8")
        if scope["query_string"]:
            path = path + b"?" + scope["query_string"]
        shown = printable(path.decode("latin-1")).replace('"', "%22")
        phrase = _PHRASES.get(status) or str(status)
        self._lines.append(f'INFO:     {who} - "{scope["method"]} {shown} HTTP/{scope["http_version"]}" {phrase}\n')
        if len(self._lines) >= self.max_lines:
            self.flush()
        elif self._timer is None:
            self._timer = asyncio.get_running_loop().call_later(self.flush_s, self.flush)

    def flush(self) -> None:
        """Write the lines waiting, in one write."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if not self._lines:
            return
        text = "".join(self._lines)
        self._lines.clear()
        stream = self.stream or sys.stdout
        # Nobody reads a closed or broken standard output; the answers must not stop for it.
        with contextlib.suppress(OSError, ValueError):
            stream.write(text)
            stream.flush()
