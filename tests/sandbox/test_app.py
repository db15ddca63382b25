"""The sandbox app as a whole: lifespan-optional, every route under ``/sandbox/``."""

from __future__ import annotations

from litestar import Litestar
from litestar.testing import AsyncTestClient

from system_apis.sandbox.app import create_sandbox_app


async def test_app_serves_with_its_lifespan_too() -> None:
    async with AsyncTestClient(create_sandbox_app()) as client:
        response = await client.get("/sandbox/erp/api/v1/items/SKU-1003")

    assert response.status_code == 200
    assert response.json()["finalSale"] is True


def test_every_route_is_under_sandbox_and_there_are_no_docs(app: Litestar) -> None:
    paths = {route.path for route in app.routes}

    assert all(path.startswith("/sandbox/") for path in paths)
    assert {
        "/sandbox/erp/api/v1/items/{item_id:str}",
        "/sandbox/erp/api/v1/customers/{customer_id:str}/item-prices",
        "/sandbox/wms/api/v2/inventory",
        "/sandbox/pos/v1/stores/inventory",
        "/sandbox/reset",
        "/sandbox/wms/stock",
        "/sandbox/erp/items/{sku:str}/price",
        "/sandbox/erp/api/v1/salesOrders",
        "/sandbox/erp/api/v1/creditMemos",
        "/sandbox/erp/api/v1/creditMemos/{credit_memo_id:str}/void",
        "/sandbox/erp/sales-orders",
        "/sandbox/erp/credit-memos",
        "/sandbox/wms/api/v2/fulfillment_requests",
        "/sandbox/wms/api/v2/expected_receipts",
        "/sandbox/wms/api/v2/expected_receipts/{rma_ref:str}",
        "/sandbox/wms/ship",
        "/sandbox/wms/receive",
        "/sandbox/shopify/admin/api/2024-10/inventory_levels/set.json",
        "/sandbox/shopify/admin/api/2024-10/orders/{order_id:int}/fulfillments.json",
        "/sandbox/shopify/orders",
        "/sandbox/shopify/orders/{order_id:int}/redeliver",
        "/sandbox/shopify/inventory/{sku:str}",
        "/sandbox/shopify/fulfillments",
        "/sandbox/payments/v1/authorizations",
        "/sandbox/payments/v1/authorizations/{authorization_id:str}",
        "/sandbox/payments/v1/refunds",
        "/sandbox/payments/refunds",
    } <= paths
    backends = ("erp", "wms", "pos", "shopify", "payments")
    assert {f"/sandbox/{b}/{c}" for b in backends for c in ("faults", "events")} <= paths


def test_apps_do_not_share_state() -> None:
    first, second = create_sandbox_app(), create_sandbox_app()

    assert first.state.sandbox is not second.state.sandbox
    assert first.state.sandbox.backends["wms"] is not second.state.sandbox.backends["wms"]
