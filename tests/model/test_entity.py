"""Entity cards (kgexplorer.model.entity): what a thing is, its identifiers with registry links, and every claim
about it with its evidence."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from kgexplorer import EntityCard, EntityNotFound, KnowledgeGraph
from kgexplorer.curation.records import DESIGN_LEVELS, Records
from kgexplorer.curation.turtle import derive_claim
from kgexplorer.evidence import DIRECTIONS, LEVELS, level
from kgexplorer.namespaces import KG, KGX


@pytest.fixture(scope="module")
def ketamine(kg: KnowledgeGraph) -> EntityCard:
    return kg.entity("ketamine")


def test_the_ketamine_card_says_what_it_is(ketamine: EntityCard) -> None:
    assert ketamine.iri == KG + "ketamine"
    assert ketamine.label == "Ketamine"
    assert ketamine.ref.kind == "Substance"
    assert "Substance" in ketamine.types
    assert ketamine.definition.startswith("A dissociative anaesthetic")
    assert {"Ketalar", "CI-581", "Special K"} <= set(ketamine.synonyms)
    assert list(ketamine.synonyms) == sorted(ketamine.synonyms, key=str.casefold)


@pytest.mark.parametrize("name", ["ketamine", "Special K", "kg:ketamine", KG + "ketamine", "  Ketalar "])
def test_every_way_of_naming_ketamine_gives_its_card(kg: KnowledgeGraph, name: str) -> None:
    assert kg.entity(name).iri == KG + "ketamine"


def identifier_schemes(kg: KnowledgeGraph) -> dict[str, tuple[str, str]]:
    """Scheme label -> (registry URL template, identifier pattern), read from the ontology."""
    rows = kg.select(
        "SELECT ?label ?url ?pattern WHERE { ?p kgx:idPattern ?pattern ; rdfs:label ?label ; kgx:formatterURL ?url }"
    ).rows
    return {str(label): (str(url), str(pattern)) for label, url, pattern in rows}


@pytest.mark.parametrize("scheme", ["ChEBI", "PubChem CID", "DrugBank"])
def test_identifiers_link_to_their_registry(kg: KnowledgeGraph, ketamine: EntityCard, scheme: str) -> None:
    template, pattern = identifier_schemes(kg)[scheme]
    found = [i for i in ketamine.identifiers if i.scheme == scheme]
    assert len(found) == 1
    ident = found[0]
    assert re.fullmatch(pattern.strip("^$"), ident.value), f"{ident.value!r} does not match {pattern}"
    assert ident.url == template.replace("{id}", ident.value)
    assert ident.url.startswith("https://")


@pytest.mark.shared
def test_ketamine_identifiers_match_the_fact_base(ketamine: EntityCard, facts: dict[str, Any]) -> None:
    entry = next(s for s in facts["substances"] if s["id"] == "ketamine")
    ids = entry["identifiers"]
    shown = {i.scheme: i.value for i in ketamine.identifiers}
    assert shown["ChEBI"] == str(ids["chebi"])
    assert shown["PubChem CID"] == str(ids["pubchem_cid"])
    assert shown["DrugBank"] == str(ids["drugbank"])


def test_claims_are_grouped_by_relation_strongest_first(ketamine: EntityCard) -> None:
    groups = ketamine.claims_by_relation()
    assert {"tested as a treatment for", "acts on", "affects outcome", "carries risk of"} <= set(groups)
    assert "is an enantiomer of (from)" in groups  # esketamine and arketamine point at ketamine
    for relation, claims in groups.items():
        ranks = [c.level_rank or 99 for c in claims]
        assert ranks == sorted(ranks), relation
        inbound = relation.endswith(" (from)")
        assert all((c.role == "object") == inbound for c in claims)
    assert sum(len(c) for c in groups.values()) == len(ketamine.claims)


def test_each_claim_carries_level_direction_and_studies(ketamine: EntityCard) -> None:
    labels = {lv.label for lv in LEVELS}
    for claim in ketamine.claims:
        assert claim.level in labels
        assert claim.level_rank in {lv.rank for lv in LEVELS}
        assert claim.direction in DIRECTIONS
        assert claim.iri.startswith(KG)
        assert claim.predicate.startswith(KGX)
    with_studies = [c for c in ketamine.claims if c.studies]
    assert len(with_studies) > len(ketamine.claims) // 2
    for claim in with_studies:
        assert all(s.label for s in claim.studies)
        assert list(claim.years) == sorted(claim.years)


def test_the_alcohol_use_disorder_claims(ketamine: EntityCard, records: Records) -> None:
    """The card shows what the records derive: level, direction, N, and each source's own finding."""
    aud = [c for c in ketamine.claims if c.other.iri == KG + "alcohol_use_disorder"]
    assert {c.relation for c in aud} == {"tested as a treatment for"}
    (claim,) = aud  # one claim per subject, relation, object and population; several sources are its evidence
    evidence = records.evidence("ketamine__testedFor__alcohol_use_disorder")
    derived = derive_claim(evidence)
    assert claim.level == level(DESIGN_LEVELS[derived.level]).label == "Randomised controlled trial"
    assert claim.direction == derived.direction == "mixed"  # more abstinence, but relapse did not differ (KARE)
    assert claim.other.kind == "Condition"
    assert claim.n == derived.total_sample_size  # None unless every source gives its N
    assert {s.iri for s in claim.studies} == {KG + src.id for src, _ in evidence}
    assert {KG + "dakwar_2020", KG + "grabski_2022_kare"} <= {s.iri for s in claim.studies}
    findings = {KG + src.id: f for src, f in evidence}
    for study in claim.studies:
        assert study.url, study
        assert study.url.startswith("https://"), study
        assert study.direction == findings[study.iri].direction
        assert study.result == findings[study.iri].reported_result
    assert claim.explanation


def test_a_source_without_doi_or_pmid_links_to_its_canonical_page(kg: KnowledgeGraph, records: Records) -> None:
    """A label or a regulator's page is linked by its canonical address, never left without a link."""
    documents = [
        s for s in records.sources.values() if s.kind == "label" and not (s.identifiers.doi or s.identifiers.pmid)
    ]
    assert documents
    src = documents[0]
    claim_id = src.findings[0].claim
    card = kg.entity(records.claims[claim_id].subject)
    (view,) = [c for c in card.claims if c.iri == KG + "claim_" + claim_id]
    (ref,) = [s for s in view.studies if s.iri == KG + src.id]
    assert ref.url == src.source.canonical


def test_a_study_card_shows_its_doi_as_an_identifier(kg: KnowledgeGraph) -> None:
    card = kg.entity("dakwar_2020")
    assert card.ref.kind == "Study"
    dois = [i for i in card.identifiers if i.scheme == "DOI"]
    assert len(dois) == 1
    assert dois[0].value.startswith("10.")
    assert dois[0].url == "https://doi.org/" + dois[0].value
    assert "N" in {a.label for a in card.attributes}


@pytest.mark.shared
def test_the_study_doi_matches_the_fact_base(kg: KnowledgeGraph, facts: dict[str, Any]) -> None:
    entry = next(s for s in facts["studies"] if s["id"] == "dakwar_2020")
    card = kg.entity("dakwar_2020")
    assert [i.value for i in card.identifiers if i.scheme == "DOI"] == [entry["doi"]]


def test_links_and_attributes_are_sorted_and_typed(ketamine: EntityCard) -> None:
    assert ketamine.links
    assert {lk.direction for lk in ketamine.links} <= {"in", "out"}
    assert list(ketamine.links) == sorted(ketamine.links, key=lambda lk: (lk.direction, lk.label, lk.other.label))
    assert all(a.value for a in ketamine.attributes)


def test_an_unknown_name_raises_entity_not_found_with_suggestions(kg: KnowledgeGraph) -> None:
    with pytest.raises(EntityNotFound) as info:
        kg.entity("ketamin")
    err = info.value
    assert err.name == "ketamin"
    assert "Ketamine" in err.suggestions
    assert str(err).startswith("no entity called 'ketamin'; did you mean: ")


def test_a_name_with_no_close_match_suggests_searching(kg: KnowledgeGraph) -> None:
    with pytest.raises(EntityNotFound, match="try kgexplorer search") as info:
        kg.entity("zzqqxx")
    assert info.value.suggestions == ()


@pytest.mark.parametrize("name", ["", "   "])
def test_an_empty_name_is_entity_not_found(kg: KnowledgeGraph, name: str) -> None:
    with pytest.raises(EntityNotFound, match="no entity name given"):
        kg.entity(name)


def test_a_card_works_on_generic_rdf(tmp_path: Path) -> None:
    path = tmp_path / "people.ttl"
    path.write_text(
        "@prefix ex: <http://example.org/> .\n@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n"
        'ex:ada a ex:Person ; rdfs:label "Ada Lovelace" ; rdfs:comment "A mathematician." ; ex:knows ex:charles ;'
        ' ex:born "1815" .\nex:charles a ex:Person ; rdfs:label "Charles Babbage" .\n',
        encoding="utf-8",
    )
    with KnowledgeGraph.from_files([str(path)]) as graph:
        card = graph.entity("Ada Lovelace")
    assert (card.label, card.ref.kind, card.definition) == ("Ada Lovelace", "Person", "A mathematician.")
    assert card.claims == ()
    assert [(lk.label, lk.other.label) for lk in card.links] == [("knows", "Charles Babbage")]
    assert [(a.label, a.value) for a in card.attributes] == [("born", "1815")]


def test_a_card_lists_at_most_max_card_links_and_says_how_many_there_are(ketamine: EntityCard) -> None:
    from kgexplorer import Settings

    every = len(ketamine.links)
    assert every > 10
    assert (ketamine.links_total, ketamine.links_truncated) == (every, False)
    assert ketamine.links_note() == f"{every} links"
    with KnowledgeGraph.bundled(settings=Settings(max_card_links=6)) as small:
        card = small.entity("ketamine")
    assert len(card.links) == 6
    assert card.links_total == every  # counted, not fetched
    assert card.links_truncated
    assert card.links_note() == f"first 6 of {every} links (the max_card_links setting)"
    assert f"links (first 6 of {every} links" in card.to_text()
    assert {lk.direction for lk in card.links} == {"in", "out"}  # both directions keep a share
    assert set(card.links) <= set(ketamine.links)
    assert card.claims == ketamine.claims  # claims are not links: the cap leaves them alone


def test_a_study_card_shows_where_it_was_read_and_a_substance_its_lay_names(
    kg: KnowledgeGraph, records: Records
) -> None:
    src = records.sources["grabski_2022_kare"]
    card = kg.entity("grabski_2022_kare")
    shown = {(a.label, a.value) for a in card.attributes}
    assert ("read at", src.source.read_at) in shown
    assert {("also seen in", url) for url in src.source.seen_in} <= shown
    assert not [lk for lk in card.links if lk.other.iri.startswith("http") and not lk.other.iri.startswith(KG)]
    psilocybin = kg.entity("psilocybin")
    lay = {a.value for a in psilocybin.attributes if a.label == "street or lay name"}
    # A genus name (sense: genus) is not another name of the substance, so the card does not list it as one.
    assert lay == {n.name for n in records.lay_names if n.entity == "psilocybin" and n.sense is None}
    assert psilocybin.label == "Psilocybin"
    assert not [lk for lk in psilocybin.links if lk.label == "name of"]


def test_a_card_cut_by_max_card_rows_says_so(tmp_path: Path) -> None:
    """An entity with more claims than the max_card_rows setting (issue 13): the card lists what was read and says
    it was cut, naming the setting, instead of silently missing claims."""
    from kgexplorer import Settings

    claims = [
        f"ex:c{i} a kgx:Claim ; kgx:subject ex:drug ; kgx:predicate kgx:testedFor ; kgx:object ex:cond{i} ."
        for i in range(12)
    ]
    path = tmp_path / "claims.ttl"
    path.write_text(
        "\n".join(["@prefix ex: <http://example.org/> .", f"@prefix kgx: <{KGX}> .", "ex:drug a kgx:Substance ."])
        + "\n"
        + "\n".join(claims),
        encoding="utf-8",
    )
    with KnowledgeGraph.from_files([str(path)], settings=Settings(max_card_rows=5)) as small:
        cut = small.entity("http://example.org/drug")
    with KnowledgeGraph.from_files([str(path)]) as whole:
        full = whole.entity("http://example.org/drug")

    assert len(full.claims) == 12
    assert not full.rows_cut
    assert len(cut.claims) == 5
    assert cut.rows_cut
    assert "max_card_rows" in cut.to_text()
