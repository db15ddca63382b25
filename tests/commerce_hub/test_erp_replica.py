"""Issue 11 item 2 through the one-process hub: the ERP replica keeps checkout answers and order
acceptance working through an ERP outage, on a process that has cached nothing in memory."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack

import pytest

from tests.commerce_hub.orders_support import ACME_ORDER, erp_sales_orders, key, until
from tests.conftest import Hub, make_settings, start_hub

SCOPES = ("orders:write", "orders:read", "catalog:read")


FAST = {"sandbox_autoship_seconds": 0, "retry_max_delay_seconds": 0.2, "outbox_poll_seconds": 0.05,
        "breaker_open_seconds": 1}


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest) -> str:
    """Resolved before any event loop runs (the database fixtures migrate with their own)."""
    return request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "fresh_pg_url")


@pytest.fixture
async def hub(database_url: str) -> AsyncIterator[Hub]:
    async with AsyncExitStack() as stack:
        yield await start_hub(stack, make_settings(database_url, **FAST))


async def test_a_fresh_process_accepts_an_order_with_the_erp_down(hub: Hub) -> None:
    """Regression: nothing cached in memory and the ERP in outage answered 503 for the order."""
    headers = {"X-API-Key": await hub.new_key(*SCOPES, customer="CUST-ACME")}
    assert (await hub.http.put("/sandbox/erp/faults", json={"outage": True})).status_code == 200

    product = await hub.http.get("/v1/storefront/products/SKU-1001", params={"customer_id": "CUST-ACME"},
                                 headers=headers)
    assert product.status_code == 200, product.text
    assert product.json()["unit_price"] == "99.00" and product.json()["price_source"] == "contract"
    basket = await hub.http.post("/v1/storefront/price-availability", headers=headers, json={
        "customer_id": "CUST-ACME", "lines": [{"sku": "SKU-1001", "quantity": 2}, {"sku": "SKU-1003", "quantity": 1}]})
    assert basket.status_code == 200, basket.text
    assert [line["status"] for line in basket.json()["lines"]] == ["ok", "ok"]

    placed = await hub.http.post("/v1/storefront/orders", json=ACME_ORDER, headers={**headers, **key()})
    assert placed.status_code == 201, placed.text
    order_id = placed.json()["order_id"]

    assert (await hub.http.delete("/sandbox/erp/faults")).status_code in (200, 204)
    await until(lambda: erp_sales_orders(hub.http, order_id), timeout=30)  # posted once the ERP is back
    order = await until(lambda: released(hub, headers, order_id))
    assert [entry["status"] for entry in order["history"]].count("posted") == 1
    assert len(await erp_sales_orders(hub.http, order_id)) == 1


async def released(hub: Hub, headers: dict, order_id: str) -> dict | None:
    order = (await hub.http.get(f"/v1/storefront/orders/{order_id}", headers=headers)).json()
    return order if order["status"] == "released" else None
