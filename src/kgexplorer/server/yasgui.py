"""The query page at the endpoint's root: YASGUI, shipped inside the package, served from this server only.

YASGUI (the Zazuko build, MIT) is not our code, so it is never committed: it is two rows of the package's
one asset table (``assets/shipped.toml``), and the build hook copies ``yasgui.min.js`` and ``yasgui.min.css``
from its npm package into the package, checks their pinned hashes and writes the licence notice beside them
(its package.json states MIT; the package has no licence file). An installed kgexplorer only reads them,
through :func:`kgexplorer._assets.asset_file`. The page loads only those files and our own
``static/yasgui-init.js``, which points YASGUI at ``/sparql`` and switches off every lookup that would leave
the server (prefix.cc, LOV suggestions, the link shortener, the endpoint catalogue). Its
Content-Security-Policy allows scripts, styles and connections to this origin only. The gallery's questions
are listed under it as examples (a link opens the question in the editor). When an install lacks the files
(built without the hook, or altered), ``/`` is the plain form page (``/form``) and the log says why, once.
"""

from __future__ import annotations

import html
import logging
import urllib.parse
from collections.abc import Callable
from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, Response

from kgexplorer._assets import asset_file, shipped_assets
from kgexplorer.engine.bindings import with_trailing_values
from kgexplorer.errors import NotInstalled
from kgexplorer.model.gallery import load_gallery

from .protocol import SECURITY_HEADERS, Refusal

__all__ = ["YASGUI_ASSETS", "root_page", "yasgui_asset", "yasgui_file", "yasgui_missing", "yasgui_page"]

#: The shipped assets (rows of ``assets/shipped.toml``) the page needs.
YASGUI_ASSETS = ("yasgui", "yasgui-css")
_STATIC = Path(__file__).resolve().parent / "static"
_log = logging.getLogger(__name__)
_warned: set[str] = set()


def yasgui_missing() -> NotInstalled | None:
    """Why the YASGUI page cannot be shown (its files are missing or altered), or ``None`` when it can."""
    try:
        for name in YASGUI_ASSETS:
            asset_file(name)
    except NotInstalled as exc:
        return exc
    return None


def _licence_notice() -> Path:
    asset_file("yasgui")  # checks the notice is there too
    (yasgui,) = (a for a in shipped_assets() if a.name == "yasgui")
    return yasgui.licence_file


# The page's files by URL name: where each is (a shipped asset is checked before it is served), its type.
_FILES: dict[str, tuple[Callable[[], Path], str]] = {
    "yasgui.min.js": (lambda: asset_file("yasgui"), "text/javascript"),
    "yasgui.min.css": (lambda: asset_file("yasgui-css"), "text/css"),
    "LICENSE": (_licence_notice, "text/plain"),
    "yasgui-init.js": (lambda: _STATIC / "yasgui-init.js", "text/javascript"),
}
# YASGUI sets styles from script (CodeMirror, its tables) and draws icons as data: images; nothing else is let in.
_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "font-src 'self' data:; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'self'"
)


def yasgui_file(name: str) -> Response:
    """One of the page's files (YASGUI's shipped copy, its licence notice, or our init script); 404 for any
    other name, and for YASGUI's files when the install lacks them."""
    found = _FILES.get(name)
    if found is None:
        raise Refusal(404, "NotFound", f"there is no file {name[:100]!r} here; the YASGUI page is /")
    where, media_type = found
    try:
        path = where()
    except NotInstalled:  # the reason is in the server's log (root_page); a client needs no install paths
        raise Refusal(
            404, "NotFound", "YASGUI is not installed on this server; the page without script is /form"
        ) from None
    return FileResponse(path, media_type=media_type, headers={"Cache-Control": "max-age=3600", **SECURITY_HEADERS})


def root_page(*, title: str, limits: str, licence: str = "", plain: Callable[[], Response]) -> Response:
    """The endpoint's root: YASGUI with the gallery as examples, or ``plain()`` (the form page) when the
    install lacks YASGUI's files, logged once per reason."""
    missing = yasgui_missing()
    if missing is not None:
        if str(missing) not in _warned:
            _warned.add(str(missing))
            _log.warning("the endpoint's / serves the form page (/form) instead of YASGUI: %s", missing)
        return plain()
    # YASGUI sends plain SPARQL: a question's parameters show as a VALUES clause after it, there to edit.
    examples = [(q.title, with_trailing_values(q.text, q.bind())) for q in load_gallery()]
    return yasgui_page(title=title, limits=limits, licence=licence, examples=examples, query=examples[0][1])


async def yasgui_asset(request: Request) -> Response:
    """The route ``/yasgui/NAME``: :func:`yasgui_file`."""
    return yasgui_file(request.path_params["name"])


def yasgui_page(
    *, title: str, limits: str, licence: str = "", examples: list[tuple[str, str]], query: str
) -> HTMLResponse:
    """The root page: YASGUI on ``/sparql`` holding ``query``, the limits, the data's licence, and the gallery
    as example links."""
    licence_line = (
        f"<p>Data licence: {html.escape(licence)}; credit the dataset when you reuse it.</p>" if licence else ""
    )
    links = "".join(
        f'<li><a href="?{html.escape(urllib.parse.urlencode({"query": text}))}">{html.escape(name)}</a></li>'
        for name, text in examples
    )
    body = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}: SPARQL</title>
<link rel="stylesheet" href="yasgui/yasgui.min.css">
<style>body{{font-family:sans-serif;margin:1rem 2rem}} .about{{max-width:70rem}}</style></head>
<body><h1>SPARQL query: {html.escape(title)}</h1>
<p class="about">{html.escape(limits)} The endpoint is <code>/sparql</code>; a page without script is at
<a href="form">/form</a>. Educational content, not medical advice.</p>
<div id="yasgui" data-endpoint="sparql" data-query="{html.escape(query)}"></div>
<h2>Examples: the question gallery</h2><ul>{links}</ul>
{licence_line}
<p class="about">The editor is <a href="yasgui/LICENSE">YASGUI</a> (Zazuko, MIT), served from this server.</p>
<script src="yasgui/yasgui.min.js"></script><script src="yasgui/yasgui-init.js"></script>
</body></html>
"""
    return HTMLResponse(body, headers={"Content-Security-Policy": _POLICY, **SECURITY_HEADERS})
