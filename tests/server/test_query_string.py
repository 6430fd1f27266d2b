"""The URL's parameters as the endpoint reads them (kgexplorer.server.query_string), held to Starlette's own reading."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from starlette.requests import Request

from kgexplorer.engine.query_text import REMEMBERED_CHARS
from kgexplorer.server.query_string import url_params

# Query strings as clients send them: escapes (valid, cut short, of bytes that are not UTF-8), '+', '&', '=', ';',
# and raw non-ASCII bytes, which a server passes on as Latin-1.
_PARTS = st.sampled_from(["%", "%2", "%41", "%C3%A9", "%FF", "%7B", "+", "&", "=", ";", "a", "query", "format", "é"])
_QUERY_STRINGS = st.lists(st.one_of(_PARTS, st.text(max_size=5)), max_size=40).map(
    lambda parts: "".join(parts).encode("utf-8")
)


def _request(query_string: bytes) -> Request:
    return Request({"type": "http", "query_string": query_string})


@settings(max_examples=400, deadline=None)
@given(query_string=_QUERY_STRINGS)
def test_the_parameters_are_starlettes_first_time_and_when_remembered(query_string: bytes) -> None:
    expected = list(_request(query_string).query_params.multi_items())
    assert url_params(_request(query_string)) == expected
    assert url_params(_request(query_string)) == expected  # the second time from memory


def test_a_long_query_string_is_read_each_time_and_the_same() -> None:
    query_string = b"query=" + b"%7B" * REMEMBERED_CHARS + b"&format=json"
    expected = list(_request(query_string).query_params.multi_items())
    assert url_params(_request(query_string)) == expected == url_params(_request(query_string))


def test_a_caller_changing_its_list_changes_nothing_remembered() -> None:
    query_string = b"query=ASK+%7B%7D"
    first = url_params(_request(query_string))
    first.append(("query", "another"))
    assert url_params(_request(query_string)) == [("query", "ASK {}")]
