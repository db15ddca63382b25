"""``build_system_ports``: every adapter built over one transport, each backend with its own guard."""

from __future__ import annotations

from contextlib import AsyncExitStack
from decimal import Decimal

import httpx

from shared.models import FulfilmentLine, FulfilmentRequest
from system_apis.sandbox.app import create_sandbox_app
from system_apis.sandbox.config import SandboxConfig
from system_apis.wiring import build_system_ports

PATHS = {"erp": "/sandbox/erp", "wms": "/sandbox/wms", "pos": "/sandbox/pos", "payments": "/sandbox/payments",
         "shopify": "/sandbox/shopify"}


async def test_all_ports_reach_the_sandbox() -> None:
    app = create_sandbox_app(SandboxConfig(autoship_seconds=0))
    async with AsyncExitStack() as stack:
        ports = await build_system_ports(stack, {n: f"http://sandbox{p}" for n, p in PATHS.items()}, timeout=2.0,
                                         transport=httpx.ASGITransport(app=app))

        assert set(ports.guards) == set(PATHS)
        assert (await ports.erp.get_item("SKU-1001")).name == "Cordless Drill 18V"
        assert [s.location for s in await ports.pos.get_stock(["SKU-1002"])] == ["STORE-NYC"]
        ref = await ports.fulfilment.release(FulfilmentRequest(order_id="ord_1", lines=(FulfilmentLine(sku="SKU-1001", quantity=1),)))
        assert ref.fulfilment_id == "FR-100001"
        assert (await ports.payments.get_authorization("pay_auth_123")).amount == Decimal("10000.00")
        await ports.shopify.set_inventory("SKU-1001", "DC-EAST", 12)
    await app.state.sandbox.aclose()

    view = app.state.sandbox.backends["shopify"].inventory_view("SKU-1001")
    assert view.available == 12


async def test_payments_and_shopify_are_optional() -> None:
    async with AsyncExitStack() as stack:
        ports = await build_system_ports(stack, {n: f"http://sandbox{PATHS[n]}" for n in ("erp", "wms", "pos")},
                                         timeout=2.0)

    assert ports.payments is None and ports.shopify is None and ports.fulfilment is not None
    assert set(ports.guards) == {"erp", "wms", "pos"}
