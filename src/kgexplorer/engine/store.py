"""Loading RDF into the embedded Oxigraph store: formats, gzip, errors with line and column.

A :class:`StoreRecipe` says how to build a store (which files, in which formats, or which on-disk store
to open); the same recipe rebuilds the same store in the query worker process, so user queries see
exactly what the app sees. Loads are all-or-nothing: a file that fails to parse raises
:class:`~kgexplorer.errors.GraphLoadError` naming the file, line and column, and no store is returned.

>>> recipe = StoreRecipe.bundled()
>>> store = build_store(recipe)
>>> len(store) > 5000
True
"""

from __future__ import annotations

import contextlib
import gzip
import io
import os
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, cast

import pyoxigraph as ox

from kgexplorer.errors import GraphLoadError
from kgexplorer.settings import Settings

from .load_progress import CappedReader, CountingReader, LineCounter, LoadProgress
from .rdfxml import CleanXml

__all__ = [
    "FORMATS",
    "DataFile",
    "StoreRecipe",
    "build_store",
    "bundled_app_script",
    "bundled_graph_dir",
    "derive_direct_edges",
    "detect_format",
    "load_bytes",
    "load_file",
    "write_nquads",
]

#: Format names accepted by ``--format`` / ``format=``, mapped to Oxigraph's formats.
FORMATS: dict[str, Any] = {
    "turtle": ox.RdfFormat.TURTLE,
    "ttl": ox.RdfFormat.TURTLE,
    "nt": ox.RdfFormat.N_TRIPLES,
    "ntriples": ox.RdfFormat.N_TRIPLES,
    "n-triples": ox.RdfFormat.N_TRIPLES,
    "nq": ox.RdfFormat.N_QUADS,
    "nquads": ox.RdfFormat.N_QUADS,
    "n-quads": ox.RdfFormat.N_QUADS,
    "trig": ox.RdfFormat.TRIG,
    "xml": ox.RdfFormat.RDF_XML,
    "rdfxml": ox.RdfFormat.RDF_XML,
    "rdf/xml": ox.RdfFormat.RDF_XML,
    "json-ld": ox.RdfFormat.JSON_LD,
    "jsonld": ox.RdfFormat.JSON_LD,
    "n3": ox.RdfFormat.N3,
}
_EXTENSIONS: dict[str, str] = {
    ".ttl": "turtle",
    ".turtle": "turtle",
    ".nt": "nt",
    ".ntriples": "nt",
    ".nq": "nq",
    ".nquads": "nq",
    ".trig": "trig",
    ".rdf": "xml",
    ".owl": "xml",
    ".xml": "xml",
    ".jsonld": "json-ld",
    ".json": "json-ld",
    ".n3": "n3",
}
_DIRECT_EDGE_RULE = "rules/direct-edges.rq"
# Oxigraph refuses a single token (literal or IRI) longer than its 16 MiB buffer with MemoryError.
_PARSER_BUFFER = "Reached the buffer maximal size"
# Files in graph/ that are not part of the data graph.
_NOT_DATA = {"shapes.ttl"}


@dataclass(frozen=True)
class DataFile:
    """One RDF file to load, with an optional explicit format name (else from its extension).

    ``origin`` is set on files kgexplorer wrote itself from another file: the N-Quads the parse worker
    makes of a person's file (:mod:`kgexplorer.engine.parse_worker`), or inferred triples. It names that source
    in messages, and such a file is loaded in-process without being parsed in the worker again.
    """

    path: str
    format: str | None = None
    origin: str | None = None


@dataclass(frozen=True)
class StoreRecipe:
    """How to build a store: RDF files loaded into memory, or an on-disk store opened read-only.

    ``derive_edges`` adds the direct edges derived from kgx:Claim nodes (graph/rules/direct-edges.rq).
    """

    files: tuple[DataFile, ...] = ()
    store_dir: str | None = None
    derive_edges: bool = True
    label: str = "custom data"
    extra: tuple[DataFile, ...] = field(default=())

    @classmethod
    def bundled(cls) -> StoreRecipe:
        """The bundled psychedelic-therapy graph."""
        return cls(files=tuple(DataFile(str(p)) for p in bundled_data_files()), label="bundled graph")

    def with_extra(self, files: Iterable[DataFile]) -> StoreRecipe:
        """The same recipe plus more files (e.g. materialised inferences)."""
        return StoreRecipe(
            files=self.files,
            store_dir=self.store_dir,
            derive_edges=self.derive_edges,
            label=self.label,
            extra=(*self.extra, *files),
        )


# The kgexplorer package folder (this module is in its engine/): an installed package holds graph/ and app/ there.
_PACKAGE = Path(__file__).resolve().parents[1]


def bundled_graph_dir() -> Path:
    """The folder holding the bundled graph: inside the installed package, or ``graph/`` of a checkout."""
    packaged = _PACKAGE / "graph"
    if (packaged / "ontology.ttl").is_file():
        return packaged
    checkout = _PACKAGE.parents[1] / "graph"
    if (checkout / "ontology.ttl").is_file():
        return checkout
    raise GraphLoadError(
        "the bundled graph is missing: neither the installed package nor the checkout has "
        "graph/ontology.ttl; reinstall kgexplorer (pip install kgexplorer)"
    )


def bundled_app_script() -> Path:
    """The Streamlit app's entry script: inside the installed package, or app.py of a checkout."""
    for candidate in (_PACKAGE / "app" / "app.py", _PACKAGE.parents[1] / "app.py"):
        if candidate.is_file():
            return candidate
    raise GraphLoadError(
        "the app is missing: neither the installed package nor the checkout has app.py; "
        "reinstall kgexplorer (pip install kgexplorer)"
    )


def bundled_data_files() -> list[Path]:
    """The Turtle files of the bundled data graph (everything in graph/ except the SHACL shapes)."""
    return sorted(p for p in bundled_graph_dir().glob("*.ttl") if p.name not in _NOT_DATA)


def detect_format(path: str, explicit: str | None = None) -> tuple[Any, bool]:
    """The Oxigraph format of a file and whether it is gzip-compressed.

    >>> detect_format("data.nt.gz")
    (<RdfFormat N-Triples>, True)
    >>> detect_format("notes.txt")
    Traceback (most recent call last):
    ...
    kgexplorer.errors.GraphLoadError: cannot tell the RDF format of notes.txt from its extension '.txt'; ...
    """
    name = os.path.basename(path)
    gz = name.lower().endswith(".gz")
    if gz:
        name = name[:-3]
    if explicit:
        key = explicit.strip().lower()
        if key not in FORMATS:
            raise GraphLoadError(
                f"unknown RDF format {explicit!r}; use one of: {', '.join(sorted(FORMATS))}", path=path
            )
        return FORMATS[key], gz
    ext = os.path.splitext(name)[1].lower()
    if ext not in _EXTENSIONS:
        known = " ".join(_EXTENSIONS)
        raise GraphLoadError(
            f"cannot tell the RDF format of {os.path.basename(path)} from its extension {ext or '(none)'!r}; use a "
            f"known extension ({known}, optionally + .gz) or give the format (--format turtle)",
            path=path,
        )
    return FORMATS[_EXTENSIONS[ext]], gz


def build_store(
    recipe: StoreRecipe,
    *,
    progress: Callable[[str], None] | None = None,
    settings: Settings | None = None,
    open_file: Callable[[DataFile], IO[bytes] | None] | None = None,
) -> Any:
    """Build the store a recipe describes (in memory, or an on-disk store opened read-only).

    ``settings`` gives the parsing limits (``max_xml_depth``, ``max_xml_expansion``). ``open_file`` may give a
    file's stream instead of the file on disk (None: from the disk): a query worker reads N-Quads the parse
    worker is still writing so (:mod:`kgexplorer.engine.growing_file`).
    """
    if recipe.store_dir:
        from .disk_store import open_read_only  # here: the parse worker, which imports this module, opens no store

        store = open_read_only(recipe.store_dir)
        if recipe.files or recipe.extra:
            raise GraphLoadError(
                "an on-disk store cannot be combined with extra files; build a new store with "
                "kgexplorer load FILES --store DIR"
            )
        return store
    store = ox.Store()  # new, and dropped if any file fails: each file is parsed straight into it
    for df in (*recipe.files, *recipe.extra):
        if progress:
            progress(f"loading {df.path}")
        load_file(store, df, settings=settings, stream=open_file(df) if open_file else None)
    if recipe.derive_edges:
        derive_direct_edges(store)
    return store


def load_bytes(
    data: bytes,
    *,
    name: str,
    format: str | None = None,
    max_bytes: int | None = None,
    max_decompressed_bytes: int | None = None,
    settings: Settings | None = None,
) -> Any:
    """Parse RDF bytes (e.g. an upload) into a new in-memory store; gzip is detected by the name.

    ``max_bytes`` caps the upload itself (the max_upload_mb setting) and ``max_decompressed_bytes`` what
    a gzip file may expand to (the max_decompressed_mb setting: a gzip bomb stops with an error);
    ``settings`` gives the other parsing limits (``max_xml_depth``, ``max_xml_expansion``).

    >>> len(load_bytes(b"<http://example.org/a> <http://example.org/b> <http://example.org/c> .", name="x.nt"))
    1
    """
    if max_bytes is not None and len(data) > max_bytes:
        raise GraphLoadError(
            f"{name} is {_size(len(data))}; the largest file accepted is {_size(max_bytes)} (the max_upload_mb "
            "setting). Load a smaller file, or build an on-disk store with kgexplorer load",
            path=name,
        )
    fmt, gz = detect_format(name, format)
    if gz:
        data = _gunzip(data, name=name, limit=max_decompressed_bytes)
    store = ox.Store()
    _parse_into(store, _readable(io.BytesIO(data), fmt, name, settings or Settings()), fmt, name)
    return store


def _gunzip(data: bytes, *, name: str, limit: int | None) -> bytes:
    out = bytearray()
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(data)) as f:
            while chunk := f.read(1 << 20):
                out += chunk
                if limit is not None and len(out) > limit:
                    raise GraphLoadError(
                        f"{name} expands to more than {_size(limit)} when decompressed (the "
                        f"max_decompressed_mb setting); upload a smaller file or raise the setting",
                        path=name,
                    )
    except (OSError, EOFError, zlib.error) as exc:
        raise GraphLoadError(
            f"{name} is not a valid gzip file ({exc}); upload it uncompressed or re-compress it", path=name
        ) from None
    return bytes(out)


def _readable(stream: IO[bytes], fmt: Any, name: str, settings: Settings) -> IO[bytes]:
    """What Oxigraph reads of a file: the bytes themselves, or for RDF/XML the text expat read (see rdfxml.py)."""
    if fmt != ox.RdfFormat.RDF_XML:
        return stream
    xml = CleanXml(stream, name, max_depth=settings.max_xml_depth, max_expansion=settings.max_xml_expansion)
    return cast(IO[bytes], xml)


def load_file(
    store: Any,
    df: DataFile,
    *,
    settings: Settings | None = None,
    bulk: bool = False,
    report: Callable[[LoadProgress], None] | None = None,
    stream: IO[bytes] | None = None,
) -> None:
    """Parse one file into ``store`` in this process (``bulk``: with Oxigraph's bulk loader, for an on-disk
    store being built). Raises :class:`~kgexplorer.errors.GraphLoadError` naming the file (its ``origin``
    when it has one); the caller drops the store then. ``report`` is told how far the reading is
    (:mod:`kgexplorer.engine.load_progress`). ``stream``, when given, is read (and closed) instead of the
    file on disk: its bytes, already decompressed."""
    path, name = df.path, df.origin or df.path
    fmt, gz = detect_format(path, df.format)
    if stream is not None:
        with stream:
            _parse_into(store, _readable(stream, fmt, name, settings or Settings()), fmt, name, bulk=bulk)
        return
    if not os.path.isfile(path):
        raise GraphLoadError(f"cannot read {name}: no such file; check the path", path=name)
    try:
        lines = fmt in (ox.RdfFormat.N_TRIPLES, ox.RdfFormat.N_QUADS)  # one statement a line: counted as read
        stream = _open_binary(path, gz, name=os.path.basename(name), report=report, lines=lines)
    except OSError as exc:
        raise GraphLoadError(f"cannot read {name}: {exc.strerror}; check the path and permissions", path=name) from None
    with stream:
        _parse_into(store, _readable(stream, fmt, name, settings or Settings()), fmt, name, bulk=bulk)


def _open_binary(
    path: str, gz: bool, *, name: str = "", report: Callable[[LoadProgress], None] | None = None, lines: bool = False
) -> IO[bytes]:
    """Open a file for reading bytes, decompressing gzip on the fly; with ``report``, counting the bytes read
    from the disk (and, with ``lines`` for a file not compressed, its lines: N-Triples' and N-Quads' statements)."""
    raw: IO[bytes] = open(path, "rb")  # noqa: SIM115 - returned open; the caller closes it (with stream:)
    if report is not None:
        counted = CountingReader(raw, name=name, total=os.path.getsize(path), report=report, lines=lines and not gz)
        raw = cast(IO[bytes], io.BufferedReader(counted, buffer_size=1 << 20))
    if gz:
        unpacked = gzip.GzipFile(fileobj=raw, mode="rb")
        unpacked.myfileobj = raw  # type: ignore[assignment]  # closed with it, as gzip.open(path) does
        return cast(IO[bytes], unpacked)
    return raw


def _parse_into(store: Any, stream: IO[bytes], fmt: Any, name: str, *, bulk: bool = False) -> None:
    # Straight into the store: every caller parses into a store of its own that it drops when this raises,
    # so a failure leaves nothing half-loaded. (A scratch store copied over cost 1.6-1.9x pyoxigraph's
    # bulk_load in time and up to 2.3x in peak memory.) Store.load, not bulk_load: as fast in memory, about
    # a quarter less peak memory (LUBM10: 469 against 607 MiB), and out of memory it raises MemoryError where
    # bulk_load aborts the process.
    try:
        if bulk:  # an on-disk store being built in a temporary folder (see write_disk_store)
            store.bulk_load(stream, format=fmt)
        else:
            store.load(stream, format=fmt)
    except (SyntaxError, MemoryError, OSError, EOFError, ValueError, zlib.error) as exc:
        raise _load_error(exc, fmt, name) from None


def _load_error(exc: BaseException, fmt: Any, name: str, *, memory_note: str = "") -> GraphLoadError:
    """The GraphLoadError for what a parser raised: a syntax error, no room, or an unreadable file."""
    if isinstance(exc, SyntaxError):
        return _syntax_error(exc, fmt, name)
    if isinstance(exc, MemoryError):
        return _too_large(exc, name, memory_note=memory_note)
    return GraphLoadError(
        f"cannot read {os.path.basename(name)}: {exc}; check that it is a complete {fmt.name} file", path=name
    )


def write_nquads(
    df: DataFile,
    target: str | os.PathLike[str],
    *,
    name: str | None = None,
    settings: Settings | None = None,
    max_decompressed_bytes: int | None = None,
    memory_note: str = "",
) -> int:
    """Parse one RDF file and write what it holds to ``target`` as N-Quads; returns the number of quads.

    The file streams through (the parser's quads go straight to the file), so memory stays small however
    large the file is. ``name`` is the file's name in messages (an upload's own name; default its path).
    ``max_decompressed_bytes`` caps what a gzip file may expand to; ``memory_note`` is added to the message of
    a file that needs more memory than there is (which limit that was). Raises
    :class:`~kgexplorer.errors.GraphLoadError` like every loader, and then ``target`` is removed: nothing of
    a file that fails is ever kept. Blank nodes are numbered in order (every load renames them anyway), so
    the same file always gives the same N-Quads.

    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     source = Path(folder) / "a.ttl"
    ...     _ = source.write_text("[] <http://example.org/p> 1 .")
    ...     write_nquads(DataFile(str(source)), Path(folder) / "a.nq")
    ...     (Path(folder) / "a.nq").read_text()
    1
    '_:b0 <http://example.org/p> "1"^^<http://www.w3.org/2001/XMLSchema#integer> .\\n'
    """
    shown = name or df.path
    fmt, gz = detect_format(shown if df.format is None and name else df.path, df.format)
    if not os.path.exists(df.path) or os.path.isdir(df.path):  # a named pipe is fine: it streams
        raise GraphLoadError(f"cannot read {shown}: no such file; check the path", path=shown)
    limits = settings or Settings()
    count = 0
    try:
        with _open_binary(df.path, gz) as raw, open(target, "wb") as out:
            stream: IO[bytes] = raw
            if gz and max_decompressed_bytes is not None:
                stream = cast(IO[bytes], CappedReader(raw, max_decompressed_bytes, shown))
            quads = ox.parse(_readable(stream, fmt, shown, limits), format=fmt)

            def numbered() -> Iterable[Any]:
                # Blank nodes are numbered in order of appearance (b0, b1 …), so the same file always gives
                # the same N-Quads (parsers name anonymous nodes at random): caches keyed by content work.
                nonlocal count
                blank, quad_type = ox.BlankNode, ox.Quad
                ids: dict[Any, Any] = {}

                def renamed(node: Any) -> Any:
                    new = ids.get(node)
                    if new is None:
                        new = ids[node] = blank(f"b{len(ids)}")
                    return new

                for quad in quads:
                    count += 1
                    s, o, g = quad.subject, quad.object, quad.graph_name
                    if type(s) is blank or type(o) is blank or type(g) is blank:
                        yield quad_type(
                            renamed(s) if type(s) is blank else s,
                            quad.predicate,
                            renamed(o) if type(o) is blank else o,
                            renamed(g) if type(g) is blank else g,
                        )
                    else:
                        yield quad

            if fmt in (ox.RdfFormat.N_TRIPLES, ox.RdfFormat.N_QUADS):
                # A line format's blank nodes keep the file's labels: the same file gives the same N-Quads
                # without a look at each quad from Python. Oxigraph writes one quad a line.
                lines = LineCounter(out)
                ox.serialize(quads, cast(IO[bytes], lines), format=ox.RdfFormat.N_QUADS)
                count = lines.count
            else:
                ox.serialize(numbered(), out, format=ox.RdfFormat.N_QUADS)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(target)
        if isinstance(exc, (SyntaxError, MemoryError, OSError, EOFError, ValueError, zlib.error)):
            if isinstance(exc, OSError) and exc.filename == os.fspath(target):
                raise GraphLoadError(f"cannot write the parsed {shown} to {target}: {exc.strerror}") from None
            raise _load_error(exc, fmt, shown, memory_note=memory_note) from None
        raise
    return count


def _too_large(exc: MemoryError, name: str, *, memory_note: str = "") -> GraphLoadError:
    """The GraphLoadError for a parser that ran out of room: one huge term, or the whole file."""
    if _PARSER_BUFFER in str(exc):
        return GraphLoadError(
            f"{os.path.basename(name)} holds a single literal or IRI longer than 16 MiB, more than the parser "
            "reads; shorten that value or keep it outside the graph (link to it instead)",
            path=name,
        )
    return GraphLoadError(
        f"{os.path.basename(name)} needs more memory than is available to load it{memory_note}; load a smaller "
        "file, or build an on-disk store with kgexplorer load",
        path=name,
    )


def _syntax_error(exc: SyntaxError, fmt: Any, name: str) -> GraphLoadError:
    """The GraphLoadError for a parser's SyntaxError: file, line and column, and the parser's reason."""
    line, col = exc.lineno, exc.offset
    where = f" at line {line}, column {col}" if line else ""
    msg = str(exc.msg if exc.msg else exc)
    if "LoadDocumentCallback" in msg:  # Oxigraph's JSON-LD parser is given no loader, so it never fetches
        return GraphLoadError(
            f"{os.path.basename(name)} uses a remote JSON-LD @context (a URL){where}, which kgexplorer never "
            "fetches; copy that context's JSON into the file's \"@context\" instead of its URL",
            path=name,
            line=line,
            column=col,
        )
    # Oxigraph repeats the position ("Parser error between line 3 column 11 and …: reason"); keep the reason.
    msg = msg.split(": ", 1)[1] if msg.startswith("Parser error") and ": " in msg else msg
    return GraphLoadError(
        f"{os.path.basename(name)} is not valid {fmt.name}{where}: {' '.join(msg.split())}; fix the file or give "
        "the right format",
        path=name,
        line=line,
        column=col,
    )


def derive_direct_edges(store: Any) -> int:
    """Add the direct edges derived from claims (graph/rules/direct-edges.rq); returns how many were new."""
    rule = (bundled_graph_dir() / _DIRECT_EDGE_RULE).read_text(encoding="utf-8")
    triples = list(store.query(rule, use_default_graph_as_union=True))
    if not triples:  # data without claims (most files people load): len() walks the whole store, twice
        return 0  # (0.2 s of LUBM10's one-shot query, on the query worker's way to ready)
    before = len(store)
    store.extend(ox.Quad(t.subject, t.predicate, t.object) for t in triples)
    return len(store) - before


def _size(n: int) -> str:
    return f"{n / (1 << 20):.1f} MiB" if n >= (1 << 20) else f"{n:,} bytes"
