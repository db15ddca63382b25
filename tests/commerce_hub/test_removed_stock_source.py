"""A stock source removed from hub.toml (a 3PL, ``3PL-``) through the one-process hub and its
sandbox, on SQLite and a fresh PostgreSQL: its stock is reported and counted; the hub restarted
on the same database without that connection counts only the sources still configured (the
product answer, a basket, an order, the storefront's levels), though its rows are kept; added
back, it counts again."""

from __future__ import annotations

from contextlib import AsyncExitStack

import pytest
from sqlalchemy import select

from process_apis.storefront import levels as storefront
from shared.db.engine import create_engine, dispose
from shared.db.tables import stock_levels
from tests.commerce_hub.orders_support import key, until
from tests.conftest import Hub, make_settings, start_hub

TPL = {"tpl": {"kind": "threepl", "locations": ["3PL-"], "options": {"facilities": {"228": "3PL-MV"}}}}
"""The sandbox 3PL holds SKU-1001 at 3PL-MV: 25 (the WMS 40 at DC-EAST and 10 at DC-WEST)."""


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest) -> str:
    return request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "fresh_pg_url")


async def started(stack: AsyncExitStack, database_url: str, *, with_3pl: bool) -> tuple[Hub, dict]:
    settings = make_settings(database_url, sandbox_autoship_seconds=0, **({"connections": TPL} if with_3pl else {}))
    hub = await start_hub(stack, settings)
    return hub, {"X-API-Key": await hub.new_key("catalog:read", "orders:write")}


async def product(hub: Hub, headers: dict) -> tuple[int, dict[str, int], list[str]]:
    answer = await hub.http.get("/v1/storefront/products/SKU-1001", headers=headers)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    return body["available_quantity"], {x["location"]: x["available"] for x in body["locations"]}, \
        body["missing_sources"]


async def basket(hub: Hub, headers: dict, quantity: int) -> tuple[str, int]:
    answer = await hub.http.post("/v1/storefront/price-availability", headers=headers,
                                 json={"lines": [{"sku": "SKU-1001", "quantity": quantity}]})
    assert answer.status_code == 200, answer.text
    [line] = answer.json()["lines"]
    return line["status"], line["available_quantity"]


async def shop_shows(hub: Hub, total: int) -> bool:
    answer = await hub.http.get("/sandbox/shopify/inventory/SKU-1001")
    return answer.status_code == 200 and answer.json()["available"] == total


def drills(quantity: int) -> dict:
    return {"lines": [{"sku": "SKU-1001", "quantity": quantity, "unit_price": "119.00"}],
            "payment": {"method": "card", "authorization_id": "pay_auth_1", "amount": f"{119 * quantity}.00"}}


async def test_a_removed_source_is_not_counted_and_counts_again_once_added_back(database_url: str) -> None:
    async with AsyncExitStack() as stack:  # the 3PL configured: its stock is reported and counts
        hub, headers = await started(stack, database_url, with_3pl=True)
        assert await product(hub, headers) == (75, {"DC-EAST": 40, "DC-WEST": 10, "3PL-MV": 25}, [])
        assert await basket(hub, headers, 60) == ("ok", 75)

    async with AsyncExitStack() as stack:  # restarted without it: gone, not missing
        hub, headers = await started(stack, database_url, with_3pl=False)
        assert await product(hub, headers) == (50, {"DC-EAST": 40, "DC-WEST": 10}, [])
        assert await basket(hub, headers, 60) == ("insufficient_stock", 50)
        refused = await hub.http.post("/v1/storefront/orders", json=drills(51), headers={**headers, **key()})
        assert refused.status_code == 422 and refused.json()["code"] == "insufficient_stock", refused.text
        taken = await hub.http.post("/v1/storefront/orders", json=drills(50), headers={**headers, **key()})
        assert taken.status_code == 201, taken.text
        assert await basket(hub, headers, 1) == ("insufficient_stock", 0)

    engine = create_engine(database_url)  # the 3PL's rows are kept
    try:
        async with engine.connect() as conn:
            kept = (await conn.execute(select(stock_levels.c.available, stock_levels.c.source).where(
                stock_levels.c.sku == "SKU-1001", stock_levels.c.location == "3PL-MV"))).one()
        assert tuple(kept) == (25, "tpl")
    finally:
        await dispose(engine)

    async with AsyncExitStack() as stack:  # added back: it counts again (50 held by the order)
        hub, headers = await started(stack, database_url, with_3pl=True)
        assert await product(hub, headers) == (25, {"DC-EAST": 40, "DC-WEST": 10, "3PL-MV": 25}, [])
        assert await basket(hub, headers, 25) == ("ok", 25)


async def test_the_shop_is_told_only_the_configured_sources_stock(database_url: str) -> None:
    """The storefront push after each restart: the sandbox shop starts empty and is told every
    level again, the removed 3PL's location as 0 (its rows' shown values are read again)."""
    engine = create_engine(database_url)

    async def settled() -> bool:  # nothing left to push: no claim of a stopped pusher waits out its lease
        return await storefront.due_count(engine) == 0

    try:
        for with_3pl, total in ((True, 75), (False, 50), (True, 75)):
            async with AsyncExitStack() as stack:
                hub, headers = await started(stack, database_url, with_3pl=with_3pl)
                await product(hub, headers)  # the first hub loads SKU-1001 from the WMS and the 3PL
                await until(lambda: shop_shows(hub, total))
                await until(settled)
    finally:
        await dispose(engine)
