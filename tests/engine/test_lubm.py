"""LUBM(1,0): the 14 benchmark queries against the official reference answers (../shared/data/lubm).

Without reasoning only Q1, Q2, Q3 and Q14 can be answered, and they must equal the reference; Q4–Q13 need
inference and must return nothing (kgexplorer never invents an inference). With OWL 2 RL reasoning
(:mod:`kgexplorer.engine.reasoning`) all 14 must equal the reference, and so must the precomputed closure
in the shared folder. Rows are compared as sets of strings (IRIs and literal values), as the data README says.
"""

from __future__ import annotations

import csv
import gzip
import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.once import made_once

from kgexplorer import KnowledgeGraph, SelectResult
from kgexplorer.engine.reasoning import INFERRED_GRAPH, InferenceResult, infer
from kgexplorer.engine.store import DataFile, StoreRecipe

# One worker runs the whole file: the LUBM graphs below (module fixtures) are loaded and reasoned over once per run.
pytestmark = [pytest.mark.shared, pytest.mark.xdist_group("lubm")]

QUERIES = range(1, 15)
ANSWERED_WITHOUT_REASONING = {1, 2, 3, 14}
# Measured in ../shared/data/lubm/README.md: data + ontology, and the OWL 2 RL closure without literal subjects.
ASSERTED = 100_573 + 293
CLOSURE = 185_494
LITERAL_SUBJECTS = 9_326


@pytest.fixture(scope="module")
def lubm(shared_dir: Path) -> Path:
    return shared_dir / "data" / "lubm"


def data_files(lubm: Path) -> tuple[DataFile, ...]:
    return (DataFile(str(lubm / "lubm1.nt.gz")), DataFile(str(lubm / "univ-bench.ttl")))


def reference(lubm: Path, n: int, variables: tuple[str, ...]) -> set[tuple[str, ...]]:
    """The official answer rows of query n, columns in the order of ``variables``."""
    text = gzip.decompress((lubm / "answers-lubm1" / f"answers_query{n}.csv.gz").read_bytes()).decode("utf-8")
    if text.startswith("NO ANSWERS"):
        return set()
    header, *rows = list(csv.reader(io.StringIO(text)))
    assert sorted(header) == sorted(variables), f"Q{n}: reference columns {header}, query variables {variables}"
    columns = [header.index(v) for v in variables]
    return {tuple(row[i] for i in columns) for row in rows if row}


def answers(kg: KnowledgeGraph, lubm: Path, n: int) -> tuple[tuple[str, ...], set[tuple[str, ...]]]:
    result = kg.sparql((lubm / "queries" / f"q{n}.rq").read_text(encoding="utf-8"))
    assert isinstance(result, SelectResult)
    assert not result.truncated, f"Q{n} was cut at {result.row_limit} rows"
    rows = {tuple("" if t is None else str(t) for t in row) for row in result.rows}
    assert len(rows) == len(result.rows), f"Q{n} returned duplicate rows"
    return result.variables, rows


@pytest.fixture(scope="module")
def plain(lubm: Path) -> Iterator[KnowledgeGraph]:
    with KnowledgeGraph.from_files([df.path for df in data_files(lubm)]) as kg:
        yield kg


@pytest.mark.parametrize("n", QUERIES)
def test_without_reasoning(plain: KnowledgeGraph, lubm: Path, n: int) -> None:
    variables, rows = answers(plain, lubm, n)
    if n in ANSWERED_WITHOUT_REASONING:
        assert rows == reference(lubm, n, variables)
    else:
        assert rows == set(), f"Q{n} needs inference, yet returned {len(rows)} rows"
        assert reference(lubm, n, variables), f"Q{n}'s reference has answers, so an empty result means something"


def test_plain_graph_has_only_the_asserted_triples(plain: KnowledgeGraph) -> None:
    assert len(plain) == ASSERTED


@pytest.fixture(scope="module")
def closure(lubm: Path) -> Iterator[KnowledgeGraph]:
    with KnowledgeGraph.from_files([str(lubm / "lubm1-owlrl-closure.nt.gz")]) as kg:
        yield kg


@pytest.mark.parametrize("n", QUERIES)
def test_precomputed_closure(closure: KnowledgeGraph, lubm: Path, n: int) -> None:
    variables, rows = answers(closure, lubm, n)
    assert rows == reference(lubm, n, variables)


# ---------------------------------------------------------------------- reasoning with kgexplorer itself


@pytest.fixture(scope="module")
def owl_rl(lubm: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[StoreRecipe, InferenceResult]:
    """One OWL 2 RL materialisation per run (about a minute), into a folder every xdist worker shares
    (tests/once.py); read back from there through infer's own cache."""
    recipe = StoreRecipe(files=data_files(lubm), derive_edges=False)
    folder = made_once(tmp_path_factory, "lubm-owl-rl", lambda cache: infer(recipe, profile="owl-rl", cache_dir=cache))
    return recipe, infer(recipe, profile="owl-rl", cache_dir=folder)


@pytest.fixture(scope="module")
def reasoned(owl_rl: tuple[StoreRecipe, InferenceResult]) -> Iterator[KnowledgeGraph]:
    recipe, result = owl_rl
    with KnowledgeGraph(recipe.with_extra([result.data_file])) as kg:
        yield kg


# The first of these pays for the materialisation in its setup: about 80 s of CPU (owlrl 7.6.2), more wall
# time on a busy machine, so they may take longer than the suite's 300 s default.
@pytest.mark.slow
@pytest.mark.timeout(900)
@pytest.mark.parametrize("n", QUERIES)
def test_with_owl_rl_reasoning(reasoned: KnowledgeGraph, lubm: Path, n: int) -> None:
    variables, rows = answers(reasoned, lubm, n)
    assert rows == reference(lubm, n, variables)


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_owl_rl_counts_match_the_precomputed_closure(
    owl_rl: tuple[StoreRecipe, InferenceResult], reasoned: KnowledgeGraph, lubm: Path
) -> None:
    recipe, result = owl_rl
    assert result.asserted == ASSERTED
    assert result.dropped_literal_subject == LITERAL_SUBJECTS
    # The shared closure kept blank-node triples in one file; kgexplorer leaves them out (see reasoning.py).
    assert result.new_triples + result.dropped_blank_node == CLOSURE - ASSERTED
    assert result.dropped_invalid == 0
    assert result.inconsistencies == ()
    assert len(reasoned) == ASSERTED + result.new_triples
    count = reasoned.sparql(f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{INFERRED_GRAPH}> {{ ?s ?p ?o }} }}")
    assert isinstance(count, SelectResult)
    assert int(str(count.rows[0][0])) == result.new_triples
    again = infer(recipe, profile="owl-rl", cache_dir=result.path.parent)
    assert again.cached
    assert again.new_triples == result.new_triples
