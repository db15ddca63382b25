"""Issue 10, defect 14 through the one-process hub: the README's stock change on a fresh hub
leaves the product answer and order capture agreeing, and /sandbox/reset brings both back."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack

import pytest

from tests.commerce_hub.orders_support import GUEST_ORDER, key, until
from tests.conftest import Hub, make_settings, start_hub


@pytest.fixture
async def hub(sqlite_url: str) -> AsyncIterator[Hub]:
    """The one-process hub; the sandbox never ships by itself (the holds stay put)."""
    async with AsyncExitStack() as stack:
        yield await start_hub(stack, make_settings(sqlite_url, sandbox_autoship_seconds=0))


def order_of(quantity: int) -> dict:
    price = 119 if quantity >= 10 else 129  # the quantity break
    return {**GUEST_ORDER, "lines": [{"sku": "SKU-1001", "quantity": quantity, "unit_price": f"{price}.00"}],
            "payment": {**GUEST_ORDER["payment"], "amount": f"{price * quantity}.00"}}


async def test_a_first_stock_event_does_not_hide_the_other_warehouse(hub: Hub) -> None:
    headers = {"X-API-Key": await hub.new_key("orders:write", "orders:read", "catalog:read")}
    changed = await hub.http.post("/sandbox/wms/stock", json={"sku": "SKU-1001", "location": "DC-WEST", "on_hand": 0})
    assert changed.status_code == 200

    async def shows(quantity: int) -> bool:
        answer = await hub.http.get("/v1/storefront/products/SKU-1001", headers=headers)
        return answer.status_code == 200 and answer.json()["available_quantity"] == quantity

    await until(lambda: shows(40))
    placed = await hub.http.post("/v1/storefront/orders", json=order_of(2), headers={**headers, **key()})
    assert placed.status_code == 201, placed.text
    await until(lambda: shows(38))  # the hold shows at once in the answer
    too_many = await hub.http.post("/v1/storefront/orders", json=order_of(39), headers={**headers, **key()})
    assert too_many.status_code == 422 and too_many.json()["code"] == "insufficient_stock"

    assert (await hub.http.post("/sandbox/reset")).status_code == 200
    await until(lambda: shows(48))  # the seed's 50, less the order's hold
    rest = await hub.http.post("/v1/storefront/orders", json=order_of(48), headers={**headers, **key()})
    assert rest.status_code == 201, rest.text


async def test_an_orders_hold_reaches_a_cached_product_answer_at_once(sqlite_url: str) -> None:
    """CONTRACT section 3: a change of stock reaches the product answer within 2 s, whatever the
    TTL. A hold is such a change: the cached answer (TTL 5 minutes, no second drop) follows it."""
    async with AsyncExitStack() as stack:
        hub = await start_hub(stack, make_settings(sqlite_url, sandbox_autoship_seconds=0, cache_ttl_seconds=300,
                                                   near_cache_seconds=0))
        headers = {"X-API-Key": await hub.new_key("orders:write", "catalog:read")}

        async def answer() -> tuple[str, int]:
            got = await hub.http.get("/v1/storefront/products/SKU-1001", headers=headers)
            assert got.status_code == 200, got.text
            return got.headers["x-cache"], got.json()["available_quantity"]

        await until(lambda: _hit(answer))  # cached, and fresh for 5 minutes
        _, before = await answer()
        placed = await hub.http.post("/v1/storefront/orders", json=order_of(2), headers={**headers, **key()})
        assert placed.status_code == 201, placed.text
        assert await until(lambda: _shows(answer, before - 2), timeout=2)


async def _hit(answer) -> bool:  # noqa: ANN001
    return (await answer())[0] == "HIT"


async def _shows(answer, quantity: int) -> bool:  # noqa: ANN001
    return (await answer())[1] == quantity
