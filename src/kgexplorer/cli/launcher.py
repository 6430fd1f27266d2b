"""Starting the Streamlit app from the command line (``kgexplorer app``).

The app runs in its own process (``python -m streamlit run`` on the app script shipped with the
package). What it opens for every visitor, the command's :class:`~kgexplorer.data_options.DataOptions`,
travels to that process as JSON in the environment variable
:data:`~kgexplorer.data_options.APP_SOURCE_VARIABLE`, because Streamlit passes no arguments to a script.

>>> app_command(Path("app.py"), host="127.0.0.1", port=8501)[1:6]
['-P', '-m', 'streamlit', 'run', 'app.py']
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kgexplorer.data_options import DataOptions

__all__ = ["app_command", "launch_app"]


def app_command(script: Path, *, host: str, port: int) -> list[str]:
    """The command that runs the app ``script`` on ``host``:``port``, headless and without usage statistics.

    >>> command = app_command(Path("app.py"), host="0.0.0.0", port=8765)
    >>> command[command.index("--server.port") + 1], command[command.index("--server.address") + 1]
    ('8765', '0.0.0.0')
    """
    return [
        sys.executable,
        "-P",  # the working folder is not put on sys.path: a module there would run in the app (tests/security)
        "-m",
        "streamlit",
        "run",
        str(script),
        "--server.port",
        str(port),
        "--server.address",
        host,
        "--browser.gatherUsageStats",
        "false",
        "--server.headless",
        "true",
        "--server.fileWatcherType",  # nobody edits the installed app; watching cost its first page 0.5 s
        "none",
    ]


def launch_app(source: DataOptions, *, host: str, port: int, announce: Callable[[str], None] | None = None) -> int:
    """Run the app on ``source`` until it stops (Ctrl+C) and return its exit status.

    Raises :class:`~kgexplorer.errors.NotInstalled` (naming ``pip install 'kgexplorer[app]'``) when the
    ``app`` extra is not installed. ``announce`` receives the app's address just before it starts. The
    source is written to :data:`~kgexplorer.data_options.APP_SOURCE_VARIABLE` of this process, which the app
    inherits. (Not run here: it starts a server; ``tests/test_launcher.py`` runs it with the process call
    replaced.)
    """
    import subprocess

    from kgexplorer.data_options import APP_SOURCE_VARIABLE
    from kgexplorer.engine.store import bundled_app_script
    from kgexplorer.extras import require

    require("app")  # `pip install kgexplorer` alone has no Streamlit: say the install line, start nothing
    script = bundled_app_script()
    if announce is not None:
        announce(f"kgexplorer app: http://{host}:{port}  (Ctrl+C stops it)")
    command = app_command(script, host=host, port=port)
    os.environ[APP_SOURCE_VARIABLE] = source.to_json()
    return subprocess.call(command)
