"""The endpoint's root page: YASGUI, shipped inside the package, served from this server only (issues 16, 18).

The build hook copies YASGUI from its npm package (two rows of assets/shipped.toml); without the copy these
tests skip, and under CI=true they fail with the reason. An install that lacks the files serves the form
page at / and logs why. The browser test runs a query from the page in Debian's chromium, with every
request that does not go to 127.0.0.1 aborted and recorded.
"""

from __future__ import annotations

import dataclasses
import logging
import re
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient
from tests.e2e.harness import block_outside, chromium
from tests.inputs import require
from tests.loopback import free_port

from kgexplorer import KnowledgeGraph
from kgexplorer import _assets as assets
from kgexplorer.model.gallery import load_gallery
from kgexplorer.server import yasgui
from kgexplorer.server.endpoint import create_app


@pytest.fixture(scope="module")
def built() -> None:
    missing = yasgui.yasgui_missing()
    require(
        missing is None,
        what=f"YASGUI shipped in the package ({missing})",
        fix="run `pip install -e .` or `python hatch_build.py` (make does; it needs npm)",
    )


@pytest.fixture(scope="module")
def client(kg: KnowledgeGraph) -> TestClient:
    return TestClient(create_app(kg))


@pytest.mark.usefixtures("built")
def test_the_root_is_yasgui_from_this_server_with_the_gallery(client: TestClient) -> None:
    page = client.get("/")
    assert page.status_code == 200
    policy = page.headers["content-security-policy"]
    assert "script-src 'self'" in policy
    assert "connect-src 'self'" in policy
    assert "default-src 'none'" in policy
    assert '<script src="yasgui/yasgui.min.js"></script>' in page.text
    assert not re.findall(r'(?:src|href)="(?:https?:)?//', page.text)  # nothing loaded from elsewhere
    for question in load_gallery():
        assert question.title.replace("'", "&#x27;") in page.text
    assert client.get("/yasgui/yasgui.min.js").headers["content-type"].startswith("text/javascript")
    assert client.get("/yasgui/yasgui-init.js").status_code == 200
    notice = client.get("/yasgui/LICENSE").text
    assert "@zazuko/yasgui" in notice
    assert "----- MIT -----" in notice
    assert client.get("/yasgui/yasgui.min.css").headers["content-type"].startswith("text/css")
    assert client.get("/yasgui/yasgui.min.js").content == assets.asset_file("yasgui").read_bytes()
    assert client.get("/yasgui/../../settings.py").status_code == 404
    assert client.get("/yasgui/secrets").status_code == 404


@pytest.mark.usefixtures("built")
def test_the_init_script_switches_off_every_outside_lookup(client: TestClient) -> None:
    script = client.get("/yasgui/yasgui-init.js").text
    assert "prefixCcApi: undefined" in script
    assert "createShortLink: undefined" in script
    assert 'autocompleters: ["prefixes", "variables"]' in script  # no LOV property or class lookups


def test_without_its_files_the_root_is_the_form_page_and_the_log_says_why(
    kg: KnowledgeGraph, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """An install built without the hook (or altered): / is /form, the log names the missing file and the
    fix once, and YASGUI's file routes answer 404 without install paths."""
    moved = tuple(
        a if a.name == "vis-network" else dataclasses.replace(a, file=tmp_path / a.file.name)
        for a in assets.shipped_assets()
    )
    monkeypatch.setattr(assets, "shipped_assets", lambda: moved)
    monkeypatch.setattr(yasgui, "shipped_assets", lambda: moved)
    monkeypatch.setattr(yasgui, "_warned", set())
    assets.asset_file.cache_clear()
    client = TestClient(create_app(kg))
    try:
        with caplog.at_level(logging.WARNING, logger="kgexplorer.server.yasgui"):
            first, second = client.get("/"), client.get("/")
        script = client.get("/yasgui/yasgui.min.js")
    finally:
        assets.asset_file.cache_clear()

    assert first.status_code == second.status_code == 200
    assert first.text == client.get("/form").text
    assert "yasgui.min.js" not in first.text
    (line,) = [r.getMessage() for r in caplog.records if "instead of YASGUI" in r.getMessage()]  # once
    assert "yasgui (yasgui.min.js) is missing from" in line
    assert "pip install -e ." in line
    assert script.status_code == 404
    assert str(tmp_path) not in script.text
    assert "/form" in script.text


@pytest.fixture(scope="module")
def served() -> Iterator[str]:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "kgexplorer.cli.commands", "serve", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        stdin=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            assert proc.poll() is None, "kgexplorer serve exited"
            try:
                with urllib.request.urlopen(base + "/service-description", timeout=5):
                    break
            except (urllib.error.URLError, ConnectionError):
                assert time.monotonic() < deadline, "kgexplorer serve did not start"
                time.sleep(0.1)
        yield base
    finally:
        proc.terminate()  # by PID: this test's own server
        proc.wait(timeout=30)


@pytest.mark.slow
@pytest.mark.usefixtures("built")
def test_yasgui_runs_a_query_in_a_browser_without_reaching_out(served: str) -> None:
    with chromium() as browser:
        page = browser.new_page()
        outside = block_outside(page)
        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.goto(served + "/")
        page.wait_for_selector(".yasqe .CodeMirror", timeout=30_000)
        page.evaluate(
            "() => { window.kgexplorerYasgui.getTab().setQuery("
            "'SELECT ?label WHERE { kg:ketamine rdfs:label ?label }'); return true; }"
        )
        with page.expect_response(lambda r: r.url.endswith("/sparql")) as answered:
            page.click(".yasqe_queryButton")
        assert answered.value.status == 200
        page.wait_for_selector("text=Ketamine", timeout=30_000)
        assert outside == []
        assert not [e for e in errors if "Content Security Policy" in e]
