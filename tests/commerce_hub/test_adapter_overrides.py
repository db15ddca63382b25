"""The composition root takes a fake for any backend connection, by name: the same bootstrap as
production, other arguments. Here the POS is a fake holding its own store stock."""

from __future__ import annotations

from contextlib import AsyncExitStack

from shared.models import StockLevel
from tests.conftest import make_settings, start_hub
from tests.fakes.stock import FakeStock


async def test_a_faked_stock_connection_answers_through_the_whole_hub(sqlite_url: str) -> None:
    pos = FakeStock(StockLevel(sku="SKU-1002", location="STORE-BOS", on_hand=9, available=9, sequence=1))
    async with AsyncExitStack() as stack:
        hub = await start_hub(stack, make_settings(sqlite_url), adapters={"pos": pos})
        key = await hub.new_key("catalog:read")
        answer = await hub.http.get("/v1/storefront/products/SKU-1002", headers={"X-API-Key": key})

    assert answer.status_code == 200, answer.text
    assert {(lv["location"], lv["available"]) for lv in answer.json()["locations"]} == {("DC-WEST", 5), ("STORE-BOS", 9)}
    assert ["SKU-1002"] in pos.calls
