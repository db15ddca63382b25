"""Issue 11 item 2 through the one-process hub: the ERP replica keeps checkout answers and order
acceptance working through an ERP outage, on a process that has cached nothing in memory."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from tests.commerce_hub.orders_support import ACME_ORDER, erp_sales_orders, key, until
from tests.conftest import Hub, make_settings, start_hub

SCOPES = ("orders:write", "orders:read", "catalog:read")
HOLD_TAKES_EFFECT_WITHIN = 2.0  # docs/erp-replica.md: a change event is applied within about a second


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


async def test_a_credit_hold_set_in_the_erp_refuses_the_next_order(hub: Hub) -> None:
    headers = {"X-API-Key": await hub.new_key(*SCOPES, customer="CUST-ACME")}
    first = await hub.http.post("/v1/storefront/orders", json=ACME_ORDER, headers={**headers, **key()})
    assert first.status_code == 201, first.text
    held = await hub.http.put("/sandbox/erp/customers/CUST-ACME/credit", json={"credit_hold": True})
    assert held.status_code == 200 and held.json()["creditHold"] is True

    async def refused() -> dict | None:
        answer = await hub.http.post("/v1/storefront/orders", json=ACME_ORDER, headers={**headers, **key()})
        assert answer.status_code in (201, 422), answer.text
        return answer.json() if answer.status_code == 422 else None

    assert (await until(refused, timeout=HOLD_TAKES_EFFECT_WITHIN))["code"] == "credit_hold"
    assert (await hub.http.put("/sandbox/erp/faults", json={"outage": True})).status_code == 200
    still = await hub.http.post("/v1/storefront/orders", json=ACME_ORDER, headers={**headers, **key()})
    assert still.status_code == 422 and still.json()["code"] == "credit_hold"  # the replica holds the hold


async def test_a_lower_credit_limit_set_in_the_erp_takes_effect(hub: Hub) -> None:
    headers = {"X-API-Key": await hub.new_key(*SCOPES, customer="CUST-ACME")}
    lowered = await hub.http.put("/sandbox/erp/customers/CUST-ACME/credit", json={"credit_limit": "100.00"})
    assert lowered.status_code == 200

    async def refused() -> dict | None:
        answer = await hub.http.post("/v1/storefront/orders", json=ACME_ORDER, headers={**headers, **key()})
        return answer.json() if answer.status_code == 422 else None

    assert (await until(refused, timeout=HOLD_TAKES_EFFECT_WITHIN))["code"] == "credit_limit_exceeded"


async def test_a_contract_price_change_in_the_erp_reaches_the_answer(hub: Hub) -> None:
    headers = {"X-API-Key": await hub.new_key(*SCOPES, customer="CUST-ACME")}
    params = {"customer_id": "CUST-ACME"}

    async def unit_price() -> str:
        answer = await hub.http.get("/v1/storefront/products/SKU-1001", params=params, headers=headers)
        assert answer.status_code == 200, answer.text
        return answer.json()["unit_price"]

    assert await unit_price() == "99.00"  # cached at the gateway from here on
    changed = await hub.http.put("/sandbox/erp/customers/CUST-ACME/item-prices/SKU-1001", json={"unit_price": "95.00"})
    assert changed.status_code == 200, changed.text
    await until(lambda: _equals(unit_price, "95.00"), timeout=2.0)  # CONTRACT section 3: within 2 s


async def _equals(read, expected: str) -> bool:  # noqa: ANN001
    return await read() == expected


async def test_after_a_sandbox_reset_the_replica_holds_the_seed_again(hub: Hub) -> None:
    headers = {"X-API-Key": await hub.new_key(*SCOPES, customer="CUST-ACME")}
    assert (await hub.http.put("/sandbox/erp/items/SKU-1002/price", json={"list_price": "30.00"})).status_code == 200
    assert (await hub.http.put("/sandbox/erp/customers/CUST-ACME/credit", json={"credit_hold": True})).status_code == 200

    async def list_price() -> str:
        return (await hub.http.get("/v1/storefront/products/SKU-1002", headers=headers)).json()["list_price"]

    await until(lambda: _equals(list_price, "30.00"))
    assert (await hub.http.post("/sandbox/reset")).status_code == 200
    assert (await hub.http.put("/sandbox/erp/faults", json={"outage": True})).status_code == 200
    assert await list_price() == "24.50"  # from the replica, synced again at the reset
    placed = await hub.http.post("/v1/storefront/orders", json=ACME_ORDER, headers={**headers, **key()})
    assert placed.status_code == 201, placed.text  # the hold is gone with the reset


async def test_the_answer_shows_when_the_replica_heard_the_price(hub: Hub) -> None:
    headers = {"X-API-Key": await hub.new_key(*SCOPES)}
    first = (await hub.http.get("/v1/storefront/products/SKU-1003", headers=headers)).json()["as_of"]
    assert (await hub.http.put("/sandbox/erp/items/SKU-1003/price", json={"list_price": "9.00"})).status_code == 200

    async def heard_again() -> dict | None:
        body = (await hub.http.get("/v1/storefront/products/SKU-1003", headers=headers)).json()
        return body if body["list_price"] == "9.00" else None

    assert (await until(heard_again, timeout=2.0))["as_of"] > first  # the event's read is newer


@pytest.fixture
async def short_lived_hub(database_url: str) -> AsyncIterator[Hub]:
    """A replica that may be 2 s old at most (synced every second while the ERP answers)."""
    async with AsyncExitStack() as stack:
        yield await start_hub(stack, make_settings(database_url, erp_replica_max_age_seconds=2,
                                                   erp_sync_interval_seconds=1, **FAST))


async def test_a_replica_older_than_the_limit_refuses_orders_but_still_prices(short_lived_hub: Hub) -> None:
    hub = short_lived_hub
    headers = {"X-API-Key": await hub.new_key(*SCOPES, customer="CUST-ACME")}
    assert (await hub.http.put("/sandbox/erp/faults", json={"outage": True})).status_code == 200

    params = {"customer_id": "CUST-ACME"}

    async def older_than_the_limit() -> httpx.Response | None:
        product = await hub.http.get("/v1/storefront/products/SKU-1001", params=params, headers=headers)
        assert product.status_code == 200, product.text  # prices keep serving
        heard = datetime.fromisoformat(product.json()["as_of"].replace("Z", "+00:00"))
        return product if datetime.now(UTC) - heard > timedelta(seconds=3) else None

    await until(older_than_the_limit, timeout=15)  # the answer shows how old its price is
    refused_key = key()
    answer = await hub.http.post("/v1/storefront/orders", json=ACME_ORDER, headers={**headers, **refused_key})
    assert answer.status_code == 503 and answer.json()["code"] == "erp_replica_stale", answer.text
    assert int(answer.headers["Retry-After"]) >= 1

    assert (await hub.http.delete("/sandbox/erp/faults")).status_code in (200, 204)
    placed = await hub.http.post("/v1/storefront/orders", json=ACME_ORDER, headers={**headers, **refused_key})
    assert placed.status_code == 201, placed.text  # the ERP back: read live again; the refused key runs anew
