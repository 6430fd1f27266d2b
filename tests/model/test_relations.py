"""Relations of an entity (kgexplorer.model.relations): counted by the backend, exactly the ones the
neighbourhood view draws, on the bundled graph, on any RDF and behind a SPARQL endpoint."""

from __future__ import annotations

import http.server
import threading
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest

from kgexplorer import EntityNotFound, KnowledgeGraph, Neighbourhood, RelationCount, SelectResult
from kgexplorer.engine.store import StoreRecipe, build_store
from kgexplorer.model.neighbourhood import MORE, edge_filter
from kgexplorer.model.relations import relation_iri, relation_key

KG = "https://w3id.org/kgexplorer/id/"
KGX = "https://w3id.org/kgexplorer/vocab#"
UB = "http://www.lehigh.edu/~zhp2/2004/0401/univ-bench.owl#"
ENTITIES = ["ketamine", "alcohol_use_disorder", "esketamine", "psilocybin", "nmda_antagonism"]


def drawn(view: Neighbourhood) -> Counter[tuple[str, str]]:
    """Links from the focus in the view by (predicate, direction), "+N more" nodes counted as their N."""
    counts: Counter[tuple[str, str]] = Counter()
    for s, o, p in view.graph.edges(keys=True):
        if view.focus not in (s, o):
            continue
        other = o if s == view.focus else s
        more = view.graph.nodes[other]
        counts[(p, "out" if s == view.focus else "in")] += more["count"] if more["kind"] == MORE else 1
    return counts


def listed(found: tuple[RelationCount, ...]) -> Counter[tuple[str, str]]:
    counts: Counter[tuple[str, str]] = Counter()
    for r in found:
        counts.update({(r.iri, "out"): r.outgoing, (r.iri, "in"): r.incoming})
    return +counts  # drops the zero counts


def test_ketamine_counts_match_a_sparql_count(kg: KnowledgeGraph) -> None:
    found = kg.relations("ketamine")
    expected: Counter[tuple[str, str]] = Counter()
    for direction, pattern in (("out", "kg:ketamine ?p ?o"), ("in", "?o ?p kg:ketamine")):
        result = kg.sparql(
            f"SELECT ?p (COUNT(DISTINCT ?o) AS ?n) WHERE {{ {pattern} . {edge_filter()} "
            "FILTER(?o != kg:ketamine) } GROUP BY ?p"
        )
        assert isinstance(result, SelectResult)
        expected.update({(str(p), direction): int(str(n)) for p, n in result.rows})

    assert listed(found) == expected
    by_label = {r.label: r for r in found}
    assert (by_label["acts on"].outgoing, by_label["acts on"].incoming) == (10, 0)
    assert by_label["is an enantiomer of"].incoming == 2  # esketamine and arketamine point at it


def test_relations_are_sorted_by_total_then_label(kg: KnowledgeGraph) -> None:
    found = kg.relations("ketamine")

    assert [(-r.total, r.label.casefold()) for r in found] == sorted((-r.total, r.label.casefold()) for r in found)
    assert all(r.total == r.outgoing + r.incoming > 0 for r in found)


def test_bookkeeping_literals_and_claims_are_not_relations(kg: KnowledgeGraph) -> None:
    iris = {r.iri for r in kg.relations("ketamine")}

    for skipped in ("subject", "object", "substanceClass", "chemblId", "status", "evidenceLevel"):
        assert KGX + skipped not in iris  # claim links, literals, rubric values
    assert "http://www.w3.org/1999/02/22-rdf-syntax-ns#type" not in iris


@pytest.mark.parametrize("name", ENTITIES)
def test_the_listed_relations_are_the_ones_the_view_draws(kg: KnowledgeGraph, name: str) -> None:
    view = kg.neighbourhood(name, depth=1)
    assert not view.truncated  # else the view would not draw every link and could not be compared

    assert listed(kg.relations(name)) == drawn(view)


@pytest.mark.parametrize("name", ["ketamine", "alcohol_use_disorder"])
def test_each_listed_relation_alone_draws_only_itself(kg: KnowledgeGraph, name: str) -> None:
    for relation in kg.relations(name):
        view = kg.neighbourhood(name, depth=1, relations=[relation.iri])
        keys = {p for s, o, p in view.graph.edges(keys=True) if view.focus in (s, o)}

        assert keys == {relation.iri}, relation.label
        assert view.graph.number_of_nodes() > 1


def test_an_unknown_entity_is_an_error(kg: KnowledgeGraph) -> None:
    with pytest.raises(EntityNotFound):
        kg.relations("no_such_thing_here")


def test_relations_resolve_names_like_every_feature(kg: KnowledgeGraph) -> None:
    assert kg.relations("Spravato") == kg.relations(KG + "esketamine")


def test_a_generic_graph_counts_only_links_to_other_things(tmp_path: Path) -> None:
    data = tmp_path / "tiny.ttl"
    data.write_text(
        "@prefix ex: <http://example.org/> .\n"
        "@prefix owl: <http://www.w3.org/2002/07/owl#> .\n"
        "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n"
        "ex:knows rdfs:label 'knows'@en .\n"
        "ex:a a ex:Person ; ex:knows ex:b, ex:c ; ex:age 41 ; ex:sameKind owl:Thing ; ex:likes ex:a, _:x .\n"
        "ex:d ex:knows ex:a .\n",
        encoding="utf-8",
    )
    with KnowledgeGraph.from_files([str(data)]) as graph:
        found = graph.relations("http://example.org/a")
        view = graph.neighbourhood("http://example.org/a", depth=1)

    assert found == (RelationCount("http://example.org/knows", "knows", 2, 1),)
    assert listed(found) == drawn(view)


@pytest.mark.shared
def test_it_works_on_lubm(shared_dir: Path) -> None:
    department = "http://www.Department0.University0.edu"
    with KnowledgeGraph.from_files([str(shared_dir / "data" / "lubm" / "lubm1.nt.gz")]) as lubm:
        found = lubm.relations(department)
        view = lubm.neighbourhood(department, depth=1)
        members = lubm.sparql(f"SELECT (COUNT(DISTINCT ?x) AS ?n) WHERE {{ ?x <{UB}memberOf> <{department}> }}")
        only = lubm.neighbourhood(department, depth=1, relations=[UB + "worksFor"])

    by_iri = {r.iri: r for r in found}
    assert isinstance(members, SelectResult)
    assert by_iri[UB + "memberOf"].incoming == int(str(members.rows[0][0])) > 0
    assert by_iri[UB + "subOrganizationOf"].outgoing == 1  # the department belongs to its university
    assert listed(found) == drawn(view)
    assert {p for s, o, p in only.graph.edges(keys=True)} == {UB + "worksFor"}


# ------------------------------------------------------------------------------ behind an endpoint


@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    """A minimal SPARQL endpoint on 127.0.0.1 answering from the bundled store (derived edges included)."""
    store = build_store(StoreRecipe.bundled())

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            query = self.rfile.read(int(self.headers["Content-Length"])).decode("utf-8")
            body = store.query(query, use_default_graph_as_union=True).serialize(format=ox.QueryResultsFormat.JSON)
            self.send_response(200)
            self.send_header("Content-Type", "application/sparql-results+json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/sparql"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def test_an_endpoint_gives_the_local_answer(kg: KnowledgeGraph, endpoint: str) -> None:
    with KnowledgeGraph.from_endpoint(endpoint) as remote:
        found = remote.relations(KG + "ketamine")

    assert found == kg.relations("ketamine")


# ------------------------------------------------------------------------------ names in page URLs


@pytest.mark.parametrize(
    ("iri", "key"),
    [
        (KGX + "actsOn", "actsOn"),
        ("http://www.w3.org/2000/01/rdf-schema#seeAlso", "rdfs:seeAlso"),
        (UB + "worksFor", UB + "worksFor"),
        ("http://example.org/a,b", "http://example.org/a%2Cb"),
    ],
)
def test_a_url_names_a_relation_briefly_and_reads_it_back(iri: str, key: str) -> None:
    assert relation_key(iri) == key
    assert "," not in key
    assert relation_iri(key) == iri


@pytest.mark.parametrize("key", ["", "  ", "two words", "http://example.org/a b"])
def test_a_url_part_that_names_no_relation_reads_as_none(key: str) -> None:
    assert relation_iri(key) is None
