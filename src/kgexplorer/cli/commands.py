"""The ``kgexplorer`` command line: each command reads its input, calls one library function, prints.

Errors a user can cause end in a one-line message that says what to do (exit status 1; 2 for
wrong usage); no traceback is printed.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import Any, Literal

import click

from kgexplorer.data_options import DataOptions
from kgexplorer.engine.bulk_load import bulk_load
from kgexplorer.errors import KgExplorerError
from kgexplorer.model.search import index_labels
from kgexplorer.settings import Settings

from . import terminal
from .context import Context, F, friendly, say, with_context
from .launcher import launch_app
from .records import records

__all__ = ["main"]


_RDF_FORMATS = ("turtle", "nt", "nq", "trig", "xml", "json-ld", "n3")
# The --format option of the commands that print for people or for scripts.
_text_or_json = click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="text for people, json for scripts.",
)
_files_format = click.option(
    "--format", "fmt", type=click.Choice(_RDF_FORMATS), help="Format of FILES when their extension does not say it."
)


def _result_format(help_text: str) -> Callable[[F], F]:
    """The --format option of the commands that print a query result."""
    return click.option(
        "--format", "fmt", type=click.Choice([*terminal.SELECT_FORMATS, *terminal.GRAPH_FORMATS]), help=help_text
    )


def _print_version(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if value and not ctx.resilient_parsing:
        click.echo(terminal.version_text())
        ctx.exit()


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.option(
    "--version",
    is_flag=True,
    expose_value=False,
    is_eager=True,
    callback=_print_version,
    help="Show the package version and the bundled graph's data version, then exit.",
)
@click.option(
    "--data",
    multiple=True,
    type=click.Path(dir_okay=False),
    help="Use your own RDF file instead of the bundled graph (repeat for several files). Turtle, "
    "N-Triples, N-Quads, TriG, RDF/XML, JSON-LD or N3, optionally gzip-compressed; the format "
    "comes from the extension unless --data-format is given.",
)
@click.option(
    "--data-format",
    type=click.Choice(_RDF_FORMATS),
    help="Format of the --data files when their extension does not say it.",
)
@click.option(
    "--with-bundled", is_flag=True, help="Load the bundled graph beside the --data files instead of replacing it."
)
@click.option(
    "--store",
    type=click.Path(file_okay=False),
    help="Open an on-disk store built by 'kgexplorer load' (read-only, opens in milliseconds).",
)
@click.option(
    "--endpoint",
    metavar="URL",
    help="Use a remote SPARQL 1.1 endpoint (Oxigraph, QLever, Virtuoso, GraphDB, Fuseki …) instead of local "
    "data: search, show, query and paths work the same. Its own limits apply as well as ours.",
)
@click.option(
    "--reasoning",
    type=click.Choice(["rdfs", "owl-rl"]),
    help="Add what RDFS or OWL 2 RL entails (materialised with owlrl into a separate graph, cached on disk; "
    "about a minute per 100,000 triples the first time).",
)
@click.option(
    "--setting",
    "settings",
    multiple=True,
    nargs=2,
    metavar="NAME VALUE",
    help=f"Change a limit for this run (repeatable). Settings: {terminal.settings_summary()}.",
)
@click.pass_context
@friendly
def cli(ctx: click.Context, /, settings: tuple[tuple[str, str], ...], **data_options: Any) -> None:
    """Explore the evidence-graded knowledge graph of psychedelic-assisted therapy and addiction.

    Without --data or --store every command uses the bundled graph. The content is educational, not
    medical advice.
    """
    # The data options (--data, --data-format, --with-bundled, --store, --endpoint, --reasoning) are named
    # as DataOptions' fields.
    ctx.obj = Context(DataOptions(**data_options), Settings().with_pairs(settings), settings)


@cli.command()
@_text_or_json
@with_context
def stats(obj: Context, fmt: str) -> None:
    """Count triples, entities by kind, claims by evidence level and direction, and studies."""
    result = obj.kg().stats()
    say(terminal.for_json(result.to_json()) if fmt == "json" else result.to_text())


@cli.command()
@click.argument("files", nargs=-1, type=click.Path(dir_okay=False))
@_files_format
@click.option(
    "--lessons",
    "lessons_dir",
    type=click.Path(file_okay=False, exists=True),
    help="Also check the lessons in this folder against the graph (the bundled lessons are always checked "
    "when the bundled graph is validated).",
)
@with_context
def validate(obj: Context, files: tuple[str, ...], fmt: str | None, lessons_dir: str | None) -> None:
    """Check the graph against the shapes (graph/shapes.ttl) and list each problem with its fix.

    Without FILES the bundled graph (or the --data files) is checked, and with the bundled graph also
    every bundled lesson: its entities, filters, views, queries and cited claims must exist and run, and
    every entity its text names ([Ketamine](kg:ketamine)) must be in that step's view, substances and
    conditions must be linked, and no raw id or outside link may reach a reader.
    Exits 0 when everything conforms and 1 when it does not.
    """
    from kgexplorer.engine.validation import validate as run_validation
    from kgexplorer.views.lessons import check_lesson, load_lessons

    if obj.options.store or obj.options.endpoint:
        raise click.UsageError("validate checks RDF files; give FILES or --data instead of --store/--endpoint")
    targets = files or obj.options.data or None
    report = run_validation(targets, format=fmt or obj.options.data_format, settings=obj.settings)
    say(report.to_text())
    problems = []
    if targets is None or lessons_dir:
        kg = obj.kg()
        problems = [problem for lesson in load_lessons(lessons_dir) for problem in check_lesson(kg, lesson)]
        say(terminal.lessons_report(problems, directory=lessons_dir))
    if not report.conforms or problems:
        raise SystemExit(1)


@cli.command()
@click.argument("text")
@click.option("--limit", type=click.IntRange(1, 1000), help="Most results to show (default: the search_limit setting).")
@_text_or_json
@with_context
def search(obj: Context, text: str, limit: int | None, fmt: str) -> None:
    """Find entities by label or synonym (case- and accent-insensitive; 'special K' finds ketamine)."""
    hits = obj.kg().search(text, limit=limit)
    say(terminal.hits_json(hits) if fmt == "json" else terminal.hits_text(hits, text=text), nl=fmt == "json")


@cli.command()
@click.argument("entity")
@_text_or_json
@with_context
def show(obj: Context, entity: str, fmt: str) -> None:
    """Show one entity: what it is, its identifiers, and every claim about it with its evidence.

    ENTITY may be a local name (ketamine), a label or synonym (Spravato), a prefixed name (kg:mdma) or
    a full IRI.
    """
    card = obj.kg().entity(entity)
    say(terminal.card_json(card) if fmt == "json" else card.to_text())


@cli.command()
@click.argument("query")
@_result_format(
    "Output format. SELECT: table (default), json (SPARQL 1.1 JSON), csv, tsv. ASK: table or "
    "json. CONSTRUCT/DESCRIBE: turtle (default), nt, jsonld."
)
@click.option(
    "--max-rows",
    type=click.IntRange(1),
    help="Return at most this many rows (cannot exceed the max_result_rows setting).",
)
@click.option(
    "--timeout",
    type=click.FloatRange(min=0.05),
    help="Stop after this many seconds (cannot exceed the query_time_limit_s setting).",
)
@with_context
def query(obj: Context, query: str, fmt: str | None, max_rows: int | None, timeout: float | None) -> None:
    """Run a read-only SPARQL query. QUERY is the text, @file.rq to read a file, or - to read stdin.

    The project prefixes (kg:, kgx:, rdfs:, skos:, dcterms: …) need no PREFIX lines. UPDATE, LOAD,
    SERVICE, FROM and FROM NAMED are refused.
    """
    graph = obj.kg(start_query_worker=True)  # --data files load in a query worker while they are parsed
    _print_result(graph.sparql(terminal.read_query(query), max_rows=max_rows, timeout_s=timeout), fmt)


def _print_result(result: Any, fmt: str | None) -> None:
    """Print a query result in the requested format (or the natural one for its type)."""
    if problem := terminal.format_mismatch(result, format=fmt):
        raise click.UsageError(problem)
    printout = terminal.result_printout(result, format=fmt, terminal=sys.stdout.isatty())
    click.echo(printout.text, nl=False)  # made safe for its format by result_printout
    if printout.note:
        say(printout.note, err=True)


@cli.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option(
    "--store",
    "directory",
    required=True,
    type=click.Path(file_okay=False),
    help="Folder of the on-disk store to build (replaced only when the load succeeds).",
)
@_files_format
@click.option("--with-bundled", is_flag=True, help="Load the bundled graph into the store as well.")
@click.option(
    "--reasoning",
    type=click.Choice(["rdfs", "owl-rl"]),
    help="Also store what RDFS or OWL 2 RL entails, in a separate named graph (computed once here, so opening "
    "the store later costs nothing).",
)
@with_context
def load(
    obj: Context, files: tuple[str, ...], directory: str, fmt: str | None, with_bundled: bool, reasoning: str | None
) -> None:
    """Bulk-load RDF FILES into an on-disk store for large graphs; open it later with --store DIR.

    The files are parsed in a separate process (no network; the parse_memory_mb and parse_time_limit_s
    settings), and the new store is built beside the old one and switched to in one step at the end, so an
    interrupted or failed load leaves the previous store untouched; a running 'kgexplorer serve' moves to
    the new one. Progress is printed as files load: a bar with the bytes and triples read, the rate and the
    time left; each file's triples and rate when it is loaded; the total and its rate at the end.
    """
    started = time.perf_counter()
    count = bulk_load(
        files,
        directory,
        format=fmt,
        with_bundled=with_bundled,
        reasoning=reasoning,
        settings=obj.settings,
        progress=lambda message: say(message, err=True),
        finish=index_labels,  # the search index is built with the store and opened with it
        report=terminal.load_meter(),
    )
    seconds = time.perf_counter() - started
    say(f"loaded {count:,} quads in {seconds:.1f} s ({count / seconds:,.0f} quads/s)", err=True)
    say(f"stored {count:,} quads in {directory}; use: kgexplorer --store {directory} stats")


@cli.command()
@click.argument("name", required=False)
@click.option(
    "--param",
    "params",
    multiple=True,
    metavar="NAME=VALUE",
    help="Give a parameter of the question (repeatable), e.g. --param condition=AUD; the value may be a name, "
    "label, synonym or IRI. Missing parameters use the question's default.",
)
@_result_format("Output format, as for 'kgexplorer query'.")
@with_context
def gallery(obj: Context, name: str | None, params: tuple[str, ...], fmt: str | None) -> None:
    """List the competency questions of graph/queries/, or run one by NAME with its parameters bound safely."""
    from kgexplorer.model.gallery import get_query, load_gallery

    if name is None:
        say(terminal.gallery_listing(load_gallery()))
        return
    if problem := terminal.malformed_param(params):
        raise click.UsageError(terminal.one_line(problem))
    kg, question = obj.kg(), get_query(name)
    _print_result(question.run(kg, question.resolve_values(kg, terminal.param_texts(params))), fmt)


@cli.command()
@click.option(
    "--port",
    type=click.IntRange(1, 65535),
    default=8501,
    show_default=True,
    help="TCP port of the app; pick another if this one is taken.",
)
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to listen on; 127.0.0.1 serves this computer only, 0.0.0.0 every network it is on.",
)
@with_context
def app(obj: Context, port: int, host: str) -> None:
    """Start the Streamlit app (Explore, Connections, Compare, Evidence, Lessons, SPARQL workbench, Data,
    About) in your browser.

    It opens what the global options name for every visitor: the bundled graph, or --data FILES, --store
    DIR (the way to explore millions of triples) or --endpoint URL; --setting limits apply in the app too.
    """
    if problem := obj.options.app_problem():
        raise click.UsageError(terminal.one_line(problem))
    source = obj.options.for_app(settings=obj.setting_pairs)
    raise SystemExit(launch_app(source, host=host, port=port, announce=click.echo))


@cli.command()
@click.argument("entity")
@click.option(
    "--depth",
    type=click.IntRange(1),
    default=1,
    show_default=True,
    help="Steps out from ENTITY (capped by the max_depth setting; ignored with --to).",
)
@click.option("--to", "target", metavar="OTHER", help="Draw the shortest paths from ENTITY to OTHER instead.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["html", "png", "svg"]),
    default="html",
    show_default=True,
    help="html: one offline file (interactive graph, legend, sources of every edge, citation); png or "
    "svg: a static image for slides and handouts.",
)
@click.option("--title", help="Title shown on the export (default: what the view shows).")
@click.option("--caption", help="Caption shown under the title.")
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False),
    help="File to write (default: a name made from the entity, in the current folder). Written to a "
    "temporary file first and renamed, so an interrupted export leaves no half file.",
)
@with_context
def render(
    obj: Context,
    entity: str,
    depth: int,
    target: str | None,
    fmt: Literal["html", "png", "svg"],
    title: str | None,
    caption: str | None,
    output: str | None,
) -> None:
    """Export a view — ENTITY's neighbourhood, or its paths to OTHER — as offline HTML or a PNG/SVG image."""
    from kgexplorer.views.export import export_entity, write_export

    exported = export_entity(obj.kg(), entity, depth=depth, to=target, format=fmt, title=title, caption=caption)
    path = write_export(output or exported.name, exported.data)
    say(f"wrote {path} ({len(exported.data):,} bytes)")


cli.add_command(records)


@cli.command("settings")
def settings_cmd() -> None:
    """List every setting with its default and what it limits."""
    click.echo(terminal.settings_listing())


@cli.command("serve")
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to listen on. 127.0.0.1 accepts connections from this computer only; 0.0.0.0 accepts "
    "them on every network this computer is on, so anyone who can reach it can run (read-only, "
    "time-limited) queries.",
)
@click.option(
    "--port",
    type=click.IntRange(1, 65535),
    default=7878,
    show_default=True,
    help="TCP port to listen on; pick another if this one is taken.",
)
@click.option(
    "--cors",
    "cors",
    multiple=True,
    metavar="ORIGIN",
    help="Let web pages on ORIGIN (such as https://yasgui.example.org) read the answers; repeat for several, "
    "* for any page. Off by default: no page on another origin can read them.",
)
@with_context
def serve_cmd(obj: Context, host: str, port: int, cors: tuple[str, ...]) -> None:
    """Serve the graph as a read-only SPARQL 1.1 endpoint (/sparql) with a query page for people (/).

    Queries run under the same guard and limits as 'kgexplorer query' (see --setting). Updates, LOAD,
    SERVICE, FROM and FROM NAMED are refused. Ctrl+C stops the server.
    """
    from kgexplorer.extras import require

    require("server")  # before importing the endpoint, which needs Starlette and uvicorn
    from kgexplorer.server.cors import allowed_origins
    from kgexplorer.server.endpoint import serve as run_server

    try:
        origins = allowed_origins(cors)
    except KgExplorerError as exc:
        raise click.BadParameter(str(exc), param_hint="--cors") from None
    kg = obj.kg(start_query_worker=True)  # as for query: --data files load in a query worker while parsed
    say(terminal.endpoint_banner(host=host, port=port))
    try:
        run_server(kg, host=host, port=port, cors_origins=origins)
    finally:
        kg.close()


def main() -> None:
    """Entry point of the ``kgexplorer`` console script."""
    cli(prog_name="kgexplorer")


if __name__ == "__main__":  # pragma: no cover
    main()
