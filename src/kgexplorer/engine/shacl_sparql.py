"""The SPARQL-based constraints of the shapes (``sh:sparql`` with ``sh:select``), evaluated by Oxigraph.

pyshacl evaluates a SPARQL-based constraint with rdflib's SPARQL engine, written in Python, once per focus node:
for the bundled graph that was about four fifths of ``kgexplorer validate``'s half minute (timed shape by shape:
the whole-graph checks 12.7 s, the study and claim checks 8 and 4 s). The data is already in an Oxigraph store
(the validation loads it there first), so these constraints run there, with the SHACL-SPARQL semantics kept:

* the focus nodes are the shape's ``sh:targetNode`` values and the instances of its ``sh:targetClass`` values
  and of their subclasses (``rdf:type/rdfs:subClassOf*`` in the data, as SHACL defines class targets);
* ``$this`` is pre-bound to each focus node (pyoxigraph's ``substitutions``), the prefixes are the constraint's
  ``sh:prefixes`` declarations, and each solution is one result: its focus node is ``$this`` (or the solution's
  ``?this``), its value ``?value`` (else the focus node, for a node shape) and its path ``?path``;
* a constraint with ``sh:deactivated true`` is skipped, as SHACL says.

:func:`split` takes from the shapes graph only the constraints this module can evaluate exactly so; anything
else (other targets, ``sh:ask``, ``?failure``, ``$PATH``, property shapes, templates in ``sh:message``) stays
with pyshacl. ``tests/engine/test_shacl_sparql.py`` holds both evaluations to the same results.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["SparqlConstraint", "SparqlResult", "evaluate", "split"]

_SH = "http://www.w3.org/ns/shacl#"
_FIX = "https://w3id.org/kgexplorer/vocab#fix"
_RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
_SUBCLASS = "http://www.w3.org/2000/01/rdf-schema#subClassOf"
# What only pyshacl implements: a failure flag, a path substituted into the text, the shapes graph, and message
# templates ({?var} / {$var}) filled from a solution.
_LEFT_TO_PYSHACL = ("?failure", "$failure", "$PATH", "$shapesGraph", "$currentShape")


@dataclass(frozen=True)
class SparqlConstraint:
    """One ``sh:sparql`` constraint of a node shape, ready to run: its query, focus nodes' source and words."""

    shape: str
    query: str
    target_nodes: tuple[str, ...]
    target_classes: tuple[str, ...]
    message: str
    fix: str | None


@dataclass(frozen=True)
class SparqlResult:
    """One validation result: the focus node, the value (or None) and the path (or None), with the rule's words.

    Terms are given as pyshacl's report gives them to :mod:`kgexplorer.engine.validation`: an IRI, a blank
    node's label or a literal's lexical form."""

    focus: str
    value: str | None
    path: str | None
    message: str
    fix: str | None


def split(shapes: Any) -> tuple[SparqlConstraint, ...]:
    """Take from ``shapes`` (an rdflib Graph, changed in place) every SPARQL-based constraint this module
    evaluates exactly as SHACL defines it, and return them; the rest stays for pyshacl."""
    from rdflib import URIRef
    from rdflib.term import Literal

    def sh(name: str) -> URIRef:
        return URIRef(_SH + name)

    taken: list[SparqlConstraint] = []
    removed: list[tuple[Any, Any]] = []
    for shape, constraint in shapes.subject_objects(sh("sparql")):
        select = shapes.value(constraint, sh("select"))
        if not isinstance(select, Literal) or not isinstance(shape, URIRef):
            continue
        if (shape, sh("path"), None) in shapes or (constraint, sh("ask"), None) in shapes:
            continue  # a property shape ($PATH, value nodes) or an ASK: pyshacl's
        text = str(select)
        message = shapes.value(constraint, sh("message"))
        node_targets = list(shapes.objects(shape, sh("targetNode")))
        class_targets = list(shapes.objects(shape, sh("targetClass")))
        other_targets = any((shape, sh(p), None) in shapes for p in ("targetSubjectsOf", "targetObjectsOf", "target"))
        if (
            other_targets
            or not (node_targets or class_targets)
            or not all(isinstance(t, URIRef) for t in (*node_targets, *class_targets))
            or any(word in text for word in _LEFT_TO_PYSHACL)
            or (message is not None and "{" in str(message))
        ):
            continue
        removed.append((shape, constraint))
        deactivated = shapes.value(constraint, sh("deactivated"))
        if deactivated is not None and deactivated.toPython() is True:
            continue  # SHACL: a deactivated constraint is ignored
        fix = shapes.value(constraint, URIRef(_FIX))
        if fix is None:
            fix = shapes.value(shape, URIRef(_FIX))
        taken.append(
            SparqlConstraint(
                shape=str(shape),
                query=_prefixes(shapes, constraint) + text,
                target_nodes=tuple(str(t) for t in node_targets),
                target_classes=tuple(str(t) for t in class_targets),
                message=str(message) if message is not None else "the node breaks a shape",
                fix=str(fix) if fix is not None else None,
            )
        )
    for shape, constraint in removed:
        shapes.remove((shape, sh("sparql"), constraint))
    return tuple(taken)


def evaluate(store: Any, constraints: tuple[SparqlConstraint, ...]) -> list[SparqlResult]:
    """Run each constraint on ``store`` (pyoxigraph; every graph's triples are the data) for each focus node."""
    import pyoxigraph as ox

    results: dict[SparqlResult, None] = {}  # one result per distinct (focus, value, path) and rule, in order
    this = ox.Variable("this")
    for constraint in constraints:
        for focus in _focus_nodes(store, constraint):
            solutions = store.query(constraint.query, use_default_graph_as_union=True, substitutions={this: focus})
            for solution in solutions:
                bound_this, value, path = solution["this"], solution["value"], solution["path"]
                result = SparqlResult(
                    focus=_text(bound_this if bound_this is not None else focus),
                    value=_text(value if value is not None else focus),
                    path=_text(path) if path is not None else None,
                    message=constraint.message,
                    fix=constraint.fix,
                )
                results[result] = None
    return list(results)


def _focus_nodes(store: Any, constraint: SparqlConstraint) -> list[Any]:
    import pyoxigraph as ox

    nodes: dict[Any, None] = {ox.NamedNode(n): None for n in constraint.target_nodes}
    for cls in constraint.target_classes:
        query = f"SELECT DISTINCT ?n WHERE {{ ?n <{_RDF_TYPE}>/<{_SUBCLASS}>* <{cls}> }}"
        for solution in store.query(query, use_default_graph_as_union=True):
            nodes[solution["n"]] = None
    return list(nodes)


def _prefixes(shapes: Any, constraint: Any) -> str:
    """The PREFIX lines of a constraint's ``sh:prefixes`` (each names nodes whose ``sh:declare`` give them)."""
    from rdflib import URIRef

    lines = []
    for holder in shapes.objects(constraint, URIRef(_SH + "prefixes")):
        for declaration in shapes.objects(holder, URIRef(_SH + "declare")):
            prefix = shapes.value(declaration, URIRef(_SH + "prefix"))
            namespace = shapes.value(declaration, URIRef(_SH + "namespace"))
            if prefix is not None and namespace is not None:
                lines.append(f"PREFIX {prefix}: <{namespace}>\n")
    return "".join(lines)


def _text(term: Any) -> str:
    return str(term.value)
