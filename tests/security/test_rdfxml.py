"""Promise 2 for RDF/XML (issue 12, point 4): the file is read completely, once, by one parser (expat), and
Oxigraph gets that parser's text (UTF-8, no DTD, entities expanded under our caps). Every XML error is a load
error through every loader, nothing is half-loaded, and depth and entity expansion are capped by settings.

Each case here was found on the earlier loader, which ran expat only as a check, stopped at its first error
without saying so, and then gave Oxigraph the original file: a comment containing ``--`` before the DOCTYPE
ended the check at once, and Oxigraph then expanded an entity bomb, or parsed 30,000 nested levels, on its own.
"""

from __future__ import annotations

import gzip
import io
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.compare import isomorphic

from kgexplorer import GraphLoadError, Settings
from kgexplorer.cli.commands import cli
from kgexplorer.engine.rdfxml import CleanXml
from kgexplorer.engine.store import load_bytes
from kgexplorer.ui.data_sources import Upload, check_uploads

from .support import LOADERS as EVERY_LOADER

pytestmark = pytest.mark.xdist_group("security_rdfxml")

RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
EX = "http://example.org/"
HEAD = f'<rdf:RDF xmlns:rdf="{RDF}" xmlns:ex="{EX}">'
#: Stopped the old check at once: "--" is not allowed inside an XML comment.
BAD_COMMENT = "<!-- made by hand -- with a double hyphen -->\n"


def bomb(levels: int) -> str:
    """Nested entities: 10 ** levels copies of "lol" (levels=7: 30 MB from a file of about 1 KB)."""
    entities = ['<!ENTITY lol0 "lol">'] + [f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, levels + 1)]
    return (
        f"<!DOCTYPE rdf:RDF [{''.join(entities)}]>\n{HEAD}"
        f'<rdf:Description rdf:about="{EX}a"><ex:p>&lol{levels};</ex:p></rdf:Description></rdf:RDF>\n'
    )


def nested(depth: int) -> str:
    return (
        f'{HEAD}<rdf:Description rdf:about="{EX}a">'
        + "<ex:p><rdf:Description>" * depth
        + "</rdf:Description></ex:p>" * depth
        + "</rdf:Description></rdf:RDF>\n"
    )


def twenty_triples() -> str:
    lines = [f'<?xml version="1.0"?>\n{HEAD}']
    lines += [f'  <rdf:Description rdf:about="{EX}s{i}"><ex:p>value {i}</ex:p></rdf:Description>' for i in range(20)]
    return "\n".join([*lines, "</rdf:RDF>\n"])


def cut_in_a_text_node() -> str:
    """The twenty triples cut inside the text of the seventeenth (Oxigraph alone loaded the first sixteen)."""
    text = twenty_triples()
    return text[: text.index("value 16") + len("val")]


# ------------------------------------------------------------------------------------ every loader


def _check_upload(name: str, data: bytes, tmp: Path) -> Any:
    (check,) = check_uploads([Upload(name, data)])
    if check.error is not None:
        raise check.error
    return check.triples


LOADERS: dict[str, Callable[[str, bytes, Path], Any]] = {**EVERY_LOADER, "check_uploads": _check_upload}


@pytest.mark.parametrize("loader", sorted(LOADERS))
def test_a_bad_comment_before_an_entity_bomb_is_refused(tmp_path: Path, loader: str) -> None:
    """A comment with "--" before the DOCTYPE ended the old check, and Oxigraph expanded the bomb alone (107 KB
    to 5.9 GB). Now the comment is the error, and the bomb is never expanded."""
    started = time.monotonic()
    with pytest.raises(GraphLoadError, match=r"not well-formed XML.*line 1") as info:
        LOADERS[loader]("bomb.rdf", (BAD_COMMENT + bomb(7)).encode(), tmp_path)
    assert info.value.line == 1
    assert time.monotonic() - started < 60


@pytest.mark.parametrize("loader", sorted(LOADERS))
def test_a_bad_comment_before_deep_nesting_is_refused(tmp_path: Path, loader: str) -> None:
    """The same comment let a 30,000-level file through to Oxigraph's quadratic parser (16 s)."""
    with pytest.raises(GraphLoadError, match="not well-formed XML"):
        LOADERS[loader]("deep.rdf", (BAD_COMMENT + nested(2_000)).encode(), tmp_path)


@pytest.mark.parametrize("loader", sorted(LOADERS))
def test_a_file_cut_inside_a_text_node_loads_nothing(tmp_path: Path, loader: str) -> None:
    """Oxigraph alone loaded 16 of the 20 triples of a truncated file and reported success."""
    with pytest.raises(GraphLoadError, match=r"cut\.rdf.*ends before") as info:
        LOADERS[loader]("cut.rdf", cut_in_a_text_node().encode(), tmp_path)
    assert info.value.line == 19


@pytest.mark.parametrize("loader", sorted(LOADERS))
def test_an_unknown_encoding_is_a_load_error(tmp_path: Path, loader: str) -> None:
    """encoding="x-bogus" raised LookupError from expat: a traceback in the CLI."""
    data = f'<?xml version="1.0" encoding="x-bogus"?>\n{HEAD}</rdf:RDF>\n'.encode()
    with pytest.raises(GraphLoadError, match=r"encoding 'x-bogus'.*UTF-8"):
        LOADERS[loader]("bogus.rdf", data, tmp_path)


@pytest.mark.parametrize("loader", sorted(LOADERS))
def test_an_entity_the_file_does_not_declare_is_refused_in_attributes_too(tmp_path: Path, loader: str) -> None:
    """With an external DTD, expat skips an undeclared entity, and in an attribute it silently drops it (an
    rdf:about of "" would name the file itself). Refused: kgexplorer never reads the external DTD."""
    data = (
        f'<!DOCTYPE rdf:RDF SYSTEM "http://127.0.0.1:9/x.dtd">\n{HEAD}\n'
        f'<rdf:Description rdf:about="&unknown;a"><ex:p>x</ex:p></rdf:Description></rdf:RDF>\n'
    ).encode()
    with pytest.raises(GraphLoadError, match=r"&unknown;.*not declared in the file") as info:
        LOADERS[loader]("undeclared.rdf", data, tmp_path)
    assert info.value.line == 3


def test_the_cli_ends_each_bad_file_in_one_line_and_exit_code_1(tmp_path: Path) -> None:
    """--data, validate and load --store: the truncated, the bogus and the bomb file each end with exit code 1."""
    files = {
        "cut.rdf": cut_in_a_text_node().encode(),
        "bogus.rdf": f'<?xml version="1.0" encoding="x-bogus"?>\n{HEAD}</rdf:RDF>\n'.encode(),
        "bomb.rdf": (BAD_COMMENT + bomb(7)).encode(),
    }
    runner = CliRunner()
    for name, data in files.items():
        path = tmp_path / name
        path.write_bytes(data)
        for args in (
            ["--data", str(path), "stats"],
            ["validate", str(path)],
            ["load", str(path), "--store", str(tmp_path / "store")],
        ):
            result = runner.invoke(cli, args)
            assert result.exit_code == 1, (args, result.output)
            assert "Traceback" not in result.output
            lines = result.stderr.strip().splitlines()
            assert lines[-1].startswith("Error: "), (args, result.stderr)
            assert name in lines[-1], (args, result.stderr)
    assert not (tmp_path / "store").exists()


# ------------------------------------------------------------------------------------ the caps are settings


def test_depth_and_expansion_are_settings() -> None:
    defaults = Settings()
    assert defaults.max_xml_depth == 1_000
    assert defaults.max_xml_expansion == 10
    shallow = Settings(max_xml_depth=20)
    with pytest.raises(GraphLoadError, match=r"more than 20 levels deep.*max_xml_depth") as info:
        load_bytes(nested(20).encode(), name="deep.rdf", settings=shallow)
    assert info.value.line == 1
    assert len(load_bytes(nested(9).encode(), name="ok.rdf", settings=shallow)) == 9  # 20 levels: at the cap


def test_entity_expansion_past_the_setting_is_refused() -> None:
    """A file of 1 KB may expand to max_xml_expansion MiB (files under 1 MiB count as 1 MiB), not more."""
    # 10 ** 5 * 3 bytes = 300 KB of text: under 1 MiB at a factor of 1, over it at ... never; 10 ** 6: 3 MB.
    assert len(load_bytes(bomb(5).encode(), name="fine.rdf", settings=Settings(max_xml_expansion=1))) == 1
    with pytest.raises(GraphLoadError, match=r"expand.*max_xml_expansion") as info:
        load_bytes(bomb(6).encode(), name="big.rdf", settings=Settings(max_xml_expansion=1))
    assert info.value.line == 2


def test_the_classic_bomb_inside_gzip_is_refused_quickly() -> None:
    started = time.monotonic()
    with pytest.raises(GraphLoadError, match="billion laughs"):
        load_bytes(gzip.compress(bomb(9).encode()), name="laughs.rdf.gz")
    assert time.monotonic() - started < 30


# ------------------------------------------------------------------------------------ the differential property
# Where two parsers meet, fuzz the check against what the engine does (house style): for generated RDF/XML that
# Oxigraph reads by itself, the graph it reads from expat's text is the graph it reads from the file (blank
# nodes matched by isomorphism). It fails when an escape is dropped from CleanXml (tried).

FUZZ = int(os.environ.get("KGX_FUZZ_EXAMPLES", "50"))


def clean(data: bytes) -> bytes:
    return CleanXml(io.BytesIO(data), "t.rdf", max_depth=1000, max_expansion=10).read()


def as_graph(quads: object) -> Graph:
    graph = Graph()

    def term(t: object) -> object:
        if isinstance(t, ox.NamedNode):
            return URIRef(t.value)
        if isinstance(t, ox.BlankNode):
            return BNode(t.value)
        assert isinstance(t, ox.Literal)
        if t.language:
            return Literal(t.value, lang=t.language)
        return Literal(t.value, datatype=URIRef(t.datatype.value))

    for q in quads:  # type: ignore[attr-defined]
        graph.add((term(q.subject), term(q.predicate), term(q.object)))
    return graph


_TEXTS = st.text(alphabet=st.sampled_from(list("ab z&<>\"'\t\n\r\u00e9\u20ac\U0001f600]")), max_size=12).map(
    lambda t: t.replace("\r", "")
)


def _escape_text(text: str) -> st.SearchStrategy[str]:
    plain = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    as_refs = "".join(f"&#{ord(c)};" if c in "\n\t&<>" else c for c in text)
    return st.sampled_from([plain, as_refs, f"<![CDATA[{text.replace(']]>', '')}]]>" if "]]>" not in text else plain])


@st.composite
def _property(draw: st.DrawFn, depth: int) -> str:
    name = draw(st.sampled_from(["ex:p", "ex:q", "ex:label"]))
    gap = draw(st.sampled_from(["", " ", "\n  ", "\n\n"]))
    kind = draw(st.sampled_from(["text", "resource", "nested", "lang", "typed", "literal", "empty"]))
    if kind == "nested" and depth < 3:
        return f"<{name}{gap}>{draw(_description(depth + 1))}</{name}>"
    if kind == "resource":
        return f'<{name} rdf:resource="{EX}r{draw(st.integers(0, 3))}"{gap}/>'
    if kind == "empty":
        return f"<{name}{gap}/>"
    text = draw(_TEXTS)
    body = draw(_escape_text(text))
    if kind == "lang":
        return f'<{name} xml:lang="en-GB"{gap}>{body}</{name}>'
    if kind == "typed":
        return f'<{name} rdf:datatype="{EX}T"{gap}>{body}</{name}>'
    if kind == "literal":
        return f'<{name} rdf:parseType="Literal"><b  x="1"\n>{body}</b><!-- c --></{name}>'
    comment = draw(st.sampled_from(["", "<!-- note -->", "<?pi data?>"]))
    return f"<{name}>{comment}{body}</{name}>" if comment else f"<{name}>{body}</{name}>"


@st.composite
def _description(draw: st.DrawFn, depth: int = 0) -> str:
    who = draw(st.sampled_from([f'rdf:about="{EX}s{depth}"', f'rdf:nodeID="n{depth}"', "", 'rdf:about="&ex;e"']))
    attr = draw(st.sampled_from(["", ' ex:attr="v&amp;w"', '\n   ex:attr="two words"']))
    props = draw(st.lists(_property(depth), max_size=3))
    return f"<rdf:Description {who}{attr}>{''.join(props)}</rdf:Description>"


@st.composite
def documents(draw: st.DrawFn) -> str:
    prolog = draw(st.sampled_from(["", '<?xml version="1.0"?>\n', '<?xml version="1.0" encoding="UTF-8"?>\n']))
    dtd = f'<!DOCTYPE rdf:RDF [\n<!ENTITY ex "{EX}">\n<!ENTITY sp "  ">\n]>\n'
    comment = draw(st.sampled_from(["", "<!-- top\n comment -->\n"]))
    body = "\n".join(draw(st.lists(_description(), min_size=1, max_size=3)))
    return f'{prolog}{dtd}{comment}<rdf:RDF xmlns:rdf="{RDF}" xmlns:ex="{EX}">\n{body}\n</rdf:RDF>\n'


@settings(max_examples=FUZZ, deadline=None, suppress_health_check=list(HealthCheck))
@given(doc=documents())
def test_property_oxigraph_reads_the_same_graph_from_our_text(doc: str) -> None:
    data = doc.encode("utf-8")
    try:
        theirs = as_graph(ox.parse(data, format=ox.RdfFormat.RDF_XML))
    except SyntaxError:
        theirs = None  # e.g. a comment inside text, which Oxigraph alone refuses
    ours = as_graph(ox.parse(clean(data), format=ox.RdfFormat.RDF_XML))
    if theirs is not None:
        assert isomorphic(ours, theirs), (doc, clean(data).decode())
    assert clean(data).count(b"\n") >= doc.count("\n") - doc.count("&#10;") - 1
