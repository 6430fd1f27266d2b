"""kgexplorer's Streamlit app: navigation and shared UI only (pages live in app_pages/)."""

import streamlit as st

from kgexplorer import ui

ui.import_in_background()  # what the search box needs, beside the first run (kgexplorer.ui.import_in_background)
st.set_page_config(page_title="kgexplorer", page_icon="🧭", layout="wide")
ui.page_style()  # AA contrast and a visible focus ring in both themes (kgexplorer.ui.theme)

PAGES = [
    st.Page("app_pages/explore.py", title="Explore", icon="🔎", url_path="explore", default=True),
    st.Page("app_pages/connections.py", title="Connections", icon="🔗", url_path="connections"),
    st.Page("app_pages/compare.py", title="Compare", icon="⚖️", url_path="compare"),
    st.Page("app_pages/evidence.py", title="Evidence", icon="📊", url_path="evidence"),
    st.Page("app_pages/lessons.py", title="Lessons", icon="🎓", url_path="lessons"),
    st.Page("app_pages/lesson_builder.py", title="Lesson builder", icon="🛠️", url_path="lesson-builder"),
    st.Page("app_pages/workbench.py", title="SPARQL workbench", icon="🧪", url_path="workbench"),
    st.Page("app_pages/data.py", title="Data", icon="🗂️", url_path="data"),
    st.Page("app_pages/about.py", title="About", icon="ℹ️", url_path="about"),
]

# ?embed=true (an iframe in a course page): the page alone, no navigation; each page keeps its notice.
embedded = bool(st.context.is_embedded)
page = st.navigation(PAGES, position="hidden" if embedded else "sidebar")
if not embedded:
    with st.sidebar:
        st.markdown("**kgexplorer** · psychedelic-assisted therapy and addiction, with the evidence for every link.")
        ui.disclaimer()
        ui.source_caption()
page.run()
