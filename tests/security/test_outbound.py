"""Promise 1: no request leaves the process on a user's behalf, and no file is read because data or a query
names it. Every case aims at a loopback listener that records requests (proven to record by the fixture);
each test ends with the listener having seen nothing.

Query-side cases already proven elsewhere, not repeated here: SERVICE, FROM, FROM NAMED and LOAD through
``KnowledgeGraph.sparql`` and ``kgexplorer query`` (tests/test_network_isolation.py), through the endpoint
in-process and as a real ``kgexplorer serve`` (tests/test_server.py), and the guard's own property test
(tests/test_guard.py; the fuzz in test_fuzz.py adds escapes and a live oracle).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from starlette.testclient import TestClient

from kgexplorer import EndpointError, GraphLoadError, KnowledgeGraph, QueryNotAllowed, Settings
from kgexplorer.cli.commands import cli
from kgexplorer.engine.bulk_load import write_disk_store
from kgexplorer.engine.store import DataFile, load_bytes
from kgexplorer.engine.validation import validate
from kgexplorer.server.endpoint import create_app
from kgexplorer.ui.data_sources import Upload, check_uploads, open_endpoint
from kgexplorer.ui.workbench import run_query

from .support import SECRET_BODY, Listener

pytestmark = pytest.mark.xdist_group("security_outbound")

RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"


def jsonld_with_remote_context(base: str) -> str:
    return f'{{"@context": "{base}/ctx", "@id": "http://example.org/a", "name": "A"}}'


def rdfxml_with_external_entities(base: str) -> str:
    return f"""<?xml version="1.0"?>
<!DOCTYPE rdf:RDF [
  <!ENTITY remote SYSTEM "{base}/x">
  <!ENTITY local SYSTEM "file:///etc/passwd">
]>
<rdf:RDF xmlns:rdf="{RDF}" xmlns:ex="http://example.org/">
  <rdf:Description rdf:about="http://example.org/a"><ex:p>&remote;</ex:p><ex:q>&local;</ex:q></rdf:Description>
</rdf:RDF>
"""


def rdfxml_with_external_parameter_entity(base: str) -> str:
    return f"""<?xml version="1.0"?>
<!DOCTYPE rdf:RDF [ <!ENTITY % dtd SYSTEM "{base}/x.dtd"> %dtd; ]>
<rdf:RDF xmlns:rdf="{RDF}" xmlns:ex="http://example.org/">
  <rdf:Description rdf:about="http://example.org/a"><ex:p>plain</ex:p></rdf:Description>
</rdf:RDF>
"""


def ontology_importing(base: str) -> str:
    return f"""@prefix owl: <http://www.w3.org/2002/07/owl#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix ex: <http://example.org/> .
<http://example.org/onto> a owl:Ontology ; owl:imports <{base}/onto.ttl> .
ex:Cat rdfs:subClassOf ex:Animal .
ex:tom a ex:Cat .
"""


def _load_bytes(path: Path) -> Any:
    return load_bytes(path.read_bytes(), name=path.name)


def _from_files(path: Path) -> Any:
    with KnowledgeGraph.from_files([str(path)]) as kg:
        return len(kg)


def _disk_store(path: Path) -> Any:
    return write_disk_store([DataFile(str(path))], str(path.parent / "store"))


def _validate(path: Path) -> Any:
    return validate([str(path)])


def _check_upload(path: Path) -> Any:
    check = check_uploads([Upload(path.name, path.read_bytes())])[0]
    if check.error is not None:
        raise check.error
    return check


LOADERS: dict[str, Callable[[Path], Any]] = {
    "load_bytes": _load_bytes,
    "from_files": _from_files,
    "write_disk_store": _disk_store,
    "validate": _validate,
    "check_uploads": _check_upload,
}


@pytest.mark.parametrize("loader", sorted(LOADERS))
def test_a_remote_json_ld_context_is_never_fetched(tmp_path: Path, listener: Listener, loader: str) -> None:
    """JSON-LD naming a remote @context is refused with a message saying to inline the context."""
    path = tmp_path / "remote-context.jsonld"
    path.write_text(jsonld_with_remote_context(listener.base), encoding="utf-8")
    with pytest.raises(GraphLoadError, match=r"remote JSON-LD @context.*never fetches"):
        LOADERS[loader](path)
    assert listener.requests == []


@pytest.mark.parametrize("loader", sorted(LOADERS))
@pytest.mark.parametrize("make", [rdfxml_with_external_entities, rdfxml_with_external_parameter_entity])
def test_rdf_xml_external_entities_are_never_read(
    tmp_path: Path, listener: Listener, loader: str, make: Callable[[str], str]
) -> None:
    """<!ENTITY x SYSTEM "http://…"> and "file:///etc/passwd" are refused: no request, no file read."""
    path = tmp_path / "entities.rdf"
    path.write_text(make(listener.base), encoding="utf-8")
    with pytest.raises(GraphLoadError, match="external XML entity") as info:
        LOADERS[loader](path)
    assert "root:" not in str(info.value)
    assert SECRET_BODY.decode() not in str(info.value)
    assert listener.requests == []


def test_an_external_dtd_is_not_fetched(tmp_path: Path, listener: Listener) -> None:
    """A DOCTYPE naming an external DTD loads the data without fetching the DTD."""
    text = (
        f'<?xml version="1.0"?>\n<!DOCTYPE rdf:RDF SYSTEM "{listener.base}/x.dtd">\n'
        f'<rdf:RDF xmlns:rdf="{RDF}" xmlns:ex="http://example.org/">'
        '<rdf:Description rdf:about="http://example.org/a"><ex:p>plain</ex:p></rdf:Description></rdf:RDF>'
    )
    assert len(load_bytes(text.encode(), name="dtd.rdf")) == 1
    assert listener.requests == []


def test_owl_imports_are_never_followed(tmp_path: Path, listener: Listener, monkeypatch: pytest.MonkeyPatch) -> None:
    """An ontology that imports a URL loads, validates and is reasoned over (RDFS, OWL 2 RL) from its own
    triples only."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    path = tmp_path / "onto.ttl"
    path.write_text(ontology_importing(listener.base), encoding="utf-8")
    with KnowledgeGraph.from_files([str(path)]) as kg:
        assert len(kg) == 4
    validate([str(path)])
    for profile in ("rdfs", "owl-rl"):
        with KnowledgeGraph.from_files([str(path)], reasoning=profile) as kg:
            # The reasoner ran, on the local triples only.
            assert kg.sparql("ASK { <http://example.org/tom> a <http://example.org/Animal> }").value is True  # type: ignore[union-attr]
    assert listener.requests == []


def test_the_cli_fetches_nothing_for_data_files(tmp_path: Path, listener: Listener) -> None:
    """--data, validate and --reasoning on files that name remote things: clear errors or local-only results."""
    context = tmp_path / "ctx.jsonld"
    context.write_text(jsonld_with_remote_context(listener.base), encoding="utf-8")
    entities = tmp_path / "entities.rdf"
    entities.write_text(rdfxml_with_external_entities(listener.base), encoding="utf-8")
    onto = tmp_path / "onto.ttl"
    onto.write_text(ontology_importing(listener.base), encoding="utf-8")
    runner = CliRunner()
    env = {"XDG_CACHE_HOME": str(tmp_path / "cache")}
    for args, needle in (
        (["--data", str(context), "stats"], "remote JSON-LD @context"),
        (["validate", str(context)], "remote JSON-LD @context"),
        (["--data", str(entities), "stats"], "external XML entity"),
        (["validate", str(entities)], "external XML entity"),
    ):
        result = runner.invoke(cli, args, env=env)
        assert result.exit_code == 1, (args, result.output)
        assert needle in result.stderr
        assert "Traceback" not in result.output
    for profile in ("rdfs", "owl-rl"):
        result = runner.invoke(cli, ["--data", str(onto), "--reasoning", profile, "stats"], env=env)
        assert result.exit_code == 0, result.output
    assert listener.requests == []


# ------------------------------------------------------------------------------------ files named in queries


def test_the_endpoint_never_reads_a_file_named_in_a_query(kg: KnowledgeGraph, tmp_path: Path) -> None:
    """'@file' is query text to the endpoint (a syntax error), and file: IRIs in FROM or SERVICE are refused."""
    secret = tmp_path / "secret.rq"
    secret.write_text("SELECT ?s WHERE { ?s ?p ?o } LIMIT 1 # TOP-SECRET", encoding="utf-8")
    client = TestClient(create_app(kg))
    for query in (f"@{secret}", "@/etc/passwd"):
        reply = client.get("/sparql", params={"query": query})
        assert reply.status_code == 400
        assert reply.json()["type"] == "QuerySyntaxError"
        assert "TOP-SECRET" not in reply.text
        assert "root:" not in reply.text
    for query in (
        "SELECT * FROM <file:///etc/passwd> WHERE { ?s ?p ?o }",
        "SELECT * FROM NAMED <file:///etc/passwd> WHERE { GRAPH ?g { ?s ?p ?o } }",
        "SELECT * WHERE { SERVICE <file:///etc/passwd> { ?s ?p ?o } }",
    ):
        reply = client.get("/sparql", params={"query": query})
        assert reply.status_code == 400, query
        assert reply.json()["type"] == "QueryNotAllowed"
        assert "root:" not in reply.text


def test_the_cli_reads_a_query_file_the_user_names(tmp_path: Path) -> None:
    """Documented behaviour: on the command line '@file' is the user's own file on their own machine."""
    query = tmp_path / "mine.rq"
    query.write_text("ASK { kg:ketamine a kgx:Substance }", encoding="utf-8")
    result = CliRunner().invoke(cli, ["query", f"@{query}", "--format", "json"])
    assert result.exit_code == 0, result.output
    assert "true" in result.output


def test_the_workbench_refuses_queries_that_reach_out(kg: KnowledgeGraph, listener: Listener) -> None:
    """The app's workbench runs queries through the same guard: SERVICE and FROM aimed at the listener fail."""
    for query in (
        f"SELECT * WHERE {{ SERVICE <{listener.base}/sparql> {{ ?s ?p ?o }} }}",
        f"SELECT * FROM <{listener.base}/g.ttl> WHERE {{ ?s ?p ?o }}",
        f'SELECT * WHERE {{ FILTER(STRLEN("a\\u005c") > 0) SERVICE <{listener.base}/s> {{ ?s ?p ?o }} '
        'FILTER((1 #"\n) > 0) }',
    ):
        with pytest.raises(QueryNotAllowed):
            run_query(kg, query)
    assert listener.requests == []


@pytest.mark.parametrize("level", [0, 1])
def test_a_hosted_app_cannot_be_pointed_at_its_own_network(listener: Listener, level: int) -> None:
    """The Data page's endpoint source with remote_endpoints at 0 or 1: a visitor's URL naming this machine,
    by address or by name, or the cloud metadata address, sends nothing (the listener hears no request)."""
    port = listener.base.rsplit(":", 1)[1]
    urls = [f"{listener.base}/sparql", f"http://localhost:{port}/sparql", f"http://[::ffff:127.0.0.1]:{port}/sparql"]
    urls += [f"http://2130706433:{port}/sparql", "http://169.254.169.254/latest/meta-data/"]  # 2130706433 = 127.0.0.1
    for url in urls:
        with pytest.raises(EndpointError, match="remote_endpoints setting") as info:
            open_endpoint(url, settings=Settings(remote_endpoints=level))
        assert "kgexplorer --setting remote_endpoints" in str(info.value)
    assert listener.requests == []
