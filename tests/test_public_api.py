"""The public API: what kgexplorer exports exists, is listed in order, and every module says what it exports."""

from __future__ import annotations

import importlib
import pkgutil
import subprocess
import sys

import pytest

import kgexplorer


def isort_key(name: str) -> tuple[int, str]:
    """Ruff's RUF022 order: CONSTANTS, then Classes, then everything else."""
    return (0 if name.isupper() else 1 if name[0].isupper() else 2, name)


MODULES = sorted(
    m.name for m in pkgutil.walk_packages(kgexplorer.__path__, "kgexplorer.") if not m.name.endswith("__main__")
)


def test_every_exported_name_exists() -> None:
    missing = [name for name in kgexplorer.__all__ if not hasattr(kgexplorer, name)]
    assert missing == []


def test_the_export_list_is_sorted_and_has_no_duplicates() -> None:
    names = list(kgexplorer.__all__)
    assert names == sorted(names, key=isort_key)
    assert len(set(names)) == len(names)


def test_the_front_door_and_errors_are_exported() -> None:
    for name in ("KnowledgeGraph", "Settings", "KgExplorerError", "QueryNotAllowed", "EntityNotFound", "__version__"):
        assert name in kgexplorer.__all__
    assert issubclass(kgexplorer.QueryNotAllowed, kgexplorer.KgExplorerError)


def test_the_workers_load_only_the_engine_and_the_library_loads_whole() -> None:
    """A query or parse worker (``python -m kgexplorer.engine.…``) runs the package's __init__ first: it must not
    load the model and views there; the first public name a user asks for loads them all, Jupyter display too."""
    probe = (
        "import sys, kgexplorer.engine.worker_main, kgexplorer.engine.parse_worker\n"
        "print(sorted(m for m in sys.modules if m.startswith(('kgexplorer.model', 'kgexplorer.views', "
        "'kgexplorer.knowledge_graph'))))\n"
        "from kgexplorer import Neighbourhood, KnowledgeGraph\n"
        "print(hasattr(Neighbourhood, '_repr_html_'), 'kgexplorer.views.notebook' in sys.modules)\n"
    )
    run = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, check=True)
    assert run.stdout.splitlines() == ["[]", "True True"], run.stderr


def test_a_graph_queried_through_the_library_leaves_the_endpoints_and_the_sandboxs_modules_unloaded() -> None:
    """asyncio (with ssl) serves only the endpoint's path, ctypes and socket only the worker installing its
    sandbox: together about 3 MiB of the caller's memory (make bench: memory of a 10k-triple graph in memory)."""
    probe = (
        "import sys\n"
        "from kgexplorer import KnowledgeGraph\n"
        "with KnowledgeGraph.bundled() as kg:\n"
        "    kg.sparql('ASK { ?s ?p ?o }')\n"
        "print(sorted(m for m in ('asyncio', 'ssl', 'ctypes', 'socket') if m in sys.modules))\n"
    )
    run = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, check=True)
    assert run.stdout.splitlines() == ["[]"], run.stderr


def test_there_are_modules_to_check() -> None:
    assert {
        f"kgexplorer.{name}"
        for name in (
            "engine.store",
            "engine.guard",
            "engine.query_workers",
            "engine.results",
            "settings",
            "model.neighbourhood",
            "knowledge_graph",
            "cli.commands",
        )
    } <= set(MODULES)


@pytest.mark.parametrize("name", MODULES)
def test_every_module_declares_what_it_exports(name: str) -> None:
    module = importlib.import_module(name)
    exported = getattr(module, "__all__", None)
    assert exported is not None, f"{name} has no __all__"
    assert [n for n in exported if not hasattr(module, n)] == []
    assert len(set(exported)) == len(exported)
