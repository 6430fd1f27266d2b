"""Copies vis-network from the installed pyvis into the graph component's asset folder.

The graph component (:mod:`kgexplorer.ui.graph_component`) serves ``vis-network.min.js`` from its own asset
folder, because Streamlit only serves assets from inside the package (docs/decisions/graph-component.md).
The file is not ours, so it is never committed: ``make`` runs ``python -m kgexplorer._assets`` after
installing, and the component runs the same step on first use. It is idempotent.

>>> copy = ensure_vis_network()
>>> copy.target.name, copy.sha256 == sha256_of(copy.source)
('vis-network.min.js', True)
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from .errors import KgExplorerError

__all__ = ["ASSET_DIR", "VIS_NETWORK", "VIS_NETWORK_BUILD", "AssetCopy", "ensure_vis_network", "main", "sha256_of"]

#: The component's asset folder (declared as ``asset_dir`` in src/kgexplorer/pyproject.toml).
ASSET_DIR = Path(__file__).resolve().parent / "assets" / "graph"
#: Where the copy lives.
VIS_NETWORK = ASSET_DIR / "vis-network.min.js"
#: The build pyvis 0.3.2 ships and the spike measured (pyvis/lib/vis-9.1.2/).
VIS_NETWORK_BUILD = "vis-9.1.2"


@dataclass(frozen=True)
class AssetCopy:
    """The outcome of :func:`ensure_vis_network`: where from, where to, the file's hash, and whether it was copied."""

    source: Path
    target: Path
    sha256: str
    copied: bool


def sha256_of(path: Path) -> str:
    """The hex SHA-256 of a file.

    >>> len(sha256_of(ASSET_DIR / "graph.js"))
    64
    """
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _pyvis_file() -> Path:
    # find_spec, not import: importing pyvis pulls in IPython and jinja for nothing.
    spec = importlib.util.find_spec("pyvis")
    if spec is None or not spec.submodule_search_locations:
        raise KgExplorerError(
            f"pyvis is not installed, so vis-network cannot be copied to {VIS_NETWORK}; "
            "install it with: .venv/bin/pip install 'pyvis>=0.3.2'"
        )
    lib = Path(next(iter(spec.submodule_search_locations))) / "lib"
    source = lib / VIS_NETWORK_BUILD / "vis-network.min.js"
    if not source.is_file():
        found = sorted(p.parent.name for p in lib.glob("vis-*/vis-network.min.js"))
        raise KgExplorerError(
            f"pyvis at {lib.parent} has no {VIS_NETWORK_BUILD}/vis-network.min.js "
            f"(it has: {', '.join(found) or 'none'}); "
            "install the measured version with: .venv/bin/pip install 'pyvis==0.3.2'"
        )
    return source


def ensure_vis_network(*, target: Path = VIS_NETWORK) -> AssetCopy:
    """Copy pyvis's ``vis-network.min.js`` to ``target`` unless an identical copy is already there.

    Raises :class:`~kgexplorer.errors.KgExplorerError` when pyvis (or its vis-network build) is missing
    or the asset folder cannot be written.

    >>> ensure_vis_network().copied in (True, False)
    True
    """
    source = _pyvis_file()
    digest = sha256_of(source)
    if target.is_file() and sha256_of(target) == digest:
        return AssetCopy(source, target, digest, copied=False)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        # Write aside, then rename: two test workers may run this at once and must never see half a file.
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".vis-network.", suffix=".tmp")
        with os.fdopen(fd, "wb") as out:
            out.write(source.read_bytes())
        Path(tmp).chmod(0o644)
        Path(tmp).replace(target)
    except OSError as exc:
        raise KgExplorerError(
            f"could not copy {source} to {target}: {exc.strerror or exc}; make the folder writable, or run "
            "'python -m kgexplorer._assets' as the user who installed kgexplorer"
        ) from None
    return AssetCopy(source, target, digest, copied=True)


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: copy the asset and say what happened; exit status 1 with the reason on failure.

    >>> main([])  # doctest: +ELLIPSIS
    kgexplorer._assets: ...vis-network.min.js (from .../pyvis/lib/vis-9.1.2/vis-network.min.js, sha256 ...)
    0
    """
    del argv  # no options: the step must behave the same from make, CI and by hand
    try:
        copy = ensure_vis_network()
    except KgExplorerError as exc:
        print(f"kgexplorer._assets: {exc}", file=sys.stderr)
        return 1
    verb = "copied" if copy.copied else "already up to date:"
    print(f"kgexplorer._assets: {verb} {copy.target} (from {copy.source}, sha256 {copy.sha256[:12]}…)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
