"""Check a graph against graph/shapes.ttl (SHACL, with pyshacl) and report problems in plain words.

Each problem names the node, the rule it breaks and how to fix it; the rules and fixes come from the
shapes' ``sh:message`` and ``kgx:fix``. The vocabulary (graph/ontology.ttl) is always validated
alongside the data, so a class's subclasses are checked too and kgx: terms can be looked up.

The shapes' SPARQL-based constraints run in Oxigraph (:mod:`kgexplorer.engine.shacl_sparql`), the rest in pyshacl: the
whole bundled graph takes about 2 s of CPU (30 s when pyshacl ran them all). One file of the bundled graph on its
own (the whole graph's conformance is tested in tests/engine/test_validation.py): the lay names point at
substances described in other files, so each is a dangling link here.

>>> from kgexplorer.engine.store import bundled_graph_dir
>>> report = validate([str(bundled_graph_dir() / "lay-names.ttl")])
>>> report.conforms, "kg:psilocybin" in {p.node for p in report.problems}
(False, True)
>>> report.problems[0].rule
'every IRI in the kg: namespace that is used as an object is typed and labelled (no dangling links)'
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kgexplorer.errors import GraphLoadError
from kgexplorer.settings import Settings

from . import shacl_sparql
from .parse_worker import parse_recipe
from .store import DataFile, StoreRecipe, build_store, bundled_data_files, bundled_graph_dir

__all__ = ["Problem", "ValidationReport", "validate"]

_SH = "http://www.w3.org/ns/shacl#"
_FIX = "https://w3id.org/kgexplorer/vocab#fix"
_XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"


@dataclass(frozen=True)
class Problem:
    """One way the graph breaks a rule."""

    node: str
    rule: str
    fix: str
    value: str = ""
    path: str = ""

    def to_text(self) -> str:
        where = (
            f" ({self.path} = {self.value})" if self.path and self.value else (f" ({self.value})" if self.value else "")
        )
        return f"{self.node}{where}\n  rule: {self.rule}\n  fix:  {self.fix}"


@dataclass(frozen=True)
class ValidationReport:
    """The outcome of a validation: whether the graph conforms, and each problem found."""

    conforms: bool
    problems: tuple[Problem, ...]
    files: tuple[str, ...]

    def to_text(self) -> str:
        if self.conforms:
            return f"The graph conforms to the shapes ({len(self.files)} files checked)."
        lines = [f"{len(self.problems)} problem(s) in {len(self.files)} file(s):", ""]
        lines += [p.to_text() + "\n" for p in self.problems]
        return "\n".join(lines).rstrip()


def validate(
    files: Iterable[str | DataFile] | None = None, *, format: str | None = None, settings: Settings | None = None
) -> ValidationReport:
    """Validate RDF files (default: the bundled graph) against the kgexplorer shapes.

    Files other than the bundled graph's are parsed in the parse worker (:mod:`kgexplorer.engine.parse_worker`;
    ``settings`` gives its limits), never in this process. ``format`` applies to files given as paths.
    """
    import pyshacl
    from rdflib import Graph

    given = list(files) if files is not None else [str(p) for p in bundled_data_files()]
    data_files = [f if isinstance(f, DataFile) else DataFile(str(f), format) for f in given]
    ontology = str(bundled_graph_dir() / "ontology.ttl")
    inputs = [DataFile(ontology), *(f for f in data_files if f.path != ontology)]
    try:
        recipe, parsed = parse_recipe(StoreRecipe(files=tuple(inputs), derive_edges=False), settings=settings)
        try:
            store = build_store(recipe, settings=settings)
        finally:
            if parsed is not None:
                parsed.close()
    except GraphLoadError as exc:
        if exc.path is None or not Path(exc.path).is_file():
            raise
        raise GraphLoadError(
            f"{Path(exc.path).name} could not be parsed for validation: {exc}",
            path=exc.path,
            line=exc.line,
            column=exc.column,
        ) from None
    data = _to_rdflib(store)
    shapes = Graph().parse(bundled_graph_dir() / "shapes.ttl", format="turtle")
    # The SPARQL-based constraints run in Oxigraph on the store (kgexplorer.engine.shacl_sparql); pyshacl the rest.
    constraints = shacl_sparql.split(shapes)
    conforms, results, _ = pyshacl.validate(
        data, shacl_graph=shapes, inference="none", advanced=True, allow_warnings=True
    )
    problems = _problems(results, shapes)
    found = shacl_sparql.evaluate(store, constraints)
    problems += [_problem(r.focus, r.value, r.path, r.message, r.fix) for r in found]
    problems.sort(key=lambda p: (p.node, p.rule))
    names = tuple(f.origin or f.path for f in data_files)
    return ValidationReport(bool(conforms) and not problems, tuple(problems), names)


def _to_rdflib(store: Any) -> Any:
    """The store's triples (every graph merged) as an rdflib Graph, for pyshacl.

    Files are parsed by the same loader as every other load (Oxigraph, in the parse worker), never by
    rdflib: rdflib's JSON-LD parser fetches a remote ``@context`` from the network, and its errors lack the
    line and column the loader gives.
    """
    import pyoxigraph as ox
    from rdflib import BNode, Graph, Literal, URIRef

    def term(t: Any) -> Any:
        if isinstance(t, ox.NamedNode):
            return URIRef(t.value)
        if isinstance(t, ox.BlankNode):
            return BNode(t.value)
        if isinstance(t, ox.Literal):
            if t.language:
                return Literal(t.value, lang=t.language)
            if t.datatype.value == _XSD_STRING:  # rdflib's own parsers give plain literals here
                return Literal(t.value)
            return Literal(t.value, datatype=URIRef(t.datatype.value), normalize=False)
        raise GraphLoadError(f"RDF-star triple terms cannot be validated ({t}); remove them or validate without them")

    graph = Graph()
    for q in store.quads_for_pattern(None, None, None, None):
        graph.add((term(q.subject), term(q.predicate), term(q.object)))
    return graph


def _problems(results: Any, shapes: Any) -> list[Problem]:
    from rdflib import URIRef

    sh = {
        name: URIRef(_SH + name)
        for name in (
            "ValidationResult",
            "focusNode",
            "resultMessage",
            "sourceShape",
            "value",
            "resultPath",
            "sourceConstraint",
        )
    }
    fix_p = URIRef(_FIX)
    out: list[Problem] = []
    for r in results.subjects(URIRef("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"), sh["ValidationResult"]):
        focus = results.value(r, sh["focusNode"])
        message = results.value(r, sh["resultMessage"])
        source = results.value(r, sh["sourceShape"])
        value = results.value(r, sh["value"])
        path = results.value(r, sh["resultPath"])
        constraint = results.value(r, sh["sourceConstraint"])
        fix = next(
            (
                shapes.value(n, fix_p)
                for n in (constraint, source)
                if n is not None and shapes.value(n, fix_p) is not None
            ),
            None,
        )
        out.append(
            _problem(
                str(focus),
                str(value) if value is not None else None,
                str(path) if path is not None else None,
                str(message or "the node breaks a shape"),
                str(fix) if fix is not None else None,
            )
        )
    return out


def _problem(focus: str, value: str | None, path: str | None, rule: str, fix: str | None) -> Problem:
    """One result in plain words; a result of the whole-graph shape names the node it found, not the shape's."""
    whole_graph = focus == "https://w3id.org/kgexplorer/vocab"
    node = value if (whole_graph and value is not None) else focus
    shown_value = "" if node == value or value is None else value
    return Problem(
        node=_short(node),
        rule=rule,
        fix=fix or "see graph/shapes.ttl",
        value=_short(shown_value),
        path=_short(path) if path is not None else "",
    )


def _short(text: str) -> str:
    from kgexplorer.namespaces import shorten

    return " ".join(shorten(part) if part.startswith("http") else part for part in text.split(" "))
