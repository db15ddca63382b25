"""A worker killed mid-delivery: the next worker sends the same delivery again, with the same
webhook-id and a valid signature, and the lane goes on in order (issue 11 faults). On the
embedded default (outbox table as the queue) and on PostgreSQL with Redis Streams.

The kill is ``Worker.stop(grace=0)``: running handlers are cancelled with no outcome
recorded, exactly what a SIGKILL leaves behind (the outbox lease and the delivery's claim
run out, then another worker takes over)."""

from __future__ import annotations

import asyncio
import json
import secrets
from contextlib import AsyncExitStack

from standardwebhooks import Webhook

from process_apis.notifications.delivery import DeliveryFlow
from process_apis.notifications.lanes import Policy
from process_apis.notifications.service import NotificationService
from shared.messaging import OutboxStore, RedisTransport, TableTransport, Worker, WorkerConfig
from system_apis.webhooks.client import build_webhook_sender
from tests.commerce_hub.orders_support import until
from tests.process_apis.notifications.receiver import Receiver
from tests.process_apis.notifications.support import KEYS, emit, one_subscriber

CONFIG = WorkerConfig(lease_seconds=1.0, poll_seconds=0.05)
POLICY = Policy(retry_base=0.1, retry_max=0.3, lease=1.0)


def worker(engine, redis, flow: DeliveryFlow, namespace: str, name: str) -> Worker:  # noqa: ANN001
    store = OutboxStore(engine)
    transport = (RedisTransport(store, redis, CONFIG, namespace=namespace) if redis is not None
                 else TableTransport(store, CONFIG))
    return Worker(transport, flow.handlers(), config=CONFIG, name=name)


async def test_a_worker_killed_mid_delivery_is_replaced_and_the_webhook_id_kept(setup) -> None:
    engine, redis, *_ = setup
    receiver = Receiver(hold=asyncio.Event())
    base = await receiver.start()
    namespace = f"hub:stream:test-{secrets.token_hex(4)}"
    async with AsyncExitStack() as stack:
        sender = await build_webhook_sender(stack, sandbox=True, timeout=5)
        service, customer, sub = await one_subscriber(engine, sender, base + "/in")
        sku = f"SKU-{secrets.token_hex(3)}"
        await emit(engine, [sku], 3)
        flow = DeliveryFlow(engine, sender, POLICY, keys=KEYS)
        first = worker(engine, redis, flow, namespace, "doomed")
        await first.start()
        await until(lambda: _arrived(receiver, 1), timeout=10)  # the first delivery is on the wire, unanswered
        await first.stop(grace=0)  # killed: no outcome recorded
        abandoned = receiver.arrived[0].headers["webhook-id"]
        after = len(receiver.arrived)
        receiver.hold.set()
        second = worker(engine, redis, flow, namespace, "heir")
        await second.start()
        try:
            await until(lambda: _delivered(service, customer, sub.id, 3), timeout=30)
        finally:
            await second.stop()
    await receiver.stop()
    later = receiver.arrived[after:]
    assert later[0].headers["webhook-id"] == abandoned  # sent again, under the same id, before the next one
    firsts: list[str] = []
    for r in later:
        if r.headers["webhook-id"] not in firsts:
            firsts.append(r.headers["webhook-id"])
    sequences = [json.loads(next(r.body for r in later if r.headers["webhook-id"] == w))["data"]["sequence"]
                 for w in firsts]
    assert sequences == [1, 2, 3]
    for r in receiver.arrived:
        assert Webhook(sub.secret).verify(r.body, r.headers)["data"]["sku"] == sku


async def _arrived(receiver: Receiver, n: int) -> bool:
    return len(receiver.arrived) >= n


async def _delivered(service: NotificationService, customer: str, sub_id: str, n: int) -> bool:
    page = await service.deliveries(customer, sub_id, 10)
    return sum(d.status == "delivered" for d in page.items) >= n
