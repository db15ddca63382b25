"""Webhook forgery on every inbound hook (issue 10): /hooks/wms, /hooks/pos, /hooks/erp, /hooks/shopify.

Each forged event -- unsigned, wrong secret, the sandbox default secret against a hub with
private secrets, a signature over another body, a signature header in the wrong format, a
genuine signature over a modified body -- is 401, and nothing moved: the stock book, orders,
shipments, returns, the outbox and the idempotency ledger are exactly as before, and no
``catalog.changed`` went out. A control test shows the same genuine event does move them,
so "unchanged" is not vacuous. Replays (the same webhook again, the same id with another
body, the same body under a new id, after retention swept its id) are 200 and nothing is
done twice. Over-shipment forgery is in the money suite.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from datetime import UTC, datetime, timedelta

import msgspec
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from shared.bus import LocalBus
from shared.db.engine import create_engine, dispose
from shared.db.tables import (
    dead_letters, idempotency_keys, order_history, orders, outbox, returns, shipments, stock_levels)
from shared.errors import Unauthorized
from shared.idempotency import IdempotencyLedger
from shared.messaging.retention import RetentionSweeper
from shared.settings import SANDBOX_SECRETS
from system_apis.inbound import CATALOG_TOPIC, InboundHooks
from tests.commerce_hub.orders_support import GUEST_ORDER, key, until, wait_status
from tests.commerce_hub.test_shopify_orders import shopify_order, signed
from tests.conftest import Hub, make_settings, start_hub

PRIVATE = {name: f"private-{name}-{secrets.token_hex(16)}" for name in SANDBOX_SECRETS}
WATCHED = (stock_levels, orders, order_history, shipments, returns, outbox, idempotency_keys, dead_letters)

# what each hook would do if a forgery got through
WMS_STOCK = {"event_id": "wms-evt-forged", "event_type": "inventory.adjusted", "occurred_at": "2026-11-22T10:00:00Z",
             "payload": {"item_code": "SKU-1001", "warehouse_id": "DC-EAST", "on_hand": 100000, "available": 100000,
                         "sequence": 999999}}
POS_STOCK = {"id": "pos-evt-forged", "type": "STOCK_CHANGE", "timestamp": "2026-11-22T10:00:00Z",
             "storeCode": "STORE-NYC", "productSku": "SKU-1002", "quantity": 100000, "seq": 999999}
ERP_PRICE = {"eventId": "erp-evt-forged", "eventType": "item.price.changed", "occurredAt": "2026-11-22T10:00:00Z",
             "record": {"itemId": "SKU-1003", "basePrice": "0.01", "currencyCode": "USD"}}
BODIES = {"wms": json.dumps(WMS_STOCK).encode(), "pos": json.dumps(POS_STOCK).encode(),
          "erp": json.dumps(ERP_PRICE).encode(), "shopify": shopify_order(8100000001, quantity=5)}
OTHER = {"wms": json.dumps({**WMS_STOCK, "payload": {**WMS_STOCK["payload"], "on_hand": 1}}).encode(),
         "pos": json.dumps({**POS_STOCK, "quantity": 1}).encode(),
         "erp": json.dumps({**ERP_PRICE, "record": {**ERP_PRICE["record"], "itemId": "SKU-1001"}}).encode(),
         "shopify": shopify_order(8100000002)}


def mac(secret: str, body: bytes) -> bytes:
    return hmac.new(secret.encode(), body, hashlib.sha256).digest()


def headers_for(source: str, secret: str, body: bytes, webhook_id: str = "wh-forged-1") -> dict:
    """Genuine headers for ``body`` as the sender signs it with ``secret``."""
    if source == "shopify":
        return signed(body, secret=secret, webhook_id=webhook_id)
    return {"X-Signature": "sha256=" + mac(secret, body).hex(), "Content-Type": "application/json"}


def forgeries(source: str) -> dict[str, tuple[bytes, dict]]:
    """Attack name -> (body sent, headers sent)."""
    body, right = BODIES[source], mac(PRIVATE[source], BODIES[source])
    if source == "shopify":
        genuine = headers_for(source, PRIVATE[source], body)
        without = {k: v for k, v in genuine.items() if k != "X-Shopify-Hmac-Sha256"}
        formats = {"hex_not_base64": right.hex(), "prefixed": "sha256=" + base64.b64encode(right).decode(),
                   "truncated": base64.b64encode(right).decode()[:20], "empty": "",
                   "not_ascii": b"\xff\xfe" + base64.b64encode(right)}
    else:
        without = {"Content-Type": "application/json"}
        formats = {"no_prefix": right.hex(), "colon_prefix": "sha256:" + right.hex(),
                   "base64": "sha256=" + base64.b64encode(right).decode(), "truncated": "sha256=" + right.hex()[:32],
                   "empty_digest": "sha256=",
                   "sha1": "sha1=" + hmac.new(PRIVATE[source].encode(), body, "sha1").hexdigest(),
                   "not_ascii": b"sha256=\xff" + right.hex().encode()[1:]}
    attacks = {
        "unsigned": (body, without),
        "wrong_secret": (body, headers_for(source, "guessed-" + secrets.token_hex(8), body)),
        "sandbox_default_secret": (body, headers_for(source, SANDBOX_SECRETS[source], body)),
        "signature_of_another_body": (body, headers_for(source, PRIVATE[source], OTHER[source])),
        "genuine_signature_modified_body": (OTHER[source], headers_for(source, PRIVATE[source], body)),
    }
    signature = "X-Shopify-Hmac-Sha256" if source == "shopify" else "X-Signature"
    for name, value in formats.items():
        attacks[f"format_{name}"] = (body, {**without, signature: value})
    return attacks


CASES = [(source, attack) for source in BODIES for attack in forgeries(source)]


async def snapshot(engine: AsyncEngine) -> dict[str, list]:
    async with engine.connect() as conn:
        return {t.name: sorted(map(tuple, (await conn.execute(select(t))).all()), key=repr) for t in WATCHED}


class Watched:
    """A hub with private secrets and no workers (what a forgery queued would stay in the outbox)."""

    def __init__(self, hub: Hub, engine: AsyncEngine) -> None:
        self.hub, self.engine = hub, engine
        self.announced: list[bytes] = []

    async def on_catalog(self, payload: bytes) -> None:
        self.announced.append(payload)


@pytest.fixture
async def private_hub(sqlite_url: str) -> AsyncIterator[Watched]:
    overrides = {f"{name}_webhook_secret": secret for name, secret in PRIVATE.items()}
    async with AsyncExitStack() as stack:
        hub = await start_hub(stack, make_settings(sqlite_url, worker_concurrency=0, **overrides))
        engine = create_engine(sqlite_url)
        stack.push_async_callback(dispose, engine)
        watched = Watched(hub, engine)
        hub.app.bus.subscribe(CATALOG_TOPIC, watched.on_catalog)
        yield watched


@pytest.mark.parametrize(("source", "attack"), CASES, ids=[f"{s}-{a}" for s, a in CASES])
async def test_a_forged_webhook_is_401_and_nothing_moves(private_hub: Watched, source: str, attack: str) -> None:
    body, headers = forgeries(source)[attack]
    before = await snapshot(private_hub.engine)

    response = await private_hub.hub.http.post(f"/hooks/{source}", content=body, headers=headers)

    assert response.status_code == 401, response.text
    problem = response.json()
    assert response.headers["content-type"].startswith("application/problem+json")
    assert problem["status"] == 401 and problem["code"] and problem["trace_id"]
    assert await snapshot(private_hub.engine) == before
    assert private_hub.announced == []


@pytest.mark.parametrize("source", list(BODIES))
async def test_control_the_genuine_event_does_move_what_the_forgeries_left_alone(
        private_hub: Watched, source: str) -> None:
    before = await snapshot(private_hub.engine)
    headers = headers_for(source, PRIVATE[source], BODIES[source])

    response = await private_hub.hub.http.post(f"/hooks/{source}", content=BODIES[source], headers=headers)

    assert response.status_code == 200, response.text
    if source == "erp":  # a price change is announced, not stored
        assert private_hub.announced
    else:  # queued; a stock report's answers are dropped once it is applied (no worker here), not on receipt
        assert await snapshot(private_hub.engine) != before
        assert private_hub.announced == []


@pytest.mark.parametrize("source", list(BODIES))
async def test_a_hook_whose_secret_is_empty_accepts_nothing(sqlite_url: str, source: str) -> None:
    """Anyone can compute an HMAC under the empty key: a hook with no secret must refuse every event."""
    engine = create_engine(sqlite_url)
    bus = LocalBus()
    hooks = InboundHooks({source: ""}, bus, engine, IdempotencyLedger(engine))
    body = BODIES[source]
    scope = {"type": "http", "method": "POST", "path": f"/hooks/{source}",
             "headers": [(k.lower().encode(), v.encode()) for k, v in headers_for(source, "", body).items()]}
    sent: list[dict] = []

    async def receive() -> dict:
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict) -> None:
        sent.append(message)

    try:
        before = await snapshot(engine)
        with pytest.raises(Unauthorized):
            await hooks(scope, receive, send)
        assert sent == [] and await snapshot(engine) == before
    finally:
        await dispose(engine)


# --- replays: 200, nothing done twice (a hub with the sandbox secrets and its workers) -------


async def _stock(engine: AsyncEngine, sku: str, location: str) -> tuple | None:
    async with engine.connect() as conn:
        row = (await conn.execute(select(stock_levels.c.on_hand, stock_levels.c.sequence).where(
            stock_levels.c.sku == sku, stock_levels.c.location == location))).first()
        return tuple(row) if row else None


async def _count(engine: AsyncEngine, table, *where) -> int:  # noqa: ANN001
    async with engine.connect() as conn:
        return (await conn.execute(select(func.count()).select_from(table).where(*where))).scalar_one()


@pytest.fixture
async def db(hub: Hub) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(hub.app.settings.database_url)
    yield engine
    await dispose(engine)


async def _drained(engine: AsyncEngine) -> bool:
    return await _count(engine, outbox) == 0


def _wms_stock(on_hand: int, sequence: int, event_id: str) -> bytes:
    payload = {"item_code": "SKU-1003", "warehouse_id": "DC-EAST", "on_hand": on_hand, "available": on_hand,
               "sequence": sequence}
    return json.dumps({**WMS_STOCK, "event_id": event_id, "payload": payload}).encode()


def _pos_stock(quantity: int, seq: int) -> bytes:
    return json.dumps({**POS_STOCK, "productSku": "SKU-1003", "quantity": quantity, "seq": seq}).encode()


@pytest.mark.parametrize("source", ["wms", "pos"])
async def test_a_replayed_stock_event_never_moves_stock_again(hub: Hub, db: AsyncEngine, source: str) -> None:
    location = "DC-EAST" if source == "wms" else "STORE-NYC"
    first = _wms_stock(400, 10**9 + 1, "wms-evt-a") if source == "wms" else _pos_stock(40, 10**9 + 1)
    later = _wms_stock(300, 10**9 + 2, "wms-evt-b") if source == "wms" else _pos_stock(30, 10**9 + 2)
    secret = SANDBOX_SECRETS[source]
    for body in (first, later, first, first):  # the first event replayed, signature and id as captured
        response = await hub.http.post(f"/hooks/{source}", content=body, headers=headers_for(source, secret, body))
        assert response.status_code == 200, response.text
    await until(lambda: _drained(db))
    assert await _stock(db, "SKU-1003", location) == ((300 if source == "wms" else 30), 10**9 + 2)


async def test_a_replayed_shipment_ships_once(hub: Hub, db: AsyncEngine) -> None:
    headers = {"X-API-Key": await hub.new_key("orders:write", "orders:read")}
    placed = await hub.http.post("/v1/storefront/orders", json=GUEST_ORDER, headers={**headers, **key()})
    assert placed.status_code == 201, placed.text
    order_id = placed.json()["order_id"]
    await wait_status(hub.http, headers, order_id, "released")
    event = {"event_id": f"wms-evt-{uuid.uuid4().hex}", "event_type": "shipment.confirmed",
             "occurred_at": "2026-11-22T10:00:05Z",
             "payload": {"order_ref": order_id, "shipment_id": "SHP-REPLAY-1", "carrier": "UPS",
                         "tracking_number": "1ZREPLAY", "shipped_at": "2026-11-22T10:00:00Z",
                         "lines": [{"item_code": "SKU-1003", "quantity": 2}]}}
    body = json.dumps(event).encode()
    signature = headers_for("wms", SANDBOX_SECRETS["wms"], body)
    for _ in range(3):
        response = await hub.http.post("/hooks/wms", content=body, headers=signature)
        assert response.status_code == 200, response.text
    await wait_status(hub.http, headers, order_id, "shipped")
    await until(lambda: _drained(db))
    assert await _count(db, shipments, shipments.c.order_id == order_id) == 1
    assert await _count(db, order_history, order_history.c.order_id == order_id,
                        order_history.c.status == "shipped") == 1
    assert await _count(db, dead_letters) == 0


async def test_a_replayed_shopify_webhook_makes_one_order_whatever_changes(hub: Hub, db: AsyncEngine) -> None:
    ref = 8200000001
    body = shopify_order(ref, quantity=1)
    genuine = headers_for("shopify", SANDBOX_SECRETS["shopify"], body, webhook_id="wh-replay-1")
    assert (await hub.http.post("/hooks/shopify", content=body, headers=genuine)).json()["status"] == "accepted"
    await until(lambda: _count(db, orders, orders.c.channel_order_ref == str(ref)))

    same = await hub.http.post("/hooks/shopify", content=body, headers=genuine)
    assert same.status_code == 200 and same.json()["status"] == "duplicate"
    # the same id, another body: unsigned for it is forged; signed by the sender it is still the same webhook
    bigger = shopify_order(ref, quantity=7)
    assert (await hub.http.post("/hooks/shopify", content=bigger, headers=genuine)).status_code == 401
    resigned = headers_for("shopify", SANDBOX_SECRETS["shopify"], bigger, webhook_id="wh-replay-1")
    again = await hub.http.post("/hooks/shopify", content=bigger, headers=resigned)
    assert again.status_code == 200 and again.json()["status"] == "duplicate"
    # the captured body and signature under a new id, even after retention swept every id
    later = datetime.now(UTC) + timedelta(days=30)
    await RetentionSweeper(db, processed_for=timedelta(days=7), now=lambda: later).sweep()
    assert await _count(db, idempotency_keys) == 0
    renamed = {**genuine, "X-Shopify-Webhook-Id": "wh-replay-2"}
    assert (await hub.http.post("/hooks/shopify", content=body, headers=renamed)).status_code == 200

    await until(lambda: _drained(db))
    async with db.connect() as conn:
        rows = (await conn.execute(select(orders.c.lines).where(orders.c.channel_order_ref == str(ref)))).all()
    assert len(rows) == 1
    lines = msgspec.json.decode(msgspec.json.encode(rows[0].lines))
    assert [line["quantity"] for line in lines] == [1]
