"""The query guard (kgexplorer.engine.guard): read-only forms pass; updates, SERVICE and FROM never do; syntax
errors say where, on one line."""

from __future__ import annotations

import pyoxigraph as ox
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kgexplorer import QueryNotAllowed, QuerySyntaxError
from kgexplorer.engine.guard import (
    MAX_QUERY_CHARS,
    QUERY_FORMS,
    check_in_sandbox,
    check_query,
    prepare_query,
    syntax_error_from_oxigraph,
)
from kgexplorer.namespaces import PREFIXES


@pytest.mark.parametrize(
    ("query", "form"),
    [
        ("SELECT ?s WHERE { ?s ?p ?o } LIMIT 3", "SELECT"),
        ("select distinct ?s where { ?s a kgx:Substance } order by ?s", "SELECT"),
        ("ASK { kg:ketamine a kgx:Substance }", "ASK"),
        ("CONSTRUCT { ?s rdfs:label ?l } WHERE { ?s rdfs:label ?l }", "CONSTRUCT"),
        ("CONSTRUCT WHERE { ?s rdfs:label ?l }", "CONSTRUCT"),
        ("DESCRIBE kg:ketamine", "DESCRIBE"),
        ("DESCRIBE ?s WHERE { ?s a kgx:Substance }", "DESCRIBE"),
        ("PREFIX ex: <http://example.org/>\nSELECT * WHERE { GRAPH ?g { ?s ex:p ?o } }", "SELECT"),
        ("# a comment\nSELECT (COUNT(*) AS ?n) WHERE { { SELECT ?s WHERE { ?s ?p ?o } } }", "SELECT"),
        ("SELECT * WHERE { ?s ?p ?o } VALUES ?s { <http://example.org/a> }", "SELECT"),
    ],
)
def test_read_only_query_forms_are_allowed(query: str, form: str) -> None:
    checked = check_query(query)
    assert checked.form == form
    assert checked.text == query


@pytest.mark.parametrize(
    ("query", "operation"),
    [
        ("LOAD <http://example.org/data.ttl>", "LOAD"),
        ("LOAD SILENT <http://example.org/data.ttl> INTO GRAPH <http://example.org/g>", "LOAD"),
        ("INSERT DATA { <http://a> <http://b> <http://c> }", "INSERT DATA"),
        ("DELETE DATA { <http://a> <http://b> <http://c> }", "DELETE DATA"),
        ("DELETE WHERE { ?s ?p ?o }", "DELETE WHERE"),
        ("DELETE { ?s ?p ?o } INSERT { ?s ?p 1 } WHERE { ?s ?p ?o }", "INSERT/DELETE"),
        ("INSERT { ?s ?p 1 } WHERE { ?s ?p ?o }", "INSERT/DELETE"),
        ("DROP ALL", "DROP"),
        ("DROP GRAPH <http://example.org/g>", "DROP"),
        ("CLEAR DEFAULT", "CLEAR"),
        ("CREATE GRAPH <http://example.org/g>", "CREATE"),
        ("COPY DEFAULT TO <http://example.org/g>", "COPY"),
        ("MOVE DEFAULT TO <http://example.org/g>", "MOVE"),
        ("ADD DEFAULT TO <http://example.org/g>", "ADD"),
        ("PREFIX ex: <http://example.org/>\nINSERT DATA { ex:a ex:b ex:c } ;\nDROP ALL", "INSERT DATA, DROP"),
    ],
)
def test_updates_are_refused_naming_the_operation(query: str, operation: str) -> None:
    with pytest.raises(QueryNotAllowed) as info:
        check_query(query)
    assert str(info.value).startswith(f"{operation} is not allowed")
    assert "read-only" in str(info.value)


def test_a_query_followed_by_an_update_is_refused() -> None:
    with pytest.raises((QuerySyntaxError, QueryNotAllowed)):
        check_query("SELECT * WHERE { ?s ?p ?o } ; DROP ALL")


SERVICE_QUERIES = [
    "SELECT * WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }",
    "SELECT * WHERE { ?s ?p ?o OPTIONAL { SERVICE <http://127.0.0.1:9/> { ?s ?p ?x } } }",
    "SELECT * WHERE { { SELECT ?s WHERE { SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } } } }",
    "SELECT * WHERE { { ?s ?p ?o } UNION { SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } } }",
    "SELECT * WHERE { ?s ?p ?o MINUS { SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } } }",
    "SELECT * WHERE { ?s ?p ?o FILTER EXISTS { SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } } }",
    "SELECT * WHERE { ?s ?p ?o FILTER NOT EXISTS { SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } } }",
    "SELECT (EXISTS { SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } } AS ?e) WHERE { }",
    "SELECT ?s WHERE { ?s ?p ?o } GROUP BY ?s HAVING (EXISTS { SERVICE <http://127.0.0.1:9/> { } })",
    "SELECT * WHERE { ?s ?p ?o } ORDER BY (EXISTS { SERVICE <http://127.0.0.1:9/> { } })",
    "SELECT * WHERE { GRAPH ?g { SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } } }",
    "sElEcT * wHeRe { sErViCe <http://127.0.0.1:9/> { ?s ?p ?o } }",
    "# SELECT only\n# harmless\nSELECT * WHERE {\n  # look away\n  SERVICE # here\n <http://127.0.0.1:9/> { }\n}",
    "SELECT * WHERE { SERVICE SILENT <http://127.0.0.1:9/> { ?s ?p ?o } }",
    "SELECT * WHERE { BIND(<http://127.0.0.1:9/> AS ?svc) SERVICE ?svc { ?s ?p ?o } }",
    "SELECT * WHERE { \\u0053ERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }",
    "BASE <http://127.0.0.1:9/> SELECT * WHERE { SERVICE <sparql> { ?s ?p ?o } }",
    "ASK { SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }",
    "CONSTRUCT { ?s ?p ?o } WHERE { SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }",
    "DESCRIBE ?s WHERE { SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }",
]


@pytest.mark.parametrize("query", SERVICE_QUERIES)
def test_service_is_refused_wherever_it_hides(query: str) -> None:
    with pytest.raises(QueryNotAllowed, match=r"^SERVICE is not allowed"):
        check_query(query)


@pytest.mark.parametrize(
    "query",
    [
        "SELECT * FROM <http://127.0.0.1:9/x> WHERE { ?s ?p ?o }",
        "SELECT * FROM NAMED <http://127.0.0.1:9/x> WHERE { GRAPH ?g { ?s ?p ?o } }",
        "SELECT * FROM <file:///etc/passwd> WHERE { ?s ?p ?o }",
        "ASK FROM <http://127.0.0.1:9/x> { ?s ?p ?o }",
        "CONSTRUCT { ?s ?p ?o } FROM <http://127.0.0.1:9/x> WHERE { ?s ?p ?o }",
        "DESCRIBE ?s FROM NAMED <http://127.0.0.1:9/x> WHERE { ?s ?p ?o }",
        "select * from\n<http://127.0.0.1:9/x> where { ?s ?p ?o }",
    ],
)
def test_from_and_from_named_are_refused(query: str) -> None:
    with pytest.raises(QueryNotAllowed, match=r"^FROM and FROM NAMED are not allowed"):
        check_query(query)


@pytest.mark.parametrize(
    "query",
    [
        'SELECT * WHERE { ?s ?p "SERVICE <http://127.0.0.1:9/> { ?s ?p ?o }" }',
        "SELECT * WHERE { ?s ?p '''FROM <http://127.0.0.1:9/x>''' }",
        "# SERVICE <http://127.0.0.1:9/>\nSELECT * WHERE { ?s ?p ?o }",
        "SELECT * WHERE { ?s <http://example.org/SERVICE> ?o }",
        "SELECT * WHERE { ?s kg:service ?o }",
        'SELECT * WHERE { ?s ?p ?o FILTER(CONTAINS(?o, "<< not RDF-star >>")) }',
    ],
)
def test_words_inside_literals_iris_and_comments_are_not_syntax(query: str) -> None:
    assert check_query(query).form == "SELECT"


def test_a_syntax_error_gives_line_and_column_of_the_bad_token() -> None:
    query = "SELECT ?s WHERE {\n  ?s ?p ?o .\n  ?s ?p ?q ?r .\n}"
    with pytest.raises(QuerySyntaxError) as info:
        check_query(query)
    err = info.value
    assert (err.line, err.column) == (3, 12)  # ?r, the fourth term of the triple
    assert "line 3, column 12" in str(err)
    assert "near '?r .'" in str(err)
    assert "\n" not in str(err)


@pytest.mark.parametrize(
    ("query", "line", "column"),
    [
        ("SELEC * WHERE { ?s ?p ?o }", 1, 1),
        ("SELECT * WHERE {\n  ?s ?p ?o .\n  FILTER(?s = )\n}", 3, 3),
        ("SELECT * WHERE {\n ?s ?p ?o\n ?a ?b ?c }", 3, 2),
        ("SELECT ?x WHERE {\n  ?x a <http://example.org/C> .\n}}", 3, 2),
        ("SELECT ?x\nWHERE {\n  ?x a <http://example.org/C> .\n}\nLIMIT ten", 5, 1),
    ],
)
def test_syntax_error_positions_are_on_the_line_of_the_mistake(query: str, line: int, column: int) -> None:
    with pytest.raises(QuerySyntaxError) as info:
        check_query(query)
    assert (info.value.line, info.value.column) == (line, column)
    assert f"at line {line}, column {column}" in str(info.value)


def test_a_query_cut_short_points_at_its_end() -> None:
    with pytest.raises(QuerySyntaxError, match=r"line 1, column 27 \(at the end of the line\)") as info:
        check_query("SELECT * WHERE { ?s ?p ?o ")
    assert info.value.column == 27


@pytest.mark.parametrize("query", ["", "   ", "\n\t\n"])
def test_an_empty_query_is_a_syntax_error_at_the_start(query: str) -> None:
    with pytest.raises(QuerySyntaxError, match="the query is empty") as info:
        check_query(query)
    assert (info.value.line, info.value.column) == (1, 1)


@pytest.mark.parametrize("query", ["#", "# only a comment\n", "PREFIX ex: <http://example.org/>", "BASE <http://x/>\n"])
def test_comments_or_prefixes_alone_are_a_syntax_error_not_a_crash(query: str) -> None:
    with pytest.raises(QuerySyntaxError, match="no SELECT, ASK, CONSTRUCT or DESCRIBE part") as info:
        check_query(query)
    assert info.value.line == 1


def test_an_over_long_query_is_refused_before_parsing() -> None:
    query = "SELECT * WHERE { ?s ?p ?o }" + " " * MAX_QUERY_CHARS
    with pytest.raises(QueryNotAllowed, match=r"the limit is 100,000 \(the max_query_chars setting\)"):
        check_query(query)


def test_max_chars_lowers_the_limit_but_never_raises_it() -> None:
    query = "SELECT * WHERE { ?s ?p ?o }"
    with pytest.raises(QueryNotAllowed, match="the limit is 10 "):
        check_query(query, max_chars=10)
    assert check_query(query, max_chars=len(query)).form == "SELECT"
    with pytest.raises(QueryNotAllowed, match="the limit is 100,000 "):
        check_query(query + " " * MAX_QUERY_CHARS, max_chars=10 * MAX_QUERY_CHARS)


def test_sparql_12_syntax_is_refused_because_the_guard_cannot_read_it() -> None:
    with pytest.raises(QueryNotAllowed, match=r"SPARQL 1\.2 or RDF-star syntax \('<<'\)"):
        check_query("SELECT * WHERE { << ?s ?p ?o >> ?q ?r }")


@pytest.mark.parametrize("depth", [2_000, 20_000])
def test_deep_nesting_is_refused_without_crashing_the_process(depth: int) -> None:
    # Oxigraph's parser overflows the C stack on these; the guard must never hand them to it in-process.
    with pytest.raises((QuerySyntaxError, QueryNotAllowed)):
        check_query("ASK { FILTER(" + "!" * depth + "true) }")
    with pytest.raises((QuerySyntaxError, QueryNotAllowed)):
        check_query("SELECT * WHERE { FILTER(" + "(" * depth + "1" + ")" * depth + ") }")


def oxigraph_error(query: str) -> str:
    try:
        ox.Store().query(query, prefixes=PREFIXES)
    except SyntaxError as exc:
        return str(exc)
    raise AssertionError(f"Oxigraph accepted {query!r}")


def test_oxigraph_errors_become_one_line_with_oxigraphs_reason() -> None:
    query = "SELECT ?s WHERE { ?s ?p ?o } GROUP BY ?p"
    raw = oxigraph_error(query)
    assert "\n" in raw  # what a student would otherwise see
    err = syntax_error_from_oxigraph(raw, query)
    assert str(err).startswith("SPARQL syntax error at line 1, column ")
    assert "the SELECT contains a variable that is unbound" in str(err)
    assert "\n" not in str(err)
    assert err.line == 1


def test_an_undeclared_prefix_is_named_with_its_position_and_the_fix() -> None:
    query = 'SELECT * WHERE {\n  ?s ?p "foaf:" .\n  ?s foaf:name ?o\n}'
    err = syntax_error_from_oxigraph(oxigraph_error(query), query)
    assert (err.line, err.column) == (3, 6)
    assert "the prefix 'foaf:' is not declared" in str(err)
    assert "PREFIX foaf: <namespace IRI>" in str(err)
    assert "kgx:" in str(err)


def test_an_undeclared_prefix_in_a_function_call_is_named_too() -> None:
    query = "SELECT * WHERE { ?s ?p ?o FILTER(ex:f(?o)) }"
    err = syntax_error_from_oxigraph(oxigraph_error(query), query)
    assert "the prefix 'ex:' is not declared" in str(err)
    assert (err.line, err.column) == (1, 34)


def test_an_oxigraph_message_without_a_position_still_gives_one_line() -> None:
    err = syntax_error_from_oxigraph("something odd\nhappened", "SELECT * WHERE { ?s ?p ?o }")
    assert str(err).startswith("SPARQL syntax error: something odd happened")
    assert err.line is None


# ---------------------------------------------------------------------------------------------- properties

_PLACES = [
    "SELECT * WHERE {{ {x} }}",
    "SELECT * WHERE {{ ?s ?p ?o OPTIONAL {{ {x} }} }}",
    "SELECT * WHERE {{ {{ SELECT ?s WHERE {{ {x} }} }} }}",
    "SELECT * WHERE {{ {{ ?s ?p ?o }} UNION {{ {x} }} }}",
    "SELECT * WHERE {{ ?s ?p ?o MINUS {{ {x} }} }}",
    "SELECT * WHERE {{ ?s ?p ?o FILTER EXISTS {{ {x} }} }}",
    "SELECT * WHERE {{ ?s ?p ?o FILTER NOT EXISTS {{ {x} }} }}",
    "SELECT * WHERE {{ BIND(EXISTS {{ {x} }} AS ?e) }}",
    "SELECT (EXISTS {{ {x} }} AS ?e) WHERE {{ }}",
    "ASK {{ GRAPH ?g {{ {x} }} }}",
    "CONSTRUCT {{ ?s ?p ?o }} WHERE {{ {x} }}",
    "DESCRIBE ?s WHERE {{ {x} }}",
    "SELECT ?s WHERE {{ ?s ?p ?o }} GROUP BY ?s HAVING (EXISTS {{ {x} }})",
]
_GAPS = st.lists(
    st.sampled_from([" ", "\t", "\n", "\r\n", "  ", "# SERVICE? no\n", "#\n", "# }\n"]), min_size=1, max_size=3
).map("".join)


@st.composite
def _keyword(draw: st.DrawFn) -> str:
    """SERVICE in random casing, with some letters written as SPARQL \\u escapes."""
    out = []
    for ch in "service":
        letter = draw(st.sampled_from([ch, ch.upper()]))
        out.append(f"\\u{ord(letter):04X}" if draw(st.integers(0, 9)) == 0 else letter)
    return "".join(out)


@st.composite
def _service_queries(draw: st.DrawFn) -> str:
    target = draw(st.sampled_from(["<http://127.0.0.1:9/sparql>", "?svc", "<sparql>", "<http://[::1]:9/>"]))
    silent = draw(st.sampled_from(["", "SILENT" + draw(_GAPS), "silent" + draw(_GAPS)]))
    block = draw(st.sampled_from(["{ ?s ?p ?o }", "{ }", "{ ?s ?p ?o . FILTER(?o = 'SERVICE') }"]))
    pattern = f"{draw(_keyword())}{draw(_GAPS)}{silent}{target}{draw(_GAPS)}{block}"
    before = draw(st.sampled_from(["", "# comment\n", "PREFIX ex: <http://example.org/>\n", "BASE <http://x/>\n"]))
    return before + draw(st.sampled_from(_PLACES)).format(x=pattern)


@pytest.mark.slow  # rdflib takes 10-50 ms to parse each of the 200 queries
@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_service_queries())
def test_property_service_is_never_accepted(query: str) -> None:
    with pytest.raises(QueryNotAllowed, match=r"^SERVICE is not allowed"):
        check_query(query)


_WORDS = (
    "SELECT ASK CONSTRUCT DESCRIBE WHERE { } ( ) . ; , ?s ?p ?o * FILTER OPTIONAL UNION SERVICE FROM NAMED "
    "LOAD DROP INSERT DATA << >> <http://127.0.0.1:9/> \"text\" 'x' 1 kg:ketamine foo:bar a # \\u0053 "
    "GRAPH BIND AS VALUES LIMIT ORDER GROUP BY PREFIX EXISTS ! ^ | SILENT"
)
_TOKENS = st.sampled_from([*_WORDS.split(), "\n"])
_JUNK = st.one_of(
    st.text(max_size=200),
    st.lists(_TOKENS, max_size=40).map(" ".join),
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_JUNK)
def test_property_junk_gives_only_typed_errors_or_a_form(text: str) -> None:
    outcome: str | QuerySyntaxError | QueryNotAllowed
    try:
        outcome = check_query(text).form
    except (QuerySyntaxError, QueryNotAllowed) as exc:
        outcome = exc
    if isinstance(outcome, QuerySyntaxError):
        message = str(outcome)
        assert message.startswith(("SPARQL syntax error", "the query is empty", "the query has no SELECT"))
        assert "\n" not in message
        assert outcome.line is not None
        assert outcome.line >= 1
        assert outcome.column is not None
        assert outcome.column >= 1
    elif isinstance(outcome, QueryNotAllowed):
        assert str(outcome)
    else:
        assert outcome in QUERY_FORMS.values()


# ------------------------------------------------------------------------------------------ verdict cache


def test_a_repeated_query_is_not_parsed_again(monkeypatch: pytest.MonkeyPatch) -> None:
    from kgexplorer.engine import guard

    parses: list[str] = []
    real = guard._parse_query

    def counting(text: str) -> object:
        parses.append(text)
        return real(text)

    monkeypatch.setattr(guard, "_parse_query", counting)
    query = "SELECT ?cached WHERE { ?cached ?p ?o } LIMIT 7"
    assert check_query(query).form == check_query(query).form == "SELECT"
    assert len(parses) == 1
    assert check_query(query, remember=0).form == "SELECT"  # the setting at 0 remembers nothing
    assert len(parses) == 2


def test_the_cache_never_lets_a_refused_query_through(monkeypatch: pytest.MonkeyPatch) -> None:
    from kgexplorer.engine import guard

    parses: list[str] = []
    real = guard._parse_query
    monkeypatch.setattr(guard, "_parse_query", lambda text: parses.append(text) or real(text))
    service = "SELECT * WHERE { \\u0053ERVICE <http://example.org/sparql> { ?s ?p ?o } }"  # past the screen
    for _ in range(2):
        with pytest.raises(QueryNotAllowed, match="SERVICE is not allowed"):
            check_query(service)
    assert len(parses) == 2  # refusals are decided afresh every time


def test_the_cache_does_not_leak_across_length_limits() -> None:
    query = "SELECT ?leak WHERE { ?leak ?p ?o } LIMIT 1" + " " * 200
    assert check_query(query, max_chars=1000).form == "SELECT"  # remembered as allowed …
    with pytest.raises(QueryNotAllowed, match="the limit is 100 "):
        check_query(query, max_chars=100)  # … yet a caller with a lower limit still refuses it


def test_the_cache_keeps_at_most_remember_verdicts() -> None:
    from kgexplorer.engine import guard

    for i in range(5):
        check_query(f"SELECT ?few{i} WHERE {{ ?few{i} ?p ?o }}", remember=3)
    assert len(guard._VERDICTS) <= 3


# ------------------------------------------------------------------------------------------ normalising, screening


@pytest.mark.parametrize(
    ("raw", "normalised"),
    [
        ("SELECT * WHERE {\r\n  ?s ?p ?o\r\n}", "SELECT * WHERE {\n  ?s ?p ?o\n}"),
        ("SELECT * WHERE { # c\r?s ?p ?o }", "SELECT * WHERE { # c\n?s ?p ?o }"),
        ("\ufeff\ufeffASK {}", "ASK {}"),
        ("ASK { ?s ?p '''a\u2028b\x85c\vd\fe''' }", "ASK { ?s ?p '''a\u2028b\x85c\vd\fe''' }"),  # read alike
    ],
)
def test_normalising_changes_line_breaks_and_a_leading_bom_only(raw: str, normalised: str) -> None:
    from kgexplorer.engine.guard import normalise_query

    assert normalise_query(raw) == normalised
    assert normalise_query(normalised) == normalised  # once is enough: the worker normalises again
    assert check_query(raw).text == normalised


def test_crlf_line_breaks_keep_syntax_error_positions() -> None:
    with pytest.raises(QuerySyntaxError) as info:
        check_query("SELECT ?s WHERE {\r\n  ?s ?p ?o .\r\n  ?s ?p ?q ?r .\r\n}")
    assert (info.value.line, info.value.column) == (3, 12)


@pytest.mark.parametrize(
    "query",
    [
        "SELECT * WHERE { SERVICE <http://127.0.0.1:9/> { } }",
        "SELECT*FROM<http://127.0.0.1:9/x>WHERE{?s ?p ?o}",
        "SELECT * WHERE { ?s ?p ?o }SERVICE <x> {}",
        "SELECT * WHERE { FILTER(true)SERVICE <http://127.0.0.1:9/> { } }",
    ],
)
def test_the_screen_refuses_a_bare_keyword_before_any_parse(query: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from kgexplorer.engine import guard

    monkeypatch.setattr(guard, "_parse_query", lambda text: pytest.fail("the screen should have refused first"))
    with pytest.raises(QueryNotAllowed, match=r"^(SERVICE is|FROM and FROM NAMED are) not allowed"):
        guard.prepare_query(query)


@pytest.mark.parametrize(
    "query",
    [
        "SELECT ?service ?from WHERE { ?service ?from $SERVICE }",
        "PREFIX service: <http://example.org/> SELECT * WHERE { ?s service:FROM ?o }",
        'SELECT * WHERE { ?s <http://example.org/SERVICE> \'FROM\' . ?s ?p """SERVICE""" } # FROM',
        'SELECT * WHERE { ?s ?p "x"@service . ?s ex:a\\)SERVICE ?o . ?s ex:b\\*FROM ?o . ?s ex:c.SERVICE ?o }',
        "SELECT * WHERE { _:service ?p ?o . ?s ex:x-from ?o }",
    ],
)
def test_the_screen_never_refuses_keywords_that_are_names(query: str) -> None:
    from kgexplorer.engine.guard import prepare_query

    assert prepare_query(query).text == query


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from([*"\"'<>#\\\n ab{}", '"""', "'''"]), max_size=200).map("".join))
def test_property_the_scanner_covers_the_text_and_masks_in_place(text: str) -> None:
    from kgexplorer.engine.guard import _TOKENS, _mask

    assert "".join(m.group(0) for m in _TOKENS.finditer(text)) == text
    masked = _mask(text)
    assert len(masked) == len(text)
    assert [i for i, c in enumerate(masked) if c == "\n"] == [i for i, c in enumerate(text) if c == "\n"]


# ------------------------------------------------------------------ remembered screening (library-query-path.md)


def test_a_remembered_text_is_still_held_to_each_callers_length_limit() -> None:
    text = "SELECT ?s WHERE { ?s ?p ?o }"
    assert prepare_query(text, max_chars=100).text == text
    assert check_in_sandbox(text, max_chars=100) is not None  # both now remembered
    with pytest.raises(QueryNotAllowed, match="max_query_chars"):
        prepare_query(text, max_chars=10)
    with pytest.raises(QueryNotAllowed, match="max_query_chars"):
        check_in_sandbox(text, max_chars=10)


def test_a_refused_text_is_refused_every_time() -> None:
    text = "SELECT * FROM <http://127.0.0.1:9/g> WHERE { ?s ?p ?o }"
    for _ in range(3):
        with pytest.raises(QueryNotAllowed, match="FROM"):
            prepare_query(text)


def test_remembered_and_long_texts_get_the_same_verdicts() -> None:
    short = "SELECT ?s WHERE { ?s ?p 'SERVICE' }"
    padding = " " * 5000  # past the length up to which screening is remembered
    undecided = "SELECT ?s WHERE { ?s ?p ?o . ?s <x:y> ?from }"  # the word FROM: the full parse decides
    for text in (short, short + padding, undecided, undecided + padding):
        first = check_in_sandbox(text)
        again = check_in_sandbox(text)
        assert first == again
        assert (first is None) == ("?from" in text)
