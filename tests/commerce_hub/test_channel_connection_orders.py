"""Orders in from a declared channel connection (hub.toml ``[connections.<name>]``): WooCommerce's
own signed webhook at ``/hooks/channels/woo-us``, Magento's orders polled; each captured once under
redeliveries (repeated polls) and an ERP outage, and when shipped fulfilled back on its platform."""

from __future__ import annotations

from contextlib import AsyncExitStack
from pathlib import Path

import pytest
from sqlalchemy import select

from shared.db.engine import create_engine, dispose
from shared.db.tables import orders
from system_apis.woocommerce.webhooks import signature
from tests.commerce_hub.orders_support import until
from tests.conftest import make_settings, start_hub

SECRET = "woo-us-webhook-secret-0123456789"


POLLED = ("magento", "amazon")


@pytest.mark.parametrize("kind", ["woocommerce", "magento", "bigcommerce", "amazon"])
async def test_a_platform_order_reaches_the_erp_once_and_is_fulfilled_back(sqlite_url: str, tmp_path: Path,
                                                                           kind: str) -> None:
    secret_file = tmp_path / "shop.secret"
    secret_file.write_text(SECRET)
    conn = {"kind": kind, "webhook_secret_file": str(secret_file)} if kind not in POLLED else {"kind": kind}
    engine = create_engine(sqlite_url)
    async with AsyncExitStack() as stack:
        stack.push_async_callback(dispose, engine)
        hub = await start_hub(stack, make_settings(sqlite_url, connections={"shop-x": conn},
                                                   channel_poll_seconds=0.1))

        async def hub_orders(ref: str) -> list:
            async with engine.connect() as conn:
                return (await conn.execute(select(orders).where(orders.c.channel_order_ref == ref))).all()

        async def erp_sales(ref: str) -> list:
            return (await hub.http.get("/sandbox/erp/sales-orders", params={"channel_order_ref": ref})).json()["items"]

        assert (await hub.http.put("/sandbox/erp/faults", json={"outage": True})).status_code == 200
        made = await hub.http.post(f"/sandbox/{kind}/orders", json={"line_items": [
            {"sku": "SKU-1001", "quantity": 1, "price": "129.00"}]})
        assert made.status_code == 201, made.text
        ref = str(made.json()["order"]["id"])
        if kind not in POLLED:  # a polled order's repeat is the next poll's (created_at / LastUpdateDate >= cursor)
            assert (await hub.http.post(f"/sandbox/{kind}/orders/{ref}/redeliver")).status_code == 200
        [row] = await until(lambda: hub_orders(ref))
        assert row.channel == "shop-x"
        assert (await hub.http.delete("/sandbox/erp/faults")).status_code == 200
        await until(lambda: erp_sales(ref))
        if kind not in POLLED:
            await hub.http.post(f"/sandbox/{kind}/orders/{ref}/redeliver")

        async def released() -> bool:
            return (await hub_orders(ref))[0].status == "released"

        await until(released)
        assert len(await erp_sales(ref)) == 1 and len(await hub_orders(ref)) == 1
        assert (await hub.http.post("/sandbox/wms/ship", json={"order_id": row.order_id})).status_code in (200, 201)

        async def fulfilled() -> list:
            return (await hub.http.get(f"/sandbox/{kind}/fulfillments", params={"order_id": ref})).json()["items"]

        [made_back] = await until(fulfilled)
        assert len(await erp_sales(ref)) == 1 and len(await hub_orders(ref)) == 1
    if kind == "woocommerce":
        assert made_back["status"] == "completed" and "SKU-1001" in made_back["note"]
    elif kind == "magento":
        assert made_back["tracks"][0]["track_number"] and made_back["comments"][0]["comment"].startswith("Shipped")
    elif kind == "amazon":  # confirmShipment: one package, its reference fixed by the hub's key
        assert made_back["trackingNumber"] and list(made_back["items"].values()) == [1]
    else:
        assert made_back["tracking_number"] and made_back["items"][0]["quantity"] == 1


async def test_a_channel_hook_wants_its_own_connections_signature(sqlite_url: str, tmp_path: Path) -> None:
    secret_file = tmp_path / "woo-us.secret"
    secret_file.write_text(SECRET)
    woo = {"kind": "woocommerce", "webhook_secret_file": str(secret_file)}
    body = b'{"id": 8001, "total": "1.10", "line_items": [{"id": 1, "sku": "SKU-1003", "quantity": 1, "price": 1.1}]}'
    headers = {"X-WC-Webhook-Topic": "order.created", "Content-Type": "application/json"}
    async with AsyncExitStack() as stack:
        hub = await start_hub(stack, make_settings(sqlite_url, connections={"woo-us": woo}))
        forged = await hub.http.post("/hooks/channels/woo-us", content=body, headers={
            **headers, "X-WC-Webhook-Signature": signature("sandbox-woocommerce-secret", body).decode()})
        unknown = await hub.http.post("/hooks/channels/nope", content=body, headers=headers)
        ping = await hub.http.post("/hooks/channels/woo-us", content=b"webhook_id=1", headers={
            "X-WC-Webhook-Signature": signature(SECRET, b"webhook_id=1").decode()})
        good = {**headers, "X-WC-Webhook-Signature": signature(SECRET, body).decode()}
        first = await hub.http.post("/hooks/channels/woo-us", content=body, headers=good)
        again = await hub.http.post("/hooks/channels/woo-us", content=body, headers=good)
        bad = await hub.http.post("/hooks/channels/woo-us", content=b"[1]", headers={
            **headers, "X-WC-Webhook-Signature": signature(SECRET, b"[1]").decode()})

    assert forged.status_code == 401 and unknown.status_code == 404
    assert ping.status_code == 200 and ping.json()["status"] == "ignored"
    assert (first.json()["status"], again.json()["status"]) == ("accepted", "duplicate")
    assert bad.status_code == 400 and bad.json()["code"] == "malformed_event"


async def test_a_thin_webhook_with_its_store_down_is_503_and_taken_on_the_retry(sqlite_url: str,
                                                                              tmp_path: Path) -> None:
    from system_apis.bigcommerce.webhooks import signature as big_signature

    secret_file = tmp_path / "big.secret"
    secret_file.write_text(SECRET)
    big = {"kind": "bigcommerce", "webhook_secret_file": str(secret_file)}
    async with AsyncExitStack() as stack:
        hub = await start_hub(stack, make_settings(sqlite_url, connections={"big-us": big}))
        await hub.http.put("/sandbox/bigcommerce/faults", json={"outage": True})
        body = b'{"scope": "store/order/created", "store_id": "1", "data": {"type": "order", "id": 100}}'
        headers = {"webhook-id": "msg_1", "webhook-timestamp": "1700000000",
                   "webhook-signature": big_signature(SECRET, "msg_1", "1700000000", body)}
        down = await hub.http.post("/hooks/channels/big-us", content=body, headers=headers)
        await hub.http.delete("/sandbox/bigcommerce/faults")
        unknown = await hub.http.post("/hooks/channels/big-us", content=body, headers=headers)
        made = await hub.http.post("/sandbox/bigcommerce/orders", json={"line_items": [
            {"sku": "SKU-1003", "quantity": 1, "price": "1.10"}]})
        body = body.replace(b'"id": 100', f'"id": {made.json()["order"]["id"]}'.encode())
        headers["webhook-signature"] = big_signature(SECRET, "msg_1", "1700000000", body)
        taken = await hub.http.post("/hooks/channels/big-us", content=body, headers=headers)

    assert down.status_code == 503, down.text
    assert unknown.status_code == 400 and unknown.json()["code"] == "malformed_event"
    assert taken.status_code == 200 and taken.json()["status"] in ("accepted", "duplicate")
