"""views/layout.py: the grouped layout (columns of groups, labels kept apart) and its use by render()."""

from __future__ import annotations

import pytest

from kgexplorer import KnowledgeGraph
from kgexplorer.model.compare import compare
from kgexplorer.views.layout import COLUMN_WIDTH, MAX_COLUMNS, grouped_layouts, label_lines, wrap
from kgexplorer.views.render import render

KG = "https://w3id.org/kgexplorer/id/"
_LINE, _ICON = 18, 10  # as views/layout.py lays a row out: the glyph, then the label's lines


def _boxes(layout: object, labels: dict[str, str]) -> list[tuple[str, float, float, float, float]]:
    out = []
    for node, (x, y) in layout.positions.items():  # type: ignore[attr-defined]
        if node in labels:
            lines = label_lines(labels[node])
            out.append((node, x - COLUMN_WIDTH / 2, y - _ICON, x + COLUMN_WIDTH / 2, y + _ICON + 4 + lines * _LINE))
    return out


@pytest.mark.parametrize("name", ["ketamine", "alcohol use disorder", "psilocybin"])
def test_no_two_nodes_of_a_grouped_view_share_room(kg: KnowledgeGraph, name: str) -> None:
    """In every column count, each node's glyph and wrapped label keep clear of every other's."""
    view = render(kg.neighbourhood(name, studies=False))
    labels = {n.id: n.label for n in view.nodes[1:]}
    assert [g.columns for g in view.layouts] == list(range(1, MAX_COLUMNS + 1))
    for layout in view.layouts:
        boxes = _boxes(layout, labels)
        assert len(boxes) == len(labels)
        for i, a in enumerate(boxes):
            assert a[1] >= 0
            assert a[3] <= layout.width
            assert a[4] <= layout.height
            for b in boxes[i + 1 :]:
                apart = a[3] <= b[1] or b[3] <= a[1] or a[4] <= b[2] or b[4] <= a[2]
                assert apart, f"{layout.columns} columns: {labels[a[0]]!r} and {labels[b[0]]!r} overlap"


def test_neighbours_are_grouped_by_their_relation_to_the_focus(kg: KnowledgeGraph) -> None:
    view = render(kg.neighbourhood("ketamine", studies=False))
    headings = [h.text for h in view.layouts[0].headers]
    assert "Ketamine acts on …" in headings
    assert "Ketamine tested as a treatment for …" in headings
    one = view.layouts[0]
    # One column: a group's members are listed under its heading, in the order the view lists them.
    acts_on = [
        n
        for n in view.nodes
        if any(e.source == view.focus and e.target == n.id and e.relation == "acts on" for e in view.edges)
    ]
    ys = [one.positions[n.id][1] for n in acts_on]
    assert ys == sorted(ys)
    heading = next(h for h in one.headers if h.text == "Ketamine acts on …")
    assert heading.y < min(ys)


def test_more_columns_make_a_shorter_layout_and_the_view_carries_four_columns_positions(kg: KnowledgeGraph) -> None:
    view = render(kg.neighbourhood("ketamine", studies=False))
    heights = [g.height for g in view.layouts]
    assert heights == sorted(heights, reverse=True)
    assert heights[0] > 2 * heights[3]
    four = view.layouts[3].positions
    assert all((n.x, n.y) == four[n.id] for n in view.nodes)  # exports and pictures draw this one
    assert not view.physics
    assert view.options["physics"] == {"enabled": False}
    assert view.to_data()["layouts"][3]["columns"] == 4


def test_paths_and_comparisons_keep_the_force_layout(kg: KnowledgeGraph) -> None:
    assert render(kg.paths("ketamine", "alcohol use disorder", k=2)).layouts == ()
    assert render(compare(kg, ["ketamine", "psilocybin"])).layouts == ()


def test_the_layout_is_the_same_every_time() -> None:
    members = [(f"n{i}", f"Node {i}", f"group {i % 3}") for i in range(20)]
    assert grouped_layouts("f", "Focus", members) == grouped_layouts("f", "Focus", members)


def test_wrap_breaks_words_longer_than_a_line() -> None:
    lines = wrap("x" * 60, width=80)
    assert "".join(lines) == "x" * 60
    assert all(len(line) * 7.8 <= 80 for line in lines)
