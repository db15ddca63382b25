"""Partner webhook fan-out under faults (issue 11), on the embedded default (outbox table as
the queue) and on PostgreSQL with Redis Streams; every request verified with the
`standardwebhooks` library:

- a worker process SIGKILLed mid-delivery: another worker sends the same delivery again,
  with the same webhook-id, and the lane goes on in order;
- a partner endpoint down "for minutes" then back (time compressed with the policy: a
  short backoff, so minutes of production retries are a few seconds here): every event of
  every lane of every subscription arrives, no gap, and the first arrivals per lane are in
  sequence order (no reordering per order id / sku@location)."""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import signal
import subprocess
import sys
from contextlib import AsyncExitStack
from pathlib import Path

from standardwebhooks import Webhook

from process_apis.notifications.delivery import DeliveryFlow
from process_apis.notifications.lanes import Policy
from process_apis.notifications.service import NotificationService
from shared.messaging import Worker
from system_apis.webhooks.client import build_webhook_sender
from tests.commerce_hub.orders_support import until
from tests.process_apis.notifications.killable_worker import CONFIG, POLICY, transport
from tests.process_apis.notifications.receiver import Receiver
from tests.process_apis.notifications.support import KEYS, emit, one_subscriber

ROOT = Path(__file__).resolve().parents[3]


def first_arrivals(received, secret: str) -> dict[str, list[int]]:  # noqa: ANN001
    """Per lane (sku@location), the sequences in the order their webhook-ids first arrived;
    each request verified with the subscription's secret."""
    seen: set[str] = set()
    lanes: dict[str, list[int]] = {}
    for r in received:
        data = Webhook(secret).verify(r.body, r.headers)["data"]
        if r.headers["webhook-id"] not in seen:
            seen.add(r.headers["webhook-id"])
            lanes.setdefault(f"{data['sku']}@{data['location']}", []).append(data["sequence"])
    return lanes


async def test_a_worker_process_killed_mid_delivery_is_replaced_and_the_webhook_id_kept(setup) -> None:
    engine, redis, url, redis_url = setup
    receiver = Receiver(hold=asyncio.Event())
    base = await receiver.start()
    namespace = f"hub:stream:test-{secrets.token_hex(4)}"
    args = [url] + ([redis_url, namespace] if redis_url else [])
    child = subprocess.Popen([sys.executable, "-m", "tests.process_apis.notifications.killable_worker", *args],
                             cwd=ROOT, stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    try:
        assert child.stdout.readline().strip() == "ready"
        async with AsyncExitStack() as stack:
            sender = await build_webhook_sender(stack, sandbox=True, timeout=5)
            service, customer, sub = await one_subscriber(engine, sender, base + "/in")
            sku = f"SKU-{secrets.token_hex(3)}"
            await emit(engine, [sku], 3)
            await until(lambda: _arrived(receiver, 1), timeout=20)  # on the wire, unanswered
            child.send_signal(signal.SIGKILL)
            child.wait(timeout=10)
            abandoned = receiver.arrived[0].headers["webhook-id"]
            after = len(receiver.arrived)
            receiver.hold.set()
            heir = Worker(transport(engine, redis, namespace if redis else None),
                          DeliveryFlow(engine, sender, POLICY, keys=KEYS).handlers(), config=CONFIG, name="heir")
            await heir.start()
            try:
                await until(lambda: _delivered(service, customer, sub.id, 3), timeout=30)
            finally:
                await heir.stop()
    finally:
        if child.poll() is None:
            child.kill()
            child.wait(timeout=10)
        await receiver.stop()
    later = receiver.arrived[after:]
    assert later[0].headers["webhook-id"] == abandoned  # sent again, under the same id, before the next one
    assert first_arrivals(receiver.arrived, sub.secret) == {f"{sku}@DC-EAST": [1, 2, 3]}


async def test_a_partner_down_for_minutes_then_back_gets_every_event_in_order(setup) -> None:
    engine, redis, _, _ = setup
    receiver = Receiver(status=503)
    base = await receiver.start()
    policy = Policy(retry_base=0.05, retry_max=0.2, max_attempts=1000, disable_after=3600.0, lease=5.0)
    skus = [f"SKU-{secrets.token_hex(3)}" for _ in range(4)]
    async with AsyncExitStack() as stack:
        sender = await build_webhook_sender(stack, sandbox=True, timeout=5)
        service = NotificationService(engine, sender, keys=KEYS)
        customer = f"CUST-{secrets.token_hex(3)}"
        subs = [await service.subscribe(customer, "partner", base + f"/p{i}", ["inventory.changed"]) for i in range(3)]
        await emit(engine, skus, 6)
        worker = Worker(transport(engine, redis, f"hub:stream:test-{secrets.token_hex(4)}" if redis else None),
                        DeliveryFlow(engine, sender, policy, keys=KEYS).handlers(), config=CONFIG, name="fanout")
        await worker.start()
        try:
            # down: each lane's head is tried again and again (8 attempts is minutes at the
            # production backoff of 5 s doubling); nothing behind a head is sent meanwhile
            await until(lambda: _failed_at_least(receiver, len(subs) * len(skus) * 8), timeout=60)
            assert {json.loads(r.body)["data"]["sequence"] for r in receiver.received} == {1}
            receiver.status = 200
            for sub in subs:
                await until(lambda sub=sub: _delivered(service, customer, sub.id, len(skus) * 6), timeout=60)
        finally:
            await worker.stop()
    await receiver.stop()
    for i, sub in enumerate(subs):
        mine = [r for r in receiver.received if r.path == f"/p{i}"]
        assert first_arrivals(mine, sub.secret) == {f"{sku}@DC-EAST": [1, 2, 3, 4, 5, 6] for sku in skus}


async def _arrived(receiver: Receiver, n: int) -> bool:
    return len(receiver.arrived) >= n


async def _failed_at_least(receiver: Receiver, n: int) -> bool:
    return len(receiver.received) >= n


async def _delivered(service: NotificationService, customer: str, sub_id: str, n: int) -> bool:
    page = await service.deliveries(customer, sub_id, 100)
    return sum(d.status == "delivered" for d in page.items) >= n
