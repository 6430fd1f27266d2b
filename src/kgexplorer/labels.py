"""Names and kinds of things: the label a person reads, and which kind of entity a node is.

Works on any RDF: labels come from rdfs:label, skos:prefLabel or schema:name (English first), else
the IRI's local name; the kind is the project class (Substance, Mechanism, …) when the node has one,
else the local name of its rdf:type, else "Resource".
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import unquote

from .namespaces import KGX
from .query import SelectResult
from .terms import IRI, Literal, Term

__all__ = ["KINDS", "Backend", "EntityRef", "fetch_kinds", "fetch_labels", "local_name"]


class Backend(Protocol):
    """Where template queries run: the embedded store, or a remote SPARQL endpoint."""

    def select(
        self,
        query: str,
        *,
        values: Mapping[str, Term | Sequence[Term]] | None = None,
        max_rows: int | None = None,
    ) -> SelectResult: ...


@dataclass(frozen=True)
class EntityRef:
    """A pointer to a node: its IRI, the label to show and its kind."""

    iri: str
    label: str
    kind: str


#: Project classes in the order used to pick one kind for a node (most specific meaning first).
KINDS: tuple[tuple[str, str], ...] = (
    ("Substance", "Substance"),
    ("Mechanism", "Mechanism"),
    ("Condition", "Condition"),
    ("Therapy", "Therapy"),
    ("Outcome", "Outcome"),
    ("AcuteEffect", "Acute effect"),
    ("Risk", "Risk"),
    ("AccessBarrier", "Access barrier"),
    ("Topic", "Topic"),
    ("Jurisdiction", "Jurisdiction"),
    ("Study", "Study"),
    ("RegulatoryEvent", "Regulatory event"),
    ("HistoricalEvent", "Historical event"),
    ("PublicationEvent", "Publication event"),
    ("LegalStatus", "Legal status"),
    ("Statistic", "Real-world figure"),
    ("Claim", "Claim"),
    ("StudyResult", "Study result"),
)
_KIND_BY_CLASS = {KGX + local: name for local, name in KINDS}
_KIND_RANK = {name: i for i, (_, name) in enumerate(KINDS)}
_LABEL_PREDICATES = ("rdfs:label", "skos:prefLabel", "schema:name")


def local_name(iri: str) -> str:
    """A readable name from the end of an IRI.

    >>> local_name("https://w3id.org/kgexplorer/id/alcohol_use_disorder")
    'alcohol use disorder'
    >>> local_name("http://www.w3.org/2000/01/rdf-schema#label")
    'label'
    """
    tail = re.split(r"[#/:]", iri.rstrip("/#"))[-1] or iri
    return unquote(tail).replace("_", " ")


def fetch_labels(backend: Backend, iris: Iterable[str], *, batch: int = 400) -> dict[str, str]:
    """The display label of each IRI (English or untagged first, then any language, then local name)."""
    wanted = list(dict.fromkeys(iris))
    valid = _valid_iris(wanted)
    found: dict[str, tuple[int, str]] = {}
    for i in range(0, len(valid), batch):
        chunk = valid[i : i + batch]
        rows = backend.select(
            "SELECT ?n ?p ?l WHERE { ?n ?p ?l . VALUES ?p { rdfs:label skos:prefLabel schema:name } "
            "FILTER(isLiteral(?l)) }",
            values={"n": chunk},
        ).rows
        for n, p, lab in rows:
            if not isinstance(lab, Literal) or n is None or p is None:
                continue
            score = _label_score(str(p), lab)
            key = str(n)
            if key not in found or score < found[key][0]:
                found[key] = (score, lab.value)
    names = {node.value for node in valid}
    return {iri: found[iri][1] if iri in found else local_name(iri) if iri in names else iri for iri in wanted}


def _valid_iris(values: Iterable[str]) -> list[IRI]:
    """The values that are IRIs. Data may hold a literal where an IRI is expected (a species written as
    text); such a value cannot be looked up, and is its own label rather than a crash."""
    out: list[IRI] = []
    for value in values:
        node = IRI(value)
        try:
            node.n3()
        except ValueError:
            continue
        out.append(node)
    return out


def _label_score(predicate: str, lab: Literal) -> int:
    pred_rank = 0 if predicate.endswith("#label") else 1 if predicate.endswith("prefLabel") else 2
    lang = (lab.language or "").lower()
    lang_rank = 0 if lang in ("en", "") or lang.startswith("en-") else 1
    return lang_rank * 10 + pred_rank


def fetch_kinds(backend: Backend, iris: Iterable[str], *, batch: int = 400) -> dict[str, str]:
    """The kind of each IRI (a project class name, else its type's local name, else 'Resource')."""
    wanted = list(dict.fromkeys(iris))
    valid = _valid_iris(wanted)
    types: dict[str, list[str]] = {}
    for i in range(0, len(valid), batch):
        chunk = valid[i : i + batch]
        for n, t in backend.select("SELECT ?n ?t WHERE { ?n a ?t }", values={"n": chunk}).rows:
            if isinstance(n, IRI) and isinstance(t, IRI):
                types.setdefault(n.value, []).append(t.value)
    return {iri: kind_of(types.get(iri, [])) for iri in wanted}


def kind_of(type_iris: Sequence[str]) -> str:
    """Pick one kind from a node's types.

    >>> kind_of(["https://w3id.org/kgexplorer/vocab#Dissociative", "https://w3id.org/kgexplorer/vocab#Substance"])
    'Substance'
    >>> kind_of(["http://example.org/onto#Person"])
    'Person'
    >>> kind_of([])
    'Resource'
    """
    ours = [_KIND_BY_CLASS[t] for t in type_iris if t in _KIND_BY_CLASS]
    if ours:
        return min(ours, key=lambda k: _KIND_RANK[k])
    for t in sorted(type_iris):
        if not t.startswith(("http://www.w3.org/2002/07/owl#", "http://www.w3.org/2000/01/rdf-schema#")):
            return local_name(t)
    return "Resource"
