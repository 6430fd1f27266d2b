"""RDF/XML read once (kgexplorer.engine.rdfxml): the text Oxigraph gets means what the file means, line numbers stay
the file's, and any encoding expat reads becomes UTF-8. The attack cases are in tests/security/test_rdfxml.py.

The differential property (generated RDF/XML: Oxigraph reads the same graph from our text as from the file)
is in tests/security/test_rdfxml.py, where ``make fuzz`` runs it with many examples.
"""

from __future__ import annotations

import io

import pyoxigraph as ox
import pytest

from kgexplorer import GraphLoadError, Settings
from kgexplorer.engine.rdfxml import CleanXml
from kgexplorer.engine.store import load_bytes

RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
EX = "http://example.org/"
HEAD = f'<rdf:RDF xmlns:rdf="{RDF}" xmlns:ex="{EX}">'


def clean(data: bytes, *, depth: int = 1000, expansion: int = 10) -> bytes:
    return CleanXml(io.BytesIO(data), "t.rdf", max_depth=depth, max_expansion=expansion).read()


def test_the_text_is_utf8_without_dtd_comments_or_instructions() -> None:
    data = (
        '<?xml version="1.0" encoding="ISO-8859-1"?>\n<?xml-stylesheet href="s.xsl"?>\n'
        f'<!DOCTYPE rdf:RDF [\n  <!ENTITY ex "{EX}">\n]>\n<!-- made by hand -->\n{HEAD}'
        '<rdf:Description rdf:about="&ex;caf\xe9"><ex:p>na\xefve</ex:p></rdf:Description></rdf:RDF>'
    ).encode("latin-1")
    text = clean(data).decode("utf-8")
    assert "DOCTYPE" not in text
    assert "<!--" not in text
    assert "<?" not in text
    assert f'rdf:about="{EX}café"' in text
    assert ">naïve<" in text
    assert text.startswith("\n" * 6 + "<rdf:RDF")  # the root element is on line 7, as in the file


def test_special_characters_survive_in_text_and_attributes() -> None:
    """Escapes are written again: &amp; &lt; &gt; quotes, tabs and newlines given as character references,
    CDATA (which Oxigraph alone refuses beside other text: "Unexpected text event")."""
    data = (
        f'{HEAD}<rdf:Description rdf:about="{EX}a" ex:attr="a&amp;b&lt;c&quot;d&#9;e&#10;f&#13;g">'
        "<ex:p>x &amp; y &lt; z &gt; w&#13;&#10;v\n<![CDATA[<raw> & ]]>]]&gt;</ex:p></rdf:Description></rdf:RDF>"
    ).encode()
    values = {q.predicate.value: q.object.value for q in ox.parse(clean(data), format=ox.RdfFormat.RDF_XML)}
    assert values == {f"{EX}attr": 'a&b<c"d\te\nf\rg', f"{EX}p": "x & y < z > w\r\nv\n<raw> & ]]>"}


def test_attribute_values_are_normalised_as_xml_says() -> None:
    """A newline or tab written raw inside an attribute value is a space (XML 1.0, 3.3.3); Oxigraph alone keeps
    it. As a character reference it stays a newline in both."""
    data = f'{HEAD}<rdf:Description rdf:about="{EX}a" ex:attr="two\n\tlines&#10;end"/></rdf:RDF>'.encode()
    (quad,) = ox.parse(clean(data), format=ox.RdfFormat.RDF_XML)
    assert quad.object.value == "two  lines\nend"


def test_every_element_starts_on_its_line_of_the_file() -> None:
    """After a DTD, a comment, a multi-line tag and text with character references, the element on line 11 of
    the file is on line 11 of the text Oxigraph reads (so any position Oxigraph reports is the file's)."""
    data = (
        '<?xml version="1.0"?>\n<!DOCTYPE rdf:RDF [\n<!ENTITY ex "http://example.org/">\n]>\n'
        f"<!-- a\ncomment -->\n{HEAD}\n"
        '<rdf:Description\n   rdf:about="&ex;a">\n<ex:p>one&#10;two&#10;three</ex:p>\n'
        '<ex:q rdf:resource="http://example.org/b"/>\n</rdf:Description></rdf:RDF>\n'
    ).encode()
    lines = clean(data).decode().split("\n")
    assert lines[10].startswith("<ex:q "), lines
    assert lines[6].startswith("<rdf:RDF ")
    assert lines[7].startswith("<rdf:Description")
    assert "one&#10;two&#10;three" in lines[9]


def test_oxigraphs_own_errors_name_the_file() -> None:
    data = f'{HEAD}<rdf:Description rdf:about="{EX}a"><ex:q rdf:resource="http://bad iri/"/></rdf:Description>'
    data += "</rdf:RDF>"
    with pytest.raises(GraphLoadError, match=r"bad\.rdf is not valid RDF/XML.*http://bad iri/"):
        load_bytes(data.encode(), name="bad.rdf")


def test_a_comment_inside_text_no_longer_breaks_the_literal() -> None:
    """Oxigraph alone refuses text split by a comment ("Unexpected text event"); expat joins it."""
    data = f'{HEAD}<rdf:Description rdf:about="{EX}a"><ex:p>one<!-- c -->two</ex:p></rdf:Description></rdf:RDF>'
    with pytest.raises(SyntaxError):
        list(ox.parse(data.encode(), format=ox.RdfFormat.RDF_XML))
    (quad,) = load_bytes(data.encode(), name="c.rdf")
    assert quad.object == ox.Literal("onetwo")


def test_entities_from_the_internal_subset_are_expanded_in_text_and_attributes() -> None:
    """Markup inside an entity works too (Oxigraph alone refuses such a DTD)."""
    data = (
        f'<!DOCTYPE rdf:RDF [<!ENTITY ex "{EX}"><!ENTITY greeting "hello <b>&amp;</b> world">]>\n'
        f'<rdf:RDF xmlns:rdf="{RDF}" xmlns:ex="&ex;"><rdf:Description rdf:about="&ex;a">'
        '<ex:p rdf:parseType="Literal">&greeting;</ex:p><ex:q>&ex;</ex:q></rdf:Description></rdf:RDF>'
    ).encode()
    values = {q.predicate.value: q.object.value for q in load_bytes(data, name="e.rdf")}
    assert values[f"{EX}q"] == EX
    assert values[f"{EX}p"].startswith("hello <b")
    assert values[f"{EX}p"].endswith(">&amp;</b> world")


def test_an_empty_file_and_a_file_of_only_a_prolog_are_errors() -> None:
    for data in (b"", b'<?xml version="1.0"?>\n<!-- nothing -->\n'):
        with pytest.raises(GraphLoadError, match=r"not well-formed XML.*no element found"):
            load_bytes(data, name="empty.rdf")


def test_utf16_with_an_external_dtd_is_refused_with_the_fix() -> None:
    data = f'<!DOCTYPE rdf:RDF SYSTEM "x.dtd">\n{HEAD}</rdf:RDF>'.encode("utf-16")
    with pytest.raises(GraphLoadError, match="save the file as UTF-8"):
        load_bytes(data, name="wide.rdf")
    assert len(load_bytes(f"{HEAD}</rdf:RDF>".encode("utf-16"), name="wide.rdf")) == 0


def test_a_reference_cut_by_a_read_is_still_checked() -> None:
    """The scan for undeclared entities (external DTD only) sees a reference split between two reads."""
    padding = " " * ((1 << 16) - 80)
    data = (
        f'<!DOCTYPE rdf:RDF SYSTEM "x.dtd">\n{HEAD}{padding}'
        f'<rdf:Description rdf:about="{EX}a" ex:q="&undeclared_entity_name;"/></rdf:RDF>'
    ).encode()
    with pytest.raises(GraphLoadError, match="&undeclared_entity_name;"):
        load_bytes(data, name="split.rdf")


def test_settings_reach_the_reader() -> None:
    deep = f'{HEAD}<rdf:Description rdf:about="{EX}a">' + "<ex:p><rdf:Description>" * 10
    deep += "</rdf:Description></ex:p>" * 10 + "</rdf:Description></rdf:RDF>"
    with pytest.raises(GraphLoadError, match="max_xml_depth"):
        load_bytes(deep.encode(), name="d.rdf", settings=Settings(max_xml_depth=12))
    assert len(load_bytes(deep.encode(), name="d.rdf", settings=Settings(max_xml_depth=22))) == 10
