"""`--dist loadgroup` keeps every test of one `@pytest.mark.xdist_group(NAME)` on one xdist worker, again.

pytest-xdist's scheduler reads a test's group from its node id (`tests/x.py::test_y@NAME`); the worker appends the
suffix by writing `item._nodeid`. Since pytest 9.2 a node's id lives in a structured `NodeId` (`item._id`) and
`item.nodeid` is derived from it, so xdist 3.8's write lands in a field nothing reads: every group was silently
spread over both workers, and each worker built the group's session fixtures again (pytest-xdist issue #1386; the
fix upstream, PR #1388, writes the structured id as this does). Loaded by tests/conftest.py; checked by
tests/test_xdist_groups.py on a real two-worker run. Once pytest-xdist appends the suffix itself this hook finds it
there and does nothing.
"""

from __future__ import annotations

import pytest

__all__ = ["group_suffix", "pytest_collection_modifyitems"]


def group_suffix(item: pytest.Item) -> str:
    """`@NAME` for a test in one group (`@A_B` for several, as xdist names them), or "" for a test in none."""
    names = {
        str(mark.args[0] if mark.args else mark.kwargs.get("name", "default"))
        for mark in item.iter_markers("xdist_group")
    }
    return f"@{'_'.join(sorted(names))}" if names else ""


@pytest.hookimpl(trylast=True)  # after xdist's own hook, so a fixed xdist is seen to have done it
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # xdist sets `loadgroup` on its workers only; the controller collects nothing.
    if not getattr(config.option, "loadgroup", False):
        return
    for item in items:
        suffix = group_suffix(item)
        if not suffix or item.nodeid.endswith(suffix):
            continue
        structured = getattr(item, "_id", None)
        if structured is None:  # an older pytest: the string id is the one xdist wrote, and it did not take
            raise pytest.UsageError(f"--dist loadgroup could not put {item.nodeid} into group {suffix[1:]}")
        item._id = type(structured).parse(f"{item.nodeid}{suffix}")
        if not item.nodeid.endswith(suffix):
            raise pytest.UsageError(
                f"--dist loadgroup could not put {item.nodeid} into group {suffix[1:]}: pytest's node ids changed "
                "again; see tests/xdist_groups.py"
            )
