"""The bundled graph encodes the verified fact base (../shared/domain/facts.yaml) faithfully, entry by entry.

Each test walks EVERY entry of the fact base, collects every mismatch and fails with the whole list, so one
run shows all that the graph misstates. Nodes and claims with dcterms:provenance come from the team's own
research, not from the fact base, and are skipped when comparing. The safety tests at the end read only the
graph, so they run even without ../shared.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator
from typing import Any, NamedTuple

import pytest

from kgexplorer import IRI, KnowledgeGraph, Literal
from kgexplorer.namespaces import KG, KGX, RDF, RDFS

DCT = "http://purl.org/dc/terms/"
BIBO = "http://purl.org/ontology/bibo/"
XSD = "http://www.w3.org/2001/XMLSchema#"
TYPE = RDF + "type"

# fact-base study field -> graph property (the bibliographic fields a student cites)
STUDY_FIELDS = {
    "year": KGX + "year", "journal": KGX + "journal", "title": DCT + "title", "doi": KGX + "doi",
    "pmid": KGX + "pmid", "pmcid": KGX + "pmcid", "registry": KGX + "registryId", "n": KGX + "sampleSize",
    "volume": BIBO + "volume", "issue": BIBO + "issue", "pages": BIBO + "pages", "first_author": KGX + "firstAuthor",
}  # fmt: skip
# unverified_fields names that are not bibliographic but still have a graph property that must stay empty
UNVERIFIED_ALSO = {
    "exact_title": DCT + "title", "condition": KGX + "studiedCondition", "design": KGX + "studyDesign",
    "arms": KGX + "arms", "outcome": KGX + "outcome",
}  # fmt: skip
# facts.yaml gives a descriptive title and lists "exact_title" as unverified: no title beats a made-up one
UNVERIFIED_COVERS = {"exact_title": "title"}
# An e-journal article number has no field of its own in bibo; the graph keeps it as the pages.
FIELD_ALIASES = {"pages": "article_number"}
STUDY_IDS = ("doi", "pmid", "pmcid", "registry")
THERAPY_PREDICATES = frozenset({"combined drug with", "compared", "delivered drug as"})
DIRECTION = {"supports": "Supports", "null": "Null", "mixed": "Mixed", "against": "Against"}
STATUS = {"verified": "Verified", "partially_verified": "PartiallyVerified"}
KIND = {
    "clinical": "Clinical", "preclinical": "PreclinicalKind", "human_experimental": "HumanLaboratory",
    "review": "ReviewKind", "reference": "ReferenceKind",
}  # fmt: skip
LEVELS_FOR_KIND = {
    "clinical": {"RCT", "ControlledTrial", "OpenLabel", "Observational", "CaseSeries"},
    "preclinical": {"Preclinical"}, "human_experimental": {"HumanExperimental"},
    "review": {"Review", "MetaAnalysis"}, "reference": {"Reference"},
}  # fmt: skip
# A multi-object relation whose note says which object the conflict is about: facts.yaml, relation
# "neuroplasticity - psychedelic-induced form requires - [trkb, mtor, ht2a_agonism]": "Moliner 2023 found …
# effects that depend on TrkB but are independent of 5-HT2A, so the 5-HT2A requirement is contested".
CONTESTED_PART = {("neuroplasticity", "psychedelic-induced form requires"): {"ht2a_agonism"}}
# facts.yaml keeps 2020-07-15 but notes "the day (15) was not re-confirmed"; the graph dates it to the month
# and keeps the full wording in kgx:dateNote. Coarser than the fact base, never different from it.
COARSENED_DATES = {"re_mma_application_2020": "2020-07"}


class Graph:
    """Every triple of the loaded graph with an IRI subject, indexed by subject and property."""

    def __init__(self, kg: KnowledgeGraph) -> None:
        self._t: dict[str, dict[str, set[Any]]] = defaultdict(lambda: defaultdict(set))
        page, offset = min(5000, kg.settings.max_result_rows), 0
        while True:  # paged, so the index never depends on the max_result_rows setting
            rows = kg.select(
                "SELECT ?s ?p ?o WHERE { ?s ?p ?o FILTER(isIRI(?s) && !isBlank(?o)) } "
                f"ORDER BY ?s ?p ?o LIMIT {page} OFFSET {offset}",
                max_rows=page,
            ).rows
            for s, p, o in rows:
                self._t[str(s)][str(p)].add(o)
            if len(rows) < page:
                break
            offset += page
        self._instances: dict[str, list[str]] = {}

    def subjects(self) -> list[str]:
        return list(self._t)

    def properties(self, node: str) -> dict[str, set[Any]]:
        return dict(self._t.get(node, {}))

    def values(self, node: str, prop: str) -> set[Any]:
        return self._t.get(node, {}).get(prop, set())

    def texts(self, node: str, prop: str) -> set[str]:
        return {str(v) for v in self.values(node, prop)}

    def ids(self, node: str, prop: str) -> set[str]:
        """The kg: objects of a property, as fact-base ids."""
        return {v.value[len(KG) :] for v in self.values(node, prop) if isinstance(v, IRI) and v.value.startswith(KG)}

    def terms(self, node: str, prop: str) -> set[str]:
        """The kgx: objects of a property (controlled values such as Null, Rat, Preclinical), by local name."""
        return {v.value[len(KGX) :] for v in self.values(node, prop) if isinstance(v, IRI) and v.value.startswith(KGX)}

    def exists(self, node: str) -> bool:
        return node in self._t

    def classes(self, node: str) -> set[str]:
        """The node's types and all their superclasses."""
        out: set[str] = set()
        todo = [str(t) for t in self.values(node, TYPE)]
        while todo:
            c = todo.pop()
            if c not in out:
                out.add(c)
                todo += [str(s) for s in self.values(c, RDFS + "subClassOf")]
        return out

    def instances(self, cls: str) -> list[str]:
        if cls not in self._instances:
            self._instances[cls] = sorted(s for s in self._t if cls in self.classes(s))
        return self._instances[cls]

    def from_fact_base(self, node: str) -> bool:
        return not self.values(node, DCT + "provenance")

    def evidence(self, claim: str) -> set[str]:
        return (
            self.ids(claim, KGX + "supportedBy")
            | self.ids(claim, KGX + "citedIn")
            | self.ids(claim, KGX + "analysisOf")
        )

    def claims(self, subject: str, obj: str) -> list[str]:
        return [
            c
            for c in self.instances(KGX + "Claim")
            if self.ids(c, KGX + "subject") == {subject} and self.ids(c, KGX + "object") == {obj}
        ]


class Relation(NamedTuple):
    """One relation of the fact base; ``evidence`` is every study it names (its studies, the papers that
    restate it, the analysed trial, and the studies that contest it)."""

    index: int
    subject: str
    predicate: str
    objects: list[str]
    evidence: set[str]
    entry: dict[str, Any]

    def __str__(self) -> str:
        return f"relations[{self.index}] {self.subject} --{self.predicate}--> {self.entry['object']}"


def _listed(value: Any) -> list[str]:
    if value is None:
        return []
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


def _section(facts: dict[str, object], name: str) -> list[dict[str, Any]]:
    entries = facts[name]
    assert isinstance(entries, list), f"facts.yaml: {name} is not a list"
    return entries


def _relations(facts: dict[str, object]) -> list[Relation]:
    keys = ("studies", "cited_in", "analysis_of", "contested_by")
    return [
        Relation(i, r["subject"], r["predicate"], _listed(r["object"]), {s for k in keys for s in _listed(r.get(k))}, r)
        for i, r in enumerate(_section(facts, "relations"))
    ]


def _encoded(graph: Graph, facts: dict[str, object]) -> Iterator[tuple[Relation, str, str]]:
    """(relation, object, claim) for every claim that encodes a relation: same subject and object, and
    evidence drawn only from the relation's studies (at least one of them when it names any)."""
    for rel in _relations(facts):
        if rel.predicate in THERAPY_PREDICATES:
            continue
        for obj in rel.objects:
            for claim in graph.claims(rel.subject, obj):
                ev = graph.evidence(claim)
                if graph.from_fact_base(claim) and ev <= rel.evidence and (bool(ev & rel.evidence) or not rel.evidence):
                    yield rel, obj, claim


def _short(iri: str) -> str:
    return iri.replace(KG, "kg:").replace(KGX, "kgx:")


@pytest.fixture(scope="module")
def graph(kg: KnowledgeGraph) -> Graph:
    return Graph(kg)


def _fail_on(problems: list[str]) -> None:
    assert not problems, f"{len(problems)} problem(s):\n  " + "\n  ".join(problems)


# ------------------------------------------------------------------------------------------ entities


@pytest.mark.shared
def test_every_fact_base_entry_is_a_node_of_its_class(graph: Graph, facts: dict[str, object]) -> None:
    expected: list[tuple[str, set[str]]] = []
    for s in _section(facts, "substances"):
        expected.append((s["id"], {"Substance"}))
        expected += [(p["id"], {"Substance"}) for p in s.get("preparations", [])]
    sections = (("mechanisms", "Mechanism"), ("conditions", "Condition"), ("therapies", "Therapy"))
    sections += (("studies", "Study"), ("real_world_data", "Statistic"))
    for name, cls in sections:
        expected += [(e["id"], {cls}) for e in _section(facts, name) if e["id"] != "ontology_ids"]
    expected += [(e["id"], {"RegulatoryEvent", "PublicationEvent"}) for e in _section(facts, "regulatory_events")]
    assert len(expected) > 150, "the fact base was not read"
    problems = []
    for node_id, classes in expected:
        found = {c[len(KGX) :] for c in graph.classes(KG + node_id) if c.startswith(KGX)}
        if not found & classes:
            problems.append(f"kg:{node_id}: expected a kgx:{' or kgx:'.join(sorted(classes))}, found {sorted(found)}")
    if graph.exists(KG + "ontology_ids"):
        problems.append("kg:ontology_ids is a pseudo-entry of facts.yaml (no MONDO/DOID ids seen), not a condition")
    _fail_on(problems)


SUBSTANCE_IDS = {
    "cas": "casNumber", "pubchem_cid": "pubchemCid", "drugbank": "drugbankId", "chebi": "chebiId",
    "chembl": "chemblId", "unii": "uniiId", "kegg_drug": "keggDrugId", "kegg_compound": "keggCompoundId",
    "atc": "atcCode", "iuphar": "iupharId", "nci_thesaurus": "nciThesaurusId", "chemspider": "chemspiderId",
    "mesh_id": "meshId",
}  # fmt: skip


def _codes(entry: dict[str, Any], keys: tuple[str, ...]) -> set[str]:
    codes = entry.get("codes", [])
    return {str(v) for v in (codes.values() if isinstance(codes, dict) else codes)} | {
        str(entry[k]) for k in keys if k in entry
    }


def _verified_ids(facts: dict[str, object]) -> dict[tuple[str, str], set[str]]:
    """(entity, graph property) -> the identifier values the fact base gives as verified."""
    out: dict[tuple[str, str], set[str]] = defaultdict(set)
    for s in _section(facts, "substances"):
        ids = s.get("identifiers", {})
        for field, prop in SUBSTANCE_IDS.items():
            if ids.get("status") == "verified" and field in ids:
                out[s["id"], KGX + prop].add(str(ids[field]))
    for c in _section(facts, "conditions"):
        for field in ("icd10", "icd11"):
            entry = c.get(field) or {}
            if entry.get("status") == "verified":
                out[c["id"], KGX + field + "Code"] |= _codes(entry, ("code", "dependence"))
    return out


@pytest.mark.shared
def test_verified_identifiers_and_codes_match(graph: Graph, facts: dict[str, object]) -> None:
    given = _verified_ids(facts)
    props = [KGX + p for p in SUBSTANCE_IDS.values()] + [KGX + "icd10Code", KGX + "icd11Code"]
    entities = [s["id"] for s in _section(facts, "substances")] + [c["id"] for c in _section(facts, "conditions")]
    problems = []
    for entity in entities:
        for prop in props:
            got, want = graph.texts(KG + entity, prop), given.get((entity, prop), set())
            if got != want:
                problems.append(f"kg:{entity} {_short(prop)}: graph {sorted(got)}, facts {sorted(want)}")
    _fail_on(problems)


# ------------------------------------------------------------------------------------------ studies


def _expected_term(field: str, value: Any) -> tuple[str, str | None]:
    """The value and datatype a fact-base study field must have in the graph."""
    if field == "doi":
        return "https://doi.org/" + str(value), None
    if field == "year":
        return str(value), XSD + "gYear"
    if field == "n":
        return str(value), XSD + "integer"
    return str(value), None


@pytest.mark.shared
def test_study_bibliographic_fields_equal_the_fact_base(graph: Graph, facts: dict[str, object]) -> None:
    problems = []
    for s in _section(facts, "studies"):
        node, unverified = KG + s["id"], set(s.get("unverified_fields", []))
        unverified |= {UNVERIFIED_COVERS[f] for f in unverified if f in UNVERIFIED_COVERS}
        for field, prop in STUDY_FIELDS.items():
            got = graph.values(node, prop)
            if field in unverified:
                continue  # checked by the next test
            value = s.get(field)
            if value is None:
                alias = s.get(FIELD_ALIASES.get(field, ""))
                if got and {str(g) for g in got} != {str(alias)}:
                    problems.append(f"{s['id']}.{field}: graph has {sorted(map(str, got))}; facts gives none")
                continue
            want, datatype = _expected_term(field, value)
            ok = len(got) == 1 and str(next(iter(got))) == want
            if ok and datatype is not None:
                ok = isinstance(g := next(iter(got)), Literal) and g.datatype == datatype
            if not ok:
                problems.append(f"{s['id']}.{field}: graph {sorted(map(repr, got))}, facts {want!r}")
    _fail_on(problems)


@pytest.mark.shared
def test_unverified_study_fields_are_left_out_and_named(graph: Graph, facts: dict[str, object]) -> None:
    problems = []
    for s in _section(facts, "studies"):
        node, unverified = KG + s["id"], set(s.get("unverified_fields", []))
        named = graph.texts(node, KGX + "unverifiedField")
        if named != unverified:
            problems.append(
                f"{s['id']}: kgx:unverifiedField {sorted(named)}, facts unverified_fields {sorted(unverified)}"
            )
        for field in sorted(unverified):
            prop = STUDY_FIELDS.get(field) or UNVERIFIED_ALSO.get(field)
            if prop and graph.values(node, prop):
                problems.append(
                    f"{s['id']}.{field} is unverified but the graph gives {_short(prop)} = "
                    f"{sorted(map(str, graph.values(node, prop)))}"
                )
    _fail_on(problems)


@pytest.mark.shared
def test_no_study_has_an_identifier_the_fact_base_does_not_give(graph: Graph, facts: dict[str, object]) -> None:
    studies = {s["id"]: s for s in _section(facts, "studies")}
    problems = []
    for node in graph.instances(KGX + "Study"):
        sid = node[len(KG) :]
        if not graph.from_fact_base(node):
            continue
        if sid not in studies:
            problems.append(f"kg:{sid} is a study that is neither in facts.yaml nor marked with dcterms:provenance")
            continue
        s = studies[sid]
        for field in STUDY_IDS:
            allowed = set()
            if s.get(field) is not None and field not in s.get("unverified_fields", []):
                allowed = {_expected_term(field, s[field])[0]}
            extra = graph.texts(node, STUDY_FIELDS[field]) - allowed
            if extra:
                problems.append(f"kg:{sid} has {field} {sorted(extra)} that facts.yaml does not give it")
    _fail_on(problems)


@pytest.mark.shared
def test_therapies_a_study_used_are_on_the_study(graph: Graph, facts: dict[str, object]) -> None:
    problems = []
    for rel in _relations(facts):
        if rel.predicate in THERAPY_PREDICATES:
            used = graph.ids(KG + rel.subject, KGX + "usedTherapy")
            missing = set(rel.objects) - used
            if missing:
                problems.append(f"{rel}: kgx:usedTherapy lacks {sorted(missing)} (has {sorted(used)})")
    _fail_on(problems)


# ------------------------------------------------------------------------------------------ relations


@pytest.mark.shared
def test_every_relation_is_encoded_by_a_claim(graph: Graph, facts: dict[str, object]) -> None:
    encoded = {(rel.index, obj) for rel, obj, _ in _encoded(graph, facts)}
    problems = []
    for rel in _relations(facts):
        if rel.predicate in THERAPY_PREDICATES:
            continue
        for obj in rel.objects:
            if (rel.index, obj) not in encoded:
                near = {_short(c): sorted(graph.evidence(c)) for c in graph.claims(rel.subject, obj)}
                problems.append(
                    f"{rel}: no claim kg:{rel.subject} -> kg:{obj} whose evidence is among "
                    f"{sorted(rel.evidence)} (claims with this subject and object: {near})"
                )
    _fail_on(problems)


@pytest.mark.shared
def test_relation_result_directions(graph: Graph, facts: dict[str, object]) -> None:
    problems = []
    for rel, _, claim in _encoded(graph, facts):
        direction = rel.entry.get("result_direction")
        if direction is None:
            continue
        by_study = rel.entry.get("result_by_study") or {}
        ev = graph.evidence(claim)
        # a claim split off with a single study carries that study's own direction
        own = by_study.get(next(iter(ev))) if len(ev) == 1 else None
        want = DIRECTION[own or direction]
        got = graph.terms(claim, KGX + "resultDirection")
        if got != {want}:
            problems.append(f"{rel}: {_short(claim)} has direction {sorted(got)}, facts say {want}")
        for study, result in by_study.items():
            if study in ev and len(ev) > 1:
                per = {
                    d
                    for node in graph.values(claim, KGX + "resultForStudy")
                    if graph.ids(str(node), KGX + "study") == {study}
                    for d in graph.terms(str(node), KGX + "resultDirection")
                }
                if per != {DIRECTION[result]}:
                    problems.append(f"{rel}: {_short(claim)} result for {study} is {sorted(per)}, facts say {result}")
    _fail_on(problems)


@pytest.mark.shared
def test_contested_relations_are_flagged(graph: Graph, facts: dict[str, object]) -> None:
    contested = [(rel, obj, claim) for rel, obj, claim in _encoded(graph, facts) if rel.entry.get("contested")]
    assert contested, "no contested relation was matched to a claim"
    problems = []
    for rel, obj, claim in contested:
        if obj not in CONTESTED_PART.get((rel.subject, rel.predicate), {obj}):
            continue
        if graph.texts(claim, KGX + "contested") != {"true"}:
            problems.append(f"{rel}: {_short(claim)} (object {obj}) is not kgx:contested true")
        named = graph.ids(claim, KGX + "contestedBy") | graph.ids(claim, KGX + "supportedBy")
        unnamed = set(_listed(rel.entry.get("contested_by"))) - named
        if unnamed:
            problems.append(f"{rel}: {_short(claim)} names {sorted(unnamed)} neither as evidence nor as contesting it")
    _fail_on(problems)


@pytest.mark.shared
def test_relation_evidence_kind_level_and_species(graph: Graph, facts: dict[str, object]) -> None:
    problems = []
    for rel, _, claim in _encoded(graph, facts):
        kind = rel.entry.get("evidence_kind")
        if kind is None:
            continue
        level, got_kind = graph.terms(claim, KGX + "evidenceLevel"), graph.terms(claim, KGX + "evidenceKind")
        if got_kind != {KIND[kind]}:
            problems.append(f"{rel}: {_short(claim)} evidence kind {sorted(got_kind)}, facts say {kind}")
        if not level or not level <= LEVELS_FOR_KIND[kind]:
            problems.append(f"{rel}: {_short(claim)} evidence level {sorted(level)} does not fit {kind} evidence")
        species_text = str(rel.entry.get("species") or "")
        want = {
            name
            for name, pattern in (("Rat", r"\brats?\b"), ("Mouse", r"\b(mouse|mice)\b"))
            if re.search(pattern, species_text)
        }
        got = graph.terms(claim, KGX + "species")
        if not want <= got:
            problems.append(f"{rel}: {_short(claim)} species {sorted(got)} lacks {sorted(want - got)}")
        if kind == "preclinical" and "Human" in got:
            problems.append(f"{rel}: preclinical {_short(claim)} is marked as a finding in humans")
    _fail_on(problems)


@pytest.mark.shared
def test_relation_status_and_unverified_fields(graph: Graph, facts: dict[str, object]) -> None:
    problems = []
    for rel, _, claim in _encoded(graph, facts):
        got = graph.terms(claim, KGX + "status")
        if got != {STATUS[rel.entry["status"]]}:
            problems.append(f"{rel}: {_short(claim)} status {sorted(got)}, facts say {rel.entry['status']}")
        missing = set(rel.entry.get("unverified_fields", [])) - graph.texts(claim, KGX + "unverifiedField")
        if missing:
            problems.append(f"{rel}: {_short(claim)} does not name unverified fields {sorted(missing)}")
    _fail_on(problems)


@pytest.mark.shared
def test_relation_regulatory_context_is_kept(graph: Graph, facts: dict[str, object]) -> None:
    events: dict[int, set[str]] = defaultdict(set)
    for rel, _, claim in _encoded(graph, facts):
        events[rel.index] |= graph.ids(claim, KGX + "regulatoryContext")
    problems = []
    for rel in _relations(facts):
        want = set(_listed(rel.entry.get("regulatory_event"))) | set(_listed(rel.entry.get("regulatory_context")))
        if not want <= events[rel.index]:
            problems.append(f"{rel}: no claim names regulatory event(s) {sorted(want - events[rel.index])}")
    _fail_on(problems)


@pytest.mark.shared
def test_secondary_sources_are_never_marked_primary(graph: Graph, facts: dict[str, object]) -> None:
    problems = []
    for rel, _, claim in _encoded(graph, facts):
        if rel.entry.get("source_tier") == "secondary" and "Primary" in graph.terms(claim, KGX + "sourceTier"):
            problems.append(f"{rel}: seen only in a secondary source, but {_short(claim)} is kgx:Primary")
    secondary = {s["id"] for s in _section(facts, "studies") if s.get("source_tier") == "secondary"}
    for claim in graph.instances(KGX + "Claim"):
        weak = graph.ids(claim, KGX + "supportedBy") & secondary
        if graph.from_fact_base(claim) and weak and "Primary" in graph.terms(claim, KGX + "sourceTier"):
            problems.append(
                f"{_short(claim)} is kgx:Primary but rests on {sorted(weak)}, which facts.yaml saw "
                "only in secondary sources; mark it kgx:Secondary"
            )
    _fail_on(problems)


def _pages(entry: dict[str, Any]) -> set[str]:
    """Every web page a fact-base entry was seen on (its sources and its field evidence)."""
    found = set(_listed(entry.get("source"))) | set(_listed(entry.get("sources")))
    for evidence in entry.get("field_evidence") or []:
        found |= set(_listed(evidence.get("source"))) | set(_listed(evidence.get("sources")))
    return {p.rstrip("/") for p in found}


@pytest.mark.shared
def test_split_claims_do_not_cite_only_a_dropped_studys_page(graph: Graph, facts: dict[str, object]) -> None:
    pages = {s["id"]: _pages(s) for s in _section(facts, "studies")}
    problems = []
    for rel, _, claim in _encoded(graph, facts):
        studies, own = set(_listed(rel.entry.get("studies"))), graph.evidence(claim)
        if not own or not own < studies:
            continue  # not a split: the relation's own source is the claim's source
        cited = {p.rstrip("/") for p in graph.texts(claim, DCT + "source")}
        own_pages = set().union(*(pages.get(s, set()) for s in own))
        dropped_pages = set().union(*(pages.get(s, set()) for s in studies - own))
        if cited and not cited & own_pages and cited <= dropped_pages:
            problems.append(
                f"{rel}: {_short(claim)} rests on {sorted(own)} but cites only {sorted(cited)}, a page of "
                f"{sorted(s for s in studies - own if pages.get(s, set()) & cited)}; cite a page of its own studies"
            )
    _fail_on(problems)


# ------------------------------------------------------------------------------------------ events and figures


def _precise(date: str) -> tuple[str, str]:
    """The leading ISO part of a fact-base date and its XSD datatype ('2025-01 (J&J …)' -> 2025-01, gYearMonth)."""
    m = re.match(r"\d{4}(-\d{2}(-\d{2})?)?", date)
    assert m, f"facts.yaml date {date!r} does not start with a year"
    kind = {0: "gYear", 1: "gYearMonth", 2: "date"}[m.group(0).count("-")]
    return m.group(0), XSD + kind


@pytest.mark.shared
def test_regulatory_event_dates_match_the_fact_base(graph: Graph, facts: dict[str, object]) -> None:
    problems = []
    for e in _section(facts, "regulatory_events"):
        node, wording = KG + e["id"], str(e["date"])
        value, datatype = _precise(COARSENED_DATES.get(e["id"], wording))
        got = [(str(d), d.datatype) for d in graph.values(node, KGX + "date") if isinstance(d, Literal)]
        if got != [(value, datatype)]:
            problems.append(f"{e['id']}: kgx:date {got}, facts {wording!r} -> {value} ({datatype[len(XSD) :]})")
        if wording != value and wording not in graph.texts(node, KGX + "dateNote"):
            problems.append(f"{e['id']}: the fact base's wording {wording!r} is not kept in kgx:dateNote")
        missing = set(_listed(e["subject"])) - graph.ids(node, KGX + "concerns")
        if missing:
            problems.append(f"{e['id']}: kgx:concerns lacks {sorted(missing)}")
    _fail_on(problems)


@pytest.mark.shared
def test_real_world_figures_match_the_fact_base(graph: Graph, facts: dict[str, object]) -> None:
    problems = []
    for e in _section(facts, "real_world_data"):
        got = graph.texts(KG + e["id"], KGX + "value")
        if got != {e["fact"]}:
            problems.append(f"{e['id']}: kgx:value {sorted(got)}, facts {e['fact']!r}")
    _fail_on(problems)


# ------------------------------------------------------------------------------------------ safety


def _withheld(facts: dict[str, object]) -> set[tuple[str, str]]:
    """(entity, value) pairs the fact base withholds: identifiers needing confirmation, and codes whose status
    is unverified or verified_secondary."""
    out = {
        (s["id"], str(i["value"]))
        for s in _section(facts, "substances")
        for i in s.get("identifiers_needing_confirmation", [])
    }
    for c in _section(facts, "conditions"):
        for entry in c.values():
            if isinstance(entry, dict) and entry.get("status") in ("unverified", "verified_secondary"):
                out |= {(c["id"], v) for v in _codes(entry, ("code", "id"))}
    return out


@pytest.mark.shared
def test_withheld_identifiers_are_absent(graph: Graph, facts: dict[str, object]) -> None:
    withheld, given = _withheld(facts), _verified_ids(facts)
    named = {("psilocybin", "10624"), ("ketamine", "D007649"), ("mdma", "DB01454"),
             ("major_depressive_disorder", "F32"), ("major_depressive_disorder", "F33")}  # fmt: skip
    assert named <= withheld, "the withheld identifiers were not read from facts.yaml"
    id_props = [p for p in graph.subjects() if graph.values(p, KGX + "idPattern")]
    problems = []
    for entity, value in sorted(withheld):
        # the entity's own triples must not show the value anywhere, not even inside a note
        token = re.compile(rf"(?<![\w.:-]){re.escape(value)}(?![\w.:-])")
        for prop, values in graph.properties(KG + entity).items():
            if hits := sorted(str(v) for v in values if token.search(str(v))):
                problems.append(f"kg:{entity} {_short(prop)} shows withheld value {value}: {hits}")
        # and no node may carry it as an identifier, unless the fact base verifies it for that node
        for prop in id_props:
            holders = [
                _short(s)
                for s in graph.subjects()
                if value in graph.texts(s, prop) and value not in given.get((s[len(KG) :], prop), set())
            ]
            if holders:
                problems.append(f"withheld value {value} (of {entity}) is the {_short(prop)} of {holders}")
    _fail_on(problems)


@pytest.mark.shared
def test_null_primary_outcomes_match_the_fact_base(graph: Graph, facts: dict[str, object]) -> None:
    want = {s["id"] for s in _section(facts, "studies") if s.get("primary_outcome_result") == "null"}
    assert {"carhart_harris_2021", "nct05414422"} <= want
    got = {
        n[len(KG) :] for n in graph.instances(KGX + "Study") if "Null" in graph.terms(n, KGX + "primaryOutcomeResult")
    }
    assert want <= got, f"studies whose primary outcome was null but not marked so: {sorted(want - got)}"


def test_no_preclinical_claim_is_a_human_finding(graph: Graph) -> None:
    bad = [
        _short(c)
        for c in graph.instances(KGX + "Claim")
        if "Preclinical" in graph.terms(c, KGX + "evidenceLevel") and "Human" in graph.terms(c, KGX + "species")
    ]
    assert not bad, f"preclinical claims marked as human findings: {bad}"


def test_animal_claims_are_preclinical(graph: Graph) -> None:
    bad = [
        f"{_short(c)} ({sorted(graph.terms(c, KGX + 'evidenceLevel'))})"
        for c in graph.instances(KGX + "Claim")
        if graph.terms(c, KGX + "species") & {"Rat", "Mouse"}
        and graph.terms(c, KGX + "evidenceLevel") != {"Preclinical"}
    ]
    assert not bad, f"claims about rats or mice that are not graded kgx:Preclinical: {bad}"


def test_a_null_trial_never_reads_as_support(graph: Graph) -> None:
    null = {n for n in graph.instances(KGX + "Study") if "Null" in graph.terms(n, KGX + "primaryOutcomeResult")}
    assert null, "no study is marked with a null primary outcome"
    bad = [
        _short(c)
        for c in graph.instances(KGX + "Claim")
        if (sup := {KG + s for s in graph.ids(c, KGX + "supportedBy")})
        and sup <= null
        and "Supports" in graph.terms(c, KGX + "resultDirection")
    ]
    assert not bad, f"claims resting only on trials with a null primary outcome read as support: {bad}"


def test_no_claim_rests_on_a_retracted_study(graph: Graph) -> None:
    retracted = {n[len(KG) :] for n in graph.instances(KGX + "Study") if graph.texts(n, KGX + "retracted") == {"true"}}
    bad = {_short(c): sorted(graph.ids(c, KGX + "supportedBy") & retracted) for c in graph.instances(KGX + "Claim")}
    assert not {c: s for c, s in bad.items() if s}, "claims supported by retracted papers"


def test_total_sample_size_counts_each_participant_once(graph: Graph) -> None:
    problems = []
    for claim in graph.instances(KGX + "Claim"):
        total = graph.texts(claim, KGX + "totalSampleSize")
        if not total:
            continue
        studies = {KG + s for s in graph.ids(claim, KGX + "supportedBy")}
        sizes = {s: graph.texts(s, KGX + "sampleSize") for s in studies}
        if not studies or not all(sizes.values()):
            problems.append(f"{_short(claim)} gives N = {total} but not every supporting study reports N: {sizes}")
            continue
        # a follow-up of another supporting study re-counts the same participants
        fresh = [s for s in studies if not {KG + f for f in graph.ids(s, KGX + "followUpOf")} & studies]
        want = sum(int(next(iter(sizes[s]))) for s in fresh)
        if total != {str(want)}:
            problems.append(f"{_short(claim)} total N {sorted(total)}, its studies add up to {want}")
    _fail_on(problems)
