"""The graph on a page: a view drawn as an interactive graph with its table, and the export menus.

:func:`network_view` draws a neighbourhood, paths, a comparison or a ready drawing with the graph
component (:mod:`kgexplorer.ui.graph_component`); :func:`export_menu` and :func:`lesson_export_menu` offer
the view or a whole lesson as offline files; :func:`embed_link` is the page's address for an iframe.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Literal
from urllib.parse import urlencode

import streamlit as st

from kgexplorer.views.render import GraphEdge, GraphView

from .markdown import DISCLAIMER, md
from .session import data_source, get_graph

if TYPE_CHECKING:
    from kgexplorer.model.compare import Comparison
    from kgexplorer.model.neighbourhood import Neighbourhood, PathSet
    from kgexplorer.views.lessons import Lesson

__all__ = ["embed_link", "export_menu", "graph_first_on_phones", "lesson_export_menu", "network_view"]

# Streamlit stacks columns on a narrow screen (under 640 px) in their order; this puts the last one first.
_GRAPH_FIRST = """<style>@media (max-width: 640px) {{
  .st-key-{key} [data-testid="stHorizontalBlock"] {{ flex-direction: column-reverse; }}
}}</style>"""


def graph_first_on_phones(key: str) -> None:
    """On a phone, show the last column of the container keyed ``key`` (the graph) before the others (the card),
    so the graph is within one scroll of the top instead of under a long card."""
    st.html(_GRAPH_FIRST.format(key=html.escape(key)))


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
    ``export_parameters`` go into the page's citation). A click on an edge alone calls ``on_edge(edge)`` with
    the drawn :class:`~kgexplorer.views.render.GraphEdge` (its claims, for an evidence panel). Returns the
    drawing.
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
        summary_col, menu_col = st.columns([3, 2], vertical_alignment="center")  # room for "Export / embed"
        summary_col.caption(md(drawing.summary))
        with menu_col:
            export_menu(view, key=key, drawing=drawing, parameters=export_parameters)
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
    drawing: GraphView,
    parameters: Mapping[str, str] | None = None,
) -> None:
    """An "Export / embed" menu: download the view as offline HTML, PNG or SVG, or copy embed code.

    The files are made only when their button is pressed (Streamlit runs the callable then), so an
    unused menu costs nothing. ``drawing`` is the view as the page drew it (:func:`network_view`): the files
    are made from it, never drawn again, and its one-line summary names them.
    """
    from kgexplorer.views.export import export_view, suggested_name

    kg = get_graph()
    with st.popover("Export / embed", icon=":material/download:", width="stretch"):
        st.caption("Every file works offline and carries its sources and a citation. " + DISCLAIMER)
        for fmt, label, help_text in _FORMATS:

            def make(fmt: Literal["html", "png", "svg"] = fmt) -> bytes:  # made when the button is pressed
                return export_view(view, kg=kg, format=fmt, parameters=parameters, drawn=drawing).data

            st.download_button(
                label,
                data=make,
                file_name=suggested_name(drawing.summary, format=fmt),
                mime={"html": "text/html", "png": "image/png", "svg": "image/svg+xml"}[fmt],
                help=help_text,
                on_click="ignore",
                key=f"{key}_export_{fmt}",
                width="stretch",
            )
        summary = drawing.summary
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
