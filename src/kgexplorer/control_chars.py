"""Control and invisible characters in data: shown escaped wherever people read text in a terminal or a log.

A label, an IRI or a query is whatever the dataset's author (or a visitor) wrote, and a terminal obeys
some of the characters in it: ESC and the C1 controls start sequences that clear the screen, set the
window title, draw a link that goes elsewhere (OSC 8) or write the clipboard (OSC 52); bidi controls
(U+202E, U+2066–U+2069) and zero-width characters make text read differently from what it is. So:

* text for people (:func:`printable`) shows every such character as an escape (``\\x1b``, ``\\u202e``);
* machine formats keep the data exact and are still safe on a terminal: JSON, Turtle and N-Triples write
  the same characters with their own escapes (:func:`json_safe`, :func:`rdf_safe`), which parse back to
  the same data; CSV and TSV, which have no escapes, are escaped only when written to a terminal (the CLI);
* log lines (:func:`escape_log_records`): every argument of every record; the endpoint's access log
  (:mod:`kgexplorer.server.access_log`) escapes its request lines itself.

"Such characters" are the Unicode categories Cc (C0 and C1 controls, DEL), Cf (format: bidi, zero-width,
soft hyphen, tags), Zl and Zp (line and paragraph separators) and Cs (lone surrogates).

>>> printable("Ketamine\\x1b]0;pwned\\x07 \\u202eevil")
'Ketamine\\\\x1b]0;pwned\\\\x07 \\\\u202eevil'
>>> json_safe('{"label": "a\\u202eb"}')
'{"label": "a\\\\u202eb"}'
"""

from __future__ import annotations

import logging
import unicodedata
from typing import Any

__all__ = ["escape_log_records", "is_unsafe", "json_safe", "printable", "rdf_safe"]

_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp", "Cs"})


def is_unsafe(char: str) -> bool:
    """Whether a terminal may act on ``char``, or it is invisible (see the module docs).

    >>> is_unsafe("\\x1b"), is_unsafe("\\u200b"), is_unsafe("é"), is_unsafe("\\n")
    (True, True, False, True)
    """
    return unicodedata.category(char) in _CATEGORIES


def printable(text: str, *, keep: str = "") -> str:
    """``text`` with every unsafe character but those in ``keep`` shown as a Python-style escape.

    >>> printable("line one\\nline two\\r", keep="\\n")
    'line one\\nline two\\\\r'
    """
    return _replace(text, keep, _python_escape)


def json_safe(text: str) -> str:
    """JSON text with every unsafe character inside its strings written as a ``\\uXXXX`` escape (the same
    JSON value; structural newlines kept). JSON's own structure is ASCII, so this is safe anywhere in it."""
    return _replace(text, "\n", _json_escape)


def rdf_safe(text: str) -> str:
    """N-Triples, N-Quads or Turtle (with full IRIs) with every unsafe character written as a ``\\uXXXX`` or
    ``\\UXXXXXXXX`` escape, which IRIs and strings accept (the same terms); newlines and tabs are kept."""
    return _replace(text, "\n\t", _rdf_escape)


def escape_log_records() -> None:
    """Make every log record of this process escape unsafe characters in its message and arguments.

    For servers: a request path, a query or a label reaches a log line as the client sent it (a 404's
    path, an error's query). Installed once per process; calling it again does nothing.
    """
    factory = logging.getLogRecordFactory()
    if getattr(factory, "_kgexplorer_escapes", False):
        return

    def record(*args: Any, **kwargs: Any) -> logging.LogRecord:
        made = factory(*args, **kwargs)
        if isinstance(made.msg, str):
            made.msg = printable(made.msg, keep="\n")
        if isinstance(made.args, tuple):
            made.args = tuple(printable(a) if isinstance(a, str) else a for a in made.args)
        elif isinstance(made.args, dict):
            made.args = {k: printable(v) if isinstance(v, str) else v for k, v in made.args.items()}
        return made

    record._kgexplorer_escapes = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(record)


def _replace(text: str, keep: str, escape: Any) -> str:
    stripped = text
    for char in keep:
        stripped = stripped.replace(char, "")
    if stripped.isprintable():  # the common case, in C: nothing to do
        return text
    return "".join(escape(c) if c not in keep and not c.isprintable() and is_unsafe(c) else c for c in text)


_SHORT = {"\t": "\\t", "\n": "\\n", "\r": "\\r"}


def _python_escape(char: str) -> str:
    code = ord(char)
    if char in _SHORT:
        return _SHORT[char]
    if code <= 0xFF:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"


def _json_escape(char: str) -> str:
    code = ord(char)
    if code <= 0xFFFF:
        return f"\\u{code:04x}"
    code -= 0x10000
    return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"


def _rdf_escape(char: str) -> str:
    code = ord(char)
    return f"\\u{code:04X}" if code <= 0xFFFF else f"\\U{code:08X}"
