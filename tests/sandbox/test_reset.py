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
    assert response.json() == {"status": "reset", "backends": ["erp", "pos", "wms"]}
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
