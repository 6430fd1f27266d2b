"""Neighbourhoods and paths (kgexplorer.model.neighbourhood): evidence on edges, capped expansion with "+N more"
nodes, filters, and explained paths."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import pytest

from kgexplorer import KnowledgeGraph, Neighbourhood, Settings
from kgexplorer.curation.records import DESIGN_LEVELS, Records
from kgexplorer.curation.turtle import derive_claim
from kgexplorer.errors import QueryError
from kgexplorer.evidence import combine_directions, level
from kgexplorer.model.neighbourhood import MORE
from kgexplorer.terms import IRI

KETAMINE = "https://w3id.org/kgexplorer/id/ketamine"
AUD = "https://w3id.org/kgexplorer/id/alcohol_use_disorder"
KG = "https://w3id.org/kgexplorer/id/"
KGX = "https://w3id.org/kgexplorer/vocab#"


@pytest.fixture(scope="module")
def view(kg: KnowledgeGraph) -> Neighbourhood:
    return kg.neighbourhood("ketamine", depth=1)


def more_nodes(v: Neighbourhood) -> dict[tuple[str, str], dict[str, object]]:
    return {(d["predicate"], d["direction"]): d for _, d in v.graph.nodes(data=True) if d["kind"] == MORE}


def group_size(kg: KnowledgeGraph, predicate: str, direction: str) -> int:
    pattern = "kg:ketamine ?p ?o" if direction == "out" else "?o ?p kg:ketamine"
    rows = kg.select(
        f"SELECT (COUNT(DISTINCT ?o) AS ?n) WHERE {{ {pattern} FILTER(isIRI(?o)) }}", values={"p": IRI(predicate)}
    )
    return int(str(rows.rows[0][0]))


def test_the_focus_is_labelled_and_at_hop_zero(view: Neighbourhood) -> None:
    assert view.focus == KETAMINE
    assert view.graph.nodes[KETAMINE] | {} == {"label": "Ketamine", "kind": "Substance", "hops": 0}
    assert view.depth == 1


def test_depth_one_holds_the_expected_neighbours(view: Neighbourhood) -> None:
    nodes = set(view.graph.nodes)
    for local in ("alcohol_use_disorder", "esketamine", "arketamine", "craving", "nmda_antagonism"):
        assert KG + local in nodes
    assert all(d["hops"] <= 1 for _, d in view.graph.nodes(data=True))


def _derived(records: Records, claim_id: str) -> tuple[int, str]:
    """The rubric rank and direction the records derive for one claim."""
    d = derive_claim(records.evidence(claim_id))
    return level(DESIGN_LEVELS[d.level]).rank, d.direction


def _claims_of_one_edge(records: Records) -> dict[tuple[str, str, str], list[str]]:
    """Edges (subject, relation, object) that several claims state (they differ by population)."""
    by_edge: dict[tuple[str, str, str], list[str]] = defaultdict(list)
    for c in sorted(records.claims.values(), key=lambda c: c.id):
        by_edge[(c.subject, c.relation, c.object)].append(c.id)
    return {edge: ids for edge, ids in by_edge.items() if len(ids) > 1}


def test_claim_edges_carry_their_evidence(view: Neighbourhood, records: Records) -> None:
    edge = view.graph.edges[KETAMINE, AUD, KGX + "testedFor"]
    assert edge["label"] == "tested as a treatment for"
    assert edge["claims"] == (KG + "claim_ketamine__testedFor__alcohol_use_disorder",)
    rank, direction = _derived(records, "ketamine__testedFor__alcohol_use_disorder")
    assert edge["level_rank"] == rank == 2
    assert edge["level"] == "Randomised controlled trial"
    assert edge["direction"] == direction == "mixed"  # more days abstinent, but relapse did not differ (KARE)
    inbound = view.graph.edges[KG + "esketamine", KETAMINE, KGX + "enantiomerOf"]
    assert inbound["direction"] == "supports"


def test_an_edge_of_several_claims_shows_the_strongest_level_and_their_combined_direction(
    kg: KnowledgeGraph, records: Records
) -> None:
    """Claims that differ only by population are one edge: best level, directions combined."""
    shared = _claims_of_one_edge(records)
    assert shared, "the records have claims that differ only by population"
    for (subject, relation, obj), ids in shared.items():
        v = kg.neighbourhood(subject, depth=1, per_relation=500)
        edge = v.graph.edges[KG + subject, KG + obj, KGX + relation]
        assert set(edge["claims"]) == {KG + "claim_" + c for c in ids}
        derived = [_derived(records, c) for c in ids]
        assert edge["level_rank"] == min(rank for rank, _ in derived)
        assert edge["direction"] == combine_directions(d for _, d in derived)


def test_structural_edges_have_no_claims(view: Neighbourhood) -> None:
    structural = [d for s, o, k, d in view.graph.edges(keys=True, data=True) if k == KGX + "legalStatus"]
    assert structural
    assert all(d["claims"] == () and d["level_rank"] == 99 and d["direction"] == "" for d in structural)


def test_per_relation_cap_gathers_the_rest_into_more_nodes(kg: KnowledgeGraph) -> None:
    v = kg.neighbourhood("ketamine", depth=1, per_relation=2)
    more = more_nodes(v)
    acts_on = more[(KGX + "actsOn", "out")]
    total = group_size(kg, KGX + "actsOn", "out")
    assert total > 2
    assert acts_on["count"] == total - 2
    assert acts_on["label"] == f"+{total - 2} more"
    assert acts_on["more_of"] == KETAMINE
    shown = [o for _, o, k in v.graph.out_edges(KETAMINE, keys=True) if k == KGX + "actsOn" and o in kg_nodes(v)]
    assert len(shown) == 2
    tested = more[(KGX + "testedSubstance", "in")]  # studies that tested ketamine point at it
    assert tested["count"] == group_size(kg, KGX + "testedSubstance", "in") - 2


def kg_nodes(v: Neighbourhood) -> set[str]:
    return {n for n, d in v.graph.nodes(data=True) if d["kind"] != MORE}


def test_strongest_evidence_is_shown_before_the_rest(kg: KnowledgeGraph) -> None:
    v = kg.neighbourhood("ketamine", depth=1, per_relation=2)
    full = kg.neighbourhood("ketamine", depth=1, per_relation=100)
    shown = [
        d["level_rank"]
        for _, o, k, d in v.graph.out_edges(KETAMINE, keys=True, data=True)
        if k == KGX + "actsOn" and o in kg_nodes(v)
    ]
    every = sorted(
        d["level_rank"] for _, _, k, d in full.graph.out_edges(KETAMINE, keys=True, data=True) if k == KGX + "actsOn"
    )
    assert sorted(shown) == every[:2]


def test_expanded_opens_one_group_fully(kg: KnowledgeGraph) -> None:
    v = kg.neighbourhood("ketamine", depth=1, per_relation=2, expanded=[(KETAMINE, KGX + "actsOn", "out")])
    more = more_nodes(v)
    assert (KGX + "actsOn", "out") not in more
    assert (KGX + "affectsOutcome", "out") in more  # the other groups stay capped
    acts_on = [o for _, o, k in v.graph.out_edges(KETAMINE, keys=True) if k == KGX + "actsOn"]
    assert len(acts_on) == group_size(kg, KGX + "actsOn", "out")


@pytest.mark.parametrize("max_nodes", [2, 5, 12, 30])
def test_max_nodes_caps_the_whole_view_and_says_so(kg: KnowledgeGraph, max_nodes: int) -> None:
    v = kg.neighbourhood("ketamine", depth=2, max_nodes=max_nodes)
    assert v.graph.number_of_nodes() <= max_nodes  # "+N more" nodes count too
    assert v.truncated is True
    assert v.hidden > 0
    assert KETAMINE in v.graph


def test_an_uncut_view_is_not_truncated(view: Neighbourhood) -> None:
    assert (view.truncated, view.hidden) == (False, 0)
    assert view.graph.number_of_nodes() <= 150


def test_max_nodes_can_lower_but_not_raise_the_setting(small_limits: Settings) -> None:
    with KnowledgeGraph.bundled(settings=small_limits) as small:
        v = small.neighbourhood("ketamine", depth=2, max_nodes=1000)
    assert v.graph.number_of_nodes() <= small_limits.max_view_nodes == 12
    assert v.truncated


def test_kinds_filter_keeps_only_those_kinds(kg: KnowledgeGraph) -> None:
    v = kg.neighbourhood("ketamine", depth=1, kinds=["Condition"])
    kinds = {d["kind"] for n, d in v.graph.nodes(data=True) if n != KETAMINE}
    assert kinds <= {"Condition", MORE}
    assert AUD in v.graph


def test_relations_filter_keeps_only_those_predicates(kg: KnowledgeGraph) -> None:
    v = kg.neighbourhood("ketamine", depth=1, relations=[KGX + "testedFor"])
    assert {k for _, _, k in v.graph.edges(keys=True)} == {KGX + "testedFor"}
    assert AUD in v.graph


def test_min_evidence_drops_weaker_evidence_edges(kg: KnowledgeGraph, view: Neighbourhood) -> None:
    v = kg.neighbourhood("ketamine", depth=1, min_evidence="RCT")
    evidence = [d for _, _, d in v.graph.edges(data=True) if d["claims"]]
    assert evidence
    assert all(d["level_rank"] <= 2 for d in evidence)
    assert KG + "nmda_antagonism" in view.graph  # reference-level evidence only
    assert KG + "nmda_antagonism" not in v.graph
    assert AUD in v.graph


def test_min_evidence_shows_only_edges_that_carry_evidence(kg: KnowledgeGraph) -> None:
    """Issue 15, bug 6: 'weakest evidence: RCT' drew 38 nodes of studies, events and legal statuses; with a level
    asked for, every edge carries evidence at that level or stronger."""
    v = kg.neighbourhood("ketamine", depth=1, min_evidence="RCT")
    kinds = {d["kind"] for _, d in v.graph.nodes(data=True)}

    assert all(d["claims"] and d["level_rank"] <= 2 for _, _, d in v.graph.edges(data=True))
    assert not kinds & {"Study", "Regulatory event", "Legal status", "Historical event", "Publication event"}
    assert v.graph.number_of_nodes() < kg.neighbourhood("ketamine", depth=1).graph.number_of_nodes()


def test_depth_two_reaches_further_and_is_capped_by_the_setting(kg: KnowledgeGraph) -> None:
    v = kg.neighbourhood("ketamine", depth=2)
    assert max(d["hops"] for _, d in v.graph.nodes(data=True)) == 2
    deep = kg.neighbourhood("ketamine", depth=50, max_nodes=10)
    assert deep.depth == kg.settings.max_depth


def test_depth_below_one_is_an_error(kg: KnowledgeGraph) -> None:
    with pytest.raises(QueryError, match="depth must be at least 1, got 0"):
        kg.neighbourhood("ketamine", depth=0)


def test_node_refs_list_the_focus_first(view: Neighbourhood) -> None:
    refs = view.node_refs()
    assert refs[0].iri == KETAMINE
    assert len(refs) == view.graph.number_of_nodes()


# ------------------------------------------------------------------------------------------------- paths


def test_the_shortest_path_is_the_direct_claim_edge(kg: KnowledgeGraph, records: Records) -> None:
    found = kg.paths("ketamine", "alcohol_use_disorder")
    assert (found.source.iri, found.target.iri) == (KETAMINE, AUD)
    first = found.paths[0]
    assert len(first) == 1
    step = first[0]
    assert (step.source.iri, step.predicate, step.target.iri, step.forward) == (KETAMINE, KGX + "testedFor", AUD, True)
    assert step.claims == (KG + "claim_ketamine__testedFor__alcohol_use_disorder",)
    assert step.level == "Randomised controlled trial"
    assert step.direction == _derived(records, "ketamine__testedFor__alcohol_use_disorder")[1] == "mixed"


def test_paths_are_sorted_by_length_and_capped_at_k(kg: KnowledgeGraph) -> None:
    found = kg.paths("ketamine", "alcohol_use_disorder", k=4)
    lengths = [len(p) for p in found.paths]
    assert len(lengths) == 4
    assert lengths == sorted(lengths)
    assert found.truncated is True  # there are more than four
    assert all(len(p) <= found.max_length for p in found.paths)
    for p in found.paths:
        assert p[0].source.iri == KETAMINE or p[0].target.iri == KETAMINE
        assert p[-1].target.iri == AUD or p[-1].source.iri == AUD


def test_path_sentences_come_from_the_strongest_claim(kg: KnowledgeGraph) -> None:
    step = kg.paths("ketamine", "alcohol_use_disorder", k=1).paths[0][0]
    card = kg.entity("ketamine")
    rct = next(c for c in card.claims if c.other.iri == AUD and c.level_rank == 2)
    assert step.sentence == (
        "Ketamine tested as a treatment for Alcohol use disorder (1 claim; best evidence: randomised controlled "
        f"trial, mixed). {rct.explanation}"
    )


def test_a_step_of_several_claims_counts_them_and_explains_the_strongest(kg: KnowledgeGraph, records: Records) -> None:
    # A path step names one relation per pair of nodes, so take an edge whose two ends no other claim links.
    pairs = [(c.subject, c.object) for c in records.claims.values()]
    (subject, relation, obj), ids = next(
        (edge, ids) for edge, ids in _claims_of_one_edge(records).items() if pairs.count((edge[0], edge[2])) == len(ids)
    )
    step = kg.paths(subject, obj, k=1).paths[0][0]
    assert step.predicate == KGX + relation
    assert len(step.claims) == len(ids)
    ranked = sorted(ids, key=lambda c: (_derived(records, c)[0], KG + "claim_" + c))
    assert step.sentence.startswith(
        f"{kg.label(KG + subject)} {step.relation} {kg.label(KG + obj)} ({len(ids)} claims;"
    )
    assert step.sentence.endswith(records.claims[ranked[0]].explanation)


def test_a_step_without_claims_reads_as_a_plain_sentence(kg: KnowledgeGraph) -> None:
    found = kg.paths("ketamine", "alcohol_use_disorder", k=10)
    plain = [s for p in found.paths for s in p if not s.claims]
    assert plain
    assert all(s.sentence == f"{s.source.label} {s.relation} {s.target.label}." for s in plain)
    assert found.explanations == tuple(tuple(s.sentence for s in p) for p in found.paths)


def test_the_path_graph_holds_every_path(kg: KnowledgeGraph) -> None:
    found = kg.paths("ketamine", "alcohol_use_disorder", k=3)
    for index, p in enumerate(found.paths):
        for s in p:
            assert index in found.graph.edges[s.source.iri, s.target.iri, s.predicate]["paths"]
    assert found.graph.nodes[KETAMINE]["on_path"] is True


def test_no_path_within_the_length_is_an_empty_path_set(kg: KnowledgeGraph) -> None:
    found = kg.paths("arketamine", "alcohol_use_disorder", max_length=1)
    assert found.paths == ()
    assert found.truncated is False
    assert set(found.graph.nodes) == {KG + "arketamine", AUD}


def test_disconnected_entities_give_an_empty_path_set(tmp_path: Path) -> None:
    path = tmp_path / "islands.ttl"
    path.write_text(
        "@prefix ex: <http://example.org/> .\n@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n"
        'ex:a ex:knows ex:b . ex:c ex:knows ex:d .\nex:a rdfs:label "A" . ex:d rdfs:label "D" .\n',
        encoding="utf-8",
    )
    with KnowledgeGraph.from_files([str(path)]) as graph:
        found = graph.paths("A", "D")
        assert found.paths == ()
        assert (found.source.label, found.target.label) == ("A", "D")
        assert graph.paths("A", "http://example.org/b").paths[0][0].sentence == "A knows b."


def test_views_show_themselves_in_notebooks_as_sandboxed_pages(
    kg: KnowledgeGraph, view: Neighbourhood, tmp_path: Path
) -> None:
    """In Jupyter a view is its offline page in an iframe that may run scripts but not reach the notebook
    (no allow-same-origin); made without the graph, the page says where the evidence is; data stays escaped."""
    from html.parser import HTMLParser

    from kgexplorer.model.compare import compare

    class Frames(HTMLParser):
        def __init__(self) -> None:
            super().__init__()
            self.found: list[dict[str, str]] = []

        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            if tag == "iframe":
                self.found.append({k: v or "" for k, v in attrs})

    def frames(markup: str) -> list[dict[str, str]]:
        parser = Frames()
        parser.feed(markup)
        return parser.found

    (frame,) = frames(view._repr_html_())
    assert set(frame) == {"srcdoc", "sandbox", "title", "style"}
    assert frame["sandbox"] == "allow-scripts"
    assert "width:100%" in frame["style"]
    page = frame["srcdoc"]  # unescaped by the parser: the page itself
    assert page.startswith("<!DOCTYPE html>")
    assert "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; script-src 'sha256-" in page
    assert "<h1>Neighbourhood of Ketamine, 1 step deep" in page
    assert "open in kgexplorer for the evidence" in page
    assert '"evidence":false' in page
    assert 'class="kg-sources"' not in page  # no claims were fetched, so no sources list
    for other in (kg.paths("ketamine", "alcohol use disorder"), compare(kg, ["ketamine", "psilocybin"])):
        assert [f["sandbox"] for f in frames(other._repr_html_())] == ["allow-scripts"]

    hostile = '<img src=x onerror=alert(1)> x" onload="alert(2)'
    path = tmp_path / "hostile.ttl"
    path.write_text(
        "@prefix ex: <http://example.org/> .\n@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n"
        f"ex:a ex:knows ex:b .\nex:a rdfs:label '{hostile}' .\n",
        encoding="utf-8",
    )
    with KnowledgeGraph.from_files([str(path)]) as graph:
        markup = graph.neighbourhood("http://example.org/a")._repr_html_()
    assert "<img" not in markup  # the whole page is one attribute value
    (frame,) = frames(markup)
    assert set(frame) == {"srcdoc", "sandbox", "title", "style"}  # the quote did not end an attribute
    assert "<img src=x" not in frame["srcdoc"]  # the legend's own glyphs are <img class="kg-glyph">
    assert "&lt;img src=x onerror=alert(1)&gt; x&quot; onload=&quot;alert(2)" in frame["srcdoc"]


class _Watching:
    """A backend that remembers every IRI any query returned."""

    def __init__(self, inner: object) -> None:
        self.inner = inner
        self.seen: set[str] = set()

    def select(self, query: str, **kwargs: object) -> object:
        result = self.inner.select(query, **kwargs)  # type: ignore[attr-defined]
        self.seen.update(str(t) for row in result.rows for t in row if isinstance(t, IRI))
        return result


def test_a_full_view_counts_what_it_could_not_expand_without_fetching_it(tmp_path: Path) -> None:
    from kgexplorer.model.neighbourhood import neighbourhood

    leaves = [f"ex:a{i}_leaf{j}" for i in range(1, 4) for j in range(5)]
    path = tmp_path / "star.ttl"
    path.write_text(
        "@prefix ex: <http://example.org/> .\n"
        "ex:f ex:r ex:a1 , ex:a2 , ex:a3 .\nex:a1 ex:r ex:a2 .\n"
        + "".join(f"ex:a{leaf[4]} ex:r {leaf} .\n" for leaf in leaves)
        + 'ex:a1 ex:name "not a neighbour" .\nex:a2 a ex:Thing .\n',
        encoding="utf-8",
    )
    with KnowledgeGraph.from_files([str(path)]) as graph:
        watching = _Watching(graph._backend)
        view = neighbourhood(watching, "http://example.org/f", depth=2, per_relation=12, max_nodes=4)  # type: ignore[arg-type]
    ex = "http://example.org/"
    assert set(view.graph.nodes) == {ex + "f", ex + "a1", ex + "a2", ex + "a3"}
    assert view.graph.has_edge(ex + "a1", ex + "a2")  # edges among drawn nodes are still drawn
    assert (view.truncated, view.hidden) == (True, 15)  # the 15 leaves, counted
    assert not any(leaf.replace("ex:", ex) in watching.seen for leaf in leaves)  # … and never fetched


def test_where_a_record_was_read_and_lay_name_nodes_are_not_drawn(kg: KnowledgeGraph) -> None:
    """A study's view links its substance, condition and therapies, not the web pages it was read on; a
    substance's view shows no lay-name bookkeeping nodes (its lay names are on its card)."""
    study = kg.neighbourhood("grabski_2022_kare", depth=1)
    assert {k for _, _, k in study.graph.edges(keys=True)} <= {
        KGX + p for p in ("testedSubstance", "studiedCondition", "usedTherapy")
    }
    assert all(n.startswith(KG) for n in study.graph.nodes)
    psilocybin = kg.neighbourhood("psilocybin", depth=1, per_relation=500)
    kinds = {d["kind"] for _, d in psilocybin.graph.nodes(data=True)}
    assert "LayName" not in kinds
    assert "CareModel" not in kinds, "a node typed only as a care model is a therapy"
    assert {"Adverse event", "Drug class"} <= kinds


HUB_TTL = "\n".join(
    ["@prefix ex: <http://example.org/> .", "ex:hub a ex:Thing ."]
    + [f"ex:hub ex:links ex:n{i} . ex:n{i} a ex:Thing ." for i in range(40)]
)


@pytest.fixture(scope="module")
def hub_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("hub") / "hub.ttl"
    path.write_text(HUB_TTL, encoding="utf-8")
    return path


def test_a_hub_cut_by_max_neighbour_rows_says_so(hub_file: Path) -> None:
    """A hub with more links than the max_neighbour_rows setting (issue 13): its "+N more" count only knows the
    rows read, so the view is marked cut, names the entity and the setting, instead of a silently low count."""
    from kgexplorer.views.render import render

    with KnowledgeGraph.from_files([str(hub_file)], settings=Settings(max_neighbour_rows=25)) as small:
        cut = small.neighbourhood("http://example.org/hub")
        drawn = render(cut, settings=small.settings)
    with KnowledgeGraph.from_files([str(hub_file)]) as whole:
        full = whole.neighbourhood("http://example.org/hub")

    assert full.links_cut == ()
    assert not full.truncated
    assert cut.links_cut == ("http://example.org/hub",)
    assert cut.truncated
    assert "max_neighbour_rows" in drawn.note
    assert drawn.truncated
    shown = {n for n in cut.graph.nodes if n.startswith("http://example.org/n")}
    more = [d["count"] for _, d in cut.graph.nodes(data=True) if d["kind"] == MORE]
    assert len(shown) + sum(more) == 25  # what was read, not the 40 there are


def test_studies_fold_into_the_links_they_support(kg: KnowledgeGraph) -> None:
    """studies=False leaves out studies and source documents (nor counted in "+N more"); the links they support
    keep their claims, so their findings are still a click away."""
    shown = kg.neighbourhood("ketamine")
    folded = kg.neighbourhood("ketamine", studies=False)
    kinds = {d["kind"] for _, d in folded.graph.nodes(data=True)}
    assert {"Study", "Source document"} <= {d["kind"] for _, d in shown.graph.nodes(data=True)}
    assert not kinds & {"Study", "Source document"}
    aud = "https://w3id.org/kgexplorer/id/alcohol_use_disorder"
    focus = folded.focus
    assert [d["claims"] for d in folded.graph[focus][aud].values() if d.get("claims")]
    assert all(
        d.get("predicate") != "https://w3id.org/kgexplorer/vocab#testedSubstance"
        for _, d in folded.graph.nodes(data=True)
        if d["kind"] == "More"
    )
    study = next(n for n, d in shown.graph.nodes(data=True) if d["kind"] == "Study")
    assert kg.neighbourhood(study, studies=False).focus == study  # a study in focus is still drawn
