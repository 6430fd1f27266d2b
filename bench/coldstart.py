"""Cold start of the app: `make run`'s command to the first rendered page, beside a one-line Streamlit app.

Each run starts ``streamlit run SCRIPT --server.headless true --browser.gatherUsageStats false
--server.fileWatcherType none`` (what ``make run`` runs, on a free port) at t = 0, waits for
``/_stcore/health``, opens the page in Debian's chromium (headless, launched before the clock starts) and
stops the clock when the page is drawn: a heading (``h1``) is visible and the script run has finished (the
app root's ``data-test-script-state`` is ``notRunning``). The floor is the same for ``st.title("ready")``
alone (Streamlit's own start). Runs alternate, ``--runs`` of each; the medians and the ratio are reported.
First the package is byte-compiled, as ``make run`` does before it starts Streamlit (the floor's Streamlit was
compiled by pip when it was installed).
``python -m bench.coldstart`` runs only this.
"""

from __future__ import annotations

import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

from bench.loopback import free_port

__all__ = ["run_coldstart_bench"]

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]


def _one(browser: Any, script: Path) -> float:
    port = free_port()
    command = [str(Path(sys.executable).with_name("streamlit")), "run", str(script), "--server.port", str(port)]
    command += ["--server.headless", "true", "--browser.gatherUsageStats", "false", "--server.address", "127.0.0.1"]
    command += ["--server.fileWatcherType", "none"]
    started = time.perf_counter()
    proc = subprocess.Popen(
        command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    try:
        url = f"http://127.0.0.1:{port}"
        while True:
            if proc.poll() is not None or time.perf_counter() - started > 120:
                raise RuntimeError(f"streamlit run {script.name} did not start")
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=1):
                    break
            except OSError:
                time.sleep(0.02)
        page = browser.new_page()
        try:
            page.goto(url)
            page.locator("h1").first.wait_for(state="visible", timeout=120_000)
            page.locator("[data-testid='stApp'][data-test-script-state='notRunning']").wait_for(timeout=120_000)
            return time.perf_counter() - started
        finally:
            page.close()
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def run_coldstart_bench(*, runs: int = 3, progress: Any = print) -> dict[str, Any]:
    """Alternate ``runs`` cold starts of app.py and of a one-line app; medians in seconds, and every run."""
    from playwright.sync_api import sync_playwright

    if not os.access(CHROMIUM, os.X_OK):
        raise RuntimeError(f"Debian's chromium is not installed at {CHROMIUM}")
    times: dict[str, list[float]] = {"app.py": [], "one-line app": []}
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "src" / "kgexplorer")], check=True)
    with tempfile.TemporaryDirectory() as folder, sync_playwright() as pw:
        floor = Path(folder) / "floor.py"
        floor.write_text('import streamlit as st\n\nst.title("ready")\n', encoding="utf-8")
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            for i in range(runs):
                for name, script in (("app.py", ROOT / "app.py"), ("one-line app", floor)):
                    progress(f"coldstart: {name} run {i + 1}/{runs}")
                    times[name].append(_one(browser, script))
        finally:
            browser.close()
    return {"runs": times, "median": {name: statistics.median(ts) for name, ts in times.items()}}


def main() -> int:
    import json

    result = run_coldstart_bench()
    out = ROOT / "bench" / "out"
    out.mkdir(parents=True, exist_ok=True)
    (out / "coldstart.json").write_text(json.dumps(result, indent=1), encoding="utf-8")
    for name, seconds in result["median"].items():
        print(f"{name:<14} {seconds:.2f} s to the first rendered page (median of {len(result['runs'][name])})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
