"""SPARQL workbench: write or load a query, run it safely, read the answer as a table, graph or chart, share it."""

from dataclasses import dataclass

import streamlit as st
from code_editor import code_editor

from kgexplorer import AskResult, GraphResult, KgExplorerError, QuerySyntaxError, ui
from kgexplorer.model.gallery import ANY_KIND, GalleryQuery, load_gallery
from kgexplorer.namespaces import PREFIXES, prefix_block, shorten
from kgexplorer.terms import IRI, Term
from kgexplorer.ui import lessons as ui_lessons
from kgexplorer.ui.workbench import (
    History,
    HistoryEntry,
    QueryRun,
    completions,
    decode_query,
    encode_query,
    error_excerpt,
    run_query,
)
from kgexplorer.views.result_views import ResultTable, bar_chart, downloads, result_graph, result_table

START = """# Ask the graph anything. Ctrl+Enter (⌘+Enter on a Mac) runs the query.
SELECT ?substance ?label WHERE {
  ?substance a kgx:Substance ;
             rdfs:label ?label .
}
ORDER BY ?label
LIMIT 25
"""
VIEW_NAMES = {"table": "Table", "graph": "Graph", "bar": "Bar chart"}
EDITOR_THEMES = {"light": "chrome", "dark": "one_dark"}


@dataclass(frozen=True)
class Outcome:
    """The last run shown on this page: the run and its table, or the error with the text that caused it."""

    text: str
    run: QueryRun | None = None
    table: ResultTable | None = None
    error: KgExplorerError | None = None


source = ui.data_source()
kg = source.kg
gallery = {q.name: q for q in load_gallery()}
state = st.session_state
state.setdefault("wb_version", 0)
state.setdefault("wb_history", History())
state.setdefault("wb_handled", "")


def open_node(iri: str) -> None:
    """A click on a node of the result graph: remember it; the page opens it in Explore once drawn."""
    state["wb_open_node"] = iri  # st.switch_page cannot run inside a widget callback


def load_text(text: str, question: str | None = None) -> None:
    """Put a query into the editor (a new editor instance, so it shows the new text)."""
    state["wb_text"] = text
    state["wb_question"] = question
    state["wb_version"] += 1


def declare_prefixes() -> None:
    """Write the project's PREFIX lines at the top of the query, once."""
    if not state["wb_text"].lstrip().upper().startswith("PREFIX"):
        load_text(prefix_block() + state["wb_text"], state.get("wb_question"))


if "wb_text" not in state:
    token, wanted = ui.param("q"), ui.param("g")
    try:
        shared = decode_query(token, settings=kg.settings) if token else ""
    except KgExplorerError as exc:
        shared = ""
        state["wb_url_problem"] = str(exc)
    question_name = wanted if wanted in gallery else None
    load_text(shared or (gallery[question_name].text if question_name else START), question_name)

st.title("SPARQL workbench")
ui.disclaimer()
ui.source_caption()
if problem := state.pop("wb_url_problem", None):
    st.warning(problem, icon="⚠️")

left, right = st.columns([3, 2], gap="large")
with right:
    st.markdown(f"**📚 Question gallery** ({len(gallery)} ready-made questions)")
    if not source.uses_project_vocabulary:
        st.caption("These questions use the kgexplorer vocabulary; on other data they find nothing.")
    with st.container(height=470):
        st.caption("Click a question to load it into the editor.")
        for name, q in gallery.items():
            st.button(
                f"**{ui.md(q.title)}**", key=f"wb_load_{name}", type="tertiary", on_click=load_text, args=(q.text, name)
            )
            params = f" Parameters: {', '.join(p.name for p in q.params)}." if q.params else ""
            st.caption(ui.md(q.description + params))

question: GalleryQuery | None = gallery.get(state.get("wb_question") or "")
values: dict[str, Term] = {}
texts: dict[str, str] = {}
with left:
    if question is not None:
        st.markdown(f"**{ui.md(question.title)}**")
    version = state["wb_version"]
    if state.get("wb_mounted") != version:  # the text the editor starts with; it must not change while it lives
        state["wb_mounted"] = version
        state["wb_mount_text"] = state["wb_text"]
    event = code_editor(
        state["wb_mount_text"],
        lang="sparql",
        height=[14, 28],
        key=f"wb_editor_{version}",
        response_mode="blur",
        completions=[{"caption": c.caption, "value": c.value, "meta": c.meta, "score": 500} for c in completions()],
        options={"showLineNumbers": True, "enableLiveAutocompletion": True, "wrap": True, "tabSize": 2},
        props={
            "placeholder": "SELECT … WHERE { … }",
            # Ace's own themes, not the component's default: that one loads a font from Google's servers.
            "theme": EDITOR_THEMES[st.context.theme.type or "light"],
            # The component's default top margin drifts the line numbers off their lines once text is replaced.
            "scrollMargin": [0, 0, 0, 0],
        },
    )
    st.caption(
        "Prefixes you can use without declaring them: "
        + ", ".join(f"`{p}:`" for p in PREFIXES)
        + ". The editor offers them, and the kgx: classes and properties, as you type."
    )
    if question is not None and question.params:
        st.markdown("**Parameters** (bound safely as values, never pasted into the query)")
        cols = st.columns(len(question.params))
        for col, p in zip(cols, question.params, strict=True):
            wanted = ui.param(f"v_{p.name}", p.default)
            cache = state.setdefault("wb_choices", {})  # one lookup per parameter and data source, not per rerun
            if (question.name, p.name) not in cache:
                cache[(question.name, p.name)] = p.choices(kg) if p.kind != ANY_KIND else ()
            choices = cache[(question.name, p.name)]
            key = f"wb_param_{question.name}_{p.name}"
            if choices:
                names = {c.iri: c.label for c in choices}
                options = list(names)
                picked = col.selectbox(
                    f"{p.name} ({p.kind})",
                    options,
                    index=options.index(wanted) if wanted in names else 0,
                    format_func=names.__getitem__,
                    key=key,
                )
                values[p.name] = IRI(str(picked))
            else:
                label = f"{p.name} ({p.kind}: a name or IRI)"
                texts[p.name] = col.text_input(label, value=shorten(wanted), key=key)
    b1, b2, b3 = st.columns(3)

submitted = False
if isinstance(event, dict) and event.get("id") and event["id"] != state["wb_handled"]:
    state["wb_handled"] = event["id"]
    if event.get("type") in ("submit", "blur"):
        state["wb_text"] = str(event.get("text", ""))
        submitted = event.get("type") == "submit"

clicked = b1.button("▶ Run query", type="primary", key="wb_run_button", help="Or press Ctrl+Enter in the editor")
b2.button(
    "Declare prefixes",
    key="wb_prefixes",
    help="Add the PREFIX lines to the top of the query (they work without, too)",
    on_click=declare_prefixes,
)
b3.button("Clear", key="wb_clear", on_click=lambda: load_text("", None))

if clicked or submitted:
    text = state["wb_text"]
    try:
        if texts and question is not None:
            values.update(question.resolve_values(kg, {k: v for k, v in texts.items() if v.strip()}))
        with st.spinner("Running the query…"):
            run = run_query(kg, text, question=question, values=values or None, client=ui.session_client())
            table = result_table(kg, run.result)
    except KgExplorerError as exc:
        state["wb_outcome"] = Outcome(text, error=exc)
        entry = HistoryEntry(text, source.label, f"error: {exc}", False)
    else:
        state["wb_outcome"] = Outcome(text, run, table)
        size = f"{len(table.rows):,} row{'s' * (len(table.rows) != 1)}"
        entry = HistoryEntry(text, source.label, f"{size} in {run.seconds:.2f} s", True)
        for key in ("wb_view", "wb_graph_view", "wb_table"):  # the last answer's view and selection
            state.pop(key, None)
    state["wb_history"] = state["wb_history"].add(entry, settings=kg.settings)
    share: dict[str, str | None] = {"g": question.name if question else None}
    share.update({f"v_{k}": v.n3()[1:-1] if isinstance(v, IRI) else None for k, v in values.items()})
    try:
        share["q"] = encode_query(text, settings=kg.settings)
    except KgExplorerError as exc:
        share["q"] = None
        state["wb_share_problem"] = str(exc)
    ui.set_params(**share)

outcome: Outcome | None = state.get("wb_outcome")
if outcome is not None and outcome.error is not None:
    exc = outcome.error
    st.error(str(exc), icon="🚫")
    if isinstance(exc, QuerySyntaxError) and exc.line:
        st.markdown(f"**Line {exc.line}, column {exc.column}** of your query:")
        st.code(error_excerpt(outcome.text, exc.line, exc.column), language=None)
elif outcome is not None and outcome.run is not None and outcome.table is not None:
    run, table = outcome.run, outcome.table
    m1, m2, m3 = st.columns(3)
    m1.metric("Triples" if isinstance(run.result, GraphResult) else "Rows", f"{len(table.rows):,}")
    m2.metric("Time", f"{run.seconds:.2f} s")
    m3.metric(
        "Data",
        {"bundled": "bundled graph", "files": "files", "store": "on-disk store", "endpoint": "endpoint"}[source.kind],
    )
    if run.notice:
        st.warning(run.notice, icon="✂️")
    if source.uses_project_vocabulary:  # a lesson runs on the bundled graph
        ui_lessons.add_to_lesson(None, query=outcome.text, title="What the graph answers", key="wb_add_to_lesson")
    if table.note:
        st.caption(ui.md(table.note))
    if problem := state.pop("wb_share_problem", None):
        st.caption(ui.md(problem))
    else:
        st.caption("The page's address now carries this query: copy it from the address bar to share it.")
    view = st.segmented_control(
        "Show as",
        list(run.view.available),
        default=run.view.default,
        format_func=VIEW_NAMES.__getitem__,
        key="wb_view",
    )
    st.caption(ui.md(run.view.reason))
    if view == "graph":
        if "wb_graph_view" not in state:
            state["wb_graph_view"] = result_graph(kg, run.result)
        ui.network_view(
            state["wb_graph_view"],
            key="wb_graph",
            on_select=open_node,
            export=True,
            export_parameters={"Query": run.text, "Data": source.label},
        )
        if (clicked_node := state.pop("wb_open_node", None)) and not clicked_node.startswith("_:"):
            ui.open_in_explore(clicked_node)
    elif view == "bar" and (chart := bar_chart(table)) is not None:
        st.bar_chart(list(chart.rows), x=chart.x, y=chart.y, sort=False)
    else:
        if isinstance(run.result, AskResult):
            st.markdown(f"### Answer: {'yes' if run.result.value else 'no'}")
        links = source.shared  # a link opens a new tab, which sees the app's shared data, not this session's
        config = {c: st.column_config.LinkColumn(c, display_text=r"^[^#]*#(.*)$") for c in table.link_columns()}
        picked_rows = st.dataframe(
            table.records(links=links),
            hide_index=True,
            width="stretch",
            column_config=config if links else None,
            placeholder="",
            on_select="rerun",
            selection_mode="single-row",
            key="wb_table",
        )
        rows = [r for r in (picked_rows.selection.rows if picked_rows is not None else []) if r < len(table.rows)]
        if rows:
            entities = {c.iri: c.text for c in table.rows[rows[0]] if c is not None and c.iri is not None}
            for i, (iri, label) in enumerate(entities.items()):
                if st.button(f"Open “{ui.md(label)}” in Explore", key=f"wb_open_{i}"):
                    ui.open_in_explore(iri)
        else:
            st.caption("Select a row (the box at its left) to open its entities in Explore.")
    cols = st.columns(6)
    for col, d in zip(cols, downloads(run.result), strict=False):
        col.download_button(
            f"⬇ {d.label}", d.data, file_name=d.file_name, mime=d.mime, on_click="ignore", key=f"wb_dl_{d.label}"
        )

history: History = state["wb_history"]
if len(history):
    with st.expander(f"🕘 This session's queries ({len(history)})"):
        for i, h in enumerate(history.entries):
            first = next((line for line in h.query.splitlines() if line.strip() and not line.startswith("#")), "")
            c1, c2 = st.columns([5, 1], vertical_alignment="center")
            c1.code(first[:120], language="sparql", wrap_lines=True)
            c1.caption(f"{'✅' if h.ok else '⚠️'} {ui.md(h.outcome)} · {ui.md(h.source)}")
            c2.button("Load", key=f"wb_history_{i}", on_click=load_text, args=(h.query, None))
