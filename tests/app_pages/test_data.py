"""The Data page under the remote_endpoints setting, driven headlessly with AppTest.

Each test puts a session on a tiny upload opened with the setting under test, as the page does with the
operator's settings (``kgexplorer --setting remote_endpoints N app``): the page reads the setting from
the session's graph.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest
from tests.loopback import CountingEndpoint

from kgexplorer import Settings, ui
from kgexplorer.ui.data_sources import DataSource, Upload, open_uploads

ROOT = Path(__file__).resolve().parents[2]
TINY = b"@prefix ex: <http://example.org/> . ex:alice ex:knows ex:bob ."
ENDPOINT_CHOICE = "A SPARQL endpoint"  # AppTest shows the label without its leading emoji
SWITCHED_OFF = "Remote SPARQL endpoints are switched off on this server"


@pytest.fixture
def local_endpoint() -> Iterator[CountingEndpoint]:
    server = CountingEndpoint((500, "text/plain", b""))  # answers none usefully: only the count matters
    yield server
    server.close()


def _session(level: int) -> DataSource:
    return open_uploads([Upload("tiny.ttl", TINY)], settings=Settings(remote_endpoints=level))


def _data_page(source: DataSource) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.session_state[ui.session._SOURCE_KEY] = source
    at.run()
    at.switch_page("app_pages/data.py").run()
    assert not at.exception
    return at


def _captions(at: AppTest) -> str:
    return "\n".join(str(c.value) for c in at.caption)


@pytest.mark.parametrize(("level", "offered"), [(0, False), (1, True), (2, True)])
def test_the_endpoint_choice_is_offered_unless_the_setting_is_0(level: int, offered: bool) -> None:
    with _session(level) as source:
        at = _data_page(source)
        options = at.segmented_control(key="data_choice").options

        assert (ENDPOINT_CHOICE in options) is offered
        assert (SWITCHED_OFF in _captions(at)) is not offered
        assert "Your RDF files" in options  # the rest of the page is still there


def test_at_1_a_loopback_endpoint_is_refused_on_the_page_without_a_request(local_endpoint: CountingEndpoint) -> None:
    with _session(1) as source:
        at = _data_page(source)
        at.segmented_control(key="data_choice").set_value("endpoint").run()
        assert "Only endpoints on the public internet" in _captions(at)
        at.text_input(key="data_endpoint_url").input(local_endpoint.url).run()
        at.button(key="data_connect").click().run()

        assert not at.exception
        warnings = "\n".join(str(w.value) for w in at.warning)
        assert "was not contacted" in warnings
        assert "remote\\_endpoints" in warnings or "remote_endpoints" in warnings  # ui.md escapes underscores
        assert at.session_state[ui.session._SOURCE_KEY] is source  # the session keeps its data
        assert local_endpoint.requests == 0


def test_uploaded_data_offers_the_offline_page_not_a_live_embed() -> None:
    """Issue 15, bug 7: a view of uploaded data says a live embed would not show it to anyone else, and
    offers only the downloaded page; the bundled graph's view offers no such warning."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.session_state[ui.session._SOURCE_KEY] = _session(0)
    at.query_params["e"] = "http://example.org/alice"
    at.run()
    assert not at.exception
    assert any("only this browser session holds" in i.value for i in at.info)
    assert not any("Or embed this live view" in m.value for m in at.markdown)

    shared = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    shared.query_params["e"] = "ketamine"
    shared.run()
    assert not any("only this browser session holds" in i.value for i in shared.info)
