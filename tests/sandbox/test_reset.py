"""``POST /sandbox/reset``: every backend back to its seed, faults and outboxes cleared."""

from __future__ import annotations

import httpx


async def test_reset_restores_seed_and_clears_faults_and_outboxes(client: httpx.AsyncClient) -> None:
    before_wms = (await client.get("/sandbox/wms/api/v2/inventory", params={"item_code": "SKU-1001"})).json()
    await client.post("/sandbox/wms/stock", json={"sku": "SKU-1001", "location": "DC-EAST", "on_hand": 1})
    await client.post("/sandbox/wms/stock", json={"sku": "SKU-1004", "location": "DC-WEST", "on_hand": 2})
    await client.post("/sandbox/wms/stock", json={"sku": "SKU-1002", "location": "STORE-NYC", "on_hand": 8})
    await client.put("/sandbox/erp/items/SKU-1001/price", json={"list_price": "135.00"})
    for backend in ("erp", "wms", "pos"):
        await client.put(f"/sandbox/{backend}/faults", json={"outage": True})

    response = await client.post("/sandbox/reset")

    assert response.status_code == 200
    assert response.json() == {"status": "reset", "backends": ["amazon", "bigcommerce", "counterpoint", "erp", "legacy_erp", "magento", "netsuite", "payments", "pos", "quickbooks",
                                                                  "shopify", "threepl", "wms", "woocommerce"]}
    for backend in ("erp", "wms", "pos"):
        assert (await client.get(f"/sandbox/{backend}/faults")).json()["outage"] is False
        assert (await client.get(f"/sandbox/{backend}/events")).json() == {"items": []}
    wms = (await client.get("/sandbox/wms/api/v2/inventory", params={"item_code": "SKU-1001"})).json()
    assert [(r["on_hand"], r["sequence"]) for r in wms["data"]] == [(r["on_hand"], r["sequence"]) for r in before_wms["data"]]
    gone = (await client.get("/sandbox/wms/api/v2/inventory", params={"item_code": "SKU-1004"})).json()
    assert gone["meta"] == {"count": 0}
    pos = (await client.get("/sandbox/pos/v1/stores/inventory", params={"productSku": "SKU-1002"})).json()
    assert [(lv["quantity"], lv["seq"]) for lv in pos["stockLevels"]] == [(3, 1)]
    item = (await client.get("/sandbox/erp/api/v1/items/SKU-1001")).json()
    assert item["basePrice"] == "129.00"


async def test_reset_forgets_transactions_and_restarts_their_numbers(client: httpx.AsyncClient) -> None:
    order = {"externalRef": "ord_1", "channel": "web", "currencyCode": "USD", "total": "129.00",
             "lines": [{"itemId": "SKU-1001", "quantity": 1, "unitPrice": "129.00"}]}
    await client.post("/sandbox/erp/api/v1/salesOrders", json=order)
    await client.post("/sandbox/erp/api/v1/creditMemos", json={"externalRef": "rma_1", "currencyCode": "USD", "amount": "1.00"})
    release = {"order_ref": "ord_1", "lines": [{"item_code": "SKU-1001", "quantity": 1}]}
    await client.post("/sandbox/wms/api/v2/fulfillment_requests", json=release)
    await client.post("/sandbox/wms/api/v2/expected_receipts", json={
        "rma_ref": "rma_1", "order_ref": "ord_1", "lines": [{"item_code": "SKU-1001", "quantity": 1, "disposition": "restock"}]})
    await client.post("/sandbox/shopify/admin/api/2024-10/inventory_levels/set.json",
                      json={"location_id": "DC-EAST", "inventory_item_id": "SKU-1001", "available": 3},
                      headers={"X-Shopify-Access-Token": "t"})
    shop_order = (await client.post("/sandbox/shopify/orders", json={
        "line_items": [{"sku": "SKU-1001", "quantity": 1, "price": "129.00"}]})).json()["order"]

    await client.post("/sandbox/reset")

    assert (await client.get("/sandbox/erp/sales-orders")).json() == {"items": []}
    assert (await client.get("/sandbox/erp/credit-memos")).json() == {"items": []}
    assert (await client.post("/sandbox/wms/ship", json={"order_id": "ord_1"})).status_code == 404
    assert (await client.post("/sandbox/wms/receive", json={"rma_id": "rma_1"})).status_code == 404
    assert (await client.get("/sandbox/shopify/inventory/SKU-1001")).json()["levels"] == []
    assert (await client.post(f"/sandbox/shopify/orders/{shop_order['id']}/redeliver")).status_code == 404
    again = await client.post("/sandbox/erp/api/v1/salesOrders", json=order)
    assert (again.status_code, again.json()["salesOrderId"]) == (201, "SO-100001")
    released = await client.post("/sandbox/wms/api/v2/fulfillment_requests", json=release)
    assert (released.status_code, released.json()["request_id"]) == (201, "FR-100001")
    shop_again = (await client.post("/sandbox/shopify/orders", json={
        "line_items": [{"sku": "SKU-1001", "quantity": 1, "price": "129.00"}]})).json()["order"]
    # order names restart, ids keep growing (a hub deduplicates on the id)
    assert shop_again["id"] > shop_order["id"] and shop_again["name"] == "#1001"
