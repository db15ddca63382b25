"""The storefront pusher: drains due levels to the shop, within its call limit, until converged.

Each round: ``DesiredLevels.refresh`` (marks -> desired), then claim up to
``levels_per_call`` due rows (``version > pushed_version``, oldest report
first) with a lease, send them in one call, and record what was sent
(``pushed``, ``pushed_version``, ``pushed_at``). A row whose desired value
moved on meanwhile stays due and goes in a later call: its newer value is
sent after the older one has landed, and the lease keeps two pushers off one
row, so an older value never overwrites a newer one on the shop. There is no
queue of values: a row holds only the latest.

Pacing, never hammering: after each call the answer's ``CallBudget`` says
what is left; the next call waits until the bucket holds its cost plus a
quarter of the bucket kept for the hub's other calls to the platform. A throttle
(429 or GraphQL THROTTLED) waits its ``retry_after``; an outage, a timeout or
an open circuit backs off exponentially (``BACKOFF``), retrying for as long
as it takes. A permanent refusal of a batch is split in halves to isolate the
refused rows, which keep ``last_error`` and wait ``REFUSED_WAIT_SECONDS``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import uuid
from collections.abc import Awaitable, Callable, Sequence
from datetime import timedelta

from sqlalchemy import and_, bindparam, exists, or_, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncEngine

from process_apis.storefront.levels import REFRESH_BATCH, DesiredLevels
from shared.db.engine import reading
from shared.db.storefront_tables import storefront_levels as levels
from shared.errors import BackendError, BackendThrottled, BackendUnavailable
from shared.messaging.outbox import utcnow
from system_apis.channel.port import MAX_LEVELS_PER_CALL, CallBudget, ChannelPlatformPort, StorefrontLevel

log = logging.getLogger("commerce_hub.storefront")

LEASE_SECONDS = 60.0
"""A claim's lease: longer than any one call (timeouts are seconds), so leases never overlap a call."""
BACKOFF = (0.25, 10.0)
"""Outage backoff: first and largest wait, doubling, with jitter."""
REFUSED_WAIT_SECONDS = 60.0
HAND_BACK_SECONDS = 5.0
"""At stop, how long handing an in-flight claim back may take before the lease is left to free it."""
LINGER_SECONDS = 0.05
"""After a wake, let a burst's other marks gather before reading them: one round for many reports."""
KEEP_FRACTION = 0.25
"""Of the vendor's bucket, left for the hub's other calls (fulfilments, refunds share REST's)."""


class StorefrontPusher:
    def __init__(
        self, engine: AsyncEngine, platform: ChannelPlatformPort, *, safety_buffer: int = 0,
        levels_per_call: int = MAX_LEVELS_PER_CALL, poll_seconds: float = 0.5,
        sleep: Callable[[float], Awaitable[object]] = asyncio.sleep, sources: Sequence[str] | None = None,
    ) -> None:
        """``sources``: the configured stock sources (``StockBook.sources``); None: every level."""
        self._engine = engine
        self._platform = platform
        self.desired = DesiredLevels(engine, safety_buffer=safety_buffer, sources=sources)
        self._per_call = max(1, min(levels_per_call, MAX_LEVELS_PER_CALL))
        self._poll = poll_seconds
        self._sleep = sleep
        self._woken = asyncio.Event()
        self._task: asyncio.Task | None = None
        self._backoff = BACKOFF[0]
        self._more = False
        """The last round was full (a whole batch of marks read, or a whole call pushed): more may
        be due, so the next round starts at once; after a partial one ``_run`` lingers first (under a
        steady stream of holds a round per order's mark was a round trip of the database, the
        system role and the shop each time)."""
        self.calls = 0
        """Calls that set levels (answered or not): what a test or the bench counts."""

    def wake(self) -> None:
        """Something was marked: look now rather than at the next poll."""
        self._woken.set()

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run(), name="storefront-pusher")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _run(self) -> None:
        while True:
            try:
                wait = await self.step()
            except Exception:  # a database hiccup: log it, look again shortly, never die
                log.exception("storefront push round failed")
                wait = self._poll
            if wait is None:  # nothing due: sleep until woken or the next poll, then linger a moment
                self._woken.clear()
                try:
                    await asyncio.wait_for(self._woken.wait(), self._poll)
                    await self._sleep(LINGER_SECONDS)
                except TimeoutError:
                    pass
            elif wait > 0:
                await self._sleep(wait)
            elif not self._more:  # caught up: let the next marks gather a moment (one round for many)
                await self._sleep(LINGER_SECONDS)

    async def step(self) -> float | None:
        """One round: refresh (one batch of marks), claim, push. The wait before the next round (0: go
        on at once), or ``None`` when nothing is due."""
        read = await self.desired.refresh()  # one batch: a burst's marks never starve the pushes
        claim, batch, versions = await self._claim()
        self._more = read >= REFRESH_BATCH or len(batch) >= self._per_call
        if not batch:
            return 0.0 if read else None  # marks read may have more behind them
        try:
            budget = await self._push(batch)
        except asyncio.CancelledError:  # stopped mid-push: the rows go back now, not when the lease ends
            await self._hand_back(claim)
            raise
        except BackendThrottled as exc:
            await self._release(claim, exc.code)
            return exc.retry_after if exc.retry_after is not None else 1.0
        except BackendUnavailable as exc:  # down, timing out, circuit open: back off, retry until it is back
            await self._release(claim, exc.code)
            wait, self._backoff = self._backoff, min(self._backoff * 2, BACKOFF[1])
            return wait * random.uniform(0.8, 1.2)
        self._backoff = BACKOFF[0]
        await self._done(claim, batch, versions)
        if budget is None:
            return 0.0
        keep = budget.capacity * KEEP_FRACTION
        return max((budget.cost + keep - budget.available) / max(budget.refill_per_second, 1e-6), 0.0)

    async def _push(self, batch: list[StorefrontLevel]) -> CallBudget | None:
        """Send ``batch``; a permanent refusal splits it to set aside only the refused rows."""
        try:
            self.calls += 1
            if self._per_call == 1:
                (one,) = batch
                return await self._platform.set_inventory(one.sku, one.location, one.available)
            return await self._platform.set_inventory_levels(batch)
        except BackendUnavailable:
            raise
        except BackendError as exc:
            if len(batch) == 1:
                await self._refuse(batch[0], exc)
                return None
            half = len(batch) // 2
            first = await self._push(batch[:half])
            return await self._push(batch[half:]) or first

    async def _claim(self) -> tuple[str, list[StorefrontLevel], dict[tuple[str, str], int]]:
        """Lease up to ``levels_per_call`` due rows: the claim, the levels to send and their versions."""
        token, now = uuid.uuid4().hex, utcnow()
        free = or_(levels.c.claimed_until.is_(None), levels.c.claimed_until < now)
        due = and_(levels.c.version > levels.c.pushed_version, free)
        async with reading(self._engine) as conn:  # nothing due, the usual idle round: no transaction
            if not (await conn.execute(select(exists().where(due)))).scalar():
                return token, [], {}
        # PostgreSQL: SKIP LOCKED, so pushers in several processes take different rows and never wait
        # on one another (claiming a list of keys locked them in scan order: two pushers deadlocked)
        pick = (select(levels.c.sku, levels.c.location).where(due).order_by(levels.c.received_at)
                .limit(self._per_call).with_for_update(skip_locked=True))
        async with self._engine.begin() as conn:
            await conn.execute(update(levels).where(tuple_(levels.c.sku, levels.c.location).in_(pick), due)
                               .values(claim=token, claimed_until=now + timedelta(seconds=LEASE_SECONDS)))
            rows = (await conn.execute(select(levels.c.sku, levels.c.location, levels.c.desired, levels.c.version)
                                       .where(levels.c.claim == token))).all()
        return (token, [StorefrontLevel(sku=r.sku, location=r.location, available=r.desired) for r in rows],
                {(r.sku, r.location): r.version for r in rows})

    async def _done(self, claim: str, batch: list[StorefrontLevel], versions: dict[tuple[str, str], int]) -> None:
        """Record what the shop now shows; the claim ends (a row that moved on meanwhile stays due)."""
        now = utcnow()
        sent = [{"s": lv.sku, "l": lv.location, "p": lv.available, "v": versions[(lv.sku, lv.location)]}
                for lv in sorted(batch, key=lambda lv: (lv.sku, lv.location))]  # the refresh's lock order
        async with self._engine.begin() as conn:
            await conn.execute(update(levels).where(levels.c.sku == bindparam("s"), levels.c.location == bindparam("l"),
                                                    levels.c.claim == claim)
                               .values(pushed=bindparam("p"), pushed_version=bindparam("v"), pushed_at=now,
                                       claim=None, claimed_until=None, last_error=None), sent)

    async def _release(self, claim: str, why: str | None = None) -> None:
        """The claim's rows free again; ``why`` (a failed push's code) kept as their last error."""
        values: dict = {"claim": None, "claimed_until": None}
        if why is not None:
            values["last_error"] = why[:200]
        async with self._engine.begin() as conn:
            await conn.execute(update(levels).where(levels.c.claim == claim).values(**values))

    async def _hand_back(self, claim: str) -> None:
        """A stopping pusher's claim, released for the next process (its push may have reached the
        shop: setting the same absolute levels again is harmless). Bounded: a database that is
        gone at shutdown leaves the claim to its lease, as a crash does."""
        try:
            async with asyncio.timeout(HAND_BACK_SECONDS):
                await self._release(claim)
        except Exception:  # noqa: BLE001 - the lease covers it
            log.warning("storefront pusher: its claim was not handed back at stop; the lease frees it")

    async def _refuse(self, level: StorefrontLevel, exc: BackendError) -> None:
        """A level the shop refuses: set aside for a while (the drift check reports it)."""
        log.warning("storefront refused %s at %s: %s", level.sku, level.location, exc)
        async with self._engine.begin() as conn:
            await conn.execute(update(levels).where(levels.c.sku == level.sku, levels.c.location == level.location)
                               .values(claim=None, last_error=str(exc)[:200],
                                       claimed_until=utcnow() + timedelta(seconds=REFUSED_WAIT_SECONDS)))
