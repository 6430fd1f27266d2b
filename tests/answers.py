"""Queries with answers of a chosen size, built from the bundled graph (no data file): for the byte caps; and
small stores whose answers hold chosen values (for the writers of answers)."""

from __future__ import annotations

from typing import Any

__all__ = ["big_rows", "store_of"]


def big_rows(rows: int, kib: int, doublings: int) -> str:
    """A SELECT of ``rows`` rows, each one value of ``kib`` KiB doubled ``doublings`` times (CONCAT).

    ``big_rows(40, 5, 10)`` is the security issue's answer: 40 rows of 5 MiB, 210 MB as SPARQL JSON.
    """
    numbers = " ".join(str(i) for i in range(1, rows + 1))
    query = f'SELECT ?v WHERE {{ VALUES ?n {{ {numbers} }} BIND(CONCAT(STR(?n), "{"x" * (kib * 1024)}") AS ?a0)'
    for i in range(doublings):
        query += f" BIND(CONCAT(?a{i}, ?a{i}) AS ?a{i + 1})"
    return query + f" BIND(?a{doublings} AS ?v) }}"


def store_of(values: list[Any], *, namespace: str, width: int = 0) -> Any:
    """A pyoxigraph store with one triple per value: ``<namespace s{i}> <namespace p> value`` (``i`` padded to
    ``width`` digits, so subjects sort in the values' order)."""
    import pyoxigraph as ox

    store = ox.Store()
    for i, value in enumerate(values):
        store.add(ox.Quad(ox.NamedNode(f"{namespace}s{i:0{width}}"), ox.NamedNode(namespace + "p"), value))
    return store
