"""The project's namespaces and the prefixes every query may use without declaring them.

>>> KGX + "Claim"
'https://w3id.org/kgexplorer/vocab#Claim'
>>> PREFIXES["kg"]
'https://w3id.org/kgexplorer/id/'
"""

from __future__ import annotations

__all__ = ["BASE", "KG", "KGX", "PREFIXES", "RDF", "RDFS", "SKOS", "prefix_block", "shorten"]

BASE = "https://w3id.org/kgexplorer/"
KGX = BASE + "vocab#"
KG = BASE + "id/"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
SKOS = "http://www.w3.org/2004/02/skos/core#"

PREFIXES: dict[str, str] = {
    "kgx": KGX,
    "kg": KG,
    "rdf": RDF,
    "rdfs": RDFS,
    "owl": "http://www.w3.org/2002/07/owl#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "skos": SKOS,
    "dcterms": "http://purl.org/dc/terms/",
    "prov": "http://www.w3.org/ns/prov#",
    "bibo": "http://purl.org/ontology/bibo/",
    "schema": "http://schema.org/",
    "biolink": "https://w3id.org/biolink/vocab/",
    "void": "http://rdfs.org/ns/void#",
    "dcat": "http://www.w3.org/ns/dcat#",
}


def prefix_block(prefixes: dict[str, str] | None = None) -> str:
    """SPARQL PREFIX lines for the given (default: all project) prefixes.

    >>> prefix_block({"kg": KG})
    'PREFIX kg: <https://w3id.org/kgexplorer/id/>\\n'
    """
    return "".join(f"PREFIX {p}: <{iri}>\n" for p, iri in (prefixes or PREFIXES).items())


def shorten(iri: str) -> str:
    """A compact name for an IRI: ``prefix:local`` for project prefixes, else the IRI itself.

    >>> shorten("https://w3id.org/kgexplorer/id/ketamine")
    'kg:ketamine'
    >>> shorten("http://example.org/x")
    'http://example.org/x'
    """
    best = ""
    for p, ns in PREFIXES.items():
        if iri.startswith(ns) and len(ns) > len(best):
            best = ns
            local = iri[len(ns) :]
            name = f"{p}:{local}" if local and all(c.isalnum() or c in "_-." for c in local) else iri
    return name if best else iri
