"""A lay name that is a genus (``sense: genus``): the record format, the build, search and the search box.

The genus record is planted in a temporary copy of graph/ (the project's knowledge is not changed here): it is
read, checked, built into Turtle as ``kgx:genusName`` with ``kgx:sense`` on its LayName node, found by search,
and answered in words ("Psilocybe is a genus …") instead of shown as a synonym.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from kgexplorer import KnowledgeGraph
from kgexplorer.curation import build_graph
from kgexplorer.curation.reader import load_records
from kgexplorer.errors import RecordError
from kgexplorer.model.lay_names import genus_match

GRAPH = Path(__file__).resolve().parents[2] / "graph"
KG = "https://w3id.org/kgexplorer/id/"
PAGE = "https://www.example.org/agency/psilocybin"  # never fetched: the build only records it
GENUS = {
    "entity": "psilocybin",
    "name": "Psilocybe",
    "sense": "genus",
    "source": PAGE,
    "read_at": PAGE,
    "checked_by": "a test",
    "verdict": "confirmed",
}


def _plant(tmp: Path, record: dict[str, str]) -> Path:
    copy = tmp / "graph"
    shutil.copytree(GRAPH, copy)
    names = copy / "records" / "lay-names.yaml"
    items = yaml.safe_load(names.read_text(encoding="utf-8"))
    names.write_text(yaml.safe_dump([*items, record], sort_keys=False, allow_unicode=True), encoding="utf-8")
    return copy


@pytest.fixture(scope="module")
def planted(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KnowledgeGraph]:
    copy = _plant(tmp_path_factory.mktemp("genus"), GENUS)
    build_graph(copy)
    with KnowledgeGraph.from_files(sorted(str(p) for p in copy.glob("*.ttl"))) as kg:
        yield kg


def test_the_record_format_reads_the_sense(tmp_path: Path) -> None:
    records = load_records(_plant(tmp_path, GENUS) / "records")
    assert [n.sense for n in records.lay_names if n.name == "Psilocybe"] == ["genus"]
    assert {n.sense for n in records.lay_names if n.name != "Psilocybe"} == {None}


def test_an_unknown_sense_is_refused_with_the_fix(tmp_path: Path) -> None:
    with pytest.raises(RecordError, match=r"sense.*'species' is not one of genus"):
        load_records(_plant(tmp_path, {**GENUS, "sense": "species"}) / "records")


def test_the_build_says_it_is_a_genus_not_a_synonym(planted: KnowledgeGraph) -> None:
    rows = planted.select(
        "PREFIX kgx: <https://w3id.org/kgexplorer/vocab#> SELECT ?sense WHERE { "
        "?n a kgx:LayName ; kgx:layName ?name ; kgx:nameOf ?e ; kgx:sense ?sense FILTER(STR(?name) = 'Psilocybe') }"
    ).rows
    assert [str(r[0]) for r in rows] == ["genus"]
    hidden = planted.select(
        "SELECT ?l WHERE { ?e <http://www.w3.org/2004/02/skos/core#hiddenLabel> ?l FILTER(STR(?l) = 'Psilocybe') }"
    ).rows
    assert hidden == ()  # never a hidden label (a synonym) of psilocybin


def test_search_finds_the_substance_and_says_the_name_is_a_genus(planted: KnowledgeGraph) -> None:
    hit = planted.search("psilocybe")[0]
    assert (hit.iri, hit.matched) == (KG + "psilocybin", "Psilocybe")
    match = genus_match(planted, hit)
    assert match is not None
    assert match.sentence.startswith("Psilocybe is a genus of living species, not another name for psilocybin")
    lay = planted.search("magic mushrooms")[0]
    assert lay.iri == KG + "psilocybin"
    assert genus_match(planted, lay) is None  # a real lay name stays a synonym
