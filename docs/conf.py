"""Sphinx configuration for the kgexplorer documentation (built and checked by `make test`)."""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / "_ext"))

project = "kgexplorer"
author = "kgexplorer contributors"
copyright = "2026, kgexplorer contributors (software: MIT; data: CC BY 4.0)"

extensions = [
    "myst_nb",  # MyST Markdown (it includes myst_parser) and notebooks, executed at every build
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "sphinx_click",
    "kgx_settings",
    "kgx_screenshots",
    "sphinxcontrib.mermaid",
]
source_suffix = {".md": "myst-nb", ".rst": "restructuredtext", ".ipynb": "myst-nb"}
# The tour notebook runs at every build, so the outputs in the site are today's; an error fails the build.
nb_execution_mode = "force"
nb_execution_raise_on_error = True
nb_execution_timeout = 300
myst_enable_extensions = ["colon_fence", "deflist"]
myst_heading_anchors = 3
myst_fence_as_directive = ["mermaid"]  # the model diagram in graph/README.md (GitHub renders it too)
html_theme = "furo"
html_title = "kgexplorer"
exclude_patterns = ["_build", "notebooks/.ipynb_checkpoints"]
autodoc_member_order = "bysource"
autodoc_typehints = "description"
autodoc_default_options = {"members": True, "undoc-members": False, "show-inheritance": False}
nitpicky = False
suppress_warnings = ["myst.header"]
