"""The SQLite engine's connections close without hanging when SQLAlchemy has already forced a
stop (its terminate path for a connection whose task is cancelled): see shared/db/sqlite_driver."""

from __future__ import annotations

import asyncio
import threading
import time

from sqlalchemy import event, text

from shared.db.engine import create_engine, dispose


async def _driver_connection(engine):  # noqa: ANN001, ANN202 - the raw aiosqlite connection
    async with engine.connect() as conn:
        raw = await conn.get_raw_connection()
        return raw.driver_connection


async def test_a_close_after_a_forced_stop_returns_and_ends_the_worker(sqlite_url: str) -> None:
    engine = create_engine(sqlite_url)
    try:
        driver = await _driver_connection(engine)
        driver.stop()  # SQLAlchemy's forced close, queued before the graceful close's own
        await asyncio.wait_for(driver.close(), 10)  # aiosqlite's own close waited here forever
        await asyncio.to_thread(driver._thread.join, 10)
        assert not driver._thread.is_alive()
    finally:
        await dispose(engine)


async def test_a_cancelled_graceful_close_beside_a_forced_stop_does_not_wait_forever(sqlite_url: str) -> None:
    engine = create_engine(sqlite_url)
    try:
        driver = await _driver_connection(engine)
        closing = asyncio.create_task(driver.close())
        await asyncio.sleep(0)  # the graceful close's statement is queued...
        driver.stop()  # ...then the forced stop, as SQLAlchemy does on a cancellation
        await asyncio.wait_for(closing, 10)
        assert driver._connection is None
    finally:
        await dispose(engine)


async def test_connections_still_read_write_and_close(sqlite_url: str) -> None:
    engine = create_engine(sqlite_url)
    try:
        async with engine.begin() as conn:
            await conn.execute(text("CREATE TABLE t (n INTEGER)"))
            await conn.execute(text("INSERT INTO t VALUES (1), (2)"))
        async with engine.connect() as conn:
            assert (await conn.execute(text("SELECT sum(n) FROM t"))).scalar_one() == 3
        driver = await _driver_connection(engine)
    finally:
        await dispose(engine)
    assert not driver._thread.is_alive()  # dispose closed it and waited for its worker to end


async def test_dispose_waits_for_a_worker_finishing_a_cancelled_statement(sqlite_url: str) -> None:
    """A statement cancelled mid-flight goes on in its worker, which hands the answer to the
    loop when it ends: ``engine.dispose()`` returned before that, and in a test or a hub shutting
    down the loop could close first (``Event loop is closed`` in the worker: the CI warning of
    2026-12-07). ``dispose`` returns once the worker has ended."""
    engine, started, workers = create_engine(sqlite_url), threading.Event(), []

    def slow() -> int:  # a statement that takes a while once it has begun
        started.set()
        time.sleep(0.3)
        return 1

    @event.listens_for(engine.sync_engine, "connect")
    def _with_slow(dbapi_conn, _record) -> None:  # noqa: ANN001
        dbapi_conn.run_async(lambda driver: driver.create_function("slow", 0, slow))
        workers.append(dbapi_conn.driver_connection._thread)

    async def read() -> None:
        async with engine.connect() as conn:
            await conn.execute(text("SELECT slow()"))

    reading = asyncio.create_task(read())
    await asyncio.to_thread(started.wait, 10)
    reading.cancel()  # the connection's graceful close waits for the statement...
    await asyncio.sleep(0)
    reading.cancel()  # ...until cancelled too (an outer deadline, a loop shutting down): a forced stop
    await asyncio.gather(reading, return_exceptions=True)
    await dispose(engine)
    assert workers and not any(w.is_alive() for w in workers)
