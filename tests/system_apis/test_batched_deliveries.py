"""Batched deliveries on /hooks/wms and /hooks/pos (issue 11): ``{"events": [...]}`` in one signed body.

Parsing (pure); a delivery taken whole or not at all (a bad member, a bad signature, too many
or no events: a problem and nothing in the outbox); its stock reports as one outbox message;
and applied end to end on SQLite and on PostgreSQL + Redis Streams: the newest sequence per
(sku, location) wins across duplicates and disorder inside one batch and across batches, the
lag marks are set, the storefront is marked and the product answer shows the change.

Regression: on the code before batched deliveries a body ``{"events": [...]}`` was a 400
(``test_a_wms_and_a_pos_batch_are_applied_newest_wins`` and
``test_a_batch_is_one_outbox_message_beside_its_shipments`` fail there).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import AsyncIterator

import msgspec
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from shared.db.storefront_tables import storefront_marks
from shared.db.tables import outbox, stock_levels
from shared.errors import BadRequest
from shared.models import StockChanged, StockChanges
from shared.settings import SANDBOX_SECRETS
from system_apis.deliveries import MAX_EVENTS, TooManyEvents
from system_apis.pos.events import parse_pos_delivery, parse_pos_event
from system_apis.wms.events import parse_wms_delivery, parse_wms_event
from tests.commerce_hub.orders_support import until
from tests.conftest import Hub, hub_and_engine

S = 10**9  # above any sequence the sandbox's own stock starts with


def wms(sku: str, location: str, qty: int, seq: int) -> dict:
    return {"event_id": f"wms-evt-{seq}", "event_type": "inventory.adjusted", "occurred_at": "2026-12-06T10:00:00Z",
            "payload": {"item_code": sku, "warehouse_id": location, "on_hand": qty, "available": qty,
                        "sequence": seq}}


def pos(sku: str, store: str, qty: int, seq: int) -> dict:
    return {"id": f"pos-evt-{seq}", "type": "STOCK_CHANGE", "timestamp": "2026-12-06T10:00:00Z", "storeCode": store,
            "productSku": sku, "quantity": qty, "seq": seq}


SHIPMENT = {"event_id": "wms-evt-s1", "event_type": "shipment.confirmed", "occurred_at": "2026-12-06T10:00:05Z",
            "payload": {"order_ref": "ord_unknown", "shipment_id": "SHP-B1", "carrier": "UPS",
                        "tracking_number": "1ZB", "shipped_at": "2026-12-06T10:00:00Z",
                        "lines": [{"item_code": "SKU-1001", "quantity": 1}]}}


def batch(*events: dict) -> bytes:
    return json.dumps({"events": list(events)}).encode()


def signed(source: str, body: bytes, secret: str | None = None) -> dict:
    mac = hmac.new((secret or SANDBOX_SECRETS[source]).encode(), body, hashlib.sha256).hexdigest()
    return {"X-Signature": "sha256=" + mac, "Content-Type": "application/json"}


# --- parsing -------------------------------------------------------------------------------


def test_a_batch_parses_to_its_events_in_order_and_one_event_as_before() -> None:
    body = batch(wms("SKU-1", "DC-EAST", 5, 2), SHIPMENT, wms("SKU-1", "DC-EAST", 4, 1))
    events = parse_wms_delivery(body)
    assert [type(e).__name__ for e in events] == ["StockChanged", "ShipmentConfirmed", "StockChanged"]
    assert [e.sequence for e in events if isinstance(e, StockChanged)] == [2, 1]
    one = json.dumps(wms("SKU-1", "DC-EAST", 5, 2)).encode()
    assert parse_wms_delivery(one) == [parse_wms_event(one)]
    store = json.dumps(pos("SKU-2", "STORE-NYC", 3, 9)).encode()
    assert parse_pos_delivery(store) == [parse_pos_event(store)]
    assert parse_pos_delivery(batch(pos("SKU-2", "STORE-NYC", 3, 9))) == [parse_pos_event(store)]


@pytest.mark.parametrize(("member", "index"), [({"event_type": "inventory.adjusted"}, 1), ("nope", 2),
                                               ({**pos("SKU-2", "STORE-NYC", 3, 9), "quantity": "3"}, 1)])
def test_a_malformed_member_is_a_400_naming_its_index(member: object, index: int) -> None:
    parse, good = ((parse_pos_delivery, pos("SKU-2", "STORE-NYC", 3, 9)) if isinstance(member, dict) and "seq" in member
                   else (parse_wms_delivery, wms("SKU-1", "DC-EAST", 5, 2)))
    events = [good] * 3
    events[index] = member
    with pytest.raises(BadRequest) as raised:
        parse(batch(*events))
    assert raised.value.extra == {"index": index} and f"Event {index} " in raised.value.detail
    assert raised.value.code == "malformed_event"


def test_too_many_or_no_events_are_problems() -> None:
    with pytest.raises(TooManyEvents) as raised:
        parse_wms_delivery(batch(*[wms("SKU-1", "DC-EAST", 1, 1)] * (MAX_EVENTS + 1)))
    assert raised.value.status == 413 and raised.value.code == "too_many_events"
    assert len(parse_wms_delivery(batch(*[wms("SKU-1", "DC-EAST", 1, 1)] * MAX_EVENTS))) == MAX_EVENTS
    with pytest.raises(BadRequest):
        parse_pos_delivery(batch())


# --- taken whole or not at all (a hub without workers: what is queued stays queued) ---------


@pytest.fixture
async def queued(sqlite_url: str) -> AsyncIterator[tuple[Hub, AsyncEngine]]:
    async with hub_and_engine(sqlite_url, worker_concurrency=0) as both:
        yield both


async def queued_rows(engine: AsyncEngine) -> list[tuple[str, str, bytes]]:
    async with engine.connect() as conn:
        rows = (await conn.execute(select(outbox.c.topic, outbox.c.key, outbox.c.payload).order_by(outbox.c.id))).all()
    return [(r.topic, r.key, r.payload.encode() if isinstance(r.payload, str) else msgspec.json.encode(r.payload))
            for r in rows]


REFUSED = {
    "member_2_malformed": ("wms", batch(wms("SKU-1001", "DC-EAST", 1, S + 1), SHIPMENT,
                                        {"event_type": "inventory.adjusted", "payload": {"item_code": "SKU-1001"}}),
                           None, 400, 2),
    "member_0_unknown_type": ("pos", batch({**pos("SKU-1001", "STORE-NYC", 1, S), "type": "SALE"},
                                           pos("SKU-1001", "STORE-NYC", 2, S + 1)), None, 400, 0),
    "bad_signature": ("wms", batch(wms("SKU-1001", "DC-EAST", 1, S + 1)), "guessed-secret", 401, None),
    "too_many": ("pos", batch(*[pos("SKU-1001", "STORE-NYC", 1, S + i) for i in range(MAX_EVENTS + 1)]), None, 413,
                 None),
    "none": ("wms", batch(), None, 400, None),
}


@pytest.mark.parametrize("case", list(REFUSED))
async def test_a_refused_delivery_stores_nothing(queued: tuple[Hub, AsyncEngine], case: str) -> None:
    hub, engine = queued
    source, body, secret, status, index = REFUSED[case]

    response = await hub.http.post(f"/hooks/{source}", content=body, headers=signed(source, body, secret))

    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert problem["status"] == status and problem.get("index") == index
    assert await queued_rows(engine) == []


async def test_a_batch_is_one_outbox_message_beside_its_shipments(queued: tuple[Hub, AsyncEngine]) -> None:
    hub, engine = queued
    body = batch(wms("SKU-1001", "DC-EAST", 3, S + 3), SHIPMENT, wms("SKU-1002", "DC-WEST", 2, S + 2),
                 wms("SKU-1001", "DC-EAST", 1, S + 1))

    response = await hub.http.post("/hooks/wms", content=body, headers=signed("wms", body))

    assert response.status_code == 200, response.text
    rows = await queued_rows(engine)
    assert sorted(topic for topic, _, _ in rows) == ["shipment.confirmed", "stock.changed.batch"]
    payload = next(p for topic, _, p in rows if topic == "stock.changed.batch")
    changes = msgspec.json.decode(payload, type=StockChanges).changes
    assert [(c.sku, c.sequence, c.source) for c in changes] == [
        ("SKU-1001", S + 3, "wms"), ("SKU-1002", S + 2, "wms"), ("SKU-1001", S + 1, "wms")]


async def test_a_batch_of_one_is_queued_as_the_single_event_is(queued: tuple[Hub, AsyncEngine]) -> None:
    hub, engine = queued
    for body in (json.dumps(pos("SKU-1002", "STORE-NYC", 4, S)).encode(), batch(pos("SKU-1002", "STORE-NYC", 4, S))):
        response = await hub.http.post("/hooks/pos", content=body, headers=signed("pos", body))
        assert response.status_code == 200 and response.json() == {"status": "accepted"}
    single, batched = await queued_rows(engine)
    assert single == batched and single[0] == "stock.changed"
    assert msgspec.json.decode(single[2], type=StockChanged).source == "pos"


# --- applied end to end: SQLite, and PostgreSQL + Redis Streams --------------------------------


@pytest.fixture(params=["sqlite", "postgresql+redis"])
def deployment(request, sqlite_url: str) -> tuple[str, str | None]:  # noqa: ANN001
    """(database URL, Redis URL): resolved before any event loop runs (the PostgreSQL fixture runs its own)."""
    if request.param == "sqlite":
        return sqlite_url, None
    return request.getfixturevalue("fresh_pg_url"), request.getfixturevalue("redis_url")


@pytest.fixture
async def running(deployment: tuple[str, str | None]) -> AsyncIterator[tuple[Hub, AsyncEngine]]:
    url, redis_url = deployment
    async with hub_and_engine(url, redis_url=redis_url) as both:
        yield both


async def levels(engine: AsyncEngine) -> dict[tuple[str, str], tuple]:
    async with engine.connect() as conn:
        rows = (await conn.execute(select(stock_levels).where(stock_levels.c.sequence >= S))).all()
    return {(r.sku, r.location): (r.available, r.sequence, r.source, r.received_at is not None,
                                  r.visible_at is not None) for r in rows}


async def test_a_wms_and_a_pos_batch_are_applied_newest_wins(running: tuple[Hub, AsyncEngine]) -> None:
    hub, engine = running
    key = {"X-API-Key": await hub.new_key("catalog:read")}
    before = await hub.http.get("/v1/storefront/products/SKU-1001", headers=key)  # the book loaded, answer cached
    assert before.status_code == 200, before.text
    deliveries = [
        ("wms", batch(wms("SKU-1001", "DC-EAST", 30, S + 3), wms("SKU-1001", "DC-EAST", 10, S + 1),
                      wms("SKU-1002", "DC-WEST", 20, S + 2), wms("SKU-1001", "DC-EAST", 30, S + 3))),
        ("wms", batch(wms("SKU-1001", "DC-EAST", 99, S + 2), wms("SKU-1002", "DC-WEST", 50, S + 5),
                      wms("SKU-1002", "DC-WEST", 40, S + 4))),
        ("pos", batch(pos("SKU-1001", "STORE-NYC", 7, S + 7), pos("SKU-1001", "STORE-NYC", 6, S + 6))),
        ("wms", batch(wms("SKU-1001", "DC-EAST", 10, S + 1))),  # a batch of one, older: changes nothing
    ]
    for source, body in deliveries:
        response = await hub.http.post(f"/hooks/{source}", content=body, headers=signed(source, body))
        assert response.status_code == 200, response.text

    await until(lambda: _drained(engine), timeout=30)
    assert await levels(engine) == {("SKU-1001", "DC-EAST"): (30, S + 3, "wms", True, True),
                                    ("SKU-1002", "DC-WEST"): (50, S + 5, "wms", True, True),
                                    ("SKU-1001", "STORE-NYC"): (7, S + 7, "pos", True, True)}
    async with engine.connect() as conn:
        marked = set((await conn.execute(select(storefront_marks.c.sku))).scalars())
    assert {"SKU-1001", "SKU-1002"} <= marked

    async def shows_the_batch() -> bool:  # the cached answer was dropped once the batch applied
        body = (await hub.http.get("/v1/storefront/products/SKU-1001", headers=key)).json()
        return {loc["location"]: loc["available"] for loc in body.get("locations", [])}.get("DC-EAST") == 30
    await until(shows_the_batch, timeout=10)


async def _drained(engine: AsyncEngine) -> bool:
    async with engine.connect() as conn:
        return (await conn.execute(select(func.count()).select_from(outbox).where(
            outbox.c.topic.like("stock.%")))).scalar_one() == 0
