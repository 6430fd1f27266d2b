"""The package as users get it: `python -m build` on a clean clone, then each user's install in a fresh venv.

The build runs the standard way (build isolation: hatchling and pyvis come from the index, as for any
packager) on a copy of the tracked files only, so a copy left in the checkout cannot hide a build that
would not copy vis-network itself. Each install gets an audit hook (sitecustomize.py in the venv, so it
also runs in the app's Streamlit process) that records every write under site-packages (bytecode caches
aside): the installed package must never write into itself, so it works from a read-only install.

`make test` installs one representative set (the app and the endpoint, which include the library) and runs
every command of it; `make package-test` also installs the library alone and the endpoint alone and checks
what each says about the parts it lacks. Each run writes the install sizes to test-artifacts/.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import subprocess
import sys
import tarfile
import time
import urllib.parse
import urllib.request
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest
from tests.loopback import free_port
from tests.once import made_once

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "test-artifacts"
# Building the wheel and filling a fresh venv can pass the suite-wide 300 s limit on a loaded 2-core machine
# (seen in setup); the limit here is for a hang, not for speed.
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("packaging"), pytest.mark.timeout(900)]

# Records writes under site-packages (bytecode caches aside) to $KGX_WRITE_LOG, one per line.
AUDIT_HOOK = r"""
import os, sys

_LOG = os.environ.get("KGX_WRITE_LOG")
_SITE = tuple(os.path.realpath(p) + os.sep for p in sys.path if p.endswith("site-packages"))
_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND
_EVENTS = {"os.rename", "os.replace", "os.remove", "os.rmdir", "os.mkdir", "os.chmod", "os.symlink", "os.link",
           "os.truncate", "shutil.copyfile", "shutil.rmtree", "os.utime"}
_busy = False


def _written(event, args):
    if event == "open":
        path, mode, flags = (tuple(args) + (None, None))[:3]
        if not (any(c in (mode or "") for c in "wax+") or (flags or 0) & _WRITE_FLAGS):
            return []
        return [path]
    if event == "shutil.copyfile":
        return [args[1]]
    if event in {"os.rename", "os.replace", "os.symlink", "os.link"}:
        return list(args[:2])
    return [args[0]] if event in _EVENTS else []


def _hook(event, args):
    global _busy
    if _busy or not _LOG or (event != "open" and event not in _EVENTS):
        return
    _busy = True
    try:
        for path in _written(event, args):
            if isinstance(path, int):
                continue
            full = os.path.realpath(os.fsdecode(path))
            if full.startswith(_SITE) and "__pycache__" not in full:
                with open(_LOG, "a", encoding="utf-8") as log:
                    log.write(f"{event} {full}\n")
    except Exception:
        pass
    finally:
        _busy = False


sys.addaudithook(_hook)
"""


@dataclass(frozen=True)
class Dist:
    wheel: Path
    sdist: Path


@pytest.fixture(scope="session")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Dist:
    """wheel and sdist built by `python -m build` from the tracked files alone (what a clean clone has)."""
    out = made_once(tmp_path_factory, "dist", _build)
    return Dist(wheel=next(out.glob("kgexplorer-*.whl")), sdist=next(out.glob("kgexplorer-*.tar.gz")))


def _build(out: Path) -> None:
    clone = out / "clone" / "kgexplorer"
    tracked = subprocess.run(["git", "-C", str(ROOT), "ls-files", "-z"], capture_output=True, check=True).stdout
    for name in filter(None, tracked.decode().split("\0")):
        source = ROOT / name
        if source.is_file():  # tracked but deleted in the working tree: not in a clone of this state either
            (clone / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, clone / name)
    assert not (clone / "src/kgexplorer/assets/graph/vis-network.min.js").exists()
    assert not (clone / "src/kgexplorer/assets/yasgui").exists()
    built = subprocess.run(
        [sys.executable, "-m", "build", "--outdir", str(out), str(clone)],
        capture_output=True,
        text=True,
        check=False,
        timeout=900,
    )
    assert built.returncode == 0, built.stdout[-3000:] + built.stderr[-3000:]


def test_the_wheel_is_complete_and_says_its_licences(dist: Dist) -> None:
    """Graph, app, assets with vis-network, YASGUI and their licences, the licence files; no test-only files."""
    wheel = zipfile.ZipFile(dist.wheel)
    names = set(wheel.namelist())
    in_checkout = {
        f"kgexplorer/graph/{p.relative_to(ROOT / 'graph')}" for p in (ROOT / "graph").rglob("*") if p.is_file()
    }
    info = next(n.split("/")[0] for n in names if n.endswith(".dist-info/METADATA"))
    metadata = wheel.read(f"{info}/METADATA").decode()

    assert in_checkout <= names
    assert {
        "kgexplorer/app/app.py",
        "kgexplorer/app/app_pages/explore.py",
        "kgexplorer/pyproject.toml",
        "kgexplorer/assets/shipped.toml",
        "kgexplorer/assets/graph/graph.js",
        "kgexplorer/assets/graph/vis-network.min.js",
        "kgexplorer/assets/graph/vis-network.LICENSE.txt",
        "kgexplorer/assets/yasgui/yasgui.min.js",
        "kgexplorer/assets/yasgui/yasgui.min.css",
        "kgexplorer/assets/yasgui/yasgui.LICENSE.txt",
        "kgexplorer/assets/yasgui/yasgui-css.LICENSE.txt",
        "kgexplorer/server/static/yasgui-init.js",
        "kgexplorer/py.typed",
        f"{info}/licenses/LICENSE",
        f"{info}/licenses/graph/LICENSE.txt",
        f"{info}/licenses/src/kgexplorer/assets/yasgui/yasgui.LICENSE.txt",
    } <= names
    assert "License-Expression: MIT AND CC-BY-4.0" in metadata
    assert "Provides-Extra: app" in metadata
    assert "Provides-Extra: server" in metadata
    for development in ("test", "dev", "docs"):
        assert f"Provides-Extra: {development}" not in metadata
    assert not [n for n in names if n.startswith("tests/") or "axe" in n.lower()]
    assert "Almende" in wheel.read("kgexplorer/assets/graph/vis-network.LICENSE.txt").decode()
    yasgui = wheel.read("kgexplorer/assets/yasgui/yasgui.LICENSE.txt").decode()
    assert "from the npm package @zazuko/yasgui@4.6.2 (build/yasgui.min.js)" in yasgui
    assert "license: MIT" in yasgui
    assert "----- MIT -----" in yasgui


def test_the_sdist_carries_the_copied_assets_and_the_build_hook(dist: Dist) -> None:
    with tarfile.open(dist.sdist) as sdist:
        names = {n.split("/", 1)[1] for n in sdist.getnames() if "/" in n}

    assert {
        "hatch_build.py",
        "LICENSE",
        "graph/LICENSE.txt",
        "src/kgexplorer/assets/shipped.toml",
        "src/kgexplorer/assets/graph/vis-network.min.js",
        "src/kgexplorer/assets/graph/vis-network.LICENSE.txt",
        "src/kgexplorer/assets/yasgui/yasgui.min.js",
        "src/kgexplorer/assets/yasgui/yasgui.min.css",
        "src/kgexplorer/assets/yasgui/yasgui.LICENSE.txt",
        "src/kgexplorer/assets/yasgui/yasgui-css.LICENSE.txt",
    } <= names


@dataclass(frozen=True)
class Install:
    """A fresh venv with one set of extras, its audit log, and a clean home and working folder."""

    extras: str
    bin: Path
    site: Path
    log: Path
    home: Path

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME")}
        return {**env, "HOME": str(self.home), "KGX_WRITE_LOG": str(self.log)}

    def run(self, *args: str, timeout: float = 180) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(self.bin / "kgexplorer"), *args],
            capture_output=True,
            text=True,
            cwd=self.home,
            env=self.env(),
            check=False,
            timeout=timeout,
        )

    def writes(self) -> list[str]:
        return self.log.read_text(encoding="utf-8").splitlines() if self.log.exists() else []


def _install(dist: Dist, factory: pytest.TempPathFactory, extras: str) -> Install:
    """The shared venv with ``extras`` (made once per run), seen with this test's own home and write log."""
    root = made_once(factory, f"venv-{extras or 'none'}", lambda folder: _create_venv(dist, folder, extras))
    site = next((root / "venv" / "lib").glob("python3*/site-packages"))
    home = factory.mktemp("home")
    return Install(extras or "(none)", bin=root / "venv" / "bin", site=site, log=home / "writes.log", home=home)


def _create_venv(dist: Dist, root: Path, extras: str) -> None:
    venv = root / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    target = f"{dist.wheel}[{extras}]" if extras else str(dist.wheel)
    installed = subprocess.run(
        [str(venv / "bin" / "python"), "-m", "pip", "install", "-q", "--disable-pip-version-check", target],
        capture_output=True,
        text=True,
        check=False,
        timeout=900,
    )
    assert installed.returncode == 0, installed.stderr[-3000:]
    site = next((venv / "lib").glob("python3*/site-packages"))
    (site / "sitecustomize.py").write_text(AUDIT_HOOK, encoding="utf-8")
    _record_size(extras or "(none)", site)


def _record_size(extras: str, site: Path) -> None:
    """Disk use and distribution count of the install (pip itself left out), into test-artifacts/."""
    files = [p for p in site.rglob("*") if p.is_file() and not p.is_symlink()]
    pip = {p for p in files if p.relative_to(site).parts[0].startswith(("pip", "sitecustomize"))}
    size = sum(p.stat().st_size for p in files if p not in pip)
    dists = [p.name for p in site.glob("*.dist-info") if not p.name.startswith("pip-")]
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / "install-sizes.json"
    with (ARTIFACTS / "install-sizes.lock").open("w") as lock:  # two workers may record at once
        fcntl.flock(lock, fcntl.LOCK_EX)
        sizes = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
        sizes[extras] = {"megabytes": round(size / 1e6, 1), "distributions": len(dists)}
        path.write_text(json.dumps(sizes, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def _assert_no_writes_and_the_hook_works(install: Install) -> None:
    """Nothing was written into site-packages; and a deliberate write is caught (the check can fail)."""
    assert install.writes() == []
    probe = install.site / "kgexplorer" / "written-by-the-test.txt"
    subprocess.run(
        [str(install.bin / "python"), "-c", f"open({str(probe)!r}, 'w').close()"], env=install.env(), check=True
    )
    probe.unlink()
    assert install.writes() == [f"open {probe}"]


def _library_commands(install: Install) -> None:
    """stats, query and a view (offline HTML with vis-network inlined), from an empty folder."""
    stats = install.run("stats", "--format", "json")
    ask = install.run("query", "ASK { kg:ketamine kgx:testedFor kg:alcohol_use_disorder }")
    view = install.run("render", "ketamine", "-o", "ketamine.html")
    version = install.run("--version")

    assert stats.returncode == 0, stats.stderr
    assert json.loads(stats.stdout)["claims"] > 100
    assert ask.stdout.strip() == "yes", ask.stderr
    assert view.returncode == 0, view.stderr
    page = (install.home / "ketamine.html").read_text(encoding="utf-8")
    assert "vis-network" in page
    assert "creativecommons.org/licenses/by/4.0" in page  # the citation gives the data licence
    assert "bundled graph data version" in version.stdout


def _wait_for(url: str, *, seconds: float = 90) -> bytes:
    deadline = time.monotonic() + seconds
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                data: bytes = response.read()
                return data
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.3)


def _serve(install: Install, *args: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [str(install.bin / "kgexplorer"), *args],
        cwd=install.home,
        env=install.env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def _stop(process: subprocess.Popen[bytes]) -> None:
    os.killpg(process.pid, 15)
    process.wait(timeout=30)


def _endpoint(install: Install) -> None:
    port = free_port()
    server = _serve(install, "serve", "--port", str(port))
    try:
        query = urllib.parse.quote("SELECT ?l WHERE { kg:ketamine rdfs:label ?l }")
        answer = json.loads(_wait_for(f"http://127.0.0.1:{port}/sparql?query={query}"))
        description = _wait_for(f"http://127.0.0.1:{port}/service-description").decode()
        root = _wait_for(f"http://127.0.0.1:{port}/").decode()
        script = _wait_for(f"http://127.0.0.1:{port}/yasgui/yasgui.min.js")
        notice = _wait_for(f"http://127.0.0.1:{port}/yasgui/LICENSE").decode()
    finally:
        _stop(server)

    assert answer["results"]["bindings"][0]["l"]["value"] == "Ketamine"
    assert "creativecommons.org/licenses/by/4.0" in description
    # / is the YASGUI page (not the /form fallback), its files come from the installed package.
    assert '<div id="yasgui"' in root
    assert '<script src="yasgui/yasgui.min.js"></script>' in root
    assert script == (install.site / "kgexplorer" / "assets" / "yasgui" / "yasgui.min.js").read_bytes()
    assert "@zazuko/yasgui" in notice


@pytest.fixture
def full_install(dist: Dist, tmp_path_factory: pytest.TempPathFactory) -> Install:
    return _install(dist, tmp_path_factory, "app,server")


def test_installed_library_and_cli_work_without_a_checkout(full_install: Install) -> None:
    _library_commands(full_install)
    _assert_no_writes_and_the_hook_works(full_install)


def test_installed_endpoint_answers_and_states_the_licence(full_install: Install) -> None:
    _endpoint(full_install)
    _assert_no_writes_and_the_hook_works(full_install)


@pytest.mark.browser
def test_installed_app_renders_a_page_with_a_drawn_graph(full_install: Install) -> None:
    """`kgexplorer app` from the install: Chromium sees the Explore page draw ketamine's graph; a PNG is drawn."""
    from tests.e2e.harness import chromium, wait_until

    port = free_port()
    app = _serve(full_install, "app", "--port", str(port))
    try:
        assert _wait_for(f"http://127.0.0.1:{port}/_stcore/health").strip() == b"ok"
        with chromium() as browser:
            page = browser.new_page(viewport={"width": 1300, "height": 900})
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(f"http://127.0.0.1:{port}/")
            box = page.get_by_label("Search substances, conditions, mechanisms, therapies, studies…")
            box.fill("ketamine")
            box.press("Enter")
            page.get_by_role("heading", name="Ketamine", exact=True).wait_for(timeout=60_000)
            graph = page.locator(".kg-graph").first
            wait_until(lambda: graph.evaluate("el => Number(el.dataset.drawn || 0)") > 0, "the graph to be drawn")
            text = page.inner_text("body")
    finally:
        _stop(app)

    png = full_install.run("render", "ketamine", "--format", "png", "-o", "ketamine.png")
    assert png.returncode == 0, png.stderr
    assert (full_install.home / "ketamine.png").read_bytes()[:4] == b"\x89PNG"
    assert "The graph cannot be drawn" not in text
    assert errors == []
    _assert_no_writes_and_the_hook_works(full_install)


@pytest.fixture
def lean_installs(dist: Dist, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Install]:
    return {extras: _install(dist, tmp_path_factory, extras) for extras in ("", "server")}


@pytest.mark.package
def test_the_library_alone_runs_and_names_the_extras_it_lacks(lean_installs: dict[str, Install]) -> None:
    """`pip install kgexplorer`: stats, query and views work; app and serve say exactly what to install."""
    lean = lean_installs[""]
    _library_commands(lean)
    app, serve, png = lean.run("app"), lean.run("serve"), lean.run("render", "ketamine", "--format", "png")

    assert app.returncode == 1
    assert "pip install 'kgexplorer[app]'" in app.stderr
    assert serve.returncode == 1
    assert "pip install 'kgexplorer[server]'" in serve.stderr
    assert png.returncode == 1
    assert "pip install 'kgexplorer[images]'" in png.stderr
    assert "Traceback" not in app.stderr + serve.stderr + png.stderr
    _assert_no_writes_and_the_hook_works(lean)


@pytest.mark.package
def test_the_endpoint_set_serves_without_streamlit(lean_installs: dict[str, Install]) -> None:
    server = lean_installs["server"]
    _endpoint(server)
    app = server.run("app")

    assert not (server.site / "streamlit").exists()
    assert "pip install 'kgexplorer[app]'" in app.stderr
    _assert_no_writes_and_the_hook_works(server)
