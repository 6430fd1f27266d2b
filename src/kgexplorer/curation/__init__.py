"""Curation: the evidence records under ``graph/records/`` and the build that turns them into shipped Turtle.

Researchers and educators add or correct a study with one reviewable YAML file; ``kgexplorer records check``
runs the machine checks and ``kgexplorer records build`` regenerates ``graph/claims.ttl``,
``graph/sources.ttl`` and ``graph/events.ttl``. The format is in ``docs/decisions/evidence-records.md``.

>>> GENERATED_FILES[:3]
('claims.ttl', 'sources.ttl', 'events.ttl')
"""

from __future__ import annotations

from pathlib import Path

from rdflib import Graph
from rdflib.namespace import RDF, RDFS

from kgexplorer.namespaces import KG, KGX

from .checks import Problem, check_records
from .dataset import dataset_counts, with_counts
from .reader import load_records
from .records import Records
from .turtle import GENERATED_FILES, build_turtle

__all__ = ["GENERATED_FILES", "Problem", "build_graph", "check_graph", "graph_vocabulary", "stale_files"]

_NOT_INPUT = {"shapes.ttl", *GENERATED_FILES}


def graph_vocabulary(graph_dir: Path) -> tuple[set[str], dict[str, str]]:
    """The entity ids the hand-written Turtle defines, and the labels of entities and relations.

    Entities (substances, conditions, mechanisms …) stay hand-written Turtle; only evidence is built.
    """
    g = Graph()
    for path in sorted(graph_dir.glob("*.ttl")):
        if path.name not in _NOT_INPUT:
            g.parse(path, format="turtle")
    entities = {str(s)[len(KG) :] for s in g.subjects(RDF.type, None) if str(s).startswith(KG)}
    labels: dict[str, str] = {}
    for s, label in sorted(g.subject_objects(RDFS.label)):
        name = str(s)
        for ns in (KG, KGX):
            if name.startswith(ns):
                labels.setdefault(name[len(ns) :], str(label))
    return entities, labels


def _load(graph_dir: Path) -> tuple[Records, set[str], dict[str, str]]:
    records = load_records(graph_dir / "records")
    entities, labels = graph_vocabulary(graph_dir)
    return records, entities, labels


def check_graph(graph_dir: Path, *, stale: bool = True) -> list[Problem]:
    """Every problem of the records in ``graph_dir/records`` (empty when they may ship), and stale output.

    Args:
        graph_dir: the graph folder (``graph/`` of a checkout).
        stale: also report each generated file whose committed bytes differ from a fresh build (only when
            the records themselves have no problem: a build from broken records is not worth comparing).

    Raises:
        RecordError: a record does not follow the format (the message names the file and the field).
    """
    records, entities, labels = _load(graph_dir)
    problems = check_records(records, entities=entities)
    if stale and not problems:
        for name in stale_files(graph_dir, records=records, labels=labels):
            problems.append(
                Problem(
                    str(graph_dir / name), "", "differs from what the records build", "run `kgexplorer records build`"
                )
            )
    return problems


def stale_files(graph_dir: Path, *, records: Records | None = None, labels: dict[str, str] | None = None) -> list[str]:
    """The generated files whose committed bytes differ from a fresh build."""
    if records is None or labels is None:
        records, _, labels = _load(graph_dir)
    built = _built(graph_dir, records, labels)
    return [
        name
        for name, text in built.items()
        if not (graph_dir / name).exists() or (graph_dir / name).read_text(encoding="utf-8") != text
    ]


def _built(graph_dir: Path, records: Records, labels: dict[str, str]) -> dict[str, str]:
    """Every generated file's text, dataset.ttl's counts included (they count the freshly built files)."""
    built = build_turtle(records, labels=labels)
    dataset = graph_dir / "dataset.ttl"
    if dataset.exists():
        built["dataset.ttl"] = with_counts(dataset.read_text(encoding="utf-8"), dataset_counts(graph_dir, files=built))
    return built


def build_graph(graph_dir: Path) -> list[Path]:
    """Check the records and write the generated Turtle; returns the files that changed.

    Raises:
        RecordError: a record does not follow the format (the build stops before writing anything).
    """
    records, _, labels = _load(graph_dir)
    changed = []
    for name, text in _built(graph_dir, records, labels).items():
        path = graph_dir / name
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
            changed.append(path)
    return changed
