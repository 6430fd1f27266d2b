"""The house layout (docs/decisions/layers.md): the package is built in stages and imports run one way.

Every import is read, wherever it is: at the top, inside functions, under ``TYPE_CHECKING``, in ``try`` blocks,
relative or absolute, and ``importlib.import_module("…")`` with a literal name (lazy imports are common here, and
a circle must not hide in one). The rules: no circles; nothing imports a later stage; the shells import each other
only where listed; every module has a stage; the pages (``app.py``, ``app_pages/``) import only ``streamlit`` and
``kgexplorer``; no module is longer than 500 lines. The checker itself is tested on planted violations below, so
the rules cannot pass by reading nothing.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "kgexplorer"
PAGES = (ROOT / "app.py", *sorted((ROOT / "app_pages").glob("*.py")))

#: The stages, bottom up (rank, name). A module's stage is its folder's, or for the top level its own.
FOUNDATION = ("errors", "settings", "terms", "namespaces", "evidence", "control_chars", "_assets", "extras")
FACADE = ("knowledge_graph", "data_options")
STAGES: dict[str, tuple[int, str]] = {
    **{f"kgexplorer.{name}": (0, "foundation") for name in FOUNDATION},
    "kgexplorer.engine": (1, "engine"),
    "kgexplorer.curation": (1, "curation"),  # beside the engine: records to Turtle, on the foundation and rdflib
    "kgexplorer.model": (2, "model"),
    **{f"kgexplorer.{name}": (3, "facade") for name in FACADE},
    "kgexplorer.views": (4, "views"),
    "kgexplorer": (5, "public API"),  # the package's __init__: re-exports, and registers the notebook display
    "kgexplorer.server": (6, "server"),
    "kgexplorer.cli": (6, "cli"),
    "kgexplorer.ui": (6, "ui"),
    "app_pages": (7, "pages"),
}
#: Imports between two different stages of the same rank that are allowed: the CLI's `serve` starts the endpoint.
SIDEWAYS = {("cli", "server")}
#: What a page may import (house rule 1): a third-party widget goes behind a kgexplorer.ui wrapper.
PAGE_IMPORTS = {"streamlit", "kgexplorer", "__future__"}
MAX_LINES = 500


@dataclass(frozen=True)
class Arrow:
    """One import: who imports what, and where (for the failure message)."""

    source: str
    target: str
    line: int


def module_names(package: Path) -> dict[str, Path]:
    """Every module of the package by its dotted name (a folder's __init__ is the folder's name)."""
    out: dict[str, Path] = {}
    for path in sorted(package.rglob("*.py")):
        parts = ["kgexplorer", *path.relative_to(package).with_suffix("").parts]
        if parts[-1] == "__init__":
            parts.pop()
        out[".".join(parts)] = path
    return out


def imported_names(source: str, module: str, *, is_package: bool) -> Iterator[tuple[str, str, int]]:
    """Every import in a module's text, made absolute: ``(module named, imported name or "", line)``.

    ``import a.b`` and ``importlib.import_module("a.b")`` give ``("a.b", "", line)``; ``from a import b`` gives
    ``("a", "b", line)``; relative names are resolved against the module's own package.
    """
    here = module.split(".") if is_package else module.split(".")[:-1]

    def absolute(name: str, level: int) -> str:
        if not level:
            return name
        return ".".join([*here[: len(here) - level + 1], *([name] if name else [])])

    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, "", node.lineno
        elif isinstance(node, ast.ImportFrom):
            base = absolute(node.module or "", node.level)
            for alias in node.names:
                yield base, alias.name, node.lineno
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "import_module"
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            name = node.args[0].value
            dots = len(name) - len(name.lstrip("."))
            yield absolute(name.lstrip("."), dots), "", node.lineno


def arrows(sources: Mapping[str, tuple[str, bool]]) -> list[Arrow]:
    """The import arrows between the modules of ``sources`` (``{module: (text, is_package)}``), each to the most
    specific module an import names: ``from X import y`` points at ``X.y`` when that is a module, else at ``X``."""
    found: dict[tuple[str, str], int] = {}
    for module, (text, is_package) in sources.items():
        for base, name, line in imported_names(text, module, is_package=is_package):
            target = f"{base}.{name}" if name and f"{base}.{name}" in sources else base
            while target and target not in sources:
                target = target.rpartition(".")[0]
            if target and target != module:
                found.setdefault((module, target), line)
    return [Arrow(s, t, line) for (s, t), line in sorted(found.items())]


def stage(module: str) -> tuple[int, str] | None:
    """The stage of a module: its own entry, else its folder's. The package itself (``kgexplorer``) is the stage
    of its ``__init__`` only: a new top-level module (``kgexplorer.utils``) has no stage until it is given one."""
    if module in STAGES:
        return STAGES[module]
    name = module.rpartition(".")[0]
    while name and name != "kgexplorer":
        if name in STAGES:
            return STAGES[name]
        name = name.rpartition(".")[0]
    return None


def circles(found: list[Arrow]) -> list[list[str]]:
    """The import circles: strongly connected groups of more than one module (Tarjan)."""
    graph: dict[str, set[str]] = {}
    for a in found:
        graph.setdefault(a.source, set()).add(a.target)
        graph.setdefault(a.target, set())
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return groups


def upward(found: list[Arrow]) -> list[str]:
    """Arrows that run up the stages, or sideways between stages where not listed in SIDEWAYS."""
    problems = []
    for a in found:
        source, target = stage(a.source), stage(a.target)
        if source is None or target is None:
            continue  # reported by test_every_module_has_a_stage
        if target[0] > source[0] or (target[0] == source[0] and target[1] != source[1]
                                     and (source[1], target[1]) not in SIDEWAYS):  # fmt: skip
            problems.append(f"{a.source} ({source[1]}) imports {a.target} ({target[1]}), line {a.line}")
    return problems


def page_problems(pages: Mapping[str, str]) -> list[str]:
    """Imports of a page that are not streamlit or kgexplorer."""
    problems = []
    for name, text in pages.items():
        for imported, _, line in imported_names(text, "app_pages.page", is_package=False):
            if imported.split(".")[0] not in PAGE_IMPORTS:
                problems.append(f"{name}:{line} imports {imported}")
    return problems


def _package_sources() -> dict[str, tuple[str, bool]]:
    return {m: (p.read_text(encoding="utf-8"), p.name == "__init__.py") for m, p in module_names(PACKAGE).items()}


def _page_sources() -> dict[str, str]:
    return {str(p.relative_to(ROOT)): p.read_text(encoding="utf-8") for p in PAGES}


def _all_arrows() -> list[Arrow]:
    """The package's arrows plus the pages' (a page is a module of the pages stage)."""
    sources = _package_sources()
    pages = {f"app_pages.{Path(name).stem}": (text, False) for name, text in _page_sources().items()}
    return [a for a in arrows({**sources, **pages}) if not a.target.startswith("app_pages")]


# ------------------------------------------------------------------------------------------ the package


def test_there_are_no_import_circles() -> None:
    assert circles(_all_arrows()) == []


def test_no_import_runs_up_the_stages() -> None:
    assert upward(_all_arrows()) == []


def test_every_module_has_a_stage() -> None:
    assert [m for m in module_names(PACKAGE) if stage(m) is None] == []


#: Pages whose imports issue 16 is still moving into kgexplorer.ui (the workbench's editor widget and its run
#: state, in the researchers' worktree). The mark is strict: once the page is clean it fails until removed.
_PAGES_BEING_MOVED = {
    "app_pages/workbench.py": "issue 16 moves code_editor and the Outcome dataclass behind kgexplorer.ui"
}


@pytest.mark.parametrize(
    "page",
    [
        pytest.param(name, marks=pytest.mark.xfail(strict=True, reason=_PAGES_BEING_MOVED[name]))
        if name in _PAGES_BEING_MOVED
        else name
        for name in sorted(_page_sources())
    ],
)
def test_pages_import_only_streamlit_and_kgexplorer(page: str) -> None:
    assert page_problems({page: _page_sources()[page]}) == []


def test_no_module_is_longer_than_500_lines() -> None:
    long = {
        str(p.relative_to(ROOT)): n for p in PACKAGE.rglob("*.py") if (n := len(p.read_text().splitlines())) > MAX_LINES
    }
    assert long == {}


def test_the_reading_sees_the_whole_package() -> None:
    """A sanity floor, so the rules above cannot pass by reading nothing: the facade imports the engine and the
    model, and the pages import the library."""
    found = {(a.source, a.target) for a in _all_arrows()}
    assert ("kgexplorer.knowledge_graph", "kgexplorer.engine.query_workers") in found
    assert ("kgexplorer.knowledge_graph", "kgexplorer.model.entity") in found
    assert any(s.startswith("app_pages.") and t == "kgexplorer.ui" for s, t in found)


# ------------------------------------------------------------------------------------------ planted violations


ENGINE = "kgexplorer.engine.store"
MODEL = "kgexplorer.model.labels"


def _plant(**texts: str) -> dict[str, tuple[str, bool]]:
    base = {
        ENGINE: ("", False),
        MODEL: ("", False),
        "kgexplorer.model": ("", True),
        "kgexplorer.views.render": ("", False),
    }
    return {**base, **{k.replace("__", "."): (v, False) for k, v in texts.items()}}


@pytest.mark.parametrize(
    "text",
    [
        "from ..model.labels import fetch_labels",  # relative, at the top
        "def f():\n    from kgexplorer.model.labels import fetch_labels\n",  # absolute, lazy
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from ..model import labels\n",  # typing only
        "import importlib\nlabels = importlib.import_module('kgexplorer.model.labels')\n",  # by name
    ],
)
def test_an_engine_module_importing_the_model_is_caught(text: str) -> None:
    found = arrows({**_plant(), ENGINE: (text, False)})
    assert [(a.source, a.target) for a in found] == [(ENGINE, MODEL)]
    assert upward(found) == [f"{ENGINE} (engine) imports {MODEL} (model), line {found[0].line}"]


def test_a_circle_hidden_in_a_lazy_import_is_caught() -> None:
    sources = _plant()
    sources[MODEL] = ("def f():\n    from ..views.render import render\n", False)
    sources["kgexplorer.views.render"] = (
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from ..model.labels import x\n",
        False,
    )
    assert circles(arrows(sources)) == [[MODEL, "kgexplorer.views.render"]]


def test_a_sideways_import_between_shells_is_caught_unless_listed() -> None:
    sources = {
        "kgexplorer.ui.x": ("from ..server.endpoint import create_app", False),
        "kgexplorer.server.endpoint": ("", False),
        "kgexplorer.cli.y": ("from ..server.endpoint import serve", False),
    }
    assert upward(arrows(sources)) == ["kgexplorer.ui.x (ui) imports kgexplorer.server.endpoint (server), line 1"]


def test_a_page_importing_a_third_party_widget_or_rdflib_is_caught() -> None:
    pages = {"app_pages/x.py": "import streamlit as st\nfrom code_editor import code_editor\nimport rdflib.graph\n"}
    assert page_problems(pages) == ["app_pages/x.py:2 imports code_editor", "app_pages/x.py:3 imports rdflib.graph"]


def test_a_module_without_a_stage_is_caught() -> None:
    assert stage("kgexplorer.utils") is None
    assert stage("kgexplorer.engine.anything") == (1, "engine")


# ------------------------------------------------------------------------------------------ the figures


def figures() -> dict[str, object]:
    """The layout's figures for the record: modules per folder, import arrows, circles, upward arrows."""
    per_folder: dict[str, int] = {}
    for module in module_names(PACKAGE):
        parts = module.split(".")
        folder = parts[1] if len(parts) > 2 or (len(parts) == 2 and (PACKAGE / parts[1]).is_dir()) else "(top level)"
        per_folder[folder] = per_folder.get(folder, 0) + 1
    package_arrows = arrows(_package_sources())
    return {
        "modules per folder": dict(sorted(per_folder.items())),
        "modules": sum(per_folder.values()),
        "import arrows (package)": len(package_arrows),
        "import arrows (package and pages)": len(_all_arrows()),
        "circles": circles(_all_arrows()),
        "upward arrows": upward(_all_arrows()),
        "longest module": max(
            (len(p.read_text().splitlines()), str(p.relative_to(ROOT))) for p in PACKAGE.rglob("*.py")
        ),
    }


def test_the_figures_add_up() -> None:
    found = figures()
    assert found["circles"] == []
    assert found["upward arrows"] == []
    assert found["modules"] == len(module_names(PACKAGE))


if __name__ == "__main__":  # python tests/test_layout.py: the figures
    import json

    print(json.dumps(figures(), indent=2))
