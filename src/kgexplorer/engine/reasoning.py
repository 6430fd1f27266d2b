"""Inference: the RDFS or OWL 2 RL entailments of a graph, materialised once and kept in their own named graph.

:func:`materialise` runs `owlrl <https://owl-rl.readthedocs.io>`_ over a graph and returns only the triples
it adds; :func:`infer` does the same for a store recipe (or a list of files) and writes them to an N-Quads
file in the named graph :data:`INFERRED_GRAPH`, cached by the content of the inputs, so a second run is
instant. Load that file as one more :class:`~kgexplorer.engine.store.DataFile`
(``recipe.with_extra([result.data_file])``): the query worker rebuilds its store from the recipe, queries
see the union of all graphs as their default graph, and ``GRAPH <https://w3id.org/kgexplorer/graph/inferred> { … }``
shows what was inferred. The asserted data is never changed.

What is left out, and why:

* triples with a literal subject (owlrl's ``"x" rdf:type rdfs:Literal`` and the like): RDF does not allow
  them and Oxigraph refuses them;
* triples that mention a blank node: Oxigraph gives every loaded file's blank nodes fresh identifiers, so a
  triple in a separate file cannot refer to a blank node of the data (it would describe a new, unrelated one);
* anything else that is not valid RDF (an invalid IRI or language tag).

OWL 2 RL inconsistencies (e.g. an individual in two disjoint classes) are reported in
:attr:`Materialisation.inconsistencies`, not stored. ``owl:imports`` is never followed: only the loaded data
is reasoned over, and nothing is fetched.

Costs (owlrl 7.6.2, Python 3.11, 2 cores): the bundled graph (about 5,900 triples) takes about 6 s with
either profile. LUBM(1) with its ontology (100,866 triples) took 55 s with OWL 2 RL in the measurement of
``../shared/data/README.md`` (194,820 triples after, 9,326 with literal subjects) and 79 s on a busy
machine, peaking near 380 MiB; RDFS took 75 s there, so it is not the cheap option it is elsewhere. owlrl is
pure Python: reason over small and medium graphs only, and keep the cache. On LUBM(1) OWL 2 RL gives 72,837
new triples (11,791 more mention blank nodes and are left out), and all 14 LUBM queries then return exactly
the official answers (``tests/test_lubm.py``).

>>> import tempfile
>>> from kgexplorer.engine.store import DataFile, bundled_graph_dir
>>> ontology = [DataFile(str(bundled_graph_dir() / "ontology.ttl"))]
>>> with tempfile.TemporaryDirectory() as cache:
...     first = infer(ontology, profile="rdfs", cache_dir=cache)
...     again = infer(ontology, profile="rdfs", cache_dir=cache)
>>> first.new_triples > 0, first.cached, again.cached, again.new_triples == first.new_triples
(True, False, True, True)
"""

from __future__ import annotations

import dataclasses
import gzip
import hashlib
import json
import os
import tempfile
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, get_args

import pyoxigraph as ox

from kgexplorer.errors import GraphLoadError, SettingError

from .store import DataFile, StoreRecipe, build_store, bundled_graph_dir

__all__ = [
    "INFERRED_GRAPH",
    "PROFILES",
    "InferenceResult",
    "Materialisation",
    "Profile",
    "default_cache_dir",
    "infer",
    "materialise",
    "write_inferred",
]

Profile = Literal["rdfs", "owl-rl"]
#: The reasoning profiles: RDFS semantics, or the OWL 2 RL rules (which include RDFS).
PROFILES: tuple[str, ...] = get_args(Profile)
#: The named graph that holds inferred triples.
INFERRED_GRAPH = "https://w3id.org/kgexplorer/graph/inferred"

# Bump when the output of materialise() changes meaning, so old cache entries are not reused.
_CACHE_FORMAT = "kgexplorer-inferred-1"
_XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
_ERROR_NS = "http://www.daml.org/2002/03/agents/agent-ont#"
# owlrl swaps rdflib's global literal converters while it runs, so two runs at once could disturb each other.
_OWLRL_LOCK = threading.Lock()


@dataclass(frozen=True)
class Materialisation:
    """The triples a reasoner added to a graph, and what it had to leave out.

    ``triples`` holds only new, valid triples (none of them was asserted); the ``dropped_*`` counts say how
    many entailments were left out and why (see the module docs).
    """

    profile: Profile
    triples: tuple[ox.Triple, ...]
    asserted: int
    dropped_literal_subject: int
    dropped_blank_node: int
    dropped_invalid: int
    inconsistencies: tuple[str, ...]
    seconds: float


@dataclass(frozen=True)
class InferenceResult:
    """Inferred triples written to an N-Quads file, ready to load as an extra data file.

    ``cached`` is True when the file came from the cache; ``seconds`` is how long this call took.
    """

    profile: Profile
    path: Path
    new_triples: int
    asserted: int
    dropped_literal_subject: int
    dropped_blank_node: int
    dropped_invalid: int
    inconsistencies: tuple[str, ...]
    seconds: float
    cached: bool

    @property
    def data_file(self) -> DataFile:
        """The file as a :class:`~kgexplorer.engine.store.DataFile`, for ``StoreRecipe.with_extra``."""
        return DataFile(str(self.path), "nq", origin=f"{self.profile} inferences")


def materialise(
    source: ox.Store | StoreRecipe | Sequence[DataFile], *, profile: Profile, max_triples: int | None = None
) -> Materialisation:
    """The entailments of a graph under ``profile`` that are not already asserted.

    ``source`` is a pyoxigraph ``Store`` (all its graphs are reasoned over as one), a
    :class:`~kgexplorer.engine.store.StoreRecipe`, or a sequence of :class:`~kgexplorer.engine.store.DataFile`.
    ``max_triples`` refuses inputs larger than that (owlrl's time and memory grow quickly).
    The source is not changed.

    >>> from kgexplorer.engine.store import DataFile, bundled_graph_dir
    >>> m = materialise([DataFile(str(bundled_graph_dir() / "ontology.ttl"))], profile="rdfs")
    >>> m.profile, len(m.triples) > 0, m.dropped_literal_subject > 0
    ('rdfs', True, True)
    """
    _check_profile(profile)
    store = _as_store(source)
    asserted = {ox.Triple(q.subject, q.predicate, q.object) for q in store.quads_for_pattern(None, None, None, None)}
    if max_triples is not None and len(asserted) > max_triples:
        raise GraphLoadError(
            f"reasoning over {len(asserted):,} triples was refused: the reasoning limit is {max_triples:,} triples "
            "(the max_reasoning_triples setting; owlrl takes about a minute per 100,000). Reason over less data, "
            "or raise the setting"
        )
    started = time.perf_counter()
    graph = _to_rdflib(asserted)
    _expand(graph, profile)
    return _collect(graph, asserted, profile=profile, started=started)


def write_inferred(triples: Iterable[ox.Triple], path: str | os.PathLike[str]) -> int:
    """Write triples as N-Quads in the :data:`INFERRED_GRAPH` named graph; gzip when the name ends in ``.gz``.

    The file is written beside its target and renamed at the end, so a reader never sees half of it.
    Lines are sorted, so the same triples always give the same file. Returns the number of quads.

    >>> import tempfile, pathlib
    >>> kg = "https://w3id.org/kgexplorer/id/"
    >>> t = ox.Triple(ox.NamedNode(kg + "a"), ox.NamedNode(kg + "p"), ox.NamedNode(kg + "b"))
    >>> with tempfile.TemporaryDirectory() as d:
    ...     write_inferred([t, t], pathlib.Path(d) / "x.nq")
    ...     print((pathlib.Path(d) / "x.nq").read_text().split()[3])
    1
    <https://w3id.org/kgexplorer/graph/inferred>
    """
    graph = ox.NamedNode(INFERRED_GRAPH)
    quads = [ox.Quad(t.subject, t.predicate, t.object, graph) for t in triples]
    data = ox.serialize(quads, format=ox.RdfFormat.N_QUADS) or b""
    lines = sorted(set(data.splitlines(keepends=True)))
    body = b"".join(lines)
    target = Path(path)
    if target.name.endswith(".gz"):
        # mtime=0: identical input gives byte-identical files, so caches and checksums stay stable.
        body = gzip.compress(body, mtime=0)
    _write_atomically(target, body)
    return len(lines)


def infer(
    source: StoreRecipe | Sequence[DataFile],
    *,
    profile: Profile,
    cache_dir: str | os.PathLike[str] | None = None,
    max_triples: int | None = None,
) -> InferenceResult:
    """Materialise the entailments of some RDF files into a cached N-Quads file (see the module docs).

    ``source`` is a :class:`~kgexplorer.engine.store.StoreRecipe` built from files (its direct edges are reasoned
    over too when it derives them) or a sequence of :class:`~kgexplorer.engine.store.DataFile`. The cache key is a
    hash of the files' contents, formats, the profile and the owlrl version; ``cache_dir`` defaults to
    :func:`default_cache_dir`. An example is at the top of this module.
    """
    _check_profile(profile)
    started = time.perf_counter()
    recipe = source if isinstance(source, StoreRecipe) else StoreRecipe(files=tuple(source), derive_edges=False)
    if recipe.store_dir:
        raise GraphLoadError(
            f"reasoning needs the RDF files, not an on-disk store ({recipe.store_dir}); "
            "give the files the store was built from"
        )
    directory = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    key = _cache_key(recipe, profile)
    path = directory / f"{key}-{profile}.nq.gz"
    summary_path = directory / f"{key}-{profile}.json"
    cached = _read_summary(path, summary_path)
    if cached is not None:
        return _result(cached, path=path, seconds=time.perf_counter() - started, cached=True)
    try:
        directory.mkdir(parents=True, exist_ok=True)  # before reasoning, so a bad folder fails in a second
    except OSError as exc:
        raise _unwritable(directory, exc) from None
    m = materialise(recipe, profile=profile, max_triples=max_triples)
    try:
        write_inferred(m.triples, path)
        summary = {
            "profile": profile,
            "new_triples": len(m.triples),
            "asserted": m.asserted,
            "dropped_literal_subject": m.dropped_literal_subject,
            "dropped_blank_node": m.dropped_blank_node,
            "dropped_invalid": m.dropped_invalid,
            "inconsistencies": list(m.inconsistencies),
            "reasoning_seconds": round(m.seconds, 3),
        }
        _write_atomically(summary_path, json.dumps(summary, indent=1).encode("utf-8"))
    except OSError as exc:
        raise _unwritable(directory, exc) from None
    return _result(summary, path=path, seconds=time.perf_counter() - started, cached=False)


def default_cache_dir() -> Path:
    """Where :func:`infer` keeps its files: ``$XDG_CACHE_HOME/kgexplorer/inferred`` (``~/.cache`` by default).

    >>> default_cache_dir().parts[-2:]
    ('kgexplorer', 'inferred')
    """
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "kgexplorer" / "inferred"


# ------------------------------------------------------------------------------------------ internals


def _unwritable(directory: Path, exc: OSError) -> GraphLoadError:
    return GraphLoadError(
        f"cannot write inferred triples to {directory}: {exc.strerror}; choose a writable cache directory"
    )


def _check_profile(profile: str) -> None:
    if profile not in PROFILES:
        raise SettingError(f"unknown reasoning profile {profile!r}; use one of: {', '.join(PROFILES)}")


def _as_store(source: ox.Store | StoreRecipe | Sequence[DataFile]) -> ox.Store:
    if isinstance(source, ox.Store):
        return source
    if isinstance(source, StoreRecipe):
        built: ox.Store = build_store(source)
        return built
    if isinstance(source, Sequence) and all(isinstance(f, DataFile) for f in source):
        files: ox.Store = build_store(StoreRecipe(files=tuple(source), derive_edges=False))
        return files
    raise TypeError(f"materialise() needs a pyoxigraph Store, a StoreRecipe or DataFiles, got {type(source).__name__}")


def _to_rdflib(triples: Iterable[ox.Triple]) -> Any:
    import rdflib

    graph = rdflib.Graph()
    for t in triples:
        graph.add((_term_to_rdflib(t.subject), _term_to_rdflib(t.predicate), _term_to_rdflib(t.object)))
    return graph


def _term_to_rdflib(term: Any) -> Any:
    import rdflib

    if isinstance(term, ox.NamedNode):
        return rdflib.URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return rdflib.BNode(term.value)
    if isinstance(term, ox.Literal):
        if term.language:
            return rdflib.Literal(term.value, lang=term.language)
        if term.datatype.value == _XSD_STRING:
            # RDF 1.1 makes "a" and "a"^^xsd:string the same term; rdflib does not, owlrl expects plain ones.
            return rdflib.Literal(term.value)
        # normalize=False keeps the lexical form, so an asserted "01"^^xsd:integer does not come back as new.
        return rdflib.Literal(term.value, datatype=rdflib.URIRef(term.datatype.value), normalize=False)
    raise TypeError(f"RDF-star triple terms cannot be reasoned over: {term}")


def _expand(graph: Any, profile: Profile) -> None:
    import owlrl

    semantics = owlrl.RDFS_Semantics if profile == "rdfs" else owlrl.OWLRL_Semantics
    with _OWLRL_LOCK:
        try:
            owlrl.DeductiveClosure(semantics).expand(graph)
        except (RecursionError, MemoryError):
            raise GraphLoadError(
                f"{profile} reasoning ran out of memory or stack on {len(graph):,} triples; reason over less data"
            ) from None
        except Exception as exc:  # owlrl raises bare exceptions of many kinds; the user must get a message
            raise GraphLoadError(f"{profile} reasoning failed: {exc!r}; load the data without reasoning") from None


def _collect(graph: Any, asserted: set[ox.Triple], *, profile: Profile, started: float) -> Materialisation:
    import rdflib

    error_type = rdflib.URIRef(_ERROR_NS + "ErrorMessage")
    error_text = rdflib.URIRef(_ERROR_NS + "error")
    messages = set(graph.subjects(rdflib.RDF.type, error_type))
    inconsistencies = tuple(sorted(str(o) for m in messages for o in graph.objects(m, error_text)))
    new: set[ox.Triple] = set()
    literal_subject = blank = invalid = 0
    for s, p, o in graph:
        if s in messages:
            continue
        if isinstance(s, rdflib.Literal):
            literal_subject += 1
            continue
        if isinstance(s, rdflib.BNode) or isinstance(o, rdflib.BNode):
            # Asserted triples with blank nodes are in the data already; only count the new ones.
            if _triple_or_none(s, p, o, blank_ok=True) not in asserted:
                blank += 1
            continue
        triple = _triple_or_none(s, p, o, blank_ok=False)
        if triple is None:
            invalid += 1
        elif triple not in asserted:
            new.add(triple)
    return Materialisation(
        profile=profile,
        triples=tuple(sorted(new, key=str)),
        asserted=len(asserted),
        dropped_literal_subject=literal_subject,
        dropped_blank_node=blank,
        dropped_invalid=invalid,
        inconsistencies=inconsistencies,
        seconds=time.perf_counter() - started,
    )


def _triple_or_none(s: Any, p: Any, o: Any, *, blank_ok: bool) -> ox.Triple | None:
    try:
        subject = _term_to_ox(s, blank_ok=blank_ok)
        predicate = _term_to_ox(p, blank_ok=False)
        obj = _term_to_ox(o, blank_ok=blank_ok)
    except ValueError:
        return None
    if not isinstance(subject, (ox.NamedNode, ox.BlankNode)) or not isinstance(predicate, ox.NamedNode):
        return None
    return ox.Triple(subject, predicate, obj)


def _term_to_ox(term: Any, *, blank_ok: bool) -> ox.NamedNode | ox.BlankNode | ox.Literal:
    import rdflib

    if isinstance(term, rdflib.URIRef):
        return ox.NamedNode(str(term))
    if isinstance(term, rdflib.BNode):
        if not blank_ok:
            raise ValueError("blank node")
        return ox.BlankNode(str(term))
    if isinstance(term, rdflib.Literal):
        if term.language:
            return ox.Literal(str(term), language=term.language)
        if term.datatype is not None:
            return ox.Literal(str(term), datatype=ox.NamedNode(str(term.datatype)))
        return ox.Literal(str(term))
    raise ValueError(f"not an RDF term: {term!r}")


def _cache_key(recipe: StoreRecipe, profile: Profile) -> str:
    from importlib.metadata import version

    h = hashlib.sha256()
    h.update(f"{_CACHE_FORMAT}\0{profile}\0owlrl {version('owlrl')}\0pyoxigraph {version('pyoxigraph')}\0".encode())
    for df in (*recipe.files, *recipe.extra):
        h.update(f"file\0{df.format or ''}\0{Path(df.path).name.lower().endswith('.gz')}\0".encode())
        h.update(_file_digest(df.path))
    if recipe.derive_edges:
        h.update(b"derive\0" + (bundled_graph_dir() / "rules" / "direct-edges.rq").read_bytes())
    return h.hexdigest()[:32]


def _file_digest(path: str) -> bytes:
    if not os.path.isfile(path):
        raise GraphLoadError(f"cannot read {path}: no such file; check the path", path=path)
    h = hashlib.sha256()
    try:
        with open(path, "rb") as f:
            while chunk := f.read(1 << 20):
                h.update(chunk)
    except OSError as exc:
        raise GraphLoadError(f"cannot read {path}: {exc.strerror}; check the path", path=path) from None
    return h.digest()


def _read_summary(path: Path, summary_path: Path) -> dict[str, Any] | None:
    if not (path.is_file() and summary_path.is_file()):
        return None
    try:
        data: dict[str, Any] = json.loads(summary_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None  # a damaged summary is recomputed, never trusted
    fields = {f.name for f in dataclasses.fields(InferenceResult)} - {"path", "seconds", "cached"}
    return data if fields <= set(data) else None


def _result(summary: dict[str, Any], *, path: Path, seconds: float, cached: bool) -> InferenceResult:
    return InferenceResult(
        profile=summary["profile"],
        path=path,
        new_triples=int(summary["new_triples"]),
        asserted=int(summary["asserted"]),
        dropped_literal_subject=int(summary["dropped_literal_subject"]),
        dropped_blank_node=int(summary["dropped_blank_node"]),
        dropped_invalid=int(summary["dropped_invalid"]),
        inconsistencies=tuple(summary["inconsistencies"]),
        seconds=seconds,
        cached=cached,
    )


def _write_atomically(target: Path, data: bytes) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
