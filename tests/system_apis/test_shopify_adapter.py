"""``ShopifyHttpAdapter``: the Admin API calls it makes, its leaky-bucket throttle classified, and
refunds made once per RMA (found again by their note, as Shopify keeps no idempotency key for them)."""

from __future__ import annotations

from decimal import Decimal

import httpx
import msgspec
import pytest

from shared.errors import BackendError, BackendThrottled, BackendUnavailable, NotFound
from shared.models import FulfilmentLine, Refund
from system_apis.sandbox.shopify.state import LeakyBucket
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


REFUNDS = "/sandbox/shopify/admin/api/2024-10/orders/5000000001/refunds.json"
DRILL = [FulfilmentLine(sku="SKU-1001", quantity=1)]


def shopify_refund(refund_id: int, note: str, amount: str = "99.00", status: str = "success") -> dict:
    return {"id": refund_id, "order_id": 5000000001, "note": note, "refund_line_items": [],
            "transactions": [{"id": 1, "kind": "refund", "status": status, "amount": amount, "gateway": "x"}]}


async def test_refund_looks_for_the_rma_first_then_creates_it_without_a_key(shopify) -> None:
    adapter, w = shopify(httpx.Response(200, json={"refunds": [shopify_refund(8000000001, "hub rma_10")]}),
                         httpx.Response(201, json={"refund": shopify_refund(8000000002, "hub rma_1")}))

    refund = await adapter.refund("5000000001", DRILL, Decimal("99.00"), "USD", rma_id="rma_1")

    looked, made = w.requests
    assert (looked.method, looked.url.path, made.method, made.url.path) == ("GET", REFUNDS, "POST", REFUNDS)
    assert "Idempotency-Key" not in made.headers  # Shopify would ignore it; a guard retry could refund twice
    assert msgspec.json.decode(made.content) == {"refund": {
        "currency": "USD", "note": "hub rma_1", "notify": False,
        "refund_line_items": [{"sku": "SKU-1001", "quantity": 1, "restock_type": "no_restock"}],
        "transactions": [{"gateway": "shopify_payments", "amount": "99.00", "kind": "refund"}]}}
    assert refund == Refund(refund_id="8000000002", authorization_id="shopify:5000000001", amount=Decimal("99.00"),
                            currency="USD", status="succeeded")


async def test_a_refund_made_before_for_the_rma_is_answered_and_none_is_made(shopify) -> None:
    adapter, w = shopify(httpx.Response(200, json={"refunds": [shopify_refund(8000000001, "hub rma_1", "24.50")]}))

    refund = await adapter.refund("5000000001", DRILL, Decimal("99.00"), "USD", rma_id="rma_1")

    assert [r.method for r in w.requests] == ["GET"]
    assert (refund.refund_id, refund.amount) == ("8000000001", Decimal("24.50"))


async def test_a_refund_whose_transaction_failed_is_a_refusal(shopify) -> None:
    adapter, _ = shopify(httpx.Response(200, json={"refunds": [shopify_refund(1, "hub rma_1", status="failure")]}))

    with pytest.raises(BackendError) as caught:
        await adapter.refund("5000000001", DRILL, Decimal("99.00"), "USD", rma_id="rma_1")
    assert type(caught.value) is BackendError and caught.value.code == "channel_refund_failed"


async def test_a_refused_refund_post_is_not_retried_by_the_guard(shopify) -> None:
    adapter, w = shopify(httpx.Response(200, json={"refunds": []}), BUCKET_FULL)

    with pytest.raises(BackendThrottled) as caught:
        await adapter.refund("5000000001", DRILL, Decimal("99.00"), "USD", rma_id="rma_1")

    assert [r.method for r in w.requests] == ["GET", "POST"] and caught.value.retry_after == 1.0


async def shopify_order(ports: SandboxPorts, *lines: tuple[str, int, str]) -> str:
    made = await ports.control.post("/sandbox/shopify/orders", json={
        "line_items": [{"sku": s, "quantity": q, "price": p} for s, q, p in lines]})
    assert made.status_code == 201, made.text
    return str(made.json()["order"]["id"])


def refund_posts(ports: SandboxPorts) -> int:
    return sum(1 for r in ports.transport.posts if r.url.path.endswith("/refunds.json"))


async def test_against_the_sandbox_a_refund_is_made_once_per_rma(ports: SandboxPorts) -> None:
    order = await shopify_order(ports, ("SKU-1001", 2, "129.00"))

    first = await ports.shopify.refund(order, DRILL, Decimal("129.00"), "USD", rma_id="rma_01")
    again = await ports.shopify.refund(order, DRILL, Decimal("129.00"), "USD", rma_id="rma_01")
    other = await ports.shopify.refund(order, DRILL, Decimal("129.00"), "USD", rma_id="rma_02")

    assert first == again and other.refund_id != first.refund_id
    assert (first.amount, first.currency, first.status) == (Decimal("129.00"), "USD", "succeeded")
    assert refund_posts(ports) == 2
    view = await ports.view("/sandbox/shopify/refunds", order_id=order)
    assert [(str(r["id"]), r["amount"], r["note"], r["line_items"]) for r in view] == [
        (first.refund_id, "129.00", "hub rma_01", [{"sku": "SKU-1001", "quantity": 1}]),
        (other.refund_id, "129.00", "hub rma_02", [{"sku": "SKU-1001", "quantity": 1}])]


async def test_against_the_sandbox_a_lost_answer_is_found_on_the_next_call(ports: SandboxPorts) -> None:
    order = await shopify_order(ports, ("SKU-1001", 1, "129.00"))
    ports.transport.lose = 1

    with pytest.raises(BackendUnavailable):  # the shop made it; the adapter cannot know, and does not retry
        await ports.shopify.refund(order, DRILL, Decimal("129.00"), "USD", rma_id="rma_01")
    found = await ports.shopify.refund(order, DRILL, Decimal("129.00"), "USD", rma_id="rma_01")

    assert refund_posts(ports) == 1
    (made,) = await ports.view("/sandbox/shopify/refunds", order_id=order)
    assert str(made["id"]) == found.refund_id


async def test_against_the_sandbox_throttling_and_an_outage_make_nothing(ports: SandboxPorts) -> None:
    order = await shopify_order(ports, ("SKU-1001", 1, "129.00"))

    await ports.control.put("/sandbox/shopify/faults", json={"throttle": True})
    with pytest.raises(BackendThrottled) as throttled:
        await ports.shopify.refund(order, DRILL, Decimal("129.00"), "USD", rma_id="rma_01")
    await ports.control.put("/sandbox/shopify/faults", json={"throttle": False, "outage": True})
    with pytest.raises(BackendUnavailable) as down:
        await ports.shopify.refund(order, DRILL, Decimal("129.00"), "USD", rma_id="rma_01")
    assert await ports.view("/sandbox/shopify/refunds", order_id=order) == []
    await ports.control.delete("/sandbox/shopify/faults")
    made = await ports.shopify.refund(order, DRILL, Decimal("129.00"), "USD", rma_id="rma_01")

    assert throttled.value.retry_after == 1.0 and ports.waits[:2] == [1.0, 1.0]
    assert type(down.value) is BackendUnavailable and down.value.backend == "shopify"
    assert [str(r["id"]) for r in await ports.view("/sandbox/shopify/refunds", order_id=order)] == [made.refund_id]


async def test_against_the_sandbox_over_refunds_and_unknown_orders_are_refused(ports: SandboxPorts) -> None:
    order = await shopify_order(ports, ("SKU-1001", 1, "129.00"))

    with pytest.raises(BackendError) as refused:
        await ports.shopify.refund(order, DRILL, Decimal("129.01"), "USD", rma_id="rma_01")
    with pytest.raises(NotFound) as unknown:
        await ports.shopify.refund("42", DRILL, Decimal("1.00"), "USD", rma_id="rma_02")

    assert type(refused.value) is BackendError and refund_posts(ports) == 1
    assert unknown.value.code == "unknown_shopify_order"
    assert await ports.view("/sandbox/shopify/refunds") == []
