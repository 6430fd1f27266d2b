"""Streamlit building blocks shared by the app's pages (app.py and app_pages/).

Pages stay thin: they read input, call one kgexplorer function and show the result with these helpers.
Every string that comes from the data goes through :func:`md` (Markdown-escaped) or a widget that shows
plain text, so a label containing HTML, a script or a Markdown link shows as text.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import streamlit as st

from .errors import KgExplorerError

if TYPE_CHECKING:
    from .compare import Comparison
    from .entity import ClaimView, EntityCard
    from .knowledge_graph import KnowledgeGraph
    from .network import Neighbourhood, PathSet

__all__ = [
    "DIRECTION_BADGE",
    "DISCLAIMER",
    "claim_block",
    "disclaimer",
    "entity_card",
    "entity_picker",
    "get_graph",
    "link",
    "md",
    "network_view",
    "param",
    "set_params",
    "show_error",
    "view_table",
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


@st.cache_resource(show_spinner="Loading the knowledge graph…")
def get_graph() -> KnowledgeGraph:
    """The bundled graph, loaded once per server process and shared read-only by every session."""
    from .knowledge_graph import KnowledgeGraph

    return KnowledgeGraph.bundled()


def disclaimer() -> None:
    """The educational-content notice shown on every page."""
    st.caption("ℹ️ " + DISCLAIMER)


def show_error(exc: KgExplorerError) -> None:
    """A friendly message instead of a traceback."""
    st.warning(str(exc), icon="⚠️")


def param(name: str, default: str = "") -> str:
    """A value from the page URL (so links reproduce views)."""
    value = st.query_params.get(name, default)
    return str(value)


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
    studies = [link(s.label, s.url) for s in c.studies]
    if studies:
        st.caption("Evidence: " + "; ".join(studies))
    if c.cited_in:
        st.caption("Restated (not tested) in: " + "; ".join(md(s.label) for s in c.cited_in))
    if c.note:
        st.caption("Note: " + md(c.note))


def entity_card(card: EntityCard, *, on_select: Callable[[str], None] | None = None) -> None:
    """Render an entity card: type, definition, synonyms, identifiers and claims grouped by relation."""
    st.subheader(card.label)
    st.caption(" · ".join([card.ref.kind, *[t for t in card.types if t != card.ref.kind]]))
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
            with st.expander(f"{relation} ({len(claims)})", expanded=len(groups) <= 3):
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


def network_view(view: Neighbourhood | PathSet | Comparison, *, key: str, height: int = 540) -> str | None:
    """Show a view's nodes and edges; returns the IRI of a node the user chose (or None).

    The same nodes and edges are listed in an accessible table (screen readers, keyboard), built from the
    same graph so the two never disagree.
    """
    nodes, edges = view_table(view)
    with st.expander(f"Table of this view ({len(nodes)} nodes, {len(edges)} links)"):
        st.dataframe(nodes, hide_index=True, width="stretch", key=f"{key}_nodes")
        st.dataframe(edges, hide_index=True, width="stretch", key=f"{key}_edges")
    if getattr(view, "truncated", False):
        st.caption(
            f"Showing part of this view: {getattr(view, 'hidden', 0)} more nodes were left out to keep it "
            "readable (the max_view_nodes setting). Narrow the filters or click a node to move."
        )
    return None


def view_table(view: Neighbourhood | PathSet | Comparison) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The nodes and edges of a view as rows, for an accessible table beside the graph."""
    g = view.graph
    nodes = [
        {"name": d.get("label", n), "kind": d.get("kind", ""), "steps from focus": d.get("hops", "")}
        for n, d in g.nodes(data=True)
    ]
    edges = [
        {
            "from": g.nodes[s].get("label", s),
            "relation": d.get("label", k),
            "to": g.nodes[o].get("label", o),
            "evidence": d.get("level", ""),
            "direction": d.get("direction", ""),
            "claims": len(d.get("claims", ())),
        }
        for s, o, k, d in g.edges(keys=True, data=True)
    ]
    nodes.sort(key=lambda r: (str(r["steps from focus"]), str(r["name"]).casefold()))
    edges.sort(key=lambda r: (str(r["from"]).casefold(), str(r["relation"]), str(r["to"]).casefold()))
    return nodes, edges
