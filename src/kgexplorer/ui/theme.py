"""The app's accessibility layer over Streamlit's light and dark themes: contrast and a visible focus ring.

Streamlit draws both themes (the app follows the reader's system setting; ⋮ → Settings switches). Measured by
axe-core (tests/e2e/test_accessibility.py), three things in them fall short of WCAG 2.1 AA, and this style
sheet fixes them for every page (docs/decisions/accessibility.md):

* captions (and the "not medical advice" notice, which is one) are drawn at 60 % opacity: 3.8:1 on the
  sidebar. At 80 % they read at 6:1 or more in both themes;
* controls show focus faintly or not at all (navigation links change their background slightly; text boxes
  only their border). Every control gets a 3 px ring in a colour with at least 3:1 against both themes'
  backgrounds;
* in the dark theme, text in the primary colour (a slider's value, a selected segment) is 3.6–3.9:1.

Colours that differ by theme use CSS ``light-dark()``, which follows the ``color-scheme`` Streamlit sets on
the app for the theme it shows. Nothing here names Streamlit's generated class names: only its ``data-testid``
attributes and plain elements, so an upgrade does not silently undo it (the test pins the version it checked).
"""

from __future__ import annotations

import streamlit as st

__all__ = ["FOCUS_RING", "PAGE_CSS", "page_style"]

#: The focus ring's colour in the light and dark theme (≥ 3:1 against each theme's backgrounds: 7.5:1, 7.7:1).
FOCUS_RING = ("#1c4e9c", "#8ab4f8")

PAGE_CSS = f"""
.stApp {{ --kg-focus: light-dark({FOCUS_RING[0]}, {FOCUS_RING[1]}); }}
.stApp [data-testid="stCaptionContainer"] {{ opacity: 0.8; }}
.stApp :is(a, button, summary, select, [tabindex]:not([tabindex="-1"]), [role="tab"], [role="slider"],
           [role="switch"], [role="checkbox"], [role="radio"], [role="option"],
           [role="combobox"]):not(input, textarea):focus-visible {{
  outline: 3px solid var(--kg-focus) !important;
  outline-offset: 2px !important;
}}
/* Text boxes sit in a frame that clips anything outside them: their ring goes inside. */
.stApp :is(input, textarea):focus-visible {{
  outline: 3px solid var(--kg-focus) !important;
  outline-offset: -3px !important;
}}
.stApp [data-testid="stSliderThumbValue"],
.stApp button[data-selected="true"] :is(p, span, div) {{
  color: light-dark(#9c1c28, #ff8a94) !important;
}}
"""


def page_style() -> None:
    """Add the style sheet to the page (call once per run, before the page draws; it takes no space)."""
    st.html(f"<style>{PAGE_CSS}</style>")
