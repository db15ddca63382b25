"""A lane's state machine, one transaction per step.

    pending --attempt ok--------------------------> delivered
    pending --attempt failed, attempts left-------> pending (next_attempt_at: backoff with jitter)
    pending --attempt failed, no attempts left----> failed  (the lane moves on)
    delivered | failed --replay-------------------> pending (same webhook id)

``claim`` takes the lane's oldest pending delivery for one attempt (a lease in
``claimed_until``; ``attempts`` +1 fences the outcome: a worker whose lease ran out cannot
record over the next one). ``record`` settles the attempt and keeps the subscription's
failure streak: every attempt failing for ``disable_after`` seconds disables it.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Literal

import msgspec
from sqlalchemy import and_, func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from process_apis.notifications.repository import LaneRef, utc
from shared.db.tables import webhook_deliveries as deliveries
from shared.db.tables import webhook_subscriptions as subs
from system_apis.webhooks.port import WebhookResult


class Policy(msgspec.Struct, frozen=True, kw_only=True):
    """HUB_WEBHOOK_* settings: the backoff, the attempts, the streak that disables, the lease."""

    retry_base: float = 5.0
    retry_max: float = 3 * 3600.0
    max_attempts: int = 18
    disable_after: float = 5 * 86400.0
    lease: float = 15.0
    """How long a claimed attempt is held (the sender's timeout and a margin)."""

    def delay(self, attempts: int, rng: Callable[[], float] = random.random) -> float:
        """After failed attempt ``attempts``: base doubling per attempt, capped, jittered to half-to-full."""
        ceiling = min(self.retry_max, self.retry_base * 2 ** max(attempts - 1, 0))
        return ceiling * (0.5 + rng() / 2)


class Claimed(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    webhook_id: str
    attempts: int
    body: str
    url: str
    secrets: tuple[str, ...]


class Step(msgspec.Struct, frozen=True):
    kind: Literal["claimed", "empty", "busy", "wait", "held"]
    claimed: Claimed | None = None
    wait: float = 0.0


async def claim(conn: AsyncConnection, ref: LaneRef, now: datetime, lease: float) -> Step:
    sub = (await conn.execute(select(subs).where(subs.c.id == ref.subscription_id))).first()
    if sub is None or sub.status != "active":
        return Step("held")  # deleted, or disabled: enabling it queues its lanes again
    head = (await conn.execute(
        select(deliveries.c.id, deliveries.c.webhook_id, deliveries.c.attempts, deliveries.c.body,
               deliveries.c.next_attempt_at, deliveries.c.claimed_until)
        .where(deliveries.c.subscription_id == ref.subscription_id, deliveries.c.lane == ref.lane,
               deliveries.c.status == "pending")
        .order_by(deliveries.c.id).limit(1))).first()
    if head is None:
        return Step("empty")
    held_until = utc(head.claimed_until)
    if held_until is not None and held_until > now:
        return Step("busy", wait=(held_until - now).total_seconds())
    due = utc(head.next_attempt_at)
    if due is not None and due > now:
        return Step("wait", wait=(due - now).total_seconds())
    taken = await conn.execute(update(deliveries).where(
        deliveries.c.id == head.id, deliveries.c.status == "pending", deliveries.c.attempts == head.attempts,
    ).values(attempts=head.attempts + 1, claimed_until=now + timedelta(seconds=lease)))
    if taken.rowcount != 1:
        return Step("busy", wait=0.2)
    keys = (sub.secret,)
    until = utc(sub.previous_secret_until)
    if sub.previous_secret and until is not None and until > now:
        keys += (sub.previous_secret,)
    return Step("claimed", Claimed(id=head.id, webhook_id=head.webhook_id, attempts=head.attempts + 1,
                                   body=head.body, url=sub.url, secrets=keys))


Outcome = Literal["next", "retry", "held"]


async def record(conn: AsyncConnection, ref: LaneRef, claimed: Claimed, result: WebhookResult, now: datetime,
                 policy: Policy, rng: Callable[[], float] = random.random) -> tuple[Outcome, float]:
    """Settle one attempt: ("next", 0) the lane may go on, ("retry", seconds) wait for this
    delivery's next attempt, ("held", 0) the subscription is now disabled."""
    mine = and_(deliveries.c.id == claimed.id, deliveries.c.attempts == claimed.attempts,
                deliveries.c.status == "pending")
    sub = subs.c.id == ref.subscription_id
    if result.delivered:
        await conn.execute(update(deliveries).where(mine).values(
            status="delivered", last_response_status=result.status, last_error=None, delivered_at=now,
            claimed_until=None, next_attempt_at=None))
        await conn.execute(update(subs).where(sub, subs.c.failing_since.is_not(None)).values(failing_since=None))
        return "next", 0.0
    final = claimed.attempts >= policy.max_attempts
    wait = 0.0 if final else policy.delay(claimed.attempts, rng)
    await conn.execute(update(deliveries).where(mine).values(
        status="failed" if final else "pending", last_response_status=result.status,
        last_error=(result.error or "failed")[:200], claimed_until=None,
        next_attempt_at=None if final else now + timedelta(seconds=wait)))
    await conn.execute(update(subs).where(sub).values(failing_since=func.coalesce(subs.c.failing_since, now)))
    disabled = await conn.execute(update(subs).where(
        sub, subs.c.status == "active", subs.c.failing_since <= now - timedelta(seconds=policy.disable_after),
    ).values(status="disabled", disabled_at=now))
    if disabled.rowcount == 1:
        return "held", 0.0
    return ("next", 0.0) if final else ("retry", wait)
