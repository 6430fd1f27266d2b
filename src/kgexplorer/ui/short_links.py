"""Short links to a workbench query: which kind of link a query can have, and the server's store of short links.

A link must open and run the query for whoever receives it. So the kinds are (:func:`share_link`):

* **gallery** — an unedited gallery question: ``?g=NAME`` (with its ``v_…`` parameters) is already short and
  needs no storage;
* **server** — with the ``server_storage`` setting on, the query's text is kept on the server under an id made
  from its content (:class:`ShortLinks`: the same text always gets the same id, a stored text is never
  changed or dropped, so a link never breaks or points elsewhere): ``?s=ID``;
* **whole** — otherwise the link carries the whole query (compressed, ``?q=``), as before.

A short link kept in the browser's localStorage would open only in the browser that made it: for anyone
else it would be a dead link, so none is offered (docs/decisions/short-links.md). The store is bounded:
at most ``short_links_max`` links, each at most ``max_query_chars`` characters (a longer query cannot run
anyway); a full store refuses new links, naming the setting, and the page falls back to a whole link.

>>> import tempfile
>>> from kgexplorer.settings import Settings
>>> with tempfile.TemporaryDirectory() as folder:
...     links = ShortLinks(folder, settings=Settings(server_storage=1))
...     link = links.save("ASK { ?s ?p ?o }")
...     links.load(link) == "ASK { ?s ?p ?o }", link == links.save("ASK { ?s ?p ?o }"), len(link)
(True, True, 12)
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from kgexplorer.errors import QueryError
from kgexplorer.settings import Settings

__all__ = [
    "SHORT_ID_CHARS", "ShareLink", "ShortLinks", "default_folder", "open_short_link", "server_links", "share_link",
]  # fmt: skip

#: The length of a short link's id: 60 bits of the text's SHA-256, in lower-case base32.
SHORT_ID_CHARS = 12
_ID = re.compile(rf"[a-z2-7]{{{SHORT_ID_CHARS}}}")
_SUFFIX = ".rq"


def default_folder() -> Path:
    """Where a server keeps its short links: ``$XDG_DATA_HOME/kgexplorer/short-links`` (~/.local/share).

    >>> default_folder().parts[-2:]
    ('kgexplorer', 'short-links')
    """
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "kgexplorer" / "short-links"


class ShortLinks:
    """The server's short links in ``folder``: one file per query text, named by the id its content gives.

    Needs ``settings.server_storage`` on (a :class:`~kgexplorer.errors.QueryError` otherwise); bounded by the
    ``short_links_max`` and ``max_query_chars`` settings.
    """

    def __init__(self, folder: str | os.PathLike[str], *, settings: Settings) -> None:
        if not settings.server_storage:
            raise QueryError(
                "short links kept on the server need the server_storage setting, which is off; set it to 1 "
                "(kgexplorer app --setting server_storage 1) or share the whole link"
            )
        self.folder = Path(folder)
        self.max_links = int(settings.short_links_max)
        self.max_chars = int(settings.max_query_chars)
        self._lock = threading.Lock()

    def save(self, text: str) -> str:
        """Keep ``text`` (if it is not kept already) and return its id; raises QueryError when it cannot."""
        if len(text) > self.max_chars:
            raise QueryError(
                f"the query is {len(text):,} characters long; a short link keeps at most {self.max_chars:,} "
                "(the max_query_chars setting)"
            )
        link = _id(text)
        path = self.folder / (link + _SUFFIX)
        with self._lock:
            if path.is_file():
                if path.read_text(encoding="utf-8") != text:  # 60 bits: not seen in practice, never overwritten
                    raise QueryError("another query already has this short link; share the whole link instead")
                return link
            self.folder.mkdir(parents=True, exist_ok=True)
            kept = sum(1 for _ in self.folder.glob("*" + _SUFFIX))
            if kept >= self.max_links:
                raise QueryError(
                    f"the server keeps {kept:,} short links, its limit (the short_links_max setting); this "
                    "query gets a whole link instead. Raise the setting to keep more"
                )
            # Written whole under another name and renamed: a reader never sees half a query.
            handle, temporary = tempfile.mkstemp(dir=self.folder, suffix=".part")
            with os.fdopen(handle, "w", encoding="utf-8", newline="") as out:
                out.write(text)
            os.replace(temporary, path)
        return link

    def load(self, link: str) -> str:
        """The query kept under ``link``; raises QueryError for an id that is malformed or not kept here."""
        if not _ID.fullmatch(link):
            raise QueryError(
                f"{link[:40]!r} is not a short link (12 letters and digits); check that the link was copied whole"
            )
        path = self.folder / (link + _SUFFIX)
        try:
            return path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            raise QueryError(
                f"this app keeps no query under the short link {link!r}: it was made on another server, or the "
                "server's short links were removed; ask for the whole link"
            ) from None


def server_links(settings: Settings, folder: str | os.PathLike[str] | None = None) -> ShortLinks | None:
    """The server's short links (in ``folder``, default :func:`default_folder`), or None when
    ``server_storage`` is off."""
    if not settings.server_storage:
        return None
    return ShortLinks(folder if folder is not None else default_folder(), settings=settings)


def open_short_link(link: str, *, settings: Settings, folder: str | os.PathLike[str] | None = None) -> str:
    """The query a short link (``?s=ID``) names; raises QueryError when this app keeps no short links or not it.

    >>> open_short_link("abcdefghijkl", settings=Settings())
    Traceback (most recent call last):
    ...
    kgexplorer.errors.QueryError: this link names a query kept on a server, and this app keeps none ...
    """
    links = server_links(settings, folder)
    if links is None:
        raise QueryError(
            "this link names a query kept on a server, and this app keeps none (the server_storage setting is "
            "off); ask whoever sent it for the whole link"
        )
    return links.load(link)


@dataclass(frozen=True)
class ShareLink:
    """The query parameters that share a query (None: leave the parameter out) and which kind of link they
    make, with a sentence for the page saying so."""

    kind: Literal["gallery", "server", "whole"]
    params: dict[str, str | None]
    note: str


def share_link(
    text: str, *, gallery_text: str | None, links: ShortLinks | None, whole: str | None, whole_problem: str = ""
) -> ShareLink:
    """The link for ``text``: the gallery question's own (when ``text`` is its unedited ``gallery_text``), a
    server short link (``links``), or ``whole`` (the compressed text, None when too long: ``whole_problem``).

    >>> share_link("ASK {}", gallery_text=None, links=None, whole="eJxz").kind
    'whole'
    >>> share_link("Q", gallery_text="Q", links=None, whole="eJxz").params["q"] is None
    True
    """
    if gallery_text is not None and text == gallery_text:
        note = "Short link: the address names this gallery question and its parameters; anyone can open it."
        return ShareLink("gallery", {"q": None, "s": None}, note)
    problem = ""
    if links is not None:
        try:
            link = links.save(text)
        except (QueryError, OSError) as exc:
            problem = f"No short link: {exc}. "
        else:
            note = (
                "Short link: the query is kept on this server (server_storage is on); anyone who can reach the "
                "app can open it."
            )
            return ShareLink("server", {"q": None, "s": link}, note)
    if whole is None:
        return ShareLink("whole", {"q": None, "s": None}, problem + whole_problem)
    size = f"{len(whole):,} characters"
    if links is None:
        note = (
            f"The address carries the whole query ({size}): copy it to share it. Short links for edited queries "
            "need the server to keep them (the server_storage setting, off here)."
        )
    else:
        note = f"{problem}The address carries the whole query ({size}): copy it to share it."
    return ShareLink("whole", {"q": whole, "s": None}, note)


def _id(text: str) -> str:
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    return base64.b32encode(digest).decode("ascii").lower()[:SHORT_ID_CHARS]
