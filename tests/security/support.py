"""Helpers shared by the security tests: a recording loopback listener, the hostile graph, file digests."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.loopback import Answer
from tests.loopback import Listener as _Listener

from kgexplorer import KnowledgeGraph
from kgexplorer.engine.bulk_load import write_disk_store
from kgexplorer.engine.store import DataFile, load_bytes
from kgexplorer.engine.validation import validate

__all__ = [
    "CONTEXT_BODY", "HOSTILE_TTL", "LOADERS", "PAYLOAD", "ROOT", "SECRET_BODY", "Listener", "digest", "payload",
]  # fmt: skip

ROOT = Path(__file__).resolve().parents[2]
#: What the listener serves for any path with "ctx" in it (a JSON-LD context) and for anything else.
CONTEXT_BODY = b'{"@context": {"name": "http://example.org/name"}}'
SECRET_BODY = b"LEAKED-BY-A-FETCH"


class Listener(_Listener):
    """The recording listener, answering a JSON-LD context for any path with "ctx" in it, else SECRET_BODY."""

    def __init__(self) -> None:
        super().__init__(_context_or_secret)

    @property
    def requests(self) -> list[str]:
        return self.received


def _context_or_secret(path: str) -> Answer:
    if "ctx" in path:
        return 200, "application/ld+json", CONTEXT_BODY
    return 200, "text/plain", SECRET_BODY


# ------------------------------------------------------------------------------------ hostile data

#: Each marker sets window.__pwned when it runs in a browser, or shows as a link or bold text when a
#: Markdown renderer obeys it; escaped, all of it shows as plain text.
PAYLOAD = (
    '<script>window.__pwned=1</script><img src=x onerror="window.__pwned=1"> '
    "[click {tag}](javascript:window.__pwned=1) [site {tag}](https://evil.example/{tag}) "
    '<a href="javascript:window.__pwned=1">anchor {tag}</a> **bold{tag}**'
)


def payload(tag: str) -> str:
    return PAYLOAD.format(tag=tag)


HOSTILE_TTL = f"""PREFIX kg: <https://w3id.org/kgexplorer/id/>
PREFIX kgx: <https://w3id.org/kgexplorer/vocab#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX dcterms: <http://purl.org/dc/terms/>

kg:hostile_substance a kgx:Substance ;
    rdfs:label \"\"\"Hostile {payload("label")}\"\"\"@en ;
    skos:altLabel \"\"\"{payload("synonym")}\"\"\"@en ;
    skos:definition \"\"\"{payload("definition")}\"\"\"@en ;
    kgx:chebiId \"\"\"{payload("identifier")}\"\"\" ;
    kgx:substanceClass \"\"\"{payload("class")}\"\"\"@en ;
    dcterms:source <javascript:window.__pwned=1> , <https://evil.example/a)(javascript:window.__pwned=1)> .

kg:hostile_condition a kgx:Condition ;
    rdfs:label \"\"\"Hostile condition {payload("condition")}\"\"\"@en .

kg:hostile_study a kgx:Study ;
    rdfs:label \"\"\"{payload("study")}\"\"\"@en ;
    dcterms:title \"\"\"{payload("title")}\"\"\" ;
    kgx:doi <https://doi.org/10.1/x)(javascript:window.__pwned=1)> ;
    kgx:year 2020 ;
    kgx:evidenceLevel kgx:RCT .

kg:hostile_claim a kgx:Claim ;
    kgx:subject kg:hostile_substance ; kgx:predicate kgx:testedFor ; kgx:object kg:hostile_condition ;
    kgx:statement \"\"\"{payload("statement")}\"\"\"@en ;
    kgx:explanation \"\"\"{payload("explanation")}\"\"\"@en ;
    kgx:note \"\"\"{payload("note")}\"\"\"@en ;
    kgx:species \"\"\"{payload("species")}\"\"\" ;
    kgx:evidenceLevel kgx:RCT ; kgx:resultDirection kgx:Supports ; kgx:status kgx:Verified ;
    kgx:supportedBy kg:hostile_study .

kg:hostile_claim_relation a kgx:Claim ;
    kgx:subject kg:hostile_substance ; kgx:predicate <http://example.org/hostileRelation> ;
    kgx:object kg:hostile_condition ; kgx:evidenceLevel kgx:Preclinical ; kgx:resultDirection kgx:Mixed .

<http://example.org/hostileRelation> rdfs:label \"\"\"{payload("relation")}\"\"\"@en .

kg:hostile_typed a <http://example.org/%3Cimg%20src%3Dx%20onerror%3Dwindow.__pwned%3D1%3E%5Bt%5D(javascript:x)> ;
    rdfs:label \"\"\"Hostile typed {payload("typed")}\"\"\"@en ;
    <http://example.org/%3Cscript%3Ewindow.__pwned%3D1%3C%2Fscript%3E> kg:hostile_substance .

<https://example.org/hostile-dataset> a <http://rdfs.org/ns/void#Dataset> ;
    dcterms:title \"\"\"Hostile dataset {payload("dataset")}\"\"\" ;
    dcterms:description \"\"\"{payload("description")}\"\"\" ;
    dcterms:bibliographicCitation \"\"\"{payload("citation")}\"\"\" ;
    dcterms:license <https://example.org/licence)(javascript:window.__pwned=1)> .

kg:hostile_claim_aud a kgx:Claim ;
    kgx:subject kg:hostile_substance ; kgx:predicate kgx:testedFor ; kgx:object kg:alcohol_use_disorder ;
    kgx:evidenceLevel kgx:OpenLabel ; kgx:resultDirection kgx:Supports ; kgx:supportedBy kg:hostile_study .
"""


# ------------------------------------------------------------------------------------ integrity


def digest(folder: Path, pattern: str = "**/*") -> dict[str, str]:
    """sha256 of every file under ``folder`` matching ``pattern``, by relative path."""
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.glob(pattern))
        if p.is_file()
    }


# ------------------------------------------------------------------------------- every loader of RDF files


def _load_bytes(name: str, data: bytes, tmp: Path) -> Any:
    return len(load_bytes(data, name=name))


def _from_files(name: str, data: bytes, tmp: Path) -> Any:
    path = tmp / name
    path.write_bytes(data)
    with KnowledgeGraph.from_files([str(path)]) as kg:
        return len(kg)


def _disk_store(name: str, data: bytes, tmp: Path) -> Any:
    path = tmp / name
    path.write_bytes(data)
    return write_disk_store([DataFile(str(path))], str(tmp / "store"))


def _validate(name: str, data: bytes, tmp: Path) -> Any:
    path = tmp / name
    path.write_bytes(data)
    return validate([str(path)])


#: Every way a file of RDF gets read, as ``loader(file name, bytes, a temporary folder)``: a refusal must hold
#: through each of them, not only the one a test happens to call.
LOADERS: dict[str, Callable[[str, bytes, Path], Any]] = {
    "load_bytes": _load_bytes,
    "from_files": _from_files,
    "write_disk_store": _disk_store,
    "validate": _validate,
}
