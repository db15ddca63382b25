"""A Shopify order's return through the whole one-process hub, on the embedded default and on
PostgreSQL: the order comes in by the sandbox shop's ``orders/create`` webhook, ships (sandbox
WMS), is returned, and the money goes back on Shopify, once, as the saga's last step."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from shared.db.engine import create_engine, dispose
from shared.db.tables import orders
from system_apis.sandbox.shopify.orders import SHOP_DOMAIN
from tests.commerce_hub.orders_support import until, wait_status
from tests.commerce_hub.test_returns import any_hub, ask_return, pg_hub, view, wait_refund  # noqa: F401 - fixtures
from tests.gateway.support import create_key

SCOPES = ("orders:read", "returns:write", "returns:read")
SHOP = f"shopify:{SHOP_DOMAIN}"
"""A Shopify order belongs to the consumer ``shopify:<shop>`` and no customer: only that consumer's
keys see it (a guest order; ``customers:any`` is no exception, docs/security.md)."""


@pytest.fixture
async def db(any_hub):  # noqa: ANN001, ANN201
    engine = create_engine(any_hub.app.settings.database_url)
    yield engine
    await dispose(engine)


async def shipped_shopify_order(hub, db, headers: dict, *lines: tuple[str, int, str]) -> tuple[str, str]:  # noqa: ANN001
    """A paid order made in the sandbox shop, captured by the hub and shipped; (hub order id, Shopify id)."""
    made = await hub.http.post("/sandbox/shopify/orders", json={
        "line_items": [{"sku": s, "quantity": q, "price": p} for s, q, p in lines]})
    assert made.status_code == 201, made.text
    ref = str(made.json()["order"]["id"])

    async def captured() -> str | None:
        async with db.connect() as conn:
            return (await conn.execute(select(orders.c.order_id).where(orders.c.channel_order_ref == ref))).scalar()

    order_id = await until(captured)
    await wait_status(hub.http, headers, order_id, "released")
    assert (await hub.http.post("/sandbox/wms/ship", json={"order_id": order_id})).status_code == 200
    await wait_status(hub.http, headers, order_id, "shipped")
    return order_id, ref


async def test_a_shopify_order_is_refunded_on_shopify_once(any_hub, db) -> None:  # noqa: ANN001
    hub = any_hub
    headers = {"X-API-Key": (await create_key(hub, *SCOPES, consumer=SHOP))["key"]}
    order_id, ref = await shipped_shopify_order(hub, db, headers, ("SKU-1001", 2, "129.00"), ("SKU-1002", 1, "24.50"))

    asked = await ask_return(hub.http, headers, order_id, ("SKU-1001", 1, "not_needed"))
    assert asked.status_code == 201, asked.text
    rma = asked.json()
    assert (rma["status"], rma["refund"]) == ("authorized", {"amount": "129.00", "currency": "USD", "status": "pending",
                                                            "method": "channel"})
    issued = await wait_refund(hub.http, headers, rma["rma_id"], "issued")

    (refund,) = await view(hub.http, "/sandbox/shopify/refunds", order_id=ref)
    assert (refund["amount"], refund["currency"], refund["note"]) == ("129.00", "USD", f"hub {rma['rma_id']}")
    assert refund["line_items"] == [{"sku": "SKU-1001", "quantity": 1}]
    assert issued["history"][-1]["detail"] == f"refund {refund['id']} issued"
    assert [h["refund_status"] for h in issued["history"]][-2:] == ["pending", "issued"]
    (memo,) = await view(hub.http, "/sandbox/erp/credit-memos", external_ref=rma["rma_id"])
    assert (memo["status"], memo["amount"]) == ("open", "129.00")
    assert await view(hub.http, "/sandbox/payments/refunds", authorization_id=f"shopify:{ref}") == []


async def test_a_refund_shopify_refuses_is_undone_and_reported_failed(any_hub, db) -> None:  # noqa: ANN001
    hub = any_hub
    headers = {"X-API-Key": (await create_key(hub, *SCOPES, consumer=SHOP))["key"]}
    order_id, ref = await shipped_shopify_order(hub, db, headers, ("SKU-1002", 2, "24.50"))
    # The shop gives back part of the money by itself first: the hub's refund is now too much.
    api = f"/sandbox/shopify/admin/api/2024-10/orders/{ref}/refunds.json"
    by_hand = await hub.http.post(api, headers={"X-Shopify-Access-Token": "shpat_test"}, json={"refund": {
        "note": "goodwill", "transactions": [{"kind": "refund", "amount": "10.00"}]}})
    assert by_hand.status_code == 201, by_hand.text

    asked = await ask_return(hub.http, headers, order_id, ("SKU-1002", 2, "not_needed"))
    assert asked.status_code == 201 and asked.json()["refund"]["method"] == "channel", asked.text
    rma = asked.json()
    failed = await wait_refund(hub.http, headers, rma["rma_id"], "failed")

    assert failed["refund"]["reason"] == "payment_refund: backend_error: SHOPIFY answered 422"
    assert "the WMS no longer expects the return" in [h["detail"] for h in failed["history"]]
    assert [r["note"] for r in await view(hub.http, "/sandbox/shopify/refunds", order_id=ref)] == ["goodwill"]
    (memo,) = await view(hub.http, "/sandbox/erp/credit-memos", external_ref=rma["rma_id"])
    assert memo["status"] == "void"
