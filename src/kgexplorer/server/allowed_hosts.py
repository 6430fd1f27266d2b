"""Which host names ``kgexplorer serve`` answers to: the Host-header check against DNS rebinding.

A web page could point a name of its own at 127.0.0.1 and, through the visitor's browser, query an endpoint
running on the visitor's machine. So the endpoint answers only requests whose Host header names it
(:func:`host_names`): bound to loopback, localhost, 127.0.0.1 and [::1]; bound to another address, that
address (bound to every interface, any IP address and the loopback names); plus the names of the
``allowed_hosts`` setting (``*`` switches the check off). :class:`HostCheck` is the ASGI middleware that
answers anything else with 400 ``HostNotAllowed`` (:mod:`kgexplorer.server.endpoint` adds it).
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Collection
from typing import Any

from kgexplorer.errors import SettingError

from .protocol import error_response

__all__ = ["ANY_ADDRESS", "HostCheck", "host_names"]

_LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})
#: What :func:`host_names` allows besides names: every IP address (written as an address, a Host header
#: involves no DNS, so no rebinding); used when bound to every interface (0.0.0.0 or ::).
ANY_ADDRESS = "<any IP address>"


def host_names(bind: str, allowed: str = "") -> frozenset[str] | None:
    """The host names an endpoint bound to ``bind`` answers to, with the ``allowed_hosts`` setting's names.

    None when the setting is ``*`` (no check). Bound to every interface (``0.0.0.0`` or ``::``), any IP
    address written as such is also allowed (:data:`ANY_ADDRESS`), and the loopback names.

    >>> sorted(host_names("127.0.0.1"))
    ['127.0.0.1', '::1', 'localhost']
    >>> sorted(host_names("192.168.1.5", "kg.example.org, KG2.example.org."))
    ['192.168.1.5', 'kg.example.org', 'kg2.example.org']
    >>> host_names("0.0.0.0", "*") is None
    True
    """
    names = {_host_key(n) for n in allowed.split(",") if n.strip()}
    if "*" in names:
        return None
    for name in names:
        if not re.fullmatch(r"[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*|[0-9a-f:.]+", name):
            raise SettingError(
                f"setting allowed_hosts must list host names or addresses separated by commas, got {name!r}; for "
                "example --setting allowed_hosts kg.example.org,kg.local"
            )
    bound = _host_key(bind)
    address = _address(bound)
    if bound == "localhost" or (address is not None and address.is_loopback):
        return frozenset({*_LOOPBACK_NAMES, bound, *names})
    if address is not None and address.is_unspecified:
        return frozenset({*_LOOPBACK_NAMES, ANY_ADDRESS, *names})
    return frozenset({bound, *names})


def _host_key(host: str) -> str:
    """A host name as compared: lower case, no brackets around an IPv6 address, no final dot."""
    return host.strip().lower().removeprefix("[").removesuffix("]").rstrip(".")


def _address(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


def _host_of(header: str) -> str:
    """The host part of a Host header (``name``, ``name:port``, ``[v6]`` or ``[v6]:port``)."""
    if header.startswith("["):
        return _host_key(header.split("]", 1)[0] + "]")
    return _host_key(header.rsplit(":", 1)[0] if header.count(":") == 1 else header)


class HostCheck:
    """ASGI middleware: a request whose Host header names a host not in ``allowed`` gets 400.

    ``counted`` is told the status and error type of each refusal (the endpoint's /metrics counts them).
    """

    def __init__(self, app: Any, allowed: Collection[str], counted: Callable[[int, str], None] | None = None) -> None:
        self.app = app
        self.allowed = allowed
        self.counted = counted
        # Host headers already found allowed: every request carries one, nearly always the same few, and reading
        # it as an address costs more than the rest of a cached answer. Bounded: emptied when it grows past 256.
        self._passed: set[bytes] = set()

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] in ("http", "websocket"):
            raw = next((v for k, v in scope.get("headers", []) if k == b"host"), b"")
            if raw in self._passed:
                await self.app(scope, receive, send)
                return
            header = raw.decode("latin-1")
            host = _host_of(header)
            address = _address(host)
            if host in self.allowed or (address is not None and ANY_ADDRESS in self.allowed):
                if len(self._passed) >= 256:
                    self._passed.clear()
                self._passed.add(raw)
            else:
                shown = sorted("[::1]" if n == "::1" else n for n in self.allowed if n != ANY_ADDRESS)
                if ANY_ADDRESS in self.allowed:
                    shown.append("any IP address")
                said = repr(header[:100]) if header else "nothing (no Host header)"
                response = error_response(
                    400,
                    "HostNotAllowed",
                    f"this SPARQL endpoint does not answer to the host named in the request ({said}); it answers to "
                    f"{', '.join(shown)}. A web page may be trying to reach it through a name of its own (DNS "
                    "rebinding). If that is the name people use to reach this server, whoever runs it can add it: "
                    "kgexplorer --setting allowed_hosts NAME serve (several names: comma-separated)",
                    setting="allowed_hosts",
                )
                if self.counted is not None:
                    self.counted(400, "HostNotAllowed")
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)
