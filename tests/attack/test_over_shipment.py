"""Attack: forged or careless shipment confirmations over HTTP (issue 10, defect 2).

Whoever holds the WMS webhook secret (here the sandbox's published one, on a sandbox hub)
must not be able to turn a 24.50 order into a 122.50 refund: a signed ``shipment.confirmed``
for more than the order is answered 200 (the hook only queues) and then refused by the
worker, dead-lettered with ``over_shipment`` and counted; the return that would follow is
refused; a resend under a new shipment id is recognised; the money refunded never exceeds
the money paid.
"""

from __future__ import annotations

import hashlib
import hmac
import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack

import msgspec
import pytest

from shared.settings import SANDBOX_SECRETS
from tests.commerce_hub.orders_support import key, until, wait_status
from tests.conftest import ADMIN_KEY, Hub, make_settings, start_hub

ADMIN = {"X-API-Key": ADMIN_KEY}
SCOPES = ("orders:write", "orders:read", "returns:write", "returns:read")


@pytest.fixture
async def sandbox_hub(sqlite_url: str) -> AsyncIterator[Hub]:
    """A sandbox hub whose WMS ships only when told (no autoship), so the forged event comes first."""
    async with AsyncExitStack() as stack:
        yield await start_hub(stack, make_settings(sqlite_url, sandbox=True, sandbox_autoship_seconds=0))


def shipment_event(order_id: str, quantity: int, *, shipment_id: str, tracking: str = "1ZFORGED0001",
                   sku: str = "SKU-1002") -> bytes:
    return msgspec.json.encode({
        "event_id": f"wms-evt-{uuid.uuid4().hex[:8]}", "event_type": "shipment.confirmed",
        "occurred_at": "2026-11-22T10:00:05Z",
        "payload": {"order_ref": order_id, "shipment_id": shipment_id, "carrier": "UPS", "tracking_number": tracking,
                    "shipped_at": "2026-11-22T10:00:00Z", "lines": [{"item_code": sku, "quantity": quantity}]}})


async def post_signed(hub: Hub, body: bytes) -> None:
    signature = "sha256=" + hmac.new(SANDBOX_SECRETS["wms"].encode(), body, hashlib.sha256).hexdigest()
    answer = await hub.http.post("/hooks/wms", content=body, headers={"X-Signature": signature,
                                                                      "Content-Type": "application/json"})
    assert answer.status_code == 200 and answer.json() == {"status": "accepted"}, answer.text


async def dead_letter(hub: Hub, order_id: str, count: int) -> list[dict]:
    """The order's ``shipment.confirmed`` dead letters, once there are ``count`` of them."""
    async def letters() -> list[dict] | None:
        page = await hub.http.get("/admin/v1/dead-letters", params={"topic": "shipment.confirmed"}, headers=ADMIN)
        assert page.status_code == 200, page.text
        mine = [d for d in page.json()["items"] if d["key"] == order_id]
        return mine if len(mine) >= count else None

    return await until(letters)


async def refused_metric(hub: Hub, reason: str) -> float:
    text = (await hub.http.get("/metrics", headers=ADMIN)).text
    line = next(l for l in text.splitlines() if l.startswith(f'hub_shipments_refused_total{{reason="{reason}"}}'))
    return float(line.rsplit(" ", 1)[1])


async def ask_return(hub: Hub, headers: dict, order_id: str, quantity: int):  # noqa: ANN201
    body = {"order_id": order_id, "lines": [{"sku": "SKU-1002", "quantity": quantity, "reason": "not_needed"}]}
    return await hub.http.post("/v1/storefront/returns", json=body, headers={**headers, **key()})


async def test_a_signed_shipment_of_five_for_one_unit_never_refunds_more_than_paid(sandbox_hub) -> None:
    hub = sandbox_hub
    headers = {"X-API-Key": await hub.new_key(*SCOPES)}
    authorization = "pay_auth_123"  # a card authorization the sandbox payment provider knows
    placed = await hub.http.post("/v1/storefront/orders", headers={**headers, **key()}, json={
        "lines": [{"sku": "SKU-1002", "quantity": 1, "unit_price": "24.50"}],
        "payment": {"method": "card", "authorization_id": authorization, "amount": "24.50"}})
    assert placed.status_code == 201, placed.text
    order_id = placed.json()["order_id"]
    await wait_status(hub.http, headers, order_id, "released")

    # the forged confirmation: five units of a one-unit order
    await post_signed(hub, shipment_event(order_id, 5, shipment_id="SHP-FORGED-1"))
    (letter,) = await dead_letter(hub, order_id, 1)
    assert letter["reason"].startswith("over_shipment:"), letter
    assert letter["payload"]["shipment_id"] == "SHP-FORGED-1"
    assert await refused_metric(hub, "over_shipment") == 1
    order = (await hub.http.get(f"/v1/storefront/orders/{order_id}", headers=headers)).json()
    assert (order["status"], order["shipments"]) == ("released", [])
    early = await ask_return(hub, headers, order_id, 5)
    assert early.status_code == 422 and early.json()["code"] == "not_shipped", early.text

    # the genuine shipment from the (sandbox) WMS, then the same parcel again under a new id
    shipped = await hub.http.post("/sandbox/wms/ship", json={"order_id": order_id})
    assert shipped.status_code == 200, shipped.text
    genuine = shipped.json()
    done = await wait_status(hub.http, headers, order_id, "shipped")
    assert [s["lines"] for s in done["shipments"]] == [[{"sku": "SKU-1002", "quantity": 1}]]
    await post_signed(hub, shipment_event(order_id, 1, shipment_id="SHP-RESENT-1",
                                          tracking=genuine["tracking_number"]))
    await post_signed(hub, shipment_event(order_id, 1, shipment_id="SHP-RESENT-2", tracking="1ZOTHERLABEL"))
    await post_signed(hub, shipment_event(order_id, 1, shipment_id="SHP-STRANGER", sku="SKU-1001"))
    letters = await dead_letter(hub, order_id, 4)
    assert sorted(d["reason"].split(":")[0] for d in letters) == [
        "duplicate_shipment", "over_shipment", "over_shipment", "sku_not_in_order"]
    again = (await hub.http.get(f"/v1/storefront/orders/{order_id}", headers=headers)).json()
    assert [s["shipment_id"] for s in again["shipments"]] == [genuine["shipment_id"]]

    # the return: five is refused, one is refunded at the price paid, and never a second time
    five = await ask_return(hub, headers, order_id, 5)
    assert five.status_code == 422 and five.json()["code"] == "quantity_exceeds_returnable", five.text
    one = await ask_return(hub, headers, order_id, 1)
    assert one.status_code == 201 and one.json()["refund"]["amount"] == "24.50", one.text
    another = await ask_return(hub, headers, order_id, 1)
    assert another.status_code == 422 and another.json()["code"] == "quantity_exceeds_returnable"

    rma_id = one.json()["rma_id"]

    async def issued() -> bool:
        got = await hub.http.get(f"/v1/storefront/returns/{rma_id}", headers=headers)
        return got.json()["refund"]["status"] == "issued"

    await until(issued)
    refunds = await hub.http.get("/sandbox/payments/refunds", params={"authorization_id": authorization})
    assert [r["amount"] for r in refunds.json()["items"]] == ["24.50"]
