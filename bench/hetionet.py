"""Hetionet v1.0 (the 16-metaedge subset in ../shared/data/hetionet) converted to N-Triples.

The mapping is the one measured in ``hetionet/README.md``: node IRIs from the Biolink prefix map,
Biolink classes and predicates, per node ``rdf:type`` + ``rdfs:label``, per edge one triple. Pathways
(Pathway Commons ``PC7_…``) and pharmacologic classes (NDF-RT ``N…``) have no Biolink prefix, so they get
a namespace of this benchmark. The result must hold 859,858 distinct triples (the README's count);
:func:`convert` checks the node and edge counts against ``metanodes.tsv`` / ``metaedges.tsv`` and
refuses to write a file that disagrees.

Run on its own: ``.venv/bin/python -m bench.hetionet`` writes ``bench/out/data/hetionet.nt.gz``
(git-ignored) and prints the counts and the entities the benchmark explores.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path

import pyoxigraph as ox

__all__ = ["EXPECTED_TRIPLES", "HetionetPicks", "convert", "node_iri"]

#: Distinct triples after conversion, as measured in hetionet/README.md.
EXPECTED_TRIPLES = 859_858

_BIOLINK = "https://w3id.org/biolink/vocab/"
_BENCH_NS = "https://w3id.org/kgexplorer/bench/hetionet/"
_RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
_RDFS_LABEL = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label")

# kind -> (IRI prefix for the identifier after "Kind::", prefix to strip from it, Biolink class)
_KINDS: dict[str, tuple[str, str, str]] = {
    "Anatomy": ("http://purl.obolibrary.org/obo/UBERON_", "UBERON:", "AnatomicalEntity"),
    "Biological Process": ("http://purl.obolibrary.org/obo/GO_", "GO:", "BiologicalProcess"),
    "Cellular Component": ("http://purl.obolibrary.org/obo/GO_", "GO:", "CellularComponent"),
    "Molecular Function": ("http://purl.obolibrary.org/obo/GO_", "GO:", "MolecularActivity"),
    "Disease": ("http://purl.obolibrary.org/obo/DOID_", "DOID:", "Disease"),
    "Gene": ("http://identifiers.org/ncbigene/", "", "Gene"),
    "Compound": ("http://identifiers.org/drugbank/", "", "SmallMolecule"),
    "Symptom": ("http://id.nlm.nih.gov/mesh/", "", "PhenotypicFeature"),
    "Side Effect": ("http://identifiers.org/umls/", "", "PhenotypicFeature"),
    "Pathway": (_BENCH_NS + "pathway/", "", "Pathway"),
    "Pharmacologic Class": (_BENCH_NS + "pharmacologic-class/", "", "ChemicalEntity"),
}
_PREDICATES: dict[str, str] = {
    "CtD": "treats",
    "CpD": "ameliorates_condition",
    "CbG": "directly_physically_interacts_with",
    "GiG": "interacts_with",
    "Gr>G": "regulates",
    "GcG": "coexpressed_with",
    "CrC": "similar_to",
    "DrD": "similar_to",
    "DaG": "associated_with",
    "DlA": "located_in",
    "CuG": "increases_expression_of",
    "CdG": "decreases_expression_of",
    "AuG": "positively_correlated_with",
    "DuG": "positively_correlated_with",
    "AdG": "negatively_correlated_with",
    "DdG": "negatively_correlated_with",
}


@dataclass(frozen=True)
class HetionetPicks:
    """The entities the benchmark explores, chosen from the data by a fixed rule (never by hand)."""

    hub_gene: str
    hub_gene_label: str
    hub_gene_degree: int
    typical_compound: str
    typical_compound_label: str
    typical_compound_degree: int
    triples: int
    nodes: int
    edges: int


def node_iri(hetionet_id: str) -> str:
    """The IRI of a Hetionet node id (``Kind::identifier``).

    >>> node_iri("Gene::1106")
    'http://identifiers.org/ncbigene/1106'
    >>> node_iri("Disease::DOID:0050156")
    'http://purl.obolibrary.org/obo/DOID_0050156'
    """
    kind, ident = hetionet_id.split("::", 1)
    prefix, strip, _ = _KINDS[kind]
    return prefix + ident.removeprefix(strip)


def convert(source_dir: Path, target: Path) -> HetionetPicks:
    """Write ``target`` (N-Triples, gzip) from the Hetionet folder; reuse it when it is already there.

    The picks are stored next to it (``<target>.json``): the gene with the most edges (the hub) and the
    compound of median degree among compounds with at least one edge (a typical node).
    """
    meta = target.with_suffix(".json")
    if target.is_file() and meta.is_file():
        return HetionetPicks(**json.loads(meta.read_text(encoding="utf-8")))
    expected_nodes = _expected_counts(source_dir / "metanodes.tsv", key="metanode", value="nodes")
    expected_edges = _expected_counts(source_dir / "metaedges.tsv", key="abbreviation", value="edges")

    triples: list[ox.Triple] = []
    labels: dict[str, str] = {}
    kinds: dict[str, str] = {}
    node_counts: Counter[str] = Counter()
    with gzip.open(source_dir / "hetionet-v1.0-nodes.tsv.gz", "rt", encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE):
            iri = node_iri(row["id"])
            node = ox.NamedNode(iri)
            triples.append(ox.Triple(node, _RDF_TYPE, ox.NamedNode(_BIOLINK + _KINDS[row["kind"]][2])))
            triples.append(ox.Triple(node, _RDFS_LABEL, ox.Literal(row["name"])))
            labels[iri] = row["name"]
            kinds[iri] = row["kind"]
            node_counts[row["kind"]] += 1
    _check("nodes", node_counts, expected_nodes, exact_keys=True)

    edge_counts: Counter[str] = Counter()
    degree: Counter[str] = Counter()
    with gzip.open(source_dir / "hetionet-v1.0-edges-subset.sif.gz", "rt", encoding="utf-8", newline="") as f:
        reader = csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE)
        next(reader)  # header: source metaedge target
        for source, metaedge, target_id in reader:
            s, o = node_iri(source), node_iri(target_id)
            triples.append(ox.Triple(ox.NamedNode(s), ox.NamedNode(_BIOLINK + _PREDICATES[metaedge]), ox.NamedNode(o)))
            edge_counts[metaedge] += 1
            degree[s] += 1
            degree[o] += 1
    _check("edges", edge_counts, expected_edges, exact_keys=False)

    distinct = len(set(triples))
    if distinct != EXPECTED_TRIPLES:
        raise SystemExit(f"hetionet conversion gave {distinct:,} distinct triples, expected {EXPECTED_TRIPLES:,}")
    genes = [(d, iri) for iri, d in degree.items() if kinds[iri] == "Gene"]
    hub_degree, hub = max(genes, key=lambda g: (g[0], g[1]))
    compounds = sorted((d, iri) for iri, d in degree.items() if kinds[iri] == "Compound")
    typical_degree, typical = compounds[len(compounds) // 2]
    picks = HetionetPicks(
        hub_gene=hub,
        hub_gene_label=labels[hub],
        hub_gene_degree=hub_degree,
        typical_compound=typical,
        typical_compound_label=labels[typical],
        typical_compound_degree=typical_degree,
        triples=distinct,
        nodes=sum(node_counts.values()),
        edges=sum(edge_counts.values()),
    )
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    buffer = io.BytesIO()
    ox.serialize(triples, buffer, format=ox.RdfFormat.N_TRIPLES)
    with gzip.open(partial, "wb", compresslevel=6) as out:
        out.write(buffer.getvalue())
    partial.rename(target)
    meta.write_text(json.dumps(asdict(picks), indent=2) + "\n", encoding="utf-8")
    return picks


def _expected_counts(path: Path, *, key: str, value: str) -> dict[str, int]:
    with path.open(encoding="utf-8", newline="") as f:
        return {row[key]: int(row[value]) for row in csv.DictReader(f, delimiter="\t")}


def _check(what: str, got: Counter[str], expected: dict[str, int], *, exact_keys: bool) -> None:
    # The edge subset holds 16 of the 24 metaedges, so only the present ones must match.
    keys = set(expected) if exact_keys else set(got)
    wrong = {k: (got.get(k, 0), expected.get(k)) for k in keys if got.get(k, 0) != expected.get(k)}
    if wrong:
        raise SystemExit(f"hetionet {what} disagree with the official counts (got, expected): {wrong}")


if __name__ == "__main__":
    from .ladder import HETIONET

    out = Path(__file__).resolve().parent / "out" / "data" / "hetionet.nt.gz"
    result = convert(HETIONET, out)
    print(out)
    print(json.dumps(asdict(result), indent=2))
