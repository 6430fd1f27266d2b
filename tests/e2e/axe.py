"""axe-core for the accessibility tests: fetched from its npm package at test time, never committed.

``axe_source()`` returns the text of ``axe.min.js`` from ``axe-core@AXE_VERSION``. The first call runs
``npm pack axe-core@<version>`` into a cache folder outside the repository (``$KGEXPLORER_TEST_CACHE``, else
``~/.cache/kgexplorer-tests``), checks the tarball's SHA-256 against the hash pinned here, and unpacks the one
file it needs (with its licence beside it); later calls read the cached file. Missing npm fails the test
under ``CI=true`` and skips it elsewhere, saying why (tests/inputs.py). docs/decisions/accessibility.md
explains the pin.

``run_axe(page)`` injects it into a Playwright page (and into every same-origin frame, so the graph
component's markup is checked too) and returns the violations of the WCAG 2.0/2.1 A and AA rules.
"""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import subprocess
import tarfile
import tempfile
from pathlib import Path
from typing import Any

import pytest
from tests.inputs import require

__all__ = ["AXE_SHA256", "AXE_TAGS", "AXE_VERSION", "axe_source", "format_violations", "run_axe"]

#: The axe-core release the accessibility test runs. A new version can bring new rules: bump it on purpose,
#: with the hash of its npm tarball (``npm pack axe-core@<version>`` then ``sha256sum``).
AXE_VERSION = "4.14.1"
AXE_SHA256 = "e6b0ce02b84d892e2e33e403485e7f3d6c29e2be6df65daf44d89ba564139745"
#: WCAG 2.0 and 2.1, levels A and AA: the rules the app must pass.
AXE_TAGS = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa")


def _cache() -> Path:
    configured = os.environ.get("KGEXPLORER_TEST_CACHE")
    return Path(configured) if configured else Path.home() / ".cache" / "kgexplorer-tests"


def axe_source() -> str:
    """The text of axe.min.js from axe-core ``AXE_VERSION`` (fetched once with npm, checked by its hash)."""
    folder = _cache() / f"axe-core-{AXE_VERSION}"
    script = folder / "axe.min.js"
    if script.is_file():
        return script.read_text(encoding="utf-8")
    npm = shutil.which("npm")
    require(npm is not None, what="npm (to fetch axe-core from its npm package)", fix="apt-get install -y npm")
    assert npm is not None
    with tempfile.TemporaryDirectory() as tmp:
        done = subprocess.run(
            [npm, "pack", f"axe-core@{AXE_VERSION}", "--pack-destination", tmp, "--silent"],
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        tarballs = list(Path(tmp).glob("axe-core-*.tgz"))
        require(
            done.returncode == 0 and len(tarballs) == 1,
            what=f"axe-core {AXE_VERSION} from npm (npm pack said: {(done.stderr or done.stdout).strip()[-500:]})",
            fix="check the network or the npm registry setting (npm config get registry)",
        )
        data = tarballs[0].read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    if digest != AXE_SHA256:
        pytest.fail(f"axe-core {AXE_VERSION}'s tarball has SHA-256 {digest}, not the pinned {AXE_SHA256}")
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        files = {name: tar.extractfile(f"package/{name}") for name in ("axe.min.js", "LICENSE")}
        texts = {name: f.read().decode("utf-8") for name, f in files.items() if f is not None}
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "LICENSE").write_text(texts["LICENSE"], encoding="utf-8")
    partial = folder / "axe.min.js.partial"
    partial.write_text(texts["axe.min.js"], encoding="utf-8")
    partial.replace(script)  # a run stopped half way never leaves a truncated axe.min.js behind
    return texts["axe.min.js"]


# Runs axe on the document it is injected into. Frames are checked by injecting axe into each (same origin:
# Streamlit's components are served by the app), so the result lists violations of the whole page.
_RUN = """async (tags) => {
  const result = await axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']});
  return result.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
    nodes: v.nodes.map(n => ({target: n.target.map(String).join(' '), html: n.html.slice(0, 300),
                              summary: n.failureSummary || ''})),
  }));
}"""


def run_axe(page: Any) -> list[dict[str, Any]]:
    """The WCAG A/AA violations axe finds on ``page`` and its frames, each with its rule id, help and nodes."""
    source = axe_source()
    violations: list[dict[str, Any]] = []
    for frame in page.frames:
        if frame.is_detached():
            continue
        frame.add_script_tag(content=source)  # defines window.axe in that frame
        for violation in frame.evaluate(_RUN, list(AXE_TAGS)):
            violation["frame"] = "page" if frame == page.main_frame else frame.url
            violations.append(violation)
    return violations


def format_violations(violations: list[dict[str, Any]]) -> str:
    """Each violation as its rule, where (frame and selector), the offending markup and the fix axe gives."""
    lines: list[str] = []
    for v in violations:
        lines.append(f"[{v['impact']}] {v['id']}: {v['help']} ({v['helpUrl']}) in {v['frame']}")
        for node in v["nodes"]:
            lines.append(f"    at {node['target']}\n      {node['html']}")
            lines.append("      fix: " + node["summary"].replace("\n", "\n           "))
    return "\n".join(lines)
