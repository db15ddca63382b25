"""The routing ERP in the composition: built when a connection has ``erp_role = "secondary"``."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack
from dataclasses import replace

from sqlalchemy.ext.asyncio import AsyncEngine

from shared.erp_routing_settings import ErpRoutingSettings
from shared.ops.erp_migration import PRIMARY_TOPIC, MigrationBook
from system_apis.erp_routing.port import RoutingErp
from system_apis.wiring import SystemPorts


Subscribe = Callable[[str, Callable[[bytes], Awaitable[None]]], None]


async def route_erp(stack: AsyncExitStack, ports: SystemPorts, engine: AsyncEngine,
                    routing: ErpRoutingSettings, subscribe: Subscribe | None = None) -> SystemPorts:
    """The same ports with ``erp`` the routing ERP over the primary and the secondary; unchanged
    when there is no secondary. ``subscribe`` (the bus's) hears a switch of the primary at once.
    Its shadow work is cancelled when the role stops."""
    if ports.erp_secondary is None:
        return ports
    primary, secondary = ports.backends["erp"], ports.backends["erp.secondary"]
    book = MigrationBook(engine, samples=routing.samples)
    erp = RoutingErp({primary: ports.erp, secondary: ports.erp_secondary}, primary=primary, secondary=secondary,
                     book=book, routing=routing)
    if subscribe is not None:
        async def switched(_payload: bytes) -> None:
            book.forget_primary()

        subscribe(PRIMARY_TOPIC, switched)
    await erp.start()
    stack.push_async_callback(erp.close)
    return replace(ports, erp=erp)
