"""Partner webhooks through the whole one-process hub (CONTRACT section 5, issue 11): a local
receiver subscribes, an order is placed and shipped in the sandbox, and every delivery is
verified with the `standardwebhooks` library, in order, per order id."""

from __future__ import annotations

import json
import uuid
from contextlib import AsyncExitStack

import pytest
from standardwebhooks import Webhook

from tests.commerce_hub.orders_support import ACME_ORDER, key, until, wait_status
from tests.conftest import start_mobile_hub
from tests.process_apis.notifications.receiver import Receiver

FAST = {"outbox_poll_seconds": 0.1, "sandbox_autoship_seconds": 0, "webhook_retry_base_seconds": 0.2,
        "webhook_retry_max_seconds": 0.5}
PREFIX = "/v1/partner/webhooks"


@pytest.fixture(params=["sqlite_url", "pg_url"])
def db_url(request) -> str:  # noqa: ANN001
    return request.getfixturevalue(request.param)


@pytest.fixture
async def hub(db_url: str):  # noqa: ANN201
    async with AsyncExitStack() as stack:
        yield await start_mobile_hub(stack, db_url, **FAST)


@pytest.fixture
async def receiver():  # noqa: ANN201
    r = Receiver()
    r.url = await r.start()  # type: ignore[attr-defined]
    yield r
    await r.stop()


async def partner(hub, customer: str = "CUST-ACME") -> dict:  # noqa: ANN001
    return {"X-API-Key": await hub.new_key("webhooks:manage", "orders:write", "orders:read", customer=customer)}


async def subscribe(hub, headers: dict, url: str, events: list[str]) -> dict:  # noqa: ANN001
    made = await hub.http.post(PREFIX, json={"url": url, "events": events}, headers=headers)
    assert made.status_code == 201, made.text
    return made.json()


async def place_and_ship(hub, headers: dict) -> str:  # noqa: ANN001
    body = {**ACME_ORDER, "po_number": f"PO-{uuid.uuid4().hex[:8]}"}
    placed = await hub.http.post("/v1/partner/orders", json=body, headers={**headers, **key()})
    assert placed.status_code == 201, placed.text
    order_id = placed.json()["order_id"]
    await wait_status(hub.http, headers, order_id, "released", prefix="/v1/partner")
    assert (await hub.http.post("/sandbox/wms/ship", json={"order_id": order_id})).status_code in (200, 201)
    await wait_status(hub.http, headers, order_id, "shipped", prefix="/v1/partner")
    return order_id


def verified(secret: str, received) -> dict:  # noqa: ANN001
    return Webhook(secret).verify(received.body, received.headers)


def events_of(receiver: Receiver, order_id: str) -> list[tuple[str, str | None]]:
    out = []
    for r in receiver.received:
        body = json.loads(r.body)
        if body["data"].get("order_id") == order_id:
            out.append((body["type"], body["data"].get("status")))
    return out


EXPECTED = [("order.status_changed", "accepted"), ("order.status_changed", "posted"),
            ("order.status_changed", "released"), ("shipment.created", None), ("order.status_changed", "shipped")]


async def test_an_order_s_events_arrive_signed_and_in_order(hub, receiver) -> None:
    headers = await partner(hub)
    sub = await subscribe(hub, headers, receiver.url + "/hook", ["order.status_changed", "shipment.created"])
    assert sub["secret"].startswith("whsec_") and sub["events"] == ["order.status_changed", "shipment.created"]
    order_id = await place_and_ship(hub, headers)
    await until(lambda: _at_least(receiver, order_id, len(EXPECTED)), timeout=20)
    assert events_of(receiver, order_id) == EXPECTED
    for r in receiver.received:
        payload = verified(sub["secret"], r)
        assert payload["type"] in ("order.status_changed", "shipment.created") and payload["timestamp"]
        assert r.headers["webhook-id"].startswith("msg_") and r.path == "/hook"
    shipment = next(json.loads(r.body) for r in receiver.received if json.loads(r.body)["type"] == "shipment.created")
    assert shipment["data"]["lines"] == [{"sku": "SKU-1001", "quantity": 2}] and shipment["data"]["schema_version"] == 1
    log = (await hub.http.get(f"{PREFIX}/{sub['id']}/deliveries", params={"limit": 2}, headers=headers)).json()
    assert [d["status"] for d in log["items"]] == ["delivered", "delivered"] and log["next_cursor"]
    assert log["items"][0]["webhook_id"] == receiver.received[-1].headers["webhook-id"]  # newest first
    listed = (await hub.http.get(PREFIX, headers=headers)).json()["items"]
    assert [s["id"] for s in listed] == [sub["id"]] and "secret" not in listed[0]


async def _at_least(receiver: Receiver, order_id: str, n: int) -> bool:
    return len(events_of(receiver, order_id)) >= n
