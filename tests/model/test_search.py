"""Search (kgexplorer.model.search): synonyms and abbreviations, case and accent folding, ranking, filters."""

from __future__ import annotations

import pytest

from kgexplorer import KnowledgeGraph
from kgexplorer.curation.records import Records
from kgexplorer.model.search import LabelIndex, normalize
from kgexplorer.namespaces import KG


@pytest.mark.parametrize(
    ("text", "iri", "matched"),
    [
        ("special K", "ketamine", "Special K"),
        ("Spravato", "esketamine", "Spravato"),
        ("AUD", "alcohol_use_disorder", "AUD"),
        ("Ketalar", "ketamine", "Ketalar"),
    ],
)
def test_synonyms_find_the_entity_first(kg: KnowledgeGraph, text: str, iri: str, matched: str) -> None:
    best = kg.search(text)[0]
    assert best.iri == KG + iri
    assert best.matched == matched
    assert best.label != matched  # the hit shows the entity's own label, not the synonym


def test_ketamine_hit_has_label_and_kind(kg: KnowledgeGraph) -> None:
    hit = kg.search("special K")[0]
    assert (hit.label, hit.kind) == ("Ketamine", "Substance")


@pytest.mark.parametrize("text", ["lambarene", "LAMBARÈNE", "Lambarène", "  lambarene  "])
def test_case_and_accents_are_folded(kg: KnowledgeGraph, text: str) -> None:
    assert kg.search(text)[0].iri == KG + "ibogaine"


def test_normalize_folds_case_accents_and_punctuation() -> None:
    assert normalize("Lambarène") == normalize("LAMBARENE") == "lambarene"
    assert normalize("  (S)-Kétamine ") == "s ketamine"
    assert normalize("---") == ""


def test_exact_beats_prefix_beats_substring(kg: KnowledgeGraph) -> None:
    hits = kg.search("ketamine", kinds=["Substance", "Condition", "Therapy"])
    labels = [h.label for h in hits]
    assert labels[0] == "Ketamine"  # exact
    assert "Esketamine" in labels  # contains "ketamine" only inside a word
    assert labels.index("Ketamine use disorder") < labels.index("Esketamine")  # prefix before substring
    assert [h.score[0] for h in hits] == sorted(h.score[0] for h in hits)


def test_a_prefix_finds_the_entity_before_substring_matches(kg: KnowledgeGraph) -> None:
    hits = kg.search("keta", limit=50)
    assert hits[0].label == "Ketamine"
    assert all(h.score[0] <= 2 for h in hits)  # "Esketamine" does not start any word with "keta"
    assert "Esketamine" not in [h.label for h in hits]


def test_kinds_filter_keeps_only_those_kinds(kg: KnowledgeGraph) -> None:
    hits = kg.search("ketamine", kinds=["Study"], limit=50)
    assert hits
    assert {h.kind for h in hits} == {"Study"}
    assert all(h.iri != KG + "ketamine" for h in hits)


def test_limit_caps_the_number_of_hits(kg: KnowledgeGraph) -> None:
    assert len(kg.search("ketamine", limit=3)) == 3
    assert len(kg.search("e", limit=1000)) == kg.settings.search_limit  # cannot exceed the setting


@pytest.mark.parametrize("text", ["", "   ", "!!!", "—"])
def test_empty_text_finds_nothing(kg: KnowledgeGraph, text: str) -> None:
    assert kg.search(text) == []


def test_no_match_is_an_empty_list(kg: KnowledgeGraph) -> None:
    assert kg.search("zzqqxx") == []


def test_claims_are_not_search_results(kg: KnowledgeGraph) -> None:
    assert all(h.kind not in ("Claim", "Study result") for h in kg.search("ketamine", limit=1000))


def test_each_entity_appears_once_with_its_best_match() -> None:
    idx = LabelIndex.from_rows(
        [
            ("kg:a", "Esketamine", True, "Substance"),
            ("kg:a", "Spravato", False, "Substance"),
            ("kg:a", "Spravato nasal spray", False, "Substance"),
            ("kg:b", "Spravato price", True, "Real-world figure"),
        ]
    )
    hits = idx.search("spravato")
    assert [(h.iri, h.matched) for h in hits] == [("kg:a", "Spravato"), ("kg:b", "Spravato price")]
    assert hits[0].label == "Esketamine"
    assert idx.exact("SPRAVATO") == ["kg:a"]
    assert idx.label("kg:a") == "Esketamine"


def test_entities_named_only_by_a_name_predicate_are_found(tmp_path: object) -> None:
    """LUBM names entities with ub:name only; any predicate whose local name is 'name' or 'title' counts."""
    from pathlib import Path

    ub = "http://www.lehigh.edu/~zhp2/2004/0401/univ-bench.owl#"
    path = Path(str(tmp_path)) / "lubm.ttl"
    path.write_text(
        f"@prefix ub: <{ub}> .\n@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n"
        "@prefix ex: <http://example.org/> .\n"
        'ex:student1 a ub:GraduateStudent ; ub:name "GraduateStudent1" ; ub:emailAddress "gs1@example.org" .\n'
        'ex:course a ub:Course ; rdfs:label "Course label" ; ub:name "Course name" .\n',
        encoding="utf-8",
    )
    with KnowledgeGraph.from_files([str(path)]) as graph:
        hits = graph.search("GraduateStudent1")
        assert [(h.iri, h.label, h.kind) for h in hits] == [
            ("http://example.org/student1", "GraduateStudent1", "GraduateStudent")
        ]
        assert graph.search("gs1@example.org") == []  # only names, never any literal
        assert [h.label for h in graph.search("course")] == ["Course label"]  # rdfs:label wins
        assert graph.search("Course name") == []  # a name predicate is read only without a label
        assert graph.entity("GraduateStudent1").label == "GraduateStudent1"


def test_every_lay_name_of_the_records_finds_its_entity_first(kg: KnowledgeGraph, records: Records) -> None:
    """Street and lay names (skos:hiddenLabel) find their entity, which keeps its own name."""
    assert records.lay_names
    for lay in records.lay_names:
        hits = kg.search(lay.name, kinds=["Substance"])
        assert hits, lay.name
        assert hits[0].iri == KG + lay.entity, (lay.name, hits[0])
        assert hits[0].label != lay.name, "a lay name is never shown as the entity's name"


def _rank_all(index: LabelIndex, text: str, limit: int, kinds: list[str] | None) -> list[tuple[str, str, str]]:
    """The ranking spelled out: every entry containing the text scored, each entity's best, sorted."""
    q = normalize(text)
    best: dict[str, tuple[tuple[int, ...], str, str]] = {}
    for i in range(len(index)):
        norm, iri = index._norms[i], index._iris[i]
        kind = index._kind_names[index._kind_ids[i]]
        if q not in norm or (kinds and kind not in kinds):
            continue
        words = norm.split()
        tier = (
            0
            if norm == q
            else 1
            if norm.startswith(q)
            else 2
            if " " not in q and any(w.startswith(q) for w in words)
            else 3
        )
        score = (tier, 0 if index._preferred[i] else 1, {"Substance": 0, "Study": 3}.get(kind, 3), len(norm))
        at = index._label_of[i]
        label = index._texts[at] if at >= 0 else index._texts[i]
        if iri not in best or score < best[iri][0]:
            best[iri] = (score, label, index._texts[i])
    ranked = sorted(best.items(), key=lambda item: (item[1][0], item[1][1]))
    return [(iri, label, matched) for iri, (_, label, matched) in ranked[:limit]]


@pytest.mark.parametrize("kinds", [None, ["Substance"], ["Study"]])
@pytest.mark.parametrize("limit", [1, 2, 3, 20])
@pytest.mark.parametrize("text", ["ket", "ketamine", "amine", "special k", "k", "esk"])
def test_search_stops_after_the_tier_that_fills_the_limit_and_ranks_as_scoring_all(
    text: str, limit: int, kinds: list[str] | None
) -> None:
    # Exact names, prefixes, later words and substrings of several kinds, labels and synonyms mixed, so that
    # stopping after a tier (LabelIndex.search) must give what scoring every containing name gives.
    rows = [
        ("kg:a", "Ketamine", True, "Substance"),
        ("kg:a", "Special K", False, "Substance"),
        ("kg:b", "Esketamine", True, "Substance"),
        ("kg:c", "Ketamine trial", True, "Study"),
        ("kg:d", "Low-dose ketamine", True, "Study"),
        ("kg:e", "Ketamine", True, "Study"),
        ("kg:f", "Arketamine", True, "Substance"),
        ("kg:g", "K", True, "Substance"),
        ("kg:h", "Special K study", True, "Study"),
    ]
    index = LabelIndex.from_rows(rows)
    got = [(h.iri, h.label, h.matched) for h in index.search(text, limit=limit, kinds=kinds)]
    assert got == _rank_all(index, text, limit, kinds)
