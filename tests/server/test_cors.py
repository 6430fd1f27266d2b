"""Cross-origin reads (``--cors``): off by default, the named origins only, the preflight answered."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from kgexplorer import KnowledgeGraph
from kgexplorer.errors import SettingError
from kgexplorer.server.cors import allowed_origins
from kgexplorer.server.endpoint import create_app, host_names

PAGE = "http://127.0.0.1:9999"
ASK = "ASK { kg:ketamine a kgx:Substance }"


def _preflight(client: TestClient, origin: str) -> dict[str, str]:
    r = client.options(
        "/sparql",
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type, accept",
        },
    )
    return {"status": str(r.status_code), **{k.lower(): v for k, v in r.headers.items()}}


def test_no_page_on_another_origin_reads_answers_by_default(kg: KnowledgeGraph) -> None:
    client = TestClient(create_app(kg, allowed_hosts=host_names("127.0.0.1", "")), base_url="http://127.0.0.1")
    r = client.get("/sparql", params={"query": ASK}, headers={"Origin": PAGE})
    assert r.status_code == 200
    assert "access-control-allow-origin" not in r.headers
    assert "access-control-allow-origin" not in _preflight(client, PAGE)


def test_a_named_origin_reads_answers_and_its_preflight_is_answered(kg: KnowledgeGraph) -> None:
    app = create_app(kg, allowed_hosts=host_names("127.0.0.1", ""), cors_origins=[PAGE + "/"])
    client = TestClient(app, base_url="http://127.0.0.1")
    pre = _preflight(client, PAGE)
    assert pre["status"] == "200"
    assert pre["access-control-allow-origin"] == PAGE
    assert "POST" in pre["access-control-allow-methods"]
    assert "content-type" in pre["access-control-allow-headers"].lower()
    form = {
        "Origin": PAGE,
        "Content-Type": "application/x-www-form-urlencoded",
        "Accept": "application/sparql-results+json",
    }
    r = client.post("/sparql", content=f"query={ASK}", headers=form)
    assert r.json()["boolean"] is True
    assert r.headers["access-control-allow-origin"] == PAGE
    other = client.get("/sparql", params={"query": ASK}, headers={"Origin": "http://evil.example"})
    assert "access-control-allow-origin" not in other.headers
    # An error answer is readable too, so the page can show why a query failed.
    bad = client.get("/sparql", params={"query": "SELECT"}, headers={"Origin": PAGE})
    assert (bad.status_code, bad.headers["access-control-allow-origin"]) == (400, PAGE)


def test_cors_does_not_open_the_host_check(kg: KnowledgeGraph) -> None:
    """A page reaching the endpoint through a name of its own (DNS rebinding) is still refused."""
    app = create_app(kg, allowed_hosts=host_names("127.0.0.1", ""), cors_origins=["*"])
    r = TestClient(app, base_url="http://attacker.example").get("/sparql", params={"query": ASK})
    assert r.status_code == 400
    assert r.json()["type"] == "HostNotAllowed"


@pytest.mark.parametrize("bad", ["yasgui.example.org", "https://x.org/path", "ftp://x.org", ""])
def test_an_origin_must_be_scheme_host_and_port(bad: str) -> None:
    with pytest.raises(SettingError, match="is not an origin"):
        allowed_origins([bad])
