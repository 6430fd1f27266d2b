"""The counts in ``graph/dataset.ttl`` (VoID), kept equal to what the bundled files hold by the build.

``void:triples`` counts every triple of the bundled files (``graph/*.ttl`` but the shapes) before the direct
edges are derived; ``void:entities`` counts the instances of ``kgx:Entity`` subclasses; each class partition
counts its class (subclasses included). A hand-kept number drifts with every new record, so the build writes them.
"""

from __future__ import annotations

import re
from pathlib import Path

from rdflib import Graph

from kgexplorer.namespaces import prefix_block

__all__ = ["dataset_counts", "with_counts"]

_PARTITION = re.compile(r"(\[ void:class (kgx:\w+) ; void:entities )(\d+)( \])")


def dataset_counts(graph_dir: Path, *, files: dict[str, str] | None = None) -> dict[str, int]:
    """The numbers dataset.ttl should state: ``triples``, ``entities`` and one per partition class (``kgx:Study``).

    Args:
        graph_dir: the graph folder.
        files: texts that replace files of the folder by name (a fresh build not yet written).
    """
    texts = {p.name: p.read_text(encoding="utf-8") for p in sorted(graph_dir.glob("*.ttl")) if p.name != "shapes.ttl"}
    texts.update(files or {})
    g = Graph()
    for text in texts.values():
        g.parse(data=text, format="turtle")
    counts = {"triples": len(g)}
    entity_query = (
        prefix_block() + "SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s a ?c . ?c rdfs:subClassOf* kgx:Entity }"
    )
    counts["entities"] = _count(g, entity_query)
    for _, cls, _, _ in _PARTITION.findall(texts.get("dataset.ttl", "")):
        q = prefix_block() + f"SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE {{ ?s a/rdfs:subClassOf* {cls} }}"
        counts[cls] = _count(g, q)
    return counts


def _count(g: Graph, query: str) -> int:
    for row in g.query(query):
        return int(row[0])  # type: ignore[index, arg-type]
    return 0  # pragma: no cover - a COUNT always answers one row


def with_counts(text: str, counts: dict[str, int]) -> str:
    """dataset.ttl's text with its counts replaced by ``counts``."""
    text = re.sub(r"(void:triples )\d+", lambda m: f"{m.group(1)}{counts['triples']}", text, count=1)
    text = re.sub(
        r"(void:uriSpace [^;]+;\s+void:triples \d+ ;\s+void:entities )\d+",
        lambda m: f"{m.group(1)}{counts['entities']}",
        text,
        count=1,
    )
    return _PARTITION.sub(lambda m: f"{m.group(1)}{counts.get(m.group(2), int(m.group(3)))}{m.group(4)}", text)
