"""The competency-question gallery: ready-made SPARQL questions about the graph, with safe parameters.

Each question is one ``.rq`` file in ``graph/queries/`` whose first lines are a header of comments::

    # title: Which substances have randomised-trial evidence in a condition?
    # description: Substances with at least one RCT claim about the condition, with the trials.
    # param: condition Condition kg:alcohol_use_disorder
    # view: table

``param`` declares a parameter (a SPARQL variable of the body, the kind of entity it takes, and its
default); ``view`` says how to show the answer (``table``, ``graph`` or ``bar``). Values are never
pasted into the query text: :meth:`GalleryQuery.bind` validates them as RDF terms, and they travel beside
the unchanged text (:mod:`kgexplorer.engine.bindings`: the engine's substitutions, or a trailing ``VALUES``
on a remote endpoint), so an error's line and column are those of the text as written. A SELECT question
returns each parameter (the engine's rule for substitutions).

>>> q = get_query("rct-evidence-by-condition")
>>> q.params[0]
Param(name='condition', kind='Condition', default='https://w3id.org/kgexplorer/id/alcohol_use_disorder')
>>> q.bind({"condition": IRI("https://w3id.org/kgexplorer/id/opioid_use_disorder")})
(('condition', IRI(value='https://w3id.org/kgexplorer/id/opioid_use_disorder')),)
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, NoReturn, cast, get_args

from kgexplorer.engine.bindings import Bindings, bindings, check_bindable
from kgexplorer.engine.results import QueryResult
from kgexplorer.engine.store import bundled_graph_dir
from kgexplorer.errors import QueryError, QuerySyntaxError
from kgexplorer.namespaces import KGX, PREFIXES
from kgexplorer.terms import IRI, BlankNode, Term

from .labels import KINDS, EntityRef, fetch_kinds
from .reader import Reader

__all__ = [
    "ANY_KIND", "GalleryQuery", "Param", "View", "declares_fields", "get_query", "load_gallery",
    "question_from_text",
]  # fmt: skip

View = Literal["table", "graph", "bar"]
#: The kind of a parameter that takes any IRI.
ANY_KIND = "Any"

_VIEWS: tuple[str, ...] = get_args(View)
_FIELDS = ("title", "description", "param", "view")
_FIELD_LINE = re.compile(r"#\s*([A-Za-z_]+)\s*:(?:\s+(.*))?$")
# Kinds as written in a header: the class local name (AcuteEffect) or the kind's own name (Substance).
_KIND_BY_HEADER = dict(KINDS) | {name: name for _, name in KINDS if " " not in name}
_CLASS_BY_KIND = {name: KGX + local for local, name in KINDS}


@dataclass(frozen=True)
class Param:
    """One parameter of a gallery question: the SPARQL variable, the kind of entity, the default IRI."""

    name: str
    kind: str
    default: str

    def choices(self, kg: Reader) -> tuple[EntityRef, ...]:
        """The entities this parameter accepts, sorted by label (empty for kind ``Any``).

        At most ``settings.max_result_rows`` entities, like any template query (the graph's own kinds
        have far fewer members).

        >>> from kgexplorer import KnowledgeGraph
        >>> with KnowledgeGraph.bundled() as kg:
        ...     names = [c.label for c in get_query("rct-evidence-by-condition").params[0].choices(kg)]
        >>> "Alcohol use disorder" in names
        True
        """
        if self.kind == ANY_KIND:
            return ()
        rows = kg.select(
            "SELECT DISTINCT ?e ?label WHERE { ?e a/rdfs:subClassOf* ?class ; rdfs:label ?label . "
            "FILTER(isIRI(?e) && (LANG(?label) = 'en' || LANG(?label) = '')) } ORDER BY LCASE(STR(?label))",
            values={"class": IRI(_CLASS_BY_KIND[self.kind])},
        ).rows
        labels: dict[str, str] = {}
        for e, label in rows:
            if isinstance(e, IRI) and label is not None:
                labels.setdefault(e.value, str(label))
        # A node with several types has one kind (labels.kind_of); offer only what run() will accept.
        kinds = fetch_kinds(kg, labels)
        return tuple(EntityRef(iri, label, self.kind) for iri, label in labels.items() if kinds[iri] == self.kind)


@dataclass(frozen=True)
class GalleryQuery:
    """One competency question: its header fields, the query text and the file it came from."""

    name: str
    title: str
    description: str
    params: tuple[Param, ...]
    view: View
    text: str
    path: Path

    def bind(self, values: Mapping[str, Term] | None = None) -> Bindings:
        """Every parameter's checked value (defaults for those not given), to travel beside the text.

        Raises:
            QueryError: a name that is not a parameter, or a value that is not a valid RDF term.

        >>> q = get_query("risks-and-barriers-of-a-substance")
        >>> q.bind()
        (('substance', IRI(value='https://w3id.org/kgexplorer/id/ketamine')),)
        >>> q.bind({"drug": IRI("https://w3id.org/kgexplorer/id/ketamine")})
        Traceback (most recent call last):
        ...
        kgexplorer.errors.QueryError: 'drug' is not a parameter of the gallery question ...
        """
        given = dict(values or {})
        self._check_names(given)
        return bindings({p.name: _checked_term(given.get(p.name, IRI(p.default)), p.name) for p in self.params})

    def run(self, kg: Reader, values: Mapping[str, Term] | None = None, *, client: str | None = None) -> QueryResult:
        """Bind the values (checking each is an entity of the parameter's kind) and run the query (as ``client``).

        The text runs as it is; the values travel beside it (:meth:`bind`), so a syntax error names the line
        and column of the text as written.

        >>> from kgexplorer import KnowledgeGraph
        >>> with KnowledgeGraph.bundled() as kg:
        ...     result = get_query("rct-evidence-by-condition").run(kg)
        >>> [(str(r["substanceLabel"]), str(r["level"]), str(r["direction"]), str(r["n"]))
        ...  for r in result if r["study"].value.endswith("/grabski_2022_kare")]
        [('Ketamine', 'Randomised controlled trial', 'mixed', '96')]
        """
        given = dict(values or {})
        self._check_names(given)
        self._check_kinds(kg, given)
        return kg.sparql(self.text, bindings=dict(self.bind(given)), client=client)

    def resolve_values(self, kg: Reader, texts: Mapping[str, str]) -> dict[str, Term]:
        """Turn names a person typed (labels, synonyms, prefixed names, IRIs) into checked parameter values.

        >>> from kgexplorer import KnowledgeGraph
        >>> with KnowledgeGraph.bundled() as kg:
        ...     get_query("risks-and-barriers-of-a-substance").resolve_values(kg, {"substance": "Spravato"})
        {'substance': IRI(value='https://w3id.org/kgexplorer/id/esketamine')}
        """
        self._check_names(texts)
        resolved: dict[str, Term] = {name: IRI(kg.resolve(text)) for name, text in texts.items()}
        self._check_kinds(kg, resolved)
        return resolved

    def _check_names(self, values: Mapping[str, object]) -> None:
        known = [p.name for p in self.params]
        for name in values:
            if name not in known:
                listed = ", ".join(known) if known else "none"
                raise QueryError(
                    f"{name!r} is not a parameter of the gallery question {self.name!r}; its parameters are: {listed}"
                )

    def _check_kinds(self, kg: Reader, values: Mapping[str, Term]) -> None:
        wanted = {p.name: p.kind for p in self.params if p.kind != ANY_KIND and p.name in values}
        iris = [v.value for n, v in values.items() if n in wanted and isinstance(v, IRI)]
        kinds = fetch_kinds(kg, iris) if iris else {}
        for name, kind in wanted.items():
            value = values[name]
            if not isinstance(value, IRI):
                raise QueryError(f"parameter {name!r} takes a {kind} (an IRI), got the literal {value.n3()}")
            found = kinds.get(value.value, "Resource")
            if found != kind:
                raise QueryError(
                    f"parameter {name!r} takes a {kind}, but {value.value} is a {found}; pick a {kind} "
                    f"(see Param.choices)"
                )


def load_gallery(directory: str | Path | None = None) -> tuple[GalleryQuery, ...]:
    """Every gallery question in a folder of ``.rq`` files (default: the bundled ``graph/queries``), by title.

    Raises:
        QuerySyntaxError: a file's header is malformed (the message names the file and line).

    >>> titles = [q.title for q in load_gallery()]
    >>> titles == sorted(titles, key=str.casefold) and len(titles) >= 18
    True
    """
    folder = Path(directory) if directory is not None else bundled_graph_dir() / "queries"
    if not folder.is_dir():
        raise QueryError(f"no gallery folder at {folder}; give a folder that holds .rq files")
    queries = [_parse_file(p) for p in sorted(folder.glob("*.rq"))]
    return tuple(sorted(queries, key=lambda q: (q.title.casefold(), q.name)))


def get_query(name: str, directory: str | Path | None = None) -> GalleryQuery:
    """One gallery question by its name (the file name without ``.rq``).

    >>> get_query("timeline-of-events").view
    'table'
    >>> get_query("no-such-question")
    Traceback (most recent call last):
    ...
    kgexplorer.errors.QueryError: no gallery question called 'no-such-question'; the questions are: ...
    """
    queries = load_gallery(directory)
    for q in queries:
        if q.name == name:
            return q
    names = ", ".join(sorted(q.name for q in queries))
    raise QueryError(f"no gallery question called {name!r}; the questions are: {names}")


def declares_fields(text: str) -> bool:
    """Whether a query's first lines are a gallery header (``# title:``, ``# param:`` …).

    >>> declares_fields("# title: Mine\\nASK {}"), declares_fields("# just a note\\nASK {}")
    (True, False)
    """
    first = next((line.strip() for line in text.splitlines() if line.strip()), "")
    m = _FIELD_LINE.match(first)
    return m is not None and m.group(1).lower() in _FIELDS


def question_from_text(text: str, *, name: str = "query") -> GalleryQuery:
    """A question from a query's own text: its header (title, description, parameters, view) and body.

    What a person edits in the workbench is read so: a parameter applies to the query that declares it
    in its header, and to no other. Raises :class:`~kgexplorer.errors.QuerySyntaxError` for a malformed
    header (the message names the line).

    >>> q = question_from_text(get_query("rct-evidence-by-condition").text + "LIMIT 3\\n")
    >>> q.title == get_query("rct-evidence-by-condition").title, [p.name for p in q.params]
    (True, ['condition'])
    """
    return _parse_text(text, name=name, path=Path(f"{name}.rq"), where="the query's header")


def _parse_file(path: Path) -> GalleryQuery:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise QueryError(f"cannot read the gallery question {path}: {exc}; save it as a UTF-8 text file") from None
    return _parse_text(text, name=path.stem, path=path, where=f"gallery question {path.name}")


def _parse_text(text: str, *, name: str, path: Path, where: str) -> GalleryQuery:
    fields: dict[str, str] = {}
    params: list[Param] = []
    param_lines: dict[str, int] = {}
    in_fields = True
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line.startswith("#"):
            break  # the header ends at the first line that is not a comment
        m = _FIELD_LINE.match(line)
        key, value = (m.group(1).lower(), (m.group(2) or "").strip()) if m else ("", "")
        if not in_fields or key not in _FIELDS:
            if in_fields and m is not None:
                _fail(where, number, f"unknown header field {key!r}", f"use one of: {', '.join(_FIELDS)}")
            if not in_fields and key in _FIELDS:
                _fail(where, number, f"the {key} field comes after a plain comment", "put every field first")
            in_fields = False  # the fields come first; later comment lines say why the query is as it is
            continue
        if not value:
            _fail(where, number, f"the {key} field is empty", f"write '# {key}: …' with a value")
        if key == "param":
            params.append(_parse_param(where, number, value, text))
            param_lines.setdefault(params[-1].name, number)
            continue
        if key in fields:
            _fail(where, number, f"the {key} field is given twice", "keep one")
        fields[key] = value
    for key in ("title", "description"):
        if key not in fields:
            _fail(where, 1, f"the header has no {key}", f"add a line '# {key}: …' at the top")
    view = fields.get("view", "table")
    if view not in _VIEWS:
        _fail(where, 1, f"unknown view {view!r}", f"use one of: {', '.join(_VIEWS)}")
    names = [p.name for p in params]
    if len(set(names)) != len(names):
        _fail(where, 1, "a parameter is declared twice", "declare each '# param:' once")
    for p in params:
        if (problem := check_bindable(text, [p.name], prefixes=PREFIXES)) is not None:
            fix = "or drop the '# param:' line"
            _fail(where, param_lines[p.name], f"a parameter is bound beside the query, and {problem}", fix)
    return GalleryQuery(
        name=name,
        title=fields["title"],
        description=fields["description"],
        params=tuple(params),
        view=cast(View, view),
        text=text,
        path=path,
    )


def _parse_param(where: str, number: int, value: str, text: str) -> Param:
    parts = value.split()
    if len(parts) != 3:
        _fail(where, number, f"'# param: {value}' needs three parts", "write '# param: NAME KIND DEFAULT'")
    name, kind_text, default_text = parts
    if not name.isidentifier():
        _fail(where, number, f"parameter name {name!r} is not a SPARQL variable name", "use letters, digits and _")
    if not re.search(rf"[?$]{re.escape(name)}\b", _body(text)):
        _fail(where, number, f"parameter ?{name} is not used in the query", "use the variable or drop the param")
    kind = ANY_KIND if kind_text == ANY_KIND else _KIND_BY_HEADER.get(kind_text)
    if kind is None:
        kinds = ", ".join(sorted({ANY_KIND, *_KIND_BY_HEADER}))
        _fail(where, number, f"unknown kind {kind_text!r}", f"use one of: {kinds}")
    default = _expand(default_text)
    if default is None:
        _fail(where, number, f"default {default_text!r} is not an IRI", "write <https://…> or a prefixed name (kg:x)")
    return Param(name, kind, default)


def _expand(text: str) -> str | None:
    if text.startswith("<") and text.endswith(">"):
        iri = text[1:-1]
    elif ":" in text and text.split(":", 1)[0] in PREFIXES:
        prefix, local = text.split(":", 1)
        iri = PREFIXES[prefix] + local
    else:
        return None
    try:
        IRI(iri).n3()
    except ValueError:
        return None
    return iri


def _checked_term(value: object, name: str) -> Term:
    if isinstance(value, BlankNode) or not hasattr(value, "n3"):
        raise QueryError(f"parameter {name!r} needs an IRI or a literal, got {value!r}")
    term = cast(Term, value)
    try:
        term.n3()
    except ValueError as exc:
        raise QueryError(
            f"parameter {name!r} got an invalid value {getattr(term, 'value', term)!r} ({exc}); "
            "give a full IRI such as https://w3id.org/kgexplorer/id/ketamine"
        ) from None
    return term


def _body(text: str) -> str:
    return "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))


def _fail(where: str, line: int, problem: str, fix: str) -> NoReturn:
    raise QuerySyntaxError(f"{where}, line {line}: {problem}; {fix}", line=line, column=1)
