"""``kgexplorer records``: check the evidence records, draw a sample of them, build the shipped Turtle.

The curators' commands (docs/decisions/evidence-records.md); the library side is
:mod:`kgexplorer.curation`.
"""

from __future__ import annotations

from pathlib import Path

import click

from kgexplorer.engine.store import bundled_graph_dir

from . import terminal
from .context import friendly

__all__ = ["records"]


@click.group()
def records() -> None:
    """Check the evidence records (graph/records/) and build the shipped Turtle from them.

    One YAML file per source, claim and event (docs/decisions/evidence-records.md): 'records check' runs the
    machine checks, 'records build' writes graph/claims.ttl, sources.ttl, events.ttl … from them.
    """


_graph_option = click.option(
    "--graph",
    "graph_dir",
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    help="The graph folder holding records/ (default: the bundled graph, graph/ of a checkout).",
)


@records.command("check")
@_graph_option
@friendly
def records_check(graph_dir: Path | None) -> None:
    """List every problem of the records, and any generated file that differs from their build.

    Exits 0 when the records may ship and 1 when they may not.
    """
    from kgexplorer.curation import check_graph

    problems = check_graph(graph_dir or bundled_graph_dir())
    click.echo(terminal.records_report(problems, built=False))
    if problems:
        raise SystemExit(1)


@records.command("sample")
@_graph_option
@click.option("--seed", type=int, default=14, show_default=True, help="The seed: the same seed draws the same claims.")
@click.option("--count", type=click.IntRange(1, 1000), default=10, show_default=True, help="How many claims to draw.")
@friendly
def records_sample(graph_dir: Path | None, seed: int, count: int) -> None:
    """Draw claims at random (reproducibly) with their sources' identifiers and reported results, to check them."""
    from kgexplorer.curation.reader import load_records
    from kgexplorer.curation.sample import sample_claims

    folder = graph_dir or bundled_graph_dir()
    click.echo(terminal.sampled_claims(sample_claims(load_records(folder / "records"), seed=seed, count=count)))


@records.command("build")
@_graph_option
@friendly
def records_build(graph_dir: Path | None) -> None:
    """Check the records, then write the Turtle they build (only the files whose bytes change).

    Nothing is written when a record has a problem: the problems are listed and the exit status is 1.
    """
    from kgexplorer.curation import build_graph, check_graph

    folder = graph_dir or bundled_graph_dir()
    problems = check_graph(folder, stale=False)
    if problems:
        click.echo(terminal.records_report(problems, built=True))
        raise SystemExit(1)
    changed = build_graph(folder)
    click.echo(terminal.records_report([], built=True, changed=changed))
