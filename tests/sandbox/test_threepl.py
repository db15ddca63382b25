"""The 3PL sandbox (ShipBob-shaped) over HTTP: auth and channel header, duplicate references,
shipping, inventory by fulfillment center, returns and their cancel, the throttle body."""

from __future__ import annotations

import httpx

API = "/sandbox/threepl/2026-01"
AUTH = {"Authorization": "Bearer pat", "shipbob_channel_id": "1"}
ORDER = {"reference_id": "ord_1", "order_number": "ord_1", "products": [{"reference_id": "SKU-1003", "quantity": 4}],
         "recipient": {"name": "A", "address": {"address1": "1 Main", "city": "X", "country": "US", "zip_code": "1"}}}


async def test_reads_need_a_token_and_writes_the_channel_too(client: httpx.AsyncClient) -> None:
    assert (await client.get(f"{API}/order")).status_code == 401
    no_channel = await client.post(f"{API}/order", json=ORDER, headers={"Authorization": "Bearer pat"})
    assert no_channel.status_code == 400 and "shipbob_channel_id" in no_channel.json()["message"]


async def test_a_reference_id_books_one_order_and_a_second_is_422(client: httpx.AsyncClient) -> None:
    first = await client.post(f"{API}/order", json=ORDER, headers=AUTH)
    again = await client.post(f"{API}/order", json=ORDER, headers=AUTH)
    assert (first.status_code, again.status_code) == (201, 422)
    assert "reference_id" in again.json()
    listed = (await client.get(f"{API}/order", params={"ReferenceIds": "ord_1,ord_2"}, headers=AUTH)).json()
    assert [o["id"] for o in listed] == [first.json()["id"]]


async def test_an_order_for_an_unknown_product_is_400_and_books_nothing(client: httpx.AsyncClient) -> None:
    bad = {**ORDER, "products": [{"reference_id": "SKU-1002", "quantity": 1}]}
    assert (await client.post(f"{API}/order", json=bad, headers=AUTH)).status_code == 400
    assert (await client.get(f"{API}/order", headers=AUTH)).json() == []


async def test_shipping_twice_answers_one_shipment(client: httpx.AsyncClient) -> None:
    order = (await client.post(f"{API}/order", json=ORDER, headers=AUTH)).json()
    first = (await client.post("/sandbox/threepl/ship", json={"order_id": "ord_1"})).json()
    again = (await client.post("/sandbox/threepl/ship", json={"order_id": "ord_1"})).json()
    assert first == again and len(first) == 1
    listed = (await client.get(f"{API}/order/{order['id']}/shipment", headers=AUTH)).json()
    assert listed[0]["tracking"]["carrier"] == "USPS"
    level = (await client.get(f"{API}/inventory-level/locations", params={"SKUs": "SKU-1003"}, headers=AUTH)).json()
    assert level[0]["locations"][0]["on_hand_quantity"] == 116
    assert (await client.post("/sandbox/threepl/ship", json={"order_id": "nope"})).status_code == 404


async def test_a_return_is_cancelled_while_awaiting_arrival(client: httpx.AsyncClient) -> None:
    body = {"reference_id": "rma_1", "original_order_reference_id": "ord_1", "fulfillment_center": {"id": 228},
            "inventory": [{"sku": "SKU-1003", "quantity": 1, "requested_action": "Restock"}]}
    made = (await client.post(f"{API}/return", json=body, headers=AUTH)).json()
    assert made["status"] == "AwaitingArrival"
    assert (await client.post(f"{API}/return", json=body, headers=AUTH)).status_code == 422
    cancelled = await client.post(f"{API}/return/{made['id']}/cancel", headers=AUTH)
    assert cancelled.json()["status"] == "Cancelled"
    assert (await client.post(f"{API}/return/999/cancel", headers=AUTH)).status_code == 404


async def test_the_throttle_fault_is_shipbob_s_429_body_and_reset_restores_stock(client: httpx.AsyncClient) -> None:
    await client.put("/sandbox/threepl/inventory/SKU-1001", json={"on_hand": 3})
    await client.put("/sandbox/threepl/faults", json={"throttle": True})
    throttled = await client.get(f"{API}/order", headers=AUTH)
    assert throttled.status_code == 429 and throttled.json() == {
        "statusCode": 429, "message": "Rate limit is exceeded. Try again in 1 seconds."}
    await client.post("/sandbox/reset")
    level = (await client.get(f"{API}/inventory-level/locations", params={"SKUs": "SKU-1001"}, headers=AUTH)).json()
    assert level[0]["locations"][0]["on_hand_quantity"] == 25
