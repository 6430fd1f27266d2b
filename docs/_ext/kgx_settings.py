"""A Sphinx directive that renders every kgexplorer setting (name, default, help) from the code itself."""

from __future__ import annotations

from typing import Any

from docutils import nodes
from docutils.parsers.rst import Directive


class SettingsTable(Directive):
    """``.. kgx-settings::`` — the table of settings, generated so the docs can never drift from the code."""

    def run(self) -> list[nodes.Node]:
        from kgexplorer.settings import describe_settings

        table = nodes.table()
        group = nodes.tgroup(cols=3)
        table += group
        for width in (25, 12, 63):
            group += nodes.colspec(colwidth=width)
        head = nodes.thead()
        group += head
        head += self._row(["setting", "default", "what it limits"])
        body = nodes.tbody()
        group += body
        for s in describe_settings():
            body += self._row([s.name, str(s.default), s.help])
        return [table]

    @staticmethod
    def _row(cells: list[str]) -> nodes.row:
        row = nodes.row()
        for text in cells:
            entry = nodes.entry()
            entry += nodes.paragraph(text=text)
            row += entry
        return row


def setup(app: Any) -> dict[str, Any]:
    app.add_directive("kgx-settings", SettingsTable)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
