"""Parsing a person's files in the parse worker (kgexplorer.engine.parse_worker): a separate process under the network
sandbox and RLIMIT_AS, stopped at its wall-clock limit; the app, the CLI and the query workers load only the
N-Quads it writes (issue 12: "RDF parsed in the app or CLI process" was outside the sandbox).

The process is caught in the act with a named pipe: the worker blocks reading it, and the test reads the
worker's /proc entries before writing the data.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import pytest
from click.testing import CliRunner

import kgexplorer.engine.store as store_module
from kgexplorer import GraphLoadError, KnowledgeGraph, Settings
from kgexplorer.cli.commands import cli
from kgexplorer.engine.bulk_load import bulk_load
from kgexplorer.engine.parse_worker import needs_parsing, parse_files
from kgexplorer.engine.store import DataFile, bundled_graph_dir
from kgexplorer.engine.validation import validate
from kgexplorer.ui.data_sources import Upload, check_uploads, open_uploads

EX = "http://example.org/"
TRIPLE = f"<{EX}a> <{EX}p> <{EX}b> .\n"
RDF_XML = (
    '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:ex="http://example.org/">'
    '<rdf:Description rdf:about="http://example.org/a"><ex:p>x</ex:p></rdf:Description></rdf:RDF>'
)


# What the kernel says a process opening a named pipe for reading waits in (/proc/PID/wchan).
_WAITING_FOR_A_WRITER = ("fifo_open", "pipe_wait", "wait_for_partner", "pipe_read")


def _parse_workers() -> list[int]:
    """The parse worker processes this test process started."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            cmdline = (entry / "cmdline").read_bytes()
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            if b"kgexplorer.engine.parse_worker" in cmdline and ppid == os.getpid():
                found.append(int(entry.name))
    return found


@contextlib.contextmanager
def blocked_parse(tmp_path: Path, start: Callable[[str], Any]) -> Iterator[tuple[int, dict[str, Any]]]:
    """Start ``start(fifo)`` in a thread; yield the parse worker's pid while it waits on the pipe, and the
    outcome (filled when the caller has written the pipe and the thread ended)."""
    fifo = tmp_path / "slow.nt"
    os.mkfifo(fifo)
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            outcome["value"] = start(str(fifo))
        except BaseException as exc:  # handed to the test
            outcome["error"] = exc

    thread = threading.Thread(target=run)
    thread.start()
    deadline = time.monotonic() + 30
    while not (pids := _parse_workers()):
        assert thread.is_alive(), outcome
        assert time.monotonic() < deadline, "no parse worker started"
        time.sleep(0.02)
    try:
        yield pids[0], outcome
    finally:
        thread.join(timeout=60)


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads /proc (Linux)")
@pytest.mark.parametrize(
    "start",
    [
        lambda path: len(KnowledgeGraph.from_files([path], settings=Settings(parse_memory_mb=700))),
        lambda path: validate([path], settings=Settings(parse_memory_mb=700)).conforms,
    ],
    ids=["data", "validate"],
)
def test_data_files_are_parsed_in_a_sandboxed_memory_capped_process(tmp_path: Path, start: Any) -> None:
    with blocked_parse(tmp_path, start) as (pid, outcome):
        deadline = time.monotonic() + 30
        while Path(f"/proc/{pid}/wchan").read_text() not in _WAITING_FOR_A_WRITER:  # it reached the file
            assert time.monotonic() < deadline, Path(f"/proc/{pid}/wchan").read_text()
            time.sleep(0.02)
        status = Path(f"/proc/{pid}/status").read_text()
        limits = Path(f"/proc/{pid}/limits").read_text()
        assert pid != os.getpid()
        assert "Seccomp:\t2" in status, status  # the network sandbox (seccomp filter) is on
        address_space = next(line for line in limits.splitlines() if line.startswith("Max address space"))
        assert address_space.split()[3] == str(700 << 20), address_space
        with open(tmp_path / "slow.nt", "w", encoding="utf-8") as pipe:
            pipe.write(TRIPLE)
    assert "error" not in outcome, outcome
    assert outcome["value"] in (1, True)


def test_a_parse_past_its_time_limit_is_stopped_with_the_setting_named(tmp_path: Path) -> None:
    started = time.monotonic()

    def start(path: str) -> Any:
        return KnowledgeGraph.from_files([path], settings=Settings(parse_time_limit_s=1))

    with blocked_parse(tmp_path, start) as (pid, outcome):
        pass  # never written: the worker waits until it is killed
    error = outcome.get("error")
    assert isinstance(error, GraphLoadError), outcome
    assert "parsing slow.nt took longer than 1 s" in str(error)
    assert "parse_time_limit_s" in str(error)
    assert time.monotonic() - started < 20
    assert not Path(f"/proc/{pid}").exists() or "zombie" in Path(f"/proc/{pid}/status").read_text()


def test_a_worker_killed_by_the_kernel_is_reported_as_out_of_memory(tmp_path: Path) -> None:
    def start(path: str) -> Any:
        return parse_files([DataFile(path)], settings=Settings(parse_memory_mb=512))

    with blocked_parse(tmp_path, start) as (pid, outcome):
        os.kill(pid, signal.SIGKILL)  # what the kernel does to a process out of memory
    error = outcome.get("error")
    assert isinstance(error, GraphLoadError), outcome
    assert "needed more memory than the parser may use (512 MiB, the parse_memory_mb setting)" in str(error)


# ------------------------------------------------------------------------------------ never in this process


@pytest.fixture
def no_parsing_here(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail any parse in this process but of N-Quads (the worker's output) and the bundled graph."""
    real = store_module._parse_into

    def guarded(store: Any, stream: Any, fmt: Any, name: str, **kwargs: Any) -> None:
        ours = Path(name).resolve().parent == bundled_graph_dir().resolve()
        assert fmt == ox.RdfFormat.N_QUADS or ours, f"{name} ({fmt}) was parsed in the app's process"
        real(store, stream, fmt, name, **kwargs)

    def refused(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("parsed in the app's process")

    monkeypatch.setattr(store_module, "_parse_into", guarded)
    monkeypatch.setattr(store_module, "CleanXml", refused)
    monkeypatch.setattr(store_module, "load_bytes", refused)


@pytest.mark.usefixtures("no_parsing_here")
def test_uploads_data_validate_and_load_never_parse_in_this_process(tmp_path: Path) -> None:
    xml = tmp_path / "a.rdf"
    xml.write_text(RDF_XML, encoding="utf-8")
    ttl = tmp_path / "b.ttl"
    ttl.write_text(f"@prefix ex: <{EX}> . ex:a ex:q ex:c .", encoding="utf-8")
    with KnowledgeGraph.from_files([str(xml), str(ttl)]) as kg:
        assert len(kg) == 2
    uploads = [Upload("a.rdf", RDF_XML.encode()), Upload("b.ttl", ttl.read_bytes())]
    assert [c.triples for c in check_uploads(uploads)] == [1, 1]
    with open_uploads(uploads) as source:
        assert source.report is not None
        assert source.report.triples == 2
    assert validate([str(xml)]).conforms
    assert bulk_load([str(xml), str(ttl)], str(tmp_path / "store")) == 2
    result = CliRunner().invoke(cli, ["--data", str(xml), "stats", "--format", "json"])
    assert result.exit_code == 0, result.output


def test_the_query_workers_load_the_parsed_n_quads(tmp_path: Path) -> None:
    path = tmp_path / "a.rdf"
    path.write_text(RDF_XML, encoding="utf-8")
    with KnowledgeGraph.from_files([str(path)]) as kg:
        (data_file,) = kg.recipe.files
        assert data_file.format == "nq"
        assert data_file.origin == str(path)
        assert kg.sparql(f"ASK {{ <{EX}a> <{EX}p> 'x' }}").value is True  # type: ignore[union-attr]
        folder = Path(data_file.path).parent
        assert folder.is_dir()
    assert not folder.exists()  # close() deletes the parsed files


def test_needs_parsing_spares_only_the_bundled_graph_and_kgexplorers_own_files(tmp_path: Path) -> None:
    assert not needs_parsing(DataFile(str(bundled_graph_dir() / "ontology.ttl")))
    assert not needs_parsing(DataFile(str(tmp_path / "x.nq"), "nq", origin="upload.ttl"))
    assert needs_parsing(DataFile(str(tmp_path / "x.nq"), "nq"))
    assert needs_parsing(DataFile(str(bundled_graph_dir() / ".." / "elsewhere.ttl")))


def test_each_file_gets_its_own_answer_and_the_worker_says_whether_it_is_sandboxed(tmp_path: Path) -> None:
    good, bad = tmp_path / "good.nt", tmp_path / "bad.nt"
    good.write_text(TRIPLE * 3, encoding="utf-8")
    bad.write_text("<oops", encoding="utf-8")
    with parse_files([DataFile(str(bad)), DataFile(str(good))], stop_at_first_error=False) as parsed:
        assert [f.quads for f in parsed.files] == [0, 3]
        assert parsed.files[0].error is not None
        assert "bad.nt is not valid N-Triples at line 1" in str(parsed.files[0].error)
        assert parsed.sandbox.startswith("network sandbox on")
    with parse_files([DataFile(str(bad)), DataFile(str(good))]) as parsed:
        assert len(parsed.files) == 1  # stopped at the first error


def test_the_same_file_gives_the_same_n_quads(tmp_path: Path) -> None:
    """Blank nodes are numbered in order, so caches keyed by content (reasoning) work on parsed files."""
    path = tmp_path / "anon.ttl"
    path.write_text(f"@prefix ex: <{EX}> . ex:a ex:p [ ex:q [ ex:r 1 ] ] , _:x . _:x ex:s ex:a .", encoding="utf-8")
    texts = []
    for _ in range(2):
        with parse_files([DataFile(str(path))]) as parsed:
            assert parsed.files[0].data_file is not None
            texts.append(Path(parsed.files[0].data_file.path).read_text(encoding="utf-8"))
    assert texts[0] == texts[1]
    assert "_:b0 " in texts[0]


# Runs the parse worker with the kernel's refusal simulated: install_network_sandbox changes nothing and says why.
_WITHOUT_SANDBOX = """
import kgexplorer.engine.sandbox as sandbox
sandbox.install_network_sandbox = lambda: sandbox.SandboxStatus(False, "switched off by the test")
from kgexplorer.engine.parse_worker_main import child_main
child_main()
"""


def test_without_the_sandbox_it_still_parses_and_warns_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    import logging
    import sys

    import kgexplorer.engine.parse_worker as parse_worker_module

    monkeypatch.setattr(parse_worker_module, "_worker_command", lambda: [sys.executable, "-c", _WITHOUT_SANDBOX])
    monkeypatch.setattr(parse_worker_module, "_warned", [])
    path = tmp_path / "a.nt"
    path.write_text(TRIPLE, encoding="utf-8")
    with caplog.at_level(logging.WARNING, logger="kgexplorer.engine.parse_worker"):
        for _ in range(2):
            with parse_files([DataFile(str(path))]) as parsed:
                assert parsed.files[0].quads == 1
                assert parsed.sandbox == "network sandbox off: switched off by the test"
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert warnings == ["parsing files without the network sandbox (network sandbox off: switched off by the test)"]


@pytest.mark.parametrize("name", ["big.nt.gz", "big.rdf.gz"])
def test_an_upload_past_max_decompressed_mb_is_refused_in_the_worker_with_the_setting_named(name: str) -> None:
    """The parse worker streams the gzip file and stops past the setting (RDF/XML through expat too)."""
    import gzip

    body = (
        RDF_XML.replace("<ex:p>x</ex:p>", "<ex:p>" + "x" * (3 << 20) + "</ex:p>")
        if name.endswith(".rdf.gz")
        else f'<{EX}a> <{EX}p> "{"x" * (3 << 20)}" .\n'
    )
    (check,) = check_uploads([Upload(name, gzip.compress(body.encode()))], settings=Settings(max_decompressed_mb=1))
    assert check.error is not None
    assert str(check.error) == (
        f"{name} expands to more than 1.0 MiB when decompressed (the max_decompressed_mb setting); upload a smaller "
        "file or raise the setting"
    )
