"""Test inputs from outside the repository, and the one rule for when one is missing (house style 6).

The real data in ``../shared`` (LUBM, Hetionet, the W3C SPARQL tests, the fact base), Debian's chromium for the
browser tests, and the Oxigraph server for the remote-endpoint tests. Under ``CI=true`` a missing input fails the
test, naming what is missing and how to provide it: CI must never pass by skipping (the whole W3C suite once
collapsed into one silent skip). Elsewhere the test skips, saying the same.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest

__all__ = ["SHARED", "in_ci", "oxigraph_program", "require", "require_shared"]

ROOT = Path(__file__).resolve().parents[1]
#: ../shared of a checkout; KGEXPLORER_SHARED names another folder (the test of this rule points it at nothing).
SHARED = Path(os.environ.get("KGEXPLORER_SHARED") or ROOT.parent / "shared")


def in_ci() -> bool:
    """Whether this run is CI's (``CI=true``, as GitHub Actions, GitLab and most CI services set it)."""
    return os.environ.get("CI", "").strip().lower() in ("true", "1", "yes")


def require(present: bool, *, what: str, fix: str) -> None:
    """Go on when the input is ``present``; else fail under CI, skip elsewhere, naming ``what`` and ``fix``."""
    if present:
        return
    message = f"needs {what}; {fix}"
    if in_ci():
        pytest.fail(f"CI=true and a test input is missing: {message}", pytrace=False)
    pytest.skip(message)


def require_shared(*parts: str) -> Path:
    """``../shared/<parts>`` (the folder itself without parts), required as above."""
    path = SHARED.joinpath(*parts)
    require(path.exists(), what=f"the shared material at {path}", fix="check out ../shared beside the repository")
    return path


def oxigraph_program() -> str:
    """The Oxigraph server binary (from the ``oxigraph`` wheel of the test extra), required as above."""
    binary = Path(sys.executable).with_name("oxigraph")
    program = str(binary) if binary.is_file() else shutil.which("oxigraph")
    require(
        program is not None, what="the oxigraph server binary", fix="pip install oxigraph (it is in the test extra)"
    )
    assert program is not None
    return program
