"""A query's answer written by the engine: the endpoint's formats, with the row and byte caps kept while writing.

The endpoint never turns a result into Python objects: the query worker has pyoxigraph write it in the
format the client asked for (:func:`write_answer`), and the endpoint passes the bytes through. Two caps
apply while writing, so a huge result costs neither the worker nor the endpoint more than the caps:

* ``max_rows`` (the max_result_rows setting) cuts the result and marks it cut.

  JSON and XML, the endpoint's usual formats, are written directly while their rows are counted in the
  written bytes (:class:`_CountedSink`). In compact SPARQL JSON every row object stands in the ``bindings``
  array and so starts with ``[{`` (the first) or ``,{``; no other structural ``{`` follows ``[`` or ``,``, but
  the two bytes may occur inside a string, so the count of ``,{`` plus one is an upper bound of the rows.
  While the bound is within the cap the JSON is the answer; past it the bytes so far are counted exactly,
  skipping strings, and the text is cut before the first row past the cap and closed (``]}}``). In SPARQL
  XML ``<`` never stands in text or in an attribute value (it is written ``&lt;``), so ``<result>`` counts
  the rows exactly. Writing stops at the row after the cap, as below.

  A whole answer not of the shape expected (a pyoxigraph that wrote otherwise; a test pins the shape) is
  read back and takes the way of CSV and TSV: these go through SPARQL TSV (CONSTRUCT and DESCRIBE
  through N-Triples), where Oxigraph writes exactly one line per row or triple (line breaks inside values
  are escaped); writing stops at the row after the cap, the text is cut at the cap, and pyoxigraph reads it
  back and writes the asked-for format. Every step is native code.
* ``max_bytes`` (max_result_mb) ends the writing as soon as the answer grows past it: the answer is then
  refused as too large, never sent cut in the middle.

The format names are the endpoint's ``format=`` names (see :mod:`kgexplorer.server.protocol`).

>>> import pyoxigraph as ox
>>> store = ox.Store()
>>> store.add(ox.Quad(ox.NamedNode("http://e/a"), ox.NamedNode("http://e/p"), ox.Literal("x")))
>>> store.add(ox.Quad(ox.NamedNode("http://e/b"), ox.NamedNode("http://e/p"), ox.Literal("y")))
>>> found = write_answer(store.query("SELECT ?s WHERE { ?s ?p ?o } ORDER BY ?s"), select_format="csv",
...                      graph_format=None, max_rows=1, max_bytes=1000)
>>> found.kind, found.format, found.truncated, b"".join(found.chunks)
('select', 'csv', True, b's\\r\\nhttp://e/a\\r\\n')
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .scheduler import Visit

__all__ = [
    "GRAPH_FORMAT_NAMES",
    "RESULT_FORMAT_NAMES",
    "Answer",
    "Written",
    "send_lines",
    "write_answer",
    "write_triples",
]

#: The formats of a SELECT or ASK answer, by ``format=`` name.
RESULT_FORMAT_NAMES = ("json", "xml", "csv", "tsv")
#: The formats of a CONSTRUCT or DESCRIBE answer, by ``format=`` name: every RDF format pyoxigraph writes
#: (the quad formats, N-Quads and TriG, carry the triples in the default graph).
GRAPH_FORMAT_NAMES = ("turtle", "nt", "jsonld", "rdfxml", "n3", "nquads", "trig")

# Characters XML 1.0 cannot carry, as UTF-8 (C0 controls but tab, newline and return; U+FFFE and U+FFFF).
_XML_FORBIDDEN = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f]|\xef\xbf[\xbe\xbf]")


@dataclass
class Written:
    """An answer as written: its kind (``select``, ``ask`` or ``graph``), the format (None: the client accepts
    no format of this kind), the bytes in chunks, and whether it was cut at the row cap. ``problem`` says
    why the chosen format cannot carry this answer; ``too_large`` that it grew past the byte cap."""

    kind: str
    format: str | None
    chunks: list[bytes] = field(default_factory=list)
    truncated: bool = False
    problem: str | None = None
    too_large: bool = False

    @property
    def size(self) -> int:
        """The answer's length in bytes."""
        return sum(len(c) for c in self.chunks)


@dataclass
class Answer:
    """A query's answer as a worker wrote it (:class:`Written`), back in the caller, to send as it is.

    ``kind`` is ``select``, ``ask`` or ``graph``; ``format`` the ``format=`` name it is written in (None:
    the client accepts no format of this kind); ``chunks`` the bytes (taken from the front as they are
    sent); ``problem`` why the chosen format could not carry it. :meth:`close` ends the client's request.
    """

    kind: str
    format: str | None
    chunks: list[bytes]
    size: int
    truncated: bool
    row_limit: int
    elapsed_s: float
    problem: str | None = None
    visit: Visit | None = None

    def close(self) -> None:
        """Drop the bytes and end the client's request (it no longer counts against the client)."""
        self.chunks = []
        if self.visit is not None:
            self.visit.leave()


class _Enough(Exception):
    """The row cap was passed: the writer has what it needs."""


class _TooLarge(Exception):
    """The answer grew past the byte cap."""


class _Sink:
    """A binary file for pyoxigraph to write into, keeping at most ``max_bytes`` and ``lines`` line breaks.

    With ``lines``, writing stops (:class:`_Enough`) once anything follows the last line break kept, which
    proves there was more; the chunks then end exactly after that line break.
    """

    def __init__(
        self, *, max_bytes: int, lines: int | None = None, send: Callable[[bytes], None] | None = None
    ) -> None:
        self.max_bytes = max_bytes
        self.lines_left = lines
        self.send = send  # each chunk kept goes there at once instead of into chunks
        self.chunks: list[bytes] = []
        self.size = 0
        self.full = False  # every line wanted is kept; any further byte means the result was cut

    def write(self, data: Any) -> int:
        chunk = bytes(data)
        if not chunk:
            return 0
        if self.full:
            raise _Enough
        if self.lines_left is not None:
            found = chunk.count(b"\n")
            if found >= self.lines_left:
                end = -1
                for _ in range(self.lines_left):
                    end = chunk.index(b"\n", end + 1)
                cut = chunk[: end + 1]
                self._keep(cut)
                self.full = True
                if len(cut) < len(chunk):
                    raise _Enough
                return len(chunk)
            self.lines_left -= found
        self._keep(chunk)
        return len(chunk)

    def _keep(self, chunk: bytes) -> None:
        self.size += len(chunk)
        if self.size > self.max_bytes:
            raise _TooLarge
        if self.send is None:
            self.chunks.append(chunk)
        else:
            self.send(chunk)

    def flush(self) -> None:
        pass


# Compact SPARQL JSON as pyoxigraph writes it: the head, the bindings array, one object per row in it.
_JSON_HEAD = b'{"head":{"vars":['
_JSON_ROWS = b']},"results":{"bindings":['
_HEAD_MAX = 1 << 16  # a head longer than this (thousands of variables) is not checked but read back
_JSON_END = b"]}}"
# From where a row's count goes on to just after the next row's start: for JSON, anything but a string, "[" or
# ",", or a whole string (so that a row's start inside one is skipped), or "[" or "," not starting a row; a
# string still open at the end of the bytes so far ends the match. For XML, anything before "<result>".
# Possessive: a failed match does not try again inside what it passed.
_JSON_ROW = re.compile(rb'(?:[^"\[,]++|"(?:[^"\\]++|\\.)*+"|[\[,](?!\{))*+[\[,]\{')
_XML_HEAD = b'<?xml version="1.0"?><sparql '
_XML_ROWS = b"</head><results>"
_XML_END = b"</results></sparql>"
_XML_ROW = re.compile(rb"(?:[^<]++|<(?!result>))*+<result>")


class _CountedSink:
    """A binary file for pyoxigraph to write SPARQL JSON or XML results into, counting the rows as they come.

    Keeps at most ``max_bytes`` (:class:`_TooLarge`) and stops (:class:`_Enough`) at the first row past
    ``max_rows``, with :attr:`cut` then set to the answer of the first ``max_rows`` rows. The cheap count
    (:meth:`bytes.count` of the bytes that start a row) is exact for XML and an upper bound for JSON; a JSON
    bound past the cap is checked by counting exactly (:meth:`_count_exactly`), from the last row start
    counted so, and replaced by the exact count when the cap still holds.
    """

    def __init__(self, *, json: bool, max_rows: int, max_bytes: int) -> None:
        self.json = json
        # A JSON row's start is "[{" only for the first row: "," and 1 for it halves the counting (C-speed, but
        # at about 0.5 GB/s per pattern here, a measurable share of writing).
        self.start = b",{" if json else b"<result>"
        self.row = _JSON_ROW if json else _XML_ROW
        self.max_rows = max_rows
        self.max_bytes = max_bytes
        self.chunks: list[bytes] = []
        self.size = 0
        self.rows = 1 if json else 0  # the bound: at least as many rows as the bytes so far hold
        self.tail = b""  # the last bytes so far, for a row start split between two chunks
        self.buffer: bytearray | None = None  # every byte so far, once an exact count was needed
        self.exact_at = 0  # where the exact count goes on: just after a row start, outside any string
        self.exact_rows = 0  # the rows started before exact_at
        self.cut: bytes | None = None
        self.head = b""  # the first bytes, until the head's shape is known
        self.shaped: bool | None = None  # whether the head is of the shape expected (None: not yet known)

    def write(self, data: Any) -> int:
        chunk = bytes(data)
        if not chunk:
            return 0
        if self.cut is not None:
            raise _Enough
        width = len(self.start) - 1
        edge = self.tail + chunk[:width]  # only a start split by the boundary fits in it whole
        self.rows += chunk.count(self.start) + edge.count(self.start)
        self.tail = chunk[-width:] if len(chunk) >= width else (self.tail + chunk)[-width:]
        if self.buffer is not None:
            self.buffer += chunk
        if self.shaped is None:  # the head comes first, before any row
            self.head += chunk
            self.shaped = self._head_shape()
        if self.rows > self.max_rows and self.shaped:
            if self.buffer is None:
                self.buffer = bytearray(b"".join(self.chunks))
                self.buffer += chunk
            self.cut = self._count_exactly()
            if self.cut is not None:
                if len(self.cut) > self.max_bytes:
                    raise _TooLarge
                raise _Enough
            self.rows = self.exact_rows + (self.json and self.exact_rows == 0)  # the first row: "[{"
        # Every row so far is within the cap, so whatever the answer, it holds these bytes.
        self.size += len(chunk)
        if self.size > self.max_bytes:
            raise _TooLarge
        self.chunks.append(chunk)
        return len(chunk)

    def _count_exactly(self) -> bytes | None:
        """Counts the rows started in the bytes so far into :attr:`exact_rows`; past the cap, returns the
        answer of the rows within it."""
        assert self.buffer is not None
        while self.exact_rows <= self.max_rows:
            found = self.row.match(self.buffer, self.exact_at)  # anchored: exact_at is outside any string
            if found is None:
                break
            self.exact_rows += 1
            self.exact_at = found.end()
        if self.exact_rows <= self.max_rows:
            return None
        start = self.exact_at - len(self.start)  # the first row past the cap
        if self.json:  # keep the array's "[" before the first row; drop the "," before any other
            start += self.buffer[start] == ord("[")
            return bytes(self.buffer[:start]) + _JSON_END
        return bytes(self.buffer[:start]) + _XML_END

    def flush(self) -> None:
        pass

    def _head_shape(self) -> bool | None:
        """Whether the answer begins as the counting expects, up to the first row or the end of the rows
        (pretty-printed or otherwise different bytes do not); None while that is not yet written."""
        if self.json:  # a variable's name holds no "]"
            rows_at = self.head.find(b"]") + len(_JSON_ROWS)
            start, rows = _JSON_HEAD, _JSON_ROWS
        else:
            rows_at = self.head.find(_XML_ROWS) + len(_XML_ROWS)
            start, rows = _XML_HEAD, _XML_ROWS
        after = (b"{", b"]") if self.json else (b"<r", b"</")  # a row or the end of the rows
        if rows_at == len(rows) - 1 or len(self.head) < rows_at + len(after[0]):
            return None if len(self.head) < _HEAD_MAX else False
        return (
            self.head.startswith(start)
            and self.head[rows_at - len(rows) : rows_at] == rows
            and self.head[rows_at : rows_at + len(after[0])] in after
        )

    def whole_ok(self) -> bool:
        """Whether the whole answer written is of the shape the counting relies on."""
        end = _JSON_END if self.json else _XML_END
        last = b""
        for chunk in reversed(self.chunks):  # the chunks may be tiny
            last = chunk + last
            if len(last) >= len(end):
                break
        return self.shaped is True and last.endswith(end)


def write_answer(
    result: Any, *, select_format: str | None, graph_format: str | None, max_rows: int, max_bytes: int
) -> Written:
    """Write a pyoxigraph query result in the format asked for its kind, keeping both caps.

    Raises what pyoxigraph raises while the query runs (the result is evaluated as it is written).
    """
    import pyoxigraph as ox

    if isinstance(result, ox.QueryBoolean):
        if select_format is None:
            return Written("ask", None)
        return _final(
            Written("ask", select_format), max_bytes, lambda sink: result.serialize(sink, _results(select_format))
        )
    if isinstance(result, ox.QuerySolutions):
        if select_format is None:
            return Written("select", None)
        if select_format in ("json", "xml"):
            direct = _write_counted(result, select_format, max_rows=max_rows, max_bytes=max_bytes)
            if isinstance(direct, Written):
                return direct
            result = direct  # not of the shape expected: the whole answer, read back
        lines, truncated = _lines(
            lambda sink: result.serialize(sink, ox.QueryResultsFormat.TSV), max_rows + 1, max_bytes
        )
        written = Written("select", select_format, truncated=truncated)
        if lines is None:
            written.too_large = True
            return written
        if select_format == "tsv":
            return _final(written, max_bytes, lambda sink: sink.write(lines))
        solutions = ox.parse_query_results(lines, format=ox.QueryResultsFormat.TSV)
        return _final(written, max_bytes, lambda sink: solutions.serialize(sink, _results(select_format)))
    if graph_format is None:
        return Written("graph", None)
    lines, truncated = _lines(lambda sink: result.serialize(sink, ox.RdfFormat.N_TRIPLES), max_rows, max_bytes)
    written = Written("graph", graph_format, truncated=truncated)
    if lines is None:
        written.too_large = True
        return written
    if graph_format == "nt":
        return _final(written, max_bytes, lambda sink: sink.write(lines))
    triples = ox.parse(lines, format=ox.RdfFormat.N_TRIPLES)
    return _final(written, max_bytes, lambda sink: write_triples(triples, sink, graph_format))


def send_lines(result: Any, send: Callable[[bytes], None], *, max_rows: int, max_bytes: int) -> Written:
    """Write a pyoxigraph result a row a line, each piece handed to ``send`` as soon as it is written: a SELECT's
    as SPARQL TSV (its header first), a CONSTRUCT's or DESCRIBE's as N-Triples.

    The caps are kept as :func:`write_answer` keeps them: the pieces end after ``max_rows`` rows or triples
    (``truncated`` when more followed), and writing stops as soon as the answer would grow past ``max_bytes``
    (``too_large``; the piece that crossed the cap is not sent, the ones before it were). The returned
    :class:`Written` holds no chunks. Raises what pyoxigraph raises while the query runs.

    >>> import pyoxigraph as ox
    >>> store = ox.Store()
    >>> store.add(ox.Quad(ox.NamedNode("http://e/a"), ox.NamedNode("http://e/p"), ox.Literal("x")))
    >>> pieces = []
    >>> send_lines(store.query("SELECT ?o WHERE { ?s ?p ?o }"), pieces.append, max_rows=5, max_bytes=99).truncated
    False
    >>> b"".join(pieces)
    b'?o\\n"x"\\n'
    """
    import pyoxigraph as ox

    select = isinstance(result, ox.QuerySolutions)
    sink = _Sink(max_bytes=max_bytes, lines=max_rows + select, send=send)  # a TSV header is a line too
    written = Written("select", "tsv") if select else Written("graph", "nt")
    try:
        result.serialize(sink, ox.QueryResultsFormat.TSV if select else ox.RdfFormat.N_TRIPLES)
    except _Enough:
        written.truncated = True
    except _TooLarge:
        written.too_large = True
    return written


def write_triples(triples: Any, sink: Any, name: str) -> None:
    """Write pyoxigraph triples into a binary file in the graph format called ``name`` (:data:`GRAPH_FORMAT_NAMES`).

    Formats with prefixed names (Turtle, TriG, N3, RDF/XML) use the project's prefixes.

    >>> import io
    >>> import pyoxigraph as ox
    >>> out = io.BytesIO()
    >>> triple = ox.Triple(ox.NamedNode("http://e/a"), ox.NamedNode("http://e/p"), ox.Literal("x"))
    >>> write_triples([triple], out, "nquads")
    >>> out.getvalue()
    b'<http://e/a> <http://e/p> "x" .\\n'
    """
    import pyoxigraph as ox

    from kgexplorer.namespaces import PREFIXES

    formats = {
        "turtle": ox.RdfFormat.TURTLE,
        "nt": ox.RdfFormat.N_TRIPLES,
        "jsonld": ox.RdfFormat.JSON_LD,
        "rdfxml": ox.RdfFormat.RDF_XML,
        "n3": ox.RdfFormat.N3,
        "nquads": ox.RdfFormat.N_QUADS,
        "trig": ox.RdfFormat.TRIG,
    }
    fmt = formats[name]
    if name == "rdfxml":
        # pyoxigraph writes a carriage return in a value as it is, which every XML reader turns into a line
        # feed; as a character reference it survives. A raw CR can stand nowhere else in its output.
        import io

        buffer = io.BytesIO()
        ox.serialize(triples, buffer, fmt, prefixes=PREFIXES)
        sink.write(buffer.getvalue().replace(b"\r", b"&#13;"))
    elif name in ("turtle", "trig", "n3"):
        ox.serialize(triples, sink, fmt, prefixes=PREFIXES)
    else:
        ox.serialize(triples, sink, fmt)


def _results(name: str) -> Any:
    import pyoxigraph as ox

    formats = {
        "json": ox.QueryResultsFormat.JSON,
        "xml": ox.QueryResultsFormat.XML,
        "csv": ox.QueryResultsFormat.CSV,
        "tsv": ox.QueryResultsFormat.TSV,
    }
    return formats[name]


def _lines(write: Any, lines: int, max_bytes: int) -> tuple[bytes | None, bool]:
    """The first ``lines`` lines ``write`` produces and whether there was more (None: past the byte cap).

    The line-per-row text may be a little larger than the final answer (CSV drops datatypes), so it may
    use twice the cap; the final answer is held to the cap itself.
    """
    sink = _Sink(max_bytes=2 * max_bytes, lines=lines)
    try:
        write(sink)
    except _Enough:
        return b"".join(sink.chunks), True
    except _TooLarge:
        return None, False
    return b"".join(sink.chunks), False


def _final(written: Written, max_bytes: int, write: Any) -> Written:
    sink = _Sink(max_bytes=max_bytes)
    try:
        write(sink)
    except _TooLarge:
        written.too_large = True
        return written
    except (ValueError, OSError) as exc:  # RDF/XML cannot write a predicate that is no XML name
        written.problem = f"the result cannot be written as {written.format} ({exc}); ask for Turtle (format=turtle)"
        return written
    written.chunks = sink.chunks
    return _xml_checked(written)


def _write_counted(result: Any, name: str, *, max_rows: int, max_bytes: int) -> Written | Any:
    """A SELECT result written directly as JSON or XML with its rows counted (:class:`_CountedSink`).

    Returns the :class:`Written` answer, or, when the whole answer is not of the shape the counting relies
    on, its solutions read back from it for the line-per-row way.
    """
    import pyoxigraph as ox

    sink = _CountedSink(json=name == "json", max_rows=max_rows, max_bytes=max_bytes)
    written = Written("select", name)
    try:
        result.serialize(sink, _results(name))
    except _TooLarge:
        written.too_large = True
        return written
    except _Enough:
        assert sink.cut is not None
    if sink.cut is not None:  # stopped at the cap (or a writer swallowed _Enough and ended)
        written.chunks = [sink.cut]
        written.truncated = True
        return _xml_checked(written)
    if not sink.whole_ok():
        return ox.parse_query_results(b"".join(sink.chunks), format=_results(name))
    written.chunks = sink.chunks
    return _xml_checked(written)


def _xml_checked(written: Written) -> Written:
    """The answer, or, for XML holding a character XML 1.0 cannot carry, no bytes and the problem said."""
    if written.format == "xml":
        bad = _XML_FORBIDDEN.search(b"".join(written.chunks))  # joined: a character may span two chunks
        if bad:
            written.chunks = []
            code = ord(bad.group().decode("utf-8"))
            written.problem = (
                f"the result holds the character U+{code:04X}, which XML 1.0 cannot carry; ask for JSON "
                "(format=json) instead"
            )
    return written
