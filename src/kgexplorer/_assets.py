"""The third-party files shipped inside the package (vis-network …): where they are, and that they are whole.

They are listed in one table, ``assets/shipped.toml``; the build (``hatch_build.py``) copies each from the
package that brings it at build time, checks its pinned hash and writes its licence beside it. The graph
component (:mod:`kgexplorer.ui.graph_component`) serves ``vis-network.min.js`` from the package's asset
folder, because Streamlit only serves assets from inside the package (docs/decisions/graph-component.md).
This module only reads: an installed kgexplorer never writes into its own folder (a read-only install
works). When a file is missing, the error says how to get a complete install. ``python -m
kgexplorer._assets`` checks them.

>>> [a.name for a in shipped_assets()]
['vis-network']
>>> asset_file("vis-network").name
'vis-network.min.js'
"""

from __future__ import annotations

import hashlib
import sys
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from .errors import NotInstalled

__all__ = ["ASSET_DIR", "VIS_NETWORK", "ShippedAsset", "asset_file", "main", "sha256_of", "shipped_assets"]

#: The package's asset folder (the graph component's ``asset_dir`` is ``graph/`` in it).
ASSET_DIR = Path(__file__).resolve().parent / "assets"
#: Where vis-network is shipped.
VIS_NETWORK = ASSET_DIR / "graph" / "vis-network.min.js"
_REINSTALL = "pip install --force-reinstall --no-deps kgexplorer"


@dataclass(frozen=True)
class ShippedAsset:
    """One row of ``assets/shipped.toml``: a file that ships inside kgexplorer but is not ours."""

    name: str
    source: str
    path: str
    file: Path
    licence: str
    licence_file: Path
    sha256: Mapping[str, str]


def sha256_of(path: Path) -> str:
    """The hex SHA-256 of a file.

    >>> len(sha256_of(ASSET_DIR / "graph" / "graph.js"))
    64
    """
    return hashlib.sha256(path.read_bytes()).hexdigest()


@cache
def shipped_assets() -> tuple[ShippedAsset, ...]:
    """Every third-party asset the package ships, from ``assets/shipped.toml``."""
    rows = tomllib.loads((ASSET_DIR / "shipped.toml").read_text(encoding="utf-8")).get("asset", [])
    found = []
    for row in rows:
        file = ASSET_DIR / row["destination"]
        found.append(
            ShippedAsset(
                name=row["name"],
                source=row["source"],
                path=row["path"],
                file=file,
                licence=row["licence"],
                licence_file=file.with_name(file.name.split(".")[0] + ".LICENSE.txt"),
                sha256=dict(row["sha256"]),
            )
        )
    return tuple(found)


@cache
def asset_file(name: str) -> Path:
    """The shipped file of the asset ``name``, after checking it is there, whole, and with its licence.

    Raises :class:`~kgexplorer.errors.NotInstalled` (with the command that fixes it) when it is not.
    """
    for asset in shipped_assets():
        if asset.name == name:
            break
    else:
        raise KeyError(f"no shipped asset is called {name!r}; see {ASSET_DIR / 'shipped.toml'}")
    where = "this checkout: run `pip install -e .` (its build step copies it)" if _in_checkout() else _REINSTALL
    if not asset.file.is_file() or not asset.licence_file.is_file():
        raise NotInstalled(
            f"{asset.name} ({asset.file.name}) is missing from {asset.file.parent}: this kgexplorer was installed "
            f"without the files its build copies from {asset.source}; reinstall it, in {where}",
            install=where,
        )
    if sha256_of(asset.file) not in asset.sha256.values():
        raise NotInstalled(
            f"{asset.file} is not the {asset.name} file any pinned version of {asset.source} ships "
            f"(pinned: {', '.join(asset.sha256)}); reinstall it, in {where}",
            install=where,
        )
    return asset.file


def _in_checkout() -> bool:
    return (ASSET_DIR.parents[2] / "hatch_build.py").is_file()


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: check every shipped asset; exit status 1 with the reason when one is missing or altered.

    >>> main([])  # doctest: +ELLIPSIS
    kgexplorer._assets: vis-network ok: .../vis-network.min.js (Apache-2.0 OR MIT, licence in vis-network.LICENSE.txt)
    0
    """
    del argv  # no options
    status = 0
    for asset in shipped_assets():
        try:
            file = asset_file(asset.name)
        except NotInstalled as exc:
            print(f"kgexplorer._assets: {exc}", file=sys.stderr)
            status = 1
            continue
        print(f"kgexplorer._assets: {asset.name} ok: {file} ({asset.licence}, licence in {asset.licence_file.name})")
    return status


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
