"""The workbench's history kept in the browser (localStorage), so it survives a reload and a new session.

Nothing is stored on the server (the ``server_storage`` setting is off by default): a tiny custom component
(Streamlit components v2, inline script, no asset) reads the list from the browser's localStorage when the
page draws, adds the newest run, writes it back, and hands the list to Python as its state ``entries`` (not
an empty list on the page's first draw: that would only rerun the page, which has nothing to show).
It holds the text of the queries run, the data source's name and the outcome, in this browser only, at
most ``query_history_size`` entries.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable
from typing import Any

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from .workbench import History, HistoryEntry

__all__ = ["STORAGE_KEY", "browser_history"]

#: The localStorage key (one list per browser and app origin).
STORAGE_KEY = "kgexplorer-workbench-history"

_JS = """
const sent = new WeakMap(); // parentElement -> the last list handed to Python (never send the same twice)
export default function (component) {
  const { data, parentElement, setStateValue } = component;
  const key = "%KEY%";
  let entries = [];
  try { entries = JSON.parse(window.localStorage.getItem(key) || "[]"); } catch (e) { entries = []; }
  if (!Array.isArray(entries)) entries = [];
  entries = entries.filter(e => e && typeof e.query === "string" && typeof e.source === "string");
  const add = data && data.add;
  if (add && typeof add.query === "string") {
    entries = [add, ...entries.filter(e => !(e.query === add.query && e.source === add.source))];
  }
  entries = entries.slice(0, (data && data.limit) || 50);
  try { window.localStorage.setItem(key, JSON.stringify(entries)); } catch (e) { /* storage full or off */ }
  const text = JSON.stringify(entries);
  // Python's default (no list) says what an empty one would: sending it would only rerun the page right after
  // it opened, and a click in that rerun can be lost. So an empty list counts as sent already.
  if (!sent.has(parentElement)) sent.set(parentElement, "[]");
  if (sent.get(parentElement) !== text) {
    sent.set(parentElement, text);
    setStateValue("entries", entries);
  }
}
""".replace("%KEY%", STORAGE_KEY)


@functools.cache
def _component() -> Callable[..., Any]:
    return st.components.v2.component("kgexplorer.workbench_history", html="<span></span>", js=_JS)


def browser_history(*, add: HistoryEntry | None, limit: int, key: str) -> History | None:
    """The history this browser keeps (newest first), with ``add`` put first; None until the browser has
    answered (the first draw of a page), when it keeps nothing, or outside a running app."""
    if get_script_run_ctx(suppress_warning=True) is None:
        return None
    mount = _component()
    result = mount(
        data={"add": dataclasses.asdict(add) if add is not None else None, "limit": limit},
        key=key,
        default={"entries": None},
        on_entries_change=lambda: None,
        height=0,
    )
    raw = getattr(result, "entries", None)
    if not isinstance(raw, list):
        return None
    entries = []
    for item in raw[:limit]:
        if isinstance(item, dict) and isinstance(item.get("query"), str) and isinstance(item.get("source"), str):
            entries.append(
                HistoryEntry(item["query"], item["source"], str(item.get("outcome", "")), bool(item.get("ok")))
            )
    return History(tuple(entries))
