"""The ``webhook.deliver`` handler: work a message's lanes, each oldest delivery first, in batches with the others.

A message names a lane (order id, or sku@location) and the subscriptions with work on it: an
event's fan-out queues one message for all its subscribers, a retry or a hand-over one for
its own subscription. For each (subscription, lane), side by side, the handler claims
the lane's head, sends it (``WebhookSenderPort``), records the outcome and goes on to the
next head, until the lane is empty, a delivery must wait for its next attempt, or it has
worked ``BATCH`` deliveries or ``SLICE_SECONDS`` (then it queues itself again). Every wait
is a new outbox message due when the wait ends, written in the transaction that records
it, so a lane with pending deliveries always has a message on its way, whatever crashes;
several messages for one lane are harmless (the claim lets one worker at a time in).

The worker runs many lanes' handlers at once; their claims and their outcomes are group
commits (``shared.batching``): every outcome waiting is recorded by one transaction, which
also claims the next head of each of those lanes, so the database sees a few statements per
round of the lanes being worked instead of three transactions per delivery. At most
``lanes_in_flight`` lanes are worked at once; sends run concurrently, at most
``per_subscription`` at a time to one subscription; a lane is never worked by two at once,
so an order's events still reach a partner in order.

A worker killed mid-attempt leaves the delivery claimed: the next message for the lane
finds it busy, waits for the lease to end and sends it again, with the same webhook id.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections import defaultdict
from collections.abc import Callable
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncEngine

from process_apis.notifications import lanes
from process_apis.notifications.repository import DELIVER_TOPIC, LaneRef, trigger
from shared.batching import GroupCommit
from shared.messaging.outbox import Message, utcnow
from shared.sealing import DataKeys
from system_apis.webhooks.port import WebhookRequest, WebhookResult, WebhookSenderPort

BATCH = 50
SLICE_SECONDS = 30.0
PER_SUBSCRIPTION = 32
"""Attempts in flight to one subscription at once (over all its lanes)."""
LANES_IN_FLIGHT = 512
"""Lanes one worker process works at once, over all its messages (a fan-out names up to 100
per message; a lane waits here before it claims anything). Twice the sender's default
connection limit: fewer made the claim and record batches smaller and cost about a third
more CPU per delivery in ``bench/webhooks.py``; more lets slow partners leave many claimed
deliveries queueing for a connection, where aiohttp counts the wait in the send's timeout."""
PARALLEL_POSTGRES = 4
"""Claim and record transactions in flight at once on PostgreSQL, whose commits overlap (SQLite
has one writer: one at a time there). Their lanes never overlap, and the subscriptions they
both update are locked in one order (``lanes.record``), so they cannot deadlock."""


class DeliveryFlow:
    def __init__(self, engine: AsyncEngine, sender: WebhookSenderPort, policy: lanes.Policy, *, keys: DataKeys,
                 clock: Callable[[], datetime] = utcnow, rng: Callable[[], float] = random.random,
                 wake: Callable[[], None] = lambda: None, per_subscription: int = PER_SUBSCRIPTION,
                 lanes_in_flight: int = LANES_IN_FLIGHT) -> None:
        self._engine, self._sender, self._policy, self._keys = engine, sender, policy, keys
        self._clock, self._rng, self._wake = clock, rng, wake
        parallel = PARALLEL_POSTGRES if engine.dialect.name == "postgresql" else 1
        self._claims = GroupCommit(self._claim, parallel=parallel)
        self._records = GroupCommit(self._record, parallel=parallel)
        self._lanes = asyncio.Semaphore(lanes_in_flight)
        self._slots: defaultdict[str, asyncio.Semaphore] = defaultdict(lambda: asyncio.Semaphore(per_subscription))

    def handlers(self) -> dict:
        return {DELIVER_TOPIC: self.deliver}

    async def deliver(self, message: Message) -> None:
        """Work the message's lane for each subscription it names (a fan-out names all of an
        event's subscribers: one message for all), concurrently; a failure fails the message
        once every lane has stopped (its redelivery finds the others done or claimed)."""
        ref = message.decode(LaneRef)
        refs = [LaneRef(sub, ref.lane) for sub in (ref.subscription_id, *ref.more)]
        if len(refs) == 1:
            return await self._work(refs[0])
        failures = [r for r in await asyncio.gather(*map(self._work, refs), return_exceptions=True)
                    if isinstance(r, BaseException)]
        if failures:
            raise failures[0]

    async def _work(self, ref: LaneRef) -> None:
        async with self._lanes:
            await self._work_lane(ref)

    async def _work_lane(self, ref: LaneRef) -> None:
        started, done = time.monotonic(), 0
        step = await self._claims.submit(ref)
        while step.claimed is not None:
            claimed = step.claimed
            async with self._slots[ref.subscription_id]:
                result = await self._sender.send(WebhookRequest(
                    url=claimed.url, webhook_id=claimed.webhook_id, body=claimed.body.encode(),
                    secrets=claimed.secrets, subscription_id=ref.subscription_id))
            done += 1
            enough = done >= BATCH or time.monotonic() - started > SLICE_SECONDS
            step = await self._records.submit((ref, claimed, result, enough))
        if step.kind in ("empty", "handed over"):
            self._wake()

    async def _claim(self, refs: list[LaneRef]) -> list[lanes.Step]:
        async with self._engine.begin() as conn:
            return await self._claim_in(conn, refs)

    async def _claim_in(self, conn, refs: list[LaneRef]) -> list[lanes.Step]:  # noqa: ANN001 - AsyncConnection
        steps = await lanes.claim(conn, refs, self._clock(), self._policy.lease, self._keys)
        for ref, step in zip(refs, steps, strict=True):
            if step.kind in ("busy", "wait"):  # look again when the lease or the backoff ends
                await trigger(conn, ref.subscription_id, ref.lane, delay=step.wait + 0.05)
        return steps

    async def _record(self, items: list[tuple[LaneRef, lanes.Claimed, WebhookResult, bool]]) -> list[lanes.Step]:
        """Record the outcomes and, in the same transaction, claim the next head of every lane
        that may go on: one transaction per round of the lanes being worked."""
        async with self._engine.begin() as conn:
            answers = await lanes.record(conn, [(ref, claimed, result) for ref, claimed, result, _ in items],
                                         self._clock(), self._policy, self._rng)
            steps: list[lanes.Step] = []
            going_on: list[int] = []
            for i, ((ref, _, _, enough), (outcome, wait)) in enumerate(zip(items, answers, strict=True)):
                if outcome == "retry":
                    await trigger(conn, ref.subscription_id, ref.lane, delay=wait)
                    steps.append(lanes.Step("wait", wait=wait))
                elif outcome == "next" and enough:
                    await trigger(conn, ref.subscription_id, ref.lane)  # hand over to a fresh message
                    steps.append(lanes.Step("handed over"))
                elif outcome == "held":
                    steps.append(lanes.Step("held"))
                else:
                    steps.append(lanes.Step("empty"))
                    going_on.append(i)
            if going_on:
                for i, step in zip(going_on, await self._claim_in(conn, [items[i][0] for i in going_on]), strict=True):
                    steps[i] = step
        return steps
