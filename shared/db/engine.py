"""The async engine for the system of record: SQLite (embedded) or PostgreSQL."""

from __future__ import annotations

import asyncio
import time
from contextlib import asynccontextmanager
from pathlib import Path
from typing import AsyncIterator
from weakref import WeakKeyDictionary

from sqlalchemy import event, exc
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from shared.db import sqlite_driver


PING_WHEN_IDLE_SECONDS = 1.0
"""A pooled PostgreSQL connection idle longer than this is pinged before use."""

_SQLITE_WORKERS: WeakKeyDictionary[Engine, sqlite_driver.Workers] = WeakKeyDictionary()


def create_engine(database_url: str, *, pool_size: int = 10, pool_overflow: int | None = None,
                  ping_when_idle: float = PING_WHEN_IDLE_SECONDS) -> AsyncEngine:
    """Build the engine; for SQLite make the folder and use WAL with a busy timeout.

    PostgreSQL connections are checked before use only when they sat idle in the
    pool for ``ping_when_idle`` seconds (HikariCP's rule), not on every checkout:
    SQLAlchemy's ``pool_pre_ping`` costs three round trips (BEGIN, a query,
    ROLLBACK) per checkout, which was the largest single cost of a busy hub's
    transactions. A connection the server closed while it was busy a moment ago
    fails its statement once, as it would after any ping.

    ``pool_overflow`` (default: as many as ``pool_size``) connections more may be
    opened when the pool is exhausted; each is closed as soon as it is returned."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        if url.database and url.database != ":memory:":
            Path(url.database).parent.mkdir(parents=True, exist_ok=True)
        workers = sqlite_driver.Workers()
        engine = create_async_engine(url, connect_args={"timeout": 30, "async_creator_fn": workers.connect})
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        _SQLITE_WORKERS[engine.sync_engine] = workers
        return engine
    overflow = pool_size if pool_overflow is None else pool_overflow
    engine = create_async_engine(url, pool_size=pool_size, max_overflow=overflow)
    event.listen(engine.sync_engine, "checkin", _idle_since)
    event.listen(engine.sync_engine, "checkout", _ping_if_idle(ping_when_idle))
    return engine


async def dispose(engine: AsyncEngine, *, wait: float = 5.0) -> None:
    """``engine.dispose()``; for SQLite, then wait (at most ``wait`` seconds) for its
    connections' worker threads to end while the loop still runs: one finishing a cancelled
    statement hands its answer to the loop last (``sqlite_driver``)."""
    await engine.dispose()
    workers = _SQLITE_WORKERS.get(engine.sync_engine)
    if workers is not None:
        await asyncio.to_thread(workers.join, wait)


def _idle_since(_dbapi_conn, record) -> None:  # noqa: ANN001 - DBAPI types
    record.info["idle_since"] = time.monotonic()


def _ping_if_idle(after: float):  # noqa: ANN202 - a pool event listener
    def check(dbapi_conn, record, _proxy) -> None:  # noqa: ANN001 - DBAPI types
        since = record.info.get("idle_since")
        if since is None or time.monotonic() - since < after:
            return  # new, or back in the pool a moment ago
        if dbapi_conn.driver_connection.is_closed():
            raise exc.DisconnectionError("the server closed the connection")
        try:
            dbapi_conn.ping()
        except Exception as error:  # the ping failed: the pool replaces the connection and retries
            raise exc.DisconnectionError(str(error)) from error

    return check


def _sqlite_pragmas(dbapi_conn, _record) -> None:  # noqa: ANN001 - DBAPI types
    cursor = dbapi_conn.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


@asynccontextmanager
async def reading(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """A connection for reads only, in autocommit: no BEGIN before and no ROLLBACK after
    (two round trips saved per read on PostgreSQL). Each statement sees committed data.

    SQLite reads are in autocommit already (the driver begins a transaction only before a
    write), so its isolation level is left alone: setting it and resetting it at check-in were
    two more hops to aiosqlite's thread per read (issue 14, the miss path)."""
    async with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            yield conn
        else:
            yield await conn.execution_options(isolation_level="AUTOCOMMIT")
