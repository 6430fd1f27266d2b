"""The lexical view of a SPARQL query text: strings, IRIs and comments masked, and what a linear scan can tell.

The guard (:mod:`kgexplorer.engine.guard`) reads a query two ways: this scan, linear in the length of the text
and mostly in C (regular expressions), and the full parse (rdflib's SPARQL parser, costly). The scan screens
every query in the caller (:data:`BARE_KEYWORD`: a bare SERVICE or FROM is refused without parsing) and, in a
sandboxed query worker, decides alone for the plain queries :func:`plain_form` recognises
(docs/decisions/guard-in-the-sandbox.md).

>>> mask('SELECT * WHERE { ?s ?p "SERVICE" } # FROM')
'SELECT * WHERE { ?s ?p           }       '
>>> plain_form(mask("PREFIX ex: <http://x/> ask { ?s ex:p ?o }"))
'ASK'
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from typing import Any, TypeVar, cast

__all__ = [
    "BARE_KEYWORD",
    "ESCAPES",
    "NEWER_SYNTAX",
    "REMEMBERED_CHARS",
    "TOKENS",
    "has_keyword",
    "mask",
    "native_form",
    "normalise_query",
    "plain_form",
    "remembered",
]

# Strings, IRIs and comments are blanked out before the guard looks for words in the query text, so a
# literal such as "<<" or "foo:" is never mistaken for syntax. Each alternative either matches or is tried
# at most once per position before the next one takes the character, and an unterminated string runs to
# the end of its line (or of the text, for a long string) instead of failing, so the scan is linear in the
# length of the text: a 100,000-character line of '"\\"\\"…' costs no more than any other.
TOKENS = re.compile(
    r"""[^"'<#]+"""
    r'''|"""(?:[^"\\]|\\[\s\S]|"(?!""))*(?:"""|\\?\Z)'''
    r"""|'''(?:[^'\\]|\\[\s\S]|'(?!''))*(?:'''|\\?\Z)"""
    r"""|"(?:[^"\\\n]|\\[^\n])*(?:"|\\?(?=\n)|\\?\Z)"""
    r"""|'(?:[^'\\\n]|\\[^\n])*(?:'|\\?(?=\n)|\\?\Z)"""
    r"""|<[^<>"{}|^`\\\x00-\x20]*>"""
    r"|#[^\n]*"
    r"|[\s\S]",
)
# A bare SERVICE or FROM keyword in the masked text: the lexical screen refuses it without parsing. Only
# a character that can stand before the keyword in valid SPARQL may precede it (never one of a variable,
# prefixed name or language tag, nor an escaped ')' or '*' of a prefixed name), so the screen never
# refuses a query the parser would allow; what it misses (say '.SERVICE') the full parse still refuses.
BARE_KEYWORD = re.compile(r"(?:(?<![^\s{}\]])|(?<=[^\\][)*]))(SERVICE|FROM)(?![\w:\-])", re.IGNORECASE)
# SPARQL 1.2 / RDF-star syntax, which the guard's parser (rdflib: SPARQL 1.1) cannot read.
NEWER_SYNTAX = re.compile(
    r"<<|\{\||\|\}|~|\bVERSION\b|\b(?:TRIPLE|isTRIPLE|SUBJECT|PREDICATE|OBJECT|LANGDIR|hasLANG|hasLANGDIR|"
    r"STRLANGDIR)\s*\(",
    re.IGNORECASE,
)
# The fast path of a sandboxed worker (check_in_sandbox): any SERVICE or FROM word at all (as a variable or
# a local name too: those only take the full parse), the form as the first word after the prologue, and
# what makes a recursive-descent parser recurse deeply (Oxigraph's would overflow the worker's stack).
_ANY_KEYWORD = re.compile(r"SERVICE|FROM", re.IGNORECASE)
_LEADING_FORM = re.compile(
    r"\s*(?:(?:PREFIX\s*[^\s:]*:|BASE)\s*)*(SELECT|ASK|CONSTRUCT|DESCRIBE)(?![\w:])", re.IGNORECASE
)
_BRACKETS = re.compile(r"[(){}\[\]]")
_NOT_LINE_BREAK = re.compile(r"[^\n]")
# Every match of NEWER_SYNTAX holds one of these (upper-cased): an ASCII text holding none cannot match.
_NEWER_WORDS = ("<<", "{|", "|}", "~", "VERSION", "TRIPLE", "SUBJECT", "PREDICATE", "OBJECT", "LANGDIR", "HASLANG")
_OPERATOR_RUN = re.compile(r"([!^/|+\-*])(?:\s*\1){15}")
_SANDBOX_NESTING = 64
# rdflib's own pattern for the escapes it expands before parsing (rdflib.plugins.sparql.parser).
ESCAPES = re.compile(r"\\u([0-9a-f]{4}(?:[0-9a-f]{4})?)", flags=re.IGNORECASE)
#: Texts up to this long have their screening remembered (:func:`remembered`: the guard's ``_screen``,
#: :func:`native_form`): an app page or a program sends the same few texts again and again, with other values bound
#: (docs/decisions/library-query-path.md).
REMEMBERED_CHARS = 4096
_Reading = TypeVar("_Reading", bound=Callable[..., Any])


def normalise_query(text: str) -> str:
    """The one text both parsers read: every line break as ``\\n``, and no byte-order mark before it.

    ``\\r\\n`` and a lone ``\\r`` become ``\\n`` (as in XML, and as every editor shows them): rdflib ends a
    ``#`` comment only at ``\\n``, Oxigraph at ``\\r`` as well, so a ``\\r`` let text be a comment to one
    parser and a SERVICE to the other. Inside a long string a raw carriage return becomes a line feed
    (write ``\\r`` as the escape to keep one). A leading BOM, which editors on Windows save and both parsers
    refuse, is dropped. Nothing else changes: the other line and paragraph separators, control and space
    characters are read the same way by both parsers (tests/security/test_fuzz.py checks each of them).

    >>> normalise_query("\\ufeffSELECT * WHERE {\\r\\n  # c\\r  ?s ?p ?o }")
    'SELECT * WHERE {\\n  # c\\n  ?s ?p ?o }'
    """
    return text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")


def mask(text: str) -> str:
    """The query with strings, IRIs and comments blanked out (same length, same line breaks); linear time."""
    return "".join(map(_blank, TOKENS.findall(text)))


def _blank(token: str) -> str:
    """A token as the mask shows it: a string, IRI or comment as spaces (its line breaks kept), else itself."""
    if token[0] not in "\"'<#" or token == "<":
        return token
    # Most blanked tokens hold no line break: spaces of the same length, without a regular expression.
    return " " * len(token) if "\n" not in token else _NOT_LINE_BREAK.sub(" ", token)


def has_keyword(masked: str) -> bool:
    """Whether a masked text holds SERVICE or FROM in any letter case (where :data:`BARE_KEYWORD` could match).

    Exactly ``_ANY_KEYWORD.search(masked) is not None``; ASCII text, nearly every query, is read without a
    regular expression (the screen runs on every query, in the caller and again in the worker).
    """
    if masked.isascii():
        upper = masked.upper()
        return "SERVICE" in upper or "FROM" in upper
    return _ANY_KEYWORD.search(masked) is not None


def _newer_syntax(masked: str) -> bool:
    """Exactly ``NEWER_SYNTAX.search(masked) is not None``; ASCII text without any of its words or marks is
    known not to match without running the expression."""
    if masked.isascii():
        upper = masked.upper()
        if not any(word in upper for word in _NEWER_WORDS):
            return False
    return NEWER_SYNTAX.search(masked) is not None


def plain_form(masked: str) -> str | None:
    """The form (SELECT, ASK, CONSTRUCT, DESCRIBE) of a masked query text that holds no SERVICE or FROM word at
    all, no SPARQL 1.2 syntax, no bracket nesting deeper than 64 levels and no long run of one operator, with the
    form as its first word after the prologue; else None (the full parse must decide)."""
    if has_keyword(masked) or _newer_syntax(masked) or _OPERATOR_RUN.search(masked):
        return None
    m = _LEADING_FORM.match(masked)
    if m is None or _nesting(masked) > _SANDBOX_NESTING:
        return None
    return m.group(1).upper()


def _nesting(masked: str) -> int:
    """The deepest nesting of (), {} and [] in a masked query text."""
    depth = deepest = 0
    for bracket in _BRACKETS.findall(masked):
        depth += 1 if bracket in "({[" else -1
        deepest = max(deepest, depth)
    return deepest


def remembered(function: _Reading) -> _Reading:
    """``function`` (a pure function of query texts) remembered for the last 256 calls whose first text is up to
    :data:`REMEMBERED_CHARS` long; longer texts are read each time. An exception is not remembered (it is raised
    again on the next call)."""
    cached = functools.lru_cache(maxsize=256)(function)

    @functools.wraps(function)
    def call(text: str, *more: str) -> Any:
        return cached(text, *more) if len(text) <= REMEMBERED_CHARS else function(text, *more)

    return cast(_Reading, call)


@remembered
def native_form(text: str, masked: str) -> str | None:
    """The query's form when the native check decides (``guard.check_in_sandbox``: no ``\\u`` escape, and
    :func:`plain_form` finds it), else None."""
    return None if ESCAPES.search(text) else plain_form(masked)
