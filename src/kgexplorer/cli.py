"""The ``kgexplorer`` command line: each command reads its input, calls one library function, prints.

Errors a user can cause end in a one-line message that says what to do (exit status 1; 2 for
wrong usage); no traceback is printed.
"""

from __future__ import annotations

import dataclasses
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from . import __version__
from .errors import KgExplorerError
from .settings import Settings, describe_settings

__all__ = ["main"]

F = TypeVar("F", bound=Callable[..., Any])

_SELECT_FORMATS = ("table", "json", "csv", "tsv")
_GRAPH_FORMATS = ("turtle", "nt", "jsonld")


@dataclasses.dataclass
class _Context:
    data: tuple[str, ...]
    data_format: str | None
    with_bundled: bool
    store: str | None
    endpoint: str | None
    reasoning: str | None
    settings: Settings
    setting_pairs: tuple[tuple[str, str], ...] = ()
    _kg: Any = None

    def kg(self) -> Any:
        from .knowledge_graph import KnowledgeGraph

        if self._kg is None:
            sources = [
                name
                for name, given in (("--data", self.data), ("--store", self.store), ("--endpoint", self.endpoint))
                if given
            ]
            if len(sources) > 1:
                raise click.UsageError(f"use only one of {', '.join(sources)}")
            if self.reasoning and (self.store or self.endpoint):
                raise click.UsageError(
                    "--reasoning works on files; for a store, build it with "
                    "'kgexplorer load --reasoning PROFILE', which keeps the inferences"
                )
            if self.endpoint:
                self._kg = KnowledgeGraph.from_endpoint(self.endpoint, settings=self.settings)
            elif self.store:
                self._kg = KnowledgeGraph.open_store(self.store, settings=self.settings)
            elif self.data:
                self._kg = KnowledgeGraph.from_files(
                    self.data,
                    format=self.data_format,
                    include_bundled=self.with_bundled,
                    reasoning=self.reasoning,
                    settings=self.settings,
                )
            else:
                self._kg = KnowledgeGraph.bundled(reasoning=self.reasoning, settings=self.settings)
            # Stop the graph's query workers when the command ends (not at garbage collection).
            ctx = click.get_current_context(silent=True)
            if ctx is not None:
                ctx.call_on_close(self._kg.close)
        return self._kg


def _friendly(func: F) -> F:
    """Turn library errors into one-line messages (exit 1) instead of tracebacks."""
    import functools

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except KgExplorerError as exc:
            raise click.ClickException(str(exc)) from None
        except BrokenPipeError:  # e.g. `kgexplorer query … | head`
            sys.stderr.close()
            return None

    return wrapper  # type: ignore[return-value]


def _settings_help() -> str:
    return "; ".join(f"{s.name} (default {s.default})" for s in describe_settings())


def _version_text() -> str:
    try:
        from .knowledge_graph import KnowledgeGraph

        with KnowledgeGraph.bundled() as kg:
            data = kg.metadata().version or "unknown"
    except KgExplorerError:
        data = "missing"
    return f"kgexplorer {__version__} (bundled graph data version {data})"


def _print_version(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if value and not ctx.resilient_parsing:
        click.echo(_version_text())
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
    "data",
    multiple=True,
    type=click.Path(dir_okay=False),
    help="Use your own RDF file instead of the bundled graph (repeat for several files). Turtle, "
    "N-Triples, N-Quads, TriG, RDF/XML, JSON-LD or N3, optionally gzip-compressed; the format "
    "comes from the extension unless --data-format is given.",
)
@click.option(
    "--data-format",
    type=click.Choice(["turtle", "nt", "nq", "trig", "xml", "json-ld", "n3"]),
    help="Format of the --data files when their extension does not say it.",
)
@click.option(
    "--with-bundled",
    is_flag=True,
    help="Load the bundled graph beside the --data files instead of replacing it.",
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
    help=f"Change a limit for this run (repeatable). Settings: {_settings_help()}.",
)
@click.pass_context
@_friendly
def cli(
    ctx: click.Context,
    data: tuple[str, ...],
    data_format: str | None,
    with_bundled: bool,
    store: str | None,
    endpoint: str | None,
    reasoning: str | None,
    settings: tuple[tuple[str, str], ...],
) -> None:
    """Explore the evidence-graded knowledge graph of psychedelic-assisted therapy and addiction.

    Without --data or --store every command uses the bundled graph. The content is educational, not
    medical advice.
    """
    ctx.obj = _Context(
        data, data_format, with_bundled, store, endpoint, reasoning, Settings().with_pairs(settings), settings
    )


@cli.command()
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="text for people, json for scripts.",
)
@click.pass_obj
@_friendly
def stats(obj: _Context, fmt: str) -> None:
    """Count triples, entities by kind, claims by evidence level and direction, and studies."""
    result = obj.kg().stats()
    click.echo(result.to_json() if fmt == "json" else result.to_text())


@cli.command()
@click.argument("files", nargs=-1, type=click.Path(dir_okay=False))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["turtle", "nt", "nq", "trig", "xml", "json-ld", "n3"]),
    help="Format of FILES when their extension does not say it.",
)
@click.option(
    "--lessons",
    "lessons_dir",
    type=click.Path(file_okay=False, exists=True),
    help="Also check the lessons in this folder against the graph (the bundled lessons are always checked "
    "when the bundled graph is validated).",
)
@click.pass_obj
@_friendly
def validate(obj: _Context, files: tuple[str, ...], fmt: str | None, lessons_dir: str | None) -> None:
    """Check the graph against the shapes (graph/shapes.ttl) and list each problem with its fix.

    Without FILES the bundled graph (or the --data files) is checked, and with the bundled graph also
    every bundled lesson: its entities, filters, views, queries and cited claims must exist and run.
    Exits 0 when everything conforms and 1 when it does not.
    """
    from .lessons import check_lesson, load_lessons
    from .validation import validate as run_validation

    if obj.store or obj.endpoint:
        raise click.UsageError("validate checks RDF files; give FILES or --data instead of --store/--endpoint")
    targets = files or obj.data or None
    report = run_validation(targets, format=fmt or obj.data_format)
    click.echo(report.to_text())
    problems = []
    if targets is None or lessons_dir:
        kg = obj.kg()
        for lesson in load_lessons(lessons_dir):
            problems += check_lesson(kg, lesson)
        checked = "lessons in " + lessons_dir if lessons_dir else "bundled lessons"
        click.echo(f"The {checked} check out." if not problems else f"{len(problems)} problem(s) in the {checked}:")
        for p in problems:
            click.echo("  " + p.to_text())
    if not report.conforms or problems:
        raise SystemExit(1)


@cli.command()
@click.argument("text")
@click.option("--limit", type=click.IntRange(1, 1000), help="Most results to show (default: the search_limit setting).")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="text for people, json for scripts.",
)
@click.pass_obj
@_friendly
def search(obj: _Context, text: str, limit: int | None, fmt: str) -> None:
    """Find entities by label or synonym (case- and accent-insensitive; 'special K' finds ketamine)."""
    hits = obj.kg().search(text, limit=limit)
    if fmt == "json":
        click.echo(
            json.dumps(
                [{"iri": h.iri, "label": h.label, "kind": h.kind, "matched": h.matched} for h in hits],
                indent=2,
                ensure_ascii=False,
            )
        )
        return
    if not hits:
        click.echo(f"No entity matches {text!r}. Try a shorter or different word.")
        return
    for h in hits:
        also = f"  (matched {h.matched!r})" if h.matched != h.label else ""
        click.echo(f"{h.label}  [{h.kind}]  {_short(h.iri)}{also}")


@cli.command()
@click.argument("entity")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="text for people, json for scripts.",
)
@click.pass_obj
@_friendly
def show(obj: _Context, entity: str, fmt: str) -> None:
    """Show one entity: what it is, its identifiers, and every claim about it with its evidence.

    ENTITY may be a local name (ketamine), a label or synonym (Spravato), a prefixed name (kg:mdma) or
    a full IRI.
    """
    card = obj.kg().entity(entity)
    if fmt == "json":
        click.echo(json.dumps(dataclasses.asdict(card), indent=2, ensure_ascii=False))
        return
    click.echo(card.to_text())


@cli.command()
@click.argument("query")
@click.option(
    "--format",
    "fmt",
    type=click.Choice([*_SELECT_FORMATS, *_GRAPH_FORMATS]),
    help="Output format. SELECT: table (default), json (SPARQL 1.1 JSON), csv, tsv. ASK: table or "
    "json. CONSTRUCT/DESCRIBE: turtle (default), nt, jsonld.",
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
@click.pass_obj
@_friendly
def query(obj: _Context, query: str, fmt: str | None, max_rows: int | None, timeout: float | None) -> None:
    """Run a read-only SPARQL query. QUERY is the text, @file.rq to read a file, or - to read stdin.

    The project prefixes (kg:, kgx:, rdfs:, skos:, dcterms: …) need no PREFIX lines. UPDATE, LOAD,
    SERVICE, FROM and FROM NAMED are refused.
    """
    text = _read_query(query)
    _print_result(obj.kg().sparql(text, max_rows=max_rows, timeout_s=timeout), fmt)


def _print_result(result: Any, fmt: str | None) -> None:
    """Print a query result in the requested format (or the natural one for its type)."""
    from .query import AskResult, GraphResult

    if isinstance(result, AskResult):
        if fmt not in (None, "table", "json"):
            raise click.UsageError(f"--format {fmt} does not apply to an ASK query; use table or json")
        click.echo(result.to_json() if fmt == "json" else ("yes" if result.value else "no"))
        return
    if isinstance(result, GraphResult):
        if fmt not in (None, *_GRAPH_FORMATS):
            raise click.UsageError(f"--format {fmt} does not apply to CONSTRUCT/DESCRIBE; use turtle, nt or jsonld")
        out = {"nt": result.to_ntriples, "jsonld": result.to_jsonld}.get(fmt or "turtle", result.to_turtle)()
        click.echo(out, nl=False)
    else:
        if fmt not in (None, *_SELECT_FORMATS):
            raise click.UsageError(f"--format {fmt} does not apply to a SELECT query; use table, json, csv or tsv")
        writer = {"json": result.to_json, "csv": result.to_csv, "tsv": result.to_tsv}.get(
            fmt or "table", result.to_table
        )
        click.echo(writer(), nl=(fmt in (None, "table", "json")))
    if result.truncated:
        click.echo(
            f"note: the result was cut at {result.row_limit:,} rows (--max-rows / the max_result_rows "
            "setting); add LIMIT or narrow the query",
            err=True,
        )


@cli.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option(
    "--store",
    "directory",
    required=True,
    type=click.Path(file_okay=False),
    help="Folder of the on-disk store to build (replaced only when the load succeeds).",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["turtle", "nt", "nq", "trig", "xml", "json-ld", "n3"]),
    help="Format of FILES when their extension does not say it.",
)
@click.option("--with-bundled", is_flag=True, help="Load the bundled graph into the store as well.")
@click.option(
    "--reasoning",
    type=click.Choice(["rdfs", "owl-rl"]),
    help="Also store what RDFS or OWL 2 RL entails, in a separate named graph (computed once here, so opening "
    "the store later costs nothing).",
)
@click.pass_obj
@_friendly
def load(
    obj: _Context, files: tuple[str, ...], directory: str, fmt: str | None, with_bundled: bool, reasoning: str | None
) -> None:
    """Bulk-load RDF FILES into an on-disk store for large graphs; open it later with --store DIR.

    The store is built in a temporary folder and renamed at the end, so an interrupted or failed load
    leaves the previous store untouched. Progress is printed as files load.
    """
    from .store import DataFile, StoreRecipe, write_disk_store

    base = StoreRecipe.bundled().files if with_bundled else ()
    inputs = [*base, *(DataFile(f, fmt) for f in files)]
    if reasoning:
        from .reasoning import infer

        click.echo(f"materialising {reasoning} entailments (cached after the first time)…", err=True)
        result = infer(
            StoreRecipe(files=tuple(inputs)),
            profile=reasoning,  # type: ignore[arg-type]
            max_triples=obj.settings.max_reasoning_triples,
        )
        click.echo(f"{result.new_triples:,} inferred triples in {result.seconds:.1f} s", err=True)
        inputs.append(result.data_file)
    count = write_disk_store(inputs, directory, progress=lambda m: click.echo(m, err=True))
    click.echo(f"stored {count:,} quads in {directory}; use: kgexplorer --store {directory} stats")


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
@click.option(
    "--format",
    "fmt",
    type=click.Choice([*_SELECT_FORMATS, *_GRAPH_FORMATS]),
    help="Output format, as for 'kgexplorer query'.",
)
@click.pass_obj
@_friendly
def gallery(obj: _Context, name: str | None, params: tuple[str, ...], fmt: str | None) -> None:
    """List the competency questions of graph/queries/, or run one by NAME with its parameters bound safely."""
    from .gallery import get_query, load_gallery

    if name is None:
        for q in load_gallery():
            shown = ", ".join(f"{p.name} ({p.kind}, default {_short(p.default)})" for p in q.params)
            click.echo(f"{q.name}\n    {q.title}" + (f"\n    parameters: {shown}" if shown else ""))
        return
    texts: dict[str, str] = {}
    for item in params:
        if "=" not in item:
            raise click.UsageError(f"--param takes NAME=VALUE, got {item!r}; e.g. --param substance=ketamine")
        key, value = item.split("=", 1)
        texts[key.strip()] = value.strip()
    kg = obj.kg()
    question = get_query(name)
    result = question.run(kg, question.resolve_values(kg, texts))
    _print_result(result, fmt)


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
@click.pass_obj
@_friendly
def app(obj: _Context, port: int, host: str) -> None:
    """Start the Streamlit app (Explore, Connections, Compare, Evidence, Lessons, SPARQL workbench, Data,
    About) in your browser.

    It opens what the global options name for every visitor: the bundled graph, or --data FILES, --store
    DIR (the way to explore millions of triples) or --endpoint URL; --setting limits apply in the app too.
    """
    import os
    import subprocess

    from .datasources import APP_SOURCE_VARIABLE, AppSource
    from .store import bundled_app_script

    given = [
        name for name, value in (("--data", obj.data), ("--store", obj.store), ("--endpoint", obj.endpoint)) if value
    ]
    if len(given) > 1:
        raise click.UsageError(f"use only one of {', '.join(given)}")
    for path in [*obj.data, *([obj.store] if obj.store else [])]:
        if not Path(path).exists():
            raise click.UsageError(f"{path} does not exist; give the path of an RDF file or of a store folder")
    spec = AppSource(
        data=tuple(str(Path(d).resolve()) for d in obj.data),
        data_format=obj.data_format,
        with_bundled=obj.with_bundled,
        store=str(Path(obj.store).resolve()) if obj.store else None,
        endpoint=obj.endpoint,
        reasoning=obj.reasoning,
        settings=obj.setting_pairs,
    )
    script = bundled_app_script()
    click.echo(f"kgexplorer app: http://{host}:{port}  (Ctrl+C stops it)")
    command = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(script),
        "--server.port",
        str(port),
        "--server.address",
        host,
        "--browser.gatherUsageStats",
        "false",
        "--server.headless",
        "true",
    ]
    os.environ[APP_SOURCE_VARIABLE] = spec.to_json()
    raise SystemExit(subprocess.call(command))


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
@click.pass_obj
@_friendly
def render(
    obj: _Context,
    entity: str,
    depth: int,
    target: str | None,
    fmt: str,
    title: str | None,
    caption: str | None,
    output: str | None,
) -> None:
    """Export a view — ENTITY's neighbourhood, or its paths to OTHER — as offline HTML or a PNG/SVG image."""
    from .export import export_entity, write_export

    exported = export_entity(
        obj.kg(),
        entity,
        depth=depth,
        to=target,
        format=fmt,  # type: ignore[arg-type]
        title=title,
        caption=caption,
    )
    path = write_export(output or exported.name, exported.data)
    click.echo(f"wrote {path} ({len(exported.data):,} bytes)")


@cli.command("settings")
def settings_cmd() -> None:
    """List every setting with its default and what it limits."""
    for s in describe_settings():
        click.echo(f"{s.name} = {s.default}\n    {s.help}")


def _read_query(arg: str) -> str:
    if arg == "-":
        return sys.stdin.read()
    if arg.startswith("@"):
        path = Path(arg[1:])
        try:
            return path.read_text(encoding="utf-8")
        except OSError as exc:
            raise click.ClickException(f"cannot read the query file {path}: {exc.strerror}; check the path") from None
        except UnicodeDecodeError:
            raise click.ClickException(f"the query file {path} is not UTF-8 text; save it as UTF-8") from None
    return arg


def _short(iri: str) -> str:
    from .namespaces import shorten

    return shorten(iri)


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
@click.pass_obj
@_friendly
def serve_cmd(obj: _Context, host: str, port: int) -> None:
    """Serve the graph as a read-only SPARQL 1.1 endpoint (/sparql) with a query page for people (/).

    Queries run under the same guard and limits as 'kgexplorer query' (see --setting). Updates, LOAD,
    SERVICE, FROM and FROM NAMED are refused. Ctrl+C stops the server.
    """
    from .server import serve as run_server

    kg = obj.kg()
    shown = f"[{host}]" if ":" in host else host
    click.echo(f"SPARQL endpoint: http://{shown}:{port}/sparql  (query page: http://{shown}:{port}/)")
    try:
        run_server(kg, host=host, port=port)
    finally:
        kg.close()


def main() -> None:
    """Entry point of the ``kgexplorer`` console script."""
    cli(prog_name="kgexplorer")


if __name__ == "__main__":  # pragma: no cover
    main()
