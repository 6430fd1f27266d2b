"""Where a session's data comes from: the bundled graph, RDF files a person uploads, or a SPARQL endpoint.

A :class:`DataSource` wraps the :class:`~kgexplorer.knowledge_graph.KnowledgeGraph` one person (one
browser session) is working on. Uploads are checked as a set first (at most ``max_upload_files`` files
and ``max_session_upload_mb`` MiB together, before anything is parsed), then file by file
(:func:`check_uploads`: size caps from the ``max_upload_mb`` and ``max_decompressed_mb`` settings, parse
errors with file, line and column). They are written to a temporary folder of their own and parsed there by
the parse worker (:mod:`kgexplorer.engine.parse_worker`: a separate process without network, with the
``parse_memory_mb`` and ``parse_time_limit_s`` limits), never in the app's process; the app and the query
workers load the N-Quads it writes. The folder belongs to that one data source and is deleted when it
is closed (or dropped): nothing one person uploads is ever seen by another. When the data uses the
kgexplorer vocabulary (kgx:), the report also holds the SHACL validation (:mod:`kgexplorer.engine.validation`).

>>> upload = Upload("tiny.ttl", b"@prefix ex: <http://example.org/> . ex:a ex:knows ex:b .")
>>> with open_uploads([upload]) as source:
...     source.kind, source.report.triples, source.uses_project_vocabulary
...     source.kg.sparql("SELECT ?o WHERE { ?s ?p ?o }").rows[0][0].value
('files', 1, False)
'http://example.org/b'
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import weakref
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from kgexplorer.data_options import DataOptions
from kgexplorer.engine.parse_worker import parse_files
from kgexplorer.engine.remote_endpoint import RemoteBackend
from kgexplorer.engine.store import (
    DataFile,
    StoreRecipe,
    build_store,
    bundled_data_files,
    derive_direct_edges,
    detect_format,
)
from kgexplorer.engine.validation import ValidationReport, validate
from kgexplorer.errors import EndpointError, GraphLoadError, KgExplorerError
from kgexplorer.knowledge_graph import KnowledgeGraph
from kgexplorer.namespaces import KGX
from kgexplorer.settings import Settings
from kgexplorer.terms import IRI

__all__ = [
    "UPLOAD_EXTENSIONS",
    "DataSource",
    "FileCheck",
    "SourceKind",
    "Upload",
    "UploadReport",
    "bundled_source",
    "check_uploads",
    "open_app_source",
    "open_endpoint",
    "open_uploads",
    "uses_project_vocabulary",
]

SourceKind = Literal["bundled", "files", "store", "endpoint"]
#: File name endings an upload may have (each also with ``.gz``), as the file picker lists them.
UPLOAD_EXTENSIONS: tuple[str, ...] = ("ttl", "turtle", "nt", "ntriples", "nq", "nquads", "trig", "rdf", "owl", "xml")
UPLOAD_EXTENSIONS += ("jsonld", "json", "n3", "gz")
_MIB = 1 << 20
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
# A few project classes are enough to tell "uses our vocabulary" without scanning a large endpoint.
_PROJECT_TYPES = ("Substance", "Condition", "Claim", "Study", "Mechanism", "Therapy")


@dataclass(frozen=True)
class Upload:
    """One uploaded file: its name (the extension gives the format, ``.gz`` means gzip) and its bytes."""

    name: str
    data: bytes


@dataclass(frozen=True)
class FileCheck:
    """How one uploaded file parsed: its triples, or the error (with line and column when known)."""

    name: str
    size: int
    format: str
    triples: int = 0
    error: GraphLoadError | None = None
    uses_project_vocabulary: bool = False

    @property
    def ok(self) -> bool:
        """True when the file parsed."""
        return self.error is None

    @property
    def line(self) -> int | None:
        """The 1-based line of the parse error, when the parser said."""
        return self.error.line if self.error is not None else None

    @property
    def column(self) -> int | None:
        """The 1-based column of the parse error, when the parser said."""
        return self.error.column if self.error is not None else None


@dataclass(frozen=True)
class UploadReport:
    """What was loaded: each file's check, the total triples, and the SHACL validation when it applies.

    ``validation`` is None when the files do not use the kgexplorer vocabulary (``validation_note`` says
    why nothing was validated).
    """

    files: tuple[FileCheck, ...]
    merged: bool
    validation: ValidationReport | None
    validation_note: str

    @property
    def triples(self) -> int:
        """Triples in the uploaded files (the bundled graph's not counted)."""
        return sum(f.triples for f in self.files)


class DataSource:
    """The graph one session works on, what it is, and how to let it go.

    ``kind`` is ``"bundled"``, ``"files"``, ``"store"`` or ``"endpoint"``; ``label`` says it in words. A
    data source built here owns its graph: :meth:`close` stops its query workers and deletes its upload
    folder. The app's default data (:func:`bundled_source`, :func:`open_app_source`) is shared by every
    session (``shared`` is True) and close() leaves it open.
    """

    def __init__(
        self,
        kg: KnowledgeGraph,
        *,
        kind: SourceKind,
        label: str,
        uses_project_vocabulary: bool,
        report: UploadReport | None = None,
        folder: Path | None = None,
        owned: bool = True,
    ) -> None:
        self.kg = kg
        self.kind: SourceKind = kind
        self.label = label
        self.uses_project_vocabulary = uses_project_vocabulary
        self.report = report
        self.folder = folder
        self.owned = owned
        # A source dropped without close() (a session that timed out) still deletes its folder.
        self._cleanup = weakref.finalize(self, _remove, folder) if folder is not None else None

    @property
    def shared(self) -> bool:
        """True for the app's default data, which every session sees (a link to a page opens it too)."""
        return not self.owned

    def close(self) -> None:
        """Stop the graph's workers and delete the uploaded files (a shared bundled graph stays open)."""
        if self.owned:
            self.kg.close()
        if self._cleanup is not None:
            self._cleanup()

    def __enter__(self) -> DataSource:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<DataSource {self.kind}: {self.label}>"


def bundled_source(kg: KnowledgeGraph) -> DataSource:
    """The bundled graph as a data source; ``kg`` is shared, so closing the source leaves it open.

    >>> with KnowledgeGraph.bundled() as kg:
    ...     bundled_source(kg).label
    'the bundled psychedelic-therapy graph'
    """
    return DataSource(
        kg, kind="bundled", label="the bundled psychedelic-therapy graph", uses_project_vocabulary=True, owned=False
    )


def open_app_source(spec: DataOptions) -> DataSource:
    """Open what the app shows every session (the options ``kgexplorer app`` was given, with its ``--setting``
    pairs: :meth:`~kgexplorer.data_options.DataOptions.for_app`), shared: sessions cannot close it.

    >>> source = open_app_source(DataOptions(settings=(("max_view_nodes", "80"),)))
    >>> source.kind, source.shared, source.kg.settings.max_view_nodes
    ('bundled', True, 80)
    >>> source.kg.close()
    """
    settings = Settings().with_pairs(spec.settings)
    if spec.endpoint:
        # The operator's own --endpoint is trusted like their --data files: remote_endpoints governs the URLs
        # visitors type on the Data page (which reads it from these settings), not this one.
        remote = _endpoint_source(spec.endpoint, settings, remote_endpoints=2)
        ours = remote.uses_project_vocabulary
        return DataSource(remote.kg, kind="endpoint", label=remote.label, uses_project_vocabulary=ours, owned=False)
    kg = spec.open(settings=settings)
    kind: SourceKind
    if spec.store:
        label, kind = f"the on-disk store {Path(spec.store).name}", "store"
    elif spec.data:
        names = ", ".join(Path(d).name for d in spec.data)
        label, kind = (f"the bundled graph + {names}" if spec.with_bundled else names), "files"
    else:
        return bundled_source(kg)
    ours = spec.with_bundled or uses_project_vocabulary(kg)
    return DataSource(kg, kind=kind, label=label, uses_project_vocabulary=ours, owned=False)


def check_uploads(uploads: Sequence[Upload], *, settings: Settings | None = None) -> tuple[FileCheck, ...]:
    """Parse each upload on its own (size caps applied) and say how it went; raises nothing for bad files.

    Too many files, or too many bytes together, is a problem of the set, not of a file: that raises
    :class:`~kgexplorer.errors.GraphLoadError` before any file is parsed (see :func:`open_uploads`).

    >>> bad = Upload("bad.ttl", b"@prefix ex: <http://example.org/> .\\nex:a ex:b .")
    >>> check = check_uploads([bad])[0]
    >>> check.ok, check.line, check.column
    (False, 2, 11)
    """
    limits = settings or Settings()
    _check_set(uploads, limits)
    folder = Path(tempfile.mkdtemp(prefix="kgexplorer-upload-"))
    try:
        return tuple(check for check, _ in _parse(uploads, limits, folder, stop_at_first_error=False))
    finally:
        _remove(folder)


def _check_set(uploads: Sequence[Upload], limits: Settings) -> None:
    """Refuse an upload set over the max_upload_files or max_session_upload_mb setting, before parsing it."""
    if len(uploads) > limits.max_upload_files:
        raise GraphLoadError(
            f"{len(uploads)} files were uploaded together; at most {limits.max_upload_files} are accepted (the "
            "max_upload_files setting). Upload fewer files, or combine them into one file first"
        )
    total = sum(len(u.data) for u in uploads)
    if total > limits.max_session_upload_mb * _MIB:
        raise GraphLoadError(
            f"the uploaded files take {total / _MIB:,.1f} MiB together; one session may upload at most "
            f"{limits.max_session_upload_mb:,} MiB (the max_session_upload_mb setting). Upload fewer or smaller "
            "files (gzip-compressed files count at their compressed size), or build an on-disk store with "
            "kgexplorer load"
        )


def _parse(
    uploads: Sequence[Upload], limits: Settings, folder: Path, *, stop_at_first_error: bool
) -> list[tuple[FileCheck, tuple[DataFile, Any] | None]]:
    """Each upload's check, with its N-Quads (in ``folder``) and the store loaded from them when it parsed.

    Sizes and formats are checked here; the files are parsed in the parse worker, and the uploaded bytes
    are deleted once it has written their N-Quads.
    """
    checks: dict[int, FileCheck] = {}
    todo: list[int] = []
    for i, upload in enumerate(uploads):
        try:
            fmt, _ = detect_format(upload.name)
        except GraphLoadError as exc:
            checks[i] = FileCheck(upload.name, len(upload.data), "unknown", error=exc)
            continue
        if len(upload.data) > limits.max_upload_mb * _MIB:
            error = GraphLoadError(
                f"{upload.name} is {_size(len(upload.data))}; the largest file accepted is "
                f"{_size(limits.max_upload_mb * _MIB)} (the max_upload_mb setting). Load a smaller file, or build "
                "an on-disk store with kgexplorer load",
                path=upload.name,
            )
            checks[i] = FileCheck(upload.name, len(upload.data), str(fmt.name), error=error)
            continue
        todo.append(i)
    if stop_at_first_error and checks:
        todo = []
    raw = _write(folder, [uploads[i] for i in todo])
    try:
        parsed = (
            parse_files(
                [DataFile(str(p)) for p in raw],
                names=[uploads[i].name for i in todo],
                settings=limits,
                folder=folder,
                max_decompressed_bytes=limits.max_decompressed_mb * _MIB,
                stop_at_first_error=stop_at_first_error,
            ).files
            if todo
            else ()
        )
    finally:
        for path in raw:
            path.unlink(missing_ok=True)
    results: dict[int, tuple[FileCheck, tuple[DataFile, Any] | None]] = {}
    for i, outcome in zip(todo, parsed, strict=False):  # parsed may stop short at the first error
        upload = uploads[i]
        fmt_name = str(detect_format(upload.name)[0].name)
        if outcome.error is not None or outcome.data_file is None:
            results[i] = (FileCheck(upload.name, len(upload.data), fmt_name, error=outcome.error), None)
            continue
        store = build_store(StoreRecipe(files=(outcome.data_file,), derive_edges=False))
        ours = _store_uses_project_vocabulary(store)
        check = FileCheck(upload.name, len(upload.data), fmt_name, len(store), None, ours)
        results[i] = (check, (outcome.data_file, store))
    for i, check in checks.items():
        results[i] = (check, None)
    return [results[i] for i in sorted(results)]


def open_uploads(
    uploads: Sequence[Upload],
    *,
    merge: bool = False,
    validate_shapes: bool = True,
    settings: Settings | None = None,
) -> DataSource:
    """A data source of uploaded RDF files, optionally merged with the bundled graph.

    Raises :class:`~kgexplorer.errors.GraphLoadError` when the set is too large (more files than
    ``max_upload_files``, more MiB together than ``max_session_upload_mb``: nothing is parsed), or for
    the first file that fails (file, line and column in the message), and keeps nothing; use
    :func:`check_uploads` to see every file's problem.
    ``validate_shapes`` runs the SHACL shapes when the files use the kgexplorer vocabulary (with the
    bundled graph when merged, so references to its entities resolve; that takes several seconds).
    """
    if not uploads:
        raise GraphLoadError("no file was uploaded; pick one or more RDF files (Turtle, N-Triples, JSON-LD …)")
    limits = settings or Settings()
    _check_set(uploads, limits)
    folder = Path(tempfile.mkdtemp(prefix="kgexplorer-upload-"))
    try:
        parsed = _parse(uploads, limits, folder, stop_at_first_error=True)
        failed = next((check.error for check, _ in parsed if check.error is not None), None)
        if failed is not None:
            raise failed
        checks = tuple(check for check, _ in parsed)
        files = [loaded for _, loaded in parsed if loaded is not None]
        # The stores loaded for the checks become the graph (each file is loaded once here, not twice);
        # the query workers load the same N-Quads from the recipe.
        store = files[0][1]
        for _, other in files[1:]:
            store.extend(other.quads_for_pattern(None, None, None, None))
        if merge:
            store.extend(build_store(StoreRecipe.bundled()).quads_for_pattern(None, None, None, None))
        derive_direct_edges(store)
        base = StoreRecipe.bundled().files if merge else ()
        recipe = StoreRecipe(
            files=(*base, *(data_file for data_file, _ in files)),
            label="bundled graph + your files" if merge else "your files",
        )
        kg = KnowledgeGraph(recipe, settings=limits, store=store)
    except BaseException:
        _remove(folder)
        raise
    ours = any(c.uses_project_vocabulary for c in checks)
    validation: ValidationReport | None = None
    if not ours:
        note = "Not validated: the files do not use the kgexplorer vocabulary (kgx:), so its shapes do not apply."
    elif not validate_shapes:
        note = "Not validated (validation was switched off)."
    else:
        shapes_input = [*(DataFile(str(p)) for p in bundled_data_files() if merge), *(f for f, _ in files)]
        try:
            validation = validate(shapes_input, settings=limits)
        except KgExplorerError as exc:
            kg.close()
            _remove(folder)
            raise GraphLoadError(f"the uploaded files could not be validated: {exc}") from None
        note = "Validated against the kgexplorer shapes" + (" together with the bundled graph." if merge else ".")
    names = ", ".join(u.name for u in uploads)
    label = f"the bundled graph + {names}" if merge else names
    report = UploadReport(checks, merge, validation, note)
    return DataSource(
        kg, kind="files", label=label, uses_project_vocabulary=ours or merge, report=report, folder=folder
    )


def open_endpoint(url: str, *, settings: Settings | None = None) -> DataSource:
    """A data source behind a SPARQL 1.1 endpoint; one small query checks that it answers.

    The ``remote_endpoints`` setting decides which endpoints may be reached (see
    :class:`~kgexplorer.engine.remote_endpoint.RemoteBackend`): at 0 none, at 1 public internet addresses only.

    >>> open_endpoint("ftp://example.org/sparql")
    Traceback (most recent call last):
    ...
    kgexplorer.errors.EndpointError: 'ftp://example.org/sparql' is not a SPARQL endpoint URL: it must start ...
    >>> open_endpoint("http://localhost:7878/query", settings=Settings(remote_endpoints=0))
    Traceback (most recent call last):
    ...
    kgexplorer.errors.EndpointError: remote SPARQL endpoints are switched off here (the remote_endpoints setting ...
    """
    limits = settings or Settings()
    return _endpoint_source(url, limits, remote_endpoints=limits.remote_endpoints)


def _endpoint_source(url: str, limits: Settings, *, remote_endpoints: int) -> DataSource:
    """The endpoint data source, its backend held to ``remote_endpoints``; the graph keeps ``limits``."""
    backend = RemoteBackend(
        url, timeout_s=limits.endpoint_timeout_s, remote_endpoints=remote_endpoints, settings=limits
    )
    recipe = StoreRecipe(derive_edges=False, label=f"SPARQL endpoint {backend.url}")
    kg = KnowledgeGraph(recipe, endpoint=backend, settings=limits)
    try:
        kg.select("SELECT ?s WHERE { ?s ?p ?o } LIMIT 1")
        ours = uses_project_vocabulary(kg)
    except KgExplorerError as exc:
        kg.close()
        if isinstance(exc, EndpointError):
            raise
        raise EndpointError(f"the SPARQL endpoint {url} did not answer a simple query: {exc}") from None
    return DataSource(kg, kind="endpoint", label=f"SPARQL endpoint {backend.url}", uses_project_vocabulary=ours)


def uses_project_vocabulary(kg: KnowledgeGraph) -> bool:
    """True when the graph has entities of the kgexplorer classes (Substance, Claim …).

    >>> with KnowledgeGraph.bundled() as kg:
    ...     uses_project_vocabulary(kg)
    True
    """
    types = [IRI(KGX + name) for name in _PROJECT_TYPES]
    return bool(kg.select("SELECT ?s WHERE { ?s a ?type } LIMIT 1", values={"type": types}).rows)


def _store_uses_project_vocabulary(store: Any) -> bool:
    """Whether parsed data mentions a kgx: term as a predicate or a type (it then falls under the shapes)."""
    query = (
        "ASK { { ?s ?p ?o FILTER(STRSTARTS(STR(?p), STR(kgx:))) } UNION "
        "{ ?s a ?c FILTER(STRSTARTS(STR(?c), STR(kgx:))) } }"
    )
    return bool(store.query(f"PREFIX kgx: <{KGX}>\n{query}", use_default_graph_as_union=True))


def _write(folder: Path, uploads: Sequence[Upload]) -> list[Path]:
    """Write uploads under safe, distinct names that keep their extensions (the format comes from them)."""
    paths: list[Path] = []
    for index, upload in enumerate(uploads, start=1):
        base = _UNSAFE.sub("_", os.path.basename(upload.name.replace("\\", "/"))).lstrip(".") or "upload.ttl"
        path = folder / f"{index:02d}-{base}"
        path.write_bytes(upload.data)
        paths.append(path)
    return paths


def _size(n: int) -> str:
    return f"{n / _MIB:.1f} MiB" if n >= _MIB else f"{n:,} bytes"


def _remove(folder: Path | None) -> None:
    if folder is not None:
        shutil.rmtree(folder, ignore_errors=True)
