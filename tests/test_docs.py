"""The documentation: it builds without warnings, and every example in it runs as shown."""

from __future__ import annotations

import doctest
import html
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from kgexplorer.cli.commands import cli
from kgexplorer.settings import describe_settings

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
PAGES = sorted(p for p in DOCS.rglob("*.md") if "_build" not in p.parts)
CONSOLE = re.compile(r"```console\n(.*?)```", re.S)


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(DOCS)))
def test_python_examples_run(page: Path) -> None:
    """Every `>>>` example in the docs gives the output shown (doctest, against the bundled graph)."""
    result = doctest.testfile(str(page), module_relative=False, optionflags=doctest.ELLIPSIS)

    assert result.failed == 0


def _console_examples() -> list[tuple[str, str, str]]:
    examples = []
    for page in PAGES:
        for block in CONSOLE.findall(page.read_text(encoding="utf-8")):
            command, expected = None, []
            for line in [*block.splitlines(), "$ "]:
                if line.startswith("$ "):
                    if command:
                        examples.append((page.name, command, "\n".join(expected)))
                    command, expected = line[2:].strip(), []
                else:
                    expected.append(line)
    return examples


@pytest.mark.parametrize(("page", "command", "expected"), _console_examples(), ids=lambda x: str(x)[:60])
def test_command_line_examples_print_what_the_docs_show(page: str, command: str, expected: str) -> None:
    """Every `$ kgexplorer …` line of a console block prints the output below it (`...` matches anything)."""
    args = shlex.split(command)
    assert args[0] == "kgexplorer", f"{page}: console examples must run kgexplorer, got {command!r}"
    result = CliRunner().invoke(cli, args[1:], prog_name="kgexplorer")
    output = result.stdout + result.stderr
    checker = doctest.OutputChecker()

    assert checker.check_output(expected.strip() + "\n", output.strip() + "\n", doctest.ELLIPSIS), (
        f"{page}: `{command}` printed:\n{output}"
    )


# In the browser tests' group, meant to run after them so the site shows the screenshots they have just taken
# (pytest-xdist 3.8 under pytest 9 was seen not to keep groups on one worker: then it shows the last run's).
@pytest.mark.slow
@pytest.mark.xdist_group("app_browser")
def test_the_site_builds_without_warnings_and_covers_cli_and_settings(tmp_path: Path) -> None:
    """Sphinx builds the site with warnings as errors; the CLI and settings references are complete; the
    tour notebook is shown with its outputs; every app page's latest screenshot is on the screenshots page."""
    out = tmp_path / "html"
    build = subprocess.run(
        [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", "html", str(DOCS), str(out)],
        capture_output=True,
        text=True,
        check=False,
    )

    assert build.returncode == 0, build.stderr
    raw = (out / "reference" / "cli.html").read_text(encoding="utf-8")
    text = re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", raw))).replace("\u2019", "'")
    for name, command in cli.commands.items():  # type: ignore[attr-defined]
        assert f'id="kgexplorer-{name}"' in raw, f"the CLI reference lacks `kgexplorer {name}`"
        first_line = re.sub(r"\s+", " ", (command.help or "").strip().split("\n\n")[0])
        assert first_line[:50] in text, f"the CLI reference lacks the help of `kgexplorer {name}`"
    settings_page = (out / "reference" / "settings.html").read_text(encoding="utf-8")
    for s in describe_settings():
        assert s.name in settings_page, f"the settings reference lacks {s.name}"
    for page in ("install", "troubleshooting", "citation", "changelog", "screenshots"):
        assert (out / f"{page}.html").is_file(), f"the site lacks {page}.html"
    tour = (out / "notebooks" / "tour.html").read_text(encoding="utf-8")
    assert tour.count('class="cell_output') >= 4
    assert tour.count("<iframe") == 2  # the neighbourhood and the paths, drawn
    shots = sorted((ROOT / "test-artifacts" / "pages").glob("*.png"))
    screenshots = (out / "screenshots.html").read_text(encoding="utf-8")
    for shot in shots:
        assert f'src="_images/{shot.name}"' in screenshots, f"the screenshots page lacks {shot.name}"
        assert (out / "_images" / shot.name).read_bytes()[:4] == b"\x89PNG"


@pytest.mark.slow
def test_the_example_notebook_runs_clean() -> None:
    """docs/notebooks/tour.ipynb executes top to bottom without an error, and its results display as HTML."""
    import nbformat
    from nbclient import NotebookClient

    notebook = nbformat.read(DOCS / "notebooks" / "tour.ipynb", as_version=4)
    NotebookClient(notebook, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(ROOT)}}).execute()
    html_outputs = [
        o
        for cell in notebook.cells
        if cell.cell_type == "code"
        for o in cell.get("outputs", [])
        if "text/html" in o.get("data", {})
    ]

    assert not [o for cell in notebook.cells for o in cell.get("outputs", []) if o.get("output_type") == "error"]
    assert len(html_outputs) >= 4  # the query table, the entity card, the neighbourhood and the paths
    drawn = [o["data"]["text/html"] for o in html_outputs if "<iframe" in o["data"]["text/html"]]
    assert len(drawn) == 2, "the neighbourhood and the paths should draw as sandboxed pages"
    assert all('sandbox="allow-scripts"' in page for page in drawn)
