"""The gallery over HTTP (/queries, /queries/NAME) and the vocabulary's IRIs dereferenced (/id/NAME)."""

from __future__ import annotations

import io

import pytest
import rdflib
from rdflib.query import Result
from starlette.testclient import TestClient

from kgexplorer import KnowledgeGraph
from kgexplorer.model.gallery import get_query
from kgexplorer.server.endpoint import create_app
from kgexplorer.terms import IRI

KG = "https://w3id.org/kgexplorer/id/"
QUESTION = "risks-and-barriers-of-a-substance"


@pytest.fixture(scope="module")
def client(kg: KnowledgeGraph) -> TestClient:
    return TestClient(create_app(kg))


def _labels(kg: KnowledgeGraph, substance: str) -> set[str]:
    result = get_query(QUESTION).run(kg, {"substance": IRI(KG + substance)})
    return {str(r[v]) for r in result for v in result.variables if r[v] is not None}  # type: ignore[union-attr]


def test_the_gallery_is_listed_with_its_parameters(client: TestClient) -> None:
    listed = {q["name"]: q for q in client.get("/queries").json()["queries"]}
    assert listed[QUESTION]["parameters"] == [{"name": "substance", "kind": "Substance", "default": KG + "ketamine"}]
    assert listed[QUESTION]["url"].endswith(f"/queries/{QUESTION}")


@pytest.mark.parametrize("fmt", ["json", "xml", "csv", "tsv"])
def test_a_canned_query_runs_with_a_parameter_in_every_format(client: TestClient, kg: KnowledgeGraph, fmt: str) -> None:
    """/queries/NAME?substance=… binds the value (a name the graph knows, checked for its kind)."""
    r = client.get(f"/queries/{QUESTION}", params={"substance": "Spravato", "format": fmt})
    assert r.status_code == 200, r.text
    if fmt in ("json", "xml"):
        rows = Result.parse(io.BytesIO(r.content), format=fmt)
        got = {str(v) for row in rows for v in row if v is not None}  # type: ignore[union-attr]
        assert got == _labels(kg, "esketamine")
    else:
        assert len(r.text.splitlines()) - 1 == len(get_query(QUESTION).run(kg, {"substance": IRI(KG + "esketamine")}))
    default = client.get(f"/queries/{QUESTION}", params={"format": fmt})
    assert default.status_code == 200
    # ketamine, the default, is another answer: the same text, other bindings, never the remembered answer
    assert default.content != r.content


def test_a_canned_query_on_a_remote_engine_binds_its_parameter(kg: KnowledgeGraph, remote_kg: KnowledgeGraph) -> None:
    """An endpoint in front of another engine (a real Oxigraph server) binds /queries/NAME?… the same way."""
    remote = TestClient(create_app(remote_kg))
    r = remote.get(f"/queries/{QUESTION}", params={"substance": "Spravato", "format": "json"})
    assert r.status_code == 200, r.text
    rows = Result.parse(io.BytesIO(r.content), format="json")
    assert {str(v) for row in rows for v in row if v is not None} == _labels(kg, "esketamine")  # type: ignore[union-attr]


def test_a_canned_query_refuses_what_it_cannot_bind(client: TestClient) -> None:
    unknown = client.get(f"/queries/{QUESTION}", params={"drug": "kg:ketamine"})
    assert (unknown.status_code, unknown.json()["type"]) == (400, "BadRequest")
    assert "its parameters are: substance" in unknown.json()["error"]
    wrong_kind = client.get(f"/queries/{QUESTION}", params={"substance": KG + "alcohol_use_disorder"})
    assert wrong_kind.status_code == 400
    assert "takes a Substance" in wrong_kind.json()["error"]
    injected = client.get(f"/queries/{QUESTION}", params={"substance": "<x> } DROP ALL #"})
    assert injected.status_code == 400
    missing = client.get("/queries/no-such-question")
    assert missing.status_code == 404
    assert QUESTION in missing.json()["error"]


def test_an_iri_dereferences_to_turtle_or_a_card(client: TestClient, kg: KnowledgeGraph) -> None:
    turtle = client.get("/id/ketamine", headers={"Accept": "text/turtle"})
    assert turtle.status_code == 200
    assert turtle.headers["content-type"].startswith("text/turtle")
    graph = rdflib.Graph().parse(data=turtle.text, format="turtle")
    assert (rdflib.URIRef(KG + "ketamine"), rdflib.RDFS.label, rdflib.Literal("Ketamine", lang="en")) in graph
    page = client.get("/id/ketamine", headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
    assert page.status_code == 200
    assert "<h1>Ketamine</h1>" in page.text
    assert 'href="pub_berman_2000"' in page.text  # a linked entity of ours opens its own card
    assert client.get("/id/pub_berman_2000", headers={"Accept": "text/html"}).status_code == 200
    assert "default-src 'none'" in page.headers["content-security-policy"]
    assert (
        client.get("/id/ketamine", params={"format": "nt"}).headers["content-type"].startswith("application/n-triples")
    )
    assert client.get("/id/no_such_thing").status_code == 404
    assert client.get("/id/ketamine", headers={"Accept": "image/png"}).status_code == 406
