"""A Sphinx directive that shows the app's pages as the browser tests last saw them.

``tests/e2e/test_app_browser.py`` saves a screenshot of every page to ``test-artifacts/pages/<page>.png`` on
each run; ``.. kgx-screenshots::`` lists one page per line (``page: caption``) and shows each screenshot
from there, so the pictures in the docs are the app as it is, never a stale copy kept in git. A page the
browser tests have not photographed yet gets a note saying how to make the picture (`make test`).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from docutils import nodes
from docutils.parsers.rst import Directive

SHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "pages"


class Screenshots(Directive):
    """``.. kgx-screenshots::`` with ``page: caption`` lines."""

    has_content = True

    def run(self) -> list[nodes.Node]:
        env = self.state.document.settings.env
        here = Path(env.doc2path(env.docname)).parent
        found: list[nodes.Node] = []
        for line in self.content:
            page, _, caption = (part.strip() for part in line.partition(":"))
            shot = SHOTS / f"{page}.png"
            if not shot.is_file():
                note = f"{page}: {caption} (no screenshot yet: `make test` runs the browser tests that take it)"
                found.append(nodes.paragraph(text=note))
                continue
            env.note_dependency(str(shot))
            figure = nodes.figure()
            figure += nodes.image(uri=os.path.relpath(shot, here), alt=f"The {page} page of the app")
            figure += nodes.caption(text=caption)
            found.append(figure)
        return found


def setup(app: Any) -> dict[str, Any]:
    app.add_directive("kgx-screenshots", Screenshots)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
