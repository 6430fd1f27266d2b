"""The Explore page's relation filter, driven headlessly with AppTest: from the address, by the widget,
and in the embedded view."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
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


def _click(at: AppTest, node_id: str) -> None:
    """A click on a graph node, as the browser component reports it (AppTest has no public API for it)."""
    from streamlit.proto.WidgetStates_pb2 import WidgetState

    from kgexplorer.ui.graph_component import TRIGGER

    element = at.get("bidi_component")[0]
    states = at._tree.get_widget_states()
    event = [{"event": TRIGGER, "value": node_id}]
    states.widgets.append(
        WidgetState(id=f"$$STREAMLIT_INTERNAL_KEY_{element.proto.id}__events", json_trigger_value=json.dumps(event))
    )
    at._run(states)


def _card(at: AppTest) -> list[str]:
    return [s.value for s in at.subheader]


def test_searching_back_after_a_click_finds_the_entity_again() -> None:
    """Issue 15, bug 1: search ketamine, click Alcohol use disorder, search ketamine again: the card is
    Ketamine again, and after the click the box no longer says Ketamine under another entity's card."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    at.text_input(key="explore_text").input("ketamine").run()
    assert _card(at)[0] == "Ketamine"
    _click(at, "https://w3id.org/kgexplorer/id/alcohol_use_disorder")
    at.run()  # the next run of the page (a rerun after the click)
    assert _card(at)[0] == "Alcohol use disorder"
    assert at.text_input(key="explore_text").value == ""

    at.text_input(key="explore_text").input("ketamine").run()

    assert not at.exception
    assert _card(at)[0] == "Ketamine"
    assert at.query_params["e"] == "ketamine"


def test_a_search_that_finds_nothing_shows_no_earlier_card() -> None:
    """Issue 15, bug 2: after ketamine, a search that matches nothing says so, and Ketamine's card is gone."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    at.text_input(key="explore_text").input("ketamine").run()
    at.text_input(key="explore_text").input("zzqx nothing").run()

    assert not at.exception
    assert any("Nothing matches" in i.value for i in at.info)
    assert "Ketamine" not in _card(at)
    assert not at.get("bidi_component")


def test_lay_names_find_their_substance() -> None:
    """Street names from public-health agencies (graph/records/lay-names.yaml) and synonyms find the substance,
    with the name that matched shown."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    for typed, card in (("magic mushrooms", "Psilocybin"), ("shrooms", "Psilocybin"), ("molly", "MDMA")):
        at.text_input(key="explore_text").input(typed).run()
        assert _card(at)[0] == card, typed


def test_the_depth_slider_goes_as_deep_as_the_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    """The depth slider's cap is the max_depth setting (kgexplorer app --setting max_depth=4), not a fixed 3."""
    from kgexplorer import ui
    from kgexplorer.data_options import APP_SOURCE_VARIABLE, DataOptions

    monkeypatch.setenv(APP_SOURCE_VARIABLE, DataOptions(settings=(("max_depth", "4"),)).to_json())
    ui.default_source.clear()  # the app's data is opened once per process: open it again with the setting
    try:
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
        at.query_params["e"] = "ketamine"
        at.query_params["depth"] = "9"
        at.run()

        assert not at.exception
        assert at.slider(key="explore_depth").max == 4
        assert at.slider(key="explore_depth").value == 4
    finally:
        monkeypatch.delenv(APP_SOURCE_VARIABLE)
        ui.default_source.clear()


def _trigger(at: AppTest, event: str, value: str) -> None:
    from streamlit.proto.WidgetStates_pb2 import WidgetState

    element = at.get("bidi_component")[0]
    states = at._tree.get_widget_states()
    states.widgets.append(
        WidgetState(
            id=f"$$STREAMLIT_INTERNAL_KEY_{element.proto.id}__events",
            json_trigger_value=json.dumps([{"event": event, "value": value}]),
        )
    )
    at._run(states)


def test_clicking_an_edge_opens_its_evidence_in_the_app() -> None:
    """Issue 15, bug 6: a click on the ketamine → alcohol use disorder edge opens that claim's evidence, with
    each source's reported result, under the graph; Close closes it."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.query_params["e"] = "ketamine"
    at.run()
    data: dict[str, Any] = json.loads(at.get("bidi_component")[0].proto.json)
    aud = "https://w3id.org/kgexplorer/id/alcohol_use_disorder"
    edge = next(e for e in data["edges"] if e["to"] == aud and e["label"] == "tested as a treatment for")

    _trigger(at, "edge_clicked", edge["id"])

    assert not at.exception
    text = " ".join(m.value for m in at.markdown) + " ".join(c.value for c in at.caption)
    assert "Evidence for the link" in text
    assert "Grabski et al" in text  # a source of the claim, with its own result
    assert "percentage points" in text
    at.button(key="explore_edge_panel_close").click().run()
    assert "Evidence for the link" not in " ".join(m.value for m in at.markdown)


def test_the_evidence_filter_filters_the_card_and_the_graph() -> None:
    """Issue 15, bug 6: 'weakest evidence: RCT' leaves no studies, events or legal statuses in the graph, and
    the card lists only claims at that level or stronger."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.query_params["e"] = "ketamine"
    at.run()
    before: dict[str, Any] = json.loads(at.get("bidi_component")[0].proto.json)
    at.select_slider(key="explore_level").set_value("Randomised controlled trial").run()
    after: dict[str, Any] = json.loads(at.get("bidi_component")[0].proto.json)
    markdown = " ".join(m.value for m in at.markdown)

    assert not at.exception
    assert len(after["nodes"]) < len(before["nodes"])
    kinds = {n["group"] for n in after["nodes"]}
    assert not kinds & {"kind:Study", "kind:Legal status", "kind:Regulatory event", "kind:Historical event"}
    assert "Preclinical" not in markdown
    assert "Reference or record" not in markdown
    assert at.query_params["lvl"] == "RCT"


def _kinds(at: AppTest) -> set[str]:
    data: dict[str, Any] = json.loads(at.get("bidi_component")[0].proto.json)
    return {n["kind"] for n in data["nodes"]}


def test_studies_are_folded_by_default_and_one_toggle_shows_them() -> None:
    """Explore folds studies and sources into their links; the toggle draws them, and the address keeps it."""
    at = _app(e="ketamine").run()
    assert not at.exception
    assert "Study" not in _kinds(at)
    assert "studies" not in at.query_params

    at.toggle(key="explore_studies").set_value(True).run()
    assert "Study" in _kinds(at)
    assert at.query_params["studies"] == "1"
    again = _app(e="ketamine", studies="1").run()  # the link reproduces it
    assert again.toggle(key="explore_studies").value
    assert "Study" in _kinds(again)


def test_the_graph_carries_grouped_layouts() -> None:
    at = _app(e="ketamine").run()
    data: dict[str, Any] = json.loads(at.get("bidi_component")[0].proto.json)
    assert [g["columns"] for g in data["layouts"]] == [1, 2, 3, 4, 5, 6]
    assert "Ketamine acts on …" in [h["text"] for h in data["layouts"][0]["headers"]]
