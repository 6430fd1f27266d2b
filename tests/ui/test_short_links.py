"""Short links (issue 16): the kind a query gets, and the server's bounded, content-addressed store of them."""

from __future__ import annotations

from pathlib import Path

import pytest

from kgexplorer import Settings
from kgexplorer.errors import QueryError
from kgexplorer.ui.short_links import SHORT_ID_CHARS, ShortLinks, open_short_link, server_links, share_link

ON = Settings(server_storage=1)
QUERY = "SELECT ?s WHERE { ?s a kgx:Substance }"


def test_a_short_link_is_made_from_the_text_and_opens_it(tmp_path: Path) -> None:
    links = ShortLinks(tmp_path, settings=ON)
    link = links.save(QUERY)
    assert len(link) == SHORT_ID_CHARS
    assert link == ShortLinks(tmp_path, settings=ON).save(QUERY)  # the same text, the same link, kept once
    assert links.save(QUERY + " ") != link
    assert open_short_link(link, settings=ON, folder=tmp_path) == QUERY
    assert sorted(p.suffix for p in tmp_path.iterdir()) == [".rq", ".rq"]  # no half-written file left


def test_nothing_is_kept_on_the_server_unless_the_setting_says_so(tmp_path: Path) -> None:
    assert server_links(Settings(), tmp_path) is None
    with pytest.raises(QueryError, match="server_storage"):
        ShortLinks(tmp_path, settings=Settings())
    with pytest.raises(QueryError, match="server_storage setting is off"):
        open_short_link("abcdefghijkl", settings=Settings(), folder=tmp_path)
    assert not list(tmp_path.iterdir())


def test_the_store_is_bounded_by_named_settings(tmp_path: Path) -> None:
    links = ShortLinks(tmp_path, settings=Settings(server_storage=1, short_links_max=2, max_query_chars=100))
    first = links.save("ASK { 1 }")
    links.save("ASK { 2 }")
    with pytest.raises(QueryError, match="short_links_max"):
        links.save("ASK { 3 }")
    assert links.save("ASK { 1 }") == first  # a kept link still opens and is given again
    with pytest.raises(QueryError, match="max_query_chars"):
        links.save("ASK {" + " " * 100 + "}")
    assert len(list(tmp_path.glob("*.rq"))) == 2


@pytest.mark.parametrize("link", ["../../etc/passwd", "ABCDEFGHIJKL", "abc", "abcdefghijk1"])
def test_a_malformed_or_unknown_link_is_refused_with_the_fix(tmp_path: Path, link: str) -> None:
    with pytest.raises(QueryError, match=r"not a short link|keeps no query|copied whole"):
        ShortLinks(tmp_path, settings=ON).load(link)


def test_the_link_kind_is_the_shortest_that_anyone_can_open(tmp_path: Path) -> None:
    gallery = share_link(QUERY, gallery_text=QUERY, links=None, whole="eJx-token")
    assert (gallery.kind, gallery.params) == ("gallery", {"q": None, "s": None})
    whole = share_link(QUERY, gallery_text=None, links=None, whole="eJx-token")
    assert (whole.kind, whole.params["q"]) == ("whole", "eJx-token")
    assert "server_storage setting, off here" in whole.note
    server = share_link(QUERY, gallery_text="other", links=ShortLinks(tmp_path, settings=ON), whole="eJx-token")
    assert server.kind == "server"
    assert server.params["q"] is None
    assert open_short_link(str(server.params["s"]), settings=ON, folder=tmp_path) == QUERY
    full = ShortLinks(tmp_path / "full", settings=Settings(server_storage=1, short_links_max=1))
    full.save("ASK {}")
    fallback = share_link(QUERY, gallery_text=None, links=full, whole="eJx-token")
    assert (fallback.kind, fallback.params["q"]) == ("whole", "eJx-token")
    assert "short_links_max" in fallback.note
