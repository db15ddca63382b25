"""``ShopifyHttpAdapter``: the Admin API calls it makes, and its leaky-bucket throttle classified."""

from __future__ import annotations

import httpx
import msgspec
import pytest

from shared.errors import BackendError, BackendThrottled, NotFound
from shared.models import FulfilmentLine
from system_apis.sandbox.shopify import LeakyBucket
from system_apis.shopify.client import ShopifyHttpAdapter, classify
from tests.clocks import FakeClock
from tests.system_apis.sandbox_ports import SandboxPorts

BUCKET_FULL = httpx.Response(429, headers={"Retry-After": "1.0", "X-Shopify-Shop-Api-Call-Limit": "40/40"},
                             json={"errors": "Exceeded 2 calls per second for api client."})


@pytest.fixture
def shopify(wire):
    def make(*answers):
        w = wire("shopify", classify, *answers)
        return ShopifyHttpAdapter(w.http), w

    return make


async def test_a_429_is_a_throttle_honouring_the_float_retry_after(shopify) -> None:
    adapter, w = shopify(BUCKET_FULL, httpx.Response(200, json={"inventory_level": {}}))

    await adapter.set_inventory("SKU-1001", "DC-EAST", 38)

    assert len(w.requests) == 2 and w.sleeps[0] >= 1.0
    assert w.guard.snapshot().throttled == 1


async def test_a_bucket_that_stays_full_gives_backend_throttled(shopify) -> None:
    adapter, w = shopify(BUCKET_FULL)

    with pytest.raises(BackendThrottled) as caught:
        await adapter.set_inventory("SKU-1001", "DC-EAST", 38)

    assert caught.value.retry_after == 1.0 and caught.value.backend == "shopify"
    assert len(w.requests) == 3
    assert len({r.headers["Idempotency-Key"] for r in w.requests}) == 1


async def test_set_inventory_sends_sku_and_location_as_ids(shopify) -> None:
    adapter, w = shopify(httpx.Response(200, json={"inventory_level": {}}))

    await adapter.set_inventory("SKU-1001", "DC-EAST", 38)

    (sent,) = w.requests
    assert sent.url.path == "/sandbox/shopify/admin/api/2024-10/inventory_levels/set.json"
    assert msgspec.json.decode(sent.content) == {"location_id": "DC-EAST", "inventory_item_id": "SKU-1001", "available": 38}
    assert sent.headers["Idempotency-Key"]


async def test_create_fulfilment_sends_tracking_and_lines_with_the_key(shopify) -> None:
    adapter, w = shopify(httpx.Response(201, json={"fulfillment": {}}))

    await adapter.create_fulfilment("5000000001", "1ZABC", "UPS", [FulfilmentLine(sku="SKU-1001", quantity=2)], "shp-1")

    (sent,) = w.requests
    assert sent.url.path == "/sandbox/shopify/admin/api/2024-10/orders/5000000001/fulfillments.json"
    assert sent.headers["Idempotency-Key"] == "shp-1"
    assert msgspec.json.decode(sent.content) == {"fulfillment": {
        "tracking_number": "1ZABC", "tracking_company": "UPS", "line_items": [{"sku": "SKU-1001", "quantity": 2}],
        "notify_customer": True}}


async def test_unknown_order_and_refusals(shopify) -> None:
    adapter, _ = shopify(httpx.Response(404, json={"errors": "Not Found"}))
    with pytest.raises(NotFound) as caught:
        await adapter.create_fulfilment("1", "1Z", "UPS", [], "k")
    assert caught.value.code == "unknown_shopify_order"

    adapter, w = shopify(httpx.Response(422, json={"errors": {"line_items": ["not on the order"]}}))
    with pytest.raises(BackendError) as refused:
        await adapter.create_fulfilment("1", "1Z", "UPS", [], "k")
    assert type(refused.value) is BackendError and len(w.requests) == 1


async def test_against_the_sandbox_a_full_bucket_is_waited_out(ports: SandboxPorts) -> None:
    clock = FakeClock()
    ports.app.state.sandbox.backends["shopify"].bucket = LeakyBucket(clock=clock)
    for n in range(40):
        await ports.shopify.set_inventory("SKU-1001", "DC-EAST", n)

    with pytest.raises(BackendThrottled) as caught:
        await ports.shopify.set_inventory("SKU-1001", "DC-EAST", 99)
    clock.advance(1.0)
    await ports.shopify.set_inventory("SKU-1001", "DC-EAST", 7)

    assert caught.value.retry_after == 1.0 and ports.waits[:2] == [1.0, 1.0]
    view = (await ports.control.get("/sandbox/shopify/inventory/SKU-1001")).json()
    assert view == {"sku": "SKU-1001", "available": 7, "levels": [{"location": "DC-EAST", "available": 7}]}


async def test_against_the_sandbox_a_fulfilment_is_made_once(ports: SandboxPorts) -> None:
    order = (await ports.control.post("/sandbox/shopify/orders", json={
        "line_items": [{"sku": "SKU-1001", "quantity": 2, "price": "129.00"}]})).json()["order"]
    lines = [FulfilmentLine(sku="SKU-1001", quantity=2)]
    ports.transport.lose = 1

    await ports.shopify.create_fulfilment(str(order["id"]), "1ZABC", "UPS", lines, "ord_01:SHP-1")
    await ports.shopify.create_fulfilment(str(order["id"]), "1ZABC", "UPS", lines, "ord_01:SHP-1")

    view = (await ports.control.get("/sandbox/shopify/fulfillments", params={"order_id": str(order["id"])})).json()
    assert [(f["tracking_number"], f["line_items"]) for f in view["items"]] == [
        ("1ZABC", [{"sku": "SKU-1001", "quantity": 2}])]
    with pytest.raises(NotFound):
        await ports.shopify.create_fulfilment("42", "1Z", "UPS", lines, "other")
