"""The first search on an on-disk store, built the way users build one: ``kgexplorer load FILE --store DIR``.

``python -m bench.first_search [--data lubm50.nt.gz]``: builds the store (timed, with the label index
``kgexplorer load`` now writes beside it), then, in a fresh process each time, opens it and times the first
search and five more (the median), for the store with its index and for the same store with the index file
removed (what every store did before: the index built on first use). ``make bench`` measures the same in its
ladder (kg-disk); this script is for a run that only needs these figures.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

__all__ = ["main"]

ROOT = Path(__file__).resolve().parent.parent
LUBM = ROOT.parent / "shared" / "data" / "lubm"
OUT = ROOT / "bench" / "out"

_PROBE = """
import json, statistics, sys, time
t0 = time.perf_counter()
from kgexplorer import KnowledgeGraph
kg = KnowledgeGraph.open_store(sys.argv[1])
opened = time.perf_counter() - t0
t = time.perf_counter(); hits = kg.search(sys.argv[2]); first = time.perf_counter() - t
rest = []
for _ in range(5):
    t = time.perf_counter(); kg.search(sys.argv[2]); rest.append(time.perf_counter() - t)
print(json.dumps({"open_s": opened, "first_s": first, "median_s": statistics.median(rest), "hits": len(hits),
                  "top": hits[0].label if hits else None}))
kg.close()
"""


def _probe(store: Path, text: str) -> dict[str, object]:
    out = subprocess.run([sys.executable, "-c", _PROBE, str(store), text], capture_output=True, text=True, check=True)
    result: dict[str, object] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.first_search")
    parser.add_argument("--data", default="lubm50.nt.gz")
    parser.add_argument("--text", default="GraduateStudent1")
    args = parser.parse_args(argv)
    store = OUT / "first-search-store"
    shutil.rmtree(store, ignore_errors=True)
    t0 = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "kgexplorer.cli.commands", "load", str(LUBM / args.data), "--store", str(store)],
        check=True,
        capture_output=True,
    )
    built = time.perf_counter() - t0
    with_index = _probe(store, args.text)
    for index in store.glob("gen-*/kgexplorer-labels.idx"):
        index.unlink()
    without = _probe(store, args.text)
    shutil.rmtree(store, ignore_errors=True)
    result = {"data": args.data, "text": args.text, "load_s": built, "with_index": with_index, "without": without}
    (OUT / "first_search.json").write_text(json.dumps(result, indent=1), encoding="utf-8")
    print(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
