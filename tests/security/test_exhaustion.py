"""Promise 2: no resource exhaustion. Hostile files and runaway queries end in a typed error within their
limits, and other users' queries keep being answered meanwhile.

Already proven elsewhere, not repeated: uploads over max_upload_mb and gzip bombs over max_decompressed_mb
(tests/test_store.py), a cartesian-product runaway and a query over the memory cap (tests/test_worker.py),
the same through the endpoint with a concurrent query answered meanwhile (tests/test_server.py), queries
over max_query_chars and deeply nested queries (tests/test_guard.py).
"""

from __future__ import annotations

import gzip
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from kgexplorer import GraphLoadError, KnowledgeGraph, QueryTimeout, QueryTooLarge, Settings
from kgexplorer.engine.store import load_bytes
from kgexplorer.model.search import LabelIndex

from .support import LOADERS as EVERY_LOADER

pytestmark = pytest.mark.xdist_group("security_exhaustion")

RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
MAX_XML_DEPTH = Settings().max_xml_depth
EX = "http://example.org/"


def billion_laughs(levels: int = 9) -> bytes:
    """The classic entity bomb: 10 ** levels copies of "lol" from a file of about a kilobyte."""
    entities = ['<!ENTITY lol0 "lol">']
    entities += [f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, levels + 1)]
    return (
        f'<?xml version="1.0"?>\n<!DOCTYPE rdf:RDF [{"".join(entities)}]>\n'
        f'<rdf:RDF xmlns:rdf="{RDF}" xmlns:ex="{EX}"><rdf:Description rdf:about="{EX}a">'
        f"<ex:p>&lol{levels};</ex:p></rdf:Description></rdf:RDF>"
    ).encode()


def deep_rdfxml(depth: int) -> bytes:
    opening = f'<?xml version="1.0"?>\n<rdf:RDF xmlns:rdf="{RDF}" xmlns:ex="{EX}"><rdf:Description rdf:about="{EX}a">'
    return (
        opening
        + "<ex:p><rdf:Description>" * depth
        + "</rdf:Description></ex:p>" * depth
        + "</rdf:Description></rdf:RDF>"
    ).encode()


def deep_jsonld(depth: int) -> bytes:
    return (f'{{"@id": "{EX}a", "{EX}p": ' + f'{{"{EX}p": ' * depth + "1" + "}" * depth + "}").encode()


def deep_jsonld_context(depth: int) -> bytes:
    return ('{"@context": ' + '{"a": ' * depth + "1" + "}" * depth + f', "@id": "{EX}a"}}').encode()


LOADERS = EVERY_LOADER


@pytest.mark.parametrize("loader", sorted(LOADERS))
def test_billion_laughs_is_refused(tmp_path: Path, loader: str) -> None:
    """Nested XML entities that would expand a 1 KB file to 3 GB are refused (Oxigraph alone expands them)."""
    with pytest.raises(GraphLoadError, match="billion laughs") as info:
        LOADERS[loader]("laughs.rdf", billion_laughs(), tmp_path)
    assert info.value.line == 3


def test_billion_laughs_is_refused_inside_gzip(tmp_path: Path) -> None:
    with pytest.raises(GraphLoadError, match="billion laughs"):
        load_bytes(gzip.compress(billion_laughs()), name="laughs.rdf.gz")
    path = tmp_path / "laughs.owl.gz"
    path.write_bytes(gzip.compress(billion_laughs()))
    with pytest.raises(GraphLoadError, match="billion laughs"):
        KnowledgeGraph.from_files([str(path)])


def test_a_few_plain_xml_entities_still_load() -> None:
    """Entities used as namespace shorthands (common in OWL files) are not mistaken for a bomb."""
    data = (
        f'<?xml version="1.0"?>\n<!DOCTYPE rdf:RDF [<!ENTITY ex "{EX}"> <!ENTITY rdf "{RDF}">]>\n'
        f'<rdf:RDF xmlns:rdf="&rdf;" xmlns:ex="&ex;"><rdf:Description rdf:about="&ex;a">'
        "<ex:p>x</ex:p></rdf:Description></rdf:RDF>"
    ).encode()
    assert len(load_bytes(data, name="onto.owl")) == 1


@pytest.mark.parametrize("loader", sorted(LOADERS))
def test_deeply_nested_rdf_xml_is_refused(tmp_path: Path, loader: str) -> None:
    """Oxigraph's RDF/XML parser is quadratic in depth (100,000 levels: 3 minutes); past max_xml_depth is refused."""
    with pytest.raises(GraphLoadError, match="levels deep") as info:
        LOADERS[loader]("deep.rdf", deep_rdfxml(MAX_XML_DEPTH + 1), tmp_path)
    assert info.value.line == 2
    assert len(load_bytes(deep_rdfxml(MAX_XML_DEPTH // 2 - 1), name="ok.rdf")) == MAX_XML_DEPTH // 2 - 1


@pytest.mark.parametrize("loader", sorted(LOADERS))
@pytest.mark.parametrize("make", [deep_jsonld, deep_jsonld_context], ids=["objects", "context"])
def test_deeply_nested_json_ld_is_a_typed_error(tmp_path: Path, loader: str, make: Callable[[int], bytes]) -> None:
    """100,000 levels of JSON-LD nesting end in GraphLoadError (no stack overflow, no crash)."""
    with pytest.raises(GraphLoadError, match=r"deep\.jsonld"):
        LOADERS[loader]("deep.jsonld", make(100_000), tmp_path)


@pytest.mark.parametrize("loader", sorted(LOADERS))
@pytest.mark.parametrize("where", ["literal", "iri"])
def test_a_50_mb_term_is_a_typed_error(tmp_path: Path, loader: str, where: str) -> None:
    """A single 50 MB literal or IRI exceeds the parser's 16 MiB token buffer: GraphLoadError, not MemoryError."""
    huge = "x" * (50 << 20)
    line = f'<{EX}a> <{EX}p> "{huge}" .\n' if where == "literal" else f'<{EX}{huge}> <{EX}p> "x" .\n'
    with pytest.raises(GraphLoadError, match="longer than 16 MiB"):
        LOADERS[loader]("huge.nt", line.encode(), tmp_path)


def test_a_1_mb_iri_and_literal_are_handled(tmp_path: Path) -> None:
    """Terms of a megabyte load, and search, entity cards and neighbourhoods work on them."""
    iri = f"{EX}{'i' * (1 << 20)}"
    label = "Longname " + "y" * (1 << 20)
    path = tmp_path / "long.ttl"
    path.write_text(
        f"<{iri}> a <https://w3id.org/kgexplorer/vocab#Substance> ;\n"
        f'  <http://www.w3.org/2000/01/rdf-schema#label> "{label}" ; <{EX}p> <{EX}b> .\n',
        encoding="utf-8",
    )
    with KnowledgeGraph.from_files([str(path)]) as kg:
        assert [h.iri for h in kg.search("longname")] == [iri]
        assert kg.entity(iri).label == label
        assert kg.neighbourhood(iri).graph.number_of_nodes() == 2
        assert len(kg.sparql("SELECT ?l WHERE { ?s rdfs:label ?l }").rows[0][0].value) == len(label)  # type: ignore[union-attr]


def test_search_with_a_huge_text_is_quick_and_empty() -> None:
    index = LabelIndex.from_rows([("kg:a", "Ketamine", True, "Substance")])
    assert index.search("k" * 5_000_000) == []
    assert index.search("\u0301" * 1000) == []


# ------------------------------------------------------------------------------------ runaway queries

RUNAWAYS = {
    "cartesian": "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }",
    "order-by-huge-join": "SELECT ?a ?d WHERE { ?a ?b ?c . ?d ?e ?f } ORDER BY DESC(STR(?c)) ?f LIMIT 1",
    "regex": 'SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f FILTER(REGEX(CONCAT(STR(?c),STR(?f)), "(a|aa)+z")) }',
}


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(RUNAWAYS))
def test_a_runaway_query_stops_at_its_limit_while_others_are_answered(kg: KnowledgeGraph, name: str) -> None:
    """Each runaway ends in QueryTimeout (or QueryTooLarge) at its limit; meanwhile another query is answered."""
    outcome: dict[str, BaseException] = {}

    def runaway() -> None:
        try:
            kg.sparql(RUNAWAYS[name], timeout_s=4)
        except (QueryTimeout, QueryTooLarge) as exc:
            outcome["error"] = exc

    # Both workers running first, so the quick query never waits for a worker to start (a slow machine
    # could take longer than the runaway's limit to load the graph into a new one).
    with ThreadPoolExecutor(2) as pool:
        list(pool.map(lambda _: kg.sparql("ASK {}"), range(2)))
    thread = threading.Thread(target=runaway)
    thread.start()
    time.sleep(1)  # let the runaway reach its worker first, so the quick query must use the other one
    try:
        answered = kg.sparql("ASK { kg:ketamine a kgx:Substance }")
        still_running = thread.is_alive()
    finally:
        thread.join(timeout=120)
    assert answered.value is True  # type: ignore[union-attr]
    assert still_running, "the quick query was answered only after the runaway ended"
    assert isinstance(outcome.get("error"), (QueryTimeout, QueryTooLarge)), outcome
    assert "query_time_limit_s" in str(outcome["error"]) or "worker_memory_mb" in str(outcome["error"])
