"""An event's fan-out is one ``webhook.deliver`` message for all its active subscribers (a
larger fan-out: one per ``FANOUT_CHUNK``), whose lanes the handler works side by side: every
active subscriber gets the event once, verified; a disabled one's delivery waits unqueued;
one partner failing does not hold the others back; a worker works at most ``lanes_in_flight``
lanes at once, whatever its messages name. On the embedded default and on
PostgreSQL with Redis Streams."""

from __future__ import annotations

import asyncio
import secrets
from contextlib import AsyncExitStack

import msgspec
from sqlalchemy import select
from standardwebhooks import Webhook

from process_apis.notifications import repository
from process_apis.notifications.delivery import DeliveryFlow
from process_apis.notifications.lanes import Policy
from process_apis.notifications.repository import DELIVER_TOPIC, LaneRef
from process_apis.notifications.service import NotificationService
from shared.db.tables import outbox
from shared.messaging import Worker
from system_apis.webhooks.client import build_webhook_sender
from tests.commerce_hub.orders_support import until
from tests.process_apis.notifications.killable_worker import CONFIG, transport
from tests.process_apis.notifications.receiver import Receiver
from tests.process_apis.notifications.support import KEYS, emit


async def _messages(engine) -> list[LaneRef]:  # noqa: ANN001
    async with engine.connect() as conn:
        rows = await conn.execute(select(outbox.c.payload).where(outbox.c.topic == DELIVER_TOPIC))
        return [msgspec.json.decode(r.payload, type=LaneRef) for r in rows]


async def test_one_message_per_fan_out_and_one_failing_partner_holds_back_no_other(setup, monkeypatch) -> None:
    engine, redis, _, _ = setup
    monkeypatch.setattr(repository, "FANOUT_CHUNK", 2)
    good, bad = Receiver(), Receiver(status=503)
    good_base, bad_base = await good.start(), await bad.start()
    policy = Policy(retry_base=0.05, retry_max=0.1, max_attempts=1000, disable_after=3600.0, lease=5.0)
    async with AsyncExitStack() as stack:
        sender = await build_webhook_sender(stack, sandbox=True, timeout=5)
        service = NotificationService(engine, sender, keys=KEYS)
        customer = f"CUST-{secrets.token_hex(3)}"
        subs = [await service.subscribe(customer, "partner", good_base + f"/p{i}", ["inventory.changed"])
                for i in range(3)]
        failing = await service.subscribe(customer, "partner", bad_base + "/down", ["inventory.changed"])
        held = await service.subscribe(customer, "partner", good_base + "/off", ["inventory.changed"])
        async with engine.begin() as conn:
            await repository.change(conn, held.id, status="disabled")
        sku = f"SKU-{secrets.token_hex(3)}"
        await emit(engine, [sku], 1)
        messages = await _messages(engine)
        named = sorted(s for m in messages for s in (m.subscription_id, *m.more))
        assert len(messages) == 2 and {m.lane for m in messages} == {f"{sku}@DC-EAST"}  # 4 active, 2 a message
        assert named == sorted([*(s.id for s in subs), failing.id])
        worker = Worker(transport(engine, redis, f"hub:stream:test-{secrets.token_hex(4)}" if redis else None),
                        DeliveryFlow(engine, sender, policy, keys=KEYS).handlers(), config=CONFIG, name="fanout")
        await worker.start()
        try:
            for sub in subs:
                await until(lambda sub=sub: _delivered(service, customer, sub.id), timeout=30)
            await until(lambda: _at_least(bad, 3), timeout=30)  # retried meanwhile, never given up
        finally:
            await worker.stop()
        assert not await _delivered(service, customer, failing.id)
        off = (await service.deliveries(customer, held.id, 10)).items
        assert [(d.status, d.attempts) for d in off] == [("pending", 0)]
    await good.stop()
    await bad.stop()
    assert sorted(r.path for r in good.received) == ["/p0", "/p1", "/p2"]  # once each; nothing to /off
    for sub, r in zip(subs, sorted(good.received, key=lambda r: r.path), strict=True):
        assert Webhook(sub.secret).verify(r.body, r.headers)["data"]["sku"] == sku


async def _delivered(service: NotificationService, customer: str, sub_id: str) -> bool:
    page = await service.deliveries(customer, sub_id, 10)
    return any(d.status == "delivered" for d in page.items)


async def _at_least(receiver: Receiver, n: int) -> bool:
    return len(receiver.received) >= n


async def test_a_worker_works_at_most_lanes_in_flight_lanes_at_once(setup) -> None:
    engine, redis, _, _ = setup
    receiver = Receiver(hold=asyncio.Event())
    base = await receiver.start()
    async with AsyncExitStack() as stack:
        sender = await build_webhook_sender(stack, sandbox=True, timeout=10)
        service = NotificationService(engine, sender, keys=KEYS)
        customer = f"CUST-{secrets.token_hex(3)}"
        subs = [await service.subscribe(customer, "partner", base + f"/p{i}", ["inventory.changed"]) for i in range(5)]
        await emit(engine, [f"SKU-{secrets.token_hex(3)}"], 1)
        flow = DeliveryFlow(engine, sender, Policy(lease=20.0), keys=KEYS, lanes_in_flight=2)
        worker = Worker(transport(engine, redis, f"hub:stream:test-{secrets.token_hex(4)}" if redis else None),
                        flow.handlers(), config=CONFIG, name="bounded")
        await worker.start()
        try:
            await until(lambda: _arrived(receiver, 2), timeout=20)
            for _ in range(10):  # held answers: no third lane starts meanwhile
                assert len(receiver.arrived) == 2
                await asyncio.sleep(0.05)  # observing that nothing more arrives over half a second
            receiver.hold.set()
            for sub in subs:
                await until(lambda sub=sub: _delivered(service, customer, sub.id), timeout=30)
        finally:
            await worker.stop()
    await receiver.stop()
    assert sorted(r.path for r in receiver.received) == [f"/p{i}" for i in range(5)]


async def _arrived(receiver: Receiver, n: int) -> bool:
    return len(receiver.arrived) >= n
