"""Bulk loading: RDF files (and, if asked, what RDFS or OWL 2 RL entails from them) into an on-disk store.

This is what ``kgexplorer load`` does. The files are parsed in the parse worker
(:mod:`kgexplorer.engine.parse_worker`: a separate process without network, within the ``parse_memory_mb`` and
``parse_time_limit_s`` settings) into N-Quads, which are bulk-loaded into a new generation of the store
(:mod:`kgexplorer.engine.disk_store`: switched to in one atomic step, so a failed or killed load keeps the
previous store); the entailments come from :func:`~kgexplorer.engine.reasoning.infer` (cached on disk) and are
stored in their own named graph, so opening the store later costs no reasoning.

>>> import tempfile
>>> from pathlib import Path
>>> with tempfile.TemporaryDirectory() as folder:
...     path = Path(folder) / "tiny.nt"
...     _ = path.write_text("<http://example.org/a> <http://example.org/knows> <http://example.org/b> .\\n")
...     bulk_load([str(path)], str(Path(folder) / "store"))
1
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from kgexplorer.settings import Settings

from .disk_store import Build, building
from .load_progress import LoadProgress
from .store import DataFile, StoreRecipe, derive_direct_edges, load_file

__all__ = ["Finish", "bulk_load", "write_disk_store", "write_generation"]

#: What a build may add to a finished store before it becomes current: called with the store and its folder.
Finish = Callable[[Any, Path], object]


def bulk_load(
    files: Sequence[str],
    directory: str,
    *,
    format: str | None = None,
    with_bundled: bool = False,
    reasoning: str | None = None,
    settings: Settings | None = None,
    progress: Callable[[str], None] | None = None,
    finish: Finish | None = None,
    report: Callable[[LoadProgress], None] | None = None,
) -> int:
    """Load ``files`` (plus the bundled graph with ``with_bundled``) into a new store at ``directory``.

    ``format`` applies to files whose extension does not say it. With ``reasoning`` (``rdfs`` or
    ``owl-rl``) the entailments are stored too, within the ``max_reasoning_triples`` setting. ``progress``
    receives a line as each step starts and ends (a file's end: the triples it added and their rate);
    ``report`` how far each file's bulk load has read (bytes, triples, rate, time left:
    :mod:`kgexplorer.engine.load_progress`). ``finish`` is called with the finished
    store and its folder before the store becomes current (``kgexplorer load`` builds the label index there).
    Returns the number of quads stored (see the module example).
    """
    from .parse_worker import needs_parsing, parse_files

    limits = settings or Settings()
    say = progress or (lambda _message: None)
    base = StoreRecipe.bundled().files if with_bundled else ()
    given = [DataFile(f, format) for f in files]
    with building(directory) as build:
        for note in build.notes:
            say(note)
        parsed = parse_files(
            [f for f in given if needs_parsing(f)], settings=limits, folder=build.scratch, progress=progress
        )
        if (error := parsed.first_error) is not None:
            raise error
        done = iter(parsed.files)
        inputs = [*base, *(next(done).data_file or f if needs_parsing(f) else f for f in given)]
        if reasoning:
            from .reasoning import infer

            say(f"materialising {reasoning} entailments (cached after the first time)…")
            result = infer(
                StoreRecipe(files=tuple(inputs)),
                profile=reasoning,  # type: ignore[arg-type]
                max_triples=limits.max_reasoning_triples,
            )
            say(f"{result.new_triples:,} inferred triples in {result.seconds:.1f} s")
            inputs.append(result.data_file)
        return write_generation(build, inputs, progress=progress, settings=limits, finish=finish, report=report)


def write_disk_store(
    files: Sequence[DataFile],
    directory: str,
    *,
    derive_edges: bool = True,
    extra_quads: Iterable[Any] = (),
    progress: Callable[[str], None] | None = None,
    settings: Settings | None = None,
    finish: Finish | None = None,
) -> int:
    """Bulk-load files, parsed in this process, into a new generation of the store at ``directory``;
    returns the number of quads. ``finish``: as for :func:`bulk_load`.

    The generation is built beside the current one and switched to in one atomic step
    (:mod:`kgexplorer.engine.disk_store`), so a crash or a bad file leaves the old store or the new one, never half
    of one. ``directory`` must be a store, an empty folder or a new name. ``kgexplorer load`` parses its
    files in the parse worker instead (:func:`bulk_load`).
    """
    with building(directory) as build:
        for note in build.notes:
            if progress:
                progress(note)
        return write_generation(
            build,
            files,
            derive_edges=derive_edges,
            extra_quads=extra_quads,
            progress=progress,
            settings=settings,
            finish=finish,
        )


def write_generation(
    build: Build,
    files: Sequence[DataFile],
    *,
    derive_edges: bool = True,
    extra_quads: Iterable[Any] = (),
    progress: Callable[[str], None] | None = None,
    settings: Settings | None = None,
    finish: Finish | None = None,
    report: Callable[[LoadProgress], None] | None = None,
) -> int:
    """Bulk-load ``files`` into the generation being built, then make it the store's current one; returns
    the number of quads. See :func:`write_disk_store` and :func:`kgexplorer.engine.disk_store.building`."""
    limits = settings or Settings()
    store = ox.Store(str(build.path))
    before = 0
    for df in files:
        name = df.origin or df.path
        started = time.perf_counter()
        if progress:
            progress(f"loading {name}")
        # bulk_load does not roll back, but a file that fails half way fails the whole build, and the
        # unfinished generation, with whatever was written, is deleted: a half store is never used.
        # (A separate validating parse of every file first made the build 1.5x pyoxigraph's.)
        load_file(store, df, settings=limits, bulk=True, report=report)
        if progress:  # the file's count is what the store gained: exact, no second parse (duplicates once)
            seconds, now = time.perf_counter() - started, len(store)
            rate = f", {(now - before) / seconds:,.0f} triples/s" if seconds > 0 else ""
            progress(f"loaded {name} in {seconds:.1f} s: {now - before:,} triples{rate} ({now:,} quads so far)")
            before = now
    store.bulk_extend(extra_quads)
    if derive_edges:
        derived = derive_direct_edges(store)
        if progress and derived:
            progress(f"derived {derived:,} direct edges from claims")
    store.flush()
    store.optimize()
    count = len(store)
    if finish is not None:  # e.g. the label index, kept in the generation's folder and opened with it
        started = time.perf_counter()
        finish(store, build.path)
        if progress:
            progress(f"indexed the store in {time.perf_counter() - started:.1f} s")
    del store
    build.commit()
    if progress:
        progress(f"switched {build.directory} to {build.name}")
    return count
