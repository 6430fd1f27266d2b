"""The app's first page (kgexplorer.ui.import_in_background, app.py): what the search box needs is imported in the
background from the start, and the library's start path imports no graph library the first page does not use."""

from __future__ import annotations

import json
import subprocess
import sys

_IMPORTS = """
import json, sys
from kgexplorer import ui
ui.import_in_background().join()
assert ui.import_in_background() is ui.import_in_background()
before = set(sys.modules)
from streamlit.time_util import time_to_seconds
time_to_seconds(ui._TYPE_AHEAD_PAUSE)  # what st.text_input(live=...) does with the search box's pause
print(json.dumps(sorted(m.split(".")[0] for m in set(sys.modules) - before)))
"""

_START = """
import json, sys
import kgexplorer, kgexplorer.ui, kgexplorer.views.render, kgexplorer.views.lessons
print(json.dumps(sorted({m.split(".")[0] for m in sys.modules})))
"""


def _run(code: str) -> list[str]:
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    result: list[str] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def test_reading_the_type_ahead_pause_imports_nothing_the_background_did_not() -> None:
    assert "pandas" not in _run(_IMPORTS)


def test_the_first_page_modules_import_no_graph_library() -> None:
    loaded = _run(_START)
    assert "kgexplorer" in loaded
    assert not {"networkx", "pyvis", "rdflib", "pyshacl", "pandas"} & set(loaded)
