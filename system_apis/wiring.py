"""Builds the system APIs' adapters from the connection table: one guarded, traced HTTP client each.

Called by a role's composition root. Every connection (``system_apis.connections``)
gets one ``httpx`` client, one ``Guard`` (breaker, bulkhead, retries) named
after it and one ``VendorHttp``; its kind (``system_apis.registry``) makes
the adapter for each role it serves over that one client. ``transport`` lets
the one-process hub reach its in-process sandbox through
``httpx.ASGITransport`` (sandbox connections only); others go over the network.

``adapters`` overrides any connection by name with a ready adapter (a fake in
tests, a remote stub in a split role): the same bootstrap, other arguments.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from contextlib import AsyncExitStack
from dataclasses import dataclass, field, replace

import httpx
import msgspec

from shared.resilience import Bulkhead, CircuitBreaker, Guard, RetryPolicy
from system_apis.adapter_options import make_adapters
from system_apis.connections import Connection
from system_apis.erp.port import ErpPort
from system_apis.aiohttp_transport import AiohttpTransport
from system_apis.pacing import PacedTransport
from system_apis.probing import Probe
from system_apis.payments.port import PaymentsPort
from system_apis.channel.port import ChannelPlatformPort
from system_apis.vendor_http import VendorHttp
from system_apis.wms.fulfilment_port import FulfilmentPort
from system_apis.wms.fulfilment_routes import FulfilmentRoutes, PolledFulfilment, polled
from system_apis.wms.port import StockPort


class BreakerConfig(msgspec.Struct, frozen=True, kw_only=True):
    """Every backend circuit's timing (``HUB_BREAKER_FAILURE_THRESHOLD``, ``HUB_BREAKER_OPEN_SECONDS``)."""

    failure_threshold: int = 5
    open_seconds: float = 10.0


def close_circuits(guards: dict[str, Guard], backends: list[str], why: str) -> None:
    """Close the named backends' circuits now (the ones this process has); the others are ignored.

    How the one-process hub hears that a sandbox fault was cleared or the sandbox
    reset: the backend is known to be back, so no call waits for the next probe."""
    for name in backends:
        if name in guards:
            guards[name].breaker.reset(why)


@dataclass(frozen=True, kw_only=True)
class SystemPorts:
    """What the process layer is given: each port by its Protocol, built from the connections."""

    erp: ErpPort
    stock: dict[str, StockPort]
    """Stock sources by connection name (the name their events carry: ``/hooks/wms``)."""
    fulfilment: FulfilmentPort | None = None
    payments: PaymentsPort | None = None
    channels: dict[str, ChannelPlatformPort] = field(default_factory=dict)
    """Channel platforms by the channel they serve (an order's ``channel``)."""
    guards: dict[str, Guard] = field(default_factory=dict)
    erp_secondary: ErpPort | None = None
    """The other ERP while moving from one to another (``erp_role = "secondary"``); the routing ERP
    (``system_apis.erp_routing``) takes both, and the process layer sees only ``erp``."""
    backends: dict[str, str] = field(default_factory=dict)
    """Port slot (``erp``, ``stock.wms``, ``channel.shopify``, ...) -> the connection serving it."""
    fulfilments: dict[str, FulfilmentPort] = field(default_factory=dict)
    """Every fulfilment connection by name, in declaration order; ``fulfilment`` is the first."""
    fulfilment_locations: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """The location prefixes each fulfilment connection serves (its ``locations``)."""
    probes: dict[str, Probe] = field(default_factory=dict)
    """Each connection's health probe by connection name (its kind's ``prober`` adapter; a stand-in
    adapter that implements none has none)."""

    def fulfilment_routes(self) -> FulfilmentRoutes:
        """The fulfilment connections and the locations each serves (the default first)."""
        ports = self.fulfilments or ({self.backends.get("fulfilment", "fulfilment"): self.fulfilment}
                                     if self.fulfilment else {})
        return FulfilmentRoutes(ports, dict(self.fulfilment_locations))

    @property
    def channel(self) -> ChannelPlatformPort | None:
        """The first channel platform: the shop the storefront levels are pushed to."""
        return next(iter(self.channels.values()), None)

    def slots(self) -> dict[str, object]:
        """Every port by its slot name, e.g. ``stock.wms``: what a split system role serves over RPC."""
        found: dict[str, object] = {"erp": self.erp}
        found.update({f"stock.{name}": port for name, port in self.stock.items()})
        found.update({f"channel.{name}": port for name, port in self.channels.items()})
        found.update({name: getattr(self, name) for name in ("fulfilment", "payments") if getattr(self, name)})
        found.update({f"fulfilment.{name}": port for name, port in self.fulfilments.items()})
        return found

    def wrapped(self, wrap: Callable[[object, str], object]) -> SystemPorts:
        """The same ports, each passed through ``wrap(port, connection name)`` (e.g. pauses)."""
        def one(slot: str, port: object) -> object:
            return wrap(port, self.backends.get(slot, slot))

        return replace(self, erp=one("erp", self.erp),
                       stock={n: one(f"stock.{n}", p) for n, p in self.stock.items()},
                       channels={n: one(f"channel.{n}", p) for n, p in self.channels.items()},
                       fulfilment=one("fulfilment", self.fulfilment) if self.fulfilment else None,
                       payments=one("payments", self.payments) if self.payments else None,
                       fulfilments={n: one(f"fulfilment.{n}", p) for n, p in self.fulfilments.items()})


PROTOCOLS: dict[str, type] = {"erp": ErpPort, "stock": StockPort, "fulfilment": FulfilmentPort,
                              "payments": PaymentsPort, "channel": ChannelPlatformPort}
"""The Protocol of each role (``system_apis.registry.ROLES``)."""


def protocol_of(role: str, adapter: object) -> type:
    """The Protocol ``adapter`` (or its class) is served and reached under over RPC: its role's,
    or ``PolledFulfilment`` for a fulfilment connection whose shipments and receipts are polled
    (so a split worker can poll them through the system role)."""
    return PolledFulfilment if role == "fulfilment" and polled(adapter) else PROTOCOLS[role]


def slot(conn: Connection, role: str) -> str:
    """The name a connection's role is served under (``stock.wms``, ``fulfilment.wms``,
    ``channel.shopify``, ``erp``)."""
    if role in ("stock", "fulfilment"):
        return f"{role}.{conn.name}"
    return f"channel.{conn.serves.channel}" if role == "channel" else role


def remote_ports(connections: list[Connection], client: Callable[[type, str], object]) -> SystemPorts:
    """The ports of a split role: each slot a ``client(protocol, slot)`` of the system role's."""
    return assemble(connections, {conn.name: {role: client(protocol_of(role, conn.vendor.adapters.get(role)),
                                                           slot(conn, role)) for role in conn.roles}
                                  for conn in connections})


def assemble(connections: list[Connection], adapters: Mapping[str, Mapping[str, object]],
             guards: dict[str, Guard] | None = None, probes: dict[str, Probe] | None = None) -> SystemPorts:
    """The ports from each connection's adapters (connection name -> role -> adapter); the first
    connection serving the ERP, fulfilment or payments role takes it (every fulfilment connection
    is kept as well, for routing an order's lines by location)."""
    slots: dict[str, object] = {}
    backends: dict[str, str] = {}
    stock: dict[str, StockPort] = {}
    channels: dict[str, ChannelPlatformPort] = {}
    fulfilments: dict[str, FulfilmentPort] = {}
    for conn in connections:
        made = adapters[conn.name]
        for role in conn.roles:
            if role == "fulfilment":
                fulfilments[conn.name], backends[f"fulfilment.{conn.name}"] = made[role], conn.name  # type: ignore[assignment]
            if role == "stock":
                stock[conn.name], backends[f"stock.{conn.name}"] = made[role], conn.name  # type: ignore[assignment]
            elif role == "channel" and conn.serves.channel:
                channels[conn.serves.channel] = made[role]  # type: ignore[assignment]
                backends[f"channel.{conn.serves.channel}"] = conn.name
            elif role == "erp" and conn.serves.erp_role == "secondary":
                slots["erp.secondary"], backends["erp.secondary"] = made[role], conn.name
            elif role in ("erp", "fulfilment", "payments") and role not in slots:
                if role != "erp" or conn.serves.erp_role == "primary":
                    slots[role], backends[role] = made[role], conn.name
    return SystemPorts(erp=slots["erp"], stock=stock, fulfilment=slots.get("fulfilment"),  # type: ignore[arg-type]
                       payments=slots.get("payments"), channels=channels, guards=guards or {},  # type: ignore[arg-type]
                       erp_secondary=slots.get("erp.secondary"), backends=backends,  # type: ignore[arg-type]
                       fulfilments=fulfilments, probes=probes or {}, fulfilment_locations={
                           c.name: c.serves.locations for c in connections if c.name in fulfilments})


async def build_system_ports(
    stack: AsyncExitStack,
    connections: list[Connection],
    *,
    timeout: float,
    transport: httpx.AsyncBaseTransport | None = None,
    breaker: BreakerConfig | None = None,
    adapters: Mapping[str, object] | None = None,
) -> SystemPorts:
    """The adapters of every connection; ``breaker`` times every backend's circuit (HUB_BREAKER_*
    settings); ``adapters`` (connection name -> adapter) stands in for any connection's."""
    breaker = breaker or BreakerConfig()
    guards: dict[str, Guard] = {}
    made: dict[str, Mapping[str, object]] = {}
    for conn in connections:
        if adapters and conn.name in adapters:
            made[conn.name] = {role: adapters[conn.name] for role in conn.roles}
            continue
        kind = conn.vendor
        limits = httpx.Limits(max_connections=conn.concurrency * 2, max_keepalive_connections=conn.concurrency)
        # over the network: httpx on aiohttp's pool (measured cheaper, docs/performance.md)
        own = transport if conn.sandboxed and transport is not None else AiohttpTransport(limits)
        if conn.rate_per_second:
            own = PacedTransport(own, conn.rate_per_second)
        client = httpx.AsyncClient(base_url=conn.base_url, transport=own, timeout=httpx.Timeout(timeout),
                                   headers=kind.auth(conn.credential) or None, limits=limits)
        await stack.enter_async_context(client)
        guards[conn.name] = Guard(
            conn.name,
            policy=RetryPolicy(),
            timeout=timeout,
            bulkhead=Bulkhead(conn.name, max_concurrent=conn.concurrency),
            breaker=CircuitBreaker(conn.name, failure_threshold=breaker.failure_threshold,
                                   reset_timeout=breaker.open_seconds),
        )
        http = VendorHttp(conn.name, client, guards[conn.name], kind.classify)
        made[conn.name] = make_adapters(kind, http, conn.options, conn.credential)
    probes = {conn.name: prober for conn in connections
              if isinstance(prober := made[conn.name].get(conn.vendor.prober), Probe)}
    return assemble(connections, made, guards, probes)
