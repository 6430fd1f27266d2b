"""``python -m bench.guard``: what checking a long query costs, and whether it holds up other queries.

Issue 12, point 2: a 60 KB query (``FILTER(1 IN (1,1,…))`` with 30,000 items) took 28 s to check in the
calling process, under one process-wide lock, while every other query waited. Now the caller does only
the cheap, linear part (:func:`kgexplorer.engine.guard.prepare_query`) and the query worker parses, under the
query's time limit. Side by side in one run, on the bundled graph with the default settings:

* ``in-process parse`` — :func:`kgexplorer.engine.guard.check_query` called here, as the caller used to, with a
  small query checked from another thread meanwhile (its wait is the lock's cost);
* ``kg.sparql`` — the path every query takes now: ``prepare_query`` in this process (timed alone), the
  full guard and the query in a worker; a small ``kg.sparql`` from another thread meanwhile.

Options: ``--only in-list|values-rows|values`` picks one query; ``--limit-s`` sets query_time_limit_s.
"""

from __future__ import annotations

import argparse
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial

from kgexplorer import KgExplorerError, KnowledgeGraph, Settings
from kgexplorer.engine.guard import check_query, prepare_query

__all__ = ["QUERIES", "main"]

#: The long queries of issue 12 (each about 60 KB).
QUERIES = {
    "in-list": "SELECT * WHERE { FILTER(1 IN (" + ",".join(["1"] * 30_000) + ")) }",
    "values-rows": "SELECT * WHERE { VALUES (?x) { " + " ".join(["(1)"] * 16_000) + " } }",
    "values": "SELECT * WHERE { VALUES ?x { " + " ".join(["1"] * 16_000) + " } }",
}
SMALL = "SELECT ?l WHERE { kg:ketamine rdfs:label ?l }"


def _timed(call: Callable[[], object]) -> tuple[float, str]:
    started = time.perf_counter()
    try:
        outcome = type(call()).__name__
    except KgExplorerError as exc:
        outcome = type(exc).__name__
    return time.perf_counter() - started, outcome


def _with_a_small_query_meanwhile(big: Callable[[], object], small: Callable[[], object]) -> tuple[str, str]:
    """Time ``big``; 0.5 s after it starts, time ``small`` from another thread."""
    waited: list[tuple[float, str]] = []

    def other() -> None:
        time.sleep(0.5)
        waited.append(_timed(small))

    thread = threading.Thread(target=other)
    thread.start()
    seconds, outcome = _timed(big)
    thread.join()
    small_s, small_outcome = waited[0]
    return f"{seconds:.2f} s ({outcome})", f"{small_s:.3f} s ({small_outcome})"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.guard", description=__doc__)
    parser.add_argument("--only", choices=sorted(QUERIES), nargs="*", help="only these queries")
    parser.add_argument("--limit-s", type=float, default=Settings().query_time_limit_s, help="query_time_limit_s")
    args = parser.parse_args(argv)
    names = args.only or list(QUERIES)
    check_query("ASK {}", remember=0)  # rdflib's grammar is built before anything is timed
    rows = []
    with KnowledgeGraph.bundled(settings=Settings(query_time_limit_s=args.limit_s)) as kg:
        for name in names:
            # Both workers running before anything is timed (a query stopped at the limit took one with it),
            # so the small query meanwhile measures waiting, not a worker starting.
            with ThreadPoolExecutor(2) as both:
                list(both.map(lambda _: kg.sparql("ASK {}"), range(2)))
            text = QUERIES[name]
            prepared_s, _ = _timed(partial(prepare_query, text))
            before = _with_a_small_query_meanwhile(
                partial(check_query, text, remember=0), partial(check_query, SMALL, remember=0)
            )
            after = _with_a_small_query_meanwhile(partial(kg.sparql, text), partial(kg.sparql, SMALL))
            rows.append((name, len(text), *before, f"{prepared_s * 1000:.1f} ms", *after))
    print(f"query_time_limit_s = {args.limit_s:g}; {sys.version.split()[0]}")
    print(
        "| query | chars | in-process parse (as before) | a small check meanwhile | prepare_query (caller) "
        "| kg.sparql (now) | a small kg.sparql meanwhile |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for name, chars, *cells in rows:
        print(f"| {name} | {chars:,} | " + " | ".join(cells) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
