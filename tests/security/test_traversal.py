"""Promise 4: no path traversal. Lesson names, export file names, uploaded file names and store folders
cannot reach outside their folders; files named inside a query are never read by the endpoint or the app
(tests/security/test_outbound.py). On the command line ``@file`` and ``--store DIR`` are the user's own
paths on their own machine, so they are used as given (docs/security.md).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from streamlit.testing.v1 import AppTest

from kgexplorer import GraphLoadError, KnowledgeGraph
from kgexplorer.cli.commands import cli
from kgexplorer.errors import ExportError
from kgexplorer.ui.data_sources import Upload, open_uploads
from kgexplorer.views.export import export_entity, write_export
from kgexplorer.views.lessons import LessonError, get_lesson, load_lessons

from .support import ROOT, digest

FUZZ = int(os.environ.get("KGX_FUZZ_EXAMPLES", "50"))
SHIPPED = {lesson.slug for lesson in load_lessons()}
# Names an attacker tries: parents, absolute paths, Windows separators, NUL, dot files, URL-encoding.
HOSTILE_NAMES = [
    "../escape",
    "../../etc/passwd",
    "/etc/passwd",
    "..\\..\\escape",
    "sub/escape",
    "..",
    ".",
    "",
    "ok\x00.html",
    "%2e%2e%2fescape",
    "~/escape",
]
paths = st.one_of(
    st.sampled_from(HOSTILE_NAMES),
    st.text(alphabet=st.sampled_from(list("./\\~%\x00aZ-_ ")), max_size=30),
    st.text(max_size=40),
)


@settings(max_examples=FUZZ, deadline=None)
@given(name=paths)
def test_property_a_lesson_name_is_a_shipped_lesson_or_a_typed_error(name: str) -> None:
    if name in SHIPPED:
        assert get_lesson(name).slug == name
        return
    with pytest.raises(LessonError, match=r"^(invalid lesson name|no lesson called)"):
        get_lesson(name)


def test_a_lesson_name_in_the_url_cannot_leave_the_folder() -> None:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.query_params["lesson"] = "../../../etc/passwd"
    at.run()
    at.switch_page("app_pages/lessons.py").run()
    assert not at.exception
    assert at.selectbox(key="lesson_pick").value in SHIPPED


@settings(max_examples=FUZZ, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=paths)
def test_property_an_export_name_stays_in_its_folder(tmp_path: Path, name: str) -> None:
    """write_export(name, folder=F) writes F/name or refuses; it never writes anywhere else."""
    folder = tmp_path / "exports"
    folder.mkdir(exist_ok=True)
    before = set(tmp_path.rglob("*"))
    try:
        written = write_export(name, "<p>x</p>", folder=folder)
    except ExportError:
        assert set(tmp_path.rglob("*")) == before
    else:
        assert written.resolve().parent == folder.resolve()
        assert set(tmp_path.rglob("*")) - before == {written}
        written.unlink()


def test_export_file_names_from_hostile_labels_are_plain(hostile_file: Path) -> None:
    with KnowledgeGraph.from_files([str(hostile_file)], include_bundled=True) as kg:
        out = export_entity(kg, "hostile_substance", to="hostile_condition", format="svg")
    assert out.name.endswith(".svg")
    assert out.name == os.path.basename(out.name)
    assert set(out.name) <= set("abcdefghijklmnopqrstuvwxyz0123456789-.")


def test_uploaded_file_names_cannot_leave_the_upload_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Upload names such as '../../x.ttl' or '/etc/x.ttl' are written inside the session's own folder."""
    data = b"<http://example.org/a> <http://example.org/b> <http://example.org/c> ."
    names = ["../../escape.nt", "/tmp/escape.nt", "..\\..\\escape.nt", ".hidden.nt", "a/../../b.nt"]
    uploads = [Upload(name, data) for name in names]
    # A temporary folder of this test's own: in the shared one, another test running at the same time made its
    # own upload folder between the two looks (seen in a full run with -n 4).
    parent = tmp_path / "tmp"
    parent.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(parent))
    outside_before = {p.name for p in parent.iterdir()}
    with open_uploads(uploads) as source:
        assert source.folder is not None
        written = sorted(p for p in source.folder.rglob("*") if p.is_file())
        assert len(written) == len(names)
        assert all(p.parent == source.folder for p in written)
        assert not any(p.name.startswith(".") for p in written)
        new_outside = {p.name for p in parent.iterdir()} - outside_before
        assert new_outside <= {source.folder.name}
    assert not source.folder.exists(), "the upload folder is deleted when the source closes"


def test_a_store_folder_that_is_not_a_store_is_never_written(tmp_path: Path) -> None:
    """``kgexplorer load … --store DIR`` refuses to replace a folder that is not a store, and opening a
    folder that is not a store reads nothing into it and changes nothing."""
    documents = tmp_path / "documents"
    documents.mkdir()
    (documents / "thesis.txt").write_text("years of work", encoding="utf-8")
    source = tmp_path / "data.nt"
    source.write_text("<http://example.org/a> <http://example.org/b> <http://example.org/c> .\n", encoding="utf-8")
    before = digest(documents)
    result = CliRunner().invoke(cli, ["load", str(source), "--store", str(documents / ".." / "documents")])
    assert result.exit_code == 1
    assert "is not a kgexplorer store" in result.stderr
    with pytest.raises(GraphLoadError, match=r"no store at .*documents; build one with"):
        KnowledgeGraph.open_store(str(documents))
    assert digest(documents) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data.nt", "documents"]
