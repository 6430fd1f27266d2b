"""RDF/XML is read once, by expat, and Oxigraph parses what expat read: UTF-8 XML without a DTD.

Why one parser: the loader used to run expat as a check and then give Oxigraph the original file. The two
read it differently, and the check stopped quietly at its first error. A comment holding ``--`` before the
DOCTYPE ended the check at once, and Oxigraph then expanded an entity bomb by itself (a 107 KB file to 5.9 GB)
or parsed 30,000 nested levels in quadratic time (16 s); a file cut inside a text node loaded 16 of its 20
triples and reported success (issue 12). Now :class:`CleanXml` reads the whole file with expat and writes the
same document again, which is what Oxigraph parses:

* every expat error is a :class:`~kgexplorer.errors.GraphLoadError` (file, line, column), found before
  Oxigraph gives its last triple, so nothing of such a file is ever kept;
* internal entities are expanded here, and the document may grow by entity expansion to at most
  ``max_xml_expansion`` times its size (files under 1 MiB count as 1 MiB); expat's own amplification limit
  (100 times, past 8 MiB) still stops a bomb inside one attribute value first;
* elements may nest ``max_xml_depth`` levels (Oxigraph's RDF/XML parser is quadratic in depth);
* external entities are refused, an external DTD is never read, and an entity the file does not declare is
  an error, also inside an attribute value (where expat would drop it silently);
* the DOCTYPE, comments and processing instructions are left out, the text is UTF-8 whatever the file's
  encoding, and every element starts on the line it had in the file, so Oxigraph's own errors (a bad IRI, an
  undeclared prefix) name the file's line. Elements are written as start and end tags (``<a></a>`` for
  ``<a/>``, the same in RDF/XML), attributes in their order, with the values expat gave (defaults from the
  DTD's ATTLIST included, as XML says).

>>> import io
>>> doc = b'<!DOCTYPE r [<!ENTITY ex "http://example.org/">]>\\n<r a="&ex;x"><!-- note -->t</r>'
>>> CleanXml(io.BytesIO(doc), "doc.rdf", max_depth=10, max_expansion=10).read()
b'\\n<r a="http://example.org/x">t</r>\\n'
"""

from __future__ import annotations

import os
import re
from typing import IO, Any

from kgexplorer.errors import GraphLoadError

__all__ = ["CleanXml"]

_MIB = 1 << 20
_CHUNK = 1 << 16
# Text is handed over in pieces of this size at most (expat gathers text up to its buffer size).
_TEXT_BUFFER = 1 << 16
_SCAN_OVERLAP = 4096
_PREDEFINED = frozenset({"lt", "gt", "amp", "apos", "quot"})
# An entity reference in the raw bytes (only scanned for when the file names an external DTD; see _scan).
_REFERENCE = re.compile(rb"&([^\s&;#<>\"'=/]+);")
_ATTRIBUTE_ESCAPES = str.maketrans(
    {"&": "&amp;", "<": "&lt;", '"': "&quot;", "\t": "&#9;", "\n": "&#10;", "\r": "&#13;"}
)
_TEXT_SPECIAL = re.compile(r"[&<>\r]")
_ATTRIBUTE_SPECIAL = re.compile(r'[&<"\t\n\r]')
_TEXT_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", "\r": "&#13;"})


class CleanXml:
    """A binary file-like object: ``read()`` returns the document ``source`` holds, as expat read it.

    ``name`` names the file in error messages. ``max_depth`` and ``max_expansion`` are the
    ``max_xml_depth`` and ``max_xml_expansion`` settings. Reading raises
    :class:`~kgexplorer.errors.GraphLoadError` at the first problem; the text handed out before it must be
    thrown away with everything parsed from it (every loader parses into a store of its own and drops it).
    """

    def __init__(self, source: IO[bytes], name: str, *, max_depth: int, max_expansion: int) -> None:
        import pyexpat

        self._source = source
        self._name = name
        self._short = os.path.basename(name)
        self._max_depth = max_depth
        self._max_expansion = max_expansion
        self._parts: list[str] = []  # text written and not yet encoded
        self._pending = 0  # characters in _parts
        self._out = bytearray()  # text encoded and not yet handed out
        self._written = 0  # characters of text produced so far (handed out or not)
        self._line = 1  # the line the output is on
        self._depth = 0
        self._open = False  # a start or end tag is written up to its closing ">"
        self._root_started = False
        self._utf16 = False
        self._done = False
        self._declared: set[str] = set()
        self._external_dtd: str | None = None
        self._scan_from = -1  # input offset where the scan for undeclared entities starts (external DTD only)
        self._fed = 0  # input bytes given to expat
        self._fed_lines = 0  # newlines in the input bytes before the scan window
        self._window = b""  # the end of the input already scanned, so a reference split across reads is seen
        self._allowed = max_expansion * _MIB  # characters the text may reach before the next expansion check
        parser = pyexpat.ParserCreate()
        parser.ordered_attributes = True
        parser.buffer_text = True
        parser.buffer_size = _TEXT_BUFFER
        parser.SetParamEntityParsing(pyexpat.XML_PARAM_ENTITY_PARSING_NEVER)
        parser.StartDoctypeDeclHandler = self._doctype
        parser.EndDoctypeDeclHandler = self._doctype_end
        parser.EntityDeclHandler = self._entity
        parser.SkippedEntityHandler = self._skipped
        parser.StartElementHandler = self._start
        parser.EndElementHandler = self._end
        parser.CharacterDataHandler = self._text
        self._parser = parser

    # ------------------------------------------------------------------ the file-like side
    def read(self, size: int = -1) -> bytes:
        """Up to ``size`` bytes of the document (all of it when ``size`` is negative); ``b""`` at its end."""
        while not self._done and (size < 0 or len(self._out) + self._pending < size):
            self._feed()
        if self._parts:
            self._out += "".join(self._parts).encode("utf-8")
            self._parts.clear()
            self._pending = 0
        if size < 0 or size >= len(self._out):
            data = bytes(self._out)
            self._out.clear()
        else:
            data = bytes(self._out[:size])
            del self._out[:size]
        return data

    def readable(self) -> bool:
        return True

    # ------------------------------------------------------------------ feeding expat
    def _feed(self) -> None:
        import pyexpat

        try:
            chunk = self._source.read(_CHUNK)
        except GraphLoadError:
            raise  # e.g. a gzip file past max_decompressed_mb: its own message
        except (OSError, EOFError, ValueError) as exc:
            raise GraphLoadError(
                f"cannot read {self._short}: {exc}; check that it is a complete file", path=self._name
            ) from None
        except Exception as exc:  # zlib.error and the like from a damaged gzip stream
            raise GraphLoadError(
                f"cannot read {self._short}: {exc}; check that it is a complete file", path=self._name
            ) from None
        if self._fed == 0:
            self._utf16 = chunk[:2] in (b"\xff\xfe", b"\xfe\xff", b"<\x00", b"\x00<")
        try:
            self._parser.Parse(chunk, not chunk)
        except pyexpat.ExpatError as exc:
            raise self._expat_error(exc) from None
        except LookupError as exc:  # an encoding Python does not know, raised by pyexpat's encoding handler
            encoding = str(exc).rsplit(": ", 1)[-1]
            raise GraphLoadError(
                f"{self._short} declares the encoding {encoding!r}, which kgexplorer cannot read; save the file "
                'as UTF-8 (with encoding="UTF-8" in its XML declaration)',
                path=self._name,
                line=1,
            ) from None
        except (UnicodeError, ValueError) as exc:
            raise GraphLoadError(
                f"{self._short} cannot be decoded as the encoding it declares ({exc}); save the file as UTF-8",
                path=self._name,
            ) from None
        if self._external_dtd is not None:
            self._scan(chunk)
        self._fed += len(chunk)
        if not chunk:
            self._close_tag(self._line)
            self._write("\n")
            self._done = True

    def _expat_error(self, exc: Any) -> GraphLoadError:
        import pyexpat

        codes = pyexpat.errors.codes
        line, column = exc.lineno, exc.offset + 1
        if exc.code == codes[pyexpat.errors.XML_ERROR_AMPLIFICATION_LIMIT_BREACH]:
            return GraphLoadError(
                f"{self._short} declares XML entities that expand to far more text than the file holds (an entity "
                f"expansion or 'billion laughs' attack) at line {line}; it is not loaded. Remove the nested "
                "<!ENTITY> declarations",
                path=self._name,
                line=line,
                column=column,
            )
        reason = pyexpat.errors.messages[exc.code]
        cut = (codes[pyexpat.errors.XML_ERROR_NO_ELEMENTS], codes[pyexpat.errors.XML_ERROR_UNCLOSED_TOKEN])
        if exc.code in cut and self._depth > 0:
            return GraphLoadError(
                f"{self._short} ends before its XML does (line {line}, column {column}: {reason}, "
                f"{self._depth} element(s) still open); the file looks cut short, so nothing of it was "
                "loaded. Download or export it again",
                path=self._name,
                line=line,
                column=column,
            )
        return GraphLoadError(
            f"{self._short} is not well-formed XML at line {line}, column {column}: {reason}; nothing of it was "
            "loaded. Fix the XML (an XML editor or xmllint --noout shows the problem)",
            path=self._name,
            line=line,
            column=column,
        )

    def _scan(self, chunk: bytes) -> None:
        """With an external DTD, expat drops an undeclared entity inside an attribute value without a word;
        so every reference after the DOCTYPE must name an entity the file declares (or XML predefines)."""
        window = self._window + chunk
        start = self._fed + len(chunk) - len(window)  # the input offset of window[0]
        if self._scan_from >= 0:
            for match in _REFERENCE.finditer(window, max(0, self._scan_from - start)):
                name = match.group(1).decode("utf-8", "replace")
                if name not in self._declared and name not in _PREDEFINED:
                    line = self._fed_lines + window.count(b"\n", 0, match.start()) + 1
                    raise self._undeclared(name, line)
        # A reference cut by the end of this read is matched next time, from the kept end (which is scanned
        # again: harmless, as every reference in it passed).
        keep = window[-_SCAN_OVERLAP:]
        self._fed_lines += window.count(b"\n", 0, len(window) - len(keep))
        self._window = keep

    # ------------------------------------------------------------------ expat's handlers
    def _doctype(self, _name: str, system_id: str | None, public_id: str | None, _internal: int) -> None:
        if system_id is not None or public_id is not None:
            self._external_dtd = system_id or public_id
            if self._utf16:
                raise GraphLoadError(
                    f"{self._short} is UTF-16 and names an external DTD, which kgexplorer cannot check for "
                    "entities it would need; save the file as UTF-8",
                    path=self._name,
                    line=self._parser.CurrentLineNumber,
                )

    def _doctype_end(self) -> None:
        if self._external_dtd is not None:
            self._scan_from = self._parser.CurrentByteIndex

    def _entity(
        self,
        name: str,
        is_parameter: int,
        _value: str | None,
        _base: str | None,
        system_id: str | None,
        public_id: str | None,
        _notation: str | None,
    ) -> None:
        if system_id is not None or public_id is not None:
            raise GraphLoadError(
                f"{self._short} declares an external XML entity ({name} = {system_id or public_id}), which "
                "kgexplorer never reads: it would fetch a URL or read a local file. Put the text into the file "
                "itself, or remove the <!ENTITY> declaration",
                path=self._name,
                line=self._parser.CurrentLineNumber,
                column=self._parser.CurrentColumnNumber + 1,
            )
        if not is_parameter:
            self._declared.add(name)

    def _skipped(self, name: str, is_parameter: int) -> None:
        raise self._undeclared(("%" if is_parameter else "") + name, self._parser.CurrentLineNumber)

    def _undeclared(self, name: str, line: int) -> GraphLoadError:
        where = f" (it may be in the external DTD {self._external_dtd}, which kgexplorer never reads)"
        return GraphLoadError(
            f"{self._short} uses the XML entity &{name}; at line {line}, which is not declared in the file"
            f"{where if self._external_dtd else ''}; declare it in the file's <!DOCTYPE [ … ]> or write its text "
            "in place",
            path=self._name,
            line=line,
        )

    def _start(self, name: str, attributes: list[str]) -> None:
        self._depth += 1
        if self._depth > self._max_depth:
            raise GraphLoadError(
                f"{self._short} nests XML elements more than {self._max_depth:,} levels deep (the max_xml_depth "
                "setting); flatten the RDF/XML (give nested resources their own rdf:Description), convert it to "
                "Turtle, or raise the setting",
                path=self._name,
                line=self._parser.CurrentLineNumber,
                column=self._parser.CurrentColumnNumber + 1,
            )
        self._close_tag(self._parser.CurrentLineNumber)
        self._root_started = True
        if attributes:
            parts = ["<", name]
            special = _ATTRIBUTE_SPECIAL.search
            for i in range(0, len(attributes), 2):
                value = attributes[i + 1]
                parts += [
                    " ",
                    attributes[i],
                    '="',
                    value.translate(_ATTRIBUTE_ESCAPES) if special(value) else value,
                    '"',
                ]
            tag = "".join(parts)
        else:
            tag = "<" + name
        # No newline can be in a tag written here (names have none, values have theirs escaped): no line count.
        self._parts.append(tag)
        self._pending += len(tag)
        self._written += len(tag)
        self._open = True
        if self._written > self._allowed:
            self._check_expansion()

    def _end(self, name: str) -> None:
        self._depth -= 1
        line = self._parser.CurrentLineNumber
        if line > self._line or not self._open:
            self._close_tag(line)
            tag = "</" + name
        else:
            tag = "></" + name
        self._parts.append(tag)
        self._pending += len(tag)
        self._written += len(tag)
        self._open = True

    def _text(self, text: str) -> None:
        # With buffer_text, expat hands text over when the next markup starts, at that markup's position: so
        # the text must end on the parser's current line. Newlines written as &#10; in the file count as
        # lines here; as many are written raw as the file has lines, the rest as &#10; (the same character).
        end_line = self._parser.CurrentLineNumber
        newlines = text.count("\n")
        if self._open:
            self._close_tag(end_line - newlines)
        escaped = text.translate(_TEXT_ESCAPES) if _TEXT_SPECIAL.search(text) else text
        raw = min(newlines, end_line - self._line)
        if raw < newlines:
            raw = max(raw, 0)
            pieces = escaped.split("\n")
            escaped = "\n".join(pieces[: raw + 1]) + "".join("&#10;" + p for p in pieces[raw + 1 :])
        self._parts.append(escaped)
        self._pending += len(escaped)
        self._written += len(escaped)
        self._line += raw
        if self._written > self._allowed:
            self._check_expansion()

    # ------------------------------------------------------------------ writing
    def _close_tag(self, line: int) -> None:
        """End the open tag (if any) so that what follows starts on ``line`` of the file, when it can.

        The newlines go inside the tag, before its ">", where XML allows white space, or before the root
        element, in place of the declarations left out; never into text.
        """
        if line > self._line and (self._open or not self._root_started):
            self._write("\n" * (line - self._line))
        if self._open:
            self._parts.append(">")
            self._pending += 1
            self._written += 1
            self._open = False

    def _write(self, text: str) -> None:
        self._parts.append(text)
        self._pending += len(text)
        self._written += len(text)
        self._line += text.count("\n")

    def _check_expansion(self) -> None:
        """Refuse a file grown past max_xml_expansion times its size so far (in characters; at least 1 MiB).

        The handlers call this only past the last allowance computed, so it costs nothing per element.
        """
        self._allowed = self._max_expansion * max(self._parser.CurrentByteIndex, _MIB)
        if self._written > self._allowed:
            raise GraphLoadError(
                f"{self._short} declares XML entities that expand it to more than {self._max_expansion} times its "
                f"size (at line {self._parser.CurrentLineNumber}; the max_xml_expansion setting; files under 1 MiB "
                "count as 1 MiB): an entity expansion or 'billion laughs' attack, or entities used very heavily. "
                "It is not loaded. Remove the nested <!ENTITY> declarations, or raise the setting",
                path=self._name,
                line=self._parser.CurrentLineNumber,
                column=self._parser.CurrentColumnNumber + 1,
            )
