"""The build hook: puts every third-party asset the package ships into the wheel and the sdist.

The assets are listed in one table, ``src/kgexplorer/assets/shipped.toml`` (what, from which package, its
pinned SHA-256 per version of that package, its licence). For each one the hook copies the file from the
package that brings it at build time (a build requirement, or ``npm pack``), refuses it unless its hash is
the one pinned for that version, writes the asset's licence notice beside it, and fails the build with the
reason and the fix when anything is missing. The copies are git-ignored (they are not ours) and listed as
build artifacts, so both the sdist and the wheel carry them; a wheel built from the sdist keeps the sdist's
copies once their hash checks out. Run by hand (``python hatch_build.py``) it refreshes the copies in a
source checkout, which an editable install serves directly.
"""

import hashlib
import importlib.metadata
import importlib.util
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent
ASSETS = ROOT / "src" / "kgexplorer" / "assets"
TABLE = ASSETS / "shipped.toml"
LICENCE_TEXTS = ROOT / "LICENSES"
HEADER = re.compile(r"\A\s*(/\*[\s\S]*?\*/)")
SPDX_ID = re.compile(r"[A-Za-z0-9.+-]+")


class AssetBuildError(Exception):
    """An asset could not be put into the package: the message says which, why, and what to do."""


@dataclass(frozen=True)
class Asset:
    """One row of shipped.toml."""

    name: str
    source: str
    path: str
    destination: str
    licence: str
    licence_from: str
    sha256: dict[str, str]

    @property
    def target(self) -> Path:
        return ASSETS / self.destination

    @property
    def licence_target(self) -> Path:
        return self.target.with_name(self.target.name.split(".")[0] + ".LICENSE.txt")


def load_table(path: Path = TABLE) -> list[Asset]:
    """The assets listed in ``path``."""
    rows = tomllib.loads(path.read_text(encoding="utf-8")).get("asset", [])
    return [Asset(**row) for row in rows]


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _from_pypi(asset: Asset, distribution: str) -> tuple[str, bytes, bytes | None]:
    try:
        version = importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        raise AssetBuildError(
            f"{asset.name}: the build needs {distribution} installed to copy {asset.path} from it, and it is not; "
            f"build with `python -m build` (it installs the build requirements), or install {distribution} "
            "into this environment first"
        ) from None
    top = distribution.replace("-", "_")
    spec = importlib.util.find_spec(top)
    if spec is None or not spec.submodule_search_locations:
        raise AssetBuildError(f"{asset.name}: {distribution} {version} is installed but its package {top} is not found")
    folder = Path(next(iter(spec.submodule_search_locations)))
    file = folder / asset.path
    if not file.is_file():
        raise AssetBuildError(
            f"{asset.name}: {distribution} {version} has no {asset.path}; pin a version listed in {TABLE.name} "
            f"({', '.join(asset.sha256)}) or add this version's path and hash there"
        )
    licence = None if asset.licence_from == "header" else (folder / asset.licence_from).read_bytes()
    return version, file.read_bytes(), licence


def _from_npm(asset: Asset, spec: str) -> tuple[str, bytes, bytes | None]:
    version = spec.rpartition("@")[2]
    npm = shutil.which("npm")
    if npm is None:
        raise AssetBuildError(f"{asset.name}: the build copies it from the npm package {spec}, and npm is missing")
    with tempfile.TemporaryDirectory() as tmp:
        packed = subprocess.run(
            [npm, "pack", spec, "--silent", "--pack-destination", tmp], capture_output=True, text=True, check=False
        )
        tarballs = list(Path(tmp).glob("*.tgz"))
        if packed.returncode != 0 or not tarballs:
            raise AssetBuildError(f"{asset.name}: `npm pack {spec}` failed: {packed.stderr.strip()[-400:]}")
        with tarfile.open(tarballs[0]) as tar:

            def read(member: str) -> bytes:
                handle = tar.extractfile(f"package/{member}")
                if handle is None:
                    raise AssetBuildError(f"{asset.name}: {spec} has no {member}")
                return handle.read()

            try:
                data = read(asset.path)
                licence = None if asset.licence_from == "header" else read(asset.licence_from)
            except KeyError as exc:
                raise AssetBuildError(f"{asset.name}: {spec} has no {exc.args[0]}") from None
    return version, data, licence


def _licence_texts(expression: str) -> str:
    """The full text of each licence named in ``expression`` (from LICENSES/, standard SPDX texts)."""
    texts = []
    for word in SPDX_ID.findall(expression):
        if word in {"AND", "OR", "WITH"}:
            continue
        file = LICENCE_TEXTS / f"{word}.txt"
        if not file.is_file():
            raise AssetBuildError(f"no text for the licence {word} in {LICENCE_TEXTS}; add LICENSES/{word}.txt")
        texts.append(f"----- {word} -----\n\n{file.read_text(encoding='utf-8').strip()}\n")
    return "\n".join(texts)


def _licence_notice(asset: Asset, source: str, data: bytes, licence: bytes | None) -> str:
    intro = (
        f"{asset.name}: src/kgexplorer/assets/{asset.destination} in kgexplorer is copied unchanged from "
        f"{source} ({asset.path}).\nLicence: {asset.licence}, as its authors state it.\n\n"
    )
    if licence is not None:
        return intro + licence.decode("utf-8")
    match = HEADER.match(data.decode("utf-8", errors="replace"))
    if match is None:
        raise AssetBuildError(f"{asset.name}: licence_from is 'header' but the file starts with no /* ... */ notice")
    texts = _licence_texts(asset.licence)
    return f"{intro}The authors' notice, from the top of the file:\n\n{match.group(1)}\n\n{texts}"


def _existing_copy_is_pinned(asset: Asset) -> bool:
    return (
        asset.target.is_file()
        and asset.licence_target.is_file()
        and _sha256(asset.target.read_bytes()) in asset.sha256.values()
    )


def place(asset: Asset, *, require_source: bool) -> Path:
    """Copy ``asset`` into the source tree after checking its hash; return where it went.

    With ``require_source`` false (a wheel built from an unpacked sdist), a copy already there whose hash is
    pinned is kept when the source package is not installed.
    """
    kind, _, spec = asset.source.partition(":")
    if kind == "pypi":
        source_missing = importlib.util.find_spec(spec.replace("-", "_")) is None
        if not require_source and source_missing and _existing_copy_is_pinned(asset):
            return asset.target
        version, data, licence = _from_pypi(asset, spec)
        source = f"{spec} {version}"
    elif kind == "npm":
        if not require_source and _existing_copy_is_pinned(asset):
            return asset.target
        version, data, licence = _from_npm(asset, spec)
        source = f"the npm package {spec}"
    else:
        raise AssetBuildError(f"{asset.name}: unknown source kind {kind!r} in {TABLE.name}; use pypi:… or npm:…")
    pinned = asset.sha256.get(version)
    if pinned is None:
        raise AssetBuildError(
            f"{asset.name}: no hash is pinned for {source} in {TABLE.name} (pinned: {', '.join(asset.sha256)}); "
            "install a pinned version, or check the new file and add its sha256 for this version"
        )
    digest = _sha256(data)
    if digest != pinned:
        raise AssetBuildError(
            f"{asset.name}: {source}'s {asset.path} has sha256 {digest}, but {pinned} is pinned for that version; "
            "the file changed: check it before pinning its new hash"
        )
    asset.target.parent.mkdir(parents=True, exist_ok=True)
    if not asset.target.is_file() or asset.target.read_bytes() != data:
        asset.target.write_bytes(data)
    notice = _licence_notice(asset, source, data, licence)
    if not asset.licence_target.is_file() or asset.licence_target.read_text(encoding="utf-8") != notice:
        asset.licence_target.write_text(notice, encoding="utf-8")
    return asset.target


def place_all(*, require_source: bool = True) -> list[Path]:
    """Place every asset of the table and its licence; the paths placed, relative to the root."""
    placed = []
    for asset in load_table():
        place(asset, require_source=require_source)
        placed += [asset.target.relative_to(ROOT), asset.licence_target.relative_to(ROOT)]
    return placed


try:
    from hatchling.builders.hooks.plugin.interface import BuildHookInterface
except ImportError:  # run as a script without hatchling: the hook class is not needed
    BuildHookInterface = object  # type: ignore[assignment,misc]


class AssetsHook(BuildHookInterface):  # type: ignore[misc]
    """Hatchling's custom build hook (``[tool.hatch.build.hooks.custom]`` in pyproject.toml)."""

    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        # An sdist is unpacked with its copies in place; a clean clone has none and needs the source.
        from_sdist = (ROOT / "PKG-INFO").is_file()
        try:
            placed = place_all(require_source=not from_sdist)
        except AssetBuildError as exc:
            raise SystemExit(f"kgexplorer build: {exc}") from None
        build_data.setdefault("artifacts", []).extend(str(p) for p in placed)


if __name__ == "__main__":
    try:
        for path in place_all():
            print(f"hatch_build: {path}")
    except AssetBuildError as exc:
        print(f"hatch_build: {exc}", file=sys.stderr)
        raise SystemExit(1) from None
