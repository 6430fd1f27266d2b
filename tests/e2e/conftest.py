"""The browser tests' tiny app is a Streamlit script, not a test module: keep doctest collection off it."""

collect_ignore = ["graph_app.py"]
