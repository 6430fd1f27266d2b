"""Names and kinds of things: the label a person reads, and which kind of entity a node is.

Works on any RDF: labels come from rdfs:label, skos:prefLabel, schema:name, foaf:name, dcterms:title or
dc:title (:data:`LABEL_PREDICATES`, in that order; English first), else from any other predicate whose
local name is exactly ``name`` or ``title`` (LUBM's ``ub:name``; used only when a node has none of the
former), else the IRI's local name. The kind is the project class (Substance, Mechanism, …) when the
node has one, else the local name of its rdf:type, else "Resource".

Why the label query is a UNION of one branch per predicate: Oxigraph answers ``?n ?p ?l`` joined with
``VALUES ?p {…}`` by scanning, and the UNION form was measured 60× faster on Hetionet (400 nodes: 9 ms
against 620 ms); the card of a Hetionet hub gene spent 11.5 s of its 11.9 s in the old query.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from urllib.parse import unquote

from kgexplorer.engine.backend import Backend
from kgexplorer.namespaces import KGX, RDFS, SKOS
from kgexplorer.terms import IRI, Literal

__all__ = [
    "KINDS",
    "LABEL_PREDICATES",
    "NAME_LOCAL_NAMES",
    "SUBCLASS_KINDS",
    "SYNONYM_PREDICATES",
    "EntityRef",
    "fetch_kinds",
    "fetch_labels",
    "is_name_predicate",
    "label_pattern",
    "label_score",
    "local_name",
    "name_pattern",
]


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
    ("AdverseEvent", "Adverse event"),
    ("DrugClass", "Drug class"),
    ("Topic", "Topic"),
    ("Jurisdiction", "Jurisdiction"),
    ("Study", "Study"),
    ("Source", "Source document"),
    ("RegulatoryEvent", "Regulatory event"),
    ("HistoricalEvent", "Historical event"),
    ("PublicationEvent", "Publication event"),
    ("LegalStatus", "Legal status"),
    ("Statistic", "Real-world figure"),
    ("Claim", "Claim"),
    ("StudyResult", "Study result"),
)
#: Subclasses of the kinds (graph/ontology.ttl, rdfs:subClassOf), so a node typed only with a subclass, such as
#: a care model or a drug label, still has its kind (a test keeps this equal to the ontology).
SUBCLASS_KINDS: dict[str, str] = {
    **dict.fromkeys(
        ("Dissociative", "SerotonergicPsychedelic", "Entactogen", "Oneirogen", "Metabolite", "Preparation"),
        "Substance",
    ),
    **dict.fromkeys(
        ("MolecularTarget", "NeurochemicalEffect", "IntracellularSignalling", "NeuralProcess", "PsychologicalProcess"),
        "Mechanism",
    ),
    **dict.fromkeys(("SubstanceUseDisorder", "MoodDisorder", "AnxietyDisorder", "TraumaRelatedDisorder"), "Condition"),
    **dict.fromkeys(("Psychotherapy", "DrugAssistedTherapy", "CareModel"), "Therapy"),
    **dict.fromkeys(("DrugLabel", "RegulatoryDocument", "Guideline"), "Source document"),
}
_KIND_BY_CLASS = {KGX + local: name for local, name in KINDS} | {KGX + c: k for c, k in SUBCLASS_KINDS.items()}
_KIND_RANK = {name: i for i, (_, name) in enumerate(KINDS)}
#: Predicates read as a node's label, best first.
LABEL_PREDICATES: tuple[str, ...] = (
    RDFS + "label",
    SKOS + "prefLabel",
    "http://schema.org/name",
    "http://xmlns.com/foaf/0.1/name",
    "http://purl.org/dc/terms/title",
    "http://purl.org/dc/elements/1.1/title",
)
#: Predicates whose values search finds but never shows as the node's name: synonyms, and hidden labels
#: (street and lay names such as "magic mushrooms", each from a public-health agency's page) and genus names
#: (kgx:genusName: Psilocybe finds psilocybin, and search says it is a genus: model/lay_names.py).
SYNONYM_PREDICATES: tuple[str, ...] = (SKOS + "altLabel", SKOS + "hiddenLabel", KGX + "genusName")
#: Local names of other predicates read as a label when a node has none of :data:`LABEL_PREDICATES`.
NAME_LOCAL_NAMES: tuple[str, ...] = ("name", "title")
_GENERIC_RANK = 100  # any label of LABEL_PREDICATES, in any language, beats a generic name
_NAME_ENDINGS = tuple(sep + n for n in NAME_LOCAL_NAMES for sep in ("/", "#"))


def is_name_predicate(iri: str) -> bool:
    """Whether a predicate names things: one of :data:`LABEL_PREDICATES`, or local name ``name``/``title``.

    >>> is_name_predicate("http://www.lehigh.edu/~zhp2/2004/0401/univ-bench.owl#name")
    True
    >>> is_name_predicate("http://example.org/nickname")
    False
    """
    return iri in LABEL_PREDICATES or iri.endswith(_NAME_ENDINGS)


def label_pattern(node: str = "?n", predicates: Sequence[str] = LABEL_PREDICATES) -> str:
    """The graph pattern binding ``?p`` and ``?l`` to the ``predicates`` (all :data:`LABEL_PREDICATES`) of ``node``.

    >>> label_pattern("?e").count("UNION")
    5
    """
    return " UNION ".join(f"{{ {node} <{p}> ?l . BIND(<{p}> AS ?p) }}" for p in predicates)


def name_pattern(node: str = "?n") -> str:
    """The graph pattern binding ``?p`` and ``?l`` to the other ``…/name`` and ``…#title`` literals of ``node``.

    It reads every triple of the node, so bind ``node`` (with VALUES) to nodes that have no label.
    """
    known = ", ".join(f"<{p}>" for p in LABEL_PREDICATES)
    ends = " || ".join(f'STRENDS(STR(?p), "{e}")' for e in _NAME_ENDINGS)
    return f"{node} ?p ?l . FILTER(isLiteral(?l) && ({ends}) && ?p NOT IN ({known}))"


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
    """The display label of each IRI (English or untagged first, then any language, then local name).

    Nodes without any of the :data:`LABEL_PREDICATES` are asked again for a ``…/name`` or ``…#title``
    literal (a second, cheap pass: most nodes of most graphs have a label).
    """
    wanted = list(dict.fromkeys(iris))
    valid = _valid_iris(wanted)
    found: dict[str, tuple[int, str]] = {}
    _collect(backend, label_pattern(), valid, found, batch=batch)
    _collect(backend, name_pattern(), [n for n in valid if n.value not in found], found, batch=batch)
    names = {node.value for node in valid}
    return {iri: found[iri][1] if iri in found else local_name(iri) if iri in names else iri for iri in wanted}


def _collect(
    backend: Backend, pattern: str, nodes: list[IRI], found: dict[str, tuple[int, str]], *, batch: int
) -> None:
    """Add the best label of each node that ``pattern`` finds to ``found`` (score, text)."""
    for i in range(0, len(nodes), batch):
        rows = backend.select(
            f"SELECT ?n ?p ?l WHERE {{ {pattern} FILTER(isLiteral(?l)) }}", values={"n": nodes[i : i + batch]}
        ).rows
        for n, p, lab in rows:
            if not isinstance(lab, Literal) or n is None or p is None:
                continue
            score = label_score(str(p), lab)
            key = str(n)
            if key not in found or score < found[key][0]:
                found[key] = (score, lab.value)


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


def label_score(predicate: str, lab: Literal) -> int:
    """Lower is better: a known label predicate before a generic name, then English, then the predicate."""
    known = predicate in LABEL_PREDICATES
    pred_rank = LABEL_PREDICATES.index(predicate) if known else 0
    lang = (lab.language or "").lower()
    lang_rank = 0 if lang in ("en", "") or lang.startswith("en-") else 1
    return (0 if known else _GENERIC_RANK) + lang_rank * 10 + pred_rank


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
