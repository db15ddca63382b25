"""The one-process hub pushes the book to the sandbox shop: after a stock change, after a reset,
and with the shop throttled for a while."""

from __future__ import annotations

from tests.conftest import Hub
from tests.gateway.support import either_hub, eventually  # noqa: F401 - either_hub is a fixture

PUSHED_WITHIN = 10.0  # a bound for the poll, not a timing claim


async def sandbox(hub: Hub, method: str, path: str, body: dict | None = None) -> None:
    response = await hub.http.request(method, f"/sandbox/{path}", json=body)
    assert response.status_code in (200, 204), response.text


async def shop_shows(hub: Hub, sku: str, location: str, available: int) -> None:
    async def met() -> bool:
        view = (await hub.http.get(f"/sandbox/shopify/inventory/{sku}")).json()
        return {"location": location, "available": available} in view["levels"]

    await eventually(met, timeout=PUSHED_WITHIN)


async def test_a_stock_change_reaches_the_shop(either_hub: Hub) -> None:
    await sandbox(either_hub, "POST", "wms/stock", {"sku": "SKU-1001", "location": "DC-EAST", "on_hand": 7})
    await shop_shows(either_hub, "SKU-1001", "DC-EAST", 7)


async def test_throttled_then_healed_the_shop_ends_on_the_newest_value(either_hub: Hub) -> None:
    await sandbox(either_hub, "PUT", "shopify/faults", {"throttle": True})
    for qty in (5, 9, 3):
        await sandbox(either_hub, "POST", "wms/stock", {"sku": "SKU-1001", "location": "DC-WEST", "on_hand": qty})
    view = (await either_hub.http.get("/sandbox/shopify/inventory/SKU-1001")).json()
    assert {"location": "DC-WEST", "available": 3} not in view["levels"]
    await sandbox(either_hub, "DELETE", "shopify/faults")
    await shop_shows(either_hub, "SKU-1001", "DC-WEST", 3)


async def test_after_a_sandbox_reset_the_shop_is_filled_again(either_hub: Hub) -> None:
    await sandbox(either_hub, "POST", "wms/stock", {"sku": "SKU-1002", "location": "STORE-NYC", "on_hand": 4})
    await shop_shows(either_hub, "SKU-1002", "STORE-NYC", 4)
    await sandbox(either_hub, "POST", "reset")  # the shop forgets every level; the seed is back
    await shop_shows(either_hub, "SKU-1002", "STORE-NYC", 3)
    await shop_shows(either_hub, "SKU-1002", "DC-WEST", 5)  # unchanged in the book, pushed again
