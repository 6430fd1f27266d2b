"""Starting the app (kgexplorer.cli.launcher): the Streamlit command, and what the app process is told to open."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from kgexplorer.cli.launcher import app_command, launch_app
from kgexplorer.data_options import APP_SOURCE_VARIABLE, DataOptions


def test_app_command_runs_streamlit_headless_on_the_address() -> None:
    command = app_command(Path("/x/app.py"), host="0.0.0.0", port=8765)

    assert command[:6] == [sys.executable, "-P", "-m", "streamlit", "run", "/x/app.py"]
    assert command[command.index("--server.port") + 1] == "8765"
    assert command[command.index("--server.address") + 1] == "0.0.0.0"
    assert command[command.index("--browser.gatherUsageStats") + 1] == "false"
    assert command[command.index("--server.headless") + 1] == "true"
    assert command[command.index("--server.fileWatcherType") + 1] == "none"


def test_launch_app_announces_then_hands_the_source_to_the_app(monkeypatch: pytest.MonkeyPatch) -> None:
    events: list[str] = []
    launched: list[list[str]] = []
    monkeypatch.setenv(APP_SOURCE_VARIABLE, "")  # restored after the test: launch_app writes it

    def call(command: list[str]) -> int:
        events.append("call")
        launched.append(command)
        return 3

    monkeypatch.setattr(subprocess, "call", call)
    source = DataOptions(store="/data/store", settings=(("max_view_nodes", "60"),))

    status = launch_app(source, host="127.0.0.1", port=8601, announce=events.append)

    assert status == 3
    assert events == ["kgexplorer app: http://127.0.0.1:8601  (Ctrl+C stops it)", "call"]
    assert launched[0][launched[0].index("--server.port") + 1] == "8601"
    assert Path(launched[0][5]).name == "app.py"
    assert DataOptions.from_json(os.environ[APP_SOURCE_VARIABLE]) == source


def test_without_the_app_extra_nothing_starts_and_the_install_line_is_said(monkeypatch: pytest.MonkeyPatch) -> None:
    """`pip install kgexplorer` then `kgexplorer app`: exit 1 with `pip install 'kgexplorer[app]'`, no traceback."""
    import importlib.util

    from click.testing import CliRunner

    from kgexplorer.cli.commands import cli

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "streamlit" else real(name, *a))
    monkeypatch.setattr(subprocess, "call", lambda command: pytest.fail(f"started {command}"))

    result = CliRunner().invoke(cli, ["app"], prog_name="kgexplorer")

    assert result.exit_code == 1
    assert "pip install 'kgexplorer[app]'" in result.stderr
    assert "streamlit is not installed" in result.stderr
    assert "Traceback" not in result.output
