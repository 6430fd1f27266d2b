"""A workbench query kept in the session as a job: it outlives the run that started it, one job at a time."""

from __future__ import annotations

import threading

import pytest

from kgexplorer import KnowledgeGraph, QuerySyntaxError, SelectResult
from kgexplorer.terms import IRI
from kgexplorer.ui.query_job import QueryJob

KETAMINE = IRI("https://w3id.org/kgexplorer/id/ketamine")


def test_a_job_answers_from_its_own_thread_to_any_number_of_waiters(kg: KnowledgeGraph) -> None:
    job = QueryJob("SELECT ?x WHERE { VALUES ?x { 1 2 3 } }").start(kg)
    seen: list[int] = []
    waiters = [threading.Thread(target=lambda: seen.append(len(job.outcome().table.rows))) for _ in range(3)]
    for w in waiters:
        w.start()
    for w in waiters:
        w.join(timeout=30)
    assert seen == [3, 3, 3]
    assert job.done
    outcome = job.outcome()
    assert outcome.error is None
    assert isinstance(outcome.run.result, SelectResult)


def test_an_error_a_reader_should_see_is_the_outcome(kg: KnowledgeGraph) -> None:
    outcome = QueryJob("SELECT ?x WHERE { ?x ").start(kg).outcome()
    assert isinstance(outcome.error, QuerySyntaxError)
    assert outcome.run is None
    assert outcome.table is None


def test_a_fault_is_raised_to_the_waiter_and_the_job_answers_no_later_request(
    kg: KnowledgeGraph, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object, **options: object) -> None:
        raise RuntimeError("a fault in the library")

    monkeypatch.setattr("kgexplorer.ui.query_job.run_query", broken)
    job = QueryJob("SELECT ?x WHERE { VALUES ?x { 1 } }").start(kg)
    with pytest.raises(RuntimeError, match="a fault in the library"):
        job.outcome()
    assert not job.serves("SELECT ?x WHERE { VALUES ?x { 1 } }")  # asking again runs it again


def test_a_job_serves_its_own_unanswered_request_only() -> None:
    job = QueryJob("SELECT ?s WHERE { VALUES ?s { $substance } }", {"substance": KETAMINE})
    assert job.serves("SELECT ?s WHERE { VALUES ?s { $substance } }", {"substance": KETAMINE})
    assert not job.serves("SELECT ?s WHERE { VALUES ?s { $substance } }")  # other values
    assert not job.serves("SELECT ?s WHERE { ?s ?p ?o }", {"substance": KETAMINE})  # other text
    job.stored = True  # the page kept its answer: the next click is a new request
    assert not job.serves("SELECT ?s WHERE { VALUES ?s { $substance } }", {"substance": KETAMINE})


def test_a_job_starts_its_query_only_once_the_one_before_has_ended(
    kg: KnowledgeGraph, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A session never has two queries of its own in line: the second would wait for the first's worker and,
    past max_queue_wait_s, be refused as TooManyQueries (the workbench's lost answer, issue 17)."""
    from kgexplorer.ui import query_job

    release = threading.Event()
    order: list[str] = []
    real = query_job.run_query

    def recorded(kg: KnowledgeGraph, text: str, **options: object) -> object:
        order.append(f"start {text}")
        if text.endswith("1 } }"):
            assert release.wait(timeout=30)
        order.append(f"end {text}")
        return real(kg, text, **options)  # type: ignore[arg-type]

    monkeypatch.setattr(query_job, "run_query", recorded)
    first = QueryJob("SELECT ?x WHERE { VALUES ?x { 1 } }").start(kg)
    second = QueryJob("SELECT ?x WHERE { VALUES ?x { 2 } }").start(kg, after=first)
    assert not second._done.wait(timeout=0.3)  # held back while the first still runs
    assert order == ["start SELECT ?x WHERE { VALUES ?x { 1 } }"]
    release.set()
    assert len(second.outcome().table.rows) == 1
    assert order[1:] == ["end SELECT ?x WHERE { VALUES ?x { 1 } }", "start SELECT ?x WHERE { VALUES ?x { 2 } }",
                         "end SELECT ?x WHERE { VALUES ?x { 2 } }"]  # fmt: skip


def test_a_job_runs_once(kg: KnowledgeGraph) -> None:
    job = QueryJob("ASK { }").start(kg)
    with pytest.raises(RuntimeError, match="runs once"):
        job.start(kg)
    assert job.outcome().error is None
