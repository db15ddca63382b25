"""Shopify inventory in bulk: the adapter's ``inventorySetQuantities`` call and its cost-based
throttle, the REST call-limit header read, and the sandbox's GraphQL endpoint."""

from __future__ import annotations

import httpx
import msgspec
import pytest

from shared.errors import BackendError, BackendThrottled
from system_apis.sandbox.shopify.state import COST_BUCKET_SIZE, COST_RESTORE_PER_SECOND, LeakyBucket
from shared.rpc import RpcApp, rpc_client
from system_apis.channel.port import CallBudget, ChannelPlatformPort, StorefrontLevel
from tests.clocks import FakeClock
from tests.shared.test_rpc import client_for
from tests.system_apis.sandbox_ports import SandboxPorts
from tests.system_apis.test_shopify_adapter import shopify  # noqa: F401 - the adapter over a mock wire

COST = {"requestedQueryCost": 10, "actualQueryCost": 10,
        "throttleStatus": {"maximumAvailable": 1000.0, "currentlyAvailable": 990, "restoreRate": 50.0}}
DONE = httpx.Response(200, json={"data": {"inventorySetQuantities": {"userErrors": []}}, "extensions": {"cost": COST}})
THROTTLED = httpx.Response(200, json={
    "errors": [{"message": "Throttled", "extensions": {"code": "THROTTLED"}}],
    "extensions": {"cost": {**COST, "actualQueryCost": None,
                            "throttleStatus": {**COST["throttleStatus"], "currentlyAvailable": 4}}}})
LEVELS = [StorefrontLevel(sku="SKU-1001", location="DC-EAST", available=5),
          StorefrontLevel(sku="SKU 2", location="STORE-NYC", available=0)]


async def test_set_inventory_levels_sends_one_mutation_with_gids_and_answers_the_bucket(shopify) -> None:
    adapter, w = shopify(DONE)

    budget = await adapter.set_inventory_levels(LEVELS)

    assert budget == CallBudget(available=990, cost=10, refill_per_second=50.0, capacity=1000.0)
    (sent,) = w.requests
    assert sent.url.path == "/sandbox/shopify/admin/api/2024-10/graphql.json"
    body = msgspec.json.decode(sent.content)
    assert "inventorySetQuantities" in body["query"]
    assert body["variables"]["input"] == {
        "name": "available", "reason": "correction", "ignoreCompareQuantity": True,
        "quantities": [
            {"inventoryItemId": "gid://shopify/InventoryItem/SKU-1001", "locationId": "gid://shopify/Location/DC-EAST",
             "quantity": 5},
            {"inventoryItemId": "gid://shopify/InventoryItem/SKU%202", "locationId": "gid://shopify/Location/STORE-NYC",
             "quantity": 0}]}


async def test_a_throttled_graphql_answer_is_a_throttle_for_the_time_the_bucket_needs(shopify) -> None:
    adapter, w = shopify(THROTTLED)

    with pytest.raises(BackendThrottled) as caught:
        await adapter.set_inventory_levels(LEVELS)

    assert caught.value.retry_after == pytest.approx((10 - 4) / 50.0)
    assert len(w.requests) == 1  # sent once: the caller paces and retries
    assert w.guard.snapshot().throttled == 1


async def test_user_errors_are_permanent(shopify) -> None:
    adapter, _ = shopify(httpx.Response(200, json={"data": {"inventorySetQuantities": {"userErrors": [
        {"code": "INVALID_INVENTORY_ITEM", "field": ["input"], "message": "no"}]}}}))
    with pytest.raises(BackendError) as caught:
        await adapter.set_inventory_levels(LEVELS)
    assert not isinstance(caught.value, BackendThrottled)


async def test_set_inventory_reads_the_rest_call_limit(shopify) -> None:
    adapter, _ = shopify(httpx.Response(200, headers={"X-Shopify-Shop-Api-Call-Limit": "32/40"},
                                        json={"inventory_level": {}}))

    assert await adapter.set_inventory("SKU-1001", "DC-EAST", 1) == CallBudget(
        available=8, cost=1, refill_per_second=2.0, capacity=40)


async def test_against_the_sandbox_levels_are_set_read_back_and_cost_limited(ports: SandboxPorts) -> None:
    shop = ports.app.state.sandbox.backends["shopify"]
    budget = await ports.shopify.set_inventory_levels(LEVELS)
    assert budget.cost == 10 and budget.capacity == 1000 and 985 <= budget.available <= 990
    assert sorted(await ports.shopify.inventory_levels(["SKU-1001", "SKU 2", "SKU-9"]),
                  key=lambda lv: lv.sku) == sorted(LEVELS, key=lambda lv: lv.sku)
    view = (await ports.control.get("/sandbox/shopify/inventory/SKU-1001")).json()
    assert view == {"sku": "SKU-1001", "available": 5, "levels": [{"location": "DC-EAST", "available": 5}]}
    assert shop.bucket.room() >= 39  # GraphQL left REST's call bucket alone (one REST read)

    shop.cost_bucket = LeakyBucket(COST_BUCKET_SIZE, COST_RESTORE_PER_SECOND, clock=FakeClock())
    shop.cost_bucket.take(COST_BUCKET_SIZE - 3)
    with pytest.raises(BackendThrottled) as caught:
        await ports.shopify.set_inventory_levels(LEVELS)
    assert caught.value.retry_after == pytest.approx((10 - 3) / COST_RESTORE_PER_SECOND)
    shop.cost_bucket.reset()
    with pytest.raises(BackendError) as refused:
        await ports.shopify.set_inventory_levels([StorefrontLevel(sku="S", location="L", available=1)] * 251)
    assert not isinstance(refused.value, BackendThrottled)


async def test_the_push_methods_travel_over_the_internal_rpc_as_in_process(ports: SandboxPorts) -> None:
    app = RpcApp({"shopify": (ChannelPlatformPort, ports.shopify)})
    async with client_for(app, raise_app_exceptions=False) as http:
        remote = rpc_client(ChannelPlatformPort, "shopify", http)
        budget = await remote.set_inventory_levels(LEVELS)
        assert isinstance(budget, CallBudget) and budget.cost == 10
        assert sorted(await remote.inventory_levels(["SKU-1001", "SKU 2"]), key=lambda lv: lv.sku) == \
            sorted(LEVELS, key=lambda lv: lv.sku)
        shop = ports.app.state.sandbox.backends["shopify"]
        shop.cost_bucket = LeakyBucket(COST_BUCKET_SIZE, COST_RESTORE_PER_SECOND, clock=FakeClock())
        shop.cost_bucket.take(COST_BUCKET_SIZE)  # full, and time stands still
        with pytest.raises(BackendThrottled):  # the same error class on the caller's side
            await remote.set_inventory_levels(LEVELS)
