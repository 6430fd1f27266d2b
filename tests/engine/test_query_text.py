"""The lexical screen's quick reads (kgexplorer.engine.query_text) agree exactly with the expressions they stand for.

The screen runs on every query, in the endpoint and again in the sandboxed worker, so its common case avoids
regular expressions: these properties hold it to the expressions' answers on texts built from the characters
that matter (keyword letters in both cases, the marks of SPARQL 1.2, quotes, IRIs, comments, line breaks, and
non-ASCII letters that case-insensitive matching folds onto ASCII ones).
"""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from kgexplorer.engine import query_text
from kgexplorer.engine.query_text import NEWER_SYNTAX, TOKENS, has_keyword, mask, plain_form

# Pieces a query is made of here: whole words the checks look for, in mixed case, and single characters,
# including 'ſ' (U+017F) and the Kelvin sign (U+212A), which re.IGNORECASE matches to 's' and 'k'.
_WORDS = st.sampled_from(
    [
        "SERVICE",
        "service",
        "SeRvIcE",
        "FROM",
        "from",
        "ſERVICE",
        "VERSION",
        "version",
        "isTRIPLE(",
        "TRIPLE (",
        "subject(",
        "hasLangDir(",
        "haslang (",
        "STRLANGDIR(",
        "object",
        "<<",
        "{|",
        "|}",
        "~",
        "SELECT",
        "ask",
        "PREFIX ex: ",
        "<http://x/>",
        '"a\\"b"',
        "'''x\ny'''",
        "# FROM\n",
        "?from",
        "ex:service",
    ]
)
_CHARS = st.sampled_from(list(" \n\t{}()[]<>\"'#\\:.;,*/^|!+-?$_aAsSkKeEfFrRoOmMVvnNıİſ\u212a\u00e9"))
_TEXTS = st.lists(st.one_of(_WORDS, _CHARS), max_size=40).map("".join)


def _old_mask(text: str) -> str:
    """The mask as first written: every blanked token through a regular expression (the reference)."""
    return "".join(
        token if token[0] not in "\"'<#" or token == "<" else re.sub(r"[^\n]", " ", token)
        for token in (m.group(0) for m in TOKENS.finditer(text))
    )


@settings(max_examples=300, deadline=None)
@given(_TEXTS)
def test_mask_is_the_reference_mask(text: str) -> None:
    assert mask(text) == _old_mask(text)
    assert len(mask(text)) == len(text)


@settings(max_examples=300, deadline=None)
@given(_TEXTS)
def test_has_keyword_is_the_expression(text: str) -> None:
    masked = mask(text)
    assert has_keyword(masked) == (re.search("SERVICE|FROM", masked, re.IGNORECASE) is not None)


@settings(max_examples=300, deadline=None)
@given(_TEXTS)
def test_newer_syntax_is_the_expression(text: str) -> None:
    masked = mask(text)
    assert query_text._newer_syntax(masked) == (NEWER_SYNTAX.search(masked) is not None)


def test_quick_reads_on_examples() -> None:
    assert has_keyword(mask("SELECT * WHERE { SERVICE <x:y> { ?s ?p ?o } }"))
    assert not has_keyword(mask('SELECT * WHERE { ?s ?p "SERVICE" } # FROM'))
    assert has_keyword("ſERVICE")  # non-ASCII: the expression decides, as it always did
    assert query_text._newer_syntax(mask("SELECT * WHERE { << ?s ?p ?o >> ?q ?r }"))
    assert not query_text._newer_syntax(mask('SELECT ?subject WHERE { ?subject ?p "<<" }'))
    assert plain_form(mask("PREFIX ex: <http://x/> SELECT ?s WHERE { ?s ex:p ?o }")) == "SELECT"
    assert plain_form(mask("SELECT ?s WHERE { ?s ?p ?from }")) is None
