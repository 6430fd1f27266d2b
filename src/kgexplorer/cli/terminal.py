"""What the ``kgexplorer`` command line shows in a terminal, and the query text it reads from one.

The CLI is a thin shell: each command reads its options, calls the library and prints. The text it prints
(search hits, entity cards as JSON, query results as a table, JSON, CSV, TSV or RDF, the gallery listing,
the settings, the lesson check, the version line) is made here, so it can be tested and reused without
click. Heavy modules are imported inside the functions that need them: ``kgexplorer --help`` stays quick.

Data never controls the terminal (:mod:`kgexplorer.control_chars`): text for people passes through
:func:`for_people` (escape sequences, C1 controls, bidi and zero-width characters shown escaped), error
lines through :func:`one_line`, JSON and RDF write such characters with their own escapes (the data stays
exact), and CSV and TSV are escaped when written to a terminal, exact when piped.

>>> from kgexplorer import KnowledgeGraph
>>> with KnowledgeGraph.bundled() as kg:
...     print(hits_text(kg.search("special K", limit=1), text="special K"), end="")
Ketamine  [Substance]  kg:ketamine  (matched 'Special K')
"""

from __future__ import annotations

import dataclasses
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from kgexplorer.control_chars import json_safe, printable, rdf_safe
from kgexplorer.engine.load_progress import LoadProgress
from kgexplorer.errors import KgExplorerError, QueryError
from kgexplorer.settings import describe_settings

if TYPE_CHECKING:
    from kgexplorer.curation import Problem
    from kgexplorer.curation.sample import SampledClaim
    from kgexplorer.engine.results import QueryResult
    from kgexplorer.knowledge_graph import KnowledgeGraph
    from kgexplorer.model.entity import EntityCard
    from kgexplorer.model.gallery import GalleryQuery
    from kgexplorer.model.search import SearchHit
    from kgexplorer.views.lessons import LessonProblem

__all__ = [
    "GRAPH_FORMATS",
    "SELECT_FORMATS",
    "Printout",
    "card_json",
    "endpoint_banner",
    "for_json",
    "for_people",
    "format_mismatch",
    "gallery_listing",
    "hits_json",
    "hits_text",
    "lessons_report",
    "malformed_param",
    "one_line",
    "opening_notes",
    "param_texts",
    "read_query",
    "records_report",
    "result_printout",
    "sampled_claims",
    "settings_listing",
    "settings_summary",
    "version_text",
]

#: The output formats of a SELECT query (ASK takes the first two).
SELECT_FORMATS: tuple[str, ...] = ("table", "json", "csv", "tsv")
#: The output formats of a CONSTRUCT or DESCRIBE query.
GRAPH_FORMATS: tuple[str, ...] = ("turtle", "nt", "jsonld")


@dataclasses.dataclass(frozen=True)
class Printout:
    """A query result as the terminal shows it: ``text`` for standard output, exactly (its final newline
    included when it has one), and ``note`` for standard error when the result was cut."""

    text: str
    note: str | None = None


def for_people(text: str) -> str:
    r"""Text for a person at a terminal: every control or invisible character but the newline escaped.

    >>> print(for_people("Ketamine\x1b[2J\nnext line"))
    Ketamine\x1b[2J
    next line
    """
    return printable(text, keep="\n")


def one_line(text: str) -> str:
    r"""One line for a person (an error message, a search hit's field): newlines escaped too.

    >>> print(one_line("no file data\n\u202e.ttl"))
    no file data\n\u202e.ttl
    """
    return printable(text)


def for_json(text: str) -> str:
    r"""JSON text that is safe on a terminal and parses to the same data (unsafe characters as ``\uXXXX``)."""
    return json_safe(text)


def opening_notes(kg: KnowledgeGraph) -> list[str]:
    """The ``note:`` lines saying what opening an on-disk store tidied up after an interrupted load.

    >>> from kgexplorer import KnowledgeGraph
    >>> with KnowledgeGraph.bundled() as kg:
    ...     opening_notes(kg)
    []
    """
    return [f"note: {note}" for note in (kg.generation.notes if kg.generation else ())]


def version_text() -> str:
    """The ``--version`` line: the package version and the bundled graph's data version.

    >>> version_text().startswith("kgexplorer ")
    True
    """
    from kgexplorer import __version__

    try:
        from kgexplorer.knowledge_graph import KnowledgeGraph

        with KnowledgeGraph.bundled() as kg:
            data = kg.metadata().version or "unknown"
    except KgExplorerError:
        data = "missing"
    return f"kgexplorer {__version__} (bundled graph data version {data})"


def settings_summary() -> str:
    """Every setting with its default on one line, for the ``--setting`` help.

    >>> settings_summary().split("; ")[0]
    'query_time_limit_s (default 10.0)'
    """
    return "; ".join(f"{s.name} (default {s.default})" for s in describe_settings())


def settings_listing() -> str:
    """Every setting with its default and what it limits, two lines each (no final newline).

    >>> settings_listing().splitlines()[0]
    'query_time_limit_s = 10.0'
    """
    return "\n".join(f"{s.name} = {s.default}\n    {s.help}" for s in describe_settings())


def hits_text(hits: Sequence[SearchHit], *, text: str) -> str:
    """Search hits one a line (label, kind, short IRI, the synonym that matched), or a hint when none did.

    >>> hits_text([], text="zzqqxx")
    "No entity matches 'zzqqxx'. Try a shorter or different word.\\n"
    """
    from kgexplorer.namespaces import shorten

    if not hits:
        return f"No entity matches {text!r}. Try a shorter or different word.\n"
    lines = []
    for h in hits:
        also = f"  (matched {one_line(repr(h.matched))})" if h.matched != h.label else ""
        lines.append(f"{one_line(h.label)}  [{one_line(h.kind)}]  {one_line(shorten(h.iri))}{also}\n")
    return "".join(lines)


def hits_json(hits: Sequence[SearchHit]) -> str:
    """Search hits as a JSON list of ``iri``, ``label``, ``kind`` and ``matched`` (no final newline).

    >>> from kgexplorer import KnowledgeGraph
    >>> with KnowledgeGraph.bundled() as kg:
    ...     json.loads(hits_json(kg.search("Spravato", limit=1)))[0]["label"]
    'Esketamine'
    """
    return for_json(
        json.dumps(
            [{"iri": h.iri, "label": h.label, "kind": h.kind, "matched": h.matched} for h in hits],
            indent=2,
            ensure_ascii=False,
        )
    )


def card_json(card: EntityCard) -> str:
    """An entity card as indented JSON, every field included (no final newline).

    >>> from kgexplorer import KnowledgeGraph
    >>> with KnowledgeGraph.bundled() as kg:
    ...     json.loads(card_json(kg.entity("ketamine")))["ref"]["label"]
    'Ketamine'
    """
    return for_json(json.dumps(dataclasses.asdict(card), indent=2, ensure_ascii=False))


def format_mismatch(result: QueryResult, *, format: str | None) -> str | None:
    """Why ``format`` does not apply to this kind of result, with the formats that do; None when it fits.

    >>> from kgexplorer import AskResult
    >>> format_mismatch(AskResult(True), format="csv")
    '--format csv does not apply to an ASK query; use table or json'
    >>> format_mismatch(AskResult(True), format=None) is None
    True
    """
    from kgexplorer.engine.results import AskResult, GraphResult

    if isinstance(result, AskResult):
        if format not in (None, "table", "json"):
            return f"--format {format} does not apply to an ASK query; use table or json"
    elif isinstance(result, GraphResult):
        if format not in (None, *GRAPH_FORMATS):
            return f"--format {format} does not apply to CONSTRUCT/DESCRIBE; use turtle, nt or jsonld"
    elif format not in (None, *SELECT_FORMATS):
        return f"--format {format} does not apply to a SELECT query; use table, json, csv or tsv"
    return None


def result_printout(result: QueryResult, *, format: str | None, terminal: bool = False) -> Printout:
    """A query result in ``format`` (None: the natural one for its kind), with a note when it was cut.

    Check the format with :func:`format_mismatch` first: a format that does not fit falls back to the
    natural one here. The table is text for people (control characters escaped); JSON, Turtle, N-Triples
    and JSON-LD write such characters with their own escapes; CSV and TSV, which have none, are escaped
    when ``terminal`` is True (standard output is a terminal) and exact otherwise.

    >>> from kgexplorer import KnowledgeGraph
    >>> with KnowledgeGraph.bundled() as kg:
    ...     shown = result_printout(kg.sparql("SELECT ?s WHERE { ?s ?p ?o }", max_rows=2), format="csv")
    >>> shown.text.splitlines()[0], shown.note.split(";")[0]
    ('s', 'note: the result was cut at 2 rows (--max-rows / the max_result_rows setting)')
    """
    import dataclasses as dc

    from kgexplorer.engine.results import AskResult, GraphResult

    if isinstance(result, AskResult):
        return Printout((result.to_json() if format == "json" else ("yes" if result.value else "no")) + "\n")
    if isinstance(result, GraphResult):
        fmt = format or "turtle"
        if fmt == "jsonld":
            text = for_json(result.to_jsonld())
        else:
            iris = (str(term) for t in result.triples for term in (t.subject, t.predicate, t.object))
            if fmt == "turtle" and any(_has_unsafe(iri) for iri in iris):
                # A prefixed name cannot hold an escape: write such a result with full IRIs.
                result = dc.replace(result, prefixes={})
            text = rdf_safe(result.to_ntriples() if fmt == "nt" else result.to_turtle())
    else:
        fmt = format or "table"
        if fmt == "json":
            text = for_json(result.to_json()) + "\n"
        elif fmt in ("csv", "tsv"):
            text = result.to_csv() if fmt == "csv" else result.to_tsv()
            if terminal:  # no escapes in CSV or TSV: shown escaped on a terminal (the row ends are the terminal's)
                text = printable(text.replace("\r\n", "\n"), keep="\n\t")
        else:
            text = for_people(result.to_table()) + "\n"
    note = None
    if result.truncated:
        note = (
            f"note: the result was cut at {result.row_limit:,} rows (--max-rows / the max_result_rows "
            "setting); add LIMIT or narrow the query"
        )
    return Printout(text, note)


def _has_unsafe(text: str) -> bool:
    return printable(text) != text


def read_query(arg: str) -> str:
    """The query text an argument names: ``-`` reads standard input, ``@FILE`` a UTF-8 file, else the text.

    >>> read_query("ASK {}")
    'ASK {}'
    >>> read_query("@no/such/file.rq")
    Traceback (most recent call last):
    ...
    kgexplorer.errors.QueryError: cannot read the query file no/such/file.rq: No such file or directory; check the path
    """
    if arg == "-":
        return sys.stdin.read()
    if arg.startswith("@"):
        path = Path(arg[1:])
        try:
            return path.read_text(encoding="utf-8")
        except OSError as exc:
            raise QueryError(f"cannot read the query file {path}: {exc.strerror}; check the path") from None
        except UnicodeDecodeError:
            raise QueryError(f"the query file {path} is not UTF-8 text; save it as UTF-8") from None
    return arg


def gallery_listing(queries: Sequence[GalleryQuery]) -> str:
    """Each gallery question's name, title and parameters (with kind and default), no final newline.

    >>> from kgexplorer.model.gallery import get_query
    >>> print(gallery_listing([get_query("rct-evidence-by-condition")]).splitlines()[2])
        parameters: condition (Condition, default kg:alcohol_use_disorder)
    """
    from kgexplorer.namespaces import shorten

    entries = []
    for q in queries:
        shown = ", ".join(f"{p.name} ({p.kind}, default {shorten(p.default)})" for p in q.params)
        entries.append(f"{q.name}\n    {q.title}" + (f"\n    parameters: {shown}" if shown else ""))
    return "\n".join(entries)


def lessons_report(problems: Sequence[LessonProblem], *, directory: str | None) -> str:
    """Whether the lessons (of ``directory``, else the bundled ones) check out, and each problem (no final newline).

    >>> lessons_report([], directory=None)
    'The bundled lessons check out.'
    """
    checked = "lessons in " + directory if directory else "bundled lessons"
    if not problems:
        return f"The {checked} check out."
    return "\n".join([f"{len(problems)} problem(s) in the {checked}:", *("  " + p.to_text() for p in problems)])


def records_report(problems: Sequence[Problem], *, built: bool, changed: Sequence[Path] = ()) -> str:
    """What ``kgexplorer records check`` or ``records build`` found (no final newline).

    >>> records_report([], built=False)
    'The records check out, and the generated Turtle is what they build.'
    >>> records_report([], built=True, changed=[Path("graph/claims.ttl")])
    'Built the Turtle from the records: 1 file changed (graph/claims.ttl).'
    """
    if problems:
        head = f"{len(problems)} problem(s) in the records" + (": nothing was written." if built else ":")
        return "\n".join([head, *(f"  {p}" for p in problems)])
    if not built:
        return "The records check out, and the generated Turtle is what they build."
    if not changed:
        return "Built the Turtle from the records: every file was already up to date."
    names = ", ".join(str(path) for path in changed)
    return f"Built the Turtle from the records: {len(changed)} file{'s' if len(changed) > 1 else ''} changed ({names})."


def sampled_claims(samples: Sequence[SampledClaim]) -> str:
    """Drawn claims as numbered blocks: the claim, its explanation, each source with its ids and result."""
    lines = []
    for i, sample in enumerate(samples, start=1):
        lines.append(f"{i}. {printable(sample.claim)}")
        lines.append(f"   {printable(sample.explanation)}")
        for ev in sample.evidence:
            ids = "; ".join(ev.identifiers) or ev.canonical
            lines.append(f"   - {printable(ev.label)} [{printable(ids)}] ({ev.direction})")
            lines.append(f"     {printable(ev.reported_result)}")
    return "\n".join(lines)


def malformed_param(items: Sequence[str]) -> str | None:
    """Why a ``--param`` value is not ``NAME=VALUE`` (the first one that is not), with an example; or None.

    >>> malformed_param(["condition"])
    "--param takes NAME=VALUE, got 'condition'; e.g. --param substance=ketamine"
    >>> malformed_param(["condition=PTSD"]) is None
    True
    """
    for item in items:
        if "=" not in item:
            return f"--param takes NAME=VALUE, got {item!r}; e.g. --param substance=ketamine"
    return None


def param_texts(items: Sequence[str]) -> dict[str, str]:
    """``NAME=VALUE`` items (check them with :func:`malformed_param` first) as a name-to-text mapping.

    >>> param_texts([" condition = PTSD ", "substance=MDMA=x"])
    {'condition': 'PTSD', 'substance': 'MDMA=x'}
    """
    texts: dict[str, str] = {}
    for item in items:
        key, value = item.split("=", 1)
        texts[key.strip()] = value.strip()
    return texts


def endpoint_banner(*, host: str, port: int) -> str:
    """The line ``kgexplorer serve`` prints on start: the endpoint and the query page (IPv6 in brackets).

    >>> endpoint_banner(host="::1", port=7878)
    'SPARQL endpoint: http://[::1]:7878/sparql  (query page: http://[::1]:7878/)'
    """
    shown = f"[{host}]" if ":" in host else host
    return f"SPARQL endpoint: http://{shown}:{port}/sparql  (query page: http://{shown}:{port}/)"


def load_meter(*, stream: TextIO | None = None) -> Callable[[LoadProgress], None]:
    """How ``kgexplorer load`` shows a file's progress on stderr: one bar redrawn in place on a terminal; in a
    log (not a terminal), a line at each tenth read and at the end.

    >>> import io
    >>> from kgexplorer.engine.load_progress import LoadProgress
    >>> out = io.StringIO()
    >>> meter = load_meter(stream=out)
    >>> meter(LoadProgress("a.nt", 5, 100, 1.0)); meter(LoadProgress("a.nt", 100, 100, 2.0))
    >>> out.getvalue().splitlines()[-1].startswith("a.nt [########################] 100%")
    True
    """
    target = stream if stream is not None else sys.stderr
    live = target.isatty()
    shown: dict[str, int] = {}

    def show(progress: LoadProgress) -> None:
        line = for_people(progress.line())
        done = progress.fraction >= 1.0
        if live:
            target.write("\r" + line + ("\n" if done else ""))
            target.flush()
            return
        tenth = int(progress.fraction * 10)
        if done or tenth > shown.get(progress.name, -1):
            shown[progress.name] = tenth
            target.write(line + "\n")

    return show
