"""How query results cross from a worker to the caller, and become kgexplorer's terms again.

A SELECT answer streams as SPARQL TSV, a CONSTRUCT or DESCRIBE answer as N-Triples, both written by pyoxigraph in
the worker (native code, cut at the row cap by :func:`kgexplorer.engine.serialization.send_lines`), each piece sent
as it is written; the caller reads each piece as it comes (:class:`AnswerReader`), while the worker writes the next.
The caller builds each distinct value once, shared by the rows that hold it.

Why not pickle rows: on Hetionet's 755-row lookup, packing and pickling in the worker took 1.0 ms where pyoxigraph
writes the TSV in 0.36 ms; 50,000 triples of LUBM1 crossed packed and pickled in 1.81 times raw pyoxigraph's time
(docs/decisions/library-query-path.md).

>>> reader = AnswerReader()
>>> reader.feed(b'<http://e/a> <http://e/p> "x y"@en .\\n<http://e/a> <http://e/p> _:b .\\n')
>>> triples = reader.triples()
>>> triples[0].subject is triples[1].subject, triples[0].object, triples[1].object
(True, Literal(value='x y', datatype=None, language='en'), BlankNode(id='b'))
"""

from __future__ import annotations

import collections
import gc
import itertools
import operator
from typing import Any

from kgexplorer.terms import IRI, XSD_STRING, BlankNode, Literal, Term, Triple, from_oxigraph

__all__ = ["AnswerReader"]

_TRIPLE = ("subject", "predicate", "object")
_SPLIT_TRIPLE = operator.methodcaller("split", " ", 2)  # an N-Triples line's subject, predicate, and the rest


class AnswerReader:
    """An answer pyoxigraph writes, read piece by piece while the worker still writes it: a SELECT's SPARQL TSV
    (:meth:`result`) or a CONSTRUCT's or DESCRIBE's N-Triples (:meth:`triples`). The first byte tells which: a TSV
    answer begins with its header (``?``, or a line break when it has no variables), N-Triples with a subject.

    Each piece may end anywhere; its complete lines are read at once (a line break never stands inside a UTF-8
    character, nor inside a cell: Oxigraph writes one line per row or triple and escapes line breaks in literals).
    An N-Triples line is its subject and predicate (neither holds a space), the object, and `` .``: each part is
    then read as a TSV cell, which writes terms the same way.
    Each distinct cell becomes one term, shared by the rows that hold it: IRIs (``<...>``) and plain strings
    without a backslash (an inner quote is always escaped, so the last quote closes the value) are made in bulk,
    blank nodes and other literals without escapes directly, every other cell (escapes, bare numbers and
    booleans, base directions, triple terms) by pyoxigraph's own TSV parser, once per piece.

    :meth:`result` and :meth:`triples` raise ValueError for text that is not such an answer, TypeError for an
    RDF-star triple term (not supported), SyntaxError for a cell pyoxigraph cannot read. After such an error the
    pieces still to come are taken and dropped, so the worker that writes them is read to the end.

    From its first piece until :meth:`result` or :meth:`triples` (or the end of the reader's ``with`` block,
    whichever comes first) Python's cyclic garbage collector is paused, and then left as it was.

    >>> reader = AnswerReader()
    >>> for piece in (b'?s\\t?n\\n<http://e/a>\\t"5"', b'@en\\n<http://e/a>\\t\\n'):
    ...     reader.feed(piece)
    >>> variables, rows = reader.result()
    >>> variables, rows[0][0] is rows[1][0], rows[0][1], rows[1][1]
    (('s', 'n'), True, Literal(value='5', datatype=None, language='en'), None)
    """

    def __init__(self) -> None:
        self.variables: tuple[str, ...] | None = None  # _TRIPLE for N-Triples
        self._carry: list[bytes] = []  # a line begun in earlier pieces (kept apart: a long line costs no copies)
        self._memo: dict[str, Term | None] = {"": None}
        self._terms: list[Term | None] = []
        self._empty_rows = 0  # rows of an answer without variables (SELECT * of no variables)
        self._error: tuple[type[Exception], tuple[Any, ...]] | None = None  # the first error met: its kind, its args
        #: The collector's pause, from the first piece (:meth:`feed`): None before it, then whether the collector
        #: was on, which :meth:`resume_collector` restores once (``_resumed``).
        self._collector_was: bool | None = None
        self._resumed = False

    def __enter__(self) -> AnswerReader:
        return self

    def __exit__(self, *_: object) -> None:
        self.resume_collector()

    def resume_collector(self) -> None:
        """Let Python's cyclic garbage collector run again, if this reader paused it (:meth:`feed`)."""
        if self._collector_was is not None and not self._resumed:
            self._resumed = True
            if self._collector_was:
                gc.enable()

    def feed(self, piece: bytes) -> None:
        """Read the complete lines ``piece`` ends (with what earlier pieces left of their last line)."""
        if self._error is not None or not piece:
            return
        if self._collector_was is None:
            # Paused from the first piece until the rows are made (result, or leaving the reader's ``with``): the
            # collector would otherwise walk every object of the process again and again while they grow, finding
            # nothing (rows and terms hold no cycles). Reading Hetionet's 47,031 labels in a process holding 300,000
            # other objects: 250-411 ms with the collector, 80 ms paused so, 133 ms paused piece by piece
            # (docs/decisions/library-query-path.md).
            # A flag and two calls, not a context manager: a one-row answer is read in a few microseconds.
            self._collector_was = gc.isenabled()
            gc.disable()
        end = piece.rfind(b"\n") + 1
        if not end:
            self._carry.append(piece)
            return
        lines = piece[:end]
        if self._carry:
            lines = b"".join([*self._carry, lines])
            self._carry.clear()
        if end < len(piece):
            self._carry.append(piece[end:])
        try:
            self._read(lines.decode("utf-8"))
        except (ValueError, TypeError, SyntaxError) as exc:  # UnicodeDecodeError is a ValueError
            # Its kind and words only: the exception's traceback holds this reader and the frames that read the
            # piece (a pyoxigraph answer among them), a cycle the collector would free later, maybe on another
            # thread, where pyoxigraph's objects may not be dropped.
            self._error = (type(exc), exc.args)
            self._terms.clear()
            self._memo.clear()

    def result(self) -> tuple[tuple[str, ...], tuple[tuple[Term | None, ...], ...]]:
        """A SELECT's variables and rows; raises the error met on the way, or ValueError for an answer cut short or
        not in TSV. The collector runs again after it."""
        try:
            self._check(triples=False)
            variables = self.variables or ()
            if not variables:
                return variables, ((),) * self._empty_rows
            terms = iter(self._terms)
            return variables, tuple(zip(*[terms] * len(variables), strict=True))
        finally:
            self.resume_collector()

    def triples(self) -> tuple[Triple, ...]:
        """A CONSTRUCT's or DESCRIBE's triples (none when nothing came); raises as :meth:`result` does."""
        try:
            self._check(triples=True)
            terms = self._terms
            made: list[Triple] = list(map(object.__new__, itertools.repeat(Triple, len(terms) // 3)))
            for offset, setter in enumerate(_SET_TRIPLE):  # each part in C, as _iris makes IRIs
                collections.deque(map(setter, made, terms[offset::3]), maxlen=0)
            return tuple(made)
        finally:
            self.resume_collector()

    def _check(self, *, triples: bool) -> None:
        if self._error is not None:
            kind, args = self._error
            raise kind(*args)
        if self._carry:
            raise ValueError("an answer ends with a line break")
        if self.variables is not None and (self.variables is _TRIPLE) != triples:
            raise ValueError(f"the answer is not {'N-Triples' if triples else 'SPARQL TSV'}")

    def _read(self, text: str) -> None:
        if self.variables is None and text[0] not in "?\n":
            self.variables = _TRIPLE
        if self.variables is _TRIPLE:
            lines = text.count("\n")
            # No term holds a line break (Oxigraph escapes it), so each ends a triple, after " .".
            cells = list(itertools.chain.from_iterable(map(_SPLIT_TRIPLE, text[:-3].split(" .\n"))))
            if text.count(" .\n") != lines or len(cells) != 3 * lines or "" in cells:
                raise ValueError("an N-Triples answer has a line that is not one triple")
            self._cells(cells)
            return
        if self.variables is None:
            head, _, text = text.partition("\n")
            self.variables = tuple(name[1:] for name in head.split("\t")) if head else ()
            if not text:
                return
        width = len(self.variables)
        if width == 0:
            self._empty_rows += text.count("\n")
            return
        cells = text[:-1].replace("\n", "\t").split("\t")
        if len(cells) % width:
            raise ValueError(f"a TSV answer of {width} variables has a row of another length")
        self._cells(cells)

    def _cells(self, cells: list[str]) -> None:
        memo = self._memo
        fresh = set(cells).difference(memo)
        if fresh:
            _make_terms(fresh, memo)
        self._terms.extend(map(memo.__getitem__, cells))


def _make_terms(fresh: set[str], memo: dict[str, Term | None]) -> None:
    """Add the term of each ``fresh`` cell to ``memo``."""
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


_INSIDE = operator.itemgetter(slice(1, -1))  # "<iri>" -> "iri", '"text"' -> "text"
# The slots' own setters: a frozen dataclass's __init__ is a Python call per term, these are C (an IRI 0.15 against
# 0.25 µs, measured: a quarter of reading a large answer's cells).
_SET_IRI_VALUE: Any = vars(IRI)["value"].__set__
_SET_LITERAL: tuple[Any, Any, Any] = tuple(vars(Literal)[name].__set__ for name in ("value", "datatype", "language"))
_SET_TRIPLE: tuple[Any, ...] = tuple(vars(Triple)[name].__set__ for name in _TRIPLE)


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
    """The term a TSV cell writes, for the shapes :func:`_make_terms` does not make in bulk (a blank node, a literal
    with a language tag or a datatype); None: let pyoxigraph read it."""
    first = cell[0]
    if "\\" in cell:
        return None
    if first == '"':
        end = cell.rindex('"')
        value, rest = cell[1:end], cell[end + 1 :]
        if rest.startswith("@") and "--" not in rest:  # "--": a base direction, for the parser
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
