"""_assets.py and the build hook (hatch_build.py): third-party files are copied at build time, hash-checked, shipped
with their licence, and only ever read at run time."""

from __future__ import annotations

import dataclasses
import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

from kgexplorer import NotInstalled
from kgexplorer import _assets as assets

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def hook() -> ModuleType:
    """hatch_build.py, imported from the repository root (it is not part of the package)."""
    spec = importlib.util.spec_from_file_location("hatch_build_under_test", ROOT / "hatch_build.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def _pyvis_file() -> Path:
    spec = importlib.util.find_spec("pyvis")
    assert spec is not None
    assert spec.submodule_search_locations
    return Path(next(iter(spec.submodule_search_locations))) / "lib" / "vis-9.1.2" / "vis-network.min.js"


def test_the_shipped_vis_network_is_pyvis_file_with_a_pinned_hash() -> None:
    """The file in the package is byte for byte the installed pyvis's, and its hash is the pinned one."""
    (vis,) = (a for a in assets.shipped_assets() if a.name == "vis-network")
    from importlib.metadata import version

    assert assets.asset_file("vis-network") == assets.VIS_NETWORK
    assert assets.sha256_of(assets.VIS_NETWORK) == assets.sha256_of(_pyvis_file())
    assert vis.sha256[version("pyvis")] == assets.sha256_of(assets.VIS_NETWORK)


def test_the_licence_ships_beside_the_asset() -> None:
    """vis-network's notice (copyright, dual licence) and the full licence texts sit beside the file."""
    (vis,) = assets.shipped_assets()
    text = vis.licence_file.read_text(encoding="utf-8")

    assert vis.licence == "Apache-2.0 OR MIT"
    assert "@copyright (c) 2011-2017 Almende B.V" in text
    assert "----- MIT -----" in text
    assert "----- Apache-2.0 -----" in text


def _moved(tmp_path: Path, *, content: bytes | None, licence: bool = True) -> assets.ShippedAsset:
    (vis,) = assets.shipped_assets()
    moved = dataclasses.replace(
        vis, file=tmp_path / "vis-network.min.js", licence_file=tmp_path / "vis-network.LICENSE.txt"
    )
    if content is not None:
        moved.file.write_bytes(content)
    if licence:
        moved.licence_file.write_text("notice", encoding="utf-8")
    return moved


@pytest.mark.parametrize(
    ("content", "licence", "says"),
    [
        (None, True, "is missing from"),
        (b"tampered", True, "is not the vis-network file any pinned version"),
        (b"", False, "is missing from"),
    ],
    ids=["missing", "altered", "licence-missing"],
)
def test_a_missing_or_altered_asset_says_how_to_reinstall(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    content: bytes | None,
    licence: bool,
    says: str,
) -> None:
    """Nothing is copied at run time: a broken install raises NotInstalled with the command that fixes it."""
    if content == b"":
        content = _pyvis_file().read_bytes()
    moved = _moved(tmp_path, content=content, licence=licence)
    monkeypatch.setattr(assets, "shipped_assets", lambda: (moved,))
    assets.asset_file.cache_clear()
    try:
        with pytest.raises(NotInstalled, match=says) as raised:
            assets.asset_file("vis-network")
        assert assets.main([]) == 1
    finally:
        assets.asset_file.cache_clear()

    assert "pip install -e ." in raised.value.install  # this is a checkout
    assert says in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        p.name for p in (moved.file, moved.licence_file) if p.exists()
    )  # nothing was written


def test_the_check_command_reports_each_asset(capsys: pytest.CaptureFixture[str]) -> None:
    assert assets.main([]) == 0
    assert "vis-network ok" in capsys.readouterr().out


def test_the_hook_and_the_package_read_the_same_table(hook: ModuleType) -> None:
    """One table: adding an asset (YASGUI …) is one entry, read by the build and by the package alike."""
    built = [(a.name, a.source, a.path, a.licence, a.sha256) for a in hook.load_table()]
    shipped = [(a.name, a.source, a.path, a.licence, dict(a.sha256)) for a in assets.shipped_assets()]

    assert built == shipped
    assert [ROOT / "src" / "kgexplorer" / "assets" / a.destination for a in hook.load_table()] == [
        a.file for a in assets.shipped_assets()
    ]


def _isolated(hook: ModuleType, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, **changes: object) -> object:
    monkeypatch.setattr(hook, "ASSETS", tmp_path)
    (row,) = hook.load_table()
    return dataclasses.replace(row, **changes)


def test_the_hook_copies_the_file_and_its_licence(
    hook: ModuleType, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    asset = _isolated(hook, tmp_path, monkeypatch)

    placed = hook.place(asset, require_source=True)

    assert placed.read_bytes() == _pyvis_file().read_bytes()
    assert "Almende" in (tmp_path / "graph" / "vis-network.LICENSE.txt").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("changes", "says"),
    [
        ({"sha256": {"0.3.2": "0" * 64}}, "the file changed: check it before pinning"),
        ({"sha256": {"9.9.9": "0" * 64}}, "no hash is pinned for pyvis 0.3.2"),
        ({"path": "lib/vis-0.0.0/vis-network.min.js"}, "has no lib/vis-0.0.0/vis-network.min.js"),
        ({"source": "pypi:not-a-kgexplorer-build-dependency"}, "needs not-a-kgexplorer-build-dependency installed"),
        ({"source": "ftp:somewhere"}, "unknown source kind 'ftp'"),
    ],
    ids=["hash-changed", "version-not-pinned", "path-gone", "source-missing", "unknown-kind"],
)
def test_the_hook_fails_the_build_with_the_reason(
    hook: ModuleType, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, changes: dict[str, object], says: str
) -> None:
    """A changed, unpinned or missing file stops the build, and nothing half-copied is left."""
    asset = _isolated(hook, tmp_path, monkeypatch, **changes)

    with pytest.raises(hook.AssetBuildError, match=says):
        hook.place(asset, require_source=True)
    assert not list(tmp_path.rglob("*"))


def test_a_wheel_built_from_an_sdist_keeps_its_pinned_copy(
    hook: ModuleType, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """From an unpacked sdist (no pyvis in the build environment), the copy the sdist carries is used."""
    asset = _isolated(hook, tmp_path, monkeypatch)
    hook.place(asset, require_source=True)
    gone = _isolated(hook, tmp_path, monkeypatch, source="pypi:not-a-kgexplorer-build-dependency")

    assert hook.place(gone, require_source=False) == tmp_path / "graph" / "vis-network.min.js"
    with pytest.raises(hook.AssetBuildError):
        hook.place(gone, require_source=True)
