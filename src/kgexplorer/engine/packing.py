"""How query results cross from a worker to the caller, and become kgexplorer's terms again.

A SELECT answer crosses as SPARQL TSV that pyoxigraph writes in the worker (native code, cut at the row cap by
:func:`kgexplorer.engine.serialization.write_answer`); the caller reads it back with :func:`unpack_tsv`. Triples
(CONSTRUCT, DESCRIBE) cross packed by :func:`pack_rows`: each term as what pickles in C (an IRI is its string, a
literal a tuple, a blank node bytes). Either way the caller builds each distinct value once, shared by the rows
that hold it.

Why not pickle rows for SELECT too: on Hetionet's 755-row lookup, packing and pickling in the worker took 1.0 ms
where pyoxigraph writes the TSV in 0.36 ms, and the whole crossing, worker and caller, took 1.45 against 0.81 ms
(docs/decisions/library-query-path.md).

>>> rows = unpack_rows([("http://e/a", ("x",)), ("http://e/a", ("5", "http://www.w3.org/2001/XMLSchema#integer"))])
>>> rows[0][0] is rows[1][0], rows[1][1]
(True, Literal(value='5', datatype='http://www.w3.org/2001/XMLSchema#integer', language=None))
>>> variables, rows = unpack_tsv([b'?s\\t?n\\n<http://e/a>\\t"5"@en\\n<http://e/a>\\t\\n'])
>>> variables, rows[0][0] is rows[1][0], rows[0][1], rows[1][1]
(('s', 'n'), True, Literal(value='5', datatype=None, language='en'), None)
"""

from __future__ import annotations

import collections
import contextlib
import gc
import itertools
import operator
from collections.abc import Iterator, Sequence
from typing import Any

from kgexplorer.terms import IRI, XSD_STRING, BlankNode, Literal, Term, Triple, from_oxigraph

__all__ = ["Packed", "pack_rows", "unpack_rows", "unpack_triples", "unpack_tsv"]

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


def unpack_tsv(chunks: Sequence[bytes]) -> tuple[tuple[str, ...], tuple[tuple[Term | None, ...], ...]]:
    """The variables and rows of a SELECT answer written as SPARQL TSV by pyoxigraph (an empty cell: unbound).

    Oxigraph writes one line per row and escapes tabs and line breaks inside literals, so splitting at both
    finds every cell. The common terms are read here: an IRI (``<...>``), a blank node, and a quoted literal
    without a backslash (a quote inside one is always escaped, so the last quote closes it). Every other cell
    (escapes, bare numbers and booleans, base directions, triple terms) is read by pyoxigraph's own TSV parser,
    all of them in one call. Raises ValueError for text that is not such an answer, TypeError for an RDF-star
    triple term (not supported, as in :func:`pack_rows`).
    """
    with _collector_paused():
        return _read_tsv(chunks)


def _read_tsv(chunks: Sequence[bytes]) -> tuple[tuple[str, ...], tuple[tuple[Term | None, ...], ...]]:
    text = b"".join(chunks).decode("utf-8")
    head, _, body = text.partition("\n")
    variables = tuple(name[1:] for name in head.split("\t")) if head else ()
    width = len(variables)
    if not body:
        return variables, ()
    if not body.endswith("\n"):
        raise ValueError("a TSV answer ends with a line break")
    if width == 0:  # SELECT * of no variables: one empty line per row
        return variables, ((),) * body.count("\n")
    cells = body[:-1].replace("\n", "\t").split("\t")
    if len(cells) % width:
        raise ValueError(f"a TSV answer of {width} variables has {len(cells)} cells")
    memo: dict[str, Term | None] = {"": None}
    fresh = set(cells).difference(memo)
    iris = [cell for cell in fresh if cell[0] == "<" and cell[1] != "<"]  # "<<": a triple term
    memo.update(zip(iris, _iris(list(map(_INSIDE, iris))), strict=True))  # written as they are, never escaped
    fresh.difference_update(iris)
    # Plain strings without escapes (a quote inside one is written \"): the value is between the two quotes.
    texts = [cell for cell in fresh if cell[0] == '"' and cell[-1] == '"' and len(cell) > 1 and "\\" not in cell]
    memo.update(zip(texts, _plain_literals(list(map(_INSIDE, texts))), strict=True))
    fresh.difference_update(texts)
    others: list[str] = []
    for cell in fresh:
        term = _read_cell(cell)
        if term is None:
            others.append(cell)
        else:
            memo[cell] = term
    if others:
        memo.update(zip(others, _parse_cells(others), strict=True))
    terms = iter(list(map(memo.__getitem__, cells)))
    return variables, tuple(zip(*[terms] * width, strict=True))


_INSIDE = operator.itemgetter(slice(1, -1))  # "<iri>" -> "iri", '"text"' -> "text"
# The slots' own setters: a frozen dataclass's __init__ is a Python call per term, these are C (an IRI 0.15 against
# 0.25 µs, measured: a quarter of reading a large answer's cells).
_SET_IRI_VALUE: Any = vars(IRI)["value"].__set__
_SET_LITERAL: tuple[Any, Any, Any] = tuple(vars(Literal)[name].__set__ for name in ("value", "datatype", "language"))


def _iris(values: list[str]) -> list[IRI]:
    """An :class:`IRI` per value, made without a Python call each (equal to ``IRI(value)``, the same type)."""
    made: list[IRI] = list(map(object.__new__, itertools.repeat(IRI, len(values))))
    collections.deque(map(_SET_IRI_VALUE, made, values), maxlen=0)
    return made


def _plain_literals(values: list[str]) -> list[Literal]:
    """A plain :class:`Literal` per value, made as :func:`_iris` makes IRIs (equal to ``Literal(value)``)."""
    made: list[Literal] = list(map(object.__new__, itertools.repeat(Literal, len(values))))
    set_value, set_datatype, set_language = _SET_LITERAL
    collections.deque(map(set_value, made, values), maxlen=0)
    collections.deque(map(set_datatype, made, itertools.repeat(None)), maxlen=0)
    collections.deque(map(set_language, made, itertools.repeat(None)), maxlen=0)
    return made


def _read_cell(cell: str) -> Term | None:
    """The term a TSV cell writes, for the shapes :func:`_read_tsv` did not make in bulk (a blank node, a literal
    with a language tag or a datatype); None: let pyoxigraph read it."""
    first = cell[0]
    if "\\" in cell:
        return None
    if first == '"':
        end = cell.rindex('"')
        value, rest = cell[1:end], cell[end + 1 :]
        if rest.startswith("@") and "--" not in rest:  # "--": a base direction, which pack_rows never kept either
            return Literal(value, language=rest[1:])
        if rest.startswith("^^<") and rest[-1] == ">":
            datatype = rest[3:-1]
            return Literal(value) if datatype == XSD_STRING else Literal(value, datatype=datatype)
        return None
    if first == "_" and cell[1] == ":":
        return BlankNode(cell[2:])
    return None


def _parse_cells(cells: list[str]) -> list[Term]:
    """Each cell read by pyoxigraph's TSV parser, as one column."""
    import pyoxigraph as ox

    text = "?t\n" + "\n".join(cells) + "\n"
    solutions = ox.parse_query_results(text.encode("utf-8"), format=ox.QueryResultsFormat.TSV)
    assert isinstance(solutions, ox.QuerySolutions)  # a TSV head names variables: never a boolean
    return [from_oxigraph(solution[0]) for solution in solutions]  # TypeError for a triple term


def unpack_triples(rows: list[tuple[Packed, Packed, Packed]]) -> tuple[Triple, ...]:
    with _collector_paused():
        return tuple(Triple(s, p, o) for s, p, o in unpack_rows(rows))  # type: ignore[arg-type]


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector paused while a result's objects are made (as it was before, after).

    Every few hundred new objects the collector runs, and now and then it walks every object the process holds;
    a result makes only tuples and terms, which hold no cycles, so those walks find nothing here. In a process
    holding 300,000 other objects (as the app's does), reading 47,031 rows of Hetionet's labels took 250-411 ms
    with the collector and 150-153 ms without (docs/decisions/library-query-path.md).
    """
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


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
