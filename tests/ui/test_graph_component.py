"""component.py and _assets.py: the vis-network copy, the component manifest, and the component in AppTest.

The real click path (browser → trigger → callback) is covered once in tests/e2e/test_graph_click.py;
here AppTest checks what Python sends and that a simulated trigger reaches ``on_click``.
"""

from __future__ import annotations

import importlib.util
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


def _pyvis_copy() -> Path:
    spec = importlib.util.find_spec("pyvis")
    assert spec is not None
    assert spec.submodule_search_locations
    return Path(next(iter(spec.submodule_search_locations))) / "lib" / assets.VIS_NETWORK_BUILD / "vis-network.min.js"


def test_vis_network_copy_equals_pyvis_file() -> None:
    """The asset is byte-for-byte pyvis's vis-network.min.js (checked by SHA-256)."""
    copy = assets.ensure_vis_network()

    assert copy.target == assets.VIS_NETWORK
    assert assets.sha256_of(assets.VIS_NETWORK) == assets.sha256_of(_pyvis_copy())
    assert copy.sha256 == assets.sha256_of(_pyvis_copy())


def test_copy_is_idempotent_and_repairs_a_changed_file(tmp_path: Path) -> None:
    """The first run copies, a second does nothing, and a changed copy is replaced."""
    target = tmp_path / "graph" / "vis-network.min.js"

    first = assets.ensure_vis_network(target=target)
    second = assets.ensure_vis_network(target=target)
    target.write_text("tampered", encoding="utf-8")
    third = assets.ensure_vis_network(target=target)

    assert (first.copied, second.copied, third.copied) == (True, False, True)
    assert assets.sha256_of(target) == first.sha256
    assert not list(target.parent.glob(".vis-network.*"))  # no temporary files left behind


def test_command_prints_what_it_did(capsys: pytest.CaptureFixture[str]) -> None:
    """``python -m kgexplorer._assets`` says where the file came from and went, and exits 0."""
    assert assets.main([]) == 0
    out = capsys.readouterr().out
    assert "vis-network.min.js" in out
    assert "sha256" in out


def test_missing_pyvis_fails_with_the_fix(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """Without pyvis the step fails with a message naming the package and the install command."""
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "pyvis" else real(name, *a))

    with pytest.raises(KgExplorerError, match=r"pyvis is not installed.*pip install"):
        assets.ensure_vis_network(target=Path("/nonexistent/never-written.js"))
    assert assets.main([]) == 1
    assert "pyvis is not installed" in capsys.readouterr().err


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
