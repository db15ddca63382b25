"""Shopify `orders/create` webhooks through the whole hub: signed, deduplicated, captured by a
worker through the same order capture, shipped, and fulfilled back on Shopify."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import uuid

import pytest
from sqlalchemy import func, select

from shared.db.engine import create_engine, dispose
from shared.db.tables import orders, outbox
from shared.settings import SANDBOX_SECRETS
from tests.commerce_hub.orders_support import erp_sales_orders, until


@pytest.fixture
async def db(hub):  # noqa: ANN001, ANN201
    engine = create_engine(hub.app.settings.database_url)
    yield engine
    await dispose(engine)


async def hub_orders(db, ref: str) -> list:  # noqa: ANN001
    async with db.connect() as conn:
        return (await conn.execute(select(orders).where(orders.c.channel_order_ref == ref))).all()


async def queue_empty(db) -> bool:  # noqa: ANN001
    async with db.connect() as conn:
        return (await conn.execute(select(func.count()).select_from(outbox))).scalar_one() == 0


def signed(body: bytes, secret: str = SANDBOX_SECRETS["shopify"], webhook_id: str | None = None) -> dict:
    digest = base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()
    return {"X-Shopify-Topic": "orders/create", "X-Shopify-Hmac-Sha256": digest,
            "X-Shopify-Webhook-Id": webhook_id or str(uuid.uuid4()), "X-Shopify-Shop-Domain": "test.myshopify.com",
            "X-Shopify-Triggered-At": "2026-11-23T10:00:00Z", "Content-Type": "application/json"}


def shopify_order(order_id: int, sku: str = "SKU-1003", quantity: int = 2, price: str = "8.75") -> bytes:
    return json.dumps({"id": order_id, "name": f"#{order_id}", "email": "b@example.com", "currency": "USD",
                       "total_price": f"{float(price) * quantity:.2f}", "subtotal_price": f"{float(price) * quantity:.2f}",
                       "financial_status": "paid", "created_at": "2026-11-23T10:00:00Z",
                       "line_items": [{"id": 1, "sku": sku, "quantity": quantity, "price": price, "title": "x"}]}).encode()


async def test_a_shopify_order_is_captured_shipped_and_fulfilled_on_shopify(hub, db) -> None:
    made = await hub.http.post("/sandbox/shopify/orders", json={"line_items": [
        {"sku": "SKU-1001", "quantity": 1, "price": "129.00"}]})
    assert made.status_code == 201, made.text
    ref = str(made.json()["order"]["id"])
    sales = await until(lambda: _sales_by_ref(hub, ref))
    assert sales[0]["lines"][0]["quantity"] == 1
    [row] = await hub_orders(db, ref)
    assert row.channel == "shopify"

    async def released() -> bool:
        return (await hub_orders(db, ref))[0].status == "released"

    await until(released)
    assert (await hub.http.post("/sandbox/wms/ship", json={"order_id": row.order_id})).status_code in (200, 201)

    async def fulfilled() -> list:
        return (await hub.http.get("/sandbox/shopify/fulfillments", params={"order_id": ref})).json()["items"]

    [fulfilment] = await until(fulfilled)
    assert fulfilment["tracking_number"] and fulfilment["line_items"] == [{"sku": "SKU-1001", "quantity": 1}]


async def _sales_by_ref(hub, ref: str) -> list:  # noqa: ANN001
    return (await hub.http.get("/sandbox/erp/sales-orders", params={"channel_order_ref": ref})).json()["items"]


async def test_the_same_webhook_twice_at_once_makes_one_order(hub, db) -> None:
    body = shopify_order(7000000001)
    headers = signed(body, webhook_id="wh-dup-1")
    first, second = await asyncio.gather(*(hub.http.post("/hooks/shopify", content=body, headers=headers)
                                           for _ in range(2)))
    assert {first.status_code, second.status_code} == {200}
    assert sorted([first.json()["status"], second.json()["status"]]) == ["accepted", "duplicate"]
    again = await hub.http.post("/hooks/shopify", content=body, headers=headers)
    assert again.json()["status"] == "duplicate"
    await until(lambda: queue_empty(db))
    assert len(await hub_orders(db, "7000000001")) == 1
    assert len(await _sales_by_ref(hub, "7000000001")) == 1


async def test_the_same_order_under_a_new_webhook_id_is_still_one_order(hub, db) -> None:
    body = shopify_order(7000000002)
    for _ in range(2):
        assert (await hub.http.post("/hooks/shopify", content=body, headers=signed(body))).status_code == 200
    await until(lambda: queue_empty(db))
    assert len(await hub_orders(db, "7000000002")) == 1


async def test_sandbox_redelivery_is_deduplicated(hub, db) -> None:
    made = (await hub.http.post("/sandbox/shopify/orders", json={"line_items": [
        {"sku": "SKU-1003", "quantity": 1, "price": "8.75"}]})).json()
    ref = str(made["order"]["id"])
    await until(lambda: hub_orders(db, ref))
    redelivered = await hub.http.post(f"/sandbox/shopify/orders/{ref}/redeliver")
    assert redelivered.status_code == 200 and redelivered.json()["webhook_id"] == made["webhook_id"]
    await until(lambda: queue_empty(db))
    assert len(await hub_orders(db, ref)) == 1


async def test_a_bad_signature_is_401_and_stores_nothing(hub, db) -> None:
    body = shopify_order(7000000003)
    forged = await hub.http.post("/hooks/shopify", content=body, headers=signed(body, secret="not-the-secret"))
    assert forged.status_code == 401 and forged.json()["code"] == "unauthorized"
    unsigned = await hub.http.post("/hooks/shopify", content=body,
                                   headers={**signed(body), "X-Shopify-Hmac-Sha256": ""})
    assert unsigned.status_code == 401
    assert await queue_empty(db) and await hub_orders(db, "7000000003") == []


async def test_a_shopify_order_the_hub_cannot_fill_is_kept_on_hold(hub, db) -> None:
    body = shopify_order(7000000004, sku="SKU-1002", quantity=50, price="24.50")
    assert (await hub.http.post("/hooks/shopify", content=body, headers=signed(body))).status_code == 200
    await until(lambda: hub_orders(db, "7000000004"))
    [row] = await hub_orders(db, "7000000004")
    assert (row.status, row.hold_reason) == ("on_hold", "insufficient_stock")


async def test_a_malformed_order_is_400(hub) -> None:
    body = b'{"id": "not an order"}'
    response = await hub.http.post("/hooks/shopify", content=body, headers=signed(body))
    assert response.status_code == 400 and response.json()["code"] == "malformed_event"
