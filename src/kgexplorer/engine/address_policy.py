"""Which network addresses kgexplorer may reach: the check behind ``remote_endpoints=1`` (public only).

:mod:`kgexplorer.engine.remote_endpoint` enforces the ``remote_endpoints`` setting; this module holds the address
policy it uses. At 1, every connection resolves the host name once, refuses it unless every address is a
public internet address, and connects to the address it checked, so a name that resolves differently
later (DNS rebinding) gains nothing.

>>> address_problem("127.0.0.1")
'a loopback address'
>>> address_problem("169.254.169.254")
'a link-local address'
>>> address_problem("::ffff:10.0.0.1")
'an IPv6 form of 10.0.0.1, which is a private or special-purpose address'
>>> address_problem("8.8.8.8") is None
True
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import urllib.request
from typing import Any

__all__ = ["NOT_AN_ADDRESS", "PUBLIC_ONLY_HANDLERS", "Refused", "address_problem"]

_NAT64 = ipaddress.ip_network("64:ff9b::/96")
#: What :func:`address_problem` says of a host name (names are checked when they are connected to).
NOT_AN_ADDRESS = "not an IP address"


def address_problem(text: str) -> str | None:
    """Why remote_endpoints=1 refuses this address ("a loopback address" …), or None for a public one.

    ``is_global`` alone is not enough: Python 3.11 calls multicast, site-local, and 6to4 or NAT64 forms
    of 127.0.0.1 global. An IPv6 address that carries an IPv4 address is judged by the IPv4 address.
    """
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return NOT_AN_ADDRESS
    if isinstance(address, ipaddress.IPv6Address):
        inner = address.ipv4_mapped or address.sixtofour
        if inner is None and address in _NAT64:
            inner = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        if inner is not None:
            problem = address_problem(str(inner))
            return None if problem is None else f"an IPv6 form of {inner}, which is {problem}"
    kinds = [
        ("the unspecified address", address.is_unspecified),
        ("a loopback address", address.is_loopback),
        ("a link-local address", address.is_link_local),
        ("a multicast address", address.is_multicast),
        ("a reserved address", address.is_reserved),
        ("a private or special-purpose address", address.is_private),
        ("a site-local address", isinstance(address, ipaddress.IPv6Address) and address.is_site_local),
        ("not a public internet address", not address.is_global),
    ]
    return next((kind for kind, hit in kinds if hit), None)


class Refused(Exception):
    """A connection refused by the remote_endpoints setting (not an OSError, so urllib lets it through)."""

    def __init__(self, host: str, address: str, problem: str) -> None:
        super().__init__(host, address, problem)
        self.host, self.address, self.problem = host, address, problem


def _connect_public(
    address: tuple[str, int], timeout: float | None, source_address: tuple[str, int] | None = None
) -> socket.socket:
    """``socket.create_connection`` for remote_endpoints=1: one lookup, every address checked, and a
    connection to a checked address (a second lookup of the name could answer differently)."""
    host, port = address
    found = list(dict.fromkeys(str(info[4][0]) for info in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)))
    for ip in found:
        problem = address_problem(ip)
        if problem is not None:
            raise Refused(host, ip, problem)
    error = OSError(f"{host} has no address")
    for ip in found:
        try:
            return socket.create_connection((ip, port), timeout, source_address)
        except OSError as exc:
            error = exc
    raise error


class _PublicHTTPConnection(http.client.HTTPConnection):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # http.client opens every socket through this attribute (HTTPS wraps the socket it returns).
        self._create_connection = _connect_public


class _PublicHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._create_connection = _connect_public


class _PublicHTTPHandler(urllib.request.HTTPHandler):
    def http_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        return self.do_open(_PublicHTTPConnection, req)


class _PublicHTTPSHandler(urllib.request.HTTPSHandler):
    def https_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        return self.do_open(_PublicHTTPSConnection, req)


#: urllib handlers that connect only to public addresses (for ``urllib.request.build_opener``).
PUBLIC_ONLY_HANDLERS: tuple[type[urllib.request.BaseHandler], ...] = (_PublicHTTPHandler, _PublicHTTPSHandler)
