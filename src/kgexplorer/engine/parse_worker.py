"""A person's RDF files are parsed in a separate process: memory-capped, time-limited, without network.

Uploads (the app's Data page), ``--data`` files, and the files ``kgexplorer load`` and ``validate`` read
come from whoever wrote the dataset (docs/security.md): a parser bug or a pathological file must not
take the app or the command down with it, nor reach the network. So :func:`parse_files` starts
``python -m kgexplorer.engine.parse_worker_main``, which first asks the kernel to refuse it the network
(:func:`kgexplorer.engine.sandbox.install_network_sandbox`), caps its own address space (RLIMIT_AS, the
``parse_memory_mb`` setting) and then streams each file into N-Quads (:func:`kgexplorer.engine.store.write_nquads`).
The caller kills it at the ``parse_time_limit_s`` wall-clock limit. What comes back is N-Quads written by
Oxigraph's own serialiser, which the app's process, the CLI and the query workers then load: a format
with no entities, no nesting and one statement a line.

The worker answers as JSON lines, never pickles: if a file ever took control of the parser, what it could
send back is data, not code. The N-Quads stay in a folder owned by the :class:`ParsedFiles` (deleted by
``close()`` or when it is dropped), so a query worker that restarts can load them again. A caller that will
query the data can have a query worker load the N-Quads while they are written (``planned`` and ``written``
of :func:`parse_files`, ``begin`` and ``written`` of :func:`parse_recipe`; see
:mod:`kgexplorer.engine.growing_file`): told when the worker starts which files it will write, and each
file's final size once the worker reported it parsed, never before.

>>> import tempfile
>>> with tempfile.TemporaryDirectory() as folder:
...     path = Path(folder) / "tiny.ttl"
...     _ = path.write_text("@prefix ex: <http://example.org/> . ex:a ex:knows ex:b , ex:c .")
...     with parse_files([DataFile(str(path))]) as parsed:
...         [(f.name, f.quads) for f in parsed.files]
[('.../tiny.ttl', 2)]
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import select
import shutil
import subprocess
import sys
import tempfile
import time
import weakref
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import IO, Any

from kgexplorer.errors import GraphLoadError
from kgexplorer.settings import Settings

from .store import DataFile, StoreRecipe, bundled_graph_dir

__all__ = ["ParsedFile", "ParsedFiles", "needs_parsing", "parse_files", "parse_recipe"]

_log = logging.getLogger(__name__)
_warned: list[str] = []  # the sandbox's state when a parse worker first ran without it


@dataclass(frozen=True)
class ParsedFile:
    """One file as the worker parsed it: its N-Quads (``data_file``) and how many quads, or the error."""

    name: str
    data_file: DataFile | None = None
    quads: int = 0
    error: GraphLoadError | None = None


class ParsedFiles:
    """The outcome of one :func:`parse_files`: a :class:`ParsedFile` per file given (or up to the first
    error), the sandbox's state in the worker, and the folder of N-Quads, deleted by :meth:`close` when
    this object made it."""

    def __init__(self, files: tuple[ParsedFile, ...], folder: Path, *, sandbox: str, owned: bool) -> None:
        self.files = files
        self.folder = folder
        self.sandbox = sandbox
        self._finalizer = weakref.finalize(self, shutil.rmtree, str(folder), True) if owned else None

    @property
    def first_error(self) -> GraphLoadError | None:
        """The first file's error, or None when every file parsed."""
        return next((f.error for f in self.files if f.error is not None), None)

    def close(self) -> None:
        """Delete the N-Quads (a folder given by the caller is left to the caller)."""
        if self._finalizer is not None:
            self._finalizer()

    def __enter__(self) -> ParsedFiles:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def needs_parsing(df: DataFile) -> bool:
    """Whether a file must go through the worker: every file but the bundled graph's and kgexplorer's own.

    >>> needs_parsing(DataFile("mine.ttl")), needs_parsing(DataFile("x.nq", "nq", origin="mine.ttl"))
    (True, False)
    """
    if df.origin is not None:
        return False
    return Path(df.path).resolve().parent != bundled_graph_dir().resolve()


def parse_files(
    files: Sequence[DataFile],
    *,
    names: Sequence[str] | None = None,
    settings: Settings | None = None,
    folder: str | os.PathLike[str] | None = None,
    max_decompressed_bytes: int | None = None,
    stop_at_first_error: bool = True,
    progress: Callable[[str], None] | None = None,
    planned: Callable[[tuple[DataFile, ...]], None] | None = None,
    written: Callable[[DataFile, int], None] | None = None,
) -> ParsedFiles:
    """Parse ``files`` in the worker process into N-Quads, one file each, in ``folder`` (default: a new
    temporary folder that the result owns).

    ``names`` are the files' names in messages (an upload's own name; default their paths). Each file's
    error comes back in its :class:`ParsedFile`; with ``stop_at_first_error`` the rest are not parsed.
    Raises :class:`~kgexplorer.errors.GraphLoadError` when the worker itself fails: past
    ``parse_time_limit_s``, out of ``parse_memory_mb``, or killed. ``planned`` is given the N-Quads files
    (one per file, not written yet) before the worker starts; ``written`` each of them with its size in
    bytes as soon as the worker reports that file parsed whole (a file that fails is never given).
    """
    limits = settings or Settings()
    shown = list(names) if names is not None else [f.path for f in files]
    owned = folder is None
    target = Path(tempfile.mkdtemp(prefix="kgexplorer-parsed-")) if folder is None else Path(folder)
    request = {
        "files": [
            {"path": f.path, "format": f.format, "name": name, "target": str(target / _nquads_name(i, name))}
            for i, (f, name) in enumerate(zip(files, shown, strict=True))
        ],
        "memory_mb": limits.parse_memory_mb,
        "max_xml_depth": limits.max_xml_depth,
        "max_xml_expansion": limits.max_xml_expansion,
        "max_decompressed_bytes": max_decompressed_bytes,
        "stop_at_first_error": stop_at_first_error,
    }
    if not files:
        return ParsedFiles((), target, sandbox="network sandbox not needed: nothing to parse", owned=owned)
    nquads = tuple(
        DataFile(f["target"], "nq", origin=name)
        for f, name in zip(request["files"], shown, strict=True)  # type: ignore[call-overload]
    )

    def parsed_whole(index: int) -> None:
        if written is not None:
            written(nquads[index], os.path.getsize(nquads[index].path))  # closed by the worker before it said so

    try:
        if planned is not None:
            planned(nquads)
        outcomes, sandbox = _run(request, limits, progress, parsed_whole)
    except BaseException:
        if owned:
            shutil.rmtree(target, ignore_errors=True)
        raise
    parsed: list[ParsedFile] = []
    for i, name in enumerate(shown):
        outcome = outcomes.get(i)
        if outcome is None:
            continue  # not parsed: an earlier file failed
        if "error" in outcome:
            error = GraphLoadError(outcome["error"], path=name, line=outcome.get("line"), column=outcome.get("column"))
            parsed.append(ParsedFile(name, error=error))
        else:
            parsed.append(ParsedFile(name, nquads[i], int(outcome["quads"])))
    return ParsedFiles(tuple(parsed), target, sandbox=sandbox, owned=owned)


def parse_recipe(
    recipe: StoreRecipe,
    *,
    settings: Settings | None = None,
    progress: Callable[[str], None] | None = None,
    begin: Callable[[StoreRecipe, tuple[str, ...]], None] | None = None,
    written: Callable[[str, int], None] | None = None,
) -> tuple[StoreRecipe, ParsedFiles | None]:
    """The recipe with each file that :func:`needs_parsing` replaced by its N-Quads from the worker, and the
    parsed files (their owner: keep it while the recipe is used, close it after); ``None`` when there was
    nothing to parse. Raises the first file's :class:`~kgexplorer.errors.GraphLoadError`.

    ``begin`` is given that recipe and the paths of its N-Quads before the worker starts writing them, and
    ``written`` each path with its size once that file is parsed whole (see :func:`parse_files`): enough to
    load them while they are written (:meth:`kgexplorer.engine.query_workers.QueryWorkers.follow`). When this
    raises, whatever ``begin`` started must be stopped: the files were not all written."""
    todo = [f for f in (*recipe.files, *recipe.extra) if needs_parsing(f)]
    if not todo:
        return recipe, None
    swapped = recipe

    def planned(nquads: tuple[DataFile, ...]) -> None:
        nonlocal swapped
        done = {id(f): nq for f, nq in zip(todo, nquads, strict=True)}

        def swap(files: tuple[DataFile, ...]) -> tuple[DataFile, ...]:
            return tuple(done.get(id(f)) or f for f in files)

        swapped = replace(recipe, files=swap(recipe.files), extra=swap(recipe.extra))
        if begin is not None:
            begin(swapped, tuple(nq.path for nq in nquads))

    told = None if written is None else lambda nq, size: written(nq.path, size)
    parsed = parse_files(todo, settings=settings, progress=progress, planned=planned, written=told)
    if (error := parsed.first_error) is not None:
        parsed.close()
        raise error
    return swapped, parsed


# ------------------------------------------------------------------------------------------ the parent side


def _nquads_name(index: int, name: str) -> str:
    """The N-Quads file's name: its place and the file's own name, made safe (``003-data.ttl.nq``)."""
    base = "".join(c if c.isascii() and (c.isalnum() or c in "._-") else "_" for c in os.path.basename(name))
    return f"{index:03d}-{base.lstrip('.')[:80]}.nq"


def _run(
    request: dict[str, Any],
    limits: Settings,
    progress: Callable[[str], None] | None,
    parsed_whole: Callable[[int], None],
) -> tuple[dict[int, dict[str, Any]], str]:
    """Run the worker on ``request``; its answer per file index, and its sandbox line (``parsed_whole`` is
    called with each file's index as the worker reports it parsed)."""
    names = [f["name"] for f in request["files"]]
    deadline = time.monotonic() + limits.parse_time_limit_s
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    with tempfile.TemporaryFile() as errors:
        proc = subprocess.Popen(
            _worker_command(),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=errors,
            env=env,
            start_new_session=True,  # a kill reaches the worker only
        )
        assert proc.stdin is not None
        assert proc.stdout is not None
        outcomes: dict[int, dict[str, Any]] = {}
        sandbox = "network sandbox unknown: the parse worker did not say"
        current: int | None = None
        started = time.monotonic()
        try:
            lines = _lines(proc.stdout, deadline)
            # The worker says first whether the kernel refuses it the network; it reads no file before the
            # request, which is sent only after that answer.
            first = next(lines, {})
            sandbox = str(first.get("sandbox", sandbox))
            if not first.get("on") and not _warned:
                _warned.append(sandbox)  # once per process, like the query workers' warning
                _log.warning("parsing files without the network sandbox (%s)", sandbox)
            with contextlib.suppress(BrokenPipeError):
                proc.stdin.write(json.dumps(request).encode("utf-8"))
                proc.stdin.close()
            for message in lines:
                if "start" in message:
                    current, started = int(message["start"]), time.monotonic()
                    if progress:
                        progress(f"parsing {names[current]}")
                else:
                    index = int(message["index"])
                    outcomes[index] = message
                    if "quads" in message:  # the file is parsed whole
                        parsed_whole(index)
                        if progress:
                            took = time.monotonic() - started
                            progress(f"parsed {names[index]} in {took:.1f} s ({int(message['quads']):,} quads)")
                    current = None
        except _Deadline:
            proc.kill()
            proc.wait()
            what = names[current] if current is not None else "the files"
            raise GraphLoadError(
                f"parsing {os.path.basename(what)} took longer than {limits.parse_time_limit_s:g} s and was "
                "stopped (the parse_time_limit_s setting); load a smaller file, or raise the setting",
                path=what if current is not None else None,
            ) from None
        except BaseException:
            proc.kill()
            proc.wait()
            raise
        finally:
            proc.stdout.close()
        code = proc.wait()
        if current is not None or len(outcomes) < _expected(request, outcomes):
            what = names[current] if current is not None else "the files"
            errors.seek(0)
            raise _died(code, what, limits, errors.read()[-2000:].decode("utf-8", "replace"))
    return outcomes, sandbox


def _worker_command() -> list[str]:
    """How the parse worker is started (tests start one without its sandbox through this)."""
    return [sys.executable, "-P", "-m", "kgexplorer.engine.parse_worker_main"]  # -P: nothing from the working folder


def _expected(request: dict[str, Any], outcomes: dict[int, dict[str, Any]]) -> int:
    """How many answers a worker that ended normally gave: all, or up to the first error."""
    if request["stop_at_first_error"] and any("error" in o for o in outcomes.values()):
        return len(outcomes)
    return len(request["files"])


def _died(code: int, what: str, limits: Settings, stderr: str) -> GraphLoadError:
    short = os.path.basename(what)
    if code < 0 or "MemoryError" in stderr:
        return GraphLoadError(
            f"parsing {short} needed more memory than the parser may use ({limits.parse_memory_mb} MiB, the "
            "parse_memory_mb setting) and was stopped; load a smaller file, or raise the setting",
            path=what,
        )
    last = stderr.strip().splitlines()[-1] if stderr.strip() else f"exit code {code}"
    return GraphLoadError(f"the parser stopped while reading {short} ({last}); try again, or check the file", path=what)


class _Deadline(Exception):
    pass


def _lines(stream: IO[bytes], deadline: float) -> Iterator[dict[str, Any]]:
    """The worker's JSON lines until it closes its output; raises _Deadline at the deadline."""
    fd = stream.fileno()
    buffer = b""
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise _Deadline
        ready, _, _ = select.select([fd], [], [], remaining)
        if not ready:
            raise _Deadline
        chunk = os.read(fd, 1 << 16)
        if not chunk:
            return
        buffer += chunk
        while b"\n" in buffer:
            line, buffer = buffer.split(b"\n", 1)
            yield json.loads(line)
