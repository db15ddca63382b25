"""What a partner's webhook URL may be, and the one address a delivery connects to.

Production: ``https`` only, and every address the host resolves to must be public: no
private (10/8, 172.16/12, 192.168/16, fc00::/7), loopback (127/8, ::1), link-local
(169.254/16 with the 169.254.169.254 metadata service, fe80::/10), shared (100.64/10),
multicast, reserved or unspecified address, IPv4-mapped IPv6 judged as its IPv4.
Sandbox: the same, except that a host whose addresses are all loopback is allowed, over
``http`` or ``https`` (a receiver on the developer's machine); ``http`` to anything else is
refused. No user name or password in the URL.

The check resolves the host once and answers the address to connect to: the sender
connects to that address (Host header and TLS server name stay the URL's host), so a DNS
answer that changes between the check and the connection (DNS rebinding) cannot send a
delivery anywhere the check did not approve. A URL whose host is an IP address needs no
DNS: its approval is remembered (the same URL is approved or refused the same way every time).
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable
from urllib.parse import urlsplit

import msgspec

from system_apis.webhooks.port import UrlRefused

Resolver = Callable[[str, int], Awaitable[list[str]]]
MAX_URL = 2048
MAX_REMEMBERED = 10_000


class Target(msgspec.Struct, frozen=True, kw_only=True):
    """Where a checked URL's request goes: ``connect_url`` has the checked address as host."""

    scheme: str
    host: str
    host_header: str
    address: str
    connect_url: str


async def system_resolver(host: str, port: int) -> list[str]:
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(info[4][0] for info in infos))


class UrlGuard:
    def __init__(self, *, sandbox: bool, resolve: Resolver = system_resolver) -> None:
        self._sandbox = sandbox
        self._resolve = resolve
        self._literals: dict[str, Target] = {}
        """Approved URLs whose host is an IP address: their answer depends on nothing but the
        URL (no DNS), so every delivery after the first reuses it. Bounded by ``MAX_REMEMBERED``."""

    async def check(self, url: str) -> Target:
        """The target of ``url``, or ``UrlRefused`` saying why not."""
        known = self._literals.get(url)
        if known is not None:
            return known
        target = await self._check(url)
        if _is_ip(target.host):
            if len(self._literals) >= MAX_REMEMBERED:
                self._literals.clear()
            self._literals[url] = target
        return target

    async def _check(self, url: str) -> Target:
        if len(url) > MAX_URL:
            raise UrlRefused(f"The URL is longer than {MAX_URL} characters.")
        try:
            parts = urlsplit(url)
            port = parts.port or (443 if parts.scheme == "https" else 80)
        except ValueError:
            raise UrlRefused("The URL is not valid.") from None
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise UrlRefused("The URL must be https://host/... (http only to loopback in the sandbox).")
        if parts.username is not None or parts.password is not None:
            raise UrlRefused("The URL must not carry a user name or password.")
        host = parts.hostname
        addresses = await self._addresses(host, port)
        loopback = all(a.is_loopback for a in addresses)
        if not (self._sandbox and loopback):
            if parts.scheme != "https":
                raise UrlRefused("Webhook URLs must use https." if not self._sandbox else
                                 "The sandbox allows http only to loopback addresses; use https.")
            bad = next((a for a in addresses if not _public(a)), None)
            if bad is not None:
                raise UrlRefused(f"{host} resolves to a {_kind(bad)} address, which webhooks may not target.")
        address = addresses[0]
        literal = f"[{address}]" if address.version == 6 else str(address)
        path = parts.path or "/"
        query = f"?{parts.query}" if parts.query else ""
        return Target(scheme=parts.scheme, host=host, host_header=parts.netloc.rsplit("@", 1)[-1], address=str(address),
                      connect_url=f"{parts.scheme}://{literal}:{port}{path}{query}")

    async def _addresses(self, host: str, port: int) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
        try:
            raw = [host.strip("[]")] if _is_ip(host) else await self._resolve(host, port)
        except OSError:
            raise UrlRefused(f"{host} could not be resolved.") from None
        if not raw:
            raise UrlRefused(f"{host} could not be resolved.")
        return [_unmapped(ipaddress.ip_address(a.split("%", 1)[0])) for a in raw]


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


def _unmapped(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    return ip


def _public(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    return ip.is_global and not (ip.is_multicast or ip.is_reserved or ip.is_unspecified or ip.is_link_local)


def _kind(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str:
    for name in ("loopback", "link_local", "private", "multicast", "unspecified", "reserved"):
        if getattr(ip, f"is_{name}"):
            return name.replace("_", "-")
    return "non-public"
