"""Sharing the query workers (kgexplorer.engine.scheduler): per-client shares, the request limit, the line with its
wait limit and Retry-After, fair order, waiting in an event loop, and every refusal counted. No worker
processes: a slot stands for a worker."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

from kgexplorer import QueryRefused, ServerBusy, Settings, TooManyQueries
from kgexplorer.engine.scheduler import Scheduler, Slot


def _scheduler(**changes: object) -> Scheduler:
    base: dict[str, object] = {"query_workers": 3, "client_query_workers": 1, "client_queries": 4}
    base.update({"max_queue_wait_s": 0.3, "query_time_limit_s": 10.0})
    base.update(changes)
    return Scheduler(Settings(**base))  # type: ignore[arg-type]


def _take(s: Scheduler, client: str | None, **kw: float) -> Slot:
    return s.visit(client).acquire(**kw)


def test_a_client_over_its_share_waits_while_another_client_is_served() -> None:
    s = _scheduler(max_queue_wait_s=0.5)
    held = _take(s, "a")
    started = time.monotonic()
    with pytest.raises(TooManyQueries) as refused:
        _take(s, "a")
    assert time.monotonic() - started >= 0.45  # it waited in line for its own worker, then was refused
    assert refused.value.setting == "client_query_workers"
    other = _take(s, "b")  # meanwhile another client gets a worker at once
    assert other.client == "b"
    held.release()
    other.release()


def test_a_client_never_gets_every_worker_whatever_the_setting() -> None:
    s = _scheduler(client_query_workers=50)
    slots = [_take(s, "greedy") for _ in range(2)]
    with pytest.raises(TooManyQueries):
        _take(s, "greedy")
    last = _take(s, "someone else")  # the one worker no client may take from the others
    for slot in [*slots, last]:
        slot.release()


def test_the_program_itself_may_use_every_worker() -> None:
    s = _scheduler()
    slots = [_take(s, None) for _ in range(3)]
    with pytest.raises(ServerBusy):
        _take(s, None)
    for slot in slots:
        slot.release()


def test_one_request_too_many_is_refused_at_once_with_a_retry_time() -> None:
    s = _scheduler(client_queries=2)
    first, second = s.visit("a"), s.visit("a")
    slot = first.acquire(deadline_s=4.0)
    started = time.monotonic()
    with pytest.raises(TooManyQueries) as refused:
        s.visit("a")
    assert time.monotonic() - started < 0.1  # refused before waiting, before the query is even parsed
    assert refused.value.setting == "client_queries"
    assert refused.value.retry_after_s == 4.0  # when its running query must end at the latest
    assert "client_queries" in str(refused.value)
    s.visit("b").leave()  # other clients are not affected
    slot.release()
    first.leave()
    second.leave()
    s.visit("a").leave()  # below the limit again


def test_a_full_pool_refuses_after_the_wait_limit_with_503_semantics() -> None:
    s = _scheduler(max_queue_wait_s=0.4)
    held = [s.visit(c).acquire(deadline_s=d) for c, d in (("a", 7.0), ("b", 3.2), ("c", 9.0))]
    started = time.monotonic()
    with pytest.raises(ServerBusy) as refused:
        _take(s, "d")
    waited = time.monotonic() - started
    assert 0.35 <= waited < 2
    assert refused.value.setting == "max_queue_wait_s"
    assert refused.value.retry_after_s == 3.0  # ceil of what is left of the soonest deadline (3.2 - 0.4)
    assert isinstance(refused.value, QueryRefused)
    for slot in held:
        slot.release()


def test_a_waiting_query_gets_the_worker_freed_before_its_limit() -> None:
    s = _scheduler(max_queue_wait_s=5)
    held = [_take(s, c) for c in "abc"]
    threading.Timer(0.2, held[1].release).start()
    started = time.monotonic()
    slot = _take(s, "d")
    assert time.monotonic() - started < 2
    slot.release()
    held[0].release()
    held[2].release()


def test_a_freed_worker_goes_to_the_client_holding_fewest_then_to_the_first_come() -> None:
    s = _scheduler(query_workers=4, client_query_workers=2, max_queue_wait_s=5)
    a1, a2, b1, c1 = _take(s, "a"), _take(s, "a"), _take(s, "b"), _take(s, "c")
    order: list[str] = []

    def wait(client: str) -> None:
        slot = _take(s, client)
        order.append(client)
        time.sleep(0.05)
        slot.release()

    threads = []
    for client in ("b", "a", "d"):  # b holds 1, a 2 (at its share), d none: d first, then b, then a
        threads.append(threading.Thread(target=wait, args=(client,)))
        threads[-1].start()
        time.sleep(0.05)
    a1.release()  # a is below its share again, but d and b hold fewer
    for t in threads:
        t.join(timeout=10)
    assert order == ["d", "b", "a"]
    for slot in (a2, b1, c1):
        slot.release()


def test_waiting_in_an_event_loop_holds_no_thread_and_is_woken_from_another_thread() -> None:
    s = _scheduler(max_queue_wait_s=5)
    held = [_take(s, c) for c in "abc"]

    async def main() -> tuple[Slot, int, int]:
        before = threading.active_count()
        task = asyncio.ensure_future(s.visit("d").acquire_async())
        await asyncio.sleep(0.1)
        during = threading.active_count()
        assert not task.done()
        threading.Thread(target=held[0].release).start()
        return await task, before, during

    slot, before, during = asyncio.run(main())
    assert slot.client == "d"
    assert during == before  # the waiting query is a future in the loop, not a blocked thread
    slot.release()
    held[1].release()
    held[2].release()


def test_a_cancelled_wait_leaves_the_line_and_gives_back_what_it_got() -> None:
    s = _scheduler(max_queue_wait_s=5)
    held = [_take(s, c) for c in "abc"]

    async def main() -> None:
        task = asyncio.ensure_future(s.visit("d").acquire_async())
        await asyncio.sleep(0.1)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(main())
    assert s.counts()["queries_waiting"] == 0
    held[0].release()
    assert s.counts()["workers_busy"] == 2  # the freed worker went to nobody
    held[1].release()
    held[2].release()


def test_every_refusal_is_counted_and_the_client_table_empties() -> None:
    s = _scheduler(client_queries=1, max_queue_wait_s=0.1)
    visits = {c: s.visit(c) for c in "abc"}
    slots = [v.acquire() for v in visits.values()]
    with pytest.raises(TooManyQueries):
        s.visit("a")
    late = s.visit("d")
    with pytest.raises(ServerBusy):
        late.acquire()
    counts = s.counts()
    assert (counts["refused_client_queries"], counts["refused_busy"]) == (1, 1)
    assert (counts["workers_busy"], counts["clients"]) == (3, 4)
    for slot in slots:
        slot.release()
    for visit in (*visits.values(), late):
        visit.leave()
    assert s.counts()["workers_busy"] == 0
    assert s._clients == {}  # a client that holds nothing is forgotten: the table never grows


def test_releasing_or_leaving_twice_counts_once() -> None:
    s = _scheduler()
    visit = s.visit("a")
    slot = visit.acquire()
    slot.release()
    slot.release()
    visit.leave()
    visit.leave()
    assert s.counts()["workers_busy"] == 0
    assert s._clients == {}


def test_the_refusal_messages_name_the_setting_and_what_to_do() -> None:
    s = _scheduler(max_queue_wait_s=0.05)
    held = _take(s, "a")
    with pytest.raises(TooManyQueries, match=r"client_query_workers.*max_queue_wait_s.*retry after"):
        _take(s, "a")
    others = [_take(s, c) for c in "bc"]
    with pytest.raises(ServerBusy, match=r"every query worker was busy.*max_queue_wait_s.*retry after \d+ s"):
        _take(s, "d")
    for slot in (held, *others):
        slot.release()


@pytest.mark.parametrize(("workers", "expected"), [(2, "at least 3"), (257, "at most 256")])
def test_the_pool_needs_at_least_three_workers(workers: int, expected: str) -> None:
    from kgexplorer import SettingError

    with pytest.raises(SettingError, match=expected):
        Settings(query_workers=workers)


# ---------------------------------------------------------- slow queries step aside (engine/slow_queries.py)


def _wait_in_thread(s: Scheduler, client: str) -> tuple[threading.Thread, list[Slot]]:
    got: list[Slot] = []
    before = s.counts()["queries_waiting"]
    thread = threading.Thread(target=lambda: got.append(_take(s, client)))
    thread.start()
    deadline = time.monotonic() + 5
    while s.counts()["queries_waiting"] == before and time.monotonic() < deadline:
        time.sleep(0.005)
    return thread, got


def test_a_slow_query_steps_aside_only_for_another_clients_waiting_query() -> None:
    s = _scheduler(max_queue_wait_s=5)
    held = [_take(s, c) for c in ("a", "b", "c")]
    lowered: list[str] = []
    assert not held[0].step_aside(lambda: lowered.append("a") or True)  # nobody waits: keeps its place and priority
    assert lowered == []
    a_again, got_a = _wait_in_thread(s, "a")  # a's own next query: over a's share, the place would not help it
    assert not held[0].step_aside(lambda: lowered.append("a") or True)
    assert lowered == []
    d, got_d = _wait_in_thread(s, "d")
    assert held[0].step_aside(lambda: lowered.append("a") or True)
    d.join(timeout=5)
    assert lowered == ["a"]
    assert [slot.client for slot in got_d] == ["d"]
    assert held[0].aside
    assert s.counts()["queries_aside"] == 1
    assert s.counts()["stepped_aside"] == 1
    assert a_again.is_alive()  # a still holds its share while its slow query runs aside
    held[0].release()  # the slow query ends: a's share is free, but its place went to d and none is added
    assert s.counts()["workers_busy"] == 3
    assert s.counts()["queries_aside"] == 0
    time.sleep(0.1)
    assert a_again.is_alive()
    held[1].release()  # b's query ends: a's next query takes that place
    a_again.join(timeout=5)
    assert [slot.client for slot in got_a] == ["a"]
    for slot in [held[2], *got_a, *got_d]:
        slot.release()
    assert s.counts()["workers_busy"] == 0


def test_no_slot_steps_aside_when_lowering_fails_or_the_aside_places_are_taken() -> None:
    s = _scheduler(max_queue_wait_s=5, slow_query_workers=1)
    held = [_take(s, c) for c in ("a", "b", "c")]
    d, got_d = _wait_in_thread(s, "d")
    assert not held[0].step_aside(lambda: False)  # the kernel refused to lower it: it keeps its place
    assert held[0].step_aside(lambda: True)
    d.join(timeout=5)
    e, got_e = _wait_in_thread(s, "e")
    assert not held[1].step_aside(lambda: True)  # slow_query_workers 1: the one place aside is taken
    assert not held[0].step_aside(lambda: True)  # and a slot steps aside once
    held[2].release()
    e.join(timeout=5)
    for slot in [*held, *got_d, *got_e]:
        slot.release()
    assert s.counts()["workers_busy"] == 0
    assert s.counts()["queries_aside"] == 0


def test_slow_query_s_0_turns_stepping_aside_off() -> None:
    s = _scheduler(max_queue_wait_s=5, slow_query_s=0)
    held = [_take(s, c) for c in ("a", "b", "c")]
    d, got_d = _wait_in_thread(s, "d")
    assert not held[0].step_aside(lambda: True)
    held[0].release()
    d.join(timeout=5)
    for slot in [*held[1:], *got_d]:
        slot.release()
