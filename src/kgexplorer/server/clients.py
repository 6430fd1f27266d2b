"""Who sent a request to the endpoint: the client that per-client limits count (kgexplorer.engine.scheduler).

The client is the address that connected. Behind a reverse proxy every request connects from the proxy,
so the proxy's ``X-Forwarded-For`` header names the client instead, but only when the connection comes
from an address in the ``trusted_proxies`` setting: anyone else could write any address into the header
and pass as many clients. The header is read from the right (the hop the trusted proxy added) to the first
address that is not a trusted proxy.

An IPv6 client is its /64 network: one machine usually has a whole /64 and could otherwise pass as
billions of clients. An IPv4 address written as IPv6 (``::ffff:203.0.113.7``) is that IPv4 address.

>>> proxies = trusted_networks("127.0.0.1, 10.0.0.0/8")
>>> client_key("127.0.0.1", "198.51.100.4, 10.1.2.3", proxies)
'198.51.100.4'
>>> client_key("192.0.2.9", "198.51.100.4", proxies)
'192.0.2.9'
>>> client_key("2001:db8::1", None, ())
'2001:db8::/64'
"""

from __future__ import annotations

import functools
import ipaddress
from collections.abc import Sequence

from kgexplorer.errors import SettingError

__all__ = ["client_key", "trusted_networks"]

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def trusted_networks(setting: str) -> tuple[Network, ...]:
    """The ``trusted_proxies`` setting read as networks; a bad entry is a :class:`SettingError` naming it."""
    found: list[Network] = []
    for part in setting.split(","):
        text = part.strip()
        if not text:
            continue
        try:
            found.append(ipaddress.ip_network(text, strict=False))
        except ValueError:
            raise SettingError(
                f"setting trusted_proxies holds {text!r}, which is not an IP address or network; list the "
                "addresses of your reverse proxies, e.g. 127.0.0.1,10.0.0.0/8"
            ) from None
    return tuple(found)


def client_key(peer: str | None, forwarded_for: str | None, trusted: Sequence[Network]) -> str:
    """The client of a request from ``peer`` carrying ``X-Forwarded-For: forwarded_for`` (all values, joined)."""
    if not forwarded_for:
        return _peer_key(peer)
    return _client_key(peer, forwarded_for, trusted)


# Every request asks, and parsing an address costs more than the rest of a cached answer's bookkeeping; the same
# few peers connect again and again. Only the peer alone is cached: a forwarded header can be long.
@functools.lru_cache(maxsize=4096)
def _peer_key(peer: str | None) -> str:
    return _client_key(peer, None, ())


def _client_key(peer: str | None, forwarded_for: str | None, trusted: Sequence[Network]) -> str:
    address = _address(peer)
    if address is None:
        return peer or "unknown"
    if forwarded_for and _trusted(address, trusted):
        for hop in reversed([h.strip() for h in forwarded_for.split(",")]):
            hop_address = _address(hop)
            if hop_address is None:  # a proxy that forwards garbage: the proxy is the client
                break
            address = hop_address
            if not _trusted(hop_address, trusted):
                break
    return _key(address)


def _address(text: str | None) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    if not text:
        return None
    try:
        found = ipaddress.ip_address(text.strip().removeprefix("[").split("]")[0])
    except ValueError:
        return None
    if isinstance(found, ipaddress.IPv6Address) and found.ipv4_mapped is not None:
        return found.ipv4_mapped
    return found


def _trusted(address: ipaddress.IPv4Address | ipaddress.IPv6Address, trusted: Sequence[Network]) -> bool:
    return any(address.version == net.version and address in net for net in trusted)


def _key(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str:
    if isinstance(address, ipaddress.IPv6Address):
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)
