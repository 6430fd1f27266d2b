"""Helpers shared by the security tests: a recording loopback listener, the hostile graph, file digests."""

from __future__ import annotations

import hashlib
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

__all__ = ["CONTEXT_BODY", "HOSTILE_TTL", "PAYLOAD", "ROOT", "SECRET_BODY", "Listener", "digest", "payload"]

ROOT = Path(__file__).resolve().parents[2]
#: What the listener serves for any path with "ctx" in it (a JSON-LD context) and for anything else.
CONTEXT_BODY = b'{"@context": {"name": "http://example.org/name"}}'
SECRET_BODY = b"LEAKED-BY-A-FETCH"


class Listener:
    """A 127.0.0.1 HTTP server in a thread that records every request (any method) it receives."""

    def __init__(self) -> None:
        self.requests: list[str] = []
        listener = self

        class Handler(BaseHTTPRequestHandler):
            def _record(self) -> None:
                listener.requests.append(f"{self.command} {self.path}")
                length = int(self.headers.get("Content-Length") or 0)
                if length:
                    self.rfile.read(length)
                body = CONTEXT_BODY if "ctx" in self.path else SECRET_BODY
                self.send_response(200)
                self.send_header("Content-Type", "application/ld+json" if "ctx" in self.path else "text/plain")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = do_HEAD = do_PUT = do_DELETE = do_OPTIONS = _record  # noqa: N815

            def log_message(self, format: str, *args: object) -> None:  # quiet test output
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=10)


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
