"""How query results cross from a worker to the caller: terms packed as plain tuples and strings.

Pickling pyoxigraph's or kgexplorer's term objects made a 5,916-row result cost 4× the query (LUBM Q14,
measured), so the worker packs each term as what pickles in C (an IRI is its string, a literal a tuple,
a blank node bytes), and the caller rebuilds each distinct value once, shared by the rows that hold it.

>>> rows = unpack_rows([("http://e/a", ("x",)), ("http://e/a", ("5", "http://www.w3.org/2001/XMLSchema#integer"))])
>>> rows[0][0] is rows[1][0], rows[1][1]
(True, Literal(value='5', datatype='http://www.w3.org/2001/XMLSchema#integer', language=None))
"""

from __future__ import annotations

from typing import Any

from kgexplorer.terms import IRI, BlankNode, Literal, Term, Triple

__all__ = ["Packed", "pack_rows", "unpack_rows", "unpack_triples"]

Packed = str | tuple[str] | tuple[str, str] | tuple[str, None, str] | bytes


def unpack_rows(rows: list[tuple[Packed | None, ...]]) -> tuple[tuple[Term | None, ...], ...]:
    """Rebuild the terms of packed rows; each distinct value becomes one term object, shared by its rows."""
    memo: dict[Packed, Term] = {}
    out: list[tuple[Term | None, ...]] = []
    for row in rows:
        cells: list[Term | None] = []
        for cell in row:
            if cell is None:
                cells.append(None)
                continue
            term = memo.get(cell)
            if term is None:
                term = memo[cell] = _unpack(cell)
            cells.append(term)
        out.append(tuple(cells))
    return tuple(out)


def unpack_triples(rows: list[tuple[Packed, Packed, Packed]]) -> tuple[Triple, ...]:
    return tuple(Triple(s, p, o) for s, p, o in unpack_rows(rows))  # type: ignore[arg-type]


def _unpack(cell: Packed) -> Term:
    if isinstance(cell, str):
        return IRI(cell)
    if isinstance(cell, bytes):
        return BlankNode(cell.decode("utf-8"))
    if len(cell) == 1:
        return Literal(cell[0])
    if len(cell) == 2:
        return Literal(cell[0], datatype=cell[1])
    return Literal(cell[0], language=cell[2])


def pack_rows(  # pragma: no cover - child side (the caller's tests cover it through the worker)
    items: Any, max_rows: int, terms: Any
) -> tuple[list[tuple[Packed | None, ...]], bool]:
    """Solutions (or triples) as tuples of packed terms, stopping one past the cap."""
    import pyoxigraph as ox

    from kgexplorer.terms import XSD_STRING

    named, literal, blank = ox.NamedNode, ox.Literal, ox.BlankNode

    def pack(term: Any) -> Packed | None:
        kind = type(term)
        if kind is named:
            return str(term.value)
        if term is None:
            return None
        if kind is literal:
            if term.language:
                return (term.value, None, term.language)
            datatype = term.datatype.value
            return (term.value,) if datatype == XSD_STRING else (term.value, datatype)
        if kind is blank:
            return str(term.value).encode("utf-8")
        raise TypeError(f"unsupported RDF term {term!r} (RDF-star triple terms are not supported)")

    rows: list[tuple[Packed | None, ...]] = []
    for item in items:
        if len(rows) >= max_rows:
            return rows, True
        rows.append(tuple([t.value if type(t) is named else pack(t) for t in terms(item)]))
    return rows, False
