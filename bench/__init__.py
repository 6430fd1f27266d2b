"""The benchmark harness behind ``make bench``: kgexplorer, plain rdflib and raw pyoxigraph side by side.

``python -m bench`` runs the ladder (10k and 100k LUBM slices, LUBM1, the Hetionet subset, LUBM10,
LUBM50) once, each system in fresh processes, and writes ``docs/benchmarks.md`` and
``docs/benchmarks-loglog.png``. Modules: :mod:`bench.ladder` (steps, data, budget, orchestration),
:mod:`bench.probe` (what runs inside each measured process), :mod:`bench.report` (tables and plot),
:mod:`bench.hetionet` (the Hetionet → N-Triples conversion), :mod:`bench.boundary` (what crossing to a
worker process costs by itself). Scratch data goes to ``bench/out/``
(git-ignored).
"""

__all__: list[str] = []
