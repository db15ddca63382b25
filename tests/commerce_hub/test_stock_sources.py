"""Issue 11 through the one-process hub and its sandbox (SQLite and a fresh PostgreSQL): with
the POS switched off, web checkout for DC stock still works; store stock is counted again once
the POS is back; a channel's safety buffer shows in its answers and holds in its orders."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack

import pytest

from tests.commerce_hub.orders_support import key, until
from tests.conftest import Hub, make_settings, start_hub


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request) -> str:  # noqa: ANN001
    return request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "fresh_pg_url")


@pytest.fixture
async def hub(database_url: str) -> AsyncIterator[Hub]:
    async with AsyncExitStack() as stack:
        yield await start_hub(stack, make_settings(database_url, sandbox_autoship_seconds=0,
                                                   safety_buffer_by_channel={"storefront": 1}))


def bits_order(quantity: int) -> dict:
    return {"lines": [{"sku": "SKU-1002", "quantity": quantity, "unit_price": "24.50"}],
            "payment": {"method": "card", "authorization_id": "pay_auth_1", "amount": f"{24.5 * quantity:.2f}"}}


async def test_web_checkout_with_the_pos_switched_off(hub: Hub) -> None:
    headers = {"X-API-Key": await hub.new_key("catalog:read", "orders:write")}
    assert (await hub.http.put("/sandbox/pos/faults", json={"outage": True})).status_code == 200

    basket = await hub.http.post("/v1/storefront/price-availability", headers=headers, json={"lines": [
        {"sku": "SKU-1003", "quantity": 2}, {"sku": "SKU-1002", "quantity": 4}, {"sku": "SKU-1002", "quantity": 5}]})
    assert basket.status_code == 200, basket.text
    assert [x["status"] for x in basket.json()["lines"]] == ["ok", "ok", "insufficient_stock"]  # was all unavailable
    lines = [(x["status"], x["available_quantity"], x["stock_partial"], x["missing_sources"])
             for x in basket.json()["lines"]]
    # DC-WEST's 5, less the storefront's buffer of 1; the store's 3 cannot be confirmed
    assert lines == [("ok", 499, True, ["pos"]), ("ok", 4, True, ["pos"]), ("insufficient_stock", 4, True, ["pos"])]

    for _ in range(2):  # a partial answer is never kept by the edge's cache
        product = await hub.http.get("/v2/storefront/products/SKU-1002", headers=headers)
        assert product.status_code == 200 and product.headers["x-cache"] == "MISS"
        assert product.headers["cache-control"] == "no-store"
        assert (product.json()["available_quantity"], product.json()["missing_sources"]) == (4, ["pos"])

    refused = await hub.http.post("/v1/storefront/orders", json=bits_order(5), headers={**headers, **key()})
    assert refused.status_code == 422 and refused.json()["code"] == "insufficient_stock"
    assert refused.json()["errors"][0]["message"] == "not enough SKU-1002 available (not confirmed: pos)"
    taken = await hub.http.post("/v1/storefront/orders", json=bits_order(4), headers={**headers, **key()})
    assert taken.status_code == 201, taken.text

    assert (await hub.http.delete("/sandbox/pos/faults")).status_code == 200

    async def whole() -> dict | None:
        answer = (await hub.http.get("/v1/storefront/products/SKU-1002", headers=headers)).json()
        return answer if not answer["stock_partial"] else None

    answer = await until(whole)
    assert (answer["available_quantity"], answer["missing_sources"]) == (3, [])  # 5 + 3 - 4 held - 1 buffer
    assert [x["location"] for x in answer["locations"]] == ["DC-WEST", "STORE-NYC"]


async def test_a_stores_report_during_the_outage_counts_while_fresh(hub: Hub) -> None:
    """The POS's API is down but its event arrives (``/hooks/pos``, so the book knows it is the
    POS's): the store's last known value counts (HUB_STOCK_STALE_SECONDS, 300 s by default)."""
    headers = {"X-API-Key": await hub.new_key("catalog:read")}
    assert (await hub.http.put("/sandbox/pos/faults", json={"outage": True})).status_code == 200
    changed = await hub.http.post("/sandbox/wms/stock", json={"sku": "SKU-1002", "location": "STORE-NYC", "on_hand": 4})
    assert changed.status_code == 200, changed.text

    async def counted() -> dict | None:
        answer = (await hub.http.get("/v1/storefront/products/SKU-1002", headers=headers)).json()
        return answer if answer["available_quantity"] == 8 else None  # 5 + 4, less the buffer of 1

    answer = await until(counted)
    assert (answer["stock_partial"], answer["missing_sources"]) == (True, ["pos"])
    assert [(x["location"], x["available"]) for x in answer["locations"]] == [("DC-WEST", 5), ("STORE-NYC", 4)]
