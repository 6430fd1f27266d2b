"""RDF terms as small immutable values, the same whichever store or endpoint produced them.

>>> IRI("https://w3id.org/kgexplorer/id/ketamine").n3()
'<https://w3id.org/kgexplorer/id/ketamine>'
>>> Literal("Ketamine", language="en").n3()
'"Ketamine"@en'
>>> str(Literal("40", datatype="http://www.w3.org/2001/XMLSchema#integer"))
'40'
"""

from __future__ import annotations

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
    "to_oxigraph",
]

XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
RDF_LANGSTRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"


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
