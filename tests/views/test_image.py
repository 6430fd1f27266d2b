"""Pictures (kgexplorer.views.image): PNG and SVG images of views that open, repeat, name their data and stay
plain text with hostile labels."""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET
from collections.abc import Iterator

import pytest
from PIL import Image

from kgexplorer import ExportError, KnowledgeGraph
from kgexplorer.views.image import export_image

IMG = "<img src=x onerror=alert(1)>"
BREAKOUT = "</script><script>window.__pwned=1</script>"
EX = "http://example.org/x#"
HOSTILE_TTL = f"""
PREFIX kgx: <https://w3id.org/kgexplorer/vocab#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX ex: <{EX}>
ex:evil a kgx:Substance ; rdfs:label "{IMG}" .
ex:target a kgx:Condition ; rdfs:label "{BREAKOUT}" .
ex:claim1 a kgx:Claim ; kgx:subject ex:evil ; kgx:predicate kgx:testedFor ; kgx:object ex:target ;
    kgx:explanation "{IMG}" .
"""


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KnowledgeGraph]:
    """A tiny graph whose labels are attacks."""
    path = tmp_path_factory.mktemp("hostile") / "hostile.ttl"
    path.write_text(HOSTILE_TTL, encoding="utf-8")
    graph = KnowledgeGraph.from_files([str(path)])
    yield graph
    graph.close()


def test_hostile_labels_in_images_are_text(hostile: KnowledgeGraph) -> None:
    """An SVG with hostile labels is well-formed XML with no script and the labels as plain text."""
    svg = export_image(hostile.neighbourhood(EX + "evil"), format="svg", kg=hostile, title=BREAKOUT, caption=IMG)
    root = ET.fromstring(svg)
    assert not [el for el in root.iter() if el.tag.endswith("script")]
    texts = "".join(root.itertext())
    assert IMG in texts
    assert BREAKOUT in texts
    assert b"<img" not in svg
    assert b"<script" not in svg


def test_png_opens_and_is_deterministic(kg: KnowledgeGraph) -> None:
    """The PNG opens with Pillow at the size asked for; the same view gives the same picture."""
    view = kg.neighbourhood("ketamine")
    png = export_image(view, format="png", kg=kg, width=900, height=600, caption="x")
    with Image.open(io.BytesIO(png)) as image:
        assert image.format == "PNG"
        assert image.size == (900, 600)
        colours = image.convert("RGB").getcolors(maxcolors=1_000_000)
        assert colours is not None
        assert len(colours) > 50
    assert export_image(view, format="png", kg=kg, width=900, height=600, caption="x") == png


def test_svg_parses_and_names_the_focus_and_dataset(kg: KnowledgeGraph) -> None:
    """The SVG is well-formed, labels are real text (searchable), and the dataset version is printed."""
    svg = export_image(kg.neighbourhood("psilocybin"), format="svg", kg=kg, title="Psilocybin", caption="Handout 2")
    texts = "".join(ET.fromstring(svg).itertext())
    for text in ("Psilocybin", "Handout 2", kg.metadata().version, "Substance"):
        assert text in texts, text


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"format": "gif"}, r"image format must be 'png' or 'svg', got 'gif'"),
        ({"format": "png", "width": 50}, r"image width must be a whole number of pixels from 200 to 6000, got 50"),
        ({"format": "svg", "height": 7000}, r"image height .* got 7000; choose another size, or raise"),
        ({"format": "png", "width": 300.5}, r"image width must be a whole number"),
    ],
)
def test_export_image_refuses_bad_formats_and_sizes(
    kg: KnowledgeGraph, kwargs: dict[str, object], message: str
) -> None:
    with pytest.raises(ExportError, match=message):
        export_image(kg.neighbourhood("ketamine"), kg=kg, **kwargs)  # type: ignore[arg-type]


def test_every_kind_can_be_drawn(tmp_path: object) -> None:
    """A picture holding one node of every project kind draws (each kind's shape has a matplotlib marker).

    One relation per node, so no "+N more" node stands in for any of them.
    """
    from pathlib import Path

    from kgexplorer.model.labels import KINDS

    path = Path(str(tmp_path)) / "kinds.ttl"
    nodes = "\n".join(
        f'ex:n{i} a kgx:{local} ; rdfs:label "{name}" . ex:hub ex:link{i} ex:n{i} .'
        for i, (local, name) in enumerate(KINDS)
    )
    path.write_text(
        "PREFIX kgx: <https://w3id.org/kgexplorer/vocab#>\nPREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n"
        f'PREFIX ex: <{EX}>\nex:hub a kgx:Topic ; rdfs:label "hub" .\n{nodes}\n',
        encoding="utf-8",
    )
    with KnowledgeGraph.from_files([str(path)]) as graph:
        view = graph.neighbourhood(EX + "hub", depth=1)
        kinds = {d["kind"] for _, d in view.graph.nodes(data=True)}
        assert {name for _, name in KINDS} - {"Claim", "Study result"} <= kinds  # those two are never nodes
        assert export_image(view, format="svg", kg=graph, width=800, height=500).startswith(b"<?xml")


def test_a_picture_is_the_same_whether_the_app_laid_the_view_out_or_not(kg: KnowledgeGraph) -> None:
    """One layout function (issue 13): a view small enough for the browser to lay out gets, in a picture, the very
    positions the server gives a large view (views/render.py), not a second copy of the layout code with its own
    seed and iteration count. So the picture of the unpositioned view equals the picture of the positioned one."""
    from kgexplorer import Settings
    from kgexplorer.model.compare import compare
    from kgexplorer.views.render import render

    view = compare(kg, ["ketamine", "psilocybin", "mdma"])  # a neighbourhood is grouped instead (views/layout.py)
    browser_laid = render(view, settings=kg.settings)
    server_laid = render(view, settings=Settings(layout_threshold_nodes=2))
    assert browser_laid.physics
    assert not server_laid.physics
    assert len(browser_laid.nodes) > 30  # beyond Kamada-Kawai: the spring layout, where the copies had drifted
    pictures = [export_image(v, format="svg", kg=kg, width=800, height=500) for v in (browser_laid, server_laid)]
    assert pictures[0] == pictures[1]


def test_a_picture_of_a_grouped_view_has_the_apps_desktop_layout(kg: KnowledgeGraph) -> None:
    """A neighbourhood is drawn grouped in columns; its picture takes the four-column positions the view carries,
    the layout the app shows on a desktop, not a force layout of its own."""
    from kgexplorer.views.image import _positions
    from kgexplorer.views.render import render

    view = render(kg.neighbourhood("ketamine"))
    four = view.layouts[3].positions
    assert _positions(view) == {node: (x, -y) for node, (x, y) in four.items()}
