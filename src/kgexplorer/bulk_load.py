"""Bulk loading: RDF files (and, if asked, what RDFS or OWL 2 RL entails from them) into an on-disk store.

This is what ``kgexplorer load`` does. The files are parsed in the parse worker
(:mod:`kgexplorer.parse_worker`: a separate process without network, within the ``parse_memory_mb`` and
``parse_time_limit_s`` settings) into N-Quads, which are bulk-loaded into a new generation of the store
(:mod:`kgexplorer.disk_store`: switched to in one atomic step, so a failed or killed load keeps the
previous store); the entailments come from :func:`~kgexplorer.reasoning.infer` (cached on disk) and are
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

from collections.abc import Callable, Sequence

from .settings import Settings

__all__ = ["bulk_load"]


def bulk_load(
    files: Sequence[str],
    directory: str,
    *,
    format: str | None = None,
    with_bundled: bool = False,
    reasoning: str | None = None,
    settings: Settings | None = None,
    progress: Callable[[str], None] | None = None,
) -> int:
    """Load ``files`` (plus the bundled graph with ``with_bundled``) into a new store at ``directory``.

    ``format`` applies to files whose extension does not say it. With ``reasoning`` (``rdfs`` or
    ``owl-rl``) the entailments are stored too, within the ``max_reasoning_triples`` setting. ``progress``
    receives a line as each step starts and ends. Returns the number of quads stored (see the module
    example).
    """
    from .disk_store import building
    from .parse_worker import needs_parsing, parse_files
    from .store import DataFile, StoreRecipe, write_generation

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
        return write_generation(build, inputs, progress=progress, settings=limits)
