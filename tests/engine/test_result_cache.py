"""The endpoint's result cache (kgexplorer.engine.result_cache): bounded in bytes, least recently used out
first, only complete answers, keyed by everything that shapes the bytes; and KnowledgeGraph.answer using it."""

from __future__ import annotations

import asyncio

from kgexplorer import KnowledgeGraph, Settings
from kgexplorer.engine.result_cache import AnswerKey, ResultCache
from kgexplorer.engine.serialization import Answer


def _answer(size: int, *, problem: str | None = None, fmt: str | None = "json") -> Answer:
    return Answer(
        "select", fmt, [b"x" * (size // 2), b"y" * (size - size // 2)], size, False, 100, 0.5, problem=problem
    )


def _key(text: str, **changes: object) -> AnswerKey:
    fields: dict[str, object] = {
        "select_format": "json",
        "graph_format": "turtle",
        "max_rows": 100,
        "max_bytes": 1 << 20,
    }
    fields.update(changes)
    return AnswerKey(text, **fields)  # type: ignore[arg-type]


def test_the_cache_stays_within_its_bytes_and_drops_the_least_recently_used() -> None:
    cache = ResultCache(max_bytes=40_000)
    for i in range(10):
        assert cache.put(_key(f"q{i}"), _answer(5_000))
        assert cache.stats()["cache_bytes"] <= 40_000
        cache.get(_key("q0"))  # q0 stays the most recently used
    assert cache.get(_key("q0")) is not None
    assert cache.get(_key("q1")) is None  # dropped first
    assert cache.get(_key("q9")) is not None
    assert cache.stats()["cache_answers"] < 10


def test_a_hit_gives_the_same_bytes_in_a_list_of_its_own() -> None:
    cache = ResultCache(max_bytes=1 << 20)
    answer = _answer(1_000)
    cache.put(_key("q"), answer)
    first, second = cache.get(_key("q")), cache.get(_key("q"))
    assert first is not None
    assert second is not None
    first.chunks.pop()  # the endpoint takes chunks as it sends them: the next hit is whole
    assert b"".join(second.chunks) == b"".join(answer.chunks)
    assert second.size == 1_000
    assert second.chunks[0] is answer.chunks[0]  # never copied
    assert second.visit is None
    assert second.elapsed_s == 0.0


def test_only_complete_answers_within_a_quarter_of_the_cache_are_kept() -> None:
    cache = ResultCache(max_bytes=40_000)
    assert not cache.put(_key("big"), _answer(12_000))
    assert not cache.put(_key("problem"), _answer(100, problem="CSV cannot carry a graph"))
    assert not cache.put(_key("unwritten"), _answer(100, fmt=None))
    assert cache.stats()["cache_answers"] == 0
    off = ResultCache(max_bytes=0)
    assert not off.put(_key("q"), _answer(10))
    assert off.get(_key("q")) is None


def test_every_part_of_the_key_tells_answers_apart() -> None:
    cache = ResultCache(max_bytes=1 << 20)
    cache.put(_key("q"), _answer(10))
    for other in (
        _key("q "),
        _key("q", select_format="csv"),
        _key("q", graph_format="nt"),
        _key("q", max_rows=99),
        _key("q", max_bytes=1 << 19),
    ):
        assert cache.get(other) is None


async def _ask(kg: KnowledgeGraph, query: str, fmt: str = "json") -> bytes:
    answer = await kg.answer(query, select_format=fmt, graph_format="turtle", client="tester")
    try:
        return b"".join(answer.chunks)
    finally:
        answer.close()


def test_a_repeated_endpoint_query_is_answered_from_the_cache_with_the_same_bytes() -> None:
    with KnowledgeGraph.bundled() as kg:
        query = "SELECT ?s\nWHERE { ?s a kgx:Substance } ORDER BY ?s LIMIT 5"
        first = asyncio.run(_ask(kg, query))
        answered = kg.query_counts()["answered"]
        assert asyncio.run(_ask(kg, query)) == first
        assert asyncio.run(_ask(kg, query.replace("\n", "\r\n"))) == first  # the same normalised text
        counts = kg.query_counts()
        assert counts["answered"] == answered  # no worker ran them
        assert counts["cache_hits"] == 2
        assert asyncio.run(_ask(kg, query, "csv")) != first  # another format is another answer
        assert kg.query_counts()["answered"] == answered + 1


def test_the_setting_turns_the_cache_off() -> None:
    with KnowledgeGraph.bundled(settings=Settings(result_cache_mb=0)) as kg:
        asyncio.run(_ask(kg, "ASK { ?s ?p ?o }"))
        asyncio.run(_ask(kg, "ASK { ?s ?p ?o }"))
        counts = kg.query_counts()
    assert counts["answered"] == 2
    assert counts["cache_hits"] == 0
