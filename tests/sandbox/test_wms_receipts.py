"""ShipWorks sandbox returns: expected receipts, their cancellation and their receipt."""

from __future__ import annotations

import httpx
import pytest

API = "/sandbox/wms/api/v2"
RECEIPT = {"rma_ref": "rma_1", "order_ref": "ord_1", "lines": [
    {"item_code": "SKU-1001", "quantity": 2, "disposition": "restock"},
    {"item_code": "SKU-1001", "quantity": 1, "disposition": "inspect"},
    {"item_code": "SKU-1003", "quantity": 1, "disposition": "scrap"},
]}


async def stock(client: httpx.AsyncClient, sku: str) -> dict[str, tuple[int, int]]:
    rows = (await client.get(f"{API}/inventory", params={"item_code": sku})).json()["data"]
    return {r["warehouse_id"]: (r["on_hand"], r["sequence"]) for r in rows}


async def events(client: httpx.AsyncClient) -> list[dict]:
    return (await client.get("/sandbox/wms/events")).json()["items"]


async def test_expecting_is_idempotent_on_rma_ref(client: httpx.AsyncClient) -> None:
    first = await client.post(f"{API}/expected_receipts", json=RECEIPT)
    repeat = await client.post(f"{API}/expected_receipts", json={**RECEIPT, "order_ref": "ord_9"})

    assert first.status_code == 201
    assert {k: first.json()[k] for k in ("receipt_id", "rma_ref", "order_ref", "status")} == {
        "receipt_id": "ER-100001", "rma_ref": "rma_1", "order_ref": "ord_1", "status": "expected"}
    assert (repeat.status_code, repeat.json()) == (200, first.json())


async def test_receiving_restocks_restock_lines_only_and_announces(client: httpx.AsyncClient) -> None:
    await client.post(f"{API}/expected_receipts", json=RECEIPT)

    response = await client.post("/sandbox/wms/receive", json={"rma_id": "rma_1"})

    assert response.status_code == 200
    assert response.json()["status"] == "received" and response.json()["received_at"].endswith("Z")
    assert await stock(client, "SKU-1001") == {"DC-EAST": (42, 2), "DC-WEST": (10, 1)}
    assert await stock(client, "SKU-1003") == {"DC-EAST": (500, 1)}
    adjusted, received = await events(client)
    assert adjusted["event_type"] == "inventory.adjusted"
    assert adjusted["payload"] == {"item_code": "SKU-1001", "warehouse_id": "DC-EAST", "on_hand": 42, "available": 42,
                                   "sequence": 2}
    assert received["event_type"] == "return.received" and received["event_id"].startswith("wms-evt-")
    assert received["payload"] == {"rma_ref": "rma_1", "order_ref": "ord_1", "lines": RECEIPT["lines"]}


async def test_returned_stock_goes_back_where_the_order_shipped_from(client: httpx.AsyncClient) -> None:
    await client.post("/sandbox/wms/stock", json={"sku": "SKU-1001", "location": "DC-WEST", "on_hand": 100})
    release = {"order_ref": "ord_1", "lines": [{"item_code": "SKU-1001", "quantity": 3}]}
    await client.post(f"{API}/fulfillment_requests", json=release)
    await client.post("/sandbox/wms/ship", json={"order_id": "ord_1"})
    await client.post(f"{API}/expected_receipts", json=RECEIPT)

    await client.post("/sandbox/wms/receive", json={"rma_id": "rma_1"})

    assert await stock(client, "SKU-1001") == {"DC-EAST": (40, 1), "DC-WEST": (99, 4)}


async def test_an_item_without_a_warehouse_row_returns_to_dc_east(client: httpx.AsyncClient) -> None:
    body = {"rma_ref": "rma_2", "order_ref": "ord_2", "lines": [{"item_code": "SKU-1004", "quantity": 1, "disposition": "restock"}]}
    await client.post(f"{API}/expected_receipts", json=body)

    await client.post("/sandbox/wms/receive", json={"rma_id": "rma_2"})

    assert await stock(client, "SKU-1004") == {"DC-EAST": (1, 1)}


async def test_receiving_again_changes_nothing(client: httpx.AsyncClient) -> None:
    await client.post(f"{API}/expected_receipts", json=RECEIPT)
    first = await client.post("/sandbox/wms/receive", json={"rma_id": "rma_1"})

    again = await client.post("/sandbox/wms/receive", json={"rma_id": "rma_1"})

    assert (again.status_code, again.json()) == (200, first.json())
    assert len(await events(client)) == 2
    assert (await stock(client, "SKU-1001"))["DC-EAST"] == (42, 2)


@pytest.mark.parametrize("cancel", ["delete", "post"])
async def test_a_cancelled_receipt_cannot_be_received(client: httpx.AsyncClient, cancel: str) -> None:
    await client.post(f"{API}/expected_receipts", json=RECEIPT)

    if cancel == "delete":
        responses = [await client.delete(f"{API}/expected_receipts/rma_1") for _ in range(2)]
    else:
        responses = [await client.post(f"{API}/expected_receipts/rma_1/cancel") for _ in range(2)]
    received = await client.post("/sandbox/wms/receive", json={"rma_id": "rma_1"})
    expected_again = await client.post(f"{API}/expected_receipts", json=RECEIPT)

    assert [(r.status_code, r.json()["status"]) for r in responses] == [(200, "cancelled")] * 2
    assert (received.status_code, received.json()["error"]) == (404, "not_found")
    assert (expected_again.status_code, expected_again.json()["status"]) == (200, "cancelled")
    assert await events(client) == []
    assert (await stock(client, "SKU-1001"))["DC-EAST"] == (40, 1)


async def test_unknown_receipts_are_404(client: httpx.AsyncClient) -> None:
    cancelled = await client.delete(f"{API}/expected_receipts/rma_nope")
    received = await client.post("/sandbox/wms/receive", json={"rma_id": "rma_nope"})

    assert (cancelled.status_code, cancelled.json()["errors"][0]["code"]) == (404, "not_found")
    assert (received.status_code, received.json()["error"]) == (404, "not_found")


@pytest.mark.parametrize(
    "lines",
    [[], [{"item_code": "SKU-1001", "quantity": 1, "disposition": "resell"}],
     [{"item_code": "SKU-1001", "quantity": -1, "disposition": "restock"}]],
)
async def test_an_invalid_receipt_is_400(client: httpx.AsyncClient, lines: list) -> None:
    response = await client.post(f"{API}/expected_receipts", json={**RECEIPT, "lines": lines})

    assert response.status_code == 400 and response.json()["errors"][0]["code"] == "invalid_request"
