"""The load test of the SPARQL endpoint and the app (``python -m bench.loadtest``; see __main__.py)."""
