"""Explore (home): find an entity, read its card and evidence, and walk its neighbourhood graph.

Opened with ``embed=true`` (an iframe in a course page) it shows only the graph of the entity in the
address, with the notice and a link to the full app: the view an educator chose, without the controls.
"""

import streamlit as st

from kgexplorer import KgExplorerError, ui
from kgexplorer.evidence import LEVELS
from kgexplorer.model.relations import relation_key
from kgexplorer.ui import lessons as ui_lessons
from kgexplorer.ui.address import ExploreAddress, explore_params, read_explore_address
from kgexplorer.views.lessons import FocusView
from kgexplorer.views.render import GraphEdge


def focus_on(iri: str) -> None:
    """A click on a node in the graph: move the focus there (runs before the page redraws)."""
    st.session_state["explore_focus"] = iri
    st.session_state["explore_expanded"] = set()
    st.session_state["explore_edge"] = None


def open_edge(edge: GraphEdge) -> None:
    """A click on an edge: open the evidence behind that link under the graph."""
    st.session_state["explore_edge"] = edge


source = ui.data_source()
kg = source.kg
ours = source.uses_project_vocabulary
embedded = bool(st.context.is_embedded)
if not embedded:
    st.title("Explore", anchor=False)  # no heading link: after the skip link, the next Tab stop is search
ui.disclaimer()

kinds_all = kg.kinds()
address = read_explore_address(st.query_params.to_dict(), kinds=kinds_all, max_depth=kg.settings.max_depth)
if address.entity and address.entity != st.session_state.get("explore_written_e"):
    # The address changed from outside (back/forward button, a pasted link): it wins over the session.
    st.session_state["explore_focus"] = address.entity
    st.session_state["explore_expanded"] = set()
if (last := st.session_state.get("explore_last_pick")) and st.session_state.get("explore_focus") != last:
    # A click or the back button moved the focus away from what the search box names: empty the box, so it
    # never names another entity than the card, and searching that name again finds it again.
    st.session_state["explore_text"] = ""
    st.session_state["explore_last_pick"] = None

picked = None
if embedded:
    pass  # the address names the entity; an embedded view has no search box
elif ours:
    picked = ui.entity_picker(kg, key="explore", label="Search substances, conditions, mechanisms, therapies, studies…")
else:
    ui.source_caption()
    picked = ui.entity_picker(kg, key="explore", label="Search your data by name", placeholder="Type a name or an IRI")
if picked and picked != st.session_state.get("explore_last_pick"):
    st.session_state["explore_last_pick"] = picked
    st.session_state["explore_focus"] = picked
    st.session_state["explore_expanded"] = set()
    st.session_state["explore_edge"] = None
elif not picked and str(st.session_state.get("explore_text", "")).strip():
    st.stop()  # nothing matches what was typed: the picker says so, and no earlier card reads as the answer
focus_name = st.session_state.get("explore_focus") or address.entity
if not focus_name:
    examples = "for example **ketamine**, **alcohol use disorder** or **NMDA**" if ours else "by its name or IRI"
    st.info(f"Start by searching for something, {examples}. Then click any node in the graph to move there.")
    st.stop()
try:
    card = kg.entity(focus_name)  # resolved once per run; every widget below uses card.iri
except KgExplorerError as exc:
    ui.show_error(exc)
    st.stop()
st.session_state["explore_focus"] = card.iri

level_keys = {lv.label: lv.key for lv in LEVELS}
wanted_kinds = list(address.kinds)
wanted_level = next((lv.label for lv in LEVELS if lv.key == address.min_evidence), "any")
wanted_relations = list(address.relations)
if embedded:
    st.subheader(card.label, anchor=False)
    graph_area = st.container()
    depth, kinds, min_level = address.depth, wanted_kinds, wanted_level
    relations = wanted_relations
else:
    with st.container(key="explore_columns"):
        left, graph_area = st.columns([2, 3], gap="large")
    ui.graph_first_on_phones("explore_columns")
    # The filters fold away, so the graph sits in the first screen; a link with filters opens them.
    filtering = address.depth != 1 or bool(wanted_kinds or wanted_relations) or wanted_level != "any"
    with graph_area, st.expander("Filters: depth, kinds, relations, evidence", expanded=filtering):
        depth = st.slider(
            "Depth (steps from the focus)",
            1,
            kg.settings.max_depth,
            address.depth,
            key="explore_depth",
            help="How many steps from the focus to draw; the deepest is the max_depth setting.",
        )
        kinds = st.multiselect(
            "Show only these kinds",
            [k for k in kinds_all if k not in ("Claim", "Study result")],
            default=wanted_kinds,
            key="explore_kinds",
        )
        # A relation picked for another focus stays picked (and in the address) until it is cleared.
        picked_before = [*st.session_state.get("explore_relations", []), *wanted_relations]
        try:
            offered = {r.iri: f"{r.label} ({r.total})" for r in kg.relations(card.iri)}
            offered |= {i: f"{kg.label(i)} (0)" for i in dict.fromkeys(picked_before) if i not in offered}
        except KgExplorerError as exc:
            ui.show_error(exc)
            offered = {i: i for i in dict.fromkeys(picked_before)}
        relations = st.multiselect(
            "Show only these relations",
            list(offered),
            default=wanted_relations,
            format_func=offered.__getitem__,
            key="explore_relations",
            help="Links of the focus by relation, with how many it has (both directions).",
        )
        min_level = "any"
        if ours:  # evidence levels exist only in the kgexplorer vocabulary
            min_level = st.select_slider(
                "Weakest evidence to show",
                ["any"] + [lv.label for lv in LEVELS],
                value=wanted_level,
                key="explore_level",
                help="Hide evidence links weaker than this level (1 = strongest).",
            )
    with left:  # drawn after the filters, so the card shows the claims the evidence filter keeps
        ui.entity_card(card.at_least(level_keys.get(min_level)))
        if min_level != "any":
            st.caption(f"Only claims with evidence at “{ui.md(min_level)}” or stronger (the evidence filter).")
with graph_area:
    studies = (
        address.studies
        if embedded
        else st.toggle(
            "Show studies and sources as nodes",
            value=address.studies,
            key="explore_studies",
            help="Studies and source documents are folded into the links they support: click a link for its sources "
            "and what each reported.",
        )
    )
    try:
        view = kg.neighbourhood(
            card.iri,
            studies=studies,
            depth=depth,
            kinds=kinds or None,
            relations=relations or None,
            min_evidence=level_keys.get(min_level),
            expanded=st.session_state.get("explore_expanded", set()),
        )
    except KgExplorerError as exc:
        ui.show_error(exc)
        st.stop()
    st.session_state["explore_written_e"] = ui.short_name(card.iri)
    shown = ExploreAddress(
        entity=st.session_state["explore_written_e"],
        depth=depth,
        kinds=tuple(kinds),
        min_evidence=level_keys.get(min_level),
        relations=tuple(relations),
        studies=studies,
    )
    ui.set_params(**explore_params(shown))
    if relations and view.graph.number_of_nodes() == 1:
        st.info(
            f"{ui.md(card.label)} has no links of the chosen relations within these filters: "
            "clear “Show only these relations” to see all its links."
        )
    drawing = ui.network_view(
        view,
        key="explore_graph",
        expanded_key="explore_expanded",
        on_select=focus_on,
        on_edge=open_edge,
        export=not embedded,
    )
    edge = st.session_state.get("explore_edge")
    if edge is not None and not embedded and drawing.edge(edge.id) is not None:
        labels = {n.id: n.label for n in drawing.nodes}
        if not ui.edge_evidence(kg, edge, labels=labels, key="explore_edge_panel"):
            st.session_state["explore_edge"] = None
            st.rerun()
    if ours and not embedded:
        ui_lessons.add_to_lesson(
            FocusView(
                focus=ui.short_name(card.iri),
                depth=depth,
                kinds=tuple(kinds),
                relations=tuple(relation_key(i) for i in relations),
                min_evidence=level_keys.get(min_level),
            ),
            title=card.label,
            key="explore_add_to_lesson",
        )
    if embedded and (full := ui.embed_link(embedded=False)):
        st.markdown(f"[Open in kgexplorer for the evidence behind every link]({full})")
