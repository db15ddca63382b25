"""Records of attempts side by side (PostgreSQL runs up to ``PARALLEL_POSTGRES`` at once):
each changes the failure streaks of the subscriptions it saw succeed or fail, in whatever
mix; they lock those subscriptions in one order, so none deadlocks (without that order,
PostgreSQL detects deadlocks here). On SQLite (one writer) the same records simply queue."""

from __future__ import annotations

import asyncio
import random
from datetime import UTC, datetime

from sqlalchemy import select

from process_apis.notifications import lanes
from process_apis.notifications.lanes import Claimed, Policy
from process_apis.notifications.repository import LaneRef
from process_apis.notifications.service import NotificationService
from shared.db.tables import webhook_subscriptions as subs
from system_apis.webhooks.port import WebhookResult
from tests.process_apis.notifications.support import KEYS

OK, DOWN = WebhookResult(status=200), WebhookResult(status=503, error="answered 503")


class _NoSender:
    async def vet(self, url: str) -> None:
        return None


async def test_records_side_by_side_with_mixed_outcomes_never_deadlock(setup) -> None:
    engine, *_ = setup
    service = NotificationService(engine, _NoSender(), keys=KEYS)
    ids = [(await service.subscribe("CUST-P", "partner", f"https://p{i}.example/h", ["inventory.changed"])).id
           for i in range(6)]
    policy = Policy(disable_after=3600.0)
    rng = random.Random(11)
    plans = []
    for n in range(24):  # each record: every subscription once, in a shuffled order, half failing
        order = rng.sample(ids, len(ids))
        plans.append([(LaneRef(s, f"L{n}"), Claimed(id=-1 - n * 10 - i, webhook_id=f"msg_{n}_{i}", attempts=1, body="{}",
                                                    url="https://x/", secrets=()), rng.choice((OK, DOWN)))
                      for i, s in enumerate(order)])

    async def one(plan) -> None:  # noqa: ANN001
        async with engine.begin() as conn:
            await lanes.record(conn, plan, datetime.now(UTC), policy)

    async with asyncio.timeout(60):
        await asyncio.gather(*(one(p) for p in plans))  # a deadlock would raise here
    async with engine.connect() as conn:
        rows = {r.id: r for r in await conn.execute(select(subs.c.id, subs.c.status, subs.c.failing_since))}
    assert {rows[s].status for s in ids} == {"active"}
    for s in ids:  # each streak is as one of the records left it: running after a failure, ended after a success
        seen = {a[2] is OK for p in plans for a in p if a[0].subscription_id == s}
        assert (rows[s].failing_since is None and True in seen) or (rows[s].failing_since is not None and False in seen)
