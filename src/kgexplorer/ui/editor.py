"""The SPARQL editor on the workbench page: Ace (the streamlit-code-editor component) set up for SPARQL.

:func:`sparql_editor` draws it with the project's prefixes and vocabulary offered as completions, Ace's own
light or dark theme (the component's default theme loads a font from Google's servers) and Ctrl+Enter to
run; it gives back what the person did last (:class:`EditorEvent`: submitted with Ctrl+Enter, or left the
editor) until the caller says it has handled it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import streamlit as st

from .workbench import completions

__all__ = ["HEIGHT_PX", "EditorEvent", "sparql_editor"]

_THEMES = {"light": "chrome", "dark": "one_dark"}

#: The editor's height on the page, in CSS pixels (22 lines of text).
HEIGHT_PX = 360
# Streamlit draws a component's frame inline in a box 8 px taller than the frame (measured, Streamlit 1.67);
# the editor is that much shorter, so the box fits the reserved height and nothing scrolls.
_FRAME_GAP_PX = 8


@dataclass(frozen=True)
class EditorEvent:
    """What the person did in the editor: ``submit`` (Ctrl+Enter: run it) or ``blur`` (left it), with its text
    and the event's ``id`` (new for each event)."""

    kind: Literal["submit", "blur"]
    text: str
    id: str


def sparql_editor(text: str, *, key: str, handled: str) -> EditorEvent | None:
    """Draw the editor holding ``text`` (a new ``key`` makes a new editor, showing a new text); return the
    person's newest event, or None when there is none or its id is ``handled``.

    The caller keeps the id of the event it has acted on and passes it back as ``handled``, once it has
    stored what the event means: a script run can be stopped between any two lines (a new rerun request),
    and an event marked handled before its meaning is stored would be lost with that run.
    """
    from code_editor import code_editor

    # A fixed height, reserved before the editor's frame loads: the frame draws itself a moment after the rest of
    # the page (at 0 px until then), and a frame that grew then moved the Run button below it from under a
    # click on its way (the click landed in the editor). Longer queries scroll inside the editor.
    with st.container(height=HEIGHT_PX, border=False):
        event = code_editor(
            text,
            lang="sparql",
            height=f"{HEIGHT_PX - _FRAME_GAP_PX}px",
            key=key,
            response_mode="blur",
            completions=[{"caption": c.caption, "value": c.value, "meta": c.meta, "score": 500} for c in completions()],
            options={
                "showLineNumbers": True,
                "enableLiveAutocompletion": True,
                "wrap": True,
                "tabSize": 2,
                # The text box's name for screen readers (axe: every text box has a label); keyboard accessibility
                # sets it, and lets Tab leave the editor (Enter goes in, Escape comes out) instead of trapping focus.
                "enableKeyboardAccessibility": True,
                "textInputAriaLabel": "SPARQL query",
            },
            props={
                "placeholder": "SELECT … WHERE { … }",
                "theme": _THEMES[st.context.theme.type or "light"],
                # The component's default top margin drifts the line numbers off their lines once text is replaced.
                "scrollMargin": [0, 0, 0, 0],
            },
        )
    if not isinstance(event, dict) or not event.get("id") or event["id"] == handled:
        return None
    kind = event.get("type")
    if kind not in ("submit", "blur"):
        return None
    return EditorEvent("submit" if kind == "submit" else "blur", str(event.get("text", "")), str(event["id"]))
