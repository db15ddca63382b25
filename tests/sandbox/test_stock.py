"""WMS and POS sandboxes: seeded stock, the stock control and its events."""

from __future__ import annotations

import asyncio

import httpx
import pytest

WMS_INVENTORY = "/sandbox/wms/api/v2/inventory"
POS_INVENTORY = "/sandbox/pos/v1/stores/inventory"


async def test_wms_inventory_of_several_items(client: httpx.AsyncClient) -> None:
    response = await client.get(WMS_INVENTORY, params=[("item_code", "SKU-1001"), ("item_code", "SKU-1003")])

    assert response.status_code == 200
    body = response.json()
    assert body["meta"] == {"count": 3}
    rows = [{k: r[k] for k in ("item_code", "warehouse_id", "on_hand", "allocated", "available", "sequence")} for r in body["data"]]
    assert rows == [
        {"item_code": "SKU-1001", "warehouse_id": "DC-EAST", "on_hand": 40, "allocated": 0, "available": 40, "sequence": 1},
        {"item_code": "SKU-1001", "warehouse_id": "DC-WEST", "on_hand": 10, "allocated": 0, "available": 10, "sequence": 1},
        {"item_code": "SKU-1003", "warehouse_id": "DC-EAST", "on_hand": 500, "allocated": 0, "available": 500, "sequence": 1},
    ]
    assert all(r["updated_at"].endswith("Z") for r in body["data"])


async def test_wms_holds_only_warehouses_and_not_the_item_master(client: httpx.AsyncClient) -> None:
    sku_1002 = (await client.get(WMS_INVENTORY, params={"item_code": "SKU-1002"})).json()
    unknown = (await client.get(WMS_INVENTORY, params={"item_code": "SKU-9999"})).json()
    no_stock = (await client.get(WMS_INVENTORY, params={"item_code": "SKU-1004"})).json()

    assert [(r["warehouse_id"], r["on_hand"]) for r in sku_1002["data"]] == [("DC-WEST", 5)]
    assert unknown == {"data": [], "meta": {"count": 0}}
    assert no_stock == {"data": [], "meta": {"count": 0}}


async def test_pos_store_inventory(client: httpx.AsyncClient) -> None:
    response = await client.get(POS_INVENTORY, params=[("productSku", "SKU-1002"), ("productSku", "SKU-1001")])

    assert response.status_code == 200
    levels = response.json()["stockLevels"]
    assert len(levels) == 1
    level = levels[0]
    assert level.pop("lastChanged").endswith("Z")
    assert level == {"storeCode": "STORE-NYC", "productSku": "SKU-1002", "quantity": 3, "seq": 1}


async def test_stock_control_on_a_warehouse_changes_the_wms(client: httpx.AsyncClient) -> None:
    response = await client.post("/sandbox/wms/stock", json={"sku": "SKU-1001", "location": "DC-WEST", "on_hand": 7})

    assert response.status_code == 200
    level = response.json()
    assert {k: level[k] for k in ("item_code", "warehouse_id", "on_hand", "available", "sequence")} == {
        "item_code": "SKU-1001",
        "warehouse_id": "DC-WEST",
        "on_hand": 7,
        "available": 7,
        "sequence": 2,
    }
    rows = (await client.get(WMS_INVENTORY, params={"item_code": "SKU-1001"})).json()["data"]
    assert [(r["warehouse_id"], r["on_hand"], r["sequence"]) for r in rows] == [("DC-EAST", 40, 1), ("DC-WEST", 7, 2)]
    events = (await client.get("/sandbox/wms/events")).json()["items"]
    assert len(events) == 1
    assert events[0]["event_id"].startswith("wms-evt-")
    assert events[0]["event_type"] == "inventory.adjusted"
    assert events[0]["occurred_at"] == level["updated_at"]
    assert events[0]["payload"] == {
        "item_code": "SKU-1001",
        "warehouse_id": "DC-WEST",
        "on_hand": 7,
        "available": 7,
        "sequence": 2,
    }
    assert (await client.get("/sandbox/pos/events")).json() == {"items": []}


async def test_stock_control_on_a_store_changes_the_pos(client: httpx.AsyncClient) -> None:
    first = await client.post("/sandbox/wms/stock", json={"sku": "SKU-1002", "location": "STORE-NYC", "on_hand": 0})
    second = await client.post("/sandbox/wms/stock", json={"sku": "SKU-1002", "location": "STORE-NYC", "on_hand": 9})

    assert first.status_code == second.status_code == 200
    assert {k: second.json()[k] for k in ("storeCode", "productSku", "quantity", "seq")} == {
        "storeCode": "STORE-NYC",
        "productSku": "SKU-1002",
        "quantity": 9,
        "seq": 3,
    }
    levels = (await client.get(POS_INVENTORY, params={"productSku": "SKU-1002"})).json()["stockLevels"]
    assert [(lv["quantity"], lv["seq"]) for lv in levels] == [(9, 3)]
    events = (await client.get("/sandbox/pos/events")).json()["items"]
    assert [(e["type"], e["storeCode"], e["productSku"], e["quantity"], e["seq"]) for e in events] == [
        ("STOCK_CHANGE", "STORE-NYC", "SKU-1002", 0, 2),
        ("STOCK_CHANGE", "STORE-NYC", "SKU-1002", 9, 3),
    ]
    assert all(e["id"].startswith("pos-evt-") for e in events)
    assert len({e["id"] for e in events}) == 2
    assert (await client.get("/sandbox/wms/events")).json() == {"items": []}


async def test_stock_control_at_a_new_location_starts_at_sequence_one(client: httpx.AsyncClient) -> None:
    response = await client.post("/sandbox/wms/stock", json={"sku": "SKU-1004", "location": "DC-EAST", "on_hand": 12})

    assert response.json()["sequence"] == 1
    rows = (await client.get(WMS_INVENTORY, params={"item_code": "SKU-1004"})).json()["data"]
    assert [(r["warehouse_id"], r["on_hand"]) for r in rows] == [("DC-EAST", 12)]


async def test_concurrent_changes_get_distinct_sequences(client: httpx.AsyncClient) -> None:
    changes = [
        client.post("/sandbox/wms/stock", json={"sku": "SKU-1003", "location": "DC-EAST", "on_hand": n})
        for n in range(20)
    ]
    responses = await asyncio.gather(*changes)

    assert sorted(r.json()["sequence"] for r in responses) == list(range(2, 22))
    events = (await client.get("/sandbox/wms/events")).json()["items"]
    assert sorted(e["payload"]["sequence"] for e in events) == list(range(2, 22))


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"sku": "SKU-1001", "location": "MARS-1", "on_hand": 1}, ["location"]),
        ({"sku": "SKU-1001", "location": "DC-EAST", "on_hand": -1}, ["on_hand"]),
        ({"sku": "SKU-1001", "location": "DC-EAST", "on_hand": 1.5}, ["on_hand"]),
        ({"sku": "SKU-1001", "location": "DC-EAST", "on_hand": "3"}, ["on_hand"]),
        ({"sku": "SKU-1001", "location": "DC-EAST", "on_hand": True}, ["on_hand"]),
        ({"location": "DC-EAST"}, ["sku", "on_hand"]),
        ({"sku": "SKU-1001", "location": "DC-EAST", "on_hand": 1, "extra": 1}, ["extra"]),
    ],
)
async def test_stock_control_rejects_bad_input(
    client: httpx.AsyncClient, body: dict[str, object], fields: list[str]
) -> None:
    response = await client.post("/sandbox/wms/stock", json=body)

    assert response.status_code == 422
    assert response.json()["error"] == "validation_failed"
    assert sorted(e["field"] for e in response.json()["errors"]) == sorted(fields)
    assert (await client.get("/sandbox/wms/events")).json() == {"items": []}


async def test_stock_control_rejects_a_body_that_is_not_an_object(client: httpx.AsyncClient) -> None:
    malformed = await client.post("/sandbox/wms/stock", content=b"{not json")
    a_list = await client.post("/sandbox/wms/stock", json=[1, 2])

    assert (malformed.status_code, malformed.json()["code"]) == (400, "malformed_json")
    assert a_list.status_code == 422
