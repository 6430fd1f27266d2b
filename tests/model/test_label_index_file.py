"""The label index kept with an on-disk store (kgexplorer.model.search: LabelIndex.save / load, index_labels):
built by `kgexplorer load`, opened with the store, the same answers as one built on first use."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from kgexplorer import KnowledgeGraph
from kgexplorer.cli.commands import cli
from kgexplorer.engine.disk_store import open_generation
from kgexplorer.model.search import LABEL_INDEX_FILE, LabelIndex

TEXTS = ["ketamine", "special K", "psilo", "alcohol use disorder", "MDMA", "Lambaréné", "x", "trial"]
DATA = """\
<http://ex.org/a> <http://www.w3.org/2000/01/rdf-schema#label> "Ångström \\u00e9t\\u00e9"@fr .
<http://ex.org/a> <http://www.w3.org/2004/02/skos/core#altLabel> "line\\nbreak and \\t tab" .
<http://ex.org/b> <http://ex.org/ns#name> "Bee 🐝" .
<http://ex.org/b> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <http://ex.org/ns#Insect> .
"""


def _answers(index: LabelIndex) -> list[object]:
    return [[(h.iri, h.label, h.matched, h.kind, h.score) for h in index.search(t)] for t in TEXTS]


def test_a_saved_index_loads_with_the_same_answers(kg: KnowledgeGraph, tmp_path: Path) -> None:
    built = LabelIndex.from_backend(kg)
    built.save(tmp_path / "labels")
    loaded = LabelIndex.load(tmp_path / "labels")
    assert len(loaded) == len(built) > 100
    assert _answers(loaded) == _answers(built)
    assert any(_answers(built))
    for hit in built.search("ketamine"):
        assert loaded.label(hit.iri) == built.label(hit.iri) == hit.label
        assert loaded.exact(hit.matched) == built.exact(hit.matched)


def test_a_damaged_index_file_is_refused(kg: KnowledgeGraph, tmp_path: Path) -> None:
    path = tmp_path / "labels"
    LabelIndex.from_backend(kg).save(path)
    data = path.read_bytes()
    path.write_bytes(data[:-10])
    with pytest.raises(ValueError, match="incomplete"):
        LabelIndex.load(path)
    path.write_bytes(b"something else\n")
    with pytest.raises(ValueError, match="not a kgexplorer label index"):
        LabelIndex.load(path)


def _hits(kg: KnowledgeGraph) -> list[tuple[str, str, str]]:
    return [(h.iri, h.label, h.matched) for t in ("angstrom ete", "break", "bee") for h in kg.search(t)]


def test_load_builds_the_index_with_the_store_and_the_graph_opens_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = tmp_path / "d.nt"
    data.write_text(DATA, encoding="utf-8")
    store = tmp_path / "store"
    result = CliRunner().invoke(cli, ["load", str(data), "--store", str(store)])
    assert result.exit_code == 0, result.output
    with open_generation(store) as generation:
        assert (generation.path / LABEL_INDEX_FILE).is_file()
    with KnowledgeGraph.open_store(str(store)) as fresh:
        expected = _hits(fresh)
    assert [h[0] for h in expected] == ["http://ex.org/a", "http://ex.org/a", "http://ex.org/b"]

    def never(*_: object, **__: object) -> LabelIndex:
        raise AssertionError("the index was built again instead of read from the store")

    monkeypatch.setattr(LabelIndex, "from_backend", classmethod(never))
    with KnowledgeGraph.open_store(str(store)) as opened:
        assert [
            (h.iri, h.label, h.matched) for t in ("angstrom ete", "break", "bee") for h in opened.search(t)
        ] == expected


def _loaded_store(folder: Path) -> Path:
    """A store of DATA built by ``kgexplorer load`` (with its label index) in ``folder``."""
    data = folder / "d.nt"
    data.write_text(DATA, encoding="utf-8")
    store = folder / "store"
    assert CliRunner().invoke(cli, ["load", str(data), "--store", str(store)]).exit_code == 0
    return store


def test_a_store_with_a_damaged_index_builds_it_again(tmp_path: Path) -> None:
    store = _loaded_store(tmp_path)
    with open_generation(store) as generation:
        (generation.path / LABEL_INDEX_FILE).write_bytes(b"KGXLABELS1\n{}\n")
    with KnowledgeGraph.open_store(str(store)) as opened:
        assert [h.iri for h in opened.search("bee")] == ["http://ex.org/b"]


def test_a_mapped_index_ranks_names_that_are_not_ascii_by_their_length_in_characters(tmp_path: Path) -> None:
    # In UTF-8 "αα" is longer than "abc" but in characters it is shorter: a shorter name ranks first, in memory
    # and in the mapped file alike (which measures names in bytes only when every name is ASCII).
    rows = [("kg:long", "abc xyz", True, "Substance"), ("kg:greek", "αα xyz", True, "Substance")]
    built = LabelIndex.from_rows(rows)
    built.save(tmp_path / "labels")
    loaded = LabelIndex.load(tmp_path / "labels")
    expected = ["kg:greek", "kg:long"]
    assert [h.iri for h in built.search("xyz")] == [h.iri for h in loaded.search("xyz")] == expected
    assert [h.label for h in loaded.search("ΑΑ")] == ["αα xyz"]
    assert loaded.exact("αα XYZ") == ["kg:greek"]


def test_an_index_file_of_the_earlier_format_is_refused_and_rebuilt(tmp_path: Path) -> None:
    store = _loaded_store(tmp_path)
    with open_generation(store) as generation:
        path = generation.path / LABEL_INDEX_FILE
        path.write_bytes(b"KGXLABELS1\n" + path.read_bytes().split(b"\n", 1)[1])
    with pytest.raises(ValueError, match="older kgexplorer"):
        LabelIndex.load(path)
    with KnowledgeGraph.open_store(str(store)) as opened:
        assert [h.iri for h in opened.search("bee")] == ["http://ex.org/b"]
