"""The command line (kgexplorer.cli.commands), driven through click's CliRunner: output formats, query input from
files and stdin, truncation notes, and one-line errors with exit status 1 and no traceback."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
import rdflib
from click.testing import CliRunner, Result

from kgexplorer import KnowledgeGraph, __version__, describe_settings
from kgexplorer.cli.commands import cli
from kgexplorer.curation.records import Records
from kgexplorer.engine.validation import ValidationReport

EX = "http://example.org/"
TINY = (
    f"@prefix ex: <{EX}> .\n@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n"
    'ex:ada a ex:Person ; rdfs:label "Ada Lovelace"@en ; ex:knows ex:charles .\n'
    'ex:charles a ex:Person ; rdfs:label "Charles Babbage"@en .\n'
)
SELECT = "SELECT ?s ?l WHERE { ?s rdfs:label ?l } ORDER BY ?l"
CONSTRUCT = "CONSTRUCT { ?s rdfs:label ?l } WHERE { ?s rdfs:label ?l }"


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("cli") / "people.ttl"
    path.write_text(TINY, encoding="utf-8")
    return str(path)


def run(args: Sequence[str], *, stdin: str | None = None) -> Result:
    return CliRunner().invoke(cli, list(args), input=stdin)


def assert_one_line_error(result: Result, starts: str) -> None:
    assert result.exit_code == 1, result.output
    assert result.stdout == ""
    assert result.stderr.startswith(f"Error: {starts}")
    assert result.stderr.count("\n") == 1
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_version_names_the_package_and_data_versions() -> None:
    result = run(["--version"])
    assert result.exit_code == 0
    assert result.stdout.startswith(f"kgexplorer {__version__} (bundled graph data version ")
    assert "unknown" not in result.stdout


def test_stats_as_text_and_json() -> None:
    text = run(["stats"])
    assert text.exit_code == 0
    assert text.stdout.startswith("triples: ")
    assert "claims: " in text.stdout
    data = json.loads(run(["stats", "--format", "json"]).stdout)
    assert data["claims"] > 50
    assert data["entities_by_kind"]["Substance"] > 5


def test_search_text_and_json() -> None:
    text = run(["search", "special K"])
    assert text.exit_code == 0
    assert text.stdout.splitlines()[0] == "Ketamine  [Substance]  kg:ketamine  (matched 'Special K')"
    hits = json.loads(run(["search", "Spravato", "--format", "json", "--limit", "2"]).stdout)
    assert len(hits) == 2
    assert hits[0] == {
        "iri": "https://w3id.org/kgexplorer/id/esketamine",
        "label": "Esketamine",
        "kind": "Substance",
        "matched": "Spravato",
    }


def test_search_without_hits_says_so() -> None:
    result = run(["search", "zzqqxx"])
    assert result.exit_code == 0
    assert result.stdout.startswith("No entity matches 'zzqqxx'")


def test_show_text() -> None:
    result = run(["show", "ketamine"])
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0] == "Ketamine  [Substance]  kg:ketamine"
    assert any(line.startswith("also called: ") and "Ketalar" in line for line in lines)
    assert any(line.startswith("ChEBI: CHEBI:") for line in lines)
    assert "tested as a treatment for:" in lines
    assert lines[-1] == "Educational content, not medical advice."


def test_show_json() -> None:
    result = run(["show", "Spravato", "--format", "json"])
    assert result.exit_code == 0
    card = json.loads(result.stdout)
    assert card["ref"] == {
        "iri": "https://w3id.org/kgexplorer/id/esketamine",
        "label": "Esketamine",
        "kind": "Substance",
    }
    assert card["claims"]
    assert {"level", "direction", "studies"} <= set(card["claims"][0])


def test_show_an_unknown_entity_is_a_one_line_error() -> None:
    assert_one_line_error(run(["show", "ketamin"]), "no entity called 'ketamin'; did you mean: Ketamine")


def test_query_select_as_a_table_by_default(tiny: str) -> None:
    result = run(["--data", tiny, "query", SELECT])
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert [c.strip() for c in lines[0].split("|")] == ["s", "l"]
    assert "Ada Lovelace" in lines[2]
    assert lines[-1] == "(2 rows)"
    assert result.stderr == ""


def test_query_select_as_sparql_json(tiny: str) -> None:
    data = json.loads(run(["--data", tiny, "query", SELECT, "--format", "json"]).stdout)
    assert data["head"]["vars"] == ["s", "l"]
    assert [b["l"]["value"] for b in data["results"]["bindings"]] == ["Ada Lovelace", "Charles Babbage"]


def test_query_select_as_csv_and_tsv(tiny: str) -> None:
    csv_out = run(["--data", tiny, "query", SELECT, "--format", "csv"]).stdout
    assert list(csv.reader(io.StringIO(csv_out))) == [
        ["s", "l"],
        [f"{EX}ada", "Ada Lovelace"],
        [f"{EX}charles", "Charles Babbage"],
    ]
    tsv_out = run(["--data", tiny, "query", SELECT, "--format", "tsv"]).stdout
    assert tsv_out.splitlines() == ["?s\t?l", f'<{EX}ada>\t"Ada Lovelace"@en', f'<{EX}charles>\t"Charles Babbage"@en']


@pytest.mark.parametrize(("fmt", "parser"), [(None, "turtle"), ("turtle", "turtle"), ("nt", "nt")])
def test_query_construct_as_rdf(tiny: str, fmt: str | None, parser: str) -> None:
    args = ["--data", tiny, "query", CONSTRUCT] + (["--format", fmt] if fmt else [])
    result = run(args)
    assert result.exit_code == 0
    graph = rdflib.Graph().parse(data=result.stdout, format=parser)
    assert {str(o) for o in graph.objects()} == {"Ada Lovelace", "Charles Babbage"}


def test_query_construct_as_jsonld(tiny: str) -> None:
    data = json.loads(run(["--data", tiny, "query", CONSTRUCT, "--format", "jsonld"]).stdout)
    assert {d["@id"] for d in data} == {f"{EX}ada", f"{EX}charles"}


def test_query_ask_as_text_and_json(tiny: str) -> None:
    assert run(["--data", tiny, "query", f"ASK {{ <{EX}ada> ?p ?o }}"]).stdout == "yes\n"
    assert run(["--data", tiny, "query", f"ASK {{ <{EX}nobody> ?p ?o }}"]).stdout == "no\n"
    data = json.loads(run(["--data", tiny, "query", "ASK { ?s ?p ?o }", "--format", "json"]).stdout)
    assert data == {"head": {}, "boolean": True}


@pytest.mark.parametrize(("query", "fmt"), [(SELECT, "turtle"), (CONSTRUCT, "csv"), ("ASK { ?s ?p ?o }", "tsv")])
def test_a_format_that_does_not_fit_the_query_is_a_usage_error(tiny: str, query: str, fmt: str) -> None:
    result = run(["--data", tiny, "query", query, "--format", fmt])
    assert result.exit_code == 2
    assert f"--format {fmt} does not apply" in result.stderr
    assert "Traceback" not in result.output


def test_query_from_a_file(tiny: str, tmp_path: Path) -> None:
    path = tmp_path / "labels.rq"
    path.write_text(SELECT, encoding="utf-8")
    result = run(["--data", tiny, "query", f"@{path}", "--format", "csv"])
    assert result.exit_code == 0
    assert result.stdout.splitlines()[1] == f"{EX}ada,Ada Lovelace"


def test_query_from_a_missing_file_is_a_one_line_error(tmp_path: Path) -> None:
    assert_one_line_error(run(["query", f"@{tmp_path / 'absent.rq'}"]), "cannot read the query file")


def test_query_from_stdin(tiny: str) -> None:
    result = run(["--data", tiny, "query", "-", "--format", "csv"], stdin=SELECT)
    assert result.exit_code == 0
    assert result.stdout.splitlines()[2] == f"{EX}charles,Charles Babbage"


def test_max_rows_cuts_the_result_and_notes_it_on_stderr() -> None:
    result = run(["query", "SELECT ?s WHERE { ?s ?p ?o }", "--max-rows", "3", "--format", "csv"])
    assert result.exit_code == 0
    assert len(result.stdout.splitlines()) == 1 + 3
    assert result.stderr == (
        "note: the result was cut at 3 rows (--max-rows / the max_result_rows setting); add LIMIT or narrow the query\n"
    )


def test_the_row_setting_caps_max_rows(tiny: str) -> None:
    result = run(["--setting", "max_result_rows", "1", "--data", tiny, "query", SELECT, "--max-rows", "50"])
    assert result.exit_code == 0
    assert result.stdout.splitlines()[-1] == "(1 rows, cut at the row limit)"
    assert "cut at 1 rows" in result.stderr


@pytest.mark.parametrize(
    ("query", "starts"),
    [
        ("DROP ALL", "DROP is not allowed"),
        ("LOAD <http://127.0.0.1:9/x.ttl>", "LOAD is not allowed"),
        ("INSERT DATA { <http://a> <http://b> <http://c> }", "INSERT DATA is not allowed"),
        ("SELECT * WHERE { SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }", "SERVICE is not allowed"),
        ("SELECT * FROM <http://127.0.0.1:9/x> WHERE { ?s ?p ?o }", "FROM and FROM NAMED are not allowed"),
        ("SELECT * WHERE {\n  ?s ?p ?o ?x\n}", "SPARQL syntax error at line 2, column 12"),
        ("SELECT * WHERE {\n  ?s foaf:name ?o\n}", "SPARQL syntax error at line 2, column 6"),
        ("", "the query is empty"),
    ],
)
def test_refused_and_broken_queries_exit_1_with_one_line(query: str, starts: str) -> None:
    assert_one_line_error(run(["query", query]), starts)


def test_a_bad_setting_value_is_a_one_line_error() -> None:
    assert_one_line_error(
        run(["--setting", "max_result_rows", "lots", "stats"]), "setting max_result_rows must be a whole number"
    )


def test_an_unknown_setting_is_a_one_line_error() -> None:
    assert_one_line_error(run(["--setting", "max_rows", "5", "stats"]), "unknown setting 'max_rows'")


def test_data_uses_the_users_file(tiny: str) -> None:
    result = run(["--data", tiny, "stats", "--format", "json"])
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert data["triples"] == 5
    assert data["classes"] == {"Person": 2}
    assert run(["--data", tiny, "search", "ada"]).stdout.startswith("Ada Lovelace  [Person]")


def test_a_broken_data_file_is_a_one_line_error(tmp_path: Path) -> None:
    path = tmp_path / "broken.ttl"
    path.write_text('@prefix ex: <http://example.org/> .\nex:a ex:b "open .\n', encoding="utf-8")
    assert_one_line_error(run(["--data", str(path), "stats"]), "broken.ttl is not valid Turtle at line 2")


def test_load_then_store_round_trip(tiny: str, tmp_path: Path) -> None:
    store = tmp_path / "store"
    loaded = run(["load", tiny, "--store", str(store)])
    assert loaded.exit_code == 0, loaded.output
    assert loaded.stdout == f"stored 5 quads in {store}; use: kgexplorer --store {store} stats\n"
    assert f"loading {tiny}" in loaded.stderr
    assert ": 5 triples, " in loaded.stderr  # the file's count and rate when it is loaded
    assert "loaded 5 quads in " in loaded.stderr  # the total and its rate at the end
    assert " quads/s)" in loaded.stderr
    result = run(["--store", str(store), "query", SELECT, "--format", "csv"])
    assert result.exit_code == 0
    assert result.stdout.splitlines()[1:] == [f"{EX}ada,Ada Lovelace", f"{EX}charles,Charles Babbage"]
    assert json.loads(run(["--store", str(store), "stats", "--format", "json"]).stdout)["triples"] == 5


def test_a_failed_load_is_a_one_line_error_and_keeps_the_store(tiny: str, tmp_path: Path) -> None:
    store = tmp_path / "store"
    assert run(["load", tiny, "--store", str(store)]).exit_code == 0
    bad = tmp_path / "bad.nt"
    bad.write_text("<http://a> <http://b> .\n", encoding="utf-8")
    result = run(["load", tiny, str(bad), "--store", str(store)])
    assert result.exit_code == 1
    assert result.stderr.splitlines()[-1].startswith("Error: bad.nt is not valid N-Triples at line 1")
    assert json.loads(run(["--store", str(store), "stats", "--format", "json"]).stdout)["triples"] == 5


def test_data_and_store_together_is_a_usage_error(tiny: str, tmp_path: Path) -> None:
    result = run(["--data", tiny, "--store", str(tmp_path), "stats"])
    assert result.exit_code == 2
    assert "use only one of --data, --store" in result.stderr


def test_settings_lists_every_setting_with_its_help() -> None:
    result = run(["settings"])
    assert result.exit_code == 0
    for s in describe_settings():
        assert f"{s.name} = {s.default}\n    {s.help}\n" in result.stdout


def test_gallery_lists_and_runs_questions_with_parameters(kg: KnowledgeGraph, records: Records) -> None:
    """`gallery` lists the competency questions; `gallery NAME --param` runs one with a bound value."""
    listing = run(["gallery"])
    result = run(["gallery", "rct-evidence-by-condition", "--param", "condition=PTSD", "--format", "csv"])

    assert listing.exit_code == 0
    assert "rct-evidence-by-condition" in listing.stdout
    assert "default kg:alcohol_use_disorder" in listing.stdout
    assert result.exit_code == 0, result.stdout + result.stderr
    shown = {row["substanceLabel"] for row in csv.DictReader(io.StringIO(result.stdout))}
    # The substances whose PTSD claims rest on a randomised trial or a meta-analysis of them, per the records.
    randomised = {
        c.subject
        for src, f in records.findings()
        if src.design.level in ("rct", "meta-analysis")
        and (c := records.claims[f.claim]).object == "ptsd"
        and c.relation in ("testedFor", "approvedFor")
    }
    substances = {s for s in randomised if kg.entity(s).ref.kind == "Substance"}
    assert "MDMA" in shown
    assert shown == {kg.label("https://w3id.org/kgexplorer/id/" + s) for s in substances}


def test_gallery_bad_parameter_is_one_line() -> None:
    result = run(["gallery", "rct-evidence-by-condition", "--param", "condition"])

    assert result.exit_code == 2
    assert "NAME=VALUE" in (result.stdout + result.stderr)
    assert "Traceback" not in (result.stdout + result.stderr)


@pytest.mark.xdist_group("shacl")  # the shipped graph's SHACL report: conftest's bundled_validation
def test_validate_checks_lessons_and_names_the_step(
    tmp_path: Path, validation_calls: list[tuple[Any, ValidationReport]]
) -> None:
    """`validate --lessons DIR` reports a broken lesson by name and step, and exits 1."""
    (tmp_path / "broken.yaml").write_text(
        "title: t\naudience: a\nestimated_minutes: 1\nobjectives: [o]\n"
        "steps:\n  - title: Missing thing\n    text: x\n    view: {focus: no_such_entity}\n",
        encoding="utf-8",
    )
    result = run(["validate", "--lessons", str(tmp_path)])

    assert [files for files, _ in validation_calls] == [None]  # the bundled graph's shapes, then the lessons
    assert result.exit_code == 1
    assert "broken: step 1 (Missing thing)" in (result.stdout + result.stderr)
    assert "no_such_entity" in (result.stdout + result.stderr)


@pytest.mark.xdist_group("shacl")  # the shipped graph's SHACL report: conftest's bundled_validation
def test_validate_checks_what_a_lessons_text_names(
    tmp_path: Path, validation_calls: list[tuple[Any, ValidationReport]]
) -> None:
    """`validate` runs the one lesson checker, text checks included: an entity named in the text but not in
    the step's view, and a raw id shown to a reader, fail the run."""
    (tmp_path / "named.yaml").write_text(
        "title: t\naudience: a\nestimated_minutes: 1\nobjectives: [o]\n"
        "steps:\n  - title: Mechanisms\n"
        "    text: 'Tested for [AUD](kg:alcohol_use_disorder); see claim_ketamine__actsOn__mtor.'\n"
        "    view: {focus: ketamine, kinds: [Mechanism]}\n",
        encoding="utf-8",
    )
    result = run(["validate", "--lessons", str(tmp_path)])
    out = result.stdout + result.stderr
    assert [files for files, _ in validation_calls] == [None]

    assert result.exit_code == 1
    assert "named: step 1 (Mechanisms)" in out
    assert "the text names 'alcohol_use_disorder', which the step's view does not draw" in out
    assert "the identifier 'claim_ketamine__actsOn__mtor'" in out


def test_only_one_data_source_at_a_time() -> None:
    result = run(["--endpoint", "http://127.0.0.1:9/sparql", "--data", "x.ttl", "stats"])

    assert result.exit_code == 2
    assert "use only one of --data, --endpoint" in (result.stdout + result.stderr)


def test_app_command_finds_the_app_script() -> None:
    """`kgexplorer app` runs the app shipped with the package (here: the checkout's app.py)."""
    from kgexplorer.engine.store import bundled_app_script

    script = bundled_app_script()

    assert script.name == "app.py"
    assert (script.parent / "app_pages" / "explore.py").is_file()


def test_render_writes_an_offline_page_and_images(tmp_path: Path) -> None:
    """`render ENTITY` writes one offline HTML file (with its CSP); `--to --format png` writes a real image."""
    from io import BytesIO

    from PIL import Image

    page = run(["render", "ketamine", "-o", str(tmp_path / "ketamine.html")])
    image = run(
        ["render", "ketamine", "--to", "alcohol use disorder", "--format", "png", "-o", str(tmp_path / "p.png")]
    )

    assert page.exit_code == 0, page.stderr
    html = (tmp_path / "ketamine.html").read_text(encoding="utf-8")
    assert "Content-Security-Policy" in html
    assert "Ketamine" in html
    assert image.exit_code == 0, image.stderr
    assert Image.open(BytesIO((tmp_path / "p.png").read_bytes())).format == "PNG"


def test_render_unknown_entity_is_one_line(tmp_path: Path) -> None:
    result = run(["render", "no_such_entity", "-o", str(tmp_path / "x.html")])

    assert result.exit_code == 1
    assert "no entity called" in result.stderr
    assert not (tmp_path / "x.html").exists()


def test_app_passes_its_data_and_settings_to_the_app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`kgexplorer --store DIR --setting … app` hands the store and the limits to the Streamlit process."""
    import os
    import subprocess

    from kgexplorer.data_options import APP_SOURCE_VARIABLE, DataOptions

    launched: list[list[str]] = []
    monkeypatch.setenv(APP_SOURCE_VARIABLE, "")  # restored after the test: app() writes it
    monkeypatch.setattr(subprocess, "call", lambda command: launched.append(command) or 0)
    (tmp_path / "store").mkdir()
    result = CliRunner().invoke(
        cli, ["--store", str(tmp_path / "store"), "--setting", "max_view_nodes", "60", "app", "--port", "8765"]
    )
    spec = DataOptions.from_json(os.environ[APP_SOURCE_VARIABLE])

    assert result.exit_code == 0, result.output
    assert launched
    assert launched[0][launched[0].index("--server.port") + 1] == "8765"
    assert spec.store == str((tmp_path / "store").resolve())
    assert spec.settings == (("max_view_nodes", "60"),)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--store", "no/such/store", "app"], "no/such/store does not exist"),
        (["--data", "a.ttl", "--endpoint", "http://127.0.0.1:9/sparql", "app"], "use only one of --data, --endpoint"),
        (["--setting", "max_view_nodes", "lots", "app"], "setting max_view_nodes must be a whole number"),
    ],
)
def test_app_refuses_data_it_cannot_open_before_starting(args: list[str], message: str) -> None:
    result = CliRunner().invoke(cli, args)

    assert result.exit_code != 0
    assert message in result.output


# ------------------------------------------------------------------------------------------------ records


@pytest.fixture
def graph_copy(tmp_path: Path) -> Path:
    """A copy of the bundled graph folder (records, generated and hand-written Turtle) to break or rebuild."""
    import shutil

    copy = tmp_path / "graph"
    shutil.copytree(Path(__file__).resolve().parents[2] / "graph", copy)
    return copy


def test_records_check_passes_on_the_bundled_records() -> None:
    result = run(["records", "check"])
    assert result.exit_code == 0, result.output
    assert result.stdout == "The records check out, and the generated Turtle is what they build.\n"


def test_records_check_lists_each_problem_with_file_field_and_fix(graph_copy: Path) -> None:
    dakwar = graph_copy / "records" / "sources" / "dakwar_2020.yaml"
    dakwar.write_text(dakwar.read_text(encoding="utf-8").replace("    n: 40\n", "    n: 41\n", 1), encoding="utf-8")
    claims = graph_copy / "claims.ttl"
    claims.write_text(claims.read_text(encoding="utf-8") + "\n# a hand edit\n", encoding="utf-8")

    result = run(["records", "check", "--graph", str(graph_copy)])

    assert result.exit_code == 1, result.output
    assert result.stdout.startswith("1 problem(s) in the records:\n  ")
    assert "dakwar_2020.yaml: findings" in result.stdout
    assert "41" in result.stdout
    assert "Traceback" not in result.output
    dakwar.write_text(dakwar.read_text(encoding="utf-8").replace("    n: 41\n", "    n: 40\n", 1), encoding="utf-8")
    stale = run(["records", "check", "--graph", str(graph_copy)])
    assert stale.exit_code == 1
    assert f"{graph_copy / 'claims.ttl'}: differs from what the records build — run `kgexplorer records build`" in (
        stale.stdout
    )


def test_records_build_writes_what_changed_and_refuses_broken_records(graph_copy: Path) -> None:
    claim = graph_copy / "records" / "claims" / "ketamine__testedFor__alcohol_use_disorder.yaml"
    text = claim.read_text(encoding="utf-8")
    claim.write_text(text.replace("Two small randomised trials", "Two small randomized trials", 1), encoding="utf-8")
    before = {p.name: p.read_bytes() for p in graph_copy.glob("*.ttl")}

    built = run(["records", "build", "--graph", str(graph_copy)])

    assert built.exit_code == 0, built.output
    assert built.stdout == f"Built the Turtle from the records: 1 file changed ({graph_copy / 'claims.ttl'}).\n"
    assert "Two small randomized trials" in (graph_copy / "claims.ttl").read_text(encoding="utf-8")
    assert {p.name for p in graph_copy.glob("*.ttl") if p.read_bytes() != before[p.name]} == {"claims.ttl"}
    assert run(["records", "check", "--graph", str(graph_copy)]).exit_code == 0

    # A figure in the structured fields that the reported result does not give: nothing is written.
    claim.write_text(text, encoding="utf-8")
    dakwar = graph_copy / "records" / "sources" / "dakwar_2020.yaml"
    dakwar.write_text(dakwar.read_text(encoding="utf-8").replace("    n: 40\n", "    n: 41\n", 1), encoding="utf-8")
    after_first = {p.name: p.read_bytes() for p in graph_copy.glob("*.ttl")}
    refused = run(["records", "build", "--graph", str(graph_copy)])
    assert refused.exit_code == 1
    assert refused.stdout.startswith("1 problem(s) in the records: nothing was written.\n")
    assert "dakwar_2020.yaml" in refused.stdout
    assert {p.name: p.read_bytes() for p in graph_copy.glob("*.ttl")} == after_first


def test_a_record_that_breaks_the_format_is_a_one_line_error(graph_copy: Path) -> None:
    (graph_copy / "records" / "claims" / "broken.yaml").write_text("id: [unclosed\n", encoding="utf-8")
    result = run(["records", "check", "--graph", str(graph_copy)])
    assert_one_line_error(result, f"{graph_copy / 'records' / 'claims' / 'broken.yaml'}:")
    assert "not valid YAML" in result.stderr


def test_serve_refuses_a_cors_value_that_is_not_an_origin() -> None:
    """--cors takes scheme://host[:port]; anything else stops before the server starts, saying what to give."""
    result = run(["serve", "--cors", "yasgui.example.org/page"])
    assert result.exit_code == 2
    assert "is not an origin" in result.output
    assert "--cors https://yasgui.example.org" in result.output


@pytest.mark.parametrize(
    ("words", "cword", "expected"),
    [("kgexplorer st", 1, "plain,stats"), ("kgexplorer render --fo", 2, "plain,--format")],
)
def test_shell_completion_completes_commands_and_options(words: str, cword: int, expected: str) -> None:
    """The completion docs/install.md documents (click's _KGEXPLORER_COMPLETE) answers for commands and options."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    script = Path(sys.executable).with_name("kgexplorer")
    env = {**os.environ, "COMP_WORDS": words, "COMP_CWORD": str(cword), "_KGEXPLORER_COMPLETE": "bash_complete"}
    done = subprocess.run([str(script)], env=env, capture_output=True, text=True, timeout=60, check=False)
    source = {**os.environ, "_KGEXPLORER_COMPLETE": "bash_source"}
    bash = subprocess.run([str(script)], env=source, capture_output=True, text=True, timeout=60, check=False)

    assert expected in done.stdout.splitlines()
    assert "complete -o nosort -F _kgexplorer_completion kgexplorer" in bash.stdout
