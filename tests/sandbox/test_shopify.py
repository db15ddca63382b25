"""The Shopify sandbox: Admin REST inventory, fulfilments and refunds, the call limit, order webhooks."""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Awaitable, Callable

import httpx
import msgspec
import pytest
from litestar import Litestar

from system_apis.sandbox.shopify.state import LeakyBucket
from tests.clocks import FakeClock
from tests.sandbox.hooks import HOOKS, Receiver, SandboxWithHooks

API = "/sandbox/shopify/admin/api/2024-10"
TOKEN = {"X-Shopify-Access-Token": "shpat_test"}
ORDER = {"line_items": [{"sku": "SKU-1001", "quantity": 2, "price": "129.00"}, {"sku": "SKU-1002", "quantity": 1, "price": "24.5"}],
         "email": "pat@example.com",
         "shipping_address": {"first_name": "Pat", "last_name": "Lee", "address1": "9 Elm St", "address2": "Apt 2",
                              "city": "Portland", "province_code": "OR", "zip": "97201", "country_code": "US"}}
Eventually = Callable[[Callable[[], bool]], Awaitable[None]]


def shopify_hmac(secret: str, body: bytes) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


async def set_level(client: httpx.AsyncClient, sku: str, location: str | int, available: int) -> httpx.Response:
    body = {"location_id": location, "inventory_item_id": sku, "available": available}
    return await client.post(f"{API}/inventory_levels/set.json", json=body, headers=TOKEN)


async def new_order(client: httpx.AsyncClient, body: dict = ORDER) -> dict:
    response = await client.post("/sandbox/shopify/orders", json=body)
    assert response.status_code == 201, response.text
    return response.json()


async def test_inventory_levels_are_set_and_shown(client: httpx.AsyncClient) -> None:
    first = await set_level(client, "SKU-1001", "DC-EAST", 40)
    await set_level(client, "SKU-1001", "DC-WEST", 10)
    await set_level(client, "SKU-1001", "DC-EAST", 38)

    assert first.status_code == 200
    level = first.json()["inventory_level"]
    assert (level["inventory_item_id"], level["location_id"], level["available"]) == ("SKU-1001", "DC-EAST", 40)
    view = (await client.get("/sandbox/shopify/inventory/SKU-1001")).json()
    assert view == {"sku": "SKU-1001", "available": 48,
                    "levels": [{"location": "DC-EAST", "available": 38}, {"location": "DC-WEST", "available": 10}]}
    listed = (await client.get(f"{API}/inventory_levels.json", params={"inventory_item_ids": "SKU-1001",
                                                                        "location_ids": "DC-WEST"}, headers=TOKEN)).json()
    assert [(lv["location_id"], lv["available"]) for lv in listed["inventory_levels"]] == [("DC-WEST", 10)]


async def test_a_sku_never_set_shows_nothing_available(client: httpx.AsyncClient) -> None:
    assert (await client.get("/sandbox/shopify/inventory/SKU-1003")).json() == {
        "sku": "SKU-1003", "available": 0, "levels": []}


async def test_numeric_ids_are_accepted_as_text_and_bad_input_is_422(client: httpx.AsyncClient) -> None:
    numeric = await set_level(client, "SKU-1001", 655441491, 5)
    bad = await client.post(f"{API}/inventory_levels/set.json", json={"location_id": "DC-EAST"}, headers=TOKEN)

    assert numeric.json()["inventory_level"]["location_id"] == "655441491"
    assert bad.status_code == 422 and "base" in bad.json()["errors"]


async def test_the_admin_api_wants_an_access_token(client: httpx.AsyncClient) -> None:
    response = await client.post(f"{API}/inventory_levels/set.json",
                                 json={"location_id": "DC-EAST", "inventory_item_id": "SKU-1001", "available": 1})

    assert response.status_code == 401 and "access token" in response.json()["errors"]
    assert (await client.get("/sandbox/shopify/inventory/SKU-1001")).json()["levels"] == []


async def test_every_answer_carries_the_call_limit_and_a_full_bucket_is_429(client: httpx.AsyncClient, app: Litestar) -> None:
    clock = FakeClock()
    app.state.sandbox.backends["shopify"].bucket = LeakyBucket(clock=clock)

    answers = [await set_level(client, "SKU-1001", "DC-EAST", n) for n in range(41)]
    clock.advance(0.5)
    after_a_drop = await set_level(client, "SKU-1001", "DC-EAST", 100)
    clock.advance(30)
    drained = await set_level(client, "SKU-1001", "DC-EAST", 101)

    assert [a.headers["X-Shopify-Shop-Api-Call-Limit"] for a in answers[:40]] == [f"{n}/40" for n in range(1, 41)]
    full = answers[40]
    assert full.status_code == 429
    assert full.headers["Retry-After"] == "1.0" and full.headers["X-Shopify-Shop-Api-Call-Limit"] == "40/40"
    assert full.json()["errors"].startswith("Exceeded 2 calls per second")
    assert (after_a_drop.status_code, after_a_drop.headers["X-Shopify-Shop-Api-Call-Limit"]) == (200, "40/40")
    assert (drained.status_code, drained.headers["X-Shopify-Shop-Api-Call-Limit"]) == (200, "1/40")
    assert (await client.get("/sandbox/shopify/inventory/SKU-1001")).json()["available"] == 101


async def test_reset_empties_the_bucket(client: httpx.AsyncClient, app: Litestar) -> None:
    app.state.sandbox.backends["shopify"].bucket = LeakyBucket(clock=FakeClock())
    for n in range(40):
        await set_level(client, "SKU-1001", "DC-EAST", n)

    await client.post("/sandbox/reset")

    assert (await set_level(client, "SKU-1001", "DC-EAST", 1)).headers["X-Shopify-Shop-Api-Call-Limit"] == "1/40"


async def test_the_order_control_makes_a_shopify_shaped_paid_order(client: httpx.AsyncClient) -> None:
    created = await new_order(client)
    second = await new_order(client, {"line_items": [{"sku": "SKU-1003", "quantity": 1, "price": "8.75"}]})

    order = created["order"]
    assert isinstance(order["id"], int) and order["name"] == "#1001" and second["order"]["name"] == "#1002"
    assert (order["email"], order["currency"], order["financial_status"]) == ("pat@example.com", "USD", "paid")
    assert (order["subtotal_price"], order["total_price"]) == ("282.50", "282.50")
    assert [(li["sku"], li["quantity"], li["price"], li["title"]) for li in order["line_items"]] == [
        ("SKU-1001", 2, "129.00", "Cordless Drill 18V"), ("SKU-1002", 1, "24.50", "Drill Bit Set 20pc")]
    assert all(isinstance(li["id"], int) for li in order["line_items"])
    assert {k: order["shipping_address"][k] for k in ("first_name", "last_name", "address1", "address2", "city",
                                                      "province_code", "zip", "country_code")} == ORDER["shipping_address"]
    assert order["created_at"].endswith("Z")
    assert second["order"]["shipping_address"]["country_code"] == "US"  # a default address when none is given
    outbox = (await client.get("/sandbox/shopify/events")).json()["items"]
    assert [(w["webhook_id"], w["topic"], w["order"]["id"]) for w in outbox][0] == (
        created["webhook_id"], "orders/create", order["id"])


@pytest.mark.parametrize(
    "body",
    [{"line_items": []}, {"line_items": [{"sku": "SKU-1001", "quantity": 0, "price": "1.00"}]},
     {"line_items": [{"sku": "SKU-1001", "quantity": 1, "price": 1}]}, {"items": []}],
)
async def test_a_bad_order_control_is_422(client: httpx.AsyncClient, body: dict) -> None:
    response = await client.post("/sandbox/shopify/orders", json=body)

    assert response.status_code == 422 and response.json()["error"] == "validation_failed"


async def test_orders_create_is_delivered_exactly_as_shopify_does(eventually: Eventually) -> None:
    receiver = Receiver()
    async with SandboxWithHooks(receiver) as client:
        created = await new_order(client)
        await eventually(lambda: len(receiver.to(HOOKS["shopify"])) == 1)
        redelivered = await client.post(f"/sandbox/shopify/orders/{created['order']['id']}/redeliver")
        await eventually(lambda: len(receiver.to(HOOKS["shopify"])) == 2)

    first, again = receiver.to(HOOKS["shopify"])
    assert msgspec.json.decode(first.content) == created["order"]
    assert first.headers["Content-Type"] == "application/json"
    assert first.headers["X-Shopify-Topic"] == "orders/create"
    assert first.headers["X-Shopify-Hmac-Sha256"] == shopify_hmac("sandbox-shopify-secret", first.content)
    assert first.headers["X-Shopify-Webhook-Id"] == created["webhook_id"]
    assert first.headers["X-Shopify-Shop-Domain"] == "sandbox-shop.myshopify.com"
    assert first.headers["X-Shopify-API-Version"] == "2024-10"
    assert first.headers["X-Shopify-Triggered-At"].endswith("Z")
    assert "X-Signature" not in first.headers
    assert redelivered.status_code == 200 and redelivered.json()["webhook_id"] == created["webhook_id"]
    assert again.content == first.content and dict(again.headers) == dict(first.headers)


async def test_redelivering_an_unknown_order_is_404(client: httpx.AsyncClient) -> None:
    response = await client.post("/sandbox/shopify/orders/42/redeliver")

    assert (response.status_code, response.json()["error"]) == (404, "not_found")


async def test_fulfilments_honour_an_idempotency_key(client: httpx.AsyncClient) -> None:
    order_id = (await new_order(client))["order"]["id"]
    body = {"fulfillment": {"tracking_number": "1ZABC", "tracking_company": "UPS",
                            "line_items": [{"sku": "SKU-1001", "quantity": 2}]}}
    url = f"{API}/orders/{order_id}/fulfillments.json"

    first = await client.post(url, json=body, headers={**TOKEN, "Idempotency-Key": "ful-1"})
    repeat = await client.post(url, json=body, headers={**TOKEN, "Idempotency-Key": "ful-1"})
    other = await client.post(url, json={"fulfillment": {"tracking_number": "1ZDEF", "tracking_company": "UPS"}},
                              headers=TOKEN)

    assert first.status_code == repeat.status_code == 201
    fulfilment = first.json()["fulfillment"]
    assert repeat.json()["fulfillment"] == fulfilment
    assert (fulfilment["order_id"], fulfilment["status"], fulfilment["tracking_numbers"]) == (order_id, "success", ["1ZABC"])
    assert other.json()["fulfillment"]["line_items"] == [{"sku": "SKU-1001", "quantity": 2}, {"sku": "SKU-1002", "quantity": 1}]
    view = (await client.get("/sandbox/shopify/fulfillments", params={"order_id": str(order_id)})).json()["items"]
    assert [(f["order_id"], f["tracking_number"], f["tracking_company"], f["line_items"]) for f in view] == [
        (str(order_id), "1ZABC", "UPS", [{"sku": "SKU-1001", "quantity": 2}]),
        (str(order_id), "1ZDEF", "UPS", [{"sku": "SKU-1001", "quantity": 2}, {"sku": "SKU-1002", "quantity": 1}]),
    ]
    assert (await client.get("/sandbox/shopify/fulfillments", params={"order_id": "1"})).json() == {"items": []}


async def test_fulfilling_an_unknown_order_or_line_is_refused(client: httpx.AsyncClient) -> None:
    order_id = (await new_order(client))["order"]["id"]
    body = {"fulfillment": {"tracking_number": "1Z", "tracking_company": "UPS", "line_items": [{"sku": "SKU-1003", "quantity": 1}]}}

    unknown_order = await client.post(f"{API}/orders/999/fulfillments.json", json=body, headers=TOKEN)
    unknown_line = await client.post(f"{API}/orders/{order_id}/fulfillments.json", json=body, headers=TOKEN)

    assert (unknown_order.status_code, unknown_order.json()) == (404, {"errors": "Not Found"})
    assert unknown_line.status_code == 422 and "line_items" in unknown_line.json()["errors"]
    assert (await client.get("/sandbox/shopify/fulfillments")).json() == {"items": []}


def refund_body(amount: str, *lines: tuple[str, int], note: str = "hub rma_1", **extra: object) -> dict:
    return {"refund": {"currency": "USD", "notify": False, "note": note, **extra,
                       "refund_line_items": [{"sku": s, "quantity": q, "restock_type": "no_restock"} for s, q in lines],
                       "transactions": [{"kind": "refund", "gateway": "shopify_payments", "amount": amount}]}}


async def test_refunds_are_made_listed_and_shown(client: httpx.AsyncClient) -> None:
    order = (await new_order(client))["order"]  # 2 x 129.00 + 1 x 24.50 = 282.50
    drill = order["line_items"][0]
    url = f"{API}/orders/{order['id']}/refunds.json"

    first = await client.post(url, json=refund_body("129.00", ("SKU-1001", 1)), headers=TOKEN)
    by_id = {"refund": {**refund_body("24.50", note="hub rma_2")["refund"],
                        "refund_line_items": [{"line_item_id": order["line_items"][1]["id"], "quantity": 1}]}}
    second = await client.post(url, json=by_id, headers=TOKEN)
    listed = await client.get(url, headers=TOKEN)

    assert (first.status_code, second.status_code, listed.status_code) == (201, 201, 200)
    refund = first.json()["refund"]
    assert (refund["order_id"], refund["note"], refund["created_at"][-1]) == (order["id"], "hub rma_1", "Z")
    assert [(t["kind"], t["status"], t["amount"], t["currency"], t["gateway"]) for t in refund["transactions"]] == [
        ("refund", "success", "129.00", "USD", "shopify_payments")]
    assert [(li["line_item_id"], li["quantity"], li["restock_type"], li["subtotal"])
            for li in refund["refund_line_items"]] == [(drill["id"], 1, "no_restock", "129.00")]
    assert first.headers["X-Shopify-Shop-Api-Call-Limit"] == "1/40"
    other = second.json()["refund"]["id"]
    assert [r["id"] for r in listed.json()["refunds"]] == [refund["id"], other]
    view = (await client.get("/sandbox/shopify/refunds", params={"order_id": str(order["id"])})).json()["items"]
    assert [(r["id"], r["order_id"], r["amount"], r["currency"], r["note"], r["line_items"]) for r in view] == [
        (refund["id"], str(order["id"]), "129.00", "USD", "hub rma_1", [{"sku": "SKU-1001", "quantity": 1}]),
        (other, str(order["id"]), "24.50", "USD", "hub rma_2", [{"sku": "SKU-1002", "quantity": 1}]),
    ]
    assert (await client.get("/sandbox/shopify/refunds", params={"order_id": "1"})).json() == {"items": []}


async def test_a_refund_beyond_what_is_left_is_422_and_makes_nothing(client: httpx.AsyncClient) -> None:
    order = (await new_order(client))["order"]  # 282.50 paid
    url = f"{API}/orders/{order['id']}/refunds.json"

    made = await client.post(url, json=refund_body("258.00", ("SKU-1001", 2)), headers=TOKEN)
    too_much = await client.post(url, json=refund_body("24.51", ("SKU-1002", 1), note="hub rma_2"), headers=TOKEN)
    exactly_left = await client.post(url, json=refund_body("24.50", ("SKU-1002", 1), note="hub rma_3"), headers=TOKEN)
    nothing_left = await client.post(url, json=refund_body("0.01", note="hub rma_4"), headers=TOKEN)
    beyond_ordered = await client.post(url, json=refund_body("0.00", ("SKU-1001", 1), note="hub rma_5"), headers=TOKEN)
    not_on_order = await client.post(url, json=refund_body("1.00", ("SKU-1003", 1)), headers=TOKEN)
    wrong_currency = await client.post(url, json=refund_body("1.00", currency="EUR"), headers=TOKEN)

    assert (made.status_code, exactly_left.status_code) == (201, 201)
    assert too_much.status_code == 422 and "24.51" in too_much.json()["errors"]["base"][0]
    assert nothing_left.status_code == 422 and "base" in nothing_left.json()["errors"]
    assert beyond_ordered.status_code == 422 and "refund_line_items" in beyond_ordered.json()["errors"]
    assert not_on_order.status_code == 422 and "refund_line_items" in not_on_order.json()["errors"]
    assert wrong_currency.status_code == 422 and "currency" in wrong_currency.json()["errors"]
    view = (await client.get("/sandbox/shopify/refunds", params={"order_id": str(order["id"])})).json()["items"]
    assert [r["amount"] for r in view] == ["258.00", "24.50"]


async def test_refunds_of_an_unknown_order_are_404(client: httpx.AsyncClient) -> None:
    made = await client.post(f"{API}/orders/999/refunds.json", json=refund_body("1.00"), headers=TOKEN)
    listed = await client.get(f"{API}/orders/999/refunds.json", headers=TOKEN)

    assert (made.status_code, made.json()) == (404, {"errors": "Not Found"})
    assert (listed.status_code, listed.json()) == (404, {"errors": "Not Found"})
    assert (await client.get("/sandbox/shopify/refunds")).json() == {"items": []}


async def test_refunds_pass_the_call_limit_and_the_fault_switch(client: httpx.AsyncClient) -> None:
    order_id = (await new_order(client))["order"]["id"]
    url = f"{API}/orders/{order_id}/refunds.json"

    unauthorized = await client.post(url, json=refund_body("1.00"))
    await client.put("/sandbox/shopify/faults", json={"outage": True})
    down = await client.post(url, json=refund_body("1.00"), headers=TOKEN)
    await client.put("/sandbox/shopify/faults", json={"outage": False, "throttle": True})
    throttled = await client.get(url, headers=TOKEN)
    await client.delete("/sandbox/shopify/faults")
    listed = await client.get(url, headers=TOKEN)

    assert unauthorized.status_code == 401 and down.status_code == 503
    assert throttled.status_code == 429 and throttled.headers["Retry-After"] == "1.0"
    assert listed.status_code == 200 and listed.json() == {"refunds": []}
    assert listed.headers["X-Shopify-Shop-Api-Call-Limit"].endswith("/40")


async def test_reset_clears_refunds(client: httpx.AsyncClient) -> None:
    order_id = (await new_order(client))["order"]["id"]
    made = await client.post(f"{API}/orders/{order_id}/refunds.json", json=refund_body("10.00"), headers=TOKEN)
    assert made.status_code == 201 and len((await client.get("/sandbox/shopify/refunds")).json()["items"]) == 1

    await client.post("/sandbox/reset")

    assert (await client.get("/sandbox/shopify/refunds")).json() == {"items": []}
    assert (await client.get(f"{API}/orders/{order_id}/refunds.json", headers=TOKEN)).status_code == 404
