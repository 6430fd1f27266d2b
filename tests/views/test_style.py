"""style.py: every kind has its own shape and an Okabe–Ito colour, glyphs are SVG data URIs, widths follow evidence."""

from __future__ import annotations

from collections import Counter
from urllib.parse import unquote

from kgexplorer.evidence import LEVELS
from kgexplorer.model.labels import KINDS
from kgexplorer.model.neighbourhood import MORE
from kgexplorer.views.style import KIND_STYLES, MORE_STYLE, OTHER_KIND, edge_width, kind_style

OKABE_ITO = {"#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7", "#000000"}


def test_every_kind_has_its_own_shape_and_an_okabe_ito_colour() -> None:
    """No two kinds share a shape, so colour is never the only cue; project colours are Okabe–Ito."""
    styles = [*KIND_STYLES.values(), OTHER_KIND, MORE_STYLE]
    shapes = [s.shape for s in styles]

    assert len(set(shapes)) == len(shapes), Counter(shapes).most_common(3)
    assert {name for _, name in KINDS} <= set(KIND_STYLES)
    assert {s.colour for s in KIND_STYLES.values()} <= OKABE_ITO
    assert kind_style("SomethingElse") is OTHER_KIND
    assert kind_style(MORE) is MORE_STYLE


def test_glyphs_are_svg_data_uris_in_their_kind_colour() -> None:
    """Each kind's glyph is its own SVG image, filled with the kind's colour."""
    images = {s.kind: s.image for s in [*KIND_STYLES.values(), OTHER_KIND]}

    assert len(set(images.values())) == len(images)
    for kind, image in images.items():
        svg = unquote(image.split(",", 1)[1])
        assert image.startswith("data:image/svg+xml")
        assert svg.startswith("<svg")
        assert svg.endswith("</svg>")
        assert f'fill="{kind_style(kind).colour}"' in svg


def test_edge_width_grows_with_evidence_strength() -> None:
    """A meta-analysis edge is widest, each weaker level thinner, and structural links thinnest."""
    widths = [edge_width(lv.rank) for lv in LEVELS]

    assert widths == sorted(widths, reverse=True)
    assert len(set(widths)) == len(widths)
    assert edge_width(99, has_claims=False) < min(widths)
