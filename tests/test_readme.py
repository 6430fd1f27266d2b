"""The README's examples run: its Python session is a doctest against the bundled graph."""

from __future__ import annotations

import doctest
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_python_example_runs() -> None:
    """Every `>>>` line in README.md gives the output shown there."""
    result = doctest.testfile(str(README), module_relative=False, optionflags=doctest.ELLIPSIS)

    assert result.attempted >= 5
    assert result.failed == 0


def test_readme_starts_with_the_two_commands() -> None:
    """The first code block of the README is `make run` then `make test`."""
    text = README.read_text(encoding="utf-8")
    first_block = text.split("```sh", 1)[1].split("```", 1)[0]
    commands = [line.split("#")[0].strip() for line in first_block.strip().splitlines()]

    assert commands[:2] == ["make run", "make test"]
