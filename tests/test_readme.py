"""The README's examples run: its Python session is a doctest against the bundled graph, and each of its
`kgexplorer` command lines runs as written."""

from __future__ import annotations

import doctest
import gzip
import shlex
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from kgexplorer.cli.commands import cli
from kgexplorer.engine.validation import ValidationReport

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


def _readme_commands() -> list[str]:
    """The `kgexplorer …` commands of the README's sh blocks (a quoted argument may span lines)."""
    text = README.read_text(encoding="utf-8")
    commands: list[str] = []
    for block in text.split("```sh")[1:]:
        pending = ""
        for line in block.split("```", 1)[0].splitlines():
            pending = f"{pending}\n{line}" if pending else line
            try:
                words = shlex.split(pending, comments=True)
            except ValueError:  # an open quote: the command goes on on the next line
                continue
            if words and words[0] == "kgexplorer":
                commands.append(pending)
            pending = ""
    return commands


# Commands that start a server: tests/test_server.py and tests/test_packaging.py run those.
SERVERS = ("app", "serve")


@pytest.mark.slow
@pytest.mark.xdist_group("shacl")
def test_every_readme_command_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, validation_calls: list[tuple[Any, ValidationReport]]
) -> None:
    """Each `kgexplorer` line of the README works as written, in a folder holding the files it names."""
    monkeypatch.chdir(tmp_path)
    people = '<http://example.org/alice> <http://www.w3.org/2000/01/rdf-schema#label> "Alice name" .\n'
    (tmp_path / "my.ttl.gz").write_bytes(gzip.compress(people.encode()))
    (tmp_path / "big.nt.gz").write_bytes(gzip.compress(people.encode()))
    (tmp_path / "my-query.rq").write_text("SELECT ?s WHERE { ?s a kgx:Substance } LIMIT 3", encoding="utf-8")
    commands = _readme_commands()
    ran = 0
    for command in commands:
        args = shlex.split(command, comments=True)[1:]
        if any(word in SERVERS for word in args):
            continue
        result = CliRunner().invoke(cli, args, prog_name="kgexplorer")
        assert result.exit_code == 0, f"`{command}` failed:\n{result.output}"
        assert result.output.strip(), f"`{command}` printed nothing"
        ran += 1

    assert ran >= 12
    # `kgexplorer validate` ran through the CLI; its SHACL report of the shipped graph is the run's one
    # (conftest's bundled_validation, shared with tests/engine/test_validation.py: the same group, one worker).
    assert any(files is None for files, _ in validation_calls)
    assert (tmp_path / "ketamine.html").is_file()
    assert (tmp_path / "paths.svg").is_file()
