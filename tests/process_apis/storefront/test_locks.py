"""Row locks of the storefront marks on PostgreSQL: a stock report's mark and a refresh never deadlock."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from process_apis.storefront import levels
from shared.db.engine import create_engine, dispose
from shared.messaging.outbox import utcnow


@pytest.fixture
async def engine(fresh_pg_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(fresh_pg_url)
    try:
        yield engine
    finally:
        await dispose(engine)


async def blocked(engine: AsyncEngine, refresh: asyncio.Task, deadline: float = 60.0) -> None:
    """Return once a statement of this database waits on a row lock: the refresh, held up by the
    report's mark (it cannot finish before that mark is committed).

    Each look is its own transaction: PostgreSQL takes pg_stat_activity's snapshot once per
    transaction, so polls in one transaction would see the first poll's view for ever (a
    refresh that blocked after it was never seen: the full suite's rare failure)."""
    loop = asyncio.get_running_loop()
    until = loop.time() + deadline
    async with engine.connect() as conn:
        while loop.time() < until:
            if refresh.done():
                raise AssertionError(f"the refresh ended while a mark it reads was held: {refresh.result()!r}")
            waits = (await conn.execute(text("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                                              "AND datname = current_database()"))).scalar()
            await conn.rollback()  # the next look sees a new snapshot
            if waits:
                return
            await asyncio.sleep(0.01)  # polling for the refresh to block, bounded by the deadline
    raise AssertionError("the refresh never waited on the held mark")


async def test_the_wait_is_seen_when_it_starts_after_the_first_look(engine: AsyncEngine) -> None:
    async with engine.begin() as conn:
        await levels.mark(conn, ["SKU-A"])
    looked = asyncio.Event()

    async def late_waiter() -> None:  # blocks on SKU-A's mark only once the poller has looked
        await looked.wait()
        async with engine.begin() as conn:
            await levels.mark(conn, ["SKU-A"])

    async with engine.connect() as holder:
        await holder.begin()
        await levels.mark(holder, ["SKU-A"])
        waiter = asyncio.create_task(late_waiter())
        loop = asyncio.get_running_loop()
        loop.call_later(0.05, looked.set)  # after the poller's first looks
        await blocked(engine, waiter, deadline=10)
        await holder.commit()
    await asyncio.wait_for(waiter, 10)


async def test_a_refresh_takes_the_marks_in_the_order_a_report_marks_them(engine: AsyncEngine) -> None:
    now = utcnow()
    async with engine.begin() as conn:  # due in the order SKU-B, SKU-A (by receipt), not by name
        await levels.mark(conn, ["SKU-B"], now - timedelta(seconds=2))
        await levels.mark(conn, ["SKU-A"], now - timedelta(seconds=1))
    async with engine.connect() as report:
        await report.begin()
        await levels.mark(report, ["SKU-A"])  # a report's transaction holds SKU-A's mark...
        refresh = asyncio.create_task(levels.DesiredLevels(engine).refresh())
        await blocked(engine, refresh)
        await levels.mark(report, ["SKU-B"])  # ...and goes on to SKU-B, as a batch marks them: by name
        await report.commit()
    assert await asyncio.wait_for(refresh, 60) == 2  # before the fix: "deadlock detected" in one of them
