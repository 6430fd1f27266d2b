"""The endpoint's access log: a line per request as the client sent it, escaped, written in batches."""

from __future__ import annotations

import asyncio
import io
from typing import Any

import pytest
from starlette.testclient import TestClient

from kgexplorer import KnowledgeGraph
from kgexplorer.control_chars import is_unsafe
from kgexplorer.server.access_log import AccessLog
from kgexplorer.server.endpoint import create_app, host_names

ASK = "ASK { kg:ketamine a kgx:Substance }"


def _scope(path: bytes = b"/sparql", query: bytes = b"", client: Any = ("127.0.0.1", 5000)) -> dict[str, Any]:
    return {
        "type": "http",
        "method": "GET",
        "path": path.decode("latin-1"),
        "raw_path": path,
        "query_string": query,
        "http_version": "1.1",
        "client": client,
    }


def _answering(status: int) -> Any:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": status, "headers": []})
        await send({"type": "http.response.body", "body": b"x"})

    return app


async def _sent(message: Any) -> None:
    pass


def test_every_request_of_the_real_app_gets_one_line(kg: KnowledgeGraph) -> None:
    out = io.StringIO()
    app = AccessLog(create_app(kg, allowed_hosts=host_names("127.0.0.1", "")), stream=out)
    with TestClient(app, base_url="http://127.0.0.1") as client:
        assert client.get("/sparql", params={"query": ASK}).status_code == 200
        assert client.get("/nowhere").status_code == 404
        assert client.get("/sparql", headers={"Host": "evil.example"}).status_code == 400
    app.flush()
    lines = out.getvalue().splitlines()
    assert len(lines) == 3, lines
    assert lines[0].startswith('INFO:     testclient:50000 - "GET /sparql?query=ASK+%7B+kg%3Aketamine')
    assert lines[0].endswith(' HTTP/1.1" 200 OK')
    assert lines[1] == 'INFO:     testclient:50000 - "GET /nowhere HTTP/1.1" 404 Not Found'
    assert lines[2].endswith('"GET /sparql HTTP/1.1" 400 Bad Request')


def test_control_characters_and_quotes_from_the_client_never_reach_the_line_raw() -> None:
    out = io.StringIO()
    log = AccessLog(_answering(200), stream=out)
    path = '/a\x1b]0;pwned\x07"b\u202e'.encode()
    asyncio.run(log(_scope(path, b"q=\x9b2J\x00"), _sent, _sent))  # type: ignore[arg-type]
    log.flush()
    line = out.getvalue()
    assert [c for c in line.rstrip("\n") if is_unsafe(c)] == []
    assert "\\x1b]0;pwned\\x07%22b" in line
    assert "q=\\x9b2J\\x00" in line
    assert line.count('"') == 2  # the request line's own quotes: the client's became %22


def test_lines_wait_for_the_timer_or_a_full_batch() -> None:
    out = io.StringIO()

    async def requests(log: AccessLog, n: int) -> str:
        for _ in range(n):
            await log(_scope(), _sent, _sent)  # type: ignore[arg-type]
        before = out.getvalue()
        await asyncio.sleep(log.flush_s * 3)
        return before

    log = AccessLog(_answering(204), stream=out, flush_s=0.05, max_lines=3)
    assert asyncio.run(requests(log, 2)) == ""  # two lines wait for the timer ...
    assert out.getvalue().count("204 No Content") == 2  # ... which wrote them
    out.truncate(0)
    out.seek(0)
    before = asyncio.run(requests(log, 4))
    assert before.count("\n") == 3  # the third line filled the batch: written at once, the fourth waited
    assert out.getvalue().count("\n") == 4


def test_no_line_for_a_request_that_never_got_a_response_and_its_error_goes_on() -> None:
    out = io.StringIO()

    async def failing(scope: Any, receive: Any, send: Any) -> None:
        raise RuntimeError("boom")

    log = AccessLog(failing, stream=out)
    with pytest.raises(RuntimeError, match="boom"):
        asyncio.run(log(_scope(), _sent, _sent))  # type: ignore[arg-type]
    log.flush()
    assert out.getvalue() == ""


def test_lifespan_passes_through_without_a_line() -> None:
    out = io.StringIO()
    seen: list[str] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        seen.append(scope["type"])

    log = AccessLog(app, stream=out)
    asyncio.run(log({"type": "lifespan"}, _sent, _sent))  # type: ignore[arg-type]
    log.flush()
    assert seen == ["lifespan"]
    assert out.getvalue() == ""


def test_a_closed_output_does_not_stop_the_answers() -> None:
    out = io.StringIO()
    log = AccessLog(_answering(200), stream=out)
    asyncio.run(log(_scope(), _sent, _sent))  # type: ignore[arg-type]
    out.close()
    log.flush()  # nothing to write to: the lines are dropped, no error
    asyncio.run(log(_scope(), _sent, _sent))  # type: ignore[arg-type]


def test_serve_writes_the_last_lines_when_it_stops(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A line still waiting for its batch when the server stops is written, not lost."""
    import uvicorn

    from kgexplorer.server.endpoint import serve

    def run(app: Any, **options: Any) -> None:
        assert options["access_log"] is False  # uvicorn's own line would come twice
        scope = {**_scope(b"/service-description"), "client": ("10.0.0.7", 1234)}
        scope.update(headers=[(b"host", b"127.0.0.1:7878")], scheme="http", server=("127.0.0.1", 7878))

        async def receive() -> Any:
            return {"type": "http.request", "body": b"", "more_body": False}

        async def one_request() -> None:
            await app(scope, receive, _sent)

        asyncio.run(one_request())
        assert "10.0.0.7" not in capsys.readouterr().out  # still waiting for its batch

    monkeypatch.setattr(uvicorn, "run", run)
    with KnowledgeGraph.bundled() as kg:
        serve(kg, port=7878)
    out = capsys.readouterr().out
    assert 'INFO:     10.0.0.7:1234 - "GET /service-description HTTP/1.1" 200 OK' in out, out
