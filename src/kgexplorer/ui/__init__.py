"""Streamlit building blocks shared by the app's pages (app.py and app_pages/).

Pages stay thin: they read input, call one kgexplorer function and show the result with these helpers.
Every string that comes from the data goes through :func:`md` (Markdown-escaped) or a widget that shows
plain text, so a label containing HTML, a script or a Markdown link shows as text.

Each browser session works on one data source (:mod:`kgexplorer.ui.session`): by default the bundled
graph, loaded once per server process and shared read-only by every session; or the session's own
uploaded files or remote SPARQL endpoint, kept in that session's state only and closed when replaced.
Pages get it with :func:`get_graph`.

The helpers live by concept and are re-exported here: text (:mod:`~kgexplorer.ui.markdown`), the session's
data (:mod:`~kgexplorer.ui.session`), the graph on a page and its export menus
(:mod:`~kgexplorer.ui.graph_views`); the widgets below are small enough to stay.
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import streamlit as st

from kgexplorer.errors import KgExplorerError
from kgexplorer.model.entity import ROWS_CUT_NOTE
from kgexplorer.model.lay_names import GenusMatch
from kgexplorer.model.suggestions import suggestions

from .graph_views import embed_link, export_menu, graph_first_on_phones, lesson_export_menu, network_view
from .markdown import DIRECTION_BADGE, DISCLAIMER, entity_link, link, md
from .session import data_source, default_source, get_graph, set_data_source
from .theme import page_style

if TYPE_CHECKING:
    from kgexplorer.knowledge_graph import KnowledgeGraph
    from kgexplorer.model.entity import ClaimView, EntityCard
    from kgexplorer.views.render import GraphEdge

# How long the typing pauses before a live search box commits (type-ahead). Each commit reruns the page (the
# card follows the best suggestion), so a little longer than Streamlit's 250 ms default.
_TYPE_AHEAD_PAUSE = "400ms"
# What Streamlit imports to read that pause (``pd.Timedelta``): 0.6-1.2 s of the first page (pyarrow with it).
_IMPORTED_FOR_THE_PAUSE = ("pandas",)
_IMPORTS: list[threading.Thread] = []  # the one thread import_in_background starts in this process
_IMPORTS_LOCK = threading.Lock()

__all__ = [
    "DIRECTION_BADGE",
    "DISCLAIMER",
    "claim_block",
    "data_source",
    "default_source",
    "disclaimer",
    "edge_evidence",
    "embed_link",
    "entity_card",
    "entity_link",
    "entity_picker",
    "export_menu",
    "get_graph",
    "graph_first_on_phones",
    "import_in_background",
    "int_param",
    "lesson_export_menu",
    "link",
    "md",
    "network_view",
    "open_in_explore",
    "page_style",
    "param",
    "require_project_vocabulary",
    "session_client",
    "set_data_source",
    "set_params",
    "short_name",
    "show_error",
    "source_caption",
]


def import_in_background() -> threading.Thread:
    """Start importing, in a daemon thread, what the first page's search box will need; returns the thread
    (the same one on every later call: app.py calls this on each run, and the process imports once).

    Streamlit reads the box's type-ahead pause (``live="400ms"``) with pandas, a 0.6-1.2 s import the first
    page otherwise waits for in the middle of its run; app.py starts it before anything else, so it overlaps
    the app's own imports and the graph's opening (docs/decisions/app-cold-start.md).
    """
    with _IMPORTS_LOCK:
        if not _IMPORTS:

            def run() -> None:
                for name in _IMPORTED_FOR_THE_PAUSE:
                    try:
                        importlib.import_module(name)
                    except ImportError:  # the page imports it again, and shows the error there
                        return

            _IMPORTS.append(threading.Thread(target=run, name="kgexplorer-imports", daemon=True))
            _IMPORTS[0].start()
        return _IMPORTS[0]


def source_caption() -> None:
    """One line naming the data this session works on."""
    source = data_source()
    icon = {"bundled": "📦", "files": "📄", "store": "🗄️", "endpoint": "🌐"}[source.kind]
    st.caption(f"{icon} Data: {md(source.label)}")


def require_project_vocabulary(feature: str) -> None:
    """Stop the page with a note when this session's data does not use the kgexplorer vocabulary."""
    source = data_source()
    if source.uses_project_vocabulary:
        return
    st.info(
        f"{feature} needs data in the kgexplorer vocabulary (substances, conditions, claims with their evidence), "
        f"and {md(source.label)} does not use it. Switch back to the bundled graph on the Data page, or use "
        "Explore, Connections and the SPARQL workbench, which work on any RDF."
    )
    st.stop()


def open_in_explore(iri: str) -> None:
    """Go to the Explore page focused on ``iri``, in this session (so uploaded data stays in use)."""
    st.session_state["explore_focus"] = iri
    st.session_state["explore_expanded"] = set()
    st.switch_page("app_pages/explore.py")


def short_name(iri: str) -> str:
    """How an entity is written in a page URL: its local name in the bundled namespace, else the full IRI.

    >>> short_name("https://w3id.org/kgexplorer/id/ketamine"), short_name("http://example.org/a")
    ('ketamine', 'http://example.org/a')
    """
    from kgexplorer.namespaces import KG

    local = iri[len(KG) :] if iri.startswith(KG) else ""
    return local if local and all(c.isalnum() or c in "_-." for c in local) else iri


def disclaimer() -> None:
    """The educational-content notice shown on every page."""
    st.caption("ℹ️ " + DISCLAIMER)


def show_error(exc: KgExplorerError) -> None:
    """A friendly message instead of a traceback."""
    st.warning(md(str(exc)), icon="⚠️")  # messages quote what the user typed or put in the URL


def session_client() -> str | None:
    """This browser session as the client of its queries, so the query workers are shared fairly between
    sessions (kgexplorer.engine.scheduler): one session's runaway queries cannot hold every worker of the graph
    the sessions share. None outside a Streamlit session."""
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    ctx = get_script_run_ctx(suppress_warning=True)
    return None if ctx is None else f"session:{ctx.session_id}"


def param(name: str, default: str = "") -> str:
    """A value from the page URL (so links reproduce views)."""
    value = st.query_params.get(name, default)
    return str(value)


def int_param(name: str, default: int, *, lowest: int, highest: int) -> int:
    """A whole number from the page URL, kept within ``lowest`` … ``highest``; ``default`` when the URL's
    value is missing or not a number (a hand-edited or old link never breaks the page)."""
    text = param(name).strip()
    value = int(text) if text.lstrip("-").isdigit() and len(text) < 12 else default
    return min(max(value, lowest), highest)


def set_params(**values: str | int | Sequence[str] | None) -> None:
    """Write view state into the URL; empty values are removed."""
    for key, value in values.items():
        if value is None or value == "" or (isinstance(value, (list, tuple)) and not value):
            if key in st.query_params:
                del st.query_params[key]
        elif isinstance(value, (list, tuple)):
            st.query_params[key] = ",".join(str(v) for v in value)
        elif st.query_params.get(key) != str(value):
            st.query_params[key] = str(value)


def entity_picker(
    kg: KnowledgeGraph,
    *,
    key: str,
    label: str,
    default: str = "",
    kinds: Sequence[str] | None = None,
    placeholder: str = "Type a name, e.g. ketamine, Spravato, AUD",
    live: bool = False,
) -> str | None:
    """A search box with suggestions over labels and synonyms; returns the chosen entity's IRI.

    The text box (key ``{key}_text``) suggests matches in a select box (key ``{key}_pick``), each with its kind
    and the name that matched (:func:`kgexplorer.model.suggestions.suggestions`). With ``live`` the suggestions
    follow the typing (type-ahead): the box commits after a short pause, not only on Enter.
    """
    text = st.text_input(
        label, value=default, key=f"{key}_text", placeholder=placeholder, live=_TYPE_AHEAD_PAUSE if live else False
    )
    if not text.strip():
        return None
    found = {s.entity: s for s in suggestions(kg, text, kinds=kinds)}
    if not found:
        st.info(f"Nothing matches “{md(text)}”. Try a shorter word or a synonym (e.g. 'ketamine', 'PTSD').")
        return None
    picked = str(
        st.selectbox(
            "Matches",
            list(found),
            format_func=lambda iri: found[iri].text,
            key=f"{key}_pick",
            label_visibility="collapsed",
        )
    )
    # A genus (Psilocybe) finds the substance in it, but is never shown as its synonym: it is said in words.
    if found[picked].genus:
        st.info(md(GenusMatch(name=found[picked].matched, entity=picked, label=found[picked].label).sentence))
    return picked


def claim_block(c: ClaimView) -> None:
    """One claim: the other end, the evidence and its studies."""
    years = "–".join(dict.fromkeys((c.years[0], c.years[-1]))) if c.years else ""
    facts = " · ".join(
        x
        for x in (
            c.level,
            DIRECTION_BADGE.get(c.direction, c.direction),
            years,
            f"N = {c.n:,}" if c.n else "",
            ", ".join(c.species),
        )
        if x
    )
    flags = (" · ⚠️ contested" if c.contested else "") + (
        " · partially verified" if c.status == "partially verified" else ""
    )
    st.markdown(f"**{md(c.other.label)}** — {md(facts)}{flags}")
    if c.explanation:
        st.markdown(md(c.explanation))
    if c.studies:
        # Each source's own finding: a claim that is mixed overall may rest on a null trial and a positive one.
        lines = [
            link(s.label, s.url)
            + (f" — {md(DIRECTION_BADGE.get(s.direction, s.direction))}" if s.direction else "")
            + (f": {md(s.result)}" if s.result else "")
            for s in c.studies
        ]
        st.caption("Evidence:  \n" + "  \n".join(lines))
    if c.cited_in:
        st.caption("Restated (not tested) in: " + "; ".join(md(s.label) for s in c.cited_in))
    if c.note:
        st.caption("Note: " + md(c.note))


def edge_evidence(kg: KnowledgeGraph, edge: GraphEdge, *, labels: Mapping[str, str], key: str) -> bool:
    """The evidence behind one drawn link (a clicked edge): each claim with every source's own reported
    result. Returns False when the reader closes it."""
    with st.container(border=True):
        head, close = st.columns([5, 1], vertical_alignment="center")
        head.markdown(
            f"**Evidence for the link** {md(labels.get(edge.source, edge.source))} — {md(edge.relation)} → "
            f"{md(labels.get(edge.target, edge.target))}"
        )
        if close.button("Close", key=f"{key}_close", icon=":material/close:"):
            return False
        if not edge.claims:
            st.caption("This link is a record of the graph (a study, an event, a status), not a claim with evidence.")
            return True
        try:
            claims = [c for c in kg.entity(edge.source).claims if c.iri in set(edge.claims)]
        except KgExplorerError as exc:
            show_error(exc)
            return True
        for c in claims:
            claim_block(c)
    return True


def entity_card(card: EntityCard) -> None:
    """Render an entity card: type, definition, synonyms, identifiers and claims grouped by relation."""
    st.subheader(md(card.label), anchor=False)
    st.caption(md(" · ".join([card.ref.kind, *[t for t in card.types if t != card.ref.kind]])))
    if card.definition:
        st.markdown(md(card.definition))
    if card.synonyms:
        st.markdown("**Also called:** " + md(", ".join(card.synonyms)))
    if card.identifiers:
        ids = [f"{md(i.scheme)}: {link(i.value, i.url)}" for i in card.identifiers]
        st.markdown("**Identifiers:** " + " · ".join(ids))
    groups = card.claims_by_relation()
    if groups:
        st.markdown("#### What the evidence says")
        for relation, claims in groups.items():
            with st.expander(f"{md(relation)} ({len(claims)})", expanded=len(groups) <= 3):
                for c in claims:
                    claim_block(c)
    if card.attributes:
        with st.expander("Details"):
            for a in card.attributes:
                st.markdown(f"**{md(a.label)}:** {md(a.value)}")
    if card.links:
        with st.expander(f"Linked records ({len(card.links)})"):
            for lk in card.links:
                arrow = "→" if lk.direction == "out" else "←"
                st.markdown(f"{arrow} {md(lk.label)}: **{md(lk.other.label)}** ({md(lk.other.kind)})")
    if card.rows_cut:
        st.caption("✂️ " + md(ROWS_CUT_NOTE))
    if card.sources:
        with st.expander("Sources"):
            for s in card.sources:
                st.markdown(f"- {link(s, s)}")
