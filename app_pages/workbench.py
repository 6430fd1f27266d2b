"""SPARQL workbench: write or load a query, run it safely, read the answer as a table, graph or chart, share it."""

import streamlit as st

from kgexplorer import AskResult, GraphResult, KgExplorerError, QuerySyntaxError, ui
from kgexplorer.model.gallery import ANY_KIND, GalleryQuery, load_gallery
from kgexplorer.namespaces import PREFIXES, prefix_block, shorten
from kgexplorer.terms import IRI, Term
from kgexplorer.ui import lessons as ui_lessons
from kgexplorer.ui.browser_history import browser_history
from kgexplorer.ui.editor import sparql_editor
from kgexplorer.ui.query_job import QueryJob
from kgexplorer.ui.short_links import open_short_link, server_links, share_link
from kgexplorer.ui.workbench import (
    History,
    HistoryEntry,
    Outcome,
    decode_query,
    encode_query,
    error_excerpt,
    question_in,
)
from kgexplorer.views.result_views import bar_chart, downloads, result_graph

START = """# Ask the graph anything. Ctrl+Enter (⌘+Enter on a Mac) runs the query.
SELECT ?substance ?label WHERE {
  ?substance a kgx:Substance ;
             rdfs:label ?label .
}
ORDER BY ?label
LIMIT 25
"""
VIEW_NAMES = {"table": "Table", "graph": "Graph", "bar": "Bar chart"}
WIDE = 6  # more columns than this offer a choice of columns


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


def ask_to_run() -> None:
    """The Run button's callback: ask for a run of the editor's text. The request stays in the session until
    the answer is stored, so a run that another rerun stops halfway (the editor handing over its text as it
    loses the focus can arrive just after the click) leaves it for the next run, where a button's own
    one-shot value would be gone (docs/decisions/workbench-runs.md)."""
    state["wb_run_pending"] = True


def load_text(text: str, *, run: bool = False) -> None:
    """Put a query into the editor (a new editor instance, so it shows the new text), and run it if ``run``.

    A query put in the editor replaces any run not yet answered: that run was for the text it replaces.
    """
    state["wb_run_pending"] = run  # first: a run stopped before the text is stored comes back here
    state["wb_text"] = text
    state["wb_version"] += 1


def declare_prefixes() -> None:
    """Write the project's PREFIX lines after the query's header, once."""
    if "PREFIX" not in state["wb_text"].upper():
        lines = state["wb_text"].splitlines(keepends=True)
        header = next((i for i, line in enumerate(lines) if not line.lstrip().startswith("#")), len(lines))
        load_text("".join(lines[:header]) + prefix_block() + "".join(lines[header:]))


if "wb_text" not in state:
    token, wanted, short = ui.param("q"), ui.param("g"), ui.param("s")
    try:
        if short:  # a short link: the query kept on this server (server_storage)
            shared = open_short_link(short, settings=kg.settings)
        else:
            shared = decode_query(token, settings=kg.settings) if token else ""
    except KgExplorerError as exc:
        shared = ""
        state["wb_url_problem"] = str(exc)
    load_text(
        shared or (gallery[wanted].text if wanted in gallery else START),
        run=ui.param("run") == "1" and bool(shared or wanted in gallery),  # links that run on open
    )

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
                f"**{ui.md(q.title)}**", key=f"wb_load_{name}", type="tertiary", on_click=load_text, args=(q.text,)
            )
            params = f" Parameters: {', '.join(p.name for p in q.params)}." if q.params else ""
            st.caption(ui.md(q.description + params))

values: dict[str, Term] = {}
texts: dict[str, str] = {}
with left:
    title_slot = st.empty()  # filled once the editor has said what text it holds
    version = state["wb_version"]
    if state.get("wb_mounted") != version:  # the text the editor starts with; it must not change while it lives
        state["wb_mounted"] = version
        state["wb_mount_text"] = state["wb_text"]
    event = sparql_editor(state["wb_mount_text"], key=f"wb_editor_{version}", handled=state["wb_handled"])
    if event is not None:
        # Marked handled last: a run stopped before that sees the same event again and does the same.
        if event.kind == "submit":
            state["wb_run_pending"] = True
        state["wb_text"] = event.text
        state["wb_handled"] = event.id
    # The parameters are those the text in the editor declares in its own header, never a question loaded
    # earlier: a query that replaced a gallery question runs exactly as written.
    question: GalleryQuery | None = None
    try:
        question = question_in(state["wb_text"], gallery=tuple(gallery.values()))
    except KgExplorerError as exc:
        st.warning(str(exc), icon="⚠️")
    if question is not None:
        title_slot.markdown(f"**{ui.md(question.title)}**")
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
            if (question.name, p.name, p.kind) not in cache:
                cache[(question.name, p.name, p.kind)] = p.choices(kg) if p.kind != ANY_KIND else ()
            choices = cache[(question.name, p.name, p.kind)]
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

b1.button(
    "▶ Run query",
    type="primary",
    key="wb_run_button",
    help="Or press Ctrl+Enter in the editor",
    on_click=ask_to_run,
)
b2.button(
    "Declare prefixes",
    key="wb_prefixes",
    help="Add the PREFIX lines to the top of the query (they work without, too)",
    on_click=declare_prefixes,
)
b3.button("Clear", key="wb_clear", on_click=lambda: load_text(""))

if state.get("wb_run_pending"):
    text = state["wb_text"]
    job: QueryJob | None = None
    try:
        if texts and question is not None:
            values.update(question.resolve_values(kg, {k: v for k, v in texts.items() if v.strip()}))
        # The query runs as a job kept in the session: a rerun that stops this run starts the next one at once,
        # which waits for the same job instead of running the query a second time (ui/query_job.py).
        job = state.get("wb_job")
        if job is None or not job.serves(text, values):
            client, previous, job = ui.session_client(), job, QueryJob(text, values)
            state["wb_job"] = job  # kept before it starts: a run stopped here leaves no job running unseen
            job.start(kg, client=client, after=previous)
        with st.spinner("Running the query…"):
            outcome = job.outcome()
    except KgExplorerError as exc:
        outcome = Outcome(text, error=exc)
    except Exception:
        state["wb_run_pending"] = False  # a fault of ours is shown once, not run again on every rerun
        raise
    state["wb_outcome"] = outcome
    if outcome.run is not None and outcome.table is not None:
        run, table = outcome.run, outcome.table
        size = f"{len(table.rows):,} row{'s' * (len(table.rows) != 1)}"
        entry = HistoryEntry(text, source.label, f"{size} in {run.seconds:.2f} s", True)
        for key in ("wb_graph_view", "wb_table"):  # the last answer's drawing and selection
            state.pop(key, None)
        # A new "Show as" control for each answer: one kept across answers shows the old choice highlighted
        # while the new answer's default view is drawn (a table highlighted under a graph).
        state["wb_answer"] = state.get("wb_answer", 0) + 1
    else:
        entry = HistoryEntry(text, source.label, f"error: {outcome.error}", False)
    state["wb_history"] = state["wb_history"].add(entry, settings=kg.settings)
    state["wb_new_entry"] = entry  # for the browser's own history (localStorage), once
    # Only what this text declares goes into the link: a parameter of an earlier question is dropped.
    share: dict[str, str | None] = {"g": question.name if question and question.name in gallery else None}
    share.update({k: None for k in st.query_params if k.startswith("v_")})
    share.update({f"v_{k}": v.n3()[1:-1] if isinstance(v, IRI) else None for k, v in values.items()})
    share["run"] = "1"  # the link runs the query when opened, as WDQS and YASGUI links do
    try:
        whole, whole_problem = encode_query(text, settings=kg.settings), ""
    except KgExplorerError as exc:
        whole, whole_problem = None, str(exc)
    link = share_link(
        text,
        gallery_text=gallery[share["g"]].text if share["g"] else None,
        links=server_links(kg.settings),
        whole=whole,
        whole_problem=whole_problem,
    )
    share.update(link.params)
    state["wb_share_note"] = link.note
    ui.set_params(**share)
    if job is not None:
        job.stored = True  # this answer is kept: a new request for the same text runs the query again
    state["wb_run_pending"] = False  # answered: only now, so a run stopped on the way leaves the request standing

outcome: Outcome | None = state.get("wb_outcome")
if outcome is not None and outcome.text != state["wb_text"]:
    # The editor hands its text over when it loses the focus, which can reach the server after a click on Run:
    # never let an answer pass for the text it was not computed from.
    st.info("The answer below is for the query as it was when it ran; the editor now holds another text.", icon="✏️")
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
    if note := state.get("wb_share_note"):  # which kind of link the address now holds
        st.caption(ui.md(note))
    view = st.segmented_control(
        "Show as",
        list(run.view.available),
        default=run.view.default,
        format_func=VIEW_NAMES.__getitem__,
        key=f"wb_view_{state.get('wb_answer', 0)}",
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
        shown = list(table.columns)
        if len(table.columns) > WIDE:  # a wide answer: pick the columns to see; the table scrolls sideways
            shown = st.multiselect(
                "Columns shown",
                list(table.columns),
                default=list(table.columns),
                key=f"wb_columns_{state.get('wb_answer', 0)}",
            )
        picked_rows = st.dataframe(
            table.records(links=links),
            hide_index=True,
            width="stretch",
            height=min(38 + 35 * len(table.rows), 560),  # the table scrolls within the page, not past it
            column_order=shown,
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

# The history survives a reload in this browser's localStorage (nothing is kept on the server).
kept = browser_history(
    add=state.pop("wb_new_entry", None), limit=kg.settings.query_history_size, key="wb_browser_history"
)
history: History = state["wb_history"].merged(kept, settings=kg.settings)
if len(history):
    with st.expander(f"🕘 Your recent queries ({len(history)}, kept in this browser)"):
        for i, h in enumerate(history.entries):
            first = next((line for line in h.query.splitlines() if line.strip() and not line.startswith("#")), "")
            c1, c2 = st.columns([5, 1], vertical_alignment="center")
            c1.code(first[:120], language="sparql", wrap_lines=True)
            c1.caption(f"{'✅' if h.ok else '⚠️'} {ui.md(h.outcome)} · {ui.md(h.source)}")
            c2.button("Load", key=f"wb_history_{i}", on_click=load_text, args=(h.query,))
