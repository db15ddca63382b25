"""`GET /admin/v1/journeys` through the whole one-process hub, on SQLite and PostgreSQL: an order
placed on the storefront, posted, released and shipped in the sandbox is found by every
identifier it carried, with its steps in order and on the trace of the request that placed it;
partner PO numbers, Shopify orders (order id and webhook id) and returns (RMA id) too.

The PostgreSQL database is the session's: other tests' orders may carry the same sandbox
numbers (ERP numbers, shipment ids restart with each sandbox), so a look-up is checked to hold
our order and only orders that really carry the identifier."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import uuid

from shared.settings import SANDBOX_SECRETS
from tests.commerce_hub.orders_support import ACME_ORDER, key, until, wait_status
from tests.conftest import ADMIN_KEY, Hub
from tests.gateway.support import assert_problem, assert_field_errors

ADMIN = {"X-API-Key": ADMIN_KEY}
PATH = "/admin/v1/journeys"


async def journeys(hub: Hub, ref: str) -> list[dict]:
    response = await hub.http.get(PATH, params={"ref": ref}, headers=ADMIN)
    assert response.status_code == 200, response.text
    return response.json()["items"]


def carried(item: dict) -> set[str]:
    refs = item["refs"]
    singles = {v for k, v in refs.items() if isinstance(v, str) and k != "channel"}
    return singles | {v for v in refs.values() if isinstance(v, list) for v in v}


async def one_journey(hub: Hub, ref: str, kind: str, id_: str) -> dict:
    items = await journeys(hub, ref)
    assert all(ref in carried(i) for i in items), items
    [mine] = [i for i in items if i["kind"] == kind and i["id"] == id_]
    return mine


async def test_a_storefront_order_is_found_by_every_identifier_with_its_steps_on_its_trace(either_hub: Hub) -> None:
    hub = either_hub
    headers = {"X-API-Key": await hub.new_key("orders:write", "orders:read", customer="CUST-ACME")}
    trace_id = secrets.token_hex(16)
    placed = await hub.http.post("/v1/storefront/orders", json=ACME_ORDER, headers={
        **headers, **key(), "traceparent": f"00-{trace_id}-{secrets.token_hex(8)}-01"})
    assert placed.status_code == 201, placed.text
    order_id = placed.json()["order_id"]
    await wait_status(hub.http, headers, order_id, "released")
    assert (await hub.http.post("/sandbox/wms/ship", json={"order_id": order_id})).status_code == 200
    await wait_status(hub.http, headers, order_id, "shipped")

    async def settled() -> dict | None:  # the shipment's message outcome is recorded just after the change
        item = await one_journey(hub, order_id, "order", order_id)
        return item if any(s["step"] == "shipment.confirmed" for s in item["steps"]) else None

    journey = await until(settled)
    refs = journey["refs"]
    assert journey["status"] == "shipped" and refs["channel_order_ref"] == "WEB-5531"
    assert refs["erp_order_number"] and refs["fulfilment_id"] and refs["channel"] == "storefront"
    [shipment_id], [tracking] = refs["shipment_ids"], refs["tracking_numbers"]
    steps = journey["steps"]
    assert [s["at"] for s in steps] == sorted(s["at"] for s in steps)
    statuses = [s for s in steps if s["step"] in ("accepted", "posted", "released", "shipped")]
    assert [s["step"] for s in statuses] == ["accepted", "posted", "released", "shipped"]
    assert statuses[0]["layer"] == "experience" and all(s["trace_id"] for s in statuses)
    assert statuses[0]["latency_ms"] > 0  # the capture's own (migration 0021); later entries: the time between
    # the request's trace reaches every step of the work it queued: capture, ERP posting, WMS release
    assert [s["trace_id"] for s in statuses[:3]] == [trace_id] * 3
    posting = next(s for s in steps if s["step"] == "order.accepted")
    assert (posting["outcome"], posting["backend"], posting["attempts"], posting["trace_id"]) == (
        "done", "erp", 1, trace_id)
    assert posting["latency_ms"] > 0 and posting["schema_version"] == 1 and posting["layer"] == "system"
    for ref in (order_id, "WEB-5531", refs["erp_order_number"], refs["fulfilment_id"], shipment_id, tracking):
        assert (await one_journey(hub, ref, "order", order_id))["steps"] == steps, ref


async def test_a_partner_order_by_its_po_number(either_hub: Hub) -> None:
    hub = either_hub
    headers = {"X-API-Key": await hub.new_key("orders:write", "orders:read", customer="CUST-ACME", plan="partner")}
    po = f"PO-{secrets.token_hex(4)}"
    placed = await hub.http.post("/v1/partner/orders", json={**ACME_ORDER, "po_number": po}, headers={**headers, **key()})
    assert placed.status_code == 201, placed.text
    [item] = await journeys(hub, po)
    assert (item["kind"], item["id"], item["refs"]["po_number"], item["refs"]["channel"]) == (
        "order", placed.json()["order_id"], po, "partner")
    assert item["steps"][0]["step"] == "accepted"


def _signed(body: bytes, webhook_id: str) -> dict[str, str]:
    digest = base64.b64encode(hmac.new(SANDBOX_SECRETS["shopify"].encode(), body, hashlib.sha256).digest()).decode()
    return {"X-Shopify-Topic": "orders/create", "X-Shopify-Hmac-Sha256": digest, "X-Shopify-Webhook-Id": webhook_id,
            "X-Shopify-Shop-Domain": "test.myshopify.com", "Content-Type": "application/json"}


async def test_a_shopify_order_by_its_order_id_and_its_webhook_id(either_hub: Hub) -> None:
    hub = either_hub
    shopify_id, webhook_id = str(7_000_000 + secrets.randbelow(1_000_000)), str(uuid.uuid4())
    body = json.dumps({"id": int(shopify_id), "name": "#1", "email": "b@example.com", "currency": "USD",
                       "total_price": "17.50", "subtotal_price": "17.50", "financial_status": "paid",
                       "created_at": "2026-11-23T10:00:00Z",
                       "line_items": [{"id": 1, "sku": "SKU-1003", "quantity": 2, "price": "8.75", "title": "x"}]}).encode()
    hooked = await hub.http.post("/hooks/shopify", content=body, headers=_signed(body, webhook_id))
    assert hooked.status_code == 200, hooked.text

    async def captured() -> list[dict]:  # the intake step is "pending" until its message is handled
        return [i for i in await journeys(hub, webhook_id)
                if any(s["step"] == "channel_order.received" and s["outcome"] == "done" for s in i["steps"])]

    [by_hook] = await until(captured)
    [by_id] = await journeys(hub, shopify_id)
    assert (by_hook["kind"], by_hook["id"]) == (by_id["kind"], by_id["id"]) == ("order", by_hook["refs"]["order_id"])
    assert by_hook["refs"]["channel_order_ref"] == shopify_id and by_hook["refs"]["webhook_ids"] == [webhook_id]
    intake = next(s for s in by_hook["steps"] if s["step"] == "channel_order.received")
    assert (intake["outcome"], intake["backend"], intake["attempts"]) == ("done", "shopify", 1)
    assert by_hook["steps"][0]["step"] == "accepted" and by_hook["steps"][0]["trace_id"] == intake["trace_id"]


async def test_a_return_by_its_rma_id(either_hub: Hub) -> None:
    hub = either_hub
    headers = {"X-API-Key": await hub.new_key("orders:write", "orders:read", "returns:write", "returns:read",
                                              customer="CUST-ACME")}
    placed = await hub.http.post("/v1/storefront/orders", json=ACME_ORDER, headers={**headers, **key()})
    order_id = placed.json()["order_id"]
    await wait_status(hub.http, headers, order_id, "released")
    assert (await hub.http.post("/sandbox/wms/ship", json={"order_id": order_id})).status_code == 200
    await wait_status(hub.http, headers, order_id, "shipped")
    asked = await hub.http.post("/v1/storefront/returns", headers={**headers, **key()}, json={
        "order_id": order_id, "lines": [{"sku": "SKU-1001", "quantity": 1, "reason": "damaged"}]})
    assert asked.status_code == 201, asked.text
    rma_id = asked.json()["rma_id"]
    [item] = await journeys(hub, rma_id)
    assert (item["kind"], item["id"], item["refs"]["order_id"]) == ("return", rma_id, order_id)
    assert item["steps"][0]["layer"] == "experience" and item["steps"][0]["trace_id"]
    by_order = await journeys(hub, order_id)
    assert {(i["kind"], i["id"]) for i in by_order} == {("order", order_id), ("return", rma_id)}
    assert [i["refs"].get("rma_ids") for i in by_order if i["kind"] == "order"] == [[rma_id]]


async def test_an_unknown_ref_is_an_empty_list_and_bad_refs_are_422(either_hub: Hub) -> None:
    hub = either_hub
    assert await journeys(hub, f"nothing-{uuid.uuid4()}") == []
    assert await journeys(hub, "x' OR '1'='1") == []
    assert_field_errors(await hub.http.get(PATH, params={"ref": "x" * 256}, headers=ADMIN), "ref")
    assert_field_errors(await hub.http.get(PATH, params={"ref": ""}, headers=ADMIN), "ref")
    assert_field_errors(await hub.http.get(PATH, headers=ADMIN), "ref")


async def test_the_admin_scope_is_required(either_hub: Hub) -> None:
    hub = either_hub
    reader = await hub.new_key("orders:read", "orders:write")
    assert_problem(await hub.http.get(PATH, params={"ref": "WEB-5531"}, headers={"X-API-Key": reader}), 403,
                   "insufficient_scope")
    assert_problem(await hub.http.get(PATH, params={"ref": "WEB-5531"}), 401, "unauthorized")
