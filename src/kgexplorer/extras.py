"""The optional parts of kgexplorer (pip extras), and the exact command that installs a missing one.

``pip install kgexplorer`` brings the library and the CLI; the app and the SPARQL endpoint need more::

    pip install 'kgexplorer[app]'      # kgexplorer app: Streamlit, the SPARQL editor (and [images])
    pip install 'kgexplorer[server]'   # kgexplorer serve: Starlette and uvicorn
    pip install 'kgexplorer[images]'   # PNG and SVG pictures of views: matplotlib
    pip install 'kgexplorer[pandas]'   # SelectResult.to_pandas: pandas (the app brings it anyway)

A command that needs an extra checks for it first (:func:`require`) and, when it is missing, stops with a
:class:`~kgexplorer.errors.NotInstalled` that names the install line, never with an ImportError.

>>> [e.name for e in EXTRAS]
['app', 'images', 'pandas', 'server']
>>> require("server").name
'server'
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass

from .errors import NotInstalled

__all__ = ["EXTRAS", "Extra", "install_line", "missing_modules", "require"]


@dataclass(frozen=True)
class Extra:
    """One pip extra: its name, what it is for, and the modules it must bring."""

    name: str
    purpose: str
    modules: tuple[str, ...]


#: Every extra, as declared in pyproject.toml's ``[project.optional-dependencies]``.
EXTRAS = (
    Extra("app", "the Streamlit app (kgexplorer app)", ("streamlit", "code_editor", "matplotlib")),
    Extra("images", "PNG and SVG pictures of views (render --format png or svg)", ("matplotlib",)),
    Extra("pandas", "query results as typed pandas DataFrames (SelectResult.to_pandas)", ("pandas",)),
    Extra("server", "the SPARQL 1.1 endpoint (kgexplorer serve)", ("starlette", "uvicorn")),
)


def install_line(name: str) -> str:
    """The command that installs the extra ``name``.

    >>> install_line("app")
    "pip install 'kgexplorer[app]'"
    """
    return f"pip install 'kgexplorer[{name}]'"


def _extra(name: str) -> Extra:
    for extra in EXTRAS:
        if extra.name == name:
            return extra
    known = ", ".join(e.name for e in EXTRAS)
    raise ValueError(f"kgexplorer has no extra {name!r} (it has: {known})")


def missing_modules(name: str) -> tuple[str, ...]:
    """The modules of the extra ``name`` that cannot be imported here (found without importing them)."""
    return tuple(m for m in _extra(name).modules if importlib.util.find_spec(m) is None)


def require(name: str) -> Extra:
    """The extra ``name`` if everything it brings is installed; else :class:`NotInstalled` with the fix."""
    extra = _extra(name)
    missing = missing_modules(name)
    if missing:
        line = install_line(name)
        verb = "is" if len(missing) == 1 else "are"
        raise NotInstalled(
            f"{extra.purpose} needs the [{name}] extra, and {' and '.join(missing)} {verb} not installed; "
            f"install it with: {line}",
            install=line,
        )
    return extra
