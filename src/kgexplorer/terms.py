"""RDF terms as small immutable values, the same whichever store or endpoint produced them.

>>> IRI("https://w3id.org/kgexplorer/id/ketamine").n3()
'<https://w3id.org/kgexplorer/id/ketamine>'
>>> Literal("Ketamine", language="en").n3()
'"Ketamine"@en'
>>> str(Literal("40", datatype="http://www.w3.org/2001/XMLSchema#integer"))
'40'
>>> Literal("40", datatype="http://www.w3.org/2001/XMLSchema#integer").to_python()
40
"""

from __future__ import annotations

import datetime
import decimal
from dataclasses import dataclass
from typing import Any

import pyoxigraph as ox

__all__ = [
    "IRI",
    "BlankNode",
    "Literal",
    "Term",
    "Triple",
    "from_oxigraph",
    "from_rdflib",
    "to_oxigraph",
    "to_rdflib",
]

XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
RDF_LANGSTRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"
_XSD = "http://www.w3.org/2001/XMLSchema#"
_INTEGERS = {
    "integer", "int", "long", "short", "byte", "nonNegativeInteger", "positiveInteger", "nonPositiveInteger",
    "negativeInteger", "unsignedLong", "unsignedInt", "unsignedShort", "unsignedByte",
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class IRI:
    """An IRI (a named node)."""

    value: str

    def __str__(self) -> str:
        return self.value

    def n3(self) -> str:
        """The term in SPARQL/Turtle syntax, escaped; raises ValueError for an invalid IRI."""
        return str(ox.NamedNode(self.value))


@dataclass(frozen=True, slots=True)
class BlankNode:
    """A blank node; its id is only meaningful inside one result."""

    id: str

    def __str__(self) -> str:
        return "_:" + self.id

    def n3(self) -> str:
        return "_:" + self.id


@dataclass(frozen=True, slots=True)
class Literal:
    """A literal with an optional language tag or datatype."""

    value: str
    datatype: str | None = None
    language: str | None = None

    def __str__(self) -> str:
        return self.value

    def n3(self) -> str:
        return str(_literal_to_ox(self))

    def to_python(self) -> str | int | float | bool | decimal.Decimal | datetime.date | datetime.datetime:
        """The value as Python has it: XSD integers as int, decimal as Decimal, double and float as float,
        boolean as bool, date as date, dateTime as datetime; anything else (text, language-tagged text,
        other datatypes, and a value not in its datatype's lexical form) as the string it is written as.

        >>> Literal("true", datatype="http://www.w3.org/2001/XMLSchema#boolean").to_python()
        True
        >>> Literal("2023-05-01", datatype="http://www.w3.org/2001/XMLSchema#date").to_python()
        datetime.date(2023, 5, 1)
        >>> Literal("many", datatype="http://www.w3.org/2001/XMLSchema#integer").to_python()
        'many'
        """
        kind = self.datatype[len(_XSD) :] if self.datatype and self.datatype.startswith(_XSD) else None
        text = self.value.strip()
        try:
            if kind in _INTEGERS:
                return int(text)
            if kind == "decimal":
                return decimal.Decimal(text)
            if kind in ("double", "float"):
                return float({"INF": "inf", "-INF": "-inf"}.get(text, text))
            if kind == "boolean" and text in ("true", "false", "1", "0"):
                return text in ("true", "1")
            if kind == "date":
                return datetime.date.fromisoformat(text)
            if kind == "dateTime":
                return datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
        except (ValueError, decimal.InvalidOperation):
            pass
        return self.value


Term = IRI | BlankNode | Literal


@dataclass(frozen=True, slots=True)
class Triple:
    """One subject-predicate-object statement."""

    subject: IRI | BlankNode
    predicate: IRI
    object: Term


def from_oxigraph(term: Any) -> Term:
    """Convert a pyoxigraph term to ours."""
    if isinstance(term, ox.NamedNode):
        return IRI(term.value)
    if isinstance(term, ox.BlankNode):
        return BlankNode(term.value)
    if isinstance(term, ox.Literal):
        dt = term.datatype.value
        if term.language:
            return Literal(term.value, language=term.language)
        return Literal(term.value, datatype=None if dt == XSD_STRING else dt)
    raise TypeError(f"unsupported RDF term {term!r} (RDF-star triple terms are not supported)")


def to_oxigraph(term: Term) -> Any:
    """Convert one of our terms to pyoxigraph's (validates IRIs)."""
    if isinstance(term, IRI):
        return ox.NamedNode(term.value)
    if isinstance(term, BlankNode):
        return ox.BlankNode(term.id)
    return _literal_to_ox(term)


def _literal_to_ox(lit: Literal) -> Any:
    if lit.language:
        return ox.Literal(lit.value, language=lit.language)
    if lit.datatype and lit.datatype not in (XSD_STRING, RDF_LANGSTRING):
        return ox.Literal(lit.value, datatype=ox.NamedNode(lit.datatype))
    return ox.Literal(lit.value)


def to_rdflib(term: Term) -> Any:
    """One of our terms as rdflib's (``URIRef``, ``BNode``, ``Literal``), for code built on rdflib.

    >>> to_rdflib(Literal("5", datatype="http://www.w3.org/2001/XMLSchema#integer")).toPython()
    5
    """
    import rdflib

    if isinstance(term, IRI):
        return rdflib.URIRef(term.value)
    if isinstance(term, BlankNode):
        return rdflib.BNode(term.id)
    if term.language:
        return rdflib.Literal(term.value, lang=term.language)
    return rdflib.Literal(term.value, datatype=rdflib.URIRef(term.datatype) if term.datatype else None)


def from_rdflib(node: Any) -> Term:
    """An rdflib term as ours.

    >>> from_rdflib(to_rdflib(IRI("https://w3id.org/kgexplorer/id/ketamine")))
    IRI(value='https://w3id.org/kgexplorer/id/ketamine')
    """
    import rdflib

    if isinstance(node, rdflib.URIRef):
        return IRI(str(node))
    if isinstance(node, rdflib.BNode):
        return BlankNode(str(node))
    if isinstance(node, rdflib.Literal):
        if node.language:
            return Literal(str(node), language=node.language)
        dt = str(node.datatype) if node.datatype is not None else None
        return Literal(str(node), datatype=None if dt == XSD_STRING else dt)
    raise TypeError(f"unsupported rdflib term {node!r} (a variable or a quoted graph is not an RDF term)")
