"""The competency-question gallery: headers, safe binding, and every question's answer against the fact base."""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest

from kgexplorer import IRI, BlankNode, KnowledgeGraph, Literal, QueryError, QuerySyntaxError
from kgexplorer.gallery import ANY_KIND, GalleryQuery, get_query, load_gallery
from kgexplorer.guard import check_query
from kgexplorer.namespaces import KG
from kgexplorer.query import GraphResult, SelectResult

NAMES = [q.name for q in load_gallery()]
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


# ---------------------------------------------------------------------------------------------- facts


def _facts_list(facts: dict[str, Any], key: str) -> list[dict[str, Any]]:
    value = facts[key]
    assert isinstance(value, list)
    return value


def _ids(facts: dict[str, Any], key: str) -> set[str]:
    return {str(item["id"]) for item in _facts_list(facts, key)}


def _studies(facts: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {str(s["id"]): s for s in _facts_list(facts, "studies")}


def _substance_ids(facts: dict[str, Any]) -> set[str]:
    ids = _ids(facts, "substances")
    for s in _facts_list(facts, "substances"):
        ids |= {str(p["id"]) for p in s.get("preparations", [])}
    return ids


def _relations(facts: dict[str, Any]) -> Iterable[tuple[dict[str, Any], str, list[str]]]:
    """Each relation with its subject and its objects (a relation may name several)."""
    for rel in _facts_list(facts, "relations"):
        yield rel, str(rel["subject"]), [str(o) for o in _as_list(rel["object"])]


_RANDOMISED = re.compile(r"\bRCTs?\b|randomi[sz]ed", re.IGNORECASE)
_NOT_RANDOMISED = re.compile(r"non-randomi[sz]ed|review|^secondary analysis", re.IGNORECASE)


def _randomised(study: dict[str, Any]) -> bool:
    """A randomised trial, or a meta-analysis of them, as the fact base words its design or title."""
    design = str(study.get("design") or "")
    if design.lower().startswith("meta-analysis"):
        return bool(_RANDOMISED.search(design))
    words = f"{design} {study.get('title') or ''}"
    return bool(_RANDOMISED.search(words)) and not _NOT_RANDOMISED.search(design)


def _treatment_relations(facts: dict[str, Any]) -> Iterable[tuple[dict[str, Any], str, list[str]]]:
    """Substance-to-condition relations about treatment (not about the risk of causing the condition)."""
    substances, conditions = _substance_ids(facts), _ids(facts, "conditions")
    for rel, subject, objects in _relations(facts):
        if subject in substances and "risk" not in str(rel["predicate"]):
            targets = [o for o in objects if o in conditions]
            if targets:
                yield rel, subject, targets


def _randomised_evidence(facts: dict[str, Any], condition: str) -> set[tuple[str, str]]:
    """(substance, study) pairs with randomised evidence in the condition, from the fact base.

    A relation that names several conditions assigns each study to its own condition when the study
    records one of them.
    """
    studies = _studies(facts)
    found = set()
    for rel, subject, targets in _treatment_relations(facts):
        for sid in rel.get("studies") or []:
            study = studies[sid]
            own = study.get("condition")
            belongs = own == condition if own in targets else condition in targets
            if belongs and _randomised(study):
                found.add((subject, sid))
    return found


def _claim_ends(kg: KnowledgeGraph) -> dict[str, tuple[str, str]]:
    result = kg.sparql("SELECT ?c ?s ?o WHERE { ?c a kgx:Claim ; kgx:subject ?s ; kgx:object ?o }")
    assert isinstance(result, SelectResult)
    return {_text(c): (_local(s), _local(o)) for c, s, o in result.rows}


def _claim_studies(kg: KnowledgeGraph) -> dict[str, set[str]]:
    result = kg.sparql("SELECT ?c ?st WHERE { ?c a kgx:Claim ; kgx:supportedBy ?st }")
    assert isinstance(result, SelectResult)
    out: dict[str, set[str]] = {}
    for c, st in result.rows:
        out.setdefault(_text(c), set()).add(_local(st))
    return out


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
    bound = q.bind()
    form = check_query(bound).form
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
        (HEADER + "# param: s Substance kg:ketamine\nSELECT * { ?s ?p ?o }", "no top-level 'WHERE {'"),
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
        "SELECT ?subject ?predicate ?object WHERE { ?subject ?predicate ?object FILTER(?object IN (?e, ?any)) }",
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
    q = _one_param_query(tmp_path, "SELECT ?l WHERE { ?e rdfs:label ?l } ORDER BY ?l LIMIT 5")
    with pytest.raises(QueryError, match="invalid value"):
        q.bind({"e": IRI("http://x/a> } DROP ALL #")})


def test_a_literal_value_stays_a_literal(kg: KnowledgeGraph, tmp_path: Path) -> None:
    q = _one_param_query(tmp_path, "SELECT ?s WHERE { ?s rdfs:label ?e } ORDER BY ?s LIMIT 5")
    evil = Literal('x"} ; DROP ALL ; SELECT * WHERE { ?a ?b ?c } #')
    bound = q.bind({"e": evil})
    assert check_query(bound).form == "SELECT"
    assert bound.count("VALUES") == 1
    assert evil.n3() in bound
    result = kg.sparql(bound)
    assert isinstance(result, SelectResult)
    assert len(result) == 0
    ketamine = kg.sparql(q.bind({"e": Literal("Ketamine", language="en")}))
    assert [row["s"] for row in ketamine] == [IRI(KG + "ketamine")]


def test_values_go_after_the_top_level_where_only(kg: KnowledgeGraph, tmp_path: Path) -> None:
    """Strings, comments and sub-queries that contain 'WHERE {' do not receive the VALUES block."""
    q = _one_param_query(
        tmp_path,
        'SELECT ?x (STR("WHERE {") AS ?s) (<http://example.org/where> AS ?w)\n'
        "# WHERE { in a comment\n"
        "WHERE { { SELECT ?x WHERE { ?x a kgx:Substance } } FILTER(?x = ?e) } ORDER BY ?x LIMIT 5",
    )
    bound = q.bind({"e": IRI(KG + "mdma")})
    assert bound.index("VALUES") > bound.index("# WHERE { in a comment")
    assert bound.index("VALUES") < bound.index("SELECT ?x WHERE")
    result = kg.sparql(bound)
    assert isinstance(result, SelectResult)
    assert [row["x"] for row in result] == [IRI(KG + "mdma")]


def test_unknown_parameters_and_blank_nodes_are_refused() -> None:
    q = get_query("rct-evidence-by-condition")
    with pytest.raises(QueryError, match=r"'drug' is not a parameter .* its parameters are: condition"):
        q.bind({"drug": IRI(KG + "ketamine")})
    with pytest.raises(QueryError, match="not a parameter"):
        get_query("timeline-of-events").bind({"x": IRI(KG + "ketamine")})
    with pytest.raises(QueryError, match="needs an IRI or a literal"):
        q.bind({"condition": BlankNode("b0")})


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


@pytest.mark.shared
@pytest.mark.parametrize(
    "condition",
    [
        "alcohol_use_disorder",
        "opioid_use_disorder",
        "cocaine_use_disorder",
        "tobacco_use_disorder",
        "major_depressive_disorder",
        "treatment_resistant_depression",
        "ptsd",
        "cancer_related_distress",
    ],
)
def test_rct_evidence_matches_the_fact_base(kg: KnowledgeGraph, facts: dict[str, Any], condition: str) -> None:
    """Exactly the substances (and trials) with randomised evidence in the condition, nothing without."""
    rows = list(get_query("rct-evidence-by-condition").run(kg, {"condition": IRI(KG + condition)}))
    got = {(_local(r["substance"]), _local(r["study"])) for r in rows}
    assert got == _randomised_evidence(facts, condition)
    studies = _studies(facts)
    for r in rows:
        n = studies[_local(r["study"])].get("n")
        assert _text(r["n"]) == ("" if n is None else str(n))


@pytest.mark.shared
def test_rct_evidence_in_alcohol_use_disorder(kg: KnowledgeGraph, facts: dict[str, Any]) -> None:
    rows = list(get_query("rct-evidence-by-condition").run(kg))
    got = {(_local(r["substance"]), _local(r["study"])) for r in rows}
    assert {("ketamine", "dakwar_2020"), ("ketamine", "grabski_2022"), ("psilocybin", "bogenschutz_2022")} <= got
    directions = {_local(r["study"]): _text(r["direction"]) for r in rows}
    (rel,) = [
        r
        for r, s, o in _relations(facts)
        if s == "ketamine" and o == ["alcohol_use_disorder"] and r.get("result_by_study")
    ]
    assert {k: directions[k] for k in rel["result_by_study"]} == rel["result_by_study"]


def _mechanisms_of(facts: dict[str, Any], substance: str) -> dict[str, set[str]]:
    """Mechanism -> evidence kinds, for the substance and the active form it is a prodrug of."""
    actors = {substance} | {
        o
        for rel, s, objects in _relations(facts)
        if s == substance and rel["predicate"] == "is prodrug of"
        for o in objects
    }
    mechanisms = _ids(facts, "mechanisms")
    found: dict[str, set[str]] = {}
    for rel, s, objects in _relations(facts):
        if s in actors:
            for o in objects:
                if o in mechanisms:
                    found.setdefault(o, set()).add(str(rel.get("evidence_kind")))
    return found


@pytest.mark.shared
@pytest.mark.parametrize(("first", "second"), [("ketamine", "psilocybin"), ("lsd", "psilocybin"), ("mdma", "lsd")])
def test_shared_mechanisms_match_the_fact_base(
    kg: KnowledgeGraph, facts: dict[str, Any], first: str, second: str
) -> None:
    a, b = _mechanisms_of(facts, first), _mechanisms_of(facts, second)
    expected = set(a) & set(b)
    q = get_query("shared-mechanisms")
    for x, y in ((first, second), (second, first)):
        result = q.run(kg, {"first": IRI(KG + x), "second": IRI(KG + y)})
        assert {_local(r["mechanism"]) for r in result} == expected
    rows = {_local(r["mechanism"]): r for r in q.run(kg, {"first": IRI(KG + first), "second": IRI(KG + second)})}
    for mechanism in expected:
        for side, kinds in (("firstBestRank", a[mechanism]), ("secondBestRank", b[mechanism])):
            if kinds == {"preclinical"}:
                assert _text(rows[mechanism][side]) == "9", "animal-only evidence is shown as preclinical"


@pytest.mark.shared
def test_ketamine_and_psilocybin_share_trkb_and_the_mystical_experience(kg: KnowledgeGraph) -> None:
    rows = list(get_query("shared-mechanisms").run(kg))
    assert {_local(r["mechanism"]) for r in rows} == {"trkb", "mystical_experience"}
    trkb = next(r for r in rows if _local(r["mechanism"]) == "trkb")
    assert "Psilocin" in _text(trkb["secondSide"])
    assert "Preclinical" in _text(trkb["firstSide"])


_ISO = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?")


def _first_dates(facts: dict[str, Any]) -> dict[str, str]:
    """Substance -> ISO date of its first isolation or synthesis, as the fact base gives it."""
    out: dict[str, str] = {}
    for s in _facts_list(facts, "substances"):
        for key in ("first_isolated", "first_synthesized"):
            entry = s.get(key)
            if entry:
                m = _ISO.match(str(entry.get("date") or entry.get("year")))
                assert m is not None
                out.setdefault(str(s["id"]), m.group(0))
                out[str(s["id"])] = min(out[str(s["id"])], m.group(0))
    return out


@pytest.mark.shared
def test_the_timeline_matches_the_fact_base_dates(kg: KnowledgeGraph, facts: dict[str, Any]) -> None:
    rows = list(get_query("timeline-of-events").run(kg))
    dates = [_text(r["date"]) for r in rows]
    assert dates == sorted(dates), "events are in date order"
    by_event = {_local(r["event"]): _text(r["date"]) for r in rows}
    for event in _facts_list(facts, "regulatory_events"):
        m = _ISO.match(str(event["date"]))
        assert m is not None
        assert m.group(0).startswith(by_event[str(event["id"])]), event["id"]
    firsts = _first_dates(facts)
    earliest = min(firsts.values())
    assert dates[0] == earliest
    first_substance = min(firsts, key=lambda s: firsts[s])
    assert _text(rows[0]["concerns"]) == kg.label(KG + first_substance)
    # Each substance's first isolation or synthesis is on the timeline at the fact base's date.
    for substance, date in firsts.items():
        label = kg.label(KG + substance)
        assert any(_text(r["date"]) == date and label in _text(r["concerns"]).split(", ") for r in rows), substance


@pytest.mark.shared
def test_preclinical_only_claims_are_the_fact_bases_preclinical_relations(
    kg: KnowledgeGraph, facts: dict[str, Any]
) -> None:
    rows = list(get_query("preclinical-only-claims").run(kg))
    ends = _claim_ends(kg)
    got = {ends[_text(r["claim"])] for r in rows}
    expected = {
        (s, o) for rel, s, objects in _relations(facts) if rel.get("evidence_kind") == "preclinical" for o in objects
    }
    assert expected <= got
    # The graph's documented additions are the steps of mechanism chains (facts.yaml, mechanisms).
    mechanisms = _ids(facts, "mechanisms")
    assert all(s in mechanisms for s, _ in got - expected), got - expected
    species_words = {"rat": "rats", "mouse": "mice"}
    for rel, s, objects in _relations(facts):
        if rel.get("evidence_kind") == "preclinical" and rel.get("species"):
            shown = " ".join(_text(r["species"]) for r in rows if ends[_text(r["claim"])] == (s, objects[0]))
            for word, label in species_words.items():
                if re.search(rf"\b{word}\b", str(rel["species"])):
                    assert label in shown, (s, objects, shown)


@pytest.mark.shared
def test_null_and_negative_results_include_the_fact_bases(kg: KnowledgeGraph, facts: dict[str, Any]) -> None:
    rows = list(get_query("null-and-negative-results").run(kg))
    got = {(_local(r["study"]), _text(r["direction"])) for r in rows}
    assert {d for _, d in got} <= {"null", "against"}
    expected = {
        (str(s["id"]), "null") for s in _facts_list(facts, "studies") if s.get("primary_outcome_result") == "null"
    }
    for rel, _, _ in _relations(facts):
        if rel.get("result_direction") in ("null", "against"):
            expected |= {(sid, str(rel["result_direction"])) for sid in rel.get("studies") or []}
        for sid, direction in (rel.get("result_by_study") or {}).items():
            if direction in ("null", "against"):
                expected.add((sid, direction))
    assert {("carhart_harris_2021", "null"), ("pcn101_phase2a_2023", "null")} <= expected
    assert expected <= got


@pytest.mark.shared
def test_contested_claims_and_who_contests_them(kg: KnowledgeGraph, facts: dict[str, Any]) -> None:
    rows = list(get_query("contested-claims").run(kg))
    ends = _claim_ends(kg)
    contested: dict[tuple[str, str], set[str]] = {}
    for r in rows:
        if _text(r["item"]) in ends:
            contested.setdefault(ends[_text(r["item"])], set()).add(_local(r["contestedBy"]))
    assert ("ketamine", "hnk_metabolite") in contested
    assert ("neuroplasticity", "ht2a_agonism") in contested
    facts_pairs: set[tuple[str, str]] = set()
    for rel, s, objects in _relations(facts):
        if rel.get("contested"):
            pairs = {(s, o) for o in objects}
            facts_pairs |= pairs
            shown = pairs & set(contested)
            assert shown, f"no contested claim for {s} -> {objects}"
            for pair in shown:
                assert set(rel["contested_by"]) <= contested[pair]
    assert set(contested) <= facts_pairs, "no claim is contested without the fact base saying so"


@pytest.mark.shared
@pytest.mark.parametrize("substance", ["ketamine", "psilocybin", "mdma", "ibogaine", "lsd", "esketamine"])
def test_evidence_by_condition_matches_the_fact_base(kg: KnowledgeGraph, facts: dict[str, Any], substance: str) -> None:
    rows = list(_select(kg, "evidence-for-a-substance-by-condition", substance=substance))
    got = {_local(r["condition"]): r for r in rows}
    expected = {t for _, s, targets in _treatment_relations(facts) if s == substance for t in targets}
    assert set(got) == expected
    for condition, row in got.items():
        randomised = any(s == substance for s, _ in _randomised_evidence(facts, condition))
        assert (int(_text(row["bestRank"])) <= 2) == randomised, condition
        assert _text(row["bestLevel"]) in _text(row["levels"]).split(", ")


@pytest.mark.shared
def test_studies_by_level_and_year_count_the_fact_bases_studies(kg: KnowledgeGraph, facts: dict[str, Any]) -> None:
    by_level = {_text(r["level"]): int(_text(r["studies"])) for r in _select(kg, "studies-by-evidence-level")}
    studies = _facts_list(facts, "studies")
    preclinical = [s for s in studies if str(s.get("design") or "").startswith("preclinical")]
    assert by_level["Preclinical (animal or cell) study"] == len(preclinical)
    trials = [s for s in studies if _randomised(s) and not str(s.get("design")).startswith("meta-analysis")]
    assert by_level["Randomised controlled trial"] >= len(trials)
    by_year = {_text(r["year"]): int(_text(r["studies"])) for r in _select(kg, "studies-by-year")}
    expected: dict[str, int] = {}
    for s in studies:
        if isinstance(s.get("year"), int):
            expected[str(s["year"])] = expected.get(str(s["year"]), 0) + 1
    for year, count in expected.items():
        assert by_year.get(year, 0) >= count, year


@pytest.mark.shared
def test_risks_and_barriers_follow_the_fact_base(kg: KnowledgeGraph, facts: dict[str, Any]) -> None:
    rows = list(_select(kg, "risks-and-barriers-of-a-substance", substance="ketamine"))
    risks = {_local(r["item"]) for r in rows if _text(r["kind"]) == "risk"}
    expected = {
        o for rel, s, objects in _relations(facts) if s == "ketamine" and "risk" in rel["predicate"] for o in objects
    }
    assert expected
    assert expected <= risks
    # The fact base says esketamine is available only through a restricted distribution system (REMS).
    (rems,) = [t for t in _facts_list(facts, "therapies") if t["id"] == "esketamine_rems"]
    assert any("restricted distribution" in f["fact"] for f in rems["facts"])
    rows = list(_select(kg, "risks-and-barriers-of-a-substance", substance="esketamine"))
    barriers = [_text(r["itemLabel"]).lower() for r in rows if _text(r["kind"]) == "access barrier"]
    assert any("restricted distribution" in b for b in barriers)


@pytest.mark.shared
def test_legal_status_rows_follow_the_fact_bases_events(kg: KnowledgeGraph, facts: dict[str, Any]) -> None:
    rows = list(_select(kg, "legal-status-by-jurisdiction"))
    events = {str(e["id"]): e for e in _facts_list(facts, "regulatory_events")}
    for r in rows:
        if r["event"] is not None:
            event = events[_local(r["event"])]
            assert _local(r["substance"]) in _as_list(event["subject"])
    for event_id, jurisdiction in (
        ("re_colorado_prop_122", "Colorado (US state)"),
        ("re_tga_decision_2023", "Australia"),
    ):
        shown = {_local(r["substance"]) for r in rows if r["event"] == IRI(KG + event_id)}
        assert shown == set(_as_list(events[event_id]["subject"]))
        assert {_text(r["jurisdictionLabel"]) for r in rows if r["event"] == IRI(KG + event_id)} == {jurisdiction}
        assert events[event_id]["jurisdiction"] == jurisdiction


@pytest.mark.shared
def test_care_models_show_the_therapies_studies_combined(kg: KnowledgeGraph, facts: dict[str, Any]) -> None:
    rows = list(_select(kg, "care-models-and-therapies-by-drug"))
    combined = {(_local(r["study"]), _local(r["therapy"])) for r in rows if r["study"] is not None}
    delivered = {
        (_local(r["substance"]), _local(r["therapy"])) for r in rows if _text(r["link"]).startswith("delivered")
    }
    for rel, subject, objects in _relations(facts):
        if rel["predicate"] in ("combined drug with", "delivered drug as"):
            assert {(subject, o) for o in objects} <= combined, subject
        if rel["predicate"] == "delivered under":
            assert {(subject, o) for o in objects} <= delivered


@pytest.mark.shared
@pytest.mark.parametrize(
    "condition", ["alcohol_use_disorder", "opioid_use_disorder", "treatment_resistant_depression", "ptsd"]
)
def test_study_identifiers_are_the_fact_bases(kg: KnowledgeGraph, facts: dict[str, Any], condition: str) -> None:
    rows = {_local(r["study"]): r for r in _select(kg, "study-identifiers-by-condition", condition=condition)}
    expected = [
        s
        for s in _facts_list(facts, "studies")
        if s.get("condition") == condition and "condition" not in (s.get("unverified_fields") or [])
    ]
    assert expected
    for s in expected:
        row = rows[str(s["id"])]
        assert _text(row["doi"]) == (f"https://doi.org/{s['doi']}" if s.get("doi") else ""), s["id"]
        assert _text(row["pmid"]) == str(s.get("pmid") or ""), s["id"]
        assert _text(row["registry"]) == str(s.get("registry") or ""), s["id"]
        unverified = set(filter(None, _text(row["unverified"]).split(", ")))
        assert unverified == set(s.get("unverified_fields") or []), s["id"]


@pytest.mark.shared
def test_partially_verified_items_name_what_is_unverified(kg: KnowledgeGraph, facts: dict[str, Any]) -> None:
    rows = list(_select(kg, "partially-verified-facts"))
    fields = {_text(r["item"]): set(_text(r["unverified"]).split(", ")) for r in rows}
    for key in ("studies", "regulatory_events"):
        for entry in _facts_list(facts, key):
            if entry.get("status") == "partially_verified":
                assert fields[KG + str(entry["id"])] == set(entry["unverified_fields"]), entry["id"]
    ends = _claim_ends(kg)
    claims = {ends[c]: f for c, f in fields.items() if c in ends}
    relations = [(rel, s, o) for rel, s, o in _relations(facts) if rel.get("status") == "partially_verified"]
    assert relations
    for rel, s, objects in relations:
        assert claims[(s, objects[0])] == set(rel["unverified_fields"])


@pytest.mark.shared
def test_the_mechanism_chain_is_backed_by_the_fact_bases_studies(kg: KnowledgeGraph, facts: dict[str, Any]) -> None:
    import networkx as nx

    result = get_query("mechanism-chain").run(kg)
    assert isinstance(result, GraphResult)
    edges = {(_local(t.subject), _local(t.object)) for t in result}
    graph = nx.DiGraph(list(edges))
    assert nx.has_path(graph, "nmda_antagonism", "rapid_antidepressant_effect")
    assert all(nx.has_path(graph, "nmda_antagonism", n) for n in graph)
    assert all(nx.has_path(graph, n, "rapid_antidepressant_effect") for n in graph)
    cited: dict[str, set[str]] = {}
    for m in _facts_list(facts, "mechanisms"):
        cited[str(m["id"])] = set(_as_list(m.get("study"))) | set(_as_list(m.get("studies")))
    supported = _claim_studies(kg)
    ends = _claim_ends(kg)
    for x, y in edges:
        studies = set().union(*(supported.get(c, set()) for c, pair in ends.items() if pair == (x, y)))
        assert studies & (cited.get(x, set()) | cited.get(y, set())), (x, y)


@pytest.mark.shared
def test_the_evidence_matrix_has_the_fact_bases_pairs(kg: KnowledgeGraph, facts: dict[str, Any]) -> None:
    rows = {(_local(r["substance"]), _local(r["condition"])): r for r in _select(kg, "evidence-level-matrix")}
    counts: dict[tuple[str, str], int] = {}
    for _, s, targets in _treatment_relations(facts):
        for t in targets:
            counts[(s, t)] = counts.get((s, t), 0) + 1
    assert set(rows) == set(counts)
    for pair, row in rows.items():
        assert int(_text(row["claims"])) >= counts[pair], pair
        randomised = any(s == pair[0] for s, _ in _randomised_evidence(facts, pair[1]))
        assert (int(_text(row["rct"])) + int(_text(row["metaAnalysis"])) > 0) == randomised, pair


@pytest.mark.shared
def test_misuse_figures_are_the_fact_bases_real_world_data(kg: KnowledgeGraph, facts: dict[str, Any]) -> None:
    rows = {_local(r["figure"]): _text(r["value"]) for r in _select(kg, "real-world-misuse-figures")}
    assert rows == {str(d["id"]): str(d["fact"]) for d in _facts_list(facts, "real_world_data")}


@pytest.mark.shared
def test_source_tiers_count_every_claim(kg: KnowledgeGraph, facts: dict[str, Any]) -> None:
    rows = list(_select(kg, "source-tiers-by-claim-kind"))
    total = sum(int(_text(r["claims"])) for r in rows)
    for r in rows:
        parts = (int(_text(r[k])) for k in ("primary", "secondary", "notRecorded"))
        assert sum(parts) == int(_text(r["claims"]))
    assert total == len(_claim_ends(kg))
    secondary = [rel for rel, _, _ in _relations(facts) if rel.get("source_tier") == "secondary"]
    assert sum(int(_text(r["secondary"])) for r in rows) >= len(secondary) > 0


# Dose comparisons as the fact base words them: a design that says so, one vs several sessions,
# individually adjusted dosing, or arms giving the same drug at two doses ("X 30 mg vs X 60 mg").
_DOSE_WORDING = re.compile(
    r"dose[- ](comparison|ranging)|one vs three|individuali[sz]ed dos|([\w-]+) \d+ mg vs \2 \d+ mg"
)


@pytest.mark.shared
def test_dose_optimisation_studies_are_those_the_fact_base_describes(kg: KnowledgeGraph, facts: dict[str, Any]) -> None:
    got = {_local(r["study"]) for r in _select(kg, "dose-optimisation-studies")}
    expected = {
        str(s["id"])
        for s in _facts_list(facts, "studies")
        if _DOSE_WORDING.search(" ".join(str(s.get(k) or "") for k in ("design", "arms", "outcome")))
    }
    assert got == expected


@pytest.mark.shared
def test_outcomes_come_from_studies_of_that_substance(kg: KnowledgeGraph, facts: dict[str, Any]) -> None:
    rows = list(_select(kg, "outcomes-measured-after-each-substance"))
    studied_by: dict[str, set[str]] = {}
    for rel, s, _ in _relations(facts):
        studied_by.setdefault(s, set()).update(rel.get("studies") or [])
    own_checks = kg.sparql("SELECT ?s WHERE { ?s a kgx:Study ; dcterms:provenance ?p }")
    assert isinstance(own_checks, SelectResult)
    added = {_local(t) for t in own_checks.column("s")}
    supported, ends = _claim_studies(kg), _claim_ends(kg)
    for r in rows:
        claim = _text(r["claim"])
        substance = ends[claim][0]
        assert supported[claim] <= studied_by[substance] | added, (claim, supported[claim] - studied_by[substance])
