"""The routing ERP in the composition: built when a connection has ``erp_role = "secondary"``."""

from __future__ import annotations

from contextlib import AsyncExitStack
from dataclasses import replace

from sqlalchemy.ext.asyncio import AsyncEngine

from shared.erp_routing_settings import ErpRoutingSettings
from shared.ops.erp_migration import MigrationBook
from system_apis.erp_routing.port import RoutingErp
from system_apis.wiring import SystemPorts


async def route_erp(stack: AsyncExitStack, ports: SystemPorts, engine: AsyncEngine,
                    routing: ErpRoutingSettings) -> SystemPorts:
    """The same ports with ``erp`` the routing ERP over the primary and the secondary; unchanged
    when there is no secondary. Its shadow work is cancelled when the role stops."""
    if ports.erp_secondary is None:
        return ports
    primary, secondary = ports.backends["erp"], ports.backends["erp.secondary"]
    erp = RoutingErp({primary: ports.erp, secondary: ports.erp_secondary}, primary=primary, secondary=secondary,
                     book=MigrationBook(engine, samples=routing.samples), routing=routing)
    await erp.start()
    stack.push_async_callback(erp.close)
    return replace(ports, erp=erp)
