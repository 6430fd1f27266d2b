"""Issue 17, load once: the first query worker loads the N-Quads while the parse worker writes them.

engine/growing_file.py reads a file to the size it is told; engine/load_once.py starts the worker with the parse
and stops it when the parse fails. Here: the reader alone, then the whole path with the data arriving through a
named pipe, so that the test decides when the parse worker may go on (and sees the query worker reading before
the parse is over).
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from kgexplorer import GraphLoadError, KnowledgeGraph, QueryTimeout, Settings
from kgexplorer.cli.commands import cli
from kgexplorer.engine.growing_file import Written, WrittenSizes, open_growing
from kgexplorer.engine.query_workers import QueryWorkers
from kgexplorer.engine.worker_process import WorkerProcess

pytestmark = pytest.mark.skipif(not Path("/proc/self/fdinfo").exists(), reason="reads /proc (Linux)")

EX = "http://example.org/"
RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"


def _lines(start: int, stop: int) -> str:
    """N-Triples, one distinct triple a line (about 90 bytes each)."""
    return "".join(f'<{EX}s{i}> <{EX}p> "value number {i} of the test data" .\n' for i in range(start, stop))


# ------------------------------------------------------------------------------------------ the reader alone


class Teller:
    """What the parent would tell a worker, from a test: sizes queued, and the waits counted."""

    def __init__(self) -> None:
        self.queue: list[Written] = []
        self.waits = 0
        self.gone = False

    def receive(self, timeout_s: float) -> Written | None:
        self.waits += 1
        if self.queue:
            return self.queue.pop(0)
        if self.gone:
            raise EOFError
        time.sleep(min(timeout_s, 0.005))
        return None


def test_a_growing_file_is_read_as_it_is_written_and_ends_exactly_at_the_told_size(tmp_path: Path) -> None:
    path = tmp_path / "a.nq"
    teller = Teller()
    data = _lines(0, 3000).encode()
    read: list[bytes] = []

    def reader() -> None:
        with open_growing(str(path), WrittenSizes(teller.receive)) as stream:
            while chunk := stream.read(1024):  # as Oxigraph reads
                read.append(chunk)

    thread = threading.Thread(target=reader)
    thread.start()
    time.sleep(0.05)  # the file does not exist yet: the reader waits for it
    with open(path, "wb") as f:
        for i in range(0, len(data), 10_000):
            f.write(data[i : i + 10_000])
            f.flush()
            time.sleep(0.01)
    time.sleep(0.05)
    assert thread.is_alive()  # all written, but nobody said it is complete: the reader waits
    teller.queue.append(Written(str(path), len(data)))
    thread.join(timeout=30)
    assert not thread.is_alive()
    assert b"".join(read) == data
    assert teller.waits > 1


def test_a_file_shorter_than_its_told_size_fails_instead_of_ending(tmp_path: Path) -> None:
    path = tmp_path / "a.nq"
    path.write_bytes(b"<a> <b> <c> .\n")
    teller = Teller()
    teller.queue.append(Written(str(path), 100))
    with open_growing(str(path), WrittenSizes(teller.receive)) as stream, pytest.raises(OSError, match="ends at 14"):
        stream.read()


def test_a_reader_whose_teller_is_gone_stops(tmp_path: Path) -> None:
    teller = Teller()
    teller.gone = True
    with open_growing(str(tmp_path / "never.nq"), WrittenSizes(teller.receive)) as stream, pytest.raises(EOFError):
        stream.read()


# ------------------------------------------------------------------------------------------ the whole path


@pytest.fixture
def followed(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> list[WorkerProcess]:
    """The workers QueryWorkers.follow starts (to watch them); the parsed files go to a folder of this test."""
    started: list[WorkerProcess] = []
    real = QueryWorkers.follow

    def follow(self: QueryWorkers, growing: tuple[str, ...]) -> None:
        real(self, growing)
        assert self._loading is not None
        started.append(self._loading)

    monkeypatch.setattr(QueryWorkers, "follow", follow)
    (tmp_path / "tmp").mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    return started


def _read_so_far(pid: int) -> int:
    """How far process ``pid`` has read the N-Quads file it has open (0 before it opened one)."""
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        with contextlib.suppress(OSError):
            if os.readlink(fd).endswith(".nq"):
                info = Path(f"/proc/{pid}/fdinfo/{fd.name}").read_text()
                return int(next(line for line in info.splitlines() if line.startswith("pos:")).split()[1])
    return 0


@contextlib.contextmanager
def fed_through_a_pipe(tmp_path: Path, settings: Settings) -> Iterator[tuple[Any, dict[str, Any]]]:
    """Open ``from_files`` on a named pipe in a thread (with a query worker started at once); yield the pipe
    open for writing and the outcome (filled once the caller closed the pipe and the thread ended)."""
    fifo = tmp_path / "data.nt"
    os.mkfifo(fifo)
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            outcome["kg"] = KnowledgeGraph.from_files([str(fifo)], settings=settings, start_query_worker=True)
        except BaseException as exc:  # handed to the test
            outcome["error"] = exc

    thread = threading.Thread(target=run)
    thread.start()
    try:
        with open(fifo, "w", encoding="utf-8") as pipe:  # waits for the parse worker to open it
            yield pipe, outcome
    finally:
        thread.join(timeout=120)
    assert not thread.is_alive()


def _wait_until_reading(worker: WorkerProcess) -> None:
    deadline = time.monotonic() + 60
    while _read_so_far(worker.proc.pid) == 0:
        assert worker.proc.poll() is None, "the query worker ended"
        assert time.monotonic() < deadline, "the query worker never read the N-Quads being written"
        time.sleep(0.02)


def _first_worker_reading(followed: list[WorkerProcess]) -> float:
    """Wait until the pool has started its first worker with the parse and that worker has read N-Quads; return the
    deadline used (60 s from now), for what the test waits for next."""
    deadline = time.monotonic() + 60
    while not followed:
        assert time.monotonic() < deadline, "no query worker was started with the parse"
        time.sleep(0.02)
    _wait_until_reading(followed[0])
    return deadline


def test_the_first_worker_loads_while_the_file_is_parsed_and_holds_all_of_it(
    tmp_path: Path, followed: list[WorkerProcess]
) -> None:
    with fed_through_a_pipe(tmp_path, Settings()) as (pipe, outcome):
        pipe.write(_lines(0, 3000))
        pipe.flush()
        _first_worker_reading(followed)
        assert "kg" not in outcome
        assert "error" not in outcome
        pipe.write(_lines(3000, 6000))
    assert "error" not in outcome, outcome
    with outcome["kg"] as kg:
        rows = kg.sparql("SELECT ?s ?o WHERE { ?s ?p ?o }", max_rows=10_000).rows
        assert sorted((str(s), str(o)) for s, o in rows) == sorted(
            (f"{EX}s{i}", f"value number {i} of the test data") for i in range(6000)
        )
        assert kg.query_counts()["workers_running"] == 1  # the one started with the parse answered
        assert followed[0].alive()
        assert followed[0].ready
        nquads = Path(kg.recipe.files[0].path).read_text(encoding="utf-8")
        assert nquads.count("\n") == 6000  # the file stays whole for a worker started later


def test_several_files_of_several_formats_load_in_the_worker_started_with_the_parse(
    tmp_path: Path, followed: list[WorkerProcess]
) -> None:
    turtle = tmp_path / "a.ttl"
    turtle.write_text(f"@prefix ex: <{EX}> . ex:a ex:knows ex:b , ex:c . [] ex:p ex:a .", encoding="utf-8")
    triples = tmp_path / "b.nt"
    triples.write_text(_lines(0, 2000), encoding="utf-8")
    with KnowledgeGraph.from_files([str(turtle), str(triples)], start_query_worker=True) as kg:
        count = kg.sparql("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }").rows[0][0].value  # type: ignore[union-attr]
        assert count == str(len(kg)) == "2003"
        assert len(followed) == 1
        assert followed[0].ready
        assert followed[0].start.growing == tuple(f.path for f in kg.recipe.files)


def test_a_restarted_worker_loads_the_whole_file(tmp_path: Path, followed: list[WorkerProcess]) -> None:
    path = tmp_path / "data.nt"
    path.write_text(_lines(0, 3000), encoding="utf-8")
    with KnowledgeGraph.from_files([str(path)], start_query_worker=True) as kg:
        with pytest.raises(QueryTimeout):
            kg.sparql(RUNAWAY, timeout_s=1)  # the worker that loaded while parsing is killed
        assert not followed[0].alive()
        assert kg.sparql("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }").rows[0][0].value == "3000"  # type: ignore[union-attr]


def _error_of(path: Path, *, start_query_worker: bool) -> GraphLoadError:
    with pytest.raises(GraphLoadError) as caught:
        KnowledgeGraph.from_files([str(path)], start_query_worker=start_query_worker)
    return caught.value


def test_a_parse_error_after_the_worker_began_loading_gives_todays_error_and_stops_it(
    tmp_path: Path, followed: list[WorkerProcess]
) -> None:
    bad = _lines(0, 3000) + f"<{EX}s> <{EX}p> .\n" + _lines(3000, 3100)
    with fed_through_a_pipe(tmp_path, Settings()) as (pipe, outcome):
        pipe.write(bad[:200_000])
        pipe.flush()
        _first_worker_reading(followed)
        with contextlib.suppress(BrokenPipeError):
            pipe.write(bad[200_000:])
    error = outcome.get("error")
    assert isinstance(error, GraphLoadError), outcome
    (tmp_path / "plain").mkdir()
    plain = tmp_path / "plain" / "data.nt"
    plain.write_text(bad, encoding="utf-8")
    today = _error_of(plain, start_query_worker=False)
    assert (error.line, error.column) == (today.line, today.column) == (3001, today.column)
    assert str(error).replace(str(tmp_path / "data.nt"), "X") == str(today).replace(str(plain), "X")
    assert followed[0].proc.poll() is not None  # the worker that loaded part of it was killed
    assert not followed[0].ready
    assert list((tmp_path / "tmp").iterdir()) == []  # no parsed file left behind


def test_a_parse_stopped_at_its_time_limit_while_the_worker_loads_stops_the_worker(
    tmp_path: Path, followed: list[WorkerProcess]
) -> None:
    with fed_through_a_pipe(tmp_path, Settings(parse_time_limit_s=8)) as (pipe, outcome):
        pipe.write(_lines(0, 3000))
        pipe.flush()
        deadline = _first_worker_reading(followed)
        while "error" not in outcome:  # the pipe stays open: the parse worker waits until it is killed
            assert time.monotonic() < deadline
            time.sleep(0.05)
    error = outcome["error"]
    assert isinstance(error, GraphLoadError)
    assert "took longer than 8 s" in str(error)
    assert "parse_time_limit_s" in str(error)
    assert followed[0].proc.poll() is not None
    assert list((tmp_path / "tmp").iterdir()) == []


def test_the_query_command_reports_a_bad_line_as_the_other_commands_do(tmp_path: Path) -> None:
    path = tmp_path / "data.nt"
    path.write_text(_lines(0, 2000) + "this is not a triple\n", encoding="utf-8")
    queried = CliRunner().invoke(cli, ["--data", str(path), "query", "ASK { ?s ?p ?o }"])
    counted = CliRunner().invoke(cli, ["--data", str(path), "stats"])
    assert queried.exit_code == counted.exit_code == 1
    assert "line 2001" in queried.output
    assert queried.output == counted.output


def test_serve_loads_the_data_in_a_query_worker_while_it_is_parsed(
    tmp_path: Path, followed: list[WorkerProcess], monkeypatch: pytest.MonkeyPatch
) -> None:
    from kgexplorer.server import endpoint

    path = tmp_path / "data.nt"
    path.write_text(_lines(0, 2000), encoding="utf-8")
    counted: list[str] = []

    def serve(kg: KnowledgeGraph, **_: object) -> None:  # instead of serving: what the endpoint would answer
        counted.append(kg.sparql("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }").rows[0][0].value)  # type: ignore[union-attr]

    monkeypatch.setattr(endpoint, "serve", serve)
    served = CliRunner().invoke(cli, ["--data", str(path), "serve", "--port", "7999"])
    assert served.exit_code == 0, served.output
    assert counted == ["2000"]
    assert len(followed) == 1  # the worker started with the parse, not after it
