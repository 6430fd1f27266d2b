"""Text for Streamlit Markdown: data strings escaped so they show as plain text, safe links, the notice.

Every string that comes from the data goes through :func:`md` (Markdown-escaped) or a widget that shows
plain text, so a label containing HTML, a script or a Markdown link shows as text.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING
from urllib.parse import urlencode

if TYPE_CHECKING:
    from kgexplorer.views.lessons import EntityLink

__all__ = ["DIRECTION_BADGE", "DISCLAIMER", "entity_link", "link", "md"]

DISCLAIMER = (
    "Educational content about research evidence, **not medical advice**. Do not use it to make decisions "
    "about treatment; talk to a qualified clinician."
)
DIRECTION_BADGE = {
    "supports": "✅ supports",
    "mixed": "🟧 mixed",
    "null": "⬜ null (no difference)",
    "against": "🟥 against",
    "unclear": "❔ unclear (not established)",
    "": "",
}
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$])")


def md(text: object) -> str:
    """Escape a data string for st.markdown so it shows as plain text (no HTML, links or formatting).

    >>> md("<img src=x onerror=alert(1)> [a](javascript:x)")
    '\\\\<img src=x onerror=alert\\\\(1\\\\)\\\\> \\\\[a\\\\]\\\\(javascript:x\\\\)'
    """
    return _MD_SPECIAL.sub(r"\\\1", str(text).replace("\r", " ").replace("\n", " "))


def link(label: object, url: str | None) -> str:
    """A Markdown link with an escaped label, for http(s) URLs only; anything else shows as plain text.

    >>> link("Dakwar 2019", "https://doi.org/10.1016/S0740-5472(02)00275-1")
    '[Dakwar 2019](https://doi.org/10.1016/S0740-5472%2802%2900275-1)'
    >>> link("x", "javascript:alert(1)")
    'x'
    """
    if not url or not url.startswith(("https://", "http://")):
        return md(label)
    # Percent-encode anything that could end the Markdown link target: parentheses, quotes, spaces, brackets.
    safe = "".join(c if c.isalnum() or c in "-._~:/?#@!$&*+,;=%" else f"%{ord(c):02X}" for c in url)
    return f"[{md(label)}]({safe})"


def entity_link(target: EntityLink) -> str:
    """A lesson's entity link as a Markdown link to that entity in Explore (a relative address, so it stays
    in this app).

    >>> from kgexplorer.views.lessons import EntityLink
    >>> entity_link(EntityLink("alcohol use disorder", "alcohol_use_disorder"))
    '[alcohol use disorder](./explore?e=alcohol_use_disorder)'
    """
    return f"[{md(target.text)}](./explore?{urlencode({'e': target.entity})})"
