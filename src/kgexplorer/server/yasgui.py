"""The query page at the endpoint's root: YASGUI, built from its npm package, served from this server only.

YASGUI (the Zazuko build, MIT) is not our code, so it is never committed: the build step (``make``, or
``python -m kgexplorer.server.yasgui``) runs ``npm pack`` for the pinned version and copies its
``yasgui.min.js`` and ``yasgui.min.css`` into a git-ignored asset folder, with its ``package.json`` and a
licence note beside them. The page loads only those files and our own ``static/yasgui-init.js``, which
points YASGUI at ``/sparql`` and switches off every lookup that would leave the server (prefix.cc, LOV
suggestions, the link shortener, the endpoint catalogue). Its Content-Security-Policy allows scripts,
styles and connections to this origin only. The gallery's questions are listed under it as examples (a
link opens the question in the editor). Without the build, ``/`` is the plain form page (``/form``).
"""

from __future__ import annotations

import html
import json
import shutil
import subprocess
import sys
import tarfile
import tempfile
import urllib.parse
from collections.abc import Callable
from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, Response

from kgexplorer.errors import KgExplorerError
from kgexplorer.model.gallery import load_gallery

from .protocol import SECURITY_HEADERS, Refusal

__all__ = [
    "YASGUI_DIR", "YASGUI_PACKAGE", "build_yasgui", "main", "root_page", "yasgui_asset", "yasgui_built", "yasgui_file",
    "yasgui_page",
]  # fmt: skip

#: The npm package and version the page is built from.
YASGUI_PACKAGE = "@zazuko/yasgui@4.6.2"
#: Where the build step puts the copy (git-ignored).
YASGUI_DIR = Path(__file__).resolve().parents[1] / "assets" / "yasgui"
_STATIC = Path(__file__).resolve().parent / "static"
_FILES = {
    "yasgui.min.js": (YASGUI_DIR, "text/javascript"),
    "yasgui.min.css": (YASGUI_DIR, "text/css"),
    "LICENSE": (YASGUI_DIR, "text/plain"),
    "package.json": (YASGUI_DIR, "application/json"),
    "yasgui-init.js": (_STATIC, "text/javascript"),
}
# YASGUI sets styles from script (CodeMirror, its tables) and draws icons as data: images; nothing else is let in.
_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "font-src 'self' data:; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'self'"
)


def yasgui_built() -> bool:
    """Whether the build step has copied YASGUI into its asset folder."""
    return all((YASGUI_DIR / name).is_file() for name in ("yasgui.min.js", "yasgui.min.css"))


def build_yasgui(*, npm: str | None = None) -> Path:
    """Copy YASGUI from its npm package into :data:`YASGUI_DIR` (``npm pack``; idempotent); returns the folder.

    Raises :class:`~kgexplorer.errors.KgExplorerError` when npm is missing or the package cannot be fetched.
    """
    program = npm or shutil.which("npm")
    if program is None:
        raise KgExplorerError("the YASGUI page needs npm to fetch its package; install Node.js (apt-get install npm)")
    with tempfile.TemporaryDirectory() as folder:
        done = subprocess.run(
            [program, "pack", YASGUI_PACKAGE, "--silent"],
            check=False,
            cwd=folder,
            capture_output=True,
            text=True,
            timeout=300,
        )
        packs = list(Path(folder).glob("*.tgz"))
        if done.returncode != 0 or not packs:
            raise KgExplorerError(f"npm pack {YASGUI_PACKAGE} failed: {done.stderr.strip()[-500:]}; check the network")
        YASGUI_DIR.mkdir(parents=True, exist_ok=True)
        with tarfile.open(packs[0]) as pack:
            for member, target in (
                ("package/build/yasgui.min.js", "yasgui.min.js"),
                ("package/build/yasgui.min.css", "yasgui.min.css"),
                ("package/package.json", "package.json"),
            ):
                source = pack.extractfile(member)
                if source is None:
                    raise KgExplorerError(f"{YASGUI_PACKAGE} has no {member}; pin a version that has")
                (YASGUI_DIR / target).write_bytes(source.read())
    about = json.loads((YASGUI_DIR / "package.json").read_text(encoding="utf-8"))
    (YASGUI_DIR / "LICENSE").write_text(
        f"{about.get('name')} {about.get('version')}: licensed under {about.get('license')} by its authors "
        f"({about.get('author') or about.get('homepage') or 'see package.json'}).\n"
        "Copied unchanged from its npm package by kgexplorer's build step; package.json is beside it.\n",
        encoding="utf-8",
    )
    return YASGUI_DIR


def yasgui_file(name: str) -> Response:
    """One of the page's files (YASGUI's copy or our init script); 404 for any other name."""
    found = _FILES.get(name)
    if found is None or not (found[0] / name).is_file():
        raise Refusal(404, "NotFound", f"there is no file {name[:100]!r} here; the YASGUI page is /")
    folder, media_type = found
    return FileResponse(
        folder / name, media_type=media_type, headers={"Cache-Control": "max-age=3600", **SECURITY_HEADERS}
    )


def root_page(*, title: str, limits: str, licence: str = "", plain: Callable[[], Response]) -> Response:
    """The endpoint's root: YASGUI with the gallery as examples once built, else ``plain()`` (the form page)."""
    if not yasgui_built():
        return plain()
    examples = [(q.title, q.bind()) for q in load_gallery()]
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


def main(argv: list[str] | None = None) -> int:
    """``python -m kgexplorer.server.yasgui``: the build step (skipped, with a note, when npm is missing)."""
    try:
        folder = build_yasgui()
    except KgExplorerError as exc:
        print(f"kgexplorer: the YASGUI page is not built: {exc}", file=sys.stderr)
        return 1
    print(f"YASGUI copied into {folder}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
