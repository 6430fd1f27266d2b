"""The competency-question gallery: headers, safe binding, and every question's answer against the evidence records."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from rdflib import Graph, Namespace
from rdflib.namespace import RDF, RDFS

from kgexplorer import IRI, BlankNode, KnowledgeGraph, Literal, QueryError, QuerySyntaxError
from kgexplorer.curation import GENERATED_FILES
from kgexplorer.curation.checks import numbers_in
from kgexplorer.curation.records import (
    DESIGN_LEVELS,
    SOURCE_KINDS,
    SPECIES,
    ClaimRecord,
    Finding,
    Records,
    SourceRecord,
)
from kgexplorer.curation.turtle import DerivedClaim, derive_claim
from kgexplorer.engine.guard import check_query
from kgexplorer.engine.results import GraphResult, SelectResult
from kgexplorer.evidence import level
from kgexplorer.model.gallery import ANY_KIND, GalleryQuery, get_query, load_gallery
from kgexplorer.namespaces import KG, KGX

NAMES = [q.name for q in load_gallery()]
GRAPH = Path(__file__).resolve().parents[2] / "graph"
HEADER = "# title: T?\n# description: D.\n"


def _select(kg: KnowledgeGraph, name: str, **values: str) -> SelectResult:
    result = get_query(name).run(kg, {k: IRI(KG + v) for k, v in values.items()})
    assert isinstance(result, SelectResult)
    assert not result.truncated
    return result


def _local(term: object) -> str:
    assert isinstance(term, IRI), term
    assert term.value.startswith(KG), term
    return term.value[len(KG) :]


def _text(term: object) -> str:
    return "" if term is None else str(term)


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / f"{name}.rq"
    path.write_text(text, encoding="utf-8")
    return path


# ---------------------------------------------------------------------------------------------- the records
#
# Every answer is checked against an independent reading of the sources of truth: the YAML evidence records
# (graph/records/, read with the strict loader, with claims' levels and directions derived by the same rule
# the build uses) and the hand-written entity Turtle (read with rdflib, not through the app's store).

_CLINICAL = {"meta-analysis", "rct", "controlled", "open-label", "observational", "case-series", "human-lab"}
_HANDWRITTEN_SKIPPED = {*GENERATED_FILES, "shapes.ttl", "dataset.ttl"}


@dataclass(frozen=True)
class Truth:
    """What the records and the hand-written Turtle say, indexed for the tests below."""

    records: Records
    evidence: dict[str, list[tuple[SourceRecord, Finding]]]
    derived: dict[str, DerivedClaim]
    classes: dict[str, set[str]]
    labels: dict[str, str]
    uses_substance: set[tuple[str, str]]
    secondary_entities: set[str]

    def claims(self, *relations: str) -> list[ClaimRecord]:
        """The claims that ship (those with evidence), optionally of some relations, by id."""
        return [
            c
            for cid, c in sorted(self.records.claims.items())
            if cid in self.derived and (not relations or c.relation in relations)
        ]

    def is_a(self, entity: str, cls: str) -> bool:
        return cls in self.classes.get(entity, set())

    def label(self, local: str) -> str:
        return self.labels[local]

    def rank(self, level_key: str) -> int:
        return level(DESIGN_LEVELS[level_key]).rank

    def level_label(self, level_key: str) -> str:
        return level(DESIGN_LEVELS[level_key]).label


def _studies_of(truth: Truth) -> list[SourceRecord]:
    """The source records that become kgx:Study nodes (papers, registry records, reviews), not documents."""
    return [s for _, s in sorted(truth.records.sources.items()) if SOURCE_KINDS[s.kind] == "Study"]


@pytest.fixture(scope="module")
def truth(records: Records) -> Truth:
    evidence: dict[str, list[tuple[SourceRecord, Finding]]] = defaultdict(list)
    for src, f in records.findings():
        evidence[f.claim].append((src, f))
    derived = {cid: derive_claim(items) for cid, items in evidence.items() if cid in records.claims}
    g = Graph()
    for path in sorted(GRAPH.glob("*.ttl")):
        if path.name not in _HANDWRITTEN_SKIPPED:
            g.parse(path, format="turtle")
    k = Namespace(KG)
    x = Namespace(KGX)
    local = {str(s)[len(KG) :] for s in g.subjects() if str(s).startswith(KG)}
    classes: dict[str, set[str]] = {}
    for e in local:
        found = set(g.objects(k[e], RDF.type))
        todo = list(found)
        while todo:
            for sup in g.objects(todo.pop(), RDFS.subClassOf):
                if sup not in found:
                    found.add(sup)
                    todo.append(sup)
        classes[e] = {str(c)[len(KGX) :] for c in found if str(c).startswith(KGX)}
    labels = {str(s)[len(KG) :]: str(o) for s, o in g.subject_objects(RDFS.label) if str(s).startswith(KG)}
    labels |= {str(s)[len(KGX) :]: str(o) for s, o in g.subject_objects(RDFS.label) if str(s).startswith(KGX)}
    for sid, src in records.sources.items():
        labels[sid] = src.label
    uses = {(str(t)[len(KG) :], str(s)[len(KG) :]) for t, s in g.subject_objects(x.usesSubstance)}
    secondary = {str(s)[len(KG) :] for s in g.subjects(x.sourceTier, x.Secondary) if str(s).startswith(KG)}
    return Truth(records, dict(evidence), derived, classes, labels, uses, secondary)


def _rows(kg: KnowledgeGraph, name: str, **values: str) -> list[Any]:
    return list(_select(kg, name, **values))


def _split(term: object) -> set[str]:
    return set(filter(None, _text(term).split(", ")))


# ---------------------------------------------------------------------------------------------- every query


def test_the_gallery_has_at_least_18_questions_sorted_by_title() -> None:
    queries = load_gallery()
    assert len(queries) >= 18
    assert len({q.name for q in queries}) == len(queries)
    assert [q.title.casefold() for q in queries] == sorted(q.title.casefold() for q in queries)


@pytest.mark.parametrize("name", NAMES)
def test_every_question_parses_passes_the_guard_and_answers(kg: KnowledgeGraph, name: str) -> None:
    """Each bundled question is well formed, deterministic, safe and has an answer on the bundled graph."""
    q = get_query(name)
    assert q.title
    assert q.description
    assert q.path.name == f"{name}.rq"
    body = "\n".join(line for line in q.text.splitlines() if not line.lstrip().startswith("#"))
    assert re.search(r"\bORDER BY\b", body), "every question orders its answer"
    assert re.search(r"\bLIMIT \d+", body), "every question caps its answer"
    for p in q.params:
        assert p.kind == ANY_KIND or p.choices(kg), f"no entity of kind {p.kind}"
        assert p.kind == ANY_KIND or p.default in {c.iri for c in p.choices(kg)}, "the default is of its kind"
    assert dict(q.bind()) == {p.name: IRI(p.default) for p in q.params}
    form = check_query(q.text).form
    result = q.run(kg)
    assert len(result) >= 1, "the default answer is not empty"
    assert not getattr(result, "truncated", False)
    if q.view == "graph":
        assert isinstance(result, GraphResult) or (
            isinstance(result, SelectResult) and {"subject", "predicate", "object"} <= set(result.variables)
        )
    else:
        assert form == "SELECT"
        assert isinstance(result, SelectResult)
    if q.view == "bar":
        assert isinstance(result, SelectResult)
        first = result.rows[0]
        assert isinstance(first[0], Literal), "the first column is the label"
        assert first[0].datatype is None, "the label is plain text"
        assert any(isinstance(t, Literal) and t.datatype and t.datatype.endswith("integer") for t in first[1:])


# ---------------------------------------------------------------------------------------------- headers


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("# description: D.\nSELECT * WHERE { ?s ?p ?o } LIMIT 1", "no title"),
        ("# title: T?\nSELECT * WHERE { ?s ?p ?o } LIMIT 1", "no description"),
        (HEADER + "# colour: red\nSELECT * WHERE { ?s ?p ?o }", "unknown header field 'colour'"),
        (HEADER + "# view: pie\nSELECT * WHERE { ?s ?p ?o }", "unknown view 'pie'"),
        (HEADER + "# title: again\nSELECT * WHERE { ?s ?p ?o }", "title field is given twice"),
        (HEADER + "# param: s Substance\nSELECT * WHERE { ?s ?p ?o }", "needs three parts"),
        (HEADER + "# param: s Drug kg:ketamine\nSELECT * WHERE { ?s ?p ?o }", "unknown kind 'Drug'"),
        (HEADER + "# param: x Substance kg:ketamine\nSELECT * WHERE { ?s ?p ?o }", "?x is not used"),
        (HEADER + "# param: s Substance ketamine\nSELECT * WHERE { ?s ?p ?o }", "is not an IRI"),
        (HEADER + "# param: s Substance <http://x/a b>\nSELECT * WHERE { ?s ?p ?o }", "three parts"),
        (HEADER + "# param: s Substance kg:a\n# param: s Substance kg:b\nSELECT * WHERE { ?s ?p ?o }", "twice"),
        (HEADER + "# param: s Substance kg:ketamine\nSELECT ?p { ?s ?p ?o }", "a SELECT query must return ?s"),
        (HEADER + "# param: s Substance kg:ketamine\nSELECT (?s AS ?t) { ?s ?p ?o }", "must return ?s"),
        (HEADER + "#\n# view: bar\nSELECT * WHERE { ?s ?p ?o }", "comes after a plain comment"),
    ],
)
def test_a_malformed_header_is_refused_with_the_file_and_line(tmp_path: Path, text: str, message: str) -> None:
    _write(tmp_path, "bad", text)
    with pytest.raises(QuerySyntaxError, match=re.escape(message)) as info:
        load_gallery(tmp_path)
    assert "bad.rq, line" in str(info.value)


def test_a_header_reads_kinds_defaults_and_plain_comments(tmp_path: Path) -> None:
    _write(
        tmp_path,
        "ok",
        HEADER + "# param: e AcuteEffect <https://w3id.org/kgexplorer/id/dissociative_state>\n"
        "# param: any Any kg:ketamine\n# view: graph\n#\n# why: a plain comment with kgx:actsOn in it\n"
        "SELECT ?subject ?predicate ?object ?e ?any\n"
        "WHERE { ?subject ?predicate ?object FILTER(?object IN (?e, ?any)) }",
    )
    (q,) = load_gallery(tmp_path)
    assert (q.name, q.view) == ("ok", "graph")
    assert [(p.name, p.kind, p.default) for p in q.params] == [
        ("e", "Acute effect", KG + "dissociative_state"),
        ("any", ANY_KIND, KG + "ketamine"),
    ]


def test_get_query_names_the_questions_when_a_name_is_unknown(tmp_path: Path) -> None:
    _write(tmp_path, "only-one", HEADER + "SELECT * WHERE { ?s ?p ?o } LIMIT 1")
    with pytest.raises(QueryError, match="the questions are: only-one"):
        get_query("other", tmp_path)
    with pytest.raises(QueryError, match="no gallery folder"):
        load_gallery(tmp_path / "missing")
    (tmp_path / "latin1.rq").write_bytes("# title: Caf\xe9?\n".encode("latin-1"))
    with pytest.raises(QueryError, match="save it as a UTF-8 text file"):
        load_gallery(tmp_path)


# ---------------------------------------------------------------------------------------------- binding


def _one_param_query(tmp_path: Path, body: str, kind: str = ANY_KIND) -> GalleryQuery:
    _write(tmp_path, "q", HEADER + f"# param: e {kind} kg:ketamine\n" + body)
    (q,) = load_gallery(tmp_path)
    return q


def test_an_iri_that_would_break_out_of_the_query_is_refused(tmp_path: Path) -> None:
    q = _one_param_query(tmp_path, "SELECT ?e ?l WHERE { ?e rdfs:label ?l } ORDER BY ?l LIMIT 5")
    with pytest.raises(QueryError, match="invalid value"):
        q.bind({"e": IRI("http://x/a> } DROP ALL #")})


def test_a_literal_value_stays_a_literal(kg: KnowledgeGraph, tmp_path: Path) -> None:
    q = _one_param_query(tmp_path, "SELECT ?s ?e WHERE { ?s rdfs:label ?e } ORDER BY ?s LIMIT 5")
    evil = Literal('x"} ; DROP ALL ; SELECT * WHERE { ?a ?b ?c } #')
    assert q.bind({"e": evil}) == (("e", evil),)
    result = kg.sparql(q.text, bindings={"e": evil})
    assert isinstance(result, SelectResult)
    assert len(result) == 0
    ketamine = kg.sparql(q.text, bindings=dict(q.bind({"e": Literal("Ketamine", language="en")})))
    assert [row["s"] for row in ketamine] == [IRI(KG + "ketamine")]


def test_values_bind_the_top_level_only(kg: KnowledgeGraph, tmp_path: Path) -> None:
    """Strings, comments and IRIs that mention the parameter stay as written; the value binds the query's ?e."""
    q = _one_param_query(
        tmp_path,
        'SELECT ?x ?e (STR("?e WHERE {") AS ?s) (<http://example.org/where> AS ?w)\n'
        "# ?e WHERE { in a comment\n"
        "WHERE { { SELECT ?x WHERE { ?x a kgx:Substance } } FILTER(?x = ?e) } ORDER BY ?x LIMIT 5",
    )
    result = q.run(kg, {"e": IRI(KG + "mdma")})
    assert isinstance(result, SelectResult)
    mdma = IRI(KG + "mdma")
    assert [(row["x"], row["e"], str(row["s"])) for row in result] == [(mdma, mdma, "?e WHERE {")]


def test_unknown_parameters_and_blank_nodes_are_refused() -> None:
    q = get_query("rct-evidence-by-condition")
    with pytest.raises(QueryError, match=r"'drug' is not a parameter .* its parameters are: condition"):
        q.bind({"drug": IRI(KG + "ketamine")})
    with pytest.raises(QueryError, match="not a parameter"):
        get_query("timeline-of-events").bind({"x": IRI(KG + "ketamine")})
    with pytest.raises(QueryError, match="needs an IRI or a literal"):
        q.bind({"condition": BlankNode("b0")})
    with pytest.raises(QueryError, match="invalid value"):
        q.bind({"condition": IRI("http://x/a> } DROP ALL #")})


def test_run_refuses_a_value_of_the_wrong_kind(kg: KnowledgeGraph) -> None:
    q = get_query("rct-evidence-by-condition")
    with pytest.raises(QueryError, match=r"takes a Condition, but .*ketamine is a Substance"):
        q.run(kg, {"condition": IRI(KG + "ketamine")})
    with pytest.raises(QueryError, match=r"takes a Condition .* got the literal"):
        q.run(kg, {"condition": Literal("alcohol")})


def test_resolve_values_reads_names_people_type(kg: KnowledgeGraph) -> None:
    q = get_query("shared-mechanisms")
    assert q.resolve_values(kg, {"first": "LSD", "second": "kg:mdma"}) == {
        "first": IRI(KG + "lsd"),
        "second": IRI(KG + "mdma"),
    }
    with pytest.raises(QueryError, match="takes a Substance"):
        q.resolve_values(kg, {"first": "alcohol use disorder"})
    with pytest.raises(QueryError, match="not a parameter"):
        q.resolve_values(kg, {"third": "LSD"})


def test_param_choices_are_entities_of_the_kind(kg: KnowledgeGraph) -> None:
    (param,) = get_query("rct-evidence-by-condition").params
    choices = param.choices(kg)
    iris = {c.iri for c in choices}
    assert KG + "alcohol_use_disorder" in iris
    assert KG + "ketamine" not in iris
    assert all(c.kind == "Condition" for c in choices)
    assert [c.label.casefold() for c in choices] == sorted(c.label.casefold() for c in choices)


# ---------------------------------------------------------------------------------------------- answers


def _randomised(truth: Truth, condition: str) -> dict[tuple[str, str, str], tuple[SourceRecord, Finding]]:
    """(substance, source, claim) -> the finding, for every RCT or meta-analysis behind a substance's
    tested-for or approved-for claim about the condition."""
    out = {}
    for c in truth.claims("testedFor", "approvedFor"):
        if c.object == condition and truth.is_a(c.subject, "Substance"):
            for src, f in truth.evidence[c.id]:
                if src.design.level in ("rct", "meta-analysis"):
                    out[(c.subject, src.id, c.id)] = (src, f)
    return out


def test_rct_evidence_is_every_randomised_source_of_the_records(kg: KnowledgeGraph, truth: Truth) -> None:
    """For every condition, exactly the RCTs and meta-analyses behind its substances' claims, each with its own
    result; never a review or an observational study cited on the same claim."""
    conditions = sorted(
        {c.object for c in truth.claims("testedFor", "approvedFor") if truth.is_a(c.object, "Condition")}
    )
    assert len(conditions) > 10
    problems = []
    for condition in conditions:
        expected = _randomised(truth, condition)
        rows = _rows(kg, "rct-evidence-by-condition", condition=condition)
        got = {(_local(r["substance"]), _local(r["study"]), _local(r["claim"]).removeprefix("claim_")): r for r in rows}
        if set(got) != set(expected):
            problems.append(
                f"{condition}: extra {sorted(set(got) - set(expected))}, missing {sorted(set(expected) - set(got))}"
            )
            continue
        for key, r in got.items():
            src, f = expected[key]
            n = f.n if f.n is not None else src.design.sample_size
            want = {
                "level": truth.level_label(src.design.level),
                "direction": f.direction,
                "n": "" if n is None else str(n),
                "result": f.reported_result,
                "phase": src.design.phase or "",
                "claimDirection": truth.derived[key[2]].direction,
            }
            have = {k: _text(r[k]) for k in want}
            if have != want:
                problems.append(f"{condition} {key}: {have} != {want}")
            ids = {*src.identifiers.nct, *src.identifiers.isrctn, *src.identifiers.eudract, *src.identifiers.euctr,
                   *src.identifiers.anzctr, *src.identifiers.chictr, *src.identifiers.drks}  # fmt: skip
            if _split(r["registry"]) != ids:
                problems.append(f"{condition} {key}: registry {_text(r['registry'])!r}, records {sorted(ids)}")
    assert not problems, "\n".join(problems)


def test_rct_evidence_in_alcohol_use_disorder(kg: KnowledgeGraph) -> None:
    """The default question names the ketamine and psilocybin trials, with KARE's own mixed result."""
    rows = list(get_query("rct-evidence-by-condition").run(kg))
    got = {(_local(r["substance"]), _local(r["study"])) for r in rows}
    assert {("ketamine", "dakwar_2020"), ("ketamine", "grabski_2022_kare"), ("psilocybin", "bogenschutz_2022")} <= got
    kare = next(r for r in rows if _local(r["study"]) == "grabski_2022_kare")
    assert (_text(kare["direction"]), _text(kare["n"]), _text(kare["phase"])) == ("mixed", "96", "2")
    assert "10.1 percentage points" in _text(kare["result"])


def _mechanisms(truth: Truth, substance: str) -> dict[str, int]:
    """Mechanism -> best rank among the claims linking the substance (or what it is a prodrug of) to it."""
    actors = {substance} | {c.object for c in truth.claims("prodrugOf") if c.subject == substance}
    found: dict[str, int] = {}
    for c in truth.claims():
        if c.subject in actors and truth.is_a(c.object, "Mechanism"):
            rank = truth.rank(truth.derived[c.id].level)
            found[c.object] = min(found.get(c.object, 99), rank)
    return found


@pytest.mark.parametrize(("first", "second"), [("ketamine", "psilocybin"), ("lsd", "psilocybin"), ("mdma", "lsd")])
def test_shared_mechanisms_are_those_both_substances_claims_reach(
    kg: KnowledgeGraph, truth: Truth, first: str, second: str
) -> None:
    a, b = _mechanisms(truth, first), _mechanisms(truth, second)
    expected = set(a) & set(b)
    q = get_query("shared-mechanisms")
    for x, y in ((first, second), (second, first)):
        result = q.run(kg, {"first": IRI(KG + x), "second": IRI(KG + y)})
        assert {_local(r["mechanism"]) for r in result} == expected
    for r in q.run(kg, {"first": IRI(KG + first), "second": IRI(KG + second)}):
        mechanism = _local(r["mechanism"])
        assert (int(_text(r["firstBestRank"])), int(_text(r["secondBestRank"]))) == (a[mechanism], b[mechanism])


def test_ketamine_and_psilocybin_share_mechanisms_through_psilocin(kg: KnowledgeGraph, truth: Truth) -> None:
    rows = list(get_query("shared-mechanisms").run(kg))
    assert {_local(r["mechanism"]) for r in rows} == set(_mechanisms(truth, "ketamine")) & set(
        _mechanisms(truth, "psilocybin")
    )
    assert rows
    assert any("Psilocin" in _text(r["secondSide"]) for r in rows), "psilocybin acts through psilocin"


def test_the_timeline_is_every_event_record_in_date_order(kg: KnowledgeGraph, truth: Truth) -> None:
    rows = list(get_query("timeline-of-events").run(kg))
    dates = [_text(r["date"]) for r in rows]
    assert dates == sorted(dates), "events are in date order"
    events = truth.records.events
    assert {_local(r["event"]) for r in rows} == set(events)
    for r in rows:
        event = events[_local(r["event"])]
        assert _text(r["date"]) == event.date
        assert _text(r["kind"]) == event.kind
        assert _split(r["concerns"]) == {truth.label(c) for c in event.concerns}
        assert _text(r["jurisdictions"]) == (truth.label(event.jurisdiction) if event.jurisdiction else "")


def test_preclinical_only_claims_are_the_claims_resting_on_animal_or_cell_work(
    kg: KnowledgeGraph, truth: Truth
) -> None:
    rows = list(get_query("preclinical-only-claims").run(kg))
    got = {_local(r["claim"]).removeprefix("claim_"): r for r in rows}
    expected = {cid for cid, d in truth.derived.items() if d.level == "preclinical"}
    assert set(got) == expected
    for cid, r in got.items():
        derived, claim = truth.derived[cid], truth.records.claims[cid]
        assert derived.species, f"{cid}: preclinical evidence names its species"
        assert "human" not in derived.species
        assert _split(r["species"]) == {truth.label(SPECIES[sp]) for sp in derived.species}
        assert set(_text(r["studies"]).split("; ")) == {src.label for src, _ in truth.evidence[cid]}
        people = any(
            truth.derived[o.id].level in _CLINICAL
            for o in truth.claims()
            if (o.subject, o.object) == (claim.subject, claim.object)
        )
        assert _text(r["alsoTestedInPeople"]) == ("yes" if people else "no"), cid
    assert {"rats", "mice"} <= {s for r in rows for s in _split(r["species"])}


def test_null_and_negative_results_are_every_such_finding(kg: KnowledgeGraph, truth: Truth) -> None:
    rows = list(get_query("null-and-negative-results").run(kg))
    got = {(_local(r["study"]), _local(r["claim"]).removeprefix("claim_")): r for r in rows}
    expected = {
        (src.id, f.claim): (src, f)
        for src, f in truth.records.findings()
        if f.direction in ("null", "against") and f.claim in truth.derived
    }
    assert set(got) == set(expected)
    for key, r in got.items():
        src, f = expected[key]
        n = f.n if f.n is not None else src.design.sample_size
        assert _text(r["direction"]) == f.direction
        assert _text(r["n"]) == ("" if n is None else str(n))
        assert _text(r["result"]) == f.reported_result
        assert _text(r["claimDirection"]) == truth.derived[f.claim].direction
    assert ("carhart_harris_2021", "psilocybin__testedFor__major_depressive_disorder") in got
    # A null trial stays visible when the claim as a whole reads otherwise.
    assert any(_text(r["claimDirection"]) not in ("null", "against") for r in rows)


def test_contested_claims_and_who_contests_them(kg: KnowledgeGraph, truth: Truth) -> None:
    rows = list(get_query("contested-claims").run(kg))
    contested = {c.id: c for c in truth.claims() if c.contested}
    assert contested
    got: dict[str, set[str]] = defaultdict(set)
    for r in rows:
        got[_local(r["item"]).removeprefix("claim_")] |= {_local(r["contestedBy"])} if r["contestedBy"] else set()
    assert set(got) == set(contested)
    for cid, claim in contested.items():
        assert got[cid] == set(claim.contested_by), cid


@pytest.mark.parametrize("substance", ["ketamine", "psilocybin", "mdma", "ibogaine", "lsd", "esketamine"])
def test_evidence_by_condition_summarises_the_substances_claims(
    kg: KnowledgeGraph, truth: Truth, substance: str
) -> None:
    rows = {_local(r["condition"]): r for r in _rows(kg, "evidence-for-a-substance-by-condition", substance=substance)}
    claims: dict[str, list[str]] = defaultdict(list)
    for c in truth.claims("testedFor", "approvedFor"):
        if c.subject == substance and truth.is_a(c.object, "Condition"):
            claims[c.object].append(c.id)
    assert set(rows) == set(claims)
    for condition, ids in claims.items():
        r, derived = rows[condition], [truth.derived[c] for c in ids]
        best = min(derived, key=lambda d: truth.rank(d.level))
        assert int(_text(r["bestRank"])) == truth.rank(best.level), condition
        assert _text(r["bestLevel"]) == truth.level_label(best.level)
        assert _split(r["levels"]) == {truth.level_label(d.level) for d in derived}
        assert _split(r["directions"]) == {d.direction for d in derived}
        assert int(_text(r["claims"])) == len(ids)


def test_studies_by_level_and_year_count_the_study_records(kg: KnowledgeGraph, truth: Truth) -> None:
    studies = _studies_of(truth)
    by_level = {_text(r["level"]): int(_text(r["studies"])) for r in _select(kg, "studies-by-evidence-level")}
    assert by_level == dict(Counter(truth.level_label(s.design.level) for s in studies))
    by_year = {_text(r["year"]): int(_text(r["studies"])) for r in _select(kg, "studies-by-year")}
    assert by_year == dict(Counter(str(s.year) for s in studies if s.year is not None and not s.retracted))


def test_legal_statuses_are_the_legal_records(kg: KnowledgeGraph, truth: Truth) -> None:
    rows = list(_select(kg, "legal-status-by-jurisdiction"))
    got = {
        _local(r["legalStatus"]): (
            _local(r["substance"]),
            _local(r["jurisdiction"]),
            _text(r["status"]),
            _local(r["event"]) if r["event"] is not None else None,
        )
        for r in rows
    }
    expected = {
        lid: (rec.substance, rec.jurisdiction, rec.control_status, rec.established_by)
        for lid, rec in truth.records.legal.items()
    }
    assert got == expected
    for r in rows:
        if r["event"] is not None:
            assert _text(r["date"]) == truth.records.events[_local(r["event"])].date


def test_care_models_show_the_therapies_studies_combined(kg: KnowledgeGraph, truth: Truth) -> None:
    rows = list(_select(kg, "care-models-and-therapies-by-drug"))
    combined = {(_local(r["study"]), _local(r["substance"]), _local(r["therapy"])) for r in rows if r["study"]}
    expected = {
        (s.id, sub, th)
        for s in truth.records.sources.values()
        for sub in s.substances
        for th in s.therapies
        if truth.is_a(sub, "Substance")
    }
    assert combined == expected
    delivered = {
        (_local(r["substance"]), _local(r["therapy"])) for r in rows if _text(r["link"]).startswith("delivered")
    }
    assert delivered == {
        (c.subject, c.object) for c in truth.claims("deliveredThrough") if truth.is_a(c.subject, "Substance")
    }
    defined = {(_local(r["therapy"]), _local(r["substance"])) for r in rows if _text(r["link"]).startswith("therapy")}
    assert defined == truth.uses_substance


def _registries(src: SourceRecord) -> set[str]:
    ids = src.identifiers
    return {*ids.nct, *ids.isrctn, *ids.eudract, *ids.euctr, *ids.anzctr, *ids.chictr, *ids.drks}


def _unverified(src: SourceRecord) -> set[str]:
    """The fields the build names as not seen: a study's year, and all of its identifiers."""
    ids = src.identifiers
    out = set()
    if src.year is None:
        out.add("year")
    if not (ids.doi or ids.pmid or ids.pmcid or ids.nct):
        out.add("doi")
    return out


def test_study_identifiers_are_the_records(kg: KnowledgeGraph, truth: Truth) -> None:
    studies = _studies_of(truth)
    conditions = sorted({c for s in studies for c in s.conditions})
    assert len(conditions) > 10
    problems = []
    for condition in conditions:
        rows = {_local(r["study"]): r for r in _select(kg, "study-identifiers-by-condition", condition=condition)}
        expected = {s.id: s for s in studies if condition in s.conditions}
        if set(rows) != set(expected):
            problems.append(f"{condition}: {sorted(set(rows) ^ set(expected))}")
            continue
        for sid, s in expected.items():
            r, ids = rows[sid], s.identifiers
            have = (_text(r["doi"]), _text(r["pmid"]), _text(r["pmcid"]), _text(r["phase"]), _text(r["year"]))
            want = (
                f"https://doi.org/{ids.doi}" if ids.doi else "",
                ids.pmid or "",
                ids.pmcid or "",
                s.design.phase or "",
                str(s.year or ""),
            )
            if have != want or _split(r["registry"]) != _registries(s) or _split(r["unverified"]) != _unverified(s):
                problems.append(f"{condition} {sid}: {have} {_text(r['registry'])!r} {_text(r['unverified'])!r}")
    assert not problems, "\n".join(problems)


def test_partially_verified_items_are_those_read_on_a_copy_or_missing_a_field(kg: KnowledgeGraph, truth: Truth) -> None:
    rows = list(_select(kg, "partially-verified-facts"))
    got = {_local(r["item"]): r for r in rows}
    recs = truth.records

    def secondary(*refs: str) -> bool:
        return any(recs.sources[ref].source.tier == "secondary" for ref in refs if ref in recs.sources)

    expected: dict[str, str] = {}
    for s in recs.sources.values():
        documents = SOURCE_KINDS[s.kind] != "Study"
        if s.source.tier == "secondary" or (not documents and _unverified(s)):
            expected[s.id] = "source document" if documents else "study"
    for cid in truth.derived:
        if truth.derived[cid].tier == "secondary":
            expected["claim_" + cid] = "claim"
    for e in recs.events.values():
        if secondary(e.source):
            expected[e.id] = "event"
    for lid, rec in recs.legal.items():
        if secondary(rec.source, *rec.also):
            expected[lid] = "legal status"
    for sid, st in recs.statistics.items():
        if secondary(st.source):
            expected[sid] = "real-world figure"
    for entity in truth.secondary_entities:
        expected.setdefault(entity, "entity")
    assert {item: _text(r["kind"]) for item, r in got.items()} == expected
    for item, r in got.items():
        if item in recs.sources:
            s = recs.sources[item]
            assert _split(r["unverified"]) == (_unverified(s) if SOURCE_KINDS[s.kind] == "Study" else set())
            assert _text(r["readAt"]) == s.source.read_at


def test_the_mechanism_chain_is_every_leads_to_step_between_start_and_goal(kg: KnowledgeGraph, truth: Truth) -> None:
    import networkx as nx

    result = get_query("mechanism-chain").run(kg)
    assert isinstance(result, GraphResult)
    edges = {(_local(t.subject), _local(t.object)) for t in result}
    steps = nx.DiGraph([(c.subject, c.object) for c in truth.claims("leadsTo")])
    start, goal = "nmda_antagonism", "rapid_antidepressant_effect"
    reach = nx.descendants(steps, start) | {start}
    back = nx.ancestors(steps, goal) | {goal}
    assert edges == {(u, v) for u, v in steps.edges if u in reach and v in back}
    assert nx.has_path(nx.DiGraph(list(edges)), start, goal)


_LEVEL_COLUMNS = {
    "meta-analysis": "metaAnalysis", "rct": "rct", "controlled": "controlledTrial", "open-label": "openLabel",
    "observational": "observational", "case-series": "caseSeries", "review": "review",
    "human-lab": "humanLaboratory", "preclinical": "preclinical", "reference": "reference",
}  # fmt: skip


def test_the_evidence_matrix_counts_each_pairs_claims_by_level(kg: KnowledgeGraph, truth: Truth) -> None:
    rows = {(_local(r["substance"]), _local(r["condition"])): r for r in _select(kg, "evidence-level-matrix")}
    pairs: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
    for c in truth.claims("testedFor", "approvedFor"):
        if truth.is_a(c.subject, "Substance") and truth.is_a(c.object, "Condition"):
            pairs[(c.subject, c.object)][truth.derived[c.id].level] += 1
    assert set(rows) == set(pairs)
    for pair, counts in pairs.items():
        row = rows[pair]
        assert {k: int(_text(row[col])) for k, col in _LEVEL_COLUMNS.items()} == {k: counts[k] for k in _LEVEL_COLUMNS}
        assert int(_text(row["claims"])) == sum(counts.values())


def test_misuse_figures_are_the_statistics_records(kg: KnowledgeGraph, truth: Truth) -> None:
    stats = truth.records.statistics
    substances = sorted({c for st in stats.values() for c in st.concerns if truth.is_a(c, "Substance")})
    assert substances
    for substance in substances:
        rows = {_local(r["figure"]): r for r in _select(kg, "real-world-misuse-figures", substance=substance)}
        expected = {
            sid: st
            for sid, st in stats.items()
            if substance in st.concerns and not any(truth.is_a(c, "AccessBarrier") for c in st.concerns)
        }
        assert set(rows) == set(expected), substance
        for sid, st in expected.items():
            assert _text(rows[sid]["value"]) == st.value
            assert _text(rows[sid]["year"]) == re.findall(r"\d{4}", st.period)[-1]


def test_source_tiers_count_every_claim(kg: KnowledgeGraph, truth: Truth) -> None:
    rows = {_text(r["predicate"]).removeprefix(KGX): r for r in _select(kg, "source-tiers-by-claim-kind")}
    tiers: dict[str, Counter[str]] = defaultdict(Counter)
    for c in truth.claims():
        tiers[c.relation][truth.derived[c.id].tier] += 1
    assert set(rows) == set(tiers)
    for relation, counts in tiers.items():
        r = rows[relation]
        assert (int(_text(r["primary"])), int(_text(r["secondary"])), int(_text(r["notRecorded"]))) == (
            counts["primary"],
            counts["secondary"],
            0,
        )
        assert int(_text(r["claims"])) == sum(counts.values())


# What the dose-optimisation question recognises (graph/queries/dose-optimisation-studies.rq says why):
# per-arm results named by two or more doses, or a design that says it compared doses or sessions.
_DOSE = re.compile(r"[0-9] ?(mg|µg|micrograms?)", re.IGNORECASE)
_DOSE_DESIGN = re.compile(
    r"dose[- ](comparison|ranging|finding|escalation|study)|ascending[- ](single[- ])?dose|individuali[sz]ed dos"
    r"|[0-9]+ vs [0-9]+ [a-z -]*sessions|comparing [0-9]+ doses",
    re.IGNORECASE,
)


def test_dose_optimisation_studies_compare_doses_or_sessions(kg: KnowledgeGraph, truth: Truth) -> None:
    rows = {_local(r["study"]): r for r in _select(kg, "dose-optimisation-studies")}
    expected = {
        s.id: s
        for s in _studies_of(truth)
        if _DOSE_DESIGN.search(s.design.text)
        or any(len({g.group for g in f.groups if _DOSE.search(g.group)}) >= 2 for f in s.findings)
    }
    assert set(rows) == set(expected)
    assert {"goodwin_2022", "krupitsky_2007", "takahashi_2021"} <= set(rows)
    for sid, s in expected.items():
        arms = {g.group for f in s.findings for g in f.groups if _DOSE.search(g.group)}
        assert all(arm in _text(rows[sid]["arms"]) for arm in arms), sid


def test_outcomes_come_from_the_substances_outcome_claims(kg: KnowledgeGraph, truth: Truth) -> None:
    rows = {_local(r["claim"]).removeprefix("claim_"): r for r in _select(kg, "outcomes-measured-after-each-substance")}
    expected = [c for c in truth.claims("affectsOutcome") if truth.is_a(c.subject, "Substance")]
    assert set(rows) == {c.id for c in expected}
    for c in expected:
        r, d = rows[c.id], truth.derived[c.id]
        assert (_text(r["direction"]), _text(r["level"])) == (d.direction, truth.level_label(d.level))
        assert set(_text(r["studies"]).split("; ")) == {src.label for src, _ in truth.evidence[c.id]}


@pytest.mark.parametrize("substance", ["ketamine", "esketamine", "mdma"])
def test_risks_interactions_contraindications_and_barriers(kg: KnowledgeGraph, truth: Truth, substance: str) -> None:
    kinds = {"hasRisk": "risk", "interactsWith": "interaction", "contraindicatedIn": "must not be used in",
             "limitedBy": "access barrier"}  # fmt: skip
    via = {substance} | {t for t, s in truth.uses_substance if s == substance}
    rows = _rows(kg, "risks-and-barriers-of-a-substance", substance=substance)
    got = {(_text(r["kind"]), _local(r["item"]), _local(r["via"])) for r in rows}
    expected = {(kinds[c.relation], c.object, c.subject) for c in truth.claims(*kinds) if c.subject in via}
    assert got == expected
    assert "risk" in {k for k, _, _ in got}, f"the records give {substance} risks"


def test_adverse_events_give_each_sources_frequencies(kg: KnowledgeGraph, truth: Truth) -> None:
    claims = truth.claims("hasAdverseEffect")
    substances = sorted({c.subject for c in claims if truth.is_a(c.subject, "Substance")})
    assert "esketamine" in substances
    problems = []
    for substance in substances:
        rows = {
            (_local(r["event"]), _local(r["study"])): r
            for r in _rows(kg, "adverse-events-of-a-substance", substance=substance)
        }
        expected = {(c.object, src.id): f for c in claims if c.subject == substance for src, f in truth.evidence[c.id]}
        if set(rows) != set(expected):
            problems.append(f"{substance}: {sorted(set(rows) ^ set(expected))}")
            continue
        for key, f in expected.items():
            r = rows[key]
            shown = _text(r["frequencies"])
            numbers = set(numbers_in(shown))
            if _text(r["result"]) != f.reported_result or _text(r["section"]) != f.section:
                problems.append(f"{substance} {key}: result or section differs")
            for g in f.groups:
                if g.group not in shown or (g.value is not None and Decimal(repr(g.value)) not in numbers):
                    problems.append(f"{substance} {key}: arm {g.group!r} = {g.value} not in {shown!r}")
    assert not problems, "\n".join(problems)
    placebo = [r for r in _rows(kg, "adverse-events-of-a-substance") if "placebo" in _text(r["frequencies"])]
    assert placebo, "the label's drug-versus-placebo frequencies are shown"


def test_registered_trials_are_every_study_with_an_nct_id_by_phase(kg: KnowledgeGraph, truth: Truth) -> None:
    rows = list(_select(kg, "registered-trials-by-phase"))
    trials = {s.id: s for s in _studies_of(truth) if s.identifiers.nct}
    assert {_local(r["study"]) for r in rows} == set(trials)
    assert len(rows) == len(trials)
    for r in rows:
        s = trials[_local(r["study"])]
        assert _text(r["phase"]) == (s.design.phase or "not stated")
        assert _split(r["registry"]) == set(s.identifiers.nct)
        assert _text(r["n"]) == ("" if s.design.sample_size is None else str(s.design.sample_size))
    stated = [bool(trials[_local(r["study"])].design.phase) for r in rows]
    assert stated == sorted(stated, reverse=True), "trials whose phase is stated come first"
    phases = [_text(r["phase"]) for r in rows if _text(r["phase"]) != "not stated"]
    assert phases == sorted(phases)
