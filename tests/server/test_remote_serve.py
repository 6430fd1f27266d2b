"""`kgexplorer serve --endpoint URL`: the endpoint in front of a real remote engine (an Oxigraph server holding the
bundled graph) answers /sparql, /queries and /id as it does in front of the bundled graph (issue 16)."""

from __future__ import annotations

import io

import pytest
import rdflib
from rdflib.compare import to_isomorphic
from rdflib.query import Result
from starlette.testclient import TestClient

from kgexplorer import KnowledgeGraph
from kgexplorer.server.endpoint import create_app

SELECT = "SELECT ?s ?l WHERE { ?s a kgx:Substance ; rdfs:label ?l } ORDER BY ?s ?l"
CONSTRUCT = "CONSTRUCT { ?s rdfs:label ?l } WHERE { ?s a kgx:Substance ; rdfs:label ?l }"


@pytest.fixture(scope="module")
def clients(kg: KnowledgeGraph, remote_kg: KnowledgeGraph) -> tuple[TestClient, TestClient]:
    return TestClient(create_app(kg)), TestClient(create_app(remote_kg))


def _rows(body: bytes, fmt: str) -> list[tuple[str, ...]]:
    return [tuple(str(v) for v in row) for row in Result.parse(io.BytesIO(body), format=fmt)]  # type: ignore[union-attr]


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_a_select_answers_alike(clients: tuple[TestClient, TestClient], fmt: str) -> None:
    here, there = (c.get("/sparql", params={"query": SELECT, "format": fmt}) for c in clients)
    assert here.status_code == there.status_code == 200, there.text
    assert _rows(there.content, fmt) == _rows(here.content, fmt)
    assert len(_rows(here.content, fmt)) > 10


def test_a_construct_answers_alike(clients: tuple[TestClient, TestClient]) -> None:
    here, there = (c.get("/sparql", params={"query": CONSTRUCT}, headers={"Accept": "text/turtle"}) for c in clients)
    assert here.status_code == there.status_code == 200, there.text
    graphs = [rdflib.Graph().parse(data=r.text, format="turtle") for r in (here, there)]
    assert to_isomorphic(graphs[1]) == to_isomorphic(graphs[0])


def test_the_gallery_and_an_iri_answer_alike(clients: tuple[TestClient, TestClient]) -> None:
    here, there = (c.get("/queries/studies-by-year", params={"format": "json"}) for c in clients)
    assert here.status_code == there.status_code == 200, there.text
    assert _rows(there.content, "json") == _rows(here.content, "json")
    here, there = (c.get("/id/ketamine", headers={"Accept": "text/turtle"}) for c in clients)
    assert here.status_code == there.status_code == 200, there.text
    graphs = [rdflib.Graph().parse(data=r.text, format="turtle") for r in (here, there)]
    assert len(graphs[0]) > 10
    assert to_isomorphic(graphs[1]) == to_isomorphic(graphs[0])
    card = clients[1].get("/id/ketamine", headers={"Accept": "text/html"})
    assert card.status_code == 200
    assert "Ketamine" in card.text
