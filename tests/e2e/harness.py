"""Shared pieces of the browser tests: start a Streamlit app on a free port, launch Debian's chromium.

Playwright never downloads a browser here: it drives /usr/bin/chromium (installed by `make test` as root).
Every request that does not go to 127.0.0.1 is aborted and recorded by :func:`block_outside`.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from tests.inputs import require
from tests.loopback import free_port

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]


@contextmanager
def streamlit_app(script: Path, logs: Path, *, env: dict[str, str] | None = None) -> Iterator[str]:
    """Run ``streamlit run script`` on a free loopback port until the block ends; yields its URL."""
    port = free_port()
    streamlit = Path(sys.executable).with_name("streamlit")
    command = [
        str(streamlit),
        "run",
        str(script),
        "--server.port",
        str(port),
        "--server.address",
        "127.0.0.1",
        "--server.headless",
        "true",
        "--browser.gatherUsageStats",
        "false",
        "--server.fileWatcherType",
        "none",
    ]
    logs.mkdir(parents=True, exist_ok=True)
    with (logs / "stdout.txt").open("wb") as out, (logs / "stderr.txt").open("wb") as err:
        # Output goes to files: a streamlit whose unread stdout pipe closed once ignored SIGTERM.
        proc = subprocess.Popen(
            command, stdout=out, stderr=err, cwd=ROOT, start_new_session=True, env={**os.environ, **(env or {})}
        )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as reply:
                    if reply.status == 200:
                        break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"streamlit did not start; its stderr: {(logs / 'stderr.txt').read_text()[-2000:]}")
            time.sleep(0.2)
        yield f"http://127.0.0.1:{port}/"
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=15)


@contextmanager
def chromium() -> Iterator[Any]:
    """Debian's chromium, headless. Missing (or playwright missing), it fails the test under CI=true and skips it
    elsewhere, saying why (tests/inputs.py)."""
    require(importlib.util.find_spec("playwright") is not None, what="playwright", fix="pip install playwright")
    require(
        os.access(CHROMIUM, os.X_OK) or shutil.which("chromium") is not None,
        what=f"Debian's chromium at {CHROMIUM}",
        fix="run 'apt-get install -y chromium' (as root)",
    )
    from playwright import sync_api

    executable = CHROMIUM if os.access(CHROMIUM, os.X_OK) else str(shutil.which("chromium"))
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def block_outside(page: Any) -> list[str]:
    """Abort every request that does not go to 127.0.0.1 (or is not a data:/blob: URL); returns their URLs."""
    outside: list[str] = []

    def route(r: Any) -> None:
        url = r.request.url
        if url.startswith(("http://127.0.0.1", "ws://127.0.0.1", "data:", "blob:", "file:")):
            r.continue_()
        else:
            outside.append(url)
            r.abort()

    page.route("**/*", route)
    return outside


def non_blank_pixels(png: bytes) -> int:
    """Pixels that differ clearly from the most common colour (the background)."""
    from io import BytesIO

    from PIL import Image

    image = Image.open(BytesIO(png)).convert("RGB")
    colours = image.getcolors(maxcolors=image.width * image.height) or []
    background = max(colours)[1]
    return sum(count for count, rgb in colours if sum(abs(a - b) for a, b in zip(rgb, background, strict=True)) > 60)


def wait_until(
    condition: Any,
    what: str,
    *,
    timeout_s: float = 30.0,
    interval_s: float = 0.05,
    account: Callable[[], str] | None = None,
) -> Any:
    """Poll ``condition()`` until it returns something truthy; fail saying ``what`` was awaited, and what
    ``account()`` says the page shows instead (:func:`page_messages`, a screenshot …), if given.

    The condition must ask the browser (``locator.evaluate``, ``inner_text`` …): Playwright only takes in
    browser events during such calls, so a condition that reads ``page.url`` alone never sees it change
    (use ``page.wait_for_url`` for that).
    """
    deadline = time.monotonic() + timeout_s
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            instead = f"; {account()}" if account is not None else ""
            pytest.fail(f"timed out after {timeout_s:.0f} s waiting for {what}{instead}")
        time.sleep(interval_s)


def page_messages(page: Any) -> list[str]:
    """The texts of the messages the app shows (warnings, errors, exceptions), for a failure's account."""
    return list(page.locator("[data-testid='stAlert'], [data-testid='stException']").all_inner_texts())


def wait_for_idle(page: Any, *, timeout_s: float = 30.0) -> None:
    """Wait until the app's script run has finished, so that a click lands on the page it will keep.

    While a rerun draws, Streamlit may show the previous run's (stale) elements beside the new ones, and a
    click on one of those is lost. ``data-test-script-state`` on the app root is ``notRunning`` when idle.
    """
    page.wait_for_timeout(100)  # let a rerun that a click has just asked for begin
    page.locator("[data-testid='stApp'][data-test-script-state='notRunning']").wait_for(timeout=timeout_s * 1000)


# A node of the graph component the app can refocus on (not the focus, not "+N more", not one of `avoid`), whose
# centre is on the canvas, in the viewport and on top: {id, x, y} in page coordinates, or null. Call (el, avoid).
PICK_NODE_JS = """(el, avoid) => {
  const net = el.__kgNetwork, box = el.querySelector('.kg-canvas').getBoundingClientRect();
  const positions = net.getPositions();
  const ids = Object.keys(positions).sort()
    .filter(id => id !== el.dataset.focus && !id.startsWith('more:') && !avoid.includes(id));
  for (const id of ids) {
    const p = net.canvasToDOM(positions[id]);
    if (p.x < 20 || p.y < 20 || p.x > box.width - 20 || p.y > box.height - 20) continue;
    // A grouped view can be taller than the screen: a click must land inside the viewport.
    if (box.top + p.y < 20 || box.top + p.y > window.innerHeight - 20) continue;
    if (net.getNodeAt(p) !== id) continue;
    return {id, x: box.left + p.x, y: box.top + p.y};
  }
  return null;
}"""
