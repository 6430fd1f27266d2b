"""Data sources: uploads checked file by file, kept per session in their own folder, validated; endpoints."""

from __future__ import annotations

import gc
import gzip
import socket
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.loopback import CountingEndpoint

from kgexplorer import EndpointError, GraphLoadError, KnowledgeGraph, Settings
from kgexplorer.data_options import DataOptions
from kgexplorer.ui.data_sources import (
    Upload,
    bundled_source,
    check_uploads,
    open_app_source,
    open_endpoint,
    open_uploads,
    uses_project_vocabulary,
)

TTL = b"""@prefix ex: <http://example.org/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
ex:alice rdfs:label "Alice" ; ex:knows ex:bob .
"""
NT = b'<http://example.org/bob> <http://www.w3.org/2000/01/rdf-schema#label> "Bob" .\n'
JSONLD = b'{"@id": "http://example.org/carol", "http://www.w3.org/2000/01/rdf-schema#label": "Carol"}'
RDFXML = b"""<?xml version="1.0"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:rdfs="http://www.w3.org/2000/01/rdf-schema#">
  <rdf:Description rdf:about="http://example.org/dan"><rdfs:label>Dan</rdfs:label></rdf:Description>
</rdf:RDF>
"""
OURS = b"""@prefix kg: <https://w3id.org/kgexplorer/id/> . @prefix kgx: <https://w3id.org/kgexplorer/vocab#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
kg:mystery_claim a kgx:Claim ; kgx:subject kg:ketamine ; kgx:predicate kgx:testedFor .
"""
NAMES = "SELECT ?l WHERE { ?s rdfs:label ?l } ORDER BY ?l"


@pytest.fixture
def scratch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Temporary folders of this test go here, so the test can see what is left behind."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    return tmp_path


def test_every_format_and_gzip_load_together(scratch: Path) -> None:
    uploads = [
        Upload("a.ttl", TTL),
        Upload("b.nt.gz", gzip.compress(NT)),
        Upload("c.jsonld", JSONLD),
        Upload("d.rdf", RDFXML),
    ]
    with open_uploads(uploads) as source:
        names = [row[0].value for row in source.kg.sparql(NAMES).rows]  # type: ignore[union-attr]
        assert source.report is not None
        assert [f.triples for f in source.report.files] == [2, 1, 1, 1]
        assert [f.format for f in source.report.files] == ["Turtle", "N-Triples", "JSON-LD", "RDF/XML"]
    assert names == ["Alice", "Bob", "Carol", "Dan"]
    assert source.report.triples == 5
    assert source.kind == "files"
    assert source.label == "a.ttl, b.nt.gz, c.jsonld, d.rdf"


def test_the_upload_folder_is_private_and_deleted_on_close(scratch: Path) -> None:
    first = open_uploads([Upload("a.ttl", TTL)])
    second = open_uploads([Upload("a.ttl", TTL)])
    assert first.folder is not None
    assert second.folder is not None
    assert first.folder != second.folder
    assert first.folder.parent == scratch
    # What the parse worker wrote (the uploaded bytes are deleted once parsed).
    assert sorted(p.name for p in first.folder.iterdir()) == ["000-a.ttl.nq"]

    first.close()
    assert not first.folder.exists()
    assert second.folder.exists()
    assert len(second.kg.sparql(NAMES)) == 1  # closing one session's data leaves the other's alone
    second.close()
    assert list(scratch.iterdir()) == []


def test_a_dropped_source_still_deletes_its_folder(scratch: Path) -> None:
    source = open_uploads([Upload("a.ttl", TTL)])
    folder = source.folder
    source.kg.close()
    del source
    gc.collect()

    assert folder is not None
    assert not folder.exists()


def test_file_names_cannot_leave_the_folder(scratch: Path) -> None:
    with open_uploads([Upload("../../evil name.ttl", TTL), Upload("..\\x.ttl", TTL)]) as source:
        assert source.folder is not None
        assert sorted(p.name for p in source.folder.iterdir()) == ["000-evil_name.ttl.nq", "001-_x.ttl.nq"]
    assert list(scratch.iterdir()) == []


def test_check_uploads_reports_each_file_with_its_position() -> None:
    broken = b"@prefix ex: <http://example.org/> .\nex:a ex:b ex:c .\nex:d ex:e .\n"
    checks = check_uploads([Upload("good.ttl", TTL), Upload("broken.ttl", broken), Upload("notes.txt", TTL)])

    assert [c.ok for c in checks] == [True, False, False]
    assert (checks[1].line, checks[1].column) == (3, 11)
    assert "broken.ttl is not valid Turtle at line 3, column 11" in str(checks[1].error)
    assert "cannot tell the RDF format of notes.txt" in str(checks[2].error)
    assert checks[0].triples == 2


def test_a_failing_upload_loads_nothing_and_leaves_no_folder(scratch: Path) -> None:
    with pytest.raises(GraphLoadError, match=r"line 1, column \d+"):
        open_uploads([Upload("good.ttl", TTL), Upload("bad.ttl", b"this is not turtle")])
    with pytest.raises(GraphLoadError, match="no file was uploaded"):
        open_uploads([])
    assert list(scratch.iterdir()) == []


def test_size_caps_come_from_the_settings() -> None:
    limits = Settings(max_upload_mb=1, max_decompressed_mb=1)
    big = Upload("big.nt", NT * (1_100_000 // len(NT)))
    bomb = Upload("bomb.nt.gz", gzip.compress(b"\n" * 2_000_000))
    too_big, too_deep = check_uploads([big, bomb], settings=limits)

    assert "max_upload_mb" in str(too_big.error)
    assert "max_decompressed_mb" in str(too_deep.error)
    assert all(c.ok for c in check_uploads([big, bomb]))  # the defaults allow both


def test_our_vocabulary_is_validated_and_other_data_is_not(scratch: Path) -> None:
    with open_uploads([Upload("a.ttl", TTL)]) as plain:
        assert plain.report is not None
        assert plain.report.validation is None
        assert "do not use the kgexplorer vocabulary" in plain.report.validation_note
        assert not plain.uses_project_vocabulary
    with open_uploads([Upload("claim.ttl", OURS)]) as ours:
        assert ours.report is not None
        assert ours.report.files[0].uses_project_vocabulary
        assert ours.report.validation is not None
        assert not ours.report.validation.conforms
        assert any(p.node == "kg:mystery_claim" for p in ours.report.validation.problems)
    with open_uploads([Upload("claim.ttl", OURS)], validate_shapes=False) as skipped:
        assert skipped.report is not None
        assert skipped.report.validation is None


def test_merging_adds_the_bundled_graph(scratch: Path) -> None:
    with open_uploads([Upload("a.ttl", TTL)], merge=True, validate_shapes=False) as merged:
        assert merged.uses_project_vocabulary
        assert merged.label == "the bundled graph + a.ttl"
        assert merged.kg.resolve("Alice") == "http://example.org/alice"
        assert merged.kg.resolve("Spravato") == "https://w3id.org/kgexplorer/id/esketamine"


def test_the_bundled_source_is_shared_and_stays_open(kg: KnowledgeGraph) -> None:
    source = bundled_source(kg)
    source.close()

    assert source.kind == "bundled"
    assert source.uses_project_vocabulary
    assert kg.sparql("ASK { kg:ketamine a kgx:Substance }").value  # type: ignore[union-attr]


def test_uses_project_vocabulary_tells_our_data_from_other_data(kg: KnowledgeGraph, scratch: Path) -> None:
    assert uses_project_vocabulary(kg)
    with open_uploads([Upload("a.ttl", TTL)]) as plain:
        assert not uses_project_vocabulary(plain.kg)


def test_endpoints_that_cannot_answer_raise_endpoint_error() -> None:
    with pytest.raises(EndpointError, match="not a SPARQL endpoint URL"):
        open_endpoint("localhost:7878")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # bound but not listening: nothing answers there
        with pytest.raises(EndpointError, match=f"127.0.0.1:{port}"):
            open_endpoint(f"http://127.0.0.1:{port}/query", settings=Settings(endpoint_timeout_s=2))


def test_more_files_than_max_upload_files_are_refused_before_parsing(scratch: Path) -> None:
    """Too many files: nothing is parsed (not even the broken one), nothing is kept, the message says the fix."""
    limits = Settings(max_upload_files=2)
    uploads = [Upload("a.ttl", TTL), Upload("b.nt", NT), Upload("broken.ttl", b"not turtle")]
    with pytest.raises(GraphLoadError) as caught:
        open_uploads(uploads, settings=limits)
    message = str(caught.value)

    assert message.startswith("3 files were uploaded together; at most 2 are accepted (the max_upload_files setting)")
    assert "Upload fewer files" in message
    assert list(scratch.iterdir()) == []
    with pytest.raises(GraphLoadError, match="max_upload_files"):
        check_uploads(uploads, settings=limits)
    with open_uploads(uploads[:2], settings=limits) as fits:  # at the cap is fine
        assert fits.report is not None
        assert fits.report.triples == 3


def test_files_larger_together_than_max_session_upload_mb_are_refused(scratch: Path) -> None:
    """Each file is within max_upload_mb, but together they are over max_session_upload_mb: nothing is kept."""
    limits = Settings(max_upload_mb=1, max_session_upload_mb=1)
    half = Upload("half.nt", NT * (600_000 // len(NT)))
    with pytest.raises(GraphLoadError) as caught:
        open_uploads([half, Upload("other.nt", half.data)], settings=limits)
    message = str(caught.value)

    assert "the uploaded files take 1.1 MiB together" in message
    assert "at most 1 MiB (the max_session_upload_mb setting)" in message
    assert "Upload fewer or smaller files" in message
    assert list(scratch.iterdir()) == []
    assert check_uploads([half], settings=limits)[0].ok
    with pytest.raises(GraphLoadError, match="max_session_upload_mb"):
        check_uploads([half, half], settings=limits)


def test_the_app_opens_an_on_disk_store_for_everyone_with_its_settings(tmp_path: Path) -> None:
    """--store DIR: every session shares the store (sessions cannot close it) with the --setting limits."""
    from kgexplorer.engine.bulk_load import write_disk_store
    from kgexplorer.engine.store import DataFile

    data = tmp_path / "people.ttl"
    data.write_bytes(TTL)
    write_disk_store([DataFile(str(data))], str(tmp_path / "store"))
    source = open_app_source(DataOptions(store=str(tmp_path / "store"), settings=(("max_view_nodes", "40"),)))
    try:
        source.close()  # what a session does when it switches away: the shared graph stays open
        names = source.kg.sparql(NAMES)

        assert (source.kind, source.shared, source.uses_project_vocabulary) == ("store", True, False)
        assert source.label == "the on-disk store store"
        assert source.kg.settings.max_view_nodes == 40
        assert [str(row["l"]) for row in names] == ["Alice"]
    finally:
        source.kg.close()


def test_the_app_opens_files_merged_with_the_bundled_graph(tmp_path: Path) -> None:
    """--data FILE --with-bundled: the project vocabulary is there, so every page works."""
    data = tmp_path / "people.ttl"
    data.write_bytes(TTL)
    source = open_app_source(DataOptions(data=(str(data),), with_bundled=True))
    try:
        assert (source.kind, source.shared, source.uses_project_vocabulary) == ("files", True, True)
        assert source.label == "the bundled graph + people.ttl"
        assert source.kg.search("Alice")[0].label == "Alice"
        assert source.kg.search("ketamine")
    finally:
        source.kg.close()


@pytest.fixture
def local_endpoint() -> Iterator[CountingEndpoint]:
    server = CountingEndpoint()
    yield server
    server.close()


def test_open_endpoint_obeys_the_remote_endpoints_setting(local_endpoint: CountingEndpoint) -> None:
    """2 (the default) reaches a local endpoint; 1 and 0 refuse it and send nothing."""
    with open_endpoint(local_endpoint.url) as reached:
        assert reached.kind == "endpoint"
    sent = local_endpoint.requests
    assert sent >= 1

    with pytest.raises(EndpointError, match=r"was not contacted: its address 127\.0\.0\.1 is a loopback address"):
        open_endpoint(local_endpoint.url, settings=Settings(remote_endpoints=1))
    by_name = local_endpoint.url.replace("127.0.0.1", "localhost")
    with pytest.raises(EndpointError, match="remote_endpoints setting at 1"):
        open_endpoint(by_name, settings=Settings(remote_endpoints=1))
    with pytest.raises(EndpointError, match=r"switched off here \(the remote_endpoints setting is 0\)"):
        open_endpoint(local_endpoint.url, settings=Settings(remote_endpoints=0))
    assert local_endpoint.requests == sent


def test_the_app_takes_remote_endpoints_from_its_settings(local_endpoint: CountingEndpoint) -> None:
    """`kgexplorer --setting remote_endpoints 0 app` reaches the app as a setting pair of its DataOptions."""
    source = open_app_source(DataOptions(settings=(("remote_endpoints", "0"),)))
    try:
        assert source.kg.settings.remote_endpoints == 0
        with pytest.raises(EndpointError, match="remote_endpoints setting is 0"):
            open_endpoint(local_endpoint.url, settings=source.kg.settings)
    finally:
        source.kg.close()
    assert local_endpoint.requests == 0


def test_the_apps_own_endpoint_is_opened_whatever_remote_endpoints_says(local_endpoint: CountingEndpoint) -> None:
    """`kgexplorer --endpoint URL --setting remote_endpoints 0 app`: the operator's endpoint is theirs to choose
    (like --data files); the setting still keeps visitors from opening endpoints of their own."""
    source = open_app_source(DataOptions(endpoint=local_endpoint.url, settings=(("remote_endpoints", "0"),)))
    try:
        assert (source.kind, source.shared) == ("endpoint", True)
        assert local_endpoint.requests >= 1
        assert source.kg.settings.remote_endpoints == 0  # what the Data page reads for the session
        with pytest.raises(EndpointError, match="remote_endpoints setting is 0"):
            open_endpoint(local_endpoint.url, settings=source.kg.settings)
    finally:
        source.kg.close()
