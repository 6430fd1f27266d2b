"""Promise 7: data never controls the terminal (issue 12, point 5).

A dataset's labels carry the sequences a terminal obeys: clear the screen, set the window title, draw a link
that goes elsewhere (OSC 8), write the clipboard (OSC 52), the same through a C1 control (CSI as U+009B),
and characters that hide or reorder text (U+202E, U+2066..U+2069, U+200B). They reached the terminal raw from
``search``, ``show``, ``query`` (table and CSV), ``validate`` and error lines. Now text for people shows them
escaped; JSON and RDF output write them with their own escapes (the data parses back exact); CSV and TSV are
escaped on a terminal and exact when piped; the server's log lines escape them too.
"""

from __future__ import annotations

import json
import os
import pty
import select
import subprocess
import sys
import time
import unicodedata
import urllib.error
import urllib.request
from pathlib import Path

import pyoxigraph as ox
import pytest
from click.testing import CliRunner

from kgexplorer.cli.commands import cli
from kgexplorer.control_chars import escape_log_records

pytestmark = pytest.mark.xdist_group("security_terminal")

#: What a terminal would obey, one of each kind.
SEQUENCES = {
    "clear screen": "\x1b[2J",
    "window title": "\x1b]0;pwned\x07",
    "OSC 8 link": "\x1b]8;;http://evil.example/\x07click\x1b]8;;\x07",
    "OSC 52 clipboard": "\x1b]52;c;cHduZWQ=\x07",
    "C1 CSI": "\x9b31m",
    "bidi override": "\u202egnp.exe",
    "bidi isolate": "\u2066x\u2069",
    "zero width": "a\u200bb",
    "line separator": "a\u2028b",
}
LABEL = "Escaper " + "".join(SEQUENCES.values())


def _turtle_string(text: str) -> str:
    return "".join(c if c.isprintable() and c not in '"\\' else f"\\U{ord(c):08X}" for c in text)


HOSTILE = f"""PREFIX kg: <https://w3id.org/kgexplorer/id/>
PREFIX kgx: <https://w3id.org/kgexplorer/vocab#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>

kg:escaper a kgx:Substance ;
    rdfs:label "{_turtle_string(LABEL)}"@en ;
    skos:altLabel "{_turtle_string("alias " + SEQUENCES["window title"])}"@en ;
    skos:definition "{_turtle_string("defined " + SEQUENCES["OSC 52 clipboard"])}" .
"""
SELECT = "SELECT ?l WHERE { kg:escaper rdfs:label ?l }"
CONSTRUCT = "CONSTRUCT { kg:escaper rdfs:label ?l } WHERE { kg:escaper rdfs:label ?l }"


def unsafe(text: str, *, allowed: str = "\n") -> list[str]:
    """The characters in ``text`` a terminal acts on or hides (Cc, Cf, Zl, Zp, Cs), but ``allowed``."""
    return [c for c in text if c not in allowed and unicodedata.category(c) in {"Cc", "Cf", "Zl", "Zp", "Cs"}]


def strings(value: object) -> list[str]:
    """Every string in a parsed JSON value."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in strings(v)]
    return []


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("terminal") / "hostile.ttl"
    path.write_text(HOSTILE, encoding="utf-8")
    return path


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.parametrize(
    "args",
    [
        ["search", "Escaper"],
        ["search", "alias"],
        ["show", "escaper"],
        ["query", SELECT],
        ["query", "SELECT ?l WHERE { kg:escaper ?p ?l }"],
    ],
    ids=["search", "search-synonym", "show", "query-table", "query-table-all"],
)
def test_text_for_people_shows_control_characters_escaped(hostile: Path, args: list[str]) -> None:
    code, out, err = run("--data", str(hostile), *args)
    assert code == 0, err
    assert unsafe(out) == [], out
    assert unsafe(err) == [], err
    assert "\\x1b" in out


def test_stats_shows_class_names_escaped(tmp_path: Path) -> None:
    """An IRI may hold bidi and zero-width characters (not C0 controls): a class name reorders the line."""
    path = tmp_path / "classes.ttl"
    path.write_text("<http://example.org/a> a <http://example.org/Evil\u202eSSALC\u200b> .\n", encoding="utf-8")
    code, out, err = run("--data", str(path), "stats")
    assert code == 0, err
    assert unsafe(out) == [], out
    assert "Evil\\u202eSSALC\\u200b" in out


def test_the_label_shows_as_its_escapes(hostile: Path) -> None:
    _, out, _ = run("--data", str(hostile), "show", "escaper")
    assert "Escaper \\x1b[2J\\x1b]0;pwned\\x07" in out
    assert "\\x9b31m\\u202egnp.exe\\u2066x\\u2069a\\u200bba\\u2028b" in out


@pytest.mark.parametrize(
    "args",
    [
        ["search", "Escaper", "--format", "json"],
        ["show", "escaper", "--format", "json"],
        ["query", SELECT, "--format", "json"],
    ],
    ids=["search", "show", "query"],
)
def test_json_keeps_the_data_exact_and_is_safe_on_a_terminal(hostile: Path, args: list[str]) -> None:
    code, out, err = run("--data", str(hostile), *args)
    assert code == 0, err
    assert unsafe(out) == []
    assert LABEL in strings(json.loads(out))  # the data, exactly


@pytest.mark.parametrize("fmt", ["turtle", "nt", "jsonld"])
def test_rdf_output_keeps_the_data_exact_and_is_safe_on_a_terminal(hostile: Path, fmt: str) -> None:
    code, out, err = run("--data", str(hostile), "query", CONSTRUCT, "--format", fmt)
    assert code == 0, err
    assert unsafe(out, allowed="\n\t") == []
    oxigraph_format = {"turtle": ox.RdfFormat.TURTLE, "nt": ox.RdfFormat.N_TRIPLES, "jsonld": ox.RdfFormat.JSON_LD}
    (triple,) = ox.parse(out.encode(), format=oxigraph_format[fmt])
    assert triple.object.value == LABEL


@pytest.mark.parametrize("fmt", ["csv", "tsv"])
def test_csv_and_tsv_are_exact_when_piped(hostile: Path, fmt: str) -> None:
    code, out, _ = run("--data", str(hostile), "query", SELECT, "--format", fmt)
    assert code == 0
    # A script reading the pipe gets the data as the format writes it (TSV writes C0 controls as \u001B).
    exact = SEQUENCES["window title"] if fmt == "csv" else "\\u001B]0;pwned\\u0007"
    assert exact in out
    assert SEQUENCES["C1 CSI"] + SEQUENCES["bidi override"] in out


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="a pseudo-terminal (Linux)")
@pytest.mark.parametrize("fmt", ["csv", "tsv", "table"])
def test_csv_and_tsv_are_escaped_on_a_terminal(hostile: Path, fmt: str) -> None:
    """Run the real command with its standard output on a pseudo-terminal."""
    leader, follower = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "kgexplorer.cli.commands", "--data", str(hostile), "query", SELECT, "--format", fmt],
        stdout=follower,
        stderr=subprocess.DEVNULL,
        stdin=subprocess.DEVNULL,
    )
    os.close(follower)
    received = b""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        ready, _, _ = select.select([leader], [], [], 1)
        if ready:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # the command ended and closed the terminal
                break
            if not chunk:
                break
            received += chunk
        elif proc.poll() is not None:
            break
    os.close(leader)
    assert proc.wait(timeout=30) == 0
    text = received.decode("utf-8").replace("\r\n", "\n")  # the terminal's own line ends
    assert unsafe(text) == [], text
    # TSV writes a term in Turtle syntax, whose own escape for ESC is \u001B; the rest is escaped here.
    assert ("\\u001B]0;pwned\\u0007" if fmt == "tsv" else "\\x1b]0;pwned\\x07") in text
    if fmt != "table":  # (the table clips a cell at 60 characters)
        assert "\\x9b31m\\u202egnp.exe" in text


def test_error_lines_show_control_characters_escaped(tmp_path: Path) -> None:
    missing = tmp_path / f"data{SEQUENCES['window title']}{SEQUENCES['bidi override']}.ttl"
    code, _, err = run("--data", str(missing), "stats")
    assert code == 1
    assert unsafe(err) == [], err
    assert "\\x1b]0;pwned\\x07\\u202egnp.exe" in err
    lines = err.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("Error: ")


def test_validate_shows_the_problems_escaped(hostile: Path) -> None:
    """The hostile substance breaks the shapes (no English definition, no source): the report names it."""
    code, out, err = run("validate", str(hostile))
    assert code == 1
    assert "problem(s)" in out
    assert unsafe(out) == [], out
    assert unsafe(err) == [], err


def test_log_records_escape_their_message_and_arguments(caplog: pytest.LogCaptureFixture) -> None:
    """What kgexplorer serve installs for its process: a query or path quoted in a log line is escaped."""
    import logging

    before = logging.getLogRecordFactory()
    try:
        escape_log_records()
        escape_log_records()  # once is enough; a second call changes nothing
        with caplog.at_level(logging.INFO, logger="kgexplorer.test"):
            logging.getLogger("kgexplorer.test").info(
                "a query could not be answered: %s (%s)", LABEL, f"from {SEQUENCES['bidi override']}"
            )
            logging.getLogger("kgexplorer.test").info(f"plain {SEQUENCES['window title']}")
    finally:
        logging.setLogRecordFactory(before)
    messages = [r.getMessage() for r in caplog.records]
    assert all(unsafe(m) == [] for m in messages), messages
    assert "Escaper \\x1b[2J" in messages[0]
    assert "from \\u202egnp.exe" in messages[0]
    assert messages[1] == "plain \\x1b]0;pwned\\x07"


@pytest.mark.slow
def test_a_real_servers_log_has_no_control_characters_from_clients(tmp_path: Path) -> None:
    """A request path and query carrying escape sequences: the log (the access log included) shows them
    escaped or percent-encoded, never raw."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    log_path = tmp_path / "log.txt"
    with log_path.open("wb") as log_file:
        proc = subprocess.Popen(
            [sys.executable, "-m", "kgexplorer.cli.commands", "serve", "--port", str(port)],
            stdout=log_file,  # the access log goes to standard output
            stderr=log_file,
            stdin=subprocess.DEVNULL,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            assert proc.poll() is None, log_path.read_text()
            try:
                with urllib.request.urlopen(f"{base}/service-description", timeout=5):
                    break
            except (urllib.error.URLError, ConnectionError):
                assert time.monotonic() < deadline, log_path.read_text()
                time.sleep(0.1)
        for path in ("/%1B%5D0;pwned%07x", "/sparql?query=%1B%5B2J%C2%9B%E2%80%AEpwned"):
            try:
                urllib.request.urlopen(base + path, timeout=30).close()
            except urllib.error.HTTPError as exc:
                exc.close()
        time.sleep(0.5)
    finally:
        proc.terminate()
        proc.wait(timeout=60)
    log = log_path.read_bytes().decode("utf-8")
    assert log.count("pwned") >= 2, log
    assert unsafe(log) == [], repr(log)
