"""Returns through the whole one-process hub (issue 5), on the embedded default and on
PostgreSQL: order -> ship (sandbox WMS) -> return -> refund issued -> receive -> stock back,
and every refusal over HTTP, for storefront, mobile and partner.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack

import httpx
import pytest

from shared.db.migrate import upgrade
from tests.commerce_hub.orders_support import ACME_ORDER, GUEST_ORDER, key, until, wait_status
from tests.conftest import ADMIN_KEY, Hub, _pg_admin, make_settings, start_hub

ADMIN = {"X-API-Key": ADMIN_KEY}
SCOPES = ("orders:write", "orders:read", "returns:write", "returns:read")
"""Not ``catalog:read``: the gateway caches every GET of a storefront or mobile key holding it,
order and return answers included (reported); stock is read with a key of its own."""


def card_order(quantity: int = 2) -> dict:
    """CUST-ACME buys drills (99.00 each, its contract price) paying by card."""
    return {**ACME_ORDER, "lines": [{"sku": "SKU-1001", "quantity": quantity, "unit_price": "99.00"}],
            "payment": {"method": "card", "authorization_id": "pay_auth_123", "amount": f"{99 * quantity}.00"}}


async def shipped_order(hub, headers: dict, order: dict | None = None, prefix: str = "/v1/storefront") -> str:  # noqa: ANN001
    placed = await hub.http.post(f"{prefix}/orders", json=order or card_order(), headers={**headers, **key()})
    assert placed.status_code == 201, placed.text
    order_id = placed.json()["order_id"]
    await wait_status(hub.http, headers, order_id, "released", prefix=prefix)
    assert (await hub.http.post("/sandbox/wms/ship", json={"order_id": order_id})).status_code == 200
    await wait_status(hub.http, headers, order_id, "shipped", prefix=prefix)
    return order_id


async def ask_return(http: httpx.AsyncClient, headers: dict, order_id: str, *lines: tuple[str, int, str],
                     prefix: str = "/v1/storefront", idempotency: dict | None = None) -> httpx.Response:
    body = {"order_id": order_id, "lines": [{"sku": s, "quantity": q, "reason": r} for s, q, r in lines]}
    return await http.post(f"{prefix}/returns", json=body, headers={**headers, **(idempotency or key())})


async def wait_refund(http: httpx.AsyncClient, headers: dict, rma_id: str, status: str, timeout: float = 20.0,
                      prefix: str = "/v1/storefront") -> dict:
    async def reached() -> dict | None:
        got = (await http.get(f"{prefix}/returns/{rma_id}", headers=headers)).json()
        return got if got["refund"]["status"] == status else None

    return await until(reached, timeout)


async def view(http: httpx.AsyncClient, path: str, **params: str) -> list[dict]:
    response = await http.get(path, params=params)
    assert response.status_code == 200, response.text
    return response.json()["items"]


async def available(hub, sku: str) -> int:  # noqa: ANN001
    """The storefront's available quantity, as the WMS reports it (the cache drops it on a change)."""
    if not hasattr(hub, "catalog_key"):
        hub.catalog_key = await hub.new_key("catalog:read")
    response = await hub.http.get(f"/v1/storefront/products/{sku}", headers={"X-API-Key": hub.catalog_key})
    assert response.status_code == 200, response.text
    return response.json()["available_quantity"]


@pytest.fixture
async def pg_hub(pg_url: str) -> AsyncIterator[Hub]:
    """The one-process hub on a PostgreSQL database of its own (not the session's shared one):
    each hub starts a fresh sandbox whose WMS numbers shipments from SHP-100001 again, and the
    hub records a shipment id once, so a second sandbox's first shipment would be taken for the
    first one's (reported)."""
    name = f"hub_test_{secrets.token_hex(4)}"
    await _pg_admin(f'CREATE DATABASE "{name}"')
    url = pg_url.rsplit("/", 1)[0] + f"/{name}"
    try:
        await asyncio.to_thread(upgrade, url)
        async with AsyncExitStack() as stack:
            yield await start_hub(stack, make_settings(url))
    finally:
        await _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["hub", "pg_hub"])
def any_hub(request):  # noqa: ANN001, ANN201
    return request.getfixturevalue(request.param)


async def test_return_one_item_refund_issued_and_stock_back(any_hub) -> None:
    hub = any_hub
    headers = {"X-API-Key": await hub.new_key(*SCOPES, customer="CUST-ACME")}
    order_id = await shipped_order(hub, headers)
    before = await available(hub, "SKU-1001")
    asked = await ask_return(hub.http, headers, order_id, ("SKU-1001", 1, "not_needed"))
    assert asked.status_code == 201, asked.text
    rma = asked.json()
    assert asked.headers["location"] == f"/v1/storefront/returns/{rma['rma_id']}"
    assert (rma["status"], rma["refund"]) == ("authorized", {"amount": "99.00", "currency": "USD", "status": "pending",
                                                            "method": "card"})
    assert rma["lines"] == [{"sku": "SKU-1001", "quantity": 1, "reason": "not_needed", "decision": "approved",
                             "refund_amount": "99.00", "disposition": "restock", "received_quantity": 0}]
    issued = await wait_refund(hub.http, headers, rma["rma_id"], "issued")
    assert [h["refund_status"] for h in issued["history"]][-1] == "issued"
    refunds = await view(hub.http, "/sandbox/payments/refunds", authorization_id="pay_auth_123")
    assert [(r["amount"], r["status"]) for r in refunds] == [("99.00", "succeeded")]
    (memo,) = await view(hub.http, "/sandbox/erp/credit-memos", external_ref=rma["rma_id"])
    assert (memo["status"], memo["amount"], memo["order_ref"]) == ("open", "99.00", order_id)

    received = await hub.http.post("/sandbox/wms/receive", json={"rma_id": rma["rma_id"]})
    assert received.status_code == 200, received.text

    async def back_in_stock() -> bool:
        return await available(hub, "SKU-1001") == before + 1

    await until(back_in_stock)

    async def recorded() -> bool:
        got = (await hub.http.get(f"/v1/storefront/returns/{rma['rma_id']}", headers=headers)).json()
        return got["lines"][0]["received_quantity"] == 1

    await until(recorded)


async def test_damaged_goods_wait_for_inspection_before_they_are_stock(hub) -> None:
    headers = {"X-API-Key": await hub.new_key(*SCOPES, customer="CUST-ACME")}
    order_id = await shipped_order(hub, headers)
    rma = (await ask_return(hub.http, headers, order_id, ("SKU-1001", 2, "damaged"))).json()
    assert rma["lines"][0]["disposition"] == "inspect"
    await wait_refund(hub.http, headers, rma["rma_id"], "issued")
    before = await available(hub, "SKU-1001")
    assert (await hub.http.post("/sandbox/wms/receive", json={"rma_id": rma["rma_id"]})).status_code == 200

    async def received() -> dict | None:
        got = (await hub.http.get(f"/admin/v1/returns/{rma['rma_id']}", headers=ADMIN)).json()
        return got if got["lines"][0]["received_quantity"] == 2 else None

    await until(received)
    assert await available(hub, "SKU-1001") == before  # quarantined, not stock
    inspected = await hub.http.post(f"/admin/v1/returns/{rma['rma_id']}/inspection", headers=ADMIN,
                                    json={"sku": "SKU-1001", "result": "restock", "quantity": 1})
    assert inspected.status_code == 202, inspected.text
    assert inspected.json()["lines"][0]["restocked_quantity"] == 1

    async def one_back() -> bool:
        return await available(hub, "SKU-1001") == before + 1

    await until(one_back)
    scrapped = await hub.http.post(f"/admin/v1/returns/{rma['rma_id']}/inspection", headers=ADMIN,
                                   json={"sku": "SKU-1001", "result": "scrap"})
    assert scrapped.status_code == 202 and scrapped.json()["lines"][0]["scrapped_quantity"] == 1
    nothing = await hub.http.post(f"/admin/v1/returns/{rma['rma_id']}/inspection", headers=ADMIN,
                                  json={"sku": "SKU-1001", "result": "scrap"})
    assert nothing.status_code == 409 and nothing.json()["code"] == "nothing_to_inspect"


async def test_above_the_threshold_an_operator_approves_then_the_saga_runs(any_hub) -> None:
    hub = any_hub
    headers = {"X-API-Key": await hub.new_key(*SCOPES, customer="CUST-ACME")}
    order_id = await shipped_order(hub, headers, card_order(6))  # 594.00
    rma = (await ask_return(hub.http, headers, order_id, ("SKU-1001", 6, "wrong_item"))).json()
    assert (rma["status"], rma["refund"]["status"]) == ("pending_review", "pending")
    denied = await hub.http.post(f"/admin/v1/returns/{rma['rma_id']}/approve", headers=headers)
    assert denied.status_code == 403
    approved = await hub.http.post(f"/admin/v1/returns/{rma['rma_id']}/approve", headers=ADMIN)
    assert approved.status_code == 200 and approved.json()["status"] == "authorized", approved.text
    await wait_refund(hub.http, headers, rma["rma_id"], "issued")
    refunds = await view(hub.http, "/sandbox/payments/refunds", authorization_id="pay_auth_123")
    assert [r["amount"] for r in refunds] == ["594.00"]


async def test_an_operator_rejects_and_nothing_is_refunded(hub) -> None:
    headers = {"X-API-Key": await hub.new_key(*SCOPES, customer="CUST-ACME")}
    order_id = await shipped_order(hub, headers, card_order(6))
    rma = (await ask_return(hub.http, headers, order_id, ("SKU-1001", 6, "wrong_item"))).json()
    rejected = await hub.http.post(f"/admin/v1/returns/{rma['rma_id']}/reject", headers=ADMIN,
                                   json={"reason": "used, not resellable"})
    assert rejected.status_code == 200, rejected.text
    got = (await hub.http.get(f"/v1/storefront/returns/{rma['rma_id']}", headers=headers)).json()
    assert (got["status"], got["refund"]["status"]) == ("rejected", "not_applicable")
    assert got["lines"][0]["rejection_reason"] == "rejected_on_review"
    late = await hub.http.post(f"/admin/v1/returns/{rma['rma_id']}/approve", headers=ADMIN)
    assert late.status_code == 409 and late.json()["code"] == "return_not_pending_review"
    assert await view(hub.http, "/sandbox/payments/refunds", authorization_id="pay_auth_123") == []
    assert await view(hub.http, "/sandbox/erp/credit-memos", external_ref=rma["rma_id"]) == []


async def test_refusals_over_http(hub) -> None:
    headers = {"X-API-Key": await hub.new_key(*SCOPES, customer="CUST-ACME")}
    order_id = await shipped_order(hub, headers)
    missing = await hub.http.post("/v1/storefront/returns", headers=headers, json={
        "order_id": order_id, "lines": [{"sku": "SKU-1001", "quantity": 1, "reason": "other"}]})
    assert missing.status_code == 400 and missing.json()["code"] == "idempotency_key_missing"
    first = await ask_return(hub.http, headers, order_id, ("SKU-1001", 2, "not_needed"))
    assert first.status_code == 201
    again = await ask_return(hub.http, headers, order_id, ("SKU-1001", 1, "not_needed"))
    assert again.status_code == 422 and again.json()["code"] == "quantity_exceeds_returnable"
    assert again.json()["errors"][0]["field"] == "lines[0].quantity"
    unshipped = await hub.http.post("/v1/storefront/orders", json=card_order(1), headers={**headers, **key()})
    not_yet = await ask_return(hub.http, headers, unshipped.json()["order_id"], ("SKU-1001", 1, "other"))
    assert not_yet.status_code == 422 and not_yet.json()["code"] == "not_shipped"
    for body, code in (({"order_id": order_id, "lines": [{"sku": "SKU-1001", "quantity": 1, "reason": "meh"}]},
                        "validation_failed"),
                       ({"order_id": order_id, "lines": []}, "validation_failed")):
        bad = await hub.http.post("/v1/storefront/returns", json=body, headers={**headers, **key()})
        assert bad.status_code == 422 and bad.json()["code"] == code
    unknown = await ask_return(hub.http, headers, "ord_nope", ("SKU-1001", 1, "other"))
    assert unknown.status_code == 404 and unknown.json()["code"] == "unknown_order"


async def test_final_sale_items_are_rejected_lines(hub) -> None:
    headers = {"X-API-Key": await hub.new_key(*SCOPES)}
    order_id = await shipped_order(hub, headers, GUEST_ORDER)
    rma = await ask_return(hub.http, headers, order_id, ("SKU-1003", 1, "defective"))
    assert rma.status_code == 201
    body = rma.json()
    assert (body["status"], body["refund"]["status"], body["lines"][0]["rejection_reason"]) == (
        "rejected", "not_applicable", "final_sale")


async def test_idempotent_requests_and_one_return_from_identical_requests_at_once(any_hub) -> None:
    hub = any_hub
    headers = {"X-API-Key": await hub.new_key(*SCOPES, customer="CUST-ACME")}
    order_id = await shipped_order(hub, headers)
    same = key()
    answers = await asyncio.gather(*(ask_return(hub.http, headers, order_id, ("SKU-1001", 2, "other"), idempotency=same)
                                     for _ in range(5)))
    made = {a.json()["rma_id"] for a in answers if a.status_code == 201}
    assert len(made) == 1 and {a.status_code for a in answers} <= {201, 409}
    replay = await ask_return(hub.http, headers, order_id, ("SKU-1001", 2, "other"), idempotency=same)
    assert replay.status_code == 201 and replay.headers["idempotent-replayed"] == "true"
    assert replay.json()["rma_id"] in made
    reused = await ask_return(hub.http, headers, order_id, ("SKU-1001", 1, "other"), idempotency=same)
    assert reused.status_code == 422 and reused.json()["code"] == "idempotency_key_reused"
    other_keys = await asyncio.gather(*(ask_return(hub.http, headers, order_id, ("SKU-1001", 2, "other"))
                                        for _ in range(3)))
    assert {a.status_code for a in other_keys} == {422}  # the first return holds both drills
    await wait_refund(hub.http, headers, made.pop(), "issued")
    assert len(await view(hub.http, "/sandbox/payments/refunds", authorization_id="pay_auth_123")) == 1


async def test_mobile_and_partner_returns_and_other_customers(hub) -> None:
    mobile = hub.mobile(*SCOPES, customer="CUST-ACME")
    order_id = await shipped_order(hub, mobile, prefix="/v1/mobile")
    asked = await ask_return(hub.http, mobile, order_id, ("SKU-1001", 1, "other"), prefix="/v1/mobile")
    assert asked.status_code == 201 and asked.headers["location"].startswith("/v1/mobile/returns/")
    got = await hub.http.get(f"/v1/mobile/returns/{asked.json()['rma_id']}", headers=mobile)
    assert got.status_code == 200 and got.json()["history"][0]["status"] == "authorized"

    partner = {"X-API-Key": await hub.new_key(*SCOPES, customer="CUST-ACME", plan="partner")}
    second = await ask_return(hub.http, partner, order_id, ("SKU-1001", 1, "other"), prefix="/v1/partner")
    assert second.status_code == 201, second.text
    assert (await hub.http.get(f"/v1/partner/returns/{second.json()['rma_id']}", headers=partner)).status_code == 200
    unbound = {"X-API-Key": await hub.new_key("returns:write", "returns:read")}
    denied = await hub.http.get(f"/v1/partner/returns/{second.json()['rma_id']}", headers=unbound)
    assert denied.status_code == 403 and denied.json()["code"] == "customer_required"

    bolt = {"X-API-Key": await hub.new_key("returns:write", "returns:read", customer="CUST-BOLT")}
    assert (await hub.http.get(f"/v1/storefront/returns/{second.json()['rma_id']}", headers=bolt)).status_code == 404
    hidden = await ask_return(hub.http, bolt, order_id, ("SKU-1001", 1, "other"))
    assert hidden.status_code == 404
    reader = {"X-API-Key": await hub.new_key("returns:read", customer="CUST-ACME")}
    assert (await ask_return(hub.http, reader, order_id, ("SKU-1001", 1, "other"))).status_code == 403
