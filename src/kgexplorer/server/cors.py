"""Cross-origin requests: which web pages on other origins may read the endpoint's answers (``--cors``).

Off by default: a browser then lets no page from another origin read an answer (the same-origin policy),
so a page someone visits cannot use a local endpoint behind their back. ``kgexplorer serve --cors ORIGIN``
(repeatable) names the origins whose pages may, such as a YASGUI page served elsewhere; ``*`` means any
page (only for an endpoint anyone may query anyway). A browser's preflight (``OPTIONS`` with
``Access-Control-Request-Method``) is answered for GET and POST with the headers SPARQL clients send.

>>> allowed_origins(["https://yasgui.example.org", "http://localhost:8080/"])
('https://yasgui.example.org', 'http://localhost:8080')
>>> allowed_origins(["yasgui.example.org"])
Traceback (most recent call last):
...
kgexplorer.errors.SettingError: --cors 'yasgui.example.org' is not an origin; ...
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from starlette.middleware.cors import CORSMiddleware

from kgexplorer.errors import SettingError

__all__ = ["allowed_origins", "cors_middleware"]

_ORIGIN = re.compile(r"^https?://(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(:\d{1,5})?$")
#: What a SPARQL client in a browser sends beyond the CORS-safelisted headers (YASGUI: Accept, Content-Type).
_HEADERS = ("Accept", "Content-Type", "X-Requested-With")


def allowed_origins(origins: Iterable[str]) -> tuple[str, ...]:
    """The origins as a browser sends them (scheme://host[:port], no trailing slash), checked; ``*`` for any.

    Raises :class:`~kgexplorer.errors.SettingError` for a value that is not an origin (a path, no scheme).
    """
    found: list[str] = []
    for raw in origins:
        origin = raw.strip().rstrip("/")
        if origin != "*" and not _ORIGIN.match(origin):
            raise SettingError(
                f"--cors {raw!r} is not an origin; give the scheme, host and port of the page that may read answers, "
                "such as --cors https://yasgui.example.org or --cors http://localhost:8080 (no path), or * for any page"
            )
        found.append(origin)
    return tuple(dict.fromkeys(found))


def cors_middleware(app: Any, origins: tuple[str, ...]) -> Any:
    """``app`` wrapped so that pages on ``origins`` may read its answers (preflight answered)."""
    return CORSMiddleware(
        app,
        allow_origins=list(origins),
        allow_methods=["GET", "POST"],
        allow_headers=list(_HEADERS),
        max_age=600,
    )
