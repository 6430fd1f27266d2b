"""Every command that reads a graph, on a real remote engine (an Oxigraph server holding the bundled graph) and
on the bundled graph: the same output (issue 16: "test every command … against a real remote engine")."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from kgexplorer.cli.commands import cli

#: Each command as a researcher would type it; the output must not depend on where the graph lives.
COMMANDS = {
    "stats": ["stats"],
    "search": ["search", "ketamine"],
    "show": ["show", "psilocybin"],
    "query": ["query", "SELECT ?s ?l WHERE { ?s a kgx:Substance ; rdfs:label ?l } ORDER BY ?l"],
    "query-construct": ["query", "CONSTRUCT { kg:ketamine rdfs:label ?l } WHERE { kg:ketamine rdfs:label ?l }"],
    "gallery-list": ["gallery"],
    "gallery-run": ["gallery", "risks-and-barriers-of-a-substance", "--param", "substance=Spravato"],
    "gallery-graph": ["gallery", "mechanism-chain"],
}


def _run(args: list[str]) -> tuple[int, str]:
    result = CliRunner().invoke(cli, args)
    return result.exit_code, result.output


def _same_lines(text: str) -> list[str]:
    """The output's lines, sorted, with timings dropped: GROUP_CONCAT and equal-key order are the engine's own."""
    return sorted(re.sub(r"\d+(\.\d+)? ?(ms|s)\b", "", line) for line in text.splitlines())


@pytest.mark.parametrize("name", COMMANDS)
def test_a_command_answers_alike_on_a_remote_engine(bundled_endpoint: str, name: str) -> None:
    local_code, local = _run(COMMANDS[name])
    remote_code, remote = _run(["--endpoint", bundled_endpoint, *COMMANDS[name]])
    assert local_code == 0, local
    assert remote_code == 0, remote
    assert _same_lines(remote) == _same_lines(local)


@pytest.mark.parametrize(
    ("fmt", "view"),
    [("html", []), ("svg", []), ("png", []), ("svg", ["--to", "alcohol use disorder"]), ("svg", ["--depth", "2"])],
)
def test_render_exports_alike_from_a_remote_engine(
    bundled_endpoint: str, tmp_path: Path, fmt: str, view: list[str]
) -> None:
    """The neighbourhood and the paths views, exported: the SVG (no timestamps or random ids) is the same file."""
    local_code, local = _run(["render", "ketamine", *view, "--format", fmt, "-o", str(tmp_path / f"local.{fmt}")])
    remote_code, remote = _run(
        [
            "--endpoint",
            bundled_endpoint,
            "render",
            "ketamine",
            *view,
            "--format",
            fmt,
            "-o",
            str(tmp_path / f"remote.{fmt}"),
        ]
    )
    assert local_code == 0, local
    assert remote_code == 0, remote
    assert (tmp_path / f"remote.{fmt}").stat().st_size > 1000
    if fmt == "svg":
        assert (tmp_path / "remote.svg").read_bytes() == (tmp_path / "local.svg").read_bytes()
