"""Data: choose what this session explores — the bundled graph, your own RDF files, or a SPARQL endpoint."""

import streamlit as st

from kgexplorer import GraphLoadError, KgExplorerError, ui
from kgexplorer.ui.data_sources import UPLOAD_EXTENSIONS, Upload, check_uploads, open_endpoint, open_uploads

st.title("Data")
ui.disclaimer()
current = ui.data_source()
kg = current.kg
st.markdown(f"**This session works on:** {ui.md(current.label)}")
st.caption(
    "Your files and endpoints are used in this browser session only: nobody else sees them, and they are "
    "deleted when you switch back or close the session."
)
shared = ui.default_source()  # what this app was started with: the bundled graph unless told otherwise
bundled = shared.kind == "bundled"
remote = kg.settings.remote_endpoints  # 0: the operator switched remote endpoints off (settings.py)
CHOICES = {
    "default": "📦 The bundled graph" if bundled else "🗄️ This app's data",
    "files": "📄 Your RDF files",
}
if remote:
    CHOICES["endpoint"] = "🌐 A SPARQL endpoint"
choice = st.segmented_control(
    "Data source",
    list(CHOICES),
    default="default" if current.shared or current.kind not in CHOICES else current.kind,
    format_func=CHOICES.__getitem__,
    key="data_choice",
)
if not remote:
    st.caption("Remote SPARQL endpoints are switched off on this server by whoever runs it.")

if choice == "default":
    if bundled:
        st.markdown(
            "The psychedelic-therapy knowledge graph that ships with kgexplorer, with the evidence for every link."
        )
    else:
        st.markdown(f"This app was started with {ui.md(shared.label)}, shared by everyone who opens it.")
    if not current.shared and st.button(
        f"Use {CHOICES['default'][2:].lower()}", type="primary", key="data_use_bundled"
    ):
        ui.set_data_source(None)
        st.rerun()

elif choice == "files":
    limits = kg.settings
    max_mb = limits.max_upload_mb
    files = st.file_uploader(
        "RDF files (Turtle, N-Triples, N-Quads, TriG, RDF/XML, JSON-LD, N3; gzip too; at most "
        f"{limits.max_upload_files} files, {max_mb} MiB each and {limits.max_session_upload_mb} MiB together)",
        type=list(UPLOAD_EXTENSIONS),
        accept_multiple_files=True,
        max_upload_size=max_mb,
        key="data_files",
    )
    merge = st.checkbox("Merge with the bundled graph", value=False, key="data_merge")
    if st.button("Load these files", type="primary", disabled=not files, key="data_load"):
        uploads = [Upload(f.name, f.getvalue()) for f in files or []]
        try:
            with st.spinner("Reading, checking and loading the files…"):
                source = open_uploads(uploads, merge=merge, settings=kg.settings)
        except GraphLoadError as exc:
            # Say what is wrong with every file, not only the first that failed.
            try:
                failed = [c for c in check_uploads(uploads, settings=kg.settings) if not c.ok]
            except GraphLoadError:  # the set itself is refused (too many files, too large together)
                failed = []
            problem = f"{len(failed)} files have a problem" if len(failed) > 1 else "one file has a problem"
            st.error(
                f"Nothing was loaded: {ui.md(problem if failed else str(exc))}. "
                f"You are still working on {ui.md(current.label)}."
            )
            for c in failed:
                where = f" (line {c.line}, column {c.column})" if c.line else ""
                st.markdown(f"**{ui.md(c.name)}**{ui.md(where)}: {ui.md(c.error)}")
        except KgExplorerError as exc:
            ui.show_error(exc)
        else:
            ui.set_data_source(source)
            st.rerun()

elif choice == "endpoint":
    url = st.text_input(
        "SPARQL endpoint URL",
        value=current.kg.endpoint.url if current.kg.endpoint is not None else "",
        placeholder="http://localhost:7878/query",
        key="data_endpoint_url",
    )
    public_only = " Only endpoints on the public internet can be used on this server." if remote == 1 else ""
    st.caption(
        "Explore, Connections and the SPARQL workbench send their queries to this endpoint (time limit: "
        f"{kg.settings.endpoint_timeout_s:g} s per request). Nothing is sent anywhere else.{public_only}"
    )
    if st.button("Connect", type="primary", disabled=not url.strip(), key="data_connect"):
        try:
            with st.spinner("Asking the endpoint…"):
                source = open_endpoint(url, settings=kg.settings)
        except KgExplorerError as exc:
            ui.show_error(exc)
        else:
            ui.set_data_source(source)
            st.rerun()

report = current.report
if report is not None:
    st.markdown("#### What was loaded")
    st.dataframe(
        [{"file": c.name, "format": c.format, "bytes": c.size, "triples": c.triples} for c in report.files],
        hide_index=True,
        key="data_report_files",
    )
    st.markdown(
        f"**{report.triples:,} triples** from your files"
        + (" (merged with the bundled graph)." if report.merged else ".")
    )
    st.caption(ui.md(report.validation_note))
    if report.validation is not None:
        if report.validation.conforms:
            st.success("The files conform to the kgexplorer shapes.")
        else:
            st.warning(f"{len(report.validation.problems)} problem(s) with the kgexplorer shapes:")
            st.dataframe(
                [
                    {"node": p.node, "property": p.path, "value": p.value, "rule": p.rule, "fix": p.fix}
                    for p in report.validation.problems
                ],
                hide_index=True,
                width="stretch",
                key="data_report_problems",
            )
