"""The endpoint's root page: YASGUI from its npm package, served from this server only (issue 16).

The build step (make, or python -m kgexplorer.server.yasgui) copies it; without it these tests skip, and
under CI=true they fail with the reason. The browser test runs a query from the page in Debian's chromium,
with every request that does not go to 127.0.0.1 aborted and recorded.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient
from tests.e2e.harness import block_outside, chromium, free_port

from kgexplorer import KnowledgeGraph
from kgexplorer.model.gallery import load_gallery
from kgexplorer.server.endpoint import create_app
from kgexplorer.server.yasgui import YASGUI_DIR, yasgui_built


@pytest.fixture(scope="module", autouse=True)
def built() -> None:
    if not yasgui_built():
        why = f"YASGUI is not built into {YASGUI_DIR}: run python -m kgexplorer.server.yasgui (make does)"
        if os.environ.get("CI") == "true":
            pytest.fail(why)
        pytest.skip(why)


@pytest.fixture(scope="module")
def client(kg: KnowledgeGraph) -> TestClient:
    return TestClient(create_app(kg))


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
    assert "MIT" in client.get("/yasgui/LICENSE").text
    assert client.get("/yasgui/../../settings.py").status_code == 404
    assert client.get("/yasgui/secrets").status_code == 404


def test_the_init_script_switches_off_every_outside_lookup(client: TestClient) -> None:
    script = client.get("/yasgui/yasgui-init.js").text
    assert "prefixCcApi: undefined" in script
    assert "createShortLink: undefined" in script
    assert 'autocompleters: ["prefixes", "variables"]' in script  # no LOV property or class lookups


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
