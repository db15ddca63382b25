"""``build_system_ports``: every connection's adapters built over one transport, each with its own guard."""

from __future__ import annotations

from contextlib import AsyncExitStack
from decimal import Decimal

import httpx
import pytest

from shared.errors import NotFound

from shared.models import FulfilmentLine, FulfilmentRequest
from shared.settings import load_settings
from system_apis.connections import resolve_connections
from system_apis.sandbox.app import create_sandbox_app
from system_apis.sandbox.config import SandboxConfig
from shared.rpc import RpcApp, rpc_client
from system_apis.wiring import build_system_ports, protocol_of, remote_ports
from system_apis.wms.fulfilment_port import FulfilmentPort
from system_apis.wms.fulfilment_routes import PolledFulfilment

NAMES = {"erp", "wms", "pos", "payments", "shopify"}


async def test_all_ports_reach_the_sandbox() -> None:
    app = create_sandbox_app(SandboxConfig(autoship_seconds=0))
    async with AsyncExitStack() as stack:
        ports = await build_system_ports(stack, resolve_connections(load_settings({}, "/nonexistent.toml")),
                                         timeout=2.0, transport=httpx.ASGITransport(app=app))

        assert set(ports.guards) == NAMES and set(ports.stock) == {"wms", "pos"}
        assert (await ports.erp.get_item("SKU-1001")).name == "Cordless Drill 18V"
        assert [s.location for s in await ports.stock["pos"].get_stock(["SKU-1002"])] == ["STORE-NYC"]
        ref = await ports.fulfilment.release(FulfilmentRequest(order_id="ord_1", lines=(FulfilmentLine(sku="SKU-1001", quantity=1),)))
        assert ref.fulfilment_id == "FR-100001"
        assert (await ports.payments.get_authorization("pay_auth_123")).amount == Decimal("10000.00")
        await ports.channels["shopify"].set_inventory("SKU-1001", "DC-EAST", 12)
    await app.state.sandbox.aclose()

    view = app.state.sandbox.backends["shopify"].inventory_view("SKU-1001")
    assert view.available == 12


async def test_payments_and_the_channel_are_optional() -> None:
    settings = load_settings({"HUB_SANDBOX": "0", "HUB_ERP_URL": "http://erp", "HUB_WMS_URL": "http://wms",
                              "HUB_POS_URL": "http://pos"}, "/nonexistent.toml", sandbox=True)
    connections = [c for c in resolve_connections(settings) if c.name in ("erp", "wms", "pos")]
    async with AsyncExitStack() as stack:
        ports = await build_system_ports(stack, connections, timeout=2.0)

    assert ports.payments is None and ports.channel is None and ports.fulfilment is not None
    assert set(ports.guards) == {"erp", "wms", "pos"}


async def test_an_adapter_overrides_its_connection() -> None:
    fake = object()
    async with AsyncExitStack() as stack:
        ports = await build_system_ports(stack, resolve_connections(load_settings({}, "/nonexistent.toml")),
                                         timeout=2.0, adapters={"pos": fake})

    assert ports.stock["pos"] is fake and "pos" not in ports.guards and ports.backends["stock.pos"] == "pos"


async def test_every_fulfilment_connection_is_kept_for_routing_by_location() -> None:
    tpl = {"tpl": {"kind": "threepl", "locations": ["3PL-"], "options": {"facilities": {"228": "3PL-MV"}}}}
    connections = resolve_connections(load_settings({}, "/nonexistent.toml", connections=tpl))
    async with AsyncExitStack() as stack:
        ports = await build_system_ports(stack, connections, timeout=2.0)
    routes = ports.fulfilment_routes()

    assert ports.fulfilment is ports.fulfilments["wms"] and list(ports.fulfilments) == ["wms", "tpl"]
    assert (routes.default, routes.serving("3PL-MV"), routes.serving("DC-EAST"), routes.serving("STORE-NYC")) == (
        "wms", "tpl", "wms", None)
    assert list(routes.feeds()) == ["tpl"], "the 3PL's shipments are polled; the WMS sends events"
    assert {"fulfilment", "fulfilment.wms", "fulfilment.tpl"} <= set(ports.slots())
    remote = remote_ports(connections, lambda protocol, slot: slot)
    assert (remote.fulfilment, remote.fulfilments) == ("fulfilment.wms", {"wms": "fulfilment.wms",
                                                                          "tpl": "fulfilment.tpl"})


async def test_a_split_worker_reaches_the_3pl_s_polled_calls_over_rpc() -> None:
    """The system role serves a polled connection with ``shipments`` and ``received_returns``, and a
    split worker's remote port for it has them: so the worker polls it (none for the WMS)."""
    tpl = {"tpl": {"kind": "threepl", "locations": ["3PL-"], "options": {"facilities": {"228": "3PL-MV"}}}}
    connections = resolve_connections(load_settings({}, "/nonexistent.toml", connections=tpl))
    app = create_sandbox_app(SandboxConfig(autoship_seconds=0))
    async with AsyncExitStack() as stack:
        ports = await build_system_ports(stack, resolve_connections(load_settings(
            {}, "/nonexistent.toml", connections=tpl, sandbox=True), "http://sandbox"),
            timeout=2.0, transport=httpx.ASGITransport(app=app))
        served = {name: (protocol_of(name.split(".")[0], port), port) for name, port in ports.slots().items()}
        assert (served["fulfilment.tpl"][0], served["fulfilment.wms"][0]) == (PolledFulfilment, FulfilmentPort)
        http = await stack.enter_async_context(httpx.AsyncClient(
            transport=httpx.ASGITransport(app=RpcApp(served)), base_url="http://system"))
        remote = remote_ports(connections, lambda protocol, slot: rpc_client(protocol, slot, http))
        routes = remote.fulfilment_routes()
        assert (list(routes.feeds()), list(routes.receipt_feeds())) == (["tpl"], ["tpl"])
        assert await routes.ports["tpl"].received_returns(["rma_none"]) == []
        with pytest.raises(NotFound):
            await routes.ports["tpl"].shipments("ord_none")


async def test_one_fulfilment_connection_routes_nothing() -> None:
    async with AsyncExitStack() as stack:
        ports = await build_system_ports(stack, resolve_connections(load_settings({}, "/nonexistent.toml")),
                                         timeout=2.0)
    assert not ports.fulfilment_routes().several and list(ports.fulfilments) == ["wms"]
