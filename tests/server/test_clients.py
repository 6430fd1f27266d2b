"""Who a request's client is (kgexplorer.server.clients): the connecting address, X-Forwarded-For only from a
trusted proxy, IPv6 clients by /64, and a clear error for a bad trusted_proxies setting."""

from __future__ import annotations

import pytest

from kgexplorer import SettingError
from kgexplorer.server.clients import client_key, trusted_networks

PROXIES = trusted_networks("127.0.0.1, 10.0.0.0/8, ::1")


@pytest.mark.parametrize(
    ("peer", "forwarded", "expected"),
    [
        ("203.0.113.7", None, "203.0.113.7"),
        ("203.0.113.7", "198.51.100.1", "203.0.113.7"),  # anyone may write the header: ignored
        ("127.0.0.2", "198.51.100.1", "127.0.0.2"),  # another loopback address is not the trusted proxy
        ("127.0.0.1", "198.51.100.1", "198.51.100.1"),
        ("127.0.0.1", "1.2.3.4, 198.51.100.1", "198.51.100.1"),  # the client wrote 1.2.3.4 itself
        ("127.0.0.1", "198.51.100.1, 10.0.0.5", "198.51.100.1"),  # through two trusted proxies
        ("127.0.0.1", "10.0.0.9, 10.0.0.5", "10.0.0.9"),  # every hop trusted: the first one
        ("127.0.0.1", "not an address", "127.0.0.1"),  # garbage from the proxy: the proxy is the client
        ("127.0.0.1", None, "127.0.0.1"),
        ("::1", "2001:db8:1:2:3::9", "2001:db8:1:2::/64"),
        ("2001:db8::1", None, "2001:db8::/64"),
        ("2001:db8::ffff:1", None, "2001:db8::/64"),  # the same /64: the same client
        ("::ffff:203.0.113.7", None, "203.0.113.7"),
        (None, "198.51.100.1", "unknown"),
        ("testclient", None, "testclient"),
    ],
)
def test_the_client_of_a_request(peer: str | None, forwarded: str | None, expected: str) -> None:
    assert client_key(peer, forwarded, PROXIES) == expected


def test_without_trusted_proxies_the_header_is_never_believed() -> None:
    assert trusted_networks("") == ()
    assert client_key("127.0.0.1", "198.51.100.1", trusted_networks("")) == "127.0.0.1"


def test_a_bad_trusted_proxies_entry_is_named() -> None:
    with pytest.raises(SettingError, match=r"trusted_proxies holds 'proxy\.local'.*e\.g\. 127\.0\.0\.1"):
        trusted_networks("127.0.0.1, proxy.local")


def test_a_peer_seen_alone_before_still_forwards_for_its_clients() -> None:
    """The peer alone is remembered (every request asks); that never hides the header a trusted proxy adds."""
    assert client_key("127.0.0.1", None, PROXIES) == "127.0.0.1"
    assert client_key("127.0.0.1", "198.51.100.9", PROXIES) == "198.51.100.9"
    assert client_key("127.0.0.1", None, PROXIES) == "127.0.0.1"
    assert client_key("127.0.0.1", "198.51.100.9", trusted_networks("")) == "127.0.0.1"
