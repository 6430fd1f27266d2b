"""Streamlit building blocks shared by the app's pages (app.py and app_pages/).

Pages stay thin: they read input, call one kgexplorer function and show the result with these helpers.
Every string that comes from the data goes through :func:`md` (Markdown-escaped) or a widget that shows
plain text, so a label containing HTML, a script or a Markdown link shows as text.

Each browser session works on one data source (:mod:`kgexplorer.ui.data_sources`): by default the bundled
graph, loaded once per server process and shared read-only by every session; or the session's own
uploaded files or remote SPARQL endpoint, kept in that session's state only and closed when replaced.
Pages get it with :func:`get_graph`.
"""

from __future__ import annotations

import contextlib
import html
import os
import re
import threading
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Literal
from urllib.parse import urlencode

import streamlit as st

from kgexplorer.data_options import APP_SOURCE_VARIABLE, DataOptions
from kgexplorer.errors import KgExplorerError
from kgexplorer.views.render import GraphEdge, GraphView

from .data_sources import DataSource, open_app_source

if TYPE_CHECKING:
    from kgexplorer.knowledge_graph import KnowledgeGraph
    from kgexplorer.model.compare import Comparison
    from kgexplorer.model.entity import ClaimView, EntityCard
    from kgexplorer.model.neighbourhood import Neighbourhood, PathSet
    from kgexplorer.views.lessons import EntityLink, Lesson

__all__ = [
    "DIRECTION_BADGE",
    "DISCLAIMER",
    "bundled_graph",
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
    "int_param",
    "lesson_export_menu",
    "link",
    "md",
    "network_view",
    "open_in_explore",
    "param",
    "require_project_vocabulary",
    "session_client",
    "set_data_source",
    "set_params",
    "short_name",
    "show_error",
    "source_caption",
]

DISCLAIMER = (
    "Educational content about research evidence, **not medical advice**. Do not use it to make decisions "
    "about treatment; talk to a qualified clinician."
)
DIRECTION_BADGE = {
    "supports": "✅ supports",
    "mixed": "🟧 mixed",
    "null": "⬜ null (no difference)",
    "against": "🟥 against",
    "unclear": "❔ unclear (not established)",
    "": "",
}
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$])")


def md(text: object) -> str:
    """Escape a data string for st.markdown so it shows as plain text (no HTML, links or formatting).

    >>> md("<img src=x onerror=alert(1)> [a](javascript:x)")
    '\\\\<img src=x onerror=alert\\\\(1\\\\)\\\\> \\\\[a\\\\]\\\\(javascript:x\\\\)'
    """
    return _MD_SPECIAL.sub(r"\\\1", str(text).replace("\r", " ").replace("\n", " "))


def link(label: object, url: str | None) -> str:
    """A Markdown link with an escaped label, for http(s) URLs only; anything else shows as plain text.

    >>> link("Dakwar 2019", "https://doi.org/10.1016/S0740-5472(02)00275-1")
    '[Dakwar 2019](https://doi.org/10.1016/S0740-5472%2802%2900275-1)'
    >>> link("x", "javascript:alert(1)")
    'x'
    """
    if not url or not url.startswith(("https://", "http://")):
        return md(label)
    # Percent-encode anything that could end the Markdown link target: parentheses, quotes, spaces, brackets.
    safe = "".join(c if c.isalnum() or c in "-._~:/?#@!$&*+,;=%" else f"%{ord(c):02X}" for c in url)
    return f"[{md(label)}]({safe})"


def entity_link(target: EntityLink) -> str:
    """A lesson's entity link as a Markdown link to that entity in Explore (a relative address, so it stays
    in this app).

    >>> from kgexplorer.views.lessons import EntityLink
    >>> entity_link(EntityLink("alcohol use disorder", "alcohol_use_disorder"))
    '[alcohol use disorder](./explore?e=alcohol_use_disorder)'
    """
    return f"[{md(target.text)}](./explore?{urlencode({'e': target.entity})})"


_SOURCE_KEY = "kg_data_source"
# Page state that names entities of one data source; it means nothing once the source changes.
_PER_SOURCE_KEYS = (
    "explore_focus",
    "explore_last_pick",
    "explore_written_e",
    "explore_expanded",
    "explore_kinds",
    "explore_relations",
    "wb_outcome",
    "wb_choices",
    "wb_graph_view",
    "wb_open_node",
)


@st.cache_resource(show_spinner="Loading the knowledge graph…")
def default_source() -> DataSource:
    """The app's data for every session, opened once per server process and shared read-only: the bundled
    graph, or what ``kgexplorer app --data/--store/--endpoint`` named (:class:`~kgexplorer.data_options.DataOptions`).
    """
    source = open_app_source(DataOptions.from_json(os.environ.get(APP_SOURCE_VARIABLE)))
    # The search index and a query worker get ready while the first page draws (on Hetionet the index
    # takes about 2 s); a search that comes sooner waits for it instead of building its own.
    threading.Thread(target=_warm_up, args=(source.kg,), name="kgexplorer-warm-up", daemon=True).start()
    return source


def _warm_up(kg: KnowledgeGraph) -> None:
    # Best effort: if this fails, the same work fails again in the page that needs it, which shows the error.
    with contextlib.suppress(Exception):
        kg.warm_up()


def bundled_graph() -> KnowledgeGraph:
    """The graph of :func:`default_source` (the bundled graph unless the app was started with other data)."""
    return default_source().kg


def data_source() -> DataSource:
    """This session's data source: its uploaded files or endpoint, else the app's shared default data."""
    source = st.session_state.get(_SOURCE_KEY)
    if isinstance(source, DataSource):
        return source
    return default_source()


def get_graph() -> KnowledgeGraph:
    """The graph this session works on (see :func:`data_source`)."""
    return data_source().kg


def set_data_source(source: DataSource | None) -> None:
    """Make ``source`` this session's data (None: back to the bundled graph); the one it replaces is closed."""
    old = st.session_state.get(_SOURCE_KEY)
    if source is None or source.shared:
        st.session_state.pop(_SOURCE_KEY, None)
    else:
        st.session_state[_SOURCE_KEY] = source
    if isinstance(old, DataSource) and old is not source:
        old.close()
    for key in _PER_SOURCE_KEYS:
        st.session_state.pop(key, None)


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
) -> str | None:
    """A search box with suggestions over labels and synonyms; returns the chosen entity's IRI.

    The text box (key ``{key}_text``) suggests matches in a select box (key ``{key}_pick``).
    """
    text = st.text_input(label, value=default, key=f"{key}_text", placeholder=placeholder)
    if not text.strip():
        return None
    hits = kg.search(text, limit=12, kinds=kinds)
    if not hits:
        st.info(f"Nothing matches “{md(text)}”. Try a shorter word or a synonym (e.g. 'ketamine', 'PTSD').")
        return None
    options = [h.iri for h in hits]
    names = {
        h.iri: f"{h.label} · {h.kind}" + (f" (matched “{h.matched}”)" if h.matched != h.label else "") for h in hits
    }
    return str(
        st.selectbox("Matches", options, format_func=names.__getitem__, key=f"{key}_pick", label_visibility="collapsed")
    )


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
    if card.sources:
        with st.expander("Sources"):
            for s in card.sources:
                st.markdown(f"- {link(s, s)}")


def network_view(
    view: Neighbourhood | PathSet | Comparison | GraphView,
    *,
    key: str,
    height: int = 540,
    expanded_key: str | None = None,
    on_select: Callable[[str], None] | None = None,
    on_edge: Callable[[GraphEdge], None] | None = None,
    export: bool = False,
    export_parameters: Mapping[str, str] | None = None,
) -> GraphView:
    """Draw a view as an interactive graph, with the same nodes and edges as an accessible table.

    A click on an entity calls ``on_select(iri)``. A click on a "+N more" node adds its group to the
    session-state set named by ``expanded_key`` (pass that set to
    ``KnowledgeGraph.neighbourhood(expanded=…)``). Both run inside the component's callback, i.e. before
    the page script reruns, so the page draws the new state in that same run: no second rerun, and the
    address bar (set by :func:`set_params`) always matches what is shown (a ``st.rerun()`` after a
    component click loses the query-string update: streamlit/streamlit#7961). A ready
    :class:`GraphView` (e.g. a query result drawn by :func:`kgexplorer.views.result_views.result_graph`) is drawn
    as it is. With ``export`` (for a neighbourhood, paths or a comparison) an "Export / embed" menu offers
    the view as offline HTML, PNG or SVG and the code to embed it (:func:`export_menu`;
    ``export_parameters`` go into the page's citation). Returns the drawing.
    """
    from kgexplorer.views.render import render

    from .graph_component import graph_view

    drawing = view if isinstance(view, GraphView) else render(view, settings=get_graph().settings)

    # The closure keeps *this* drawing: Streamlit calls the callback registered by the run that drew
    # the graph the user clicked, so the node id is looked up in the view they saw.
    def on_click(node_id: str) -> None:
        node = drawing.node(node_id)
        if node is None:
            return
        if node.expands is not None:
            if expanded_key is not None:
                st.session_state[expanded_key] = {*st.session_state.get(expanded_key, set()), node.expands}
            return
        if on_select is not None:
            on_select(node_id)

    if export:
        summary_col, menu_col = st.columns([4, 1], vertical_alignment="center")
        summary_col.caption(md(drawing.summary))
        with menu_col:
            export_menu(view, key=key, summary=drawing.summary, parameters=export_parameters)
    else:
        st.caption(md(drawing.summary))
    if drawing.note:
        st.caption(md(drawing.note))

    def on_edge_click(edge_id: str) -> None:
        edge = drawing.edge(edge_id)
        if edge is not None and on_edge is not None:
            on_edge(edge)

    graph_view(drawing, key=key, height=height, on_click=on_click, on_edge_click=on_edge_click)
    table = drawing.table()
    with st.expander(f"Table of this view ({len(table.nodes)} nodes, {len(table.edges)} links)"):
        st.dataframe(
            [{"name": n.label, "kind": n.kind, "steps from focus": n.hops} for n in table.nodes],
            hide_index=True,
            width="stretch",
            key=f"{key}_nodes",
        )
        st.dataframe(
            [
                {
                    "from": e.source,
                    "relation": e.relation,
                    "to": e.target,
                    "evidence": e.evidence,
                    "direction": e.direction,
                    "claims": e.claims,
                }
                for e in table.edges
            ],
            hide_index=True,
            width="stretch",
            key=f"{key}_edges",
        )
    return drawing


_FORMATS: tuple[tuple[Literal["html", "png", "svg"], str, str], ...] = (
    ("html", "Web page (.html)", "Interactive and offline: graph, legend, the sources of every link, citation."),
    ("png", "Picture (.png)", "For slides and handouts."),
    ("svg", "Scalable picture (.svg)", "For print and for editing in a drawing program."),
)


def export_menu(
    view: Neighbourhood | PathSet | Comparison | GraphView,
    *,
    key: str,
    summary: str,
    parameters: Mapping[str, str] | None = None,
) -> None:
    """An "Export / embed" menu: download the view as offline HTML, PNG or SVG, or copy embed code.

    The files are made only when their button is pressed (Streamlit runs the callable then), so an
    unused menu costs nothing. ``summary`` (the drawing's one-line description) names the files.
    """
    from kgexplorer.views.export import export_view, suggested_name

    kg = get_graph()
    with st.popover("Export / embed", icon=":material/download:", width="stretch"):
        st.caption("Every file works offline and carries its sources and a citation. " + DISCLAIMER)
        for fmt, label, help_text in _FORMATS:

            def make(fmt: Literal["html", "png", "svg"] = fmt) -> bytes:  # made when the button is pressed
                return export_view(view, kg=kg, format=fmt, parameters=parameters).data

            st.download_button(
                label,
                data=make,
                file_name=suggested_name(summary, format=fmt),
                mime={"html": "text/html", "png": "image/png", "svg": "image/svg+xml"}[fmt],
                help=help_text,
                on_click="ignore",
                key=f"{key}_export_{fmt}",
                width="stretch",
            )
        html_name = suggested_name(summary, format="html")
        st.markdown("**Embed the downloaded page** in a course page (upload it next to the page):")
        st.code(
            f'<iframe src="{html_name}" title="{html.escape(summary)}" style="width:100%; height:640px; border:0"\n'
            '        sandbox="allow-scripts"></iframe>',
            language="html",
        )
        if not data_source().shared:
            # An upload or a session's endpoint lives in this browser session only: a live link opens
            # the bundled graph (or nothing) for anyone else, so offer only the downloaded page.
            st.info(
                "This view shows data that only this browser session holds (your upload or endpoint), so a "
                "live embed would not show it to anyone else. Embed the downloaded web page above instead."
            )
        elif live := embed_link():
            st.markdown("**Or embed this live view** (it needs this app to stay online):")
            st.code(
                f'<iframe src="{html.escape(live)}" title="{html.escape(summary)}"\n'
                '        style="width:100%; height:720px; border:0"></iframe>',
                language="html",
            )


def lesson_export_menu(lesson: Lesson, *, key: str) -> None:
    """Download a whole lesson: an offline page (live graphs, questions that answer in place) or a printable
    handout (pictures instead of graphs, an answer key at the end). Made when a button is pressed."""
    from kgexplorer.views.lesson_pages import export_lesson_handout, export_lesson_html

    kg = get_graph()
    with st.popover("Export this lesson", icon=":material/download:"):
        st.caption("Both files work offline and cite their sources. " + DISCLAIMER)
        st.download_button(
            "Lesson as one web page (.html)",
            data=lambda: export_lesson_html(lesson, kg=kg),
            file_name=f"{lesson.slug}.html",
            mime="text/html",
            on_click="ignore",
            key=f"{key}_html",
            width="stretch",
        )
        st.download_button(
            "Printable handout (.html, print to PDF)",
            data=lambda: export_lesson_handout(lesson, kg=kg),
            file_name=f"{lesson.slug}-handout.html",
            mime="text/html",
            on_click="ignore",
            key=f"{key}_handout",
            width="stretch",
        )


def embed_link(*, embedded: bool = True) -> str | None:
    """This page's address with its current parameters, plus ``embed=true`` (Streamlit's chrome-less
    mode, for an iframe) unless ``embedded`` is false; None outside a browser session (e.g. in AppTest,
    where there is no address)."""
    base = st.context.url
    if not base:
        return None
    params = {k: st.query_params[k] for k in st.query_params} | ({"embed": "true"} if embedded else {})
    return f"{base}?{urlencode(params)}" if params else base
