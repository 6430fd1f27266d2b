"""The raw-pyoxigraph baseline of a one-shot query (bench/oneshot.py runs it interleaved with kgexplorer's).

``python -m bench.raw_oneshot DATA.nt.gz QUERY.rq``: what ``kgexplorer --data DATA query @QUERY --format csv``
does, with pyoxigraph alone: load the file into an in-memory store, run the query, write every row as CSV to
standard output (pyoxigraph's own CSV writer). No guard, no worker, no limits.
"""

from __future__ import annotations

import gzip
import sys

import pyoxigraph as ox

__all__ = ["main"]


def main(argv: list[str]) -> int:
    data, query = argv
    store = ox.Store()
    with gzip.open(data, "rb") if data.endswith(".gz") else open(data, "rb") as f:
        store.bulk_load(f, format=ox.RdfFormat.N_TRIPLES)
    with open(query, encoding="utf-8") as q:
        text = q.read()
    result = store.query(text, use_default_graph_as_union=True)
    result.serialize(sys.stdout.buffer, format=ox.QueryResultsFormat.CSV)  # type: ignore[union-attr]
    sys.stdout.buffer.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
