"""CloudERP sandbox: seed data, 404 shapes and the price control."""

from __future__ import annotations

import re

import httpx
import pytest

API = "/sandbox/erp/api/v1"
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")


async def test_item_has_vendor_shape_and_seed_values(client: httpx.AsyncClient) -> None:
    response = await client.get(f"{API}/items/SKU-1001")

    assert response.status_code == 200
    body = response.json()
    assert RFC3339.match(body.pop("lastModified"))
    assert body == {
        "itemId": "SKU-1001",
        "displayName": "Cordless Drill 18V",
        "basePrice": "129.00",
        "currencyCode": "USD",
        "itemStatus": "ACTIVE",
        "finalSale": False,
        "quantityPricing": [{"minQuantity": 10, "unitPrice": "119.00"}],
    }


@pytest.mark.parametrize(
    ("sku", "name", "price", "status", "final_sale"),
    [
        ("SKU-1002", "Drill Bit Set 20pc", "24.50", "ACTIVE", False),
        ("SKU-1003", "Safety Glasses", "8.75", "ACTIVE", True),
        ("SKU-1004", "Work Light LED", "49.00", "DISCONTINUED", False),
    ],
)
async def test_other_seed_items(
    client: httpx.AsyncClient, sku: str, name: str, price: str, status: str, final_sale: bool
) -> None:
    body = (await client.get(f"{API}/items/{sku}")).json()

    assert (body["displayName"], body["basePrice"], body["itemStatus"], body["finalSale"]) == (
        name,
        price,
        status,
        final_sale,
    )
    assert body["quantityPricing"] == []


async def test_item_list_is_sorted_and_paged(client: httpx.AsyncClient) -> None:
    full = (await client.get(f"{API}/items")).json()
    page = (await client.get(f"{API}/items", params={"offset": 1, "limit": 2})).json()

    assert [i["itemId"] for i in full["items"]] == ["SKU-1001", "SKU-1002", "SKU-1003", "SKU-1004"]
    assert (full["offset"], full["limit"], full["totalResults"], full["hasMore"]) == (0, 100, 4, False)
    assert [i["itemId"] for i in page["items"]] == ["SKU-1002", "SKU-1003"]
    assert (page["offset"], page["limit"], page["totalResults"], page["hasMore"]) == (1, 2, 4, True)


@pytest.mark.parametrize(
    ("customer_id", "name", "limit", "hold"),
    [
        ("CUST-ACME", "Acme Corp", "5000.00", False),
        ("CUST-BOLT", "Bolt Industries", "500.00", False),
        ("CUST-HOLD", "Hold & Co", "1000.00", True),
    ],
)
async def test_seed_customers(client: httpx.AsyncClient, customer_id: str, name: str, limit: str, hold: bool) -> None:
    response = await client.get(f"{API}/customers/{customer_id}")

    assert response.status_code == 200
    assert response.json() == {
        "customerId": customer_id,
        "companyName": name,
        "terms": "NET30",
        "creditLimit": limit,
        "creditHold": hold,
        "currencyCode": "USD",
    }


async def test_contract_prices(client: httpx.AsyncClient) -> None:
    acme = (await client.get(f"{API}/customers/CUST-ACME/item-prices")).json()
    bolt = (await client.get(f"{API}/customers/CUST-BOLT/item-prices")).json()

    assert acme == {"customerId": "CUST-ACME", "itemPrices": [{"itemId": "SKU-1001", "unitPrice": "99.00"}]}
    assert bolt == {"customerId": "CUST-BOLT", "itemPrices": []}


@pytest.mark.parametrize(
    "path", ["/items/SKU-9999", "/customers/CUST-NOPE", "/customers/CUST-NOPE/item-prices"]
)
async def test_unknown_record_is_404_rcrd_dsnt_exist(client: httpx.AsyncClient, path: str) -> None:
    response = await client.get(f"{API}{path}")

    assert response.status_code == 404
    error = response.json()["error"]
    assert error["code"] == "RCRD_DSNT_EXIST"
    assert isinstance(error["message"], str) and error["message"]


async def test_price_control_changes_item_and_announces(client: httpx.AsyncClient) -> None:
    response = await client.put("/sandbox/erp/items/SKU-1002/price", json={"list_price": "27.5"})

    assert response.status_code == 200
    assert response.json()["basePrice"] == "27.50"
    item = (await client.get(f"{API}/items/SKU-1002")).json()
    assert item["basePrice"] == "27.50"
    events = (await client.get("/sandbox/erp/events")).json()["items"]
    assert len(events) == 1
    event = events[0]
    assert event["eventId"].startswith("erp-evt-")
    assert event["eventType"] == "item.price.changed"
    assert event["occurredAt"] == item["lastModified"]
    assert event["record"] == {"itemId": "SKU-1002", "basePrice": "27.50", "currencyCode": "USD"}


async def test_price_control_unknown_sku_is_404(client: httpx.AsyncClient) -> None:
    response = await client.put("/sandbox/erp/items/SKU-9999/price", json={"list_price": "10.00"})

    assert response.status_code == 404
    assert response.json()["error"] == "not_found"
    assert (await client.get("/sandbox/erp/events")).json() == {"items": []}


@pytest.mark.parametrize(
    "body", [{"list_price": "0.00"}, {"list_price": "-1"}, {"list_price": 135}, {"list_price": "abc"}, {}]
)
async def test_price_control_rejects_bad_input(client: httpx.AsyncClient, body: dict[str, object]) -> None:
    response = await client.put("/sandbox/erp/items/SKU-1001/price", json=body)

    assert response.status_code == 422
    assert response.json()["error"] == "validation_failed"
    assert [e["field"] for e in response.json()["errors"]] == ["list_price"]
    assert (await client.get(f"{API}/items/SKU-1001")).json()["basePrice"] == "129.00"


async def test_customer_controls_announce_the_change(client: httpx.AsyncClient) -> None:
    held = await client.put("/sandbox/erp/customers/CUST-ACME/credit", json={"credit_hold": True})
    assert held.status_code == 200 and held.json()["creditHold"] is True
    priced = await client.put("/sandbox/erp/customers/CUST-ACME/item-prices/SKU-1002", json={"unit_price": "21.00"})
    assert priced.status_code == 200
    events = (await client.get("/sandbox/erp/events")).json()["items"]
    assert [(e["eventType"], e["record"]) for e in events] == [
        ("customer.updated", {"customerId": "CUST-ACME"}),
        ("customer.itemPrices.updated", {"customerId": "CUST-ACME"})]


@pytest.mark.parametrize(("path", "body", "status"), [
    ("customers/CUST-NONE/credit", {"credit_hold": True}, 404),
    ("customers/CUST-ACME/credit", {"credit_limit": "-1"}, 422),
    ("customers/CUST-ACME/credit", {"hold": True}, 422),
    ("customers/CUST-ACME/item-prices/SKU-9999", {"unit_price": "1.00"}, 404),
    ("customers/CUST-NONE/item-prices/SKU-1001", {"unit_price": "1.00"}, 404),
    ("customers/CUST-ACME/item-prices/SKU-1001", {"unit_price": "abc"}, 422),
])
async def test_customer_controls_refuse_bad_input(client: httpx.AsyncClient, path: str, body: dict,
                                                  status: int) -> None:
    assert (await client.put(f"/sandbox/erp/{path}", json=body)).status_code == status
