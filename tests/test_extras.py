"""extras.py: each extra names the modules it brings, and a missing one stops with the exact install line."""

from __future__ import annotations

import importlib.util
import tomllib
from pathlib import Path

import pytest
from click.testing import CliRunner

from kgexplorer import NotInstalled, extras
from kgexplorer.cli.commands import cli

ROOT = Path(__file__).resolve().parents[1]


def test_the_extras_are_the_ones_pyproject_publishes() -> None:
    """Published extras are exactly the users' sets; development tools are dependency groups, never extras."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))

    assert sorted(project["project"]["optional-dependencies"]) == sorted(e.name for e in extras.EXTRAS)
    assert {"test", "dev", "docs"} <= set(project["dependency-groups"])
    assert not any("streamlit" in d for d in project["project"]["dependencies"])


def _without(monkeypatch: pytest.MonkeyPatch, module: str) -> None:
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == module else real(name, *a))


@pytest.mark.parametrize(("extra", "module"), [("app", "streamlit"), ("server", "uvicorn"), ("images", "matplotlib")])
def test_a_missing_extra_raises_with_its_install_line(monkeypatch: pytest.MonkeyPatch, extra: str, module: str) -> None:
    _without(monkeypatch, module)

    with pytest.raises(NotInstalled, match=rf"{module} is not installed.*pip install 'kgexplorer\[{extra}\]'") as err:
        extras.require(extra)
    assert err.value.install == f"pip install 'kgexplorer[{extra}]'"
    assert extras.missing_modules(extra) == (module,)


def test_serve_without_the_server_extra_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    _without(monkeypatch, "starlette")

    result = CliRunner().invoke(cli, ["serve", "--port", "1"], prog_name="kgexplorer")

    assert result.exit_code == 1
    assert "pip install 'kgexplorer[server]'" in result.stderr
    assert "Traceback" not in result.output


def test_a_picture_without_the_images_extra_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    """`kgexplorer render --format png` without matplotlib: one line naming `pip install 'kgexplorer[images]'`."""
    _without(monkeypatch, "matplotlib")

    result = CliRunner().invoke(cli, ["render", "ketamine", "--format", "png", "-o", "/nonexistent/x.png"])

    assert result.exit_code == 1
    assert "pip install 'kgexplorer[images]'" in result.stderr
    assert "Traceback" not in result.output


def test_an_unknown_extra_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="no extra 'gpu'"):
        extras.require("gpu")
