"""RDF terms (kgexplorer.terms): small immutable values, escaped SPARQL syntax, and conversions to and from
Oxigraph and SPARQL JSON."""

from __future__ import annotations

import pyoxigraph as ox
import pytest

from kgexplorer.terms import IRI, BlankNode, Literal, Triple, from_oxigraph, to_oxigraph

XSD = "http://www.w3.org/2001/XMLSchema#"


def test_n3_syntax_of_each_kind_of_term() -> None:
    assert IRI("http://example.org/a").n3() == "<http://example.org/a>"
    assert BlankNode("b1").n3() == "_:b1"
    assert Literal("Ketamine", language="en").n3() == '"Ketamine"@en'
    assert Literal("40", datatype=XSD + "integer").n3() == f'"40"^^<{XSD}integer>'
    assert Literal("plain").n3() == '"plain"'
    assert Literal("typed as string", datatype=XSD + "string").n3() == '"typed as string"'


def test_literals_escape_quotes_and_line_breaks() -> None:
    text = Literal('say "hi"\nthen } DROP ALL').n3()
    assert text == '"say \\"hi\\"\\nthen } DROP ALL"'


@pytest.mark.parametrize("bad", ["http://example.org/a>b", "http://example.org/a b", "not an iri", "http://x/{y}"])
def test_invalid_iris_are_refused_when_written(bad: str) -> None:
    with pytest.raises(ValueError, match="IRI"):
        IRI(bad).n3()


def test_str_is_the_plain_value() -> None:
    assert str(IRI("http://example.org/a")) == "http://example.org/a"
    assert str(BlankNode("b1")) == "_:b1"
    assert str(Literal("40", datatype=XSD + "integer")) == "40"


def test_terms_are_hashable_values() -> None:
    assert {IRI("http://x/a"), IRI("http://x/a")} == {IRI("http://x/a")}
    assert Literal("a", language="en") != Literal("a")
    t = Triple(IRI("http://x/a"), IRI("http://x/p"), Literal("v"))
    assert t == Triple(IRI("http://x/a"), IRI("http://x/p"), Literal("v"))


@pytest.mark.parametrize(
    "term",
    [
        IRI("http://example.org/a"),
        BlankNode("b1"),
        Literal("Ketamine", language="en"),
        Literal("40", datatype=XSD + "integer"),
        Literal("plain"),
    ],
)
def test_oxigraph_round_trip(term: IRI | BlankNode | Literal) -> None:
    assert from_oxigraph(to_oxigraph(term)) == term


def test_xsd_string_reads_back_as_a_plain_literal() -> None:
    assert from_oxigraph(ox.Literal("x", datatype=ox.NamedNode(XSD + "string"))) == Literal("x")


def test_triple_terms_are_refused_with_a_clear_error() -> None:
    quoted = ox.Triple(ox.NamedNode("http://x/a"), ox.NamedNode("http://x/p"), ox.NamedNode("http://x/b"))
    with pytest.raises(TypeError, match="RDF-star"):
        from_oxigraph(quoted)
