"""graph_component.py: the component manifest, and the component in AppTest (the shipped assets: test_assets.py).

The real click path (browser → trigger → callback) is covered once in tests/e2e/test_graph_click.py;
here AppTest checks what Python sends and that a simulated trigger reaches ``on_click``.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from kgexplorer import KgExplorerError, KnowledgeGraph
from kgexplorer import _assets as assets
from kgexplorer.ui import graph_component as component
from kgexplorer.views.render import render

KG = "https://w3id.org/kgexplorer/id/"
PACKAGE = Path(assets.__file__).parent


def test_manifest_declares_the_component_for_streamlit() -> None:
    """The package's own pyproject.toml names the component and its asset folder, and Streamlit finds it."""
    from streamlit.components.v2.manifest_scanner import scan_component_manifests

    manifest = tomllib.loads((PACKAGE / "pyproject.toml").read_text(encoding="utf-8"))
    found = {m.name: (m, root) for m, root in scan_component_manifests()}

    assert manifest["project"]["name"] == "kgexplorer"
    assert manifest["tool"]["streamlit"]["component"]["components"] == [{"name": "graph", "asset_dir": "assets/graph"}]
    assert component.COMPONENT_NAME == "kgexplorer.graph"
    scanned, root = found["kgexplorer"]
    assert [c.name for c in scanned.components] == ["graph"]
    assert {p.name for p in (root / "assets" / "graph").iterdir()} >= {"graph.js", "graph.css", "vis-network.min.js"}


def test_graph_js_puts_data_in_as_text_only() -> None:
    """The glue never parses data as HTML, loads vis-network from the asset folder, and sends one trigger."""
    js = (PACKAGE / "assets" / "graph" / "graph.js").read_text(encoding="utf-8")

    assert "innerHTML" not in js
    assert "outerHTML" not in js
    assert "insertAdjacentHTML" not in js
    assert 'import "./vis-network.min.js"' in js
    assert f'setTriggerValue("{component.TRIGGER}"' in js


def test_importing_does_not_register_the_component() -> None:
    """Registration waits for the first mount: importing outside a Streamlit app must not raise."""
    code = "import kgexplorer.ui.graph_component as c; print(c._component.cache_info().currsize)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False)

    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "0"


def test_an_empty_key_is_refused(kg: KnowledgeGraph) -> None:
    """Every mount is keyed (unkeyed mounts remount on each refocus)."""
    with pytest.raises(KgExplorerError, match="needs a key"):
        component.graph_view(render(kg.neighbourhood("ketamine")), key="")


def _app(kg) -> None:  # type: ignore[no-untyped-def]  # AppTest runs this source alone: no annotation names
    import streamlit as st

    from kgexplorer.ui.graph_component import graph_view
    from kgexplorer.views.render import render

    focus = st.session_state.setdefault("focus", "https://w3id.org/kgexplorer/id/ketamine")
    graph_view(render(kg.neighbourhood(focus)), key="g", on_click=lambda node: st.session_state.update(focus=node))
    st.text(f"focus: {focus}")


def _mounted(at: AppTest) -> tuple[Any, dict[str, Any]]:
    element = at.get("bidi_component")[0]
    return element, json.loads(element.proto.json)


def test_app_mounts_the_keyed_component_with_the_view(kg: KnowledgeGraph) -> None:
    """A tiny app renders without exception; the component is keyed and its data holds every node."""
    at = AppTest.from_function(_app, args=(kg,), default_timeout=30).run()
    element, data = _mounted(at)
    expected = render(kg.neighbourhood("ketamine")).to_data()

    assert not at.exception
    assert element.type == "bidi_component"
    assert element.key == "g"
    assert element.proto.component_name == component.COMPONENT_NAME
    assert element.proto.js_source_path == "graph.js"
    assert not element.proto.js_content  # asset route: vis-network is fetched once, not sent per rerun
    assert [n["id"] for n in data["nodes"]] == [n["id"] for n in expected["nodes"]]
    assert data["focus"] == KG + "ketamine"
    assert data["height"] == 540


def test_a_new_focus_sends_new_data(kg: KnowledgeGraph) -> None:
    """Changing the focus in session state changes the data the same keyed component receives."""
    at = AppTest.from_function(_app, args=(kg,), default_timeout=30).run()
    at.session_state["focus"] = KG + "psilocybin"
    at.run()
    element, data = _mounted(at)

    assert not at.exception
    assert element.key == "g"
    assert data["focus"] == KG + "psilocybin"
    assert data["nodes"][0]["label"] == "Psilocybin"


def test_a_node_click_runs_on_click(kg: KnowledgeGraph) -> None:
    """A node_clicked trigger (simulated: AppTest has no public API for it) runs on_click with the node id."""
    from streamlit.proto.WidgetStates_pb2 import WidgetState

    at = AppTest.from_function(_app, args=(kg,), default_timeout=30).run()
    element, _ = _mounted(at)
    states = at._tree.get_widget_states()
    event = [{"event": component.TRIGGER, "value": KG + "mdma"}]
    states.widgets.append(
        WidgetState(id=f"$$STREAMLIT_INTERNAL_KEY_{element.proto.id}__events", json_trigger_value=json.dumps(event))
    )
    at._run(states)
    _, data = _mounted(at)

    assert not at.exception
    assert at.session_state["focus"] == KG + "mdma"
    assert data["focus"] == KG + "mdma"
    assert any(t.value == f"focus: {KG}mdma" for t in at.text)


def test_a_component_that_cannot_load_shows_an_error(kg: KnowledgeGraph, monkeypatch: pytest.MonkeyPatch) -> None:
    """When the asset cannot be set up the page says why instead of showing a traceback."""

    def broken() -> Any:
        raise KgExplorerError("pyvis is not installed; install it with: pip install 'pyvis>=0.3.2'")

    monkeypatch.setattr(component, "_component", broken)
    at = AppTest.from_function(_app, args=(kg,), default_timeout=30).run()

    assert not at.exception
    assert "The graph cannot be drawn: pyvis is not installed" in at.error[0].value
