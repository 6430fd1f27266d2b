"""Loading RDF (kgexplorer.engine.store): every format, gzip, errors with file/line/column, all-or-nothing loads,
gzip bombs, on-disk stores and the direct edges derived from claims."""

from __future__ import annotations

import dataclasses
import gzip
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import pytest

from kgexplorer import GraphLoadError, KnowledgeGraph
from kgexplorer.engine.bulk_load import write_disk_store
from kgexplorer.engine.store import (
    DataFile,
    StoreRecipe,
    build_store,
    bundled_data_files,
    derive_direct_edges,
    detect_format,
    load_bytes,
)
from kgexplorer.namespaces import KGX

EX = "http://example.org/"
RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
XSD_INTEGER = "http://www.w3.org/2001/XMLSchema#integer"

# The same three triples in every format the loader reads.
EXPECTED = {
    (f"<{EX}a>", f"<{EX}p>", f"<{EX}b>"),
    (f"<{EX}a>", f"<{RDFS_LABEL}>", '"A"@en'),
    (f"<{EX}b>", f"<{EX}q>", f'"42"^^<{XSD_INTEGER}>'),
}
SOURCES = {
    "turtle": (
        ".ttl",
        f"@prefix ex: <{EX}> .\n@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n"
        'ex:a ex:p ex:b ; rdfs:label "A"@en .\nex:b ex:q 42 .\n',
    ),
    "nt": (
        ".nt",
        f'<{EX}a> <{EX}p> <{EX}b> .\n<{EX}a> <{RDFS_LABEL}> "A"@en .\n<{EX}b> <{EX}q> "42"^^<{XSD_INTEGER}> .\n',
    ),
    "nq": (
        ".nq",
        f'<{EX}a> <{EX}p> <{EX}b> <{EX}g> .\n<{EX}a> <{RDFS_LABEL}> "A"@en <{EX}g> .\n'
        f'<{EX}b> <{EX}q> "42"^^<{XSD_INTEGER}> .\n',
    ),
    "trig": (
        ".trig",
        f'@prefix ex: <{EX}> .\nex:g {{ ex:a ex:p ex:b ; <{RDFS_LABEL}> "A"@en . }}\nex:b ex:q 42 .\n',
    ),
    "xml": (
        ".rdf",
        '<?xml version="1.0"?>\n<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
        f'xmlns:rdfs="http://www.w3.org/2000/01/rdf-schema#" xmlns:ex="{EX}">\n'
        f'  <rdf:Description rdf:about="{EX}a"><ex:p rdf:resource="{EX}b"/>'
        '<rdfs:label xml:lang="en">A</rdfs:label></rdf:Description>\n'
        f'  <rdf:Description rdf:about="{EX}b"><ex:q rdf:datatype="{XSD_INTEGER}">42</ex:q></rdf:Description>\n'
        "</rdf:RDF>\n",
    ),
    "json-ld": (
        ".jsonld",
        f'[{{"@id": "{EX}a", "{EX}p": [{{"@id": "{EX}b"}}], '
        f'"{RDFS_LABEL}": [{{"@value": "A", "@language": "en"}}]}}, '
        f'{{"@id": "{EX}b", "{EX}q": [{{"@value": "42", "@type": "{XSD_INTEGER}"}}]}}]',
    ),
}
GOOD_TTL = f"@prefix ex: <{EX}> .\nex:a ex:p ex:b .\n"
# Line 3 opens a string that never ends.
BAD_TTL = f'@prefix ex: <{EX}> .\nex:a ex:p ex:b .\nex:c ex:p "unterminated .\n'


def triples(store: ox.Store) -> set[tuple[str, str, str]]:
    return {(str(q.subject), str(q.predicate), str(q.object)) for q in store.quads_for_pattern(None, None, None, None)}


def load_one(path: Path, fmt: str | None = None) -> ox.Store:
    return build_store(StoreRecipe(files=(DataFile(str(path), fmt),), derive_edges=False))


@pytest.mark.parametrize("name", sorted(SOURCES))
def test_every_format_loads_from_its_extension(tmp_path: Path, name: str) -> None:
    ext, text = SOURCES[name]
    path = tmp_path / f"data{ext}"
    path.write_text(text, encoding="utf-8")
    assert triples(load_one(path)) == EXPECTED


@pytest.mark.parametrize("name", sorted(SOURCES))
def test_every_format_loads_gzip_compressed(tmp_path: Path, name: str) -> None:
    ext, text = SOURCES[name]
    path = tmp_path / f"data{ext}.gz"
    path.write_bytes(gzip.compress(text.encode("utf-8")))
    assert detect_format(str(path))[1] is True
    assert triples(load_one(path)) == EXPECTED


@pytest.mark.parametrize("name", sorted(SOURCES))
def test_an_explicit_format_beats_the_extension(tmp_path: Path, name: str) -> None:
    _, text = SOURCES[name]
    path = tmp_path / "data.txt"
    path.write_text(text, encoding="utf-8")
    assert triples(load_one(path, name)) == EXPECTED
    gz = tmp_path / "data.txt.gz"
    gz.write_bytes(gzip.compress(text.encode("utf-8")))
    assert triples(load_one(gz, name.upper())) == EXPECTED


@pytest.mark.parametrize("name", sorted(SOURCES))
def test_load_bytes_reads_every_format_plain_and_gzip(name: str) -> None:
    ext, text = SOURCES[name]
    assert triples(load_bytes(text.encode("utf-8"), name=f"upload{ext}")) == EXPECTED
    assert triples(load_bytes(gzip.compress(text.encode("utf-8")), name=f"upload{ext}.gz")) == EXPECTED


def test_named_graphs_keep_their_graph_name(tmp_path: Path) -> None:
    path = tmp_path / "data.nq"
    path.write_text(SOURCES["nq"][1], encoding="utf-8")
    graphs = {str(q.graph_name) for q in load_one(path).quads_for_pattern(None, None, None, None)}
    assert graphs == {f"<{EX}g>", "DEFAULT"}


def test_from_files_loads_and_queries_a_users_file(tmp_path: Path) -> None:
    path = tmp_path / "mine.ttl"
    path.write_text(SOURCES["turtle"][1], encoding="utf-8")
    with KnowledgeGraph.from_files([str(path)]) as kg:
        assert len(kg) == 3
        assert kg.resolve("A") == f"{EX}a"


def test_a_malformed_file_names_the_file_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "broken.ttl"
    path.write_text(BAD_TTL, encoding="utf-8")
    with pytest.raises(GraphLoadError) as info:
        load_one(path)
    err = info.value
    assert err.path == str(path)
    assert err.line == 3
    assert isinstance(err.column, int)
    assert err.column >= 1
    assert "broken.ttl" in str(err)
    assert f"line 3, column {err.column}" in str(err)
    assert "\n" not in str(err)


def test_malformed_ntriples_points_at_the_bad_line(tmp_path: Path) -> None:
    path = tmp_path / "broken.nt"
    path.write_text(f"<{EX}a> <{EX}p> <{EX}b> .\n<{EX}a> <{EX}p> .\n", encoding="utf-8")
    with pytest.raises(GraphLoadError, match=r"broken\.nt is not valid N-Triples at line 2") as info:
        load_one(path)
    assert info.value.line == 2


def test_a_load_of_good_then_bad_files_returns_nothing(tmp_path: Path) -> None:
    good, bad = tmp_path / "good.ttl", tmp_path / "bad.ttl"
    good.write_text(GOOD_TTL, encoding="utf-8")
    bad.write_text(BAD_TTL, encoding="utf-8")
    with pytest.raises(GraphLoadError, match=r"bad\.ttl") as info:
        KnowledgeGraph.from_files([str(good), str(bad)])
    assert info.value.path == str(bad)
    # Nothing was kept anywhere: the good file alone still loads to exactly its own triples.
    with KnowledgeGraph.from_files([str(good)]) as kg:
        assert len(kg) == 1


def test_a_file_that_fails_half_way_returns_no_store(tmp_path: Path) -> None:
    """Files are parsed straight into a new store, which is dropped when one fails: nothing half-loaded escapes."""
    path = tmp_path / "half.ttl"
    path.write_text(BAD_TTL, encoding="utf-8")  # one good triple, then a broken one
    with pytest.raises(GraphLoadError, match=r"half\.ttl"):
        build_store(StoreRecipe(files=(DataFile(str(path)),), derive_edges=False))


def test_a_missing_file_is_a_graph_load_error(tmp_path: Path) -> None:
    with pytest.raises(GraphLoadError, match="no such file"):
        load_one(tmp_path / "absent.ttl")


@pytest.mark.parametrize(
    "data",
    [b"not gzip at all", gzip.compress(GOOD_TTL.encode())[:20], gzip.compress(GOOD_TTL.encode() * 50)[:15] + bytes(60)],
    ids=["not-gzip", "truncated", "corrupt"],
)
def test_a_broken_gzip_file_is_a_graph_load_error(tmp_path: Path, data: bytes) -> None:
    with pytest.raises(GraphLoadError, match=r"x\.ttl\.gz"):
        load_bytes(data, name="x.ttl.gz")
    path = tmp_path / "x.ttl.gz"
    path.write_bytes(data)
    with pytest.raises(GraphLoadError, match=r"x\.ttl\.gz"):
        load_one(path)


def test_load_bytes_stops_a_gzip_bomb() -> None:
    bomb = gzip.compress(b"\0" * (8 << 20))
    assert len(bomb) < 100_000
    with pytest.raises(GraphLoadError, match="max_decompressed_mb") as info:
        load_bytes(bomb, name="bomb.nt.gz", max_decompressed_bytes=1 << 20)
    assert "1.0 MiB" in str(info.value)
    assert info.value.path == "bomb.nt.gz"


def test_load_bytes_refuses_an_upload_over_the_size_cap() -> None:
    data = GOOD_TTL.encode()
    with pytest.raises(GraphLoadError, match="max_upload_mb"):
        load_bytes(data, name="big.ttl", max_bytes=len(data) - 1)
    assert len(load_bytes(data, name="big.ttl", max_bytes=len(data))) == 1


def test_an_unknown_extension_names_the_known_ones() -> None:
    with pytest.raises(GraphLoadError) as info:
        detect_format("notes.docx")
    message = str(info.value)
    assert "'.docx'" in message
    for ext in (".ttl", ".nt", ".nq", ".trig", ".rdf", ".jsonld"):
        assert ext in message
    assert "--format" in message


def test_an_unknown_explicit_format_names_the_known_ones() -> None:
    with pytest.raises(GraphLoadError, match=r"unknown RDF format 'yaml'.*turtle"):
        detect_format("data.ttl", "yaml")


def test_bundled_data_files_leave_out_the_shapes() -> None:
    names = {p.name for p in bundled_data_files()}
    assert "shapes.ttl" not in names
    assert {"ontology.ttl", "claims.ttl", "substances.ttl"} <= names


def test_write_disk_store_builds_a_store_that_opens_read_only(tmp_path: Path) -> None:
    source = tmp_path / "data.ttl"
    source.write_text(SOURCES["turtle"][1], encoding="utf-8")
    target = tmp_path / "store"
    assert write_disk_store([DataFile(str(source))], str(target)) == 3
    with KnowledgeGraph.open_store(str(target)) as kg:
        assert len(kg) == 3
        assert kg.sparql(f"ASK {{ <{EX}a> <{EX}p> <{EX}b> }}").value is True
        with pytest.raises(RuntimeError):
            kg._store.add(ox.Quad(ox.NamedNode(f"{EX}x"), ox.NamedNode(f"{EX}y"), ox.NamedNode(f"{EX}z")))


def test_a_failed_write_keeps_the_old_store_and_leaves_no_temporary_folder(tmp_path: Path) -> None:
    first, good, bad = tmp_path / "first.ttl", tmp_path / "good.ttl", tmp_path / "bad.ttl"
    first.write_text(SOURCES["turtle"][1], encoding="utf-8")
    good.write_text(f"@prefix ex: <{EX}> .\nex:new ex:p ex:b .\n", encoding="utf-8")
    bad.write_text(BAD_TTL, encoding="utf-8")
    target = tmp_path / "store"
    write_disk_store([DataFile(str(first))], str(target))
    before = sorted(p.name for p in tmp_path.iterdir())

    with pytest.raises(GraphLoadError, match=r"bad\.ttl is not valid Turtle at line 3") as info:
        write_disk_store([DataFile(str(good)), DataFile(str(bad))], str(target))
    assert "Parser error" not in str(info.value)

    assert sorted(p.name for p in tmp_path.iterdir()) == before
    store = ox.Store.read_only(str(target / "current"))
    assert triples(store) == EXPECTED
    assert sorted(p.name for p in target.iterdir()) == [".lock", "current", "gen-000001"]


def test_a_write_replaces_an_existing_store(tmp_path: Path) -> None:
    first, second = tmp_path / "first.ttl", tmp_path / "second.ttl"
    first.write_text(SOURCES["turtle"][1], encoding="utf-8")
    second.write_text(GOOD_TTL, encoding="utf-8")
    target = tmp_path / "store"
    write_disk_store([DataFile(str(first))], str(target))
    assert write_disk_store([DataFile(str(second))], str(target)) == 1
    assert triples(ox.Store.read_only(str(target / "current"))) == {(f"<{EX}a>", f"<{EX}p>", f"<{EX}b>")}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["first.ttl", "second.ttl", "store"]
    assert sorted(p.name for p in target.iterdir()) == [".lock", "current", "gen-000002"]  # the first one deleted


def test_a_write_never_replaces_a_folder_that_is_not_a_store(tmp_path: Path) -> None:
    source = tmp_path / "data.ttl"
    source.write_text(GOOD_TTL, encoding="utf-8")
    documents = tmp_path / "documents"
    documents.mkdir()
    (documents / "thesis.txt").write_text("years of work", encoding="utf-8")
    with pytest.raises(GraphLoadError, match="is not a kgexplorer store"):
        write_disk_store([DataFile(str(source))], str(documents))
    assert (documents / "thesis.txt").read_text(encoding="utf-8") == "years of work"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data.ttl", "documents"]


def test_open_store_on_a_missing_folder_says_how_to_build_one(tmp_path: Path) -> None:
    with pytest.raises(GraphLoadError, match="kgexplorer load"):
        KnowledgeGraph.open_store(str(tmp_path / "nowhere"))


CLAIM_TRIPLES = "SELECT DISTINCT ?s ?p ?o WHERE { ?c a kgx:Claim ; kgx:subject ?s ; kgx:predicate ?p ; kgx:object ?o }"


def test_derive_direct_edges_adds_one_edge_per_distinct_claim_triple() -> None:
    store = build_store(dataclasses.replace(StoreRecipe.bundled(), derive_edges=False))
    claimed = {
        (str(r["s"]), str(r["p"]), str(r["o"]))
        for r in store.query(CLAIM_TRIPLES, prefixes={"kgx": KGX}, use_default_graph_as_union=True)
    }
    present_before = {t for t in claimed if store.query(f"ASK {{ {t[0]} {t[1]} {t[2]} }}")}
    assert len(claimed) >= 50
    assert present_before == set(), "direct edges must come from the rule, never be written by hand"
    assert derive_direct_edges(store) == len(claimed)
    assert all(bool(store.query(f"ASK {{ {s} {p} {o} }}")) for s, p, o in claimed)
    assert derive_direct_edges(store) == 0


def test_derive_direct_edges_merges_claims_about_the_same_triple(tmp_path: Path) -> None:
    path = tmp_path / "claims.trig"
    path.write_text(
        f"@prefix ex: <{EX}> .\n@prefix kgx: <{KGX}> .\n"
        "ex:c1 a kgx:Claim ; kgx:subject ex:a ; kgx:predicate kgx:testedFor ; kgx:object ex:b .\n"
        "ex:c2 a kgx:Claim ; kgx:subject ex:a ; kgx:predicate kgx:testedFor ; kgx:object ex:b .\n"
        "ex:g { ex:c3 a kgx:Claim ; kgx:subject ex:a ; kgx:predicate kgx:actsOn ; kgx:object ex:m . }\n",
        encoding="utf-8",
    )
    store = build_store(StoreRecipe(files=(DataFile(str(path)),)))
    direct = {
        (str(q.subject), str(q.predicate), str(q.object))
        for q in store.quads_for_pattern(None, None, None, ox.DefaultGraph())
        if str(q.predicate) in (f"<{KGX}testedFor>", f"<{KGX}actsOn>")
    }
    assert direct == {
        (f"<{EX}a>", f"<{KGX}testedFor>", f"<{EX}b>"),
        (f"<{EX}a>", f"<{KGX}actsOn>", f"<{EX}m>"),
    }


def test_files_are_parsed_straight_into_the_new_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No scratch store copied over: that doubled the peak memory and took 1.6-1.9x pyoxigraph's bulk_load."""
    from kgexplorer.engine import store as store_module

    made: list[object] = []
    real = ox.Store

    def counting(*args: object) -> object:
        made.append(args)
        return real(*args)  # type: ignore[arg-type]

    first, second = tmp_path / "a.ttl", tmp_path / "b.ttl"
    first.write_text(GOOD_TTL, encoding="utf-8")
    second.write_text(GOOD_TTL.replace("example.org/", "example.org/b"), encoding="utf-8")
    monkeypatch.setattr(store_module.ox, "Store", counting)
    store = build_store(StoreRecipe(files=(DataFile(str(first)), DataFile(str(second))), derive_edges=False))
    assert len(made) == 1
    assert len(store) == 2


def test_an_on_disk_build_reads_each_file_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No validating parse before bulk_load: a bad file still leaves no store (see the test above)."""
    from kgexplorer.engine import store as store_module

    opened: list[str] = []
    real = store_module._open_binary

    def counting(path: str, gz: bool, **options: Any) -> object:
        opened.append(path)
        return real(path, gz, **options)

    source = tmp_path / "one.ttl"
    source.write_text(GOOD_TTL, encoding="utf-8")
    monkeypatch.setattr(store_module, "_open_binary", counting)
    assert write_disk_store([DataFile(str(source))], str(tmp_path / "store"), derive_edges=False) == 1
    assert opened == [str(source)]


@pytest.mark.parametrize("suffix", ["nt", "nq", "ttl"])
def test_write_nquads_counts_every_quad_and_gives_the_same_text_twice(tmp_path: Path, suffix: str) -> None:
    """A line format is written without looking at each quad from Python (its blank nodes keep the file's
    labels), counted by the lines written; a literal's line break is escaped, so it never counts twice."""
    from kgexplorer.engine.store import write_nquads

    graph = " <http://e/g>" if suffix == "nq" else ""
    lines = [
        f'_:x <http://e/p> "two\\nlines" {graph}.',
        f"_:x <http://e/p> _:y {graph}.",
        f'<http://e/a> <http://e/p> "a\\r\\nb"@en {graph}.',
    ]
    source = tmp_path / f"data.{suffix}"
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    texts = []
    for run in range(2):
        target = tmp_path / f"out{run}.nq"
        assert write_nquads(DataFile(str(source)), target) == 3
        texts.append(target.read_text(encoding="utf-8"))
    assert texts[0] == texts[1]
    assert texts[0].count("\n") == 3
    assert "two\\nlines" in texts[0]
