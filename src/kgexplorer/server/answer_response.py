"""A query's answer sent to the client as the query worker wrote it (``kgexplorer serve``'s ``/sparql``)."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from starlette.responses import Response

from kgexplorer.engine.query_workers import Answer

__all__ = ["AnswerResponse"]

_log = logging.getLogger(__name__)


class AnswerResponse(Response):
    """An answer sent as the worker wrote it, one chunk at a time as the client takes them.

    The bytes are already whole (at most max_result_mb), so the status line can be honest. Each chunk is
    handed on only when the client has taken the one before (the server's flow control), and dropped
    once sent; a client that takes nothing for ``stall_s`` is disconnected, so a client that never reads
    holds one chunk in the server's send buffer, not its answer. The client's request ends (its
    client_queries count drops) when the answer is sent or dropped.
    """

    def __init__(self, answer: Answer, media_type: str, headers: dict[str, str], stall_s: float) -> None:
        self.answer = answer
        self.stall_s = stall_s
        self.status_code = 200
        self.media_type = media_type
        self.background = None
        self.body = b""
        self.init_headers({**headers, "Content-Length": str(answer.size)})

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        answer = self.answer
        try:
            await send({"type": "http.response.start", "status": 200, "headers": self.raw_headers})
            if scope.get("method") == "HEAD" or not answer.chunks:
                await send({"type": "http.response.body", "body": b"", "more_body": False})
                return
            answer.chunks.reverse()  # pop() from the end, dropping each chunk once it is handed on
            while answer.chunks:
                chunk = answer.chunks.pop()
                message = {"type": "http.response.body", "body": chunk, "more_body": bool(answer.chunks)}
                del chunk
                try:
                    async with asyncio.timeout(self.stall_s):  # a scope, not wait_for: no task per chunk
                        await send(message)
                except TimeoutError:
                    _log.warning(
                        "a client read nothing for %g s (client_stall_s); its answer was dropped", self.stall_s
                    )
                    return
        finally:
            answer.close()
