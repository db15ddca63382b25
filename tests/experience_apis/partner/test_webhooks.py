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
    # the outcome is recorded after the receiver answered (in the next batch): poll for it
    await until(lambda: _all_delivered(hub, headers, sub["id"], len(EXPECTED)), timeout=10)
    log = (await hub.http.get(f"{PREFIX}/{sub['id']}/deliveries", params={"limit": 2}, headers=headers)).json()
    assert [d["status"] for d in log["items"]] == ["delivered", "delivered"] and log["next_cursor"]
    assert log["items"][0]["webhook_id"] == receiver.received[-1].headers["webhook-id"]  # newest first
    listed = (await hub.http.get(PREFIX, headers=headers)).json()["items"]
    assert [s["id"] for s in listed] == [sub["id"]] and "secret" not in listed[0]


async def _at_least(receiver: Receiver, order_id: str, n: int) -> bool:
    return len(events_of(receiver, order_id)) >= n


async def _all_delivered(hub, headers: dict, sub_id: str, n: int) -> bool:  # noqa: ANN001
    items = await _log(hub, headers, sub_id)
    return len(items) >= n and all(d["status"] == "delivered" for d in items)


async def _log(hub, headers: dict, sub_id: str) -> list[dict]:  # noqa: ANN001
    response = await hub.http.get(f"{PREFIX}/{sub_id}/deliveries", params={"limit": 100}, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()["items"]


async def test_a_receiver_down_then_back_gets_everything_in_order_with_the_same_ids(hub, receiver) -> None:
    headers = await partner(hub)
    sub = await subscribe(hub, headers, receiver.url, ["order.status_changed", "shipment.created"])
    receiver.status = 503
    order_id = await place_and_ship(hub, headers)

    async def retried() -> bool:
        log = await _log(hub, headers, sub["id"])
        return any(d["attempts"] >= 2 and d["last_response_status"] == 503 for d in log)

    await until(retried, timeout=20)
    refused = {r.headers["webhook-id"] for r in receiver.received}
    assert events_of(receiver, order_id)[0] == EXPECTED[0]  # only the head was tried: the rest wait behind it
    assert {e for e in events_of(receiver, order_id)} == {EXPECTED[0]}
    receiver.status = 200
    before = len(receiver.received)
    await until(lambda: _delivered(hub, headers, sub["id"], len(EXPECTED)), timeout=30)
    answered = receiver.received[before:]
    firsts: dict[str, int] = {}
    for i, r in enumerate(answered):
        verified(sub["secret"], r)
        firsts.setdefault(r.headers["webhook-id"], i)
    ordered = sorted(firsts, key=firsts.get)
    assert [(json.loads(next(r.body for r in answered if r.headers["webhook-id"] == w))["type"]) for w in ordered] == [
        t for t, _ in EXPECTED]
    assert refused <= set(firsts)  # what was refused came again under the same webhook-id


async def _delivered(hub, headers: dict, sub_id: str, n: int) -> bool:  # noqa: ANN001
    log = await _log(hub, headers, sub_id)
    return sum(d["status"] == "delivered" for d in log) >= n


async def test_replay_one_and_a_time_range_keeps_the_webhook_ids(hub, receiver) -> None:
    headers = await partner(hub)
    sub = await subscribe(hub, headers, receiver.url, ["order.status_changed"])
    order_id = await place_and_ship(hub, headers)
    await until(lambda: _delivered(hub, headers, sub["id"], 4), timeout=20)
    log = await _log(hub, headers, sub["id"])
    first = log[-1]["webhook_id"]
    replayed = await hub.http.post(f"{PREFIX}/{sub['id']}/deliveries/{first}/replay", headers=headers)
    assert replayed.status_code == 202 and replayed.json()["webhook_id"] == first
    await until(lambda: _count_id(receiver, first, 2), timeout=10)
    await until(lambda: _delivered(hub, headers, sub["id"], 4), timeout=10)  # its outcome recorded again
    again = [r for r in receiver.received if r.headers["webhook-id"] == first][-1]
    assert verified(sub["secret"], again)["data"]["status"] == "accepted"
    assert (await hub.http.post(f"{PREFIX}/{sub['id']}/deliveries/msg_nope/replay", headers=headers)).status_code == 404

    before = len(receiver.received)
    window = {"since": "2000-01-01T00:00:00Z", "until": "2100-01-01T00:00:00Z"}
    ranged = await hub.http.post(f"{PREFIX}/{sub['id']}/replay", json=window, headers=headers)
    assert ranged.status_code == 202 and ranged.json() == {"replayed": 4}
    await until(lambda: _more(receiver, before, 4), timeout=15)
    statuses = [json.loads(r.body)["data"]["status"] for r in receiver.received[before:]]
    assert statuses == ["accepted", "posted", "released", "shipped"] and order_id
    bad = await hub.http.post(f"{PREFIX}/{sub['id']}/replay", json={"since": "2100-01-01T00:00:00Z",
                                                                    "until": "2000-01-01T00:00:00Z"}, headers=headers)
    assert bad.status_code == 422 and bad.json()["code"] == "validation_failed"


async def _count_id(receiver: Receiver, webhook_id: str, n: int) -> bool:
    return sum(r.headers["webhook-id"] == webhook_id for r in receiver.received) >= n


async def _more(receiver: Receiver, before: int, n: int) -> bool:
    return len(receiver.received) - before >= n


async def test_rotation_signs_with_both_secrets_during_the_overlap(hub, receiver) -> None:
    headers = await partner(hub)
    sub = await subscribe(hub, headers, receiver.url, ["order.status_changed"])
    rotated = await hub.http.post(f"{PREFIX}/{sub['id']}/rotate-secret", headers=headers)
    assert rotated.status_code == 200, rotated.text
    new = rotated.json()
    assert new["secret"] != sub["secret"] and new["previous_secret_expires_at"]
    await place_and_ship(hub, headers)
    await until(lambda: _more(receiver, 0, 1), timeout=15)
    r = receiver.received[0]
    assert len(r.headers["webhook-signature"].split(" ")) == 2
    assert verified(new["secret"], r) == verified(sub["secret"], r)


async def test_scope_customer_binding_and_other_customers_subscriptions(hub, receiver) -> None:
    acme = await partner(hub)
    sub = await subscribe(hub, acme, receiver.url, ["order.status_changed"])
    no_scope = {"X-API-Key": await hub.new_key("orders:read", customer="CUST-ACME")}
    assert (await hub.http.get(PREFIX, headers=no_scope)).status_code == 403
    unbound = {"X-API-Key": await hub.new_key("webhooks:manage")}
    assert (await hub.http.get(PREFIX, headers=unbound)).json()["code"] == "customer_required"
    bolt = await partner(hub, "CUST-BOLT")
    assert (await hub.http.get(PREFIX, headers=bolt)).json()["items"] == []
    for method, path in [("GET", "/deliveries"), ("POST", "/enable"), ("POST", "/rotate-secret"), ("DELETE", "")]:
        answer = await hub.http.request(method, f"{PREFIX}/{sub['id']}{path}", headers=bolt)
        assert answer.status_code == 404 and answer.json()["code"] == "unknown_webhook", (method, path)
    bolt_sub = await subscribe(hub, bolt, receiver.url + "/bolt", ["order.status_changed"])
    order_id = await place_and_ship(hub, acme)
    await until(lambda: _delivered(hub, acme, sub["id"], 4), timeout=20)
    assert not [r for r in receiver.received if r.path == "/bolt"] and order_id  # ACME's order is not BOLT's
    assert await _log(hub, bolt, bolt_sub["id"]) == []
    assert (await hub.http.delete(f"{PREFIX}/{sub['id']}", headers=acme)).status_code == 204
    assert (await hub.http.get(f"{PREFIX}/{sub['id']}/deliveries", headers=acme)).status_code == 404


@pytest.mark.parametrize("body, status, code", [
    ({"url": "http://127.0.0.1:9/x", "events": ["order.shipped"]}, 422, "validation_failed"),
    ({"url": "http://127.0.0.1:9/x", "events": []}, 422, "validation_failed"),
    ({"events": ["order.status_changed"]}, 422, "validation_failed"),
    ({"url": "http://127.0.0.1:9/x", "events": ["order.status_changed"], "extra": 1}, 422, "validation_failed"),
    ({"url": "http://10.0.0.1/x", "events": ["order.status_changed"]}, 422, "webhook_url_refused"),
    ({"url": "http://169.254.169.254/latest/meta-data", "events": ["order.status_changed"]}, 422,
     "webhook_url_refused"),
])
async def test_bad_subscriptions_are_problems(hub, body, status, code) -> None:  # noqa: ANN001
    answer = await hub.http.post(PREFIX, json=body, headers=await partner(hub))
    assert answer.status_code == status and answer.json()["code"] == code, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")


async def test_inventory_changed_goes_to_every_subscriber_of_it(hub, receiver) -> None:
    bolt = await partner(hub, "CUST-BOLT")
    sub = await subscribe(hub, bolt, receiver.url, ["inventory.changed"])
    changed = await hub.http.post("/sandbox/wms/stock", json={"sku": "SKU-1001", "location": "DC-WEST", "on_hand": 7})
    assert changed.status_code in (200, 201, 202), changed.text
    await until(lambda: _more(receiver, 0, 1), timeout=15)
    data = verified(sub["secret"], receiver.received[0])["data"]
    assert (data["sku"], data["location"], data["on_hand"]) == ("SKU-1001", "DC-WEST", 7)


async def test_a_failure_streak_disables_and_the_partner_enables_again(sqlite_url, receiver) -> None:
    async with AsyncExitStack() as stack:
        hub = await start_mobile_hub(stack, sqlite_url, **{**FAST, "webhook_disable_after_seconds": 0.5})
        headers = await partner(hub)
        sub = await subscribe(hub, headers, receiver.url, ["order.status_changed"])
        receiver.status = 500
        order_id = await place_and_ship(hub, headers)

        async def disabled() -> dict | None:
            items = (await hub.http.get(PREFIX, headers=headers)).json()["items"]
            return items[0] if items[0]["status"] == "disabled" else None

        off = await until(disabled, timeout=20)
        assert off["disabled_at"]
        tried = receiver.count
        log = await _log(hub, headers, sub["id"])
        assert {d["status"] for d in log} == {"pending"} and len(log) == 4  # held, none lost
        receiver.status = 200
        enabled = await hub.http.post(f"{PREFIX}/{sub['id']}/enable", headers=headers)
        assert enabled.status_code == 200 and enabled.json()["status"] == "active"
        await until(lambda: _delivered(hub, headers, sub["id"], 4), timeout=20)
        after = [json.loads(r.body)["data"]["status"] for r in receiver.received[tried:]]
        assert after == ["accepted", "posted", "released", "shipped"] and order_id


async def test_the_partner_openapi_document_describes_the_four_events(hub) -> None:
    doc = (await hub.http.get("/openapi/partner-v1.json")).json()
    assert doc["openapi"].startswith("3.1")
    assert set(doc["webhooks"]) == {"order.status_changed", "shipment.created", "return.updated", "inventory.changed"}
    post = doc["webhooks"]["shipment.created"]["post"]
    assert {p["name"] for p in post["parameters"]} == {"webhook-id", "webhook-timestamp", "webhook-signature"}
    ref = post["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
    data_ref = doc["components"]["schemas"][ref]["properties"]["data"]["$ref"].rsplit("/", 1)[1]
    assert "schema_version" in doc["components"]["schemas"][data_ref]["properties"]
    assert "/v1/partner/webhooks" in doc["paths"]
