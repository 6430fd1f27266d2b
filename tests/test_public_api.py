"""The public API: what kgexplorer exports exists, is listed in order, and every module says what it exports."""

from __future__ import annotations

import importlib
import pkgutil

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
