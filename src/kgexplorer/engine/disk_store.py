"""On-disk stores: generation folders and a ``current`` link switched in one atomic step.

A store folder made by ``kgexplorer load FILES --store DIR`` holds one Oxigraph store per load, a
*generation*, and a symbolic link naming the one in use::

    DIR/current -> gen-000003      the store every reader opens
    DIR/gen-000003/                a complete Oxigraph (RocksDB) store, never written again
    DIR/gen-000004.partial/        a load in progress (or one that was killed)
    DIR/.lock                      held by the one load that may write DIR at a time

A load builds ``gen-N.partial``, renames it ``gen-N`` when it is complete, and then replaces ``current``
by renaming a new link over it (``rename(2)`` replaces a name atomically): a reader sees the old store
or the new one, whole, whenever the load is killed. The old two-rename switch left "no store at DIR",
with the old store hidden in ``.DIR.old-PID``, when killed between its renames (issue 12).

Every process that opens a generation holds a shared ``flock`` on its folder until it closes it (the
lock goes with the process if it dies), and a generation is deleted only by whoever gets the lock
exclusively: a running server keeps its generation while a load replaces ``current``, then switches
all its workers to the new one at once (:class:`kgexplorer.server.current_graph.CurrentGraph`) and lets the old
one go. Anything a killed load left is removed by the next load or the next open, which say so
(:attr:`Generation.notes`).

A store of the earlier layout (the Oxigraph files straight in DIR) still opens as it is; the next load
into it writes the new layout beside those files, switches, and then deletes them.

>>> import tempfile
>>> with tempfile.TemporaryDirectory() as folder:
...     store = Path(folder) / "store"
...     with building(store) as build:
...         build.path.name
...         build.commit()
...     with open_generation(store) as generation:
...         generation.name, generation.notes
'gen-000001.partial'
('gen-000001', ())
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kgexplorer.errors import GraphLoadError

__all__ = [
    "Build",
    "Generation",
    "building",
    "current_name",
    "is_store_folder",
    "open_generation",
    "open_read_only",
    "tidy",
]

CURRENT = "current"
_LOCK = ".lock"
_GENERATION = re.compile(r"gen-(\d{6})(\.partial|\.parsing)?")
# The files an Oxigraph (RocksDB) store keeps in its folder: what an earlier-layout store left in DIR.
_ROCKSDB = re.compile(r"(CURRENT|IDENTITY|LOCK|LOG(\.old\.\d+)?|MANIFEST-\d+|OPTIONS-\d+|\d+\.(sst|log|blob))")


@dataclass
class Generation:
    """One generation of the store in ``directory``, opened: ``path`` is the folder to open read-only,
    ``name`` its name (``gen-000003``, or ``""`` for a store of the earlier layout), ``notes`` what opening
    it tidied up.

    It holds a shared lock on the folder, so no load deletes it while it is open: call :meth:`close`
    (or use ``with``) when done; the lock goes with the process otherwise.
    """

    directory: Path
    path: Path
    name: str
    notes: tuple[str, ...] = ()
    _fd: int | None = field(default=None, repr=False)

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # releases the lock
            self._fd = None

    def __enter__(self) -> Generation:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def is_store_folder(path: Path) -> bool:
    """True for a folder a load may write into: a store (either layout) or an empty folder."""
    if not path.is_dir():
        return False
    names = {p.name for p in path.iterdir()}
    if not names or CURRENT in names or any(_GENERATION.fullmatch(n) for n in names):
        return True
    return {"CURRENT", "IDENTITY"} <= names and any(n.startswith("MANIFEST-") for n in names)


def current_name(directory: str | os.PathLike[str]) -> str | None:
    """The generation ``DIR/current`` names now (``None`` for a store of the earlier layout or none at all)."""
    try:
        return os.readlink(Path(directory) / CURRENT)
    except OSError:
        return None


def open_generation(directory: str | os.PathLike[str]) -> Generation:
    """Open the store's current generation (locked shared), tidying up what a killed load left.

    Raises :class:`~kgexplorer.errors.GraphLoadError` when ``directory`` holds no store.
    """
    folder = Path(directory)
    notes = list(_restore_hidden(folder))
    if not folder.is_dir():
        raise GraphLoadError(
            f"no store at {directory}; build one with: kgexplorer load FILES --store {directory}", path=str(directory)
        )
    for _attempt in range(50):  # a load may switch `current` between our reading it and locking its target
        name = current_name(folder)
        if name is None:
            if not is_store_folder(folder) or not any(folder.iterdir()):
                raise GraphLoadError(
                    f"no store at {directory}; build one with: kgexplorer load FILES --store {directory}",
                    path=str(directory),
                )
            fd = _lock(folder, fcntl.LOCK_SH)  # an earlier-layout store: the folder itself
            if current_name(folder) is not None:
                os.close(fd)
                continue
            return Generation(folder, folder, "", tuple(notes), fd)
        path = folder / name
        try:
            fd = _lock(path, fcntl.LOCK_SH)
        except (FileNotFoundError, NotADirectoryError):
            if current_name(folder) == name:  # not a load switching it: the link names nothing
                raise GraphLoadError(
                    f"the store at {directory} is damaged: its current link names {name}, which is not there; "
                    f"rebuild it with kgexplorer load FILES --store {directory}",
                    path=str(directory),
                ) from None
            continue
        if current_name(folder) != name:
            os.close(fd)
            continue
        notes += tidy(folder)
        return Generation(folder, path, name, tuple(notes), fd)
    raise GraphLoadError(f"the store at {directory} kept changing while it was opened; try again", path=str(directory))


def tidy(directory: str | os.PathLike[str], *, loading: bool = False) -> list[str]:
    """Delete what no one uses and no load needs: generations other than the current one that nobody has
    open, unfinished loads whose process is gone, a link a killed load did not get to switch, and an
    earlier layout's files once the new one is in place. ``loading``: the caller holds the load lock.
    Returns a sentence for each thing deleted (nothing is written when there is nothing to do)."""
    folder = Path(directory)
    current = current_name(folder)
    if current is None or not _GENERATION.fullmatch(current):
        return []
    notes: list[str] = []
    links = [p for p in folder.iterdir() if p.name.startswith(f".{CURRENT}.") and p.is_symlink()]
    if links and (loading or _no_load_running(folder)):
        for link in links:
            with contextlib.suppress(OSError):
                link.unlink()
        notes.append(f"removed {links[0].name} in {directory}, left by a load that was interrupted")
    for entry in sorted(folder.iterdir()):
        match = _GENERATION.fullmatch(entry.name)
        if match is None or entry.name == current:
            continue
        try:
            fd = _lock(entry, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except (BlockingIOError, FileNotFoundError, PermissionError):
            continue  # open in another process (a reader, or the load building it), or already gone
        try:
            shutil.rmtree(entry)
        except OSError:
            continue
        finally:
            os.close(fd)
        if match.group(2) == ".partial":
            notes.append(f"removed {entry.name} in {directory}, left by a load that was interrupted")
        elif match.group(2) == ".parsing":
            notes.append(f"removed {entry.name} in {directory}, the parsed files of a load that was interrupted")
        elif int(match.group(1)) > int(current[4:10]):
            notes.append(f"removed {entry.name} in {directory}: a load was interrupted before it switched to it")
        else:
            notes.append(f"removed {entry.name} in {directory}, the generation before {current}")
    leftovers = [p for p in folder.iterdir() if _ROCKSDB.fullmatch(p.name)]
    if leftovers:
        try:
            fd = _lock(folder, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except (BlockingIOError, PermissionError):
            return notes  # an earlier-layout reader still has them open
        try:
            for p in leftovers:
                with contextlib.suppress(OSError):
                    p.unlink()
        finally:
            os.close(fd)
        notes.append(f"removed the files of the earlier store layout in {directory} (now in {current})")
    return notes


@dataclass
class Build:
    """A generation being built (:func:`building`): write an Oxigraph store into ``path``, then :meth:`commit`."""

    directory: Path
    path: Path
    number: int
    notes: tuple[str, ...]
    scratch: Path  # a folder for the parsed files, deleted when the build ends
    committed: bool = False

    @property
    def name(self) -> str:
        return f"gen-{self.number:06d}"

    def commit(self) -> None:
        """Make the finished store the current generation: rename it, then switch ``current`` atomically."""
        final = self.directory / self.name
        os.rename(self.path, final)
        self.path = final
        link = self.directory / f".{CURRENT}.{os.getpid()}"
        with contextlib.suppress(FileNotFoundError):
            link.unlink()
        os.symlink(self.name, link)
        os.rename(link, self.directory / CURRENT)  # the switch: one atomic step
        _sync(self.directory)
        self.committed = True


@contextlib.contextmanager
def building(directory: str | os.PathLike[str]) -> Iterator[Build]:
    """Start a new generation in ``directory`` (created if missing; refused when it is a folder of something
    else), holding the store's load lock; whatever is not committed is deleted when the block ends."""
    folder = Path(directory)
    notes = list(_restore_hidden(folder))
    if folder.exists() and not is_store_folder(folder):
        # A load replaces the store in the folder it writes to; never let a typo touch someone's documents.
        raise GraphLoadError(
            f"{directory} already exists and is not a kgexplorer store, so it was left alone; give a new "
            "folder name (or an existing store to replace) to --store",
            path=str(directory),
        )
    created = not folder.exists()
    folder.mkdir(parents=True, exist_ok=True)
    lock = os.open(folder / _LOCK, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise GraphLoadError(
                f"another kgexplorer load is writing {directory}; wait for it to finish, then load again",
                path=str(directory),
            ) from None
        notes += tidy(folder, loading=True)
        number = 1 + max((int(m.group(1)) for p in folder.iterdir() if (m := _GENERATION.fullmatch(p.name))), default=0)
        build = Build(
            folder, folder / f"gen-{number:06d}.partial", number, tuple(notes), folder / f"gen-{number:06d}.parsing"
        )
        build.path.mkdir()
        build.scratch.mkdir()
        held = [_lock(build.path, fcntl.LOCK_EX), _lock(build.scratch, fcntl.LOCK_EX)]
        try:
            yield build
        finally:
            for fd in held:
                os.close(fd)
            shutil.rmtree(build.scratch, ignore_errors=True)
            if not build.committed:
                shutil.rmtree(build.path, ignore_errors=True)
                if created:  # a first load that failed leaves no folder behind
                    shutil.rmtree(folder, ignore_errors=True)
        tidy(folder, loading=True)
    finally:
        os.close(lock)


def _no_load_running(folder: Path) -> bool:
    try:
        fd = os.open(folder / _LOCK, os.O_RDONLY)
    except OSError:
        return True  # no lock file: no load ever ran here
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    finally:
        os.close(fd)
    return True


def open_read_only(path: str) -> Any:
    """The Oxigraph store at ``path`` opened read-only: its current generation, or an earlier-layout store.

    This opens without the shared lock; :func:`open_generation` is what a long-lived reader uses."""
    import pyoxigraph as ox

    folder = Path(path)
    name = current_name(folder)  # a store folder names its current generation; an earlier-layout one does not
    target = folder / name if name else folder
    if not target.is_dir() or not is_store_folder(folder):
        raise GraphLoadError(f"no store at {path}; build one with: kgexplorer load FILES --store {path}", path=path)
    try:
        return ox.Store.read_only(str(target))
    except OSError as exc:
        raise GraphLoadError(
            f"{path} is not a readable kgexplorer store ({exc}); rebuild it with kgexplorer load FILES --store {path}",
            path=path,
        ) from None


def _lock(path: Path, how: int) -> int:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        fcntl.flock(fd, how)
    except BaseException:
        os.close(fd)
        raise
    return fd


def _sync(folder: Path) -> None:
    """Make a rename in ``folder`` durable (a crash of the machine, not only of the process)."""
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    except OSError as exc:  # some file systems cannot sync a folder; the rename itself is still atomic
        if exc.errno not in (errno.EINVAL, errno.ENOTSUP):
            raise
    finally:
        os.close(fd)


def _restore_hidden(folder: Path) -> list[str]:
    """Earlier versions replaced a store with two renames (DIR -> .DIR.old-PID, new -> DIR); killed between
    them, DIR was missing and the old store hidden. Put it back, and say so."""
    if folder.exists():
        return []
    hidden = sorted(folder.parent.glob(f".{folder.name}.old-*")) if folder.parent.is_dir() else []
    for candidate in hidden:
        if is_store_folder(candidate) and any(candidate.iterdir()):
            try:
                os.rename(candidate, folder)
            except OSError:
                continue
            return [
                f"restored the store {folder} from {candidate.name}, where an interrupted load of an earlier "
                "kgexplorer version had left it"
            ]
    return []
