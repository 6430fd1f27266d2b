"""The workbench library: running queries, choosing views, history, share links, editor help.

What a result looks like (tables, charts, drawings, downloads) is tested in test_results.py.
"""

from __future__ import annotations

import base64
import urllib.parse
import zlib

import pytest

from kgexplorer import (
    AskResult,
    GraphResult,
    KnowledgeGraph,
    QueryError,
    QueryNotAllowed,
    QuerySyntaxError,
    SelectResult,
    Settings,
)
from kgexplorer.model.gallery import get_query
from kgexplorer.terms import IRI, Literal, Triple
from kgexplorer.ui.workbench import (
    History,
    HistoryEntry,
    choose_view,
    completions,
    decode_query,
    encode_query,
    error_excerpt,
    run_query,
)

KG = "https://w3id.org/kgexplorer/id/"
XSD_INT = "http://www.w3.org/2001/XMLSchema#integer"


# ------------------------------------------------------------------------------------------- running


def test_run_query_returns_rows_time_and_view(kg: KnowledgeGraph) -> None:
    run = run_query(kg, "SELECT ?e WHERE { VALUES ?e { kg:ketamine kg:psilocybin } }")

    assert isinstance(run.result, SelectResult)
    assert len(run.result) == 2
    assert run.seconds > 0
    assert run.notice == ""
    assert run.view.default == "table"
    assert run.bindings == ()


def test_a_cut_result_says_which_setting_cut_it(small_limits: Settings) -> None:
    with KnowledgeGraph.bundled(settings=small_limits) as kg:
        run = run_query(kg, "SELECT ?s WHERE { ?s a kgx:Study }")

    assert len(run.result) == 5
    assert "max_result_rows" in run.notice
    assert "first 5 rows" in run.notice


def test_gallery_values_are_bound_into_an_edited_text(kg: KnowledgeGraph) -> None:
    """The person edited the question; its parameter is still bound (beside the text), and checked for its kind."""
    q = get_query("risks-and-barriers-of-a-substance")
    edited = q.text.replace("LIMIT 200", "LIMIT 3")
    run = run_query(kg, edited, values={"substance": IRI(KG + "ketamine")})

    assert run.bindings == (("substance", IRI(KG + "ketamine")),)
    assert run.text == edited
    assert 0 < len(run.result) <= 3
    with pytest.raises(QueryError, match="takes a Substance"):
        run_query(kg, edited, values={"substance": IRI(KG + "alcohol_use_disorder")})


def test_values_for_a_query_that_declares_no_parameter_are_refused(kg: KnowledgeGraph) -> None:
    """A value never binds a variable of a query that does not declare it as a parameter."""
    with pytest.raises(QueryError, match="declares no parameter 'substance'"):
        run_query(
            kg, "SELECT ?substance WHERE { ?substance a kgx:Substance }", values={"substance": IRI(KG + "ketamine")}
        )


def test_errors_keep_their_position_and_reason(kg: KnowledgeGraph) -> None:
    with pytest.raises(QuerySyntaxError) as caught:
        run_query(kg, "SELECT ?s WHERE {\n  ?s ?p ?o .\n  FILTER(?s = )\n}")
    assert (caught.value.line, caught.value.column) == (3, 3)
    with pytest.raises(QueryNotAllowed, match="SERVICE"):
        run_query(kg, "SELECT * WHERE { SERVICE <http://example.org/> { ?s ?p ?o } }")


# ------------------------------------------------------------------------------------------- views


def _select(variables: tuple[str, ...], *rows: tuple[object, ...]) -> SelectResult:
    return SelectResult(variables, tuple(rows))  # type: ignore[arg-type]


NUMBERS = _select(("year", "n"), (Literal("2019"), Literal("3", datatype=XSD_INT)))
TRIPLES = GraphResult((Triple(IRI(KG + "a"), IRI(KG + "p"), IRI(KG + "b")),))


@pytest.mark.parametrize(
    ("text", "result", "default", "available"),
    [
        ("ASK {}", AskResult(True), "table", ("table",)),
        ("CONSTRUCT {} WHERE {}", TRIPLES, "graph", ("graph", "table")),
        ("SELECT *", _select(("s", "p", "o")), "table", ("table", "graph")),
        ("#defaultView:Graph\nSELECT *", _select(("subject", "predicate", "object")), "graph", ("table", "graph")),
        ("SELECT *", NUMBERS, "table", ("table", "bar")),
        ("#defaultView:BarChart\nSELECT *", NUMBERS, "bar", ("table", "bar")),
        ("# view: bar\nSELECT *", NUMBERS, "bar", ("table", "bar")),
        ("#defaultView:Graph\nSELECT *", NUMBERS, "table", ("table", "bar")),
        ("#defaultView:Table\nCONSTRUCT {} WHERE {}", TRIPLES, "table", ("graph", "table")),
        ("#defaultView:Map\nSELECT *", NUMBERS, "table", ("table", "bar")),
    ],
)
def test_choose_view(text: str, result: object, default: str, available: tuple[str, ...]) -> None:
    choice = choose_view(text, result)  # type: ignore[arg-type]

    assert (choice.default, choice.available) == (default, available)
    assert choice.reason


def test_a_view_asked_for_but_impossible_says_so() -> None:
    assert "cannot be shown so" in choose_view("#defaultView:Graph\nSELECT *", NUMBERS).reason
    assert "does not have" in choose_view("#defaultView:Map\nSELECT *", NUMBERS).reason


# ------------------------------------------------------------------------------------------- history and links


def test_history_is_newest_first_without_repeats_and_capped() -> None:
    default = Settings().query_history_size
    h = History()
    for i in range(default + 5):
        h = h.add(HistoryEntry(f"q{i}", "bundled", "1 row", True))
    h = h.add(HistoryEntry("q10", "bundled", "2 rows", True))

    assert len(h) == default == 50
    assert h.entries[0] == HistoryEntry("q10", "bundled", "2 rows", True)
    assert [e.query for e in h.entries].count("q10") == 1
    assert h.add(HistoryEntry("q10", "other data", "", False)).entries[1].query == "q10"  # same text, other data


def test_history_keeps_at_most_the_query_history_size_setting() -> None:
    """With query_history_size=3 the fourth query pushes out the oldest."""
    small = Settings(query_history_size=3)
    h = History()
    for i in range(4):
        h = h.add(HistoryEntry(f"q{i}", "bundled", "1 row", True), settings=small)

    assert [e.query for e in h.entries] == ["q3", "q2", "q1"]
    assert len(h.add(HistoryEntry("q4", "bundled", "", True))) == 4  # the default allows more


def test_share_tokens_round_trip_and_fit_in_a_url() -> None:
    text = "# ümlaut and emoji 🧪\nSELECT * WHERE { ?s ?p ?o }\n" * 20
    token = encode_query(text)

    assert decode_query(token) == text
    assert len(token) < len(text)
    assert urllib.parse.quote(token, safe="") == token  # nothing to escape in a URL


def test_share_refuses_what_does_not_fit_and_what_is_tampered() -> None:
    import os

    most = Settings().share_link_max_chars
    noise = base64.b64encode(os.urandom(most)).decode("ascii")
    with pytest.raises(QueryError, match="too long to share"):
        encode_query(noise)
    token = encode_query("SELECT * WHERE { ?s ?p ?o }")
    for broken in (token[:-3], token + "!", "A" * (most + 1), ""):
        with pytest.raises(QueryError, match="does not carry a readable query"):
            decode_query(broken)
    latin1 = base64.urlsafe_b64encode(zlib.compress("é".encode("latin-1"))).decode().rstrip("=")
    with pytest.raises(QueryError, match="readable"):
        decode_query(latin1)


def test_a_share_link_over_the_setting_is_refused_with_the_rule_value_and_fix() -> None:
    """share_link_max_chars caps the token encode_query makes and the token decode_query accepts."""
    small = Settings(share_link_max_chars=100)
    text = "SELECT * WHERE { " + " ".join(f"?s{i} ?p{i} ?o{i} ." for i in range(60)) + " }"
    token = encode_query(text)
    assert len(token) > 100

    with pytest.raises(QueryError) as caught:
        encode_query(text, settings=small)
    message = str(caught.value)
    assert f"compressed it takes {len(token):,} characters" in message
    assert "may carry 100 (the share_link_max_chars setting)" in message
    assert "Download it as a file instead, or shorten it" in message
    with pytest.raises(QueryError, match="does not carry a readable query"):
        decode_query(token, settings=small)
    assert decode_query(token) == text
    assert decode_query(encode_query("ASK {}", settings=small), settings=small) == "ASK {}"


def test_a_link_that_inflates_past_the_limit_is_refused() -> None:
    """A small token that expands to a huge text (a zip bomb) stops at the max_query_chars limit."""
    bomb = base64.urlsafe_b64encode(zlib.compress(b"#" * 5_000_000, 9)).decode().rstrip("=")
    assert len(bomb) <= Settings().share_link_max_chars
    with pytest.raises(QueryError, match="max_query_chars"):
        decode_query(bomb)
    with pytest.raises(QueryError, match="max_query_chars"):
        decode_query(encode_query("x" * 500), max_chars=100)
    with pytest.raises(QueryError, match="max_query_chars"):  # a call can lower the setting, never raise it
        decode_query(encode_query("x" * 500), max_chars=10**9, settings=Settings(max_query_chars=100))


# ------------------------------------------------------------------------------------------- editing


def test_completions_offer_prefixes_and_the_vocabulary() -> None:
    items = {c.value: c for c in completions()}

    assert items["kgx:"].meta == "prefix <https://w3id.org/kgexplorer/vocab#>"
    assert items["kgx:Claim"].meta == "class"
    assert items["kgx:evidenceLevel"].meta == "property"
    assert not any(v.startswith("http") for v in items)


def test_error_excerpt_points_at_the_column() -> None:
    text = "SELECT ?s\nWHERE {\n  ?s ?p }"
    excerpt = error_excerpt(text, 3, 9)

    assert excerpt.splitlines() == ["3 |   ?s ?p }", " " * 12 + "^"]
    assert error_excerpt(text, None, None) == ""
    assert error_excerpt(text, 9, 1) == ""
