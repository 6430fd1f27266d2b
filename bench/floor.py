"""The Python floor of the endpoint benchmark: a bare Starlette route returning fixed bytes.

``python -m bench.floor --port P --media-type T --body NEEDLE=FILE …``: ``GET /sparql?query=…`` answers the
bytes of the first FILE whose NEEDLE the query text contains (an empty NEEDLE matches every query), served by
uvicorn with the settings ``kgexplorer serve`` uses (``log_level="info"``, no server header, no proxy headers,
uvicorn's access log off and kgexplorer's own, :class:`kgexplorer.server.access_log.AccessLog`, around the app).
It does no work a SPARQL endpoint could skip except reading the query parameter: what any Python endpoint on
this stack costs per request (bench/endpoint.py).
"""

from __future__ import annotations

import argparse
from pathlib import Path

__all__ = ["main"]


def main(argv: list[str] | None = None) -> None:
    import uvicorn
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import Route

    from kgexplorer.server.access_log import AccessLog

    parser = argparse.ArgumentParser(prog="python -m bench.floor")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--media-type", required=True)
    parser.add_argument("--body", action="append", default=[], help="NEEDLE=FILE")
    args = parser.parse_args(argv)
    bodies = [(needle, Path(path).read_bytes()) for needle, path in (b.split("=", 1) for b in args.body)]
    media_type = args.media_type

    async def sparql(request: Request) -> Response:
        query = request.query_params.get("query", "")
        body = next((b for needle, b in bodies if needle in query), b"")
        return Response(body, media_type=media_type)

    app = AccessLog(Starlette(routes=[Route("/sparql", sparql, methods=["GET"])]))
    uvicorn.run(
        app,
        host="127.0.0.1",
        port=args.port,
        log_level="info",
        server_header=False,
        proxy_headers=False,
        access_log=False,
    )
    app.flush()


if __name__ == "__main__":
    main()
