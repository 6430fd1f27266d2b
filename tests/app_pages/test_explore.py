"""The Explore page's relation filter, driven headlessly with AppTest: from the address, by the widget,
and in the embedded view."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[2]
KETAMINE = "https://w3id.org/kgexplorer/id/ketamine"
KGX = "https://w3id.org/kgexplorer/vocab#"


def _app(**params: str) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    for k, v in params.items():
        at.query_params[k] = v
    return at


def _focus_links(at: AppTest) -> set[str]:
    """The relation labels of the drawn edges that touch the focus."""
    data: dict[str, Any] = json.loads(at.get("bidi_component")[0].proto.json)
    return {e["label"] for e in data["edges"] if data["focus"] in (e["from"], e["to"])}


def test_the_address_names_the_relation_to_draw() -> None:
    """?e=ketamine&rel=actsOn draws only ketamine's "acts on" links and shows the choice in the widget."""
    at = _app(e="ketamine", rel="actsOn").run()

    assert not at.exception
    assert _focus_links(at) == {"acts on"}
    assert at.multiselect(key="explore_relations").value == [KGX + "actsOn"]
    assert at.query_params["rel"] == "actsOn"


def test_the_options_are_labelled_with_their_counts() -> None:
    at = _app(e="ketamine").run()
    options = at.multiselect(key="explore_relations").options

    assert not at.exception
    assert "acts on (10)" in options
    assert "is an enantiomer of (2)" in options


def test_picking_a_relation_filters_the_graph_and_writes_the_address() -> None:
    at = _app(e="ketamine").run()
    before = _focus_links(at)
    at.multiselect(key="explore_relations").set_value([KGX + "testedFor"]).run()

    assert not at.exception
    assert len(before) > 1
    assert _focus_links(at) == {"tested as a treatment for"}
    assert at.query_params["rel"] == "testedFor"
    at.multiselect(key="explore_relations").set_value([]).run()
    assert "rel" not in at.query_params
    assert _focus_links(at) == before


def test_a_relation_the_focus_lacks_stays_picked_and_says_how_to_fix_it() -> None:
    """A relation of another entity leaves only the focus: one line says so and how to clear it."""
    at = _app(e="ketamine", rel="studiedCondition").run()

    assert not at.exception
    assert at.multiselect(key="explore_relations").value == [KGX + "studiedCondition"]
    assert "studied condition (0)" in at.multiselect(key="explore_relations").options
    assert any("clear “Show only these relations”" in i.value for i in at.info)
    assert at.query_params["rel"] == "studiedCondition"


def test_a_broken_relation_in_the_address_is_ignored() -> None:
    at = _app(e="ketamine", rel="two words,,actsOn").run()

    assert not at.exception
    assert at.multiselect(key="explore_relations").value == [KGX + "actsOn"]
    assert at.query_params["rel"] == "actsOn"


def test_the_embedded_view_honours_the_relation() -> None:
    """An educator's embed of "ketamine, only its mechanisms" draws only those links, without controls."""
    at = _app(e="ketamine", rel="actsOn", embed="true")
    at.context["is_embedded"] = True
    at.run()

    assert not at.exception
    assert _focus_links(at) == {"acts on"}
    assert len(at.multiselect) == 0
