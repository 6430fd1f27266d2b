"""The evidence rubric and how claims about one relation add up to what an edge shows.

The rubric's levels and ranks live in the graph (graph/ontology.ttl, kgx:EvidenceLevel); this module
names them for code and combines several claims about the same relation:

* the edge's evidence level is the strongest (lowest-ranked) level among its claims;
* its direction is the claims' common direction, or ``mixed`` when they differ.

>>> combine_directions(["supports", "supports"])
'supports'
>>> combine_directions(["supports", "null"])
'mixed'
>>> level("RCT").rank < level("Preclinical").rank
True
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from .namespaces import KGX

__all__ = ["DIRECTIONS", "LEVELS", "EvidenceLevel", "combine_directions", "level", "level_by_iri"]


@dataclass(frozen=True)
class EvidenceLevel:
    """One rung of the rubric."""

    key: str
    rank: int
    label: str

    @property
    def iri(self) -> str:
        return KGX + self.key


#: The rubric, strongest first (mirrors graph/ontology.ttl; a test keeps the two equal).
LEVELS: tuple[EvidenceLevel, ...] = (
    EvidenceLevel("MetaAnalysis", 1, "Meta-analysis of RCTs"),
    EvidenceLevel("RCT", 2, "Randomised controlled trial"),
    EvidenceLevel("ControlledTrial", 3, "Controlled trial (randomisation not stated)"),
    EvidenceLevel("OpenLabel", 4, "Open-label or single-arm trial"),
    EvidenceLevel("Observational", 5, "Observational study"),
    EvidenceLevel("CaseSeries", 6, "Case series"),
    EvidenceLevel("Review", 7, "Review"),
    EvidenceLevel("HumanExperimental", 8, "Human laboratory study"),
    EvidenceLevel("Preclinical", 9, "Preclinical (animal or cell) study"),
    EvidenceLevel("Reference", 10, "Reference or record"),
)
_BY_KEY = {lv.key: lv for lv in LEVELS}
_BY_IRI = {lv.iri: lv for lv in LEVELS}

#: Result directions, in the order they are shown. ``unclear``: the source itself calls the relation uncertain,
#: hypothesised or not established; it is never support.
DIRECTIONS: tuple[str, ...] = ("supports", "mixed", "null", "against", "unclear")


def level(key: str) -> EvidenceLevel:
    """The rubric level with this key (e.g. ``"RCT"``)."""
    try:
        return _BY_KEY[key]
    except KeyError:
        raise ValueError(f"unknown evidence level {key!r}; use one of {', '.join(_BY_KEY)}") from None


def level_by_iri(iri: str) -> EvidenceLevel | None:
    """The rubric level for an IRI, or None when it is not one of ours."""
    return _BY_IRI.get(iri)


def combine_directions(directions: Iterable[str]) -> str:
    """The direction an edge shows for its claims' directions."""
    found = {d for d in directions if d}
    if not found:
        return ""
    if len(found) == 1:
        return found.pop()
    return "mixed"
