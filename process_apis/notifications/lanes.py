"""A lane's state machine, worked for many lanes at once: one claim and one record per batch.

    pending --attempt ok--------------------------> delivered
    pending --attempt failed, attempts left-------> pending (next_attempt_at: backoff with jitter)
    pending --attempt failed, no attempts left----> failed  (the lane moves on)
    delivered | failed --replay-------------------> pending (same webhook id)

``claim`` takes each lane's oldest pending delivery for one attempt (a lease in
``claimed_until``; ``attempts`` +1 fences the outcome: a worker whose lease ran out cannot
record over the next one): a read of the subscriptions, a read of the lanes' heads and one
UPDATE for all the due ones. ``record`` settles a batch of attempts (one UPDATE for the
deliveries, one per kind for the subscriptions) and keeps each subscription's failure
streak: every attempt failing for ``disable_after`` seconds disables it.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import Any, Literal

import msgspec
from sqlalchemy import and_, bindparam, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from process_apis.notifications.repository import LaneRef, utc
from shared.db.tables import webhook_deliveries as deliveries
from shared.db.tables import webhook_subscriptions as subs
from shared.sealing import DataKeyError, DataKeys
from system_apis.webhooks.port import WebhookResult

log = logging.getLogger("commerce_hub.webhooks")
UNREADABLE_WAIT = 60.0
"""Seconds a lane waits when its subscription's secret does not open, before it looks again."""


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
    kind: Literal["claimed", "empty", "busy", "wait", "held", "handed over"]
    claimed: Claimed | None = None
    wait: float = 0.0


async def claim(conn: AsyncConnection, refs: list[LaneRef], now: datetime, lease: float,
                keys: DataKeys) -> list[Step]:
    """One step per ref, in order; a lane named twice is claimed once (the others find it busy).
    A claimed delivery carries its subscription's secrets opened with ``keys``; a subscription
    whose secret does not open (a wrong data key) is logged and its lanes wait ``UNREADABLE_WAIT``
    without spending an attempt, while the other lanes go on."""
    sub_rows = {r.id: r for r in await conn.execute(select(
        subs.c.id, subs.c.status, subs.c.url, subs.c.secret, subs.c.previous_secret, subs.c.previous_secret_until,
    ).where(subs.c.id.in_({r.subscription_id for r in refs})))}
    signing = _open(sub_rows.values(), now, keys)
    live = {(r.subscription_id, r.lane) for r in refs if signing.get(r.subscription_id) is not None}
    heads = {}
    if live:
        # subscriptions IN (...) AND lanes IN (...): probes of ix_webhook_deliveries_lane (a fan-out's
        # batch is many subscriptions on a few lanes); the pairs not asked for are dropped below
        first = (select(func.min(deliveries.c.id)).where(
            deliveries.c.subscription_id.in_({s for s, _ in live}), deliveries.c.lane.in_({lane for _, lane in live}),
            deliveries.c.status == "pending").group_by(deliveries.c.subscription_id, deliveries.c.lane))
        heads = {(h.subscription_id, h.lane): h for h in await conn.execute(select(
            deliveries.c.id, deliveries.c.subscription_id, deliveries.c.lane, deliveries.c.webhook_id,
            deliveries.c.attempts, deliveries.c.body, deliveries.c.next_attempt_at, deliveries.c.claimed_until,
        ).where(deliveries.c.id.in_(first))) if (h.subscription_id, h.lane) in live}
    due = [h.id for h in heads.values() if _ready(h, now)]
    taken: dict[int, int] = {}
    if due:
        free = or_(deliveries.c.claimed_until.is_(None), deliveries.c.claimed_until <= now)
        ready = or_(deliveries.c.next_attempt_at.is_(None), deliveries.c.next_attempt_at <= now)
        taken = {r.id: r.attempts for r in await conn.execute(
            update(deliveries).where(deliveries.c.id.in_(due), deliveries.c.status == "pending", free, ready)
            .values(attempts=deliveries.c.attempts + 1, claimed_until=now + timedelta(seconds=lease))
            .returning(deliveries.c.id, deliveries.c.attempts))}
    steps, given = [], set()
    for ref in refs:
        key = (ref.subscription_id, ref.lane)
        head = heads.get(key)
        if ref.subscription_id in signing and signing[ref.subscription_id] is None:
            steps.append(Step("wait", wait=UNREADABLE_WAIT))  # its secret did not open: logged in _open
        elif key not in live:
            steps.append(Step("held"))  # deleted, or disabled: enabling it queues its lanes again
        elif head is None:
            steps.append(Step("empty"))
        elif head.id in taken and head.id not in given:
            given.add(head.id)
            steps.append(Step("claimed", Claimed(id=head.id, webhook_id=head.webhook_id, attempts=taken[head.id],
                                                 body=head.body, url=sub_rows[ref.subscription_id].url,
                                                 secrets=signing[ref.subscription_id])))
        else:
            steps.append(_waiting(head, now, lease if head.id in given else 0.2))
    return steps


def _ready(head: Any, now: datetime) -> bool:
    held, due = utc(head.claimed_until), utc(head.next_attempt_at)
    return (held is None or held <= now) and (due is None or due <= now)


def _waiting(head: Any, now: datetime, otherwise: float) -> Step:
    held, due = utc(head.claimed_until), utc(head.next_attempt_at)
    if held is not None and held > now:
        return Step("busy", wait=(held - now).total_seconds())
    if due is not None and due > now:
        return Step("wait", wait=(due - now).total_seconds())
    return Step("busy", wait=otherwise)  # taken by another worker between the read and the update


def _open(rows: Iterable[Any], now: datetime, keys: DataKeys) -> dict[str, tuple[str, ...] | None]:
    """Each active subscription's signing secrets (the previous one too during its overlap),
    opened; None for one whose secrets no data key here opens."""
    out: dict[str, tuple[str, ...] | None] = {}
    for sub in rows:
        if sub.status != "active":
            continue
        until = utc(sub.previous_secret_until)
        stored = (sub.secret, sub.previous_secret) if sub.previous_secret and until is not None and until > now \
            else (sub.secret,)
        try:
            out[sub.id] = tuple(keys.open(value, sub.id) for value in stored)
        except DataKeyError as exc:
            log.error("webhook deliveries of %s wait: %s", sub.id, exc.reason)
            out[sub.id] = None
    return out


Outcome = Literal["next", "retry", "held"]
Attempt = tuple[LaneRef, Claimed, WebhookResult]

_SETTLE = update(deliveries).where(
    deliveries.c.id == bindparam("b_id"), deliveries.c.attempts == bindparam("b_attempts"),
    deliveries.c.status == "pending",
).values(status=bindparam("b_status"), last_response_status=bindparam("b_code"), last_error=bindparam("b_error"),
         delivered_at=bindparam("b_delivered_at"), next_attempt_at=bindparam("b_next"), claimed_until=None)


async def record(conn: AsyncConnection, attempts: list[Attempt], now: datetime, policy: Policy,
                 rng: Callable[[], float] = random.random) -> list[tuple[Outcome, float]]:
    """Settle a batch of attempts, one answer each: ("next", 0) the lane may go on, ("retry",
    seconds) wait for this delivery's next attempt, ("held", 0) the subscription is now disabled."""
    rows, answers, good, bad = [], [], set(), set()
    for ref, claimed, result in attempts:
        if result.delivered:
            good.add(ref.subscription_id)
            rows.append(dict(b_id=claimed.id, b_attempts=claimed.attempts, b_status="delivered", b_code=result.status,
                             b_error=None, b_delivered_at=now, b_next=None))
            answers.append(("next", 0.0))
            continue
        bad.add(ref.subscription_id)
        final = claimed.attempts >= policy.max_attempts
        wait = 0.0 if final else policy.delay(claimed.attempts, rng)
        rows.append(dict(b_id=claimed.id, b_attempts=claimed.attempts, b_status="failed" if final else "pending",
                         b_code=result.status, b_error=(result.error or "failed")[:200], b_delivered_at=None,
                         b_next=None if final else now + timedelta(seconds=wait)))
        answers.append(("next", 0.0) if final else ("retry", wait))
    await conn.execute(_SETTLE, rows)
    streaks = await _lock_streaks(conn, good, bad)
    good &= streaks
    if good:  # a success ends the streak (one failing in the same batch starts a new one below)
        await conn.execute(update(subs).where(subs.c.id.in_(good), subs.c.failing_since.is_not(None))
                           .values(failing_since=None))
    if not bad:
        return answers
    await conn.execute(update(subs).where(subs.c.id.in_(bad)).values(
        failing_since=func.coalesce(subs.c.failing_since, now)))
    disabled = {r.id for r in await conn.execute(update(subs).where(
        subs.c.id.in_(bad), subs.c.status == "active",
        subs.c.failing_since <= now - timedelta(seconds=policy.disable_after),
    ).values(status="disabled", disabled_at=now).returning(subs.c.id))}
    return [("held", 0.0) if ref.subscription_id in disabled and not result.delivered else answer
            for (ref, _, result), answer in zip(attempts, answers, strict=True)]


async def _lock_streaks(conn: AsyncConnection, good: set[str], bad: set[str]) -> set[str]:
    """Lock, in id order, the subscriptions whose failure streak this record may change (every
    one with a failure, and those with a success whose streak is running), so that records
    running side by side take their locks in one order (PostgreSQL: no deadlock); the ones with
    a success and a running streak. Nothing to lock when every attempt succeeded on a healthy
    subscription: the common case costs one read without locks."""
    if not good and not bad:
        return set()
    running = or_(subs.c.failing_since.is_not(None), subs.c.id.in_(bad)) if bad else subs.c.failing_since.is_not(None)
    rows = await conn.execute(select(subs.c.id, subs.c.failing_since).where(subs.c.id.in_(good | bad), running)
                              .order_by(subs.c.id).with_for_update())
    return {r.id for r in rows if r.failing_since is not None}
