"""The ``webhook.deliver`` handler: work one lane, oldest delivery first.

A message names a lane (subscription + order id, or + sku@location). The handler claims
the lane's head, sends it (``WebhookSenderPort``), records the outcome and goes on to the
next head, until the lane is empty, a delivery must wait for its next attempt, or it has
worked ``BATCH`` deliveries or ``SLICE_SECONDS`` (then it queues itself again). Every wait
is a new outbox message due when the wait ends, written in the transaction that records
it, so a lane with pending deliveries always has a message on its way, whatever crashes;
several messages for one lane are harmless (the claim lets one worker at a time in).

A worker killed mid-attempt leaves the delivery claimed: the next message for the lane
finds it busy, waits for the lease to end and sends it again, with the same webhook id.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncEngine

from process_apis.notifications import lanes
from process_apis.notifications.repository import DELIVER_TOPIC, LaneRef, trigger
from shared.messaging.outbox import Message, utcnow
from system_apis.webhooks.port import WebhookRequest, WebhookSenderPort

BATCH = 50
SLICE_SECONDS = 30.0


class DeliveryFlow:
    def __init__(self, engine: AsyncEngine, sender: WebhookSenderPort, policy: lanes.Policy, *,
                 clock: Callable[[], datetime] = utcnow, rng: Callable[[], float] = random.random,
                 wake: Callable[[], None] = lambda: None) -> None:
        self._engine, self._sender, self._policy = engine, sender, policy
        self._clock, self._rng, self._wake = clock, rng, wake

    def handlers(self) -> dict:
        return {DELIVER_TOPIC: self.deliver}

    async def deliver(self, message: Message) -> None:
        ref = message.decode(LaneRef)
        async with self._engine.begin() as conn:
            step = await self._next(conn, ref)
        started, done = time.monotonic(), 0
        while step.claimed is not None:
            claimed = step.claimed
            result = await self._sender.send(WebhookRequest(url=claimed.url, webhook_id=claimed.webhook_id,
                                                            body=claimed.body.encode(), secrets=claimed.secrets,
                                                            subscription_id=ref.subscription_id))
            done += 1
            async with self._engine.begin() as conn:
                outcome, wait = await lanes.record(conn, ref, claimed, result, self._clock(), self._policy, self._rng)
                if outcome == "retry":
                    await trigger(conn, ref.subscription_id, ref.lane, delay=wait)
                    return
                if outcome == "held":
                    return
                if done >= BATCH or time.monotonic() - started > SLICE_SECONDS:
                    await trigger(conn, ref.subscription_id, ref.lane)  # hand over to a fresh message
                    break
                step = await self._next(conn, ref)
        self._wake()

    async def _next(self, conn, ref: LaneRef) -> lanes.Step:  # noqa: ANN001 - an AsyncConnection
        step = await lanes.claim(conn, ref, self._clock(), self._policy.lease)
        if step.kind in ("busy", "wait"):  # look again when the lease or the backoff ends
            await trigger(conn, ref.subscription_id, ref.lane, delay=step.wait + 0.05)
        return step
