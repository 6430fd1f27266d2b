"""The query worker pool (kgexplorer.engine.query_workers): same answers as in-process, row caps, time and memory
limits enforced by killing the worker, and the pool answering again afterwards."""

from __future__ import annotations

import sys
import threading
from pathlib import Path

import pytest
from tests.answers import big_rows

from kgexplorer import (
    AskResult,
    GraphResult,
    KnowledgeGraph,
    QueryFailed,
    QuerySyntaxError,
    QueryTimeout,
    QueryTooLarge,
    ResultTooLarge,
    SelectResult,
    ServerBusy,
    Settings,
    TooManyQueries,
)
from kgexplorer.engine import query_workers as worker_module
from kgexplorer.engine.guard import _SEAL, QueryText, prepare_query
from kgexplorer.engine.query_workers import QueryWorkers
from kgexplorer.engine.results import graph_from_oxigraph, select_from_oxigraph
from kgexplorer.engine.store import StoreRecipe, build_store
from kgexplorer.engine.worker_process import Request
from kgexplorer.errors import QueryError
from kgexplorer.namespaces import PREFIXES

ALTERED = str(Path(__file__).resolve().parents[1] / "altered_worker.py")
RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
# Sorting a 34-million-row cross product needs gigabytes; the worker may use 512 MiB.
MEMORY_HOG = "SELECT ?a ?c ?d ?f WHERE { ?a ?b ?c . ?d ?e ?f } ORDER BY ?c ?f ?a ?d"


@pytest.fixture(scope="module")
def store() -> object:
    return build_store(StoreRecipe.bundled())


@pytest.mark.parametrize(
    "query",
    [
        "SELECT ?s ?l WHERE { ?s a kgx:Substance ; rdfs:label ?l } ORDER BY ?s",
        "SELECT ?c ?n WHERE { ?c a kgx:Claim . OPTIONAL { ?c kgx:totalSampleSize ?n } } ORDER BY ?c",
        "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }",
    ],
)
def test_select_results_equal_the_in_process_results(kg: KnowledgeGraph, store: object, query: str) -> None:
    result = kg.sparql(query)
    assert isinstance(result, SelectResult)
    expected = select_from_oxigraph(
        store.query(query, prefixes=PREFIXES, use_default_graph_as_union=True),  # type: ignore[attr-defined]
        max_rows=kg.settings.max_result_rows,
        started=0.0,
    )
    assert result.variables == expected.variables
    assert result.rows == expected.rows
    assert len(result.rows) > 0


def test_construct_results_equal_the_in_process_results(kg: KnowledgeGraph, store: object) -> None:
    query = "CONSTRUCT { ?s rdfs:label ?l } WHERE { ?s a kgx:Substance ; rdfs:label ?l }"
    result = kg.sparql(query)
    assert isinstance(result, GraphResult)
    expected = graph_from_oxigraph(
        store.query(query, prefixes=PREFIXES, use_default_graph_as_union=True),  # type: ignore[attr-defined]
        max_rows=None,
        started=0.0,
    )
    assert set(result.triples) == set(expected.triples)
    assert len(result.triples) > 5


def test_ask_answers_true_and_false(kg: KnowledgeGraph) -> None:
    yes = kg.sparql("ASK { kg:ketamine a kgx:Substance }")
    no = kg.sparql("ASK { kg:ketamine a kgx:Condition }")
    assert isinstance(yes, AskResult)
    assert isinstance(no, AskResult)
    assert (yes.value, no.value) == (True, False)


def test_the_row_cap_cuts_the_result_and_says_so(kg: KnowledgeGraph) -> None:
    result = kg.sparql("SELECT ?s WHERE { ?s ?p ?o }", max_rows=7)
    assert isinstance(result, SelectResult)
    assert len(result.rows) == 7
    assert result.truncated is True
    assert result.row_limit == 7
    graph = kg.sparql("CONSTRUCT WHERE { ?s ?p ?o }", max_rows=4)
    assert isinstance(graph, GraphResult)
    assert (len(graph.triples), graph.truncated) == (4, True)


def test_a_result_at_exactly_the_cap_is_not_marked_truncated(kg: KnowledgeGraph) -> None:
    result = kg.sparql("SELECT ?s WHERE { ?s a kgx:Substance } LIMIT 3", max_rows=3)
    assert isinstance(result, SelectResult)
    assert (len(result.rows), result.truncated) == (3, False)


def test_max_rows_can_lower_the_setting_but_never_raise_it(small_limits: Settings) -> None:
    with KnowledgeGraph.bundled(settings=small_limits) as kg:
        result = kg.sparql("SELECT ?s WHERE { ?s ?p ?o }", max_rows=1000)
        assert isinstance(result, SelectResult)
        assert len(result.rows) == small_limits.max_result_rows == 5
        assert result.truncated


def test_a_runaway_answer_for_the_endpoint_times_out_as_the_query_s_doing(kg: KnowledgeGraph) -> None:
    """The endpoint's path (the reply read in the event loop) says which limit was hit, like the library's."""
    import asyncio

    with pytest.raises(QueryTimeout, match=r"ran longer than 1 s .*query_time_limit_s"):
        asyncio.run(kg.answer(RUNAWAY, select_format="json", graph_format=None, timeout_s=1))


def test_a_runaway_query_times_out_and_the_same_pool_answers_next(kg: KnowledgeGraph) -> None:
    workers = kg._workers
    assert workers is not None
    kg.sparql("ASK { ?s ?p ?o }")  # make sure a worker exists before the runaway takes it
    before = list(workers._all)
    # The guard passed it natively, so its verdict never came before the answer: the message still names the query.
    with pytest.raises(QueryTimeout, match=r"ran longer than 1 s .*query_time_limit_s"):
        kg.sparql(RUNAWAY, timeout_s=1)
    killed = [w for w in before if w not in workers._all]
    assert len(killed) == 1
    assert killed[0].proc.poll() is not None  # the worker that ran it is gone, not still burning CPU
    answer = kg.sparql("ASK { kg:ketamine a kgx:Substance }")
    assert isinstance(answer, AskResult)
    assert answer.value is True


@pytest.mark.slow  # each refused query costs a fresh worker process
def test_a_query_over_the_memory_cap_is_too_large_and_the_next_is_answered() -> None:
    # A generous time limit, so the memory cap (not the clock) is what stops the query.
    with KnowledgeGraph.bundled(settings=Settings(worker_memory_mb=512, query_time_limit_s=120)) as kg:
        # Twice: the worker's pipe closes a moment before the process is reaped, and the pool must wait
        # for the exit code rather than report an unexplained failure.
        for _ in range(2):
            with pytest.raises(QueryTooLarge, match=r"512 MiB, the worker_memory_mb setting"):
                kg.sparql(MEMORY_HOG)
            answer = kg.sparql("SELECT ?l WHERE { kg:ketamine rdfs:label ?l }")
            assert isinstance(answer, SelectResult)
            assert [str(r["l"]) for r in answer] == ["Ketamine"]


def test_concurrent_queries_from_two_threads_both_answer(kg: KnowledgeGraph) -> None:
    results: dict[str, object] = {}
    errors: list[BaseException] = []

    def run(name: str, query: str) -> None:
        try:
            results[name] = kg.sparql(query)
        except BaseException as exc:  # reported by the assertion below
            errors.append(exc)

    threads = [
        threading.Thread(target=run, args=("substances", "SELECT ?s WHERE { ?s a kgx:Substance }")),
        threading.Thread(target=run, args=("claims", "SELECT (COUNT(?c) AS ?n) WHERE { ?c a kgx:Claim }")),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert errors == []
    substances, claims = results["substances"], results["claims"]
    assert isinstance(substances, SelectResult)
    assert isinstance(claims, SelectResult)
    assert len(substances.rows) > 5
    assert int(str(claims.rows[0][0])) > 50


def test_a_syntax_error_in_the_worker_is_one_line_with_a_position(kg: KnowledgeGraph) -> None:
    # The guard's parser accepts an undeclared prefix; Oxigraph, in the worker, does not.
    with pytest.raises(QuerySyntaxError) as info:
        kg.sparql("SELECT * WHERE {\n  ?s foaf:name ?o\n}")
    assert (info.value.line, info.value.column) == (2, 6)
    assert "the prefix 'foaf:' is not declared" in str(info.value)
    assert "\n" not in str(info.value)


def test_a_closed_pool_refuses_queries() -> None:
    pool = QueryWorkers(StoreRecipe.bundled(), Settings())
    pool.close()
    with pytest.raises(QueryError, match="closed"):
        pool.run(prepare_query("ASK { ?s ?p ?o }"), max_rows=1, timeout_s=5)


def test_close_stops_every_worker_process() -> None:
    pool = QueryWorkers(StoreRecipe.bundled(), Settings())
    pool.warm_up()
    procs = [w.proc for w in pool._all]
    assert procs
    assert all(p.poll() is None for p in procs)
    pool.close()
    assert all(p.poll() is not None for p in procs)


def test_a_worker_that_dies_while_starting_gives_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    """If the worker process dies before it is ready, the caller gets a QueryError, never our internals."""
    import sys

    from kgexplorer.engine.query_workers import QueryWorkers
    from kgexplorer.engine.store import StoreRecipe
    from kgexplorer.errors import QueryError
    from kgexplorer.settings import Settings

    monkeypatch.setattr(sys, "executable", "/bin/false")  # starts, then exits at once
    pool = QueryWorkers(StoreRecipe.bundled(), Settings())
    try:
        with pytest.raises(QueryError, match="could not start"):
            pool.run(prepare_query("ASK { ?s ?p ?o }"), max_rows=1, timeout_s=5)
    finally:
        pool.close()


def test_every_kind_of_term_crosses_the_worker_and_equal_values_share_one_object(kg: KnowledgeGraph) -> None:
    from kgexplorer.terms import IRI, BlankNode, Literal

    result = kg.sparql(
        "SELECT ?i ?plain ?typed ?lang ?none ?b WHERE { VALUES (?i ?plain ?typed ?lang) { "
        '(kg:ketamine "plain" 40 "Kétamine"@fr) (kg:ketamine "plain" 41 "Ketamine"@en) } BIND(BNODE("x") AS ?b) }'
    )
    assert isinstance(result, SelectResult)
    first, second = result.rows
    assert first[:5] == (
        IRI(KG_KETAMINE),
        Literal("plain"),
        Literal("40", datatype="http://www.w3.org/2001/XMLSchema#integer"),
        Literal("Kétamine", language="fr"),
        None,
    )
    assert isinstance(first[5], BlankNode)
    assert first[0] is second[0]  # one term object per distinct value
    assert first[1] is second[1]
    graph = kg.sparql("CONSTRUCT { _:b rdfs:label ?l } WHERE { kg:ketamine rdfs:label ?l }")
    assert isinstance(graph, GraphResult)
    assert [(type(t.subject), t.object) for t in graph.triples] == [(BlankNode, Literal("Ketamine", language="en"))]


KG_KETAMINE = "https://w3id.org/kgexplorer/id/ketamine"


def test_the_pool_runs_only_a_prepared_query_and_mypy_says_so(tmp_path: Path) -> None:
    """One text, by type: a plain string is a type error (mypy --strict), and only the guard makes the types."""
    from mypy import api

    from kgexplorer.engine.guard import CheckedQuery

    snippet = tmp_path / "caller.py"
    snippet.write_text(
        "from kgexplorer.engine.guard import prepare_query\n"
        "from kgexplorer.settings import Settings\n"
        "from kgexplorer.engine.store import StoreRecipe\n"
        "from kgexplorer.engine.query_workers import QueryWorkers\n"
        "pool = QueryWorkers(StoreRecipe.bundled(), Settings())\n"
        'pool.run("ASK {}", max_rows=1, timeout_s=1)\n'
        'pool.run(prepare_query("ASK {}"), max_rows=1, timeout_s=1)\n',
        encoding="utf-8",
    )
    report, _, status = api.run(["--strict", "--follow-imports=silent", "--cache-dir=/dev/null", str(snippet)])
    assert status == 1
    assert (
        'caller.py:6: error: Argument 1 to "run" of "QueryWorkers" has incompatible type "str"; expected "QueryText"'
        in report
    )
    assert "Found 1 error" in report  # the prepared query on line 7 type-checks
    with pytest.raises(TypeError, match=r"made by kgexplorer\.engine\.guard\.prepare_query only"):
        QueryText("ASK {}")
    with pytest.raises(TypeError, match=r"made by kgexplorer\.engine\.guard\.check_query only"):
        CheckedQuery("ASK {}", "ASK")


# ----------------------------------------------------------------------------------- sharing and caps


def test_a_result_over_max_result_mb_is_refused_naming_the_setting(kg: KnowledgeGraph) -> None:
    """Bytes are capped, not only rows: 40 rows of 256 KiB are 10 MiB, over a 1 MiB cap, and nothing comes back."""
    with KnowledgeGraph.bundled(settings=Settings(max_result_mb=1)) as small:
        with pytest.raises(ResultTooLarge, match=r"1 MiB \(the max_result_mb setting\)"):
            small.sparql(big_rows(40, 64, 2))
        answer = small.sparql("ASK { kg:ketamine a kgx:Substance }")  # the same worker answers next
        assert isinstance(answer, AskResult)
    assert isinstance(kg.sparql(big_rows(3, 64, 2)), SelectResult)  # 768 KiB: under the default cap


@pytest.mark.slow  # 210 MB of rows cross
def test_huge_rows_stream_through_a_small_worker() -> None:
    """40 rows of 5 MiB from a 700 MiB worker. While the worker held the whole answer before sending it, it ran
    out of memory handing these over (a limit error); the rows now stream, a piece at a time, and come whole.
    (A worker that does run out of memory is still a client error: the memory test above.)"""
    settings = Settings(worker_memory_mb=700, max_result_mb=1024)
    with KnowledgeGraph.bundled(settings=settings) as kg:
        result = kg.sparql(big_rows(40, 5, 10))
        assert isinstance(result, SelectResult)
        assert [len(row[0].value) for row in result.rows] == [(len(str(n)) + 5 * 1024) * 1024 for n in range(1, 41)]
        assert isinstance(kg.sparql("ASK { kg:ketamine a kgx:Substance }"), AskResult)


_TRIPLE = "{ BIND(TRIPLE(<http://e/s>, <http://e/p>, <http://e/o>) AS ?x) }"
_MANY = "{ SELECT ?x WHERE { ?x ?p ?o } LIMIT 3000 }"  # some 25 pieces of TSV beside the other part


@pytest.mark.parametrize(
    ("query", "error"),
    [
        # The caller cannot read the first row (the triple term, sorted first), then the last (the engine's order).
        (f"SELECT ?x WHERE {{ {_MANY} UNION {_TRIPLE} }} ORDER BY DESC(ISTRIPLE(?x))", "RDF-star"),
        (f"SELECT ?x WHERE {{ {_MANY} UNION {_TRIPLE} }}", "RDF-star"),
        # The engine fails after the rows it has sent (nothing listens on port 9; no sandbox to refuse first).
        (f"SELECT ?x WHERE {{ {_MANY} UNION {{ SERVICE <http://127.0.0.1:9/sparql> {{ ?x ?p ?o }} }} }}", "failed"),
        # The same for a CONSTRUCT's triples.
        (f"CONSTRUCT {{ <http://e/s> <http://e/p> ?x }} WHERE {{ {_MANY} UNION {_TRIPLE} }}", "RDF-star"),
        (
            f"CONSTRUCT {{ <http://e/s> <http://e/p> ?x }} WHERE {{ {_MANY} UNION "
            "{ SERVICE <http://127.0.0.1:9/sparql> { ?x ?p ?o } } }",
            "failed",
        ),
    ],
)
def test_an_answer_that_fails_while_it_streams_leaves_the_worker_in_step(
    monkeypatch: pytest.MonkeyPatch, query: str, error: str
) -> None:
    """A library SELECT streams its rows while the engine still writes them. When the caller cannot read a piece,
    or the engine fails half-way, the error is the client's, nothing half-read comes back, and the same worker
    answers the next query (the rest of the pieces were read, not left in the pipe). With the guard taken away
    (tests/altered_worker.py), which would refuse both queries first."""
    monkeypatch.setattr(
        worker_module, "_worker_command", lambda: [sys.executable, ALTERED, "--no-guard", "--no-sandbox"]
    )
    pool = QueryWorkers(StoreRecipe.bundled(), Settings())
    try:
        with pytest.raises(QueryFailed, match=error):
            pool.run(QueryText(query, _SEAL), max_rows=20_000, timeout_s=30)
        (worker,) = pool._all
        answer = pool.run(QueryText("SELECT ?s WHERE { ?s ?p ?o } LIMIT 3", _SEAL), max_rows=5, timeout_s=30)
        assert isinstance(answer, SelectResult)
        assert len(answer.rows) == 3
        assert pool._all == [worker]
        assert pool.counts()["failed"] == 1
    finally:
        pool.close()


def test_a_caller_stopped_while_rows_stream_leaves_no_worker_out_of_step() -> None:
    """Interrupted half-way through the rows (Ctrl-C in a notebook; running out of memory making them), the caller
    stops the worker, whose pipe still holds the rest: kept, it would have been lost to the pool, alive."""
    pool = QueryWorkers(StoreRecipe.bundled(), Settings())

    def interrupted(piece: bytes) -> None:
        raise KeyboardInterrupt

    try:
        pool.warm_up()
        (worker,) = pool._all
        with pytest.raises(KeyboardInterrupt):
            pool._in_line(Request("SELECT ?s ?p ?o WHERE { ?s ?p ?o }", 10_000), 30, None, None, pieces=interrupted)
        assert pool._all == []
        assert worker.proc.poll() is not None
        answer = pool.run(prepare_query("SELECT ?s WHERE { ?s ?p ?o } LIMIT 2"), max_rows=5, timeout_s=30)
        assert isinstance(answer, SelectResult)
        assert len(answer.rows) == 2
    finally:
        pool.close()


def test_a_worker_killed_while_running_is_a_client_error_saying_so() -> None:
    import os
    import signal
    import time

    pool = QueryWorkers(StoreRecipe.bundled(), Settings())
    try:
        pool.warm_up()
        (worker,) = pool._all
        threading.Timer(0.5, os.kill, (worker.proc.pid, signal.SIGTERM)).start()
        started = time.monotonic()
        with pytest.raises(QueryFailed, match="stopped by signal 15"):
            pool.run(prepare_query(RUNAWAY), max_rows=5, timeout_s=30)
        assert time.monotonic() - started < 20
        assert isinstance(pool.run(prepare_query("ASK { ?s ?p ?o }"), max_rows=1, timeout_s=30), AskResult)
    finally:
        pool.close()


def _runaway_in_thread(kg: KnowledgeGraph, client: str, outcomes: list[str]) -> threading.Thread:
    """Start RUNAWAY as ``client`` in a thread that records the name of what it ended with."""

    def run() -> None:
        try:
            kg.sparql(RUNAWAY, client=client)
            outcomes.append("answered")
        except Exception as exc:  # recorded and asserted by the test
            outcomes.append(type(exc).__name__)

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def test_one_client_cannot_take_every_worker_while_others_are_answered() -> None:
    """Three workers; a client with a runaway holds its one worker, its next query waits in line and is
    refused (429 semantics) while other clients are answered at once; the program itself is not limited."""
    import time

    settings = Settings(query_time_limit_s=3, max_queue_wait_s=0.5)
    with KnowledgeGraph.bundled(settings=settings) as kg:
        outcomes: list[str] = []
        runaway = _runaway_in_thread(kg, "mallory", outcomes)
        time.sleep(0.5)
        with pytest.raises(TooManyQueries, match="client_query_workers") as refused:
            kg.sparql("ASK { ?s ?p ?o }", client="mallory")
        assert refused.value.retry_after_s >= 1
        for client in ("alice", "bob", None):
            started = time.monotonic()
            assert isinstance(kg.sparql("ASK { kg:ketamine a kgx:Substance }", client=client), AskResult)
            assert time.monotonic() - started < 2.5, f"{client} waited for the runaway"
        assert runaway.is_alive()
        runaway.join(timeout=60)
        assert outcomes == ["QueryTimeout"]
        counts = kg.query_counts()
        assert counts["refused_client_share"] == 1
        assert counts["timeout"] == 1
        assert len(kg._workers._all) <= 3  # type: ignore[union-attr]


def test_a_full_pool_refuses_after_the_wait_limit_with_a_retry_time() -> None:
    import time

    # slow_query_s 0: no runaway steps aside for d (tests/engine/test_slow_queries.py shows it would).
    settings = Settings(query_time_limit_s=4, max_queue_wait_s=0.5, slow_query_s=0)
    with KnowledgeGraph.bundled(settings=settings) as kg:
        kg.sparql("ASK {}")
        outcomes: list[str] = []
        runaways = [_runaway_in_thread(kg, c, outcomes) for c in ("a", "b", "c")]
        time.sleep(1.0)  # the three runaways hold the three workers
        started = time.monotonic()
        with pytest.raises(ServerBusy, match="max_queue_wait_s") as busy:
            kg.sparql("ASK { ?s ?p ?o }", client="d")
        assert 0.4 < time.monotonic() - started < 2.5
        assert 1 <= busy.value.retry_after_s <= 4
        for t in runaways:
            t.join(timeout=60)
        assert outcomes == ["QueryTimeout"] * 3
        assert isinstance(kg.sparql("ASK { ?s ?p ?o }", client="d"), AskResult)


def test_the_guard_workers_are_shared_between_clients_like_the_query_workers() -> None:
    """The store-less workers that check queries for remote endpoints (QueryWorkers.check) obey the same
    scheduler: a client whose query is being checked holds its one worker, its next check waits in line and
    is refused (429 semantics), while another client's check is answered at once."""
    import time

    costly = prepare_query("SELECT * WHERE { FILTER(1 IN (" + ",".join(["1"] * 30_000) + ")) }")
    pool = QueryWorkers(None, Settings(max_queue_wait_s=0.5))
    try:
        pool.warm_up(2)
        outcomes: list[str] = []

        def check_costly() -> None:
            try:
                pool.check(costly, timeout_s=3, client="mallory")
                outcomes.append("checked")
            except QueryTimeout:
                outcomes.append("QueryTimeout")

        hog = threading.Thread(target=check_costly)
        hog.start()
        time.sleep(0.5)
        with pytest.raises(TooManyQueries, match="client_query_workers"):
            pool.check(prepare_query("ASK {}"), timeout_s=5, client="mallory")
        started = time.monotonic()
        assert pool.check(prepare_query("ASK { ?s ?p ?o }"), timeout_s=5, client="alice").form == "ASK"
        assert time.monotonic() - started < 2.5, "another client waited for mallory's check"
        hog.join(timeout=60)
        assert outcomes == ["QueryTimeout"]
        counts = pool.counts()
        assert counts["refused_client_share"] == 1
        assert counts["checked"] == 1
        assert counts["timeout"] == 1
    finally:
        pool.close()
