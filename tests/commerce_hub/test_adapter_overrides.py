"""The composition root builds what the connections say: a fake for any connection by name (the
same bootstrap as production, other arguments), and a declared connection beside the defaults."""

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


async def test_a_second_shop_is_a_connection_of_its_own(sqlite_url: str) -> None:
    """hub.toml's [connections.shop-eu]: its own circuit and pool beside the default shop, listed
    with what it serves."""
    from tests.conftest import ADMIN_KEY

    shop = {"kind": "shopify", "channel": "shop-eu", "concurrency": 2}
    admin = {"X-API-Key": ADMIN_KEY}
    async with AsyncExitStack() as stack:
        hub = await start_hub(stack, make_settings(sqlite_url, connections={"shop-eu": shop}))
        listed = (await hub.http.get("/admin/v1/connections", headers=admin)).json()["items"]
        backends = (await hub.http.get("/admin/v1/backends", headers=admin)).json()["items"]

    found = {c["backend"]: c for c in listed}
    assert list(found) == ["erp", "wms", "pos", "shopify", "payments", "shop-eu"]
    assert found["shop-eu"]["kind"] == "shopify" and found["shop-eu"]["serves"] == ["channel:shop-eu"]
    assert found["shop-eu"]["base_url"].endswith("/sandbox/shopify") and found["shopify"]["serves"] == ["channel:shopify"]
    assert "shop-eu" in {b["backend"] for b in backends}
