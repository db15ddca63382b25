"""The PostgreSQL pool checks a connection only after it sat idle, and replaces one the
server closed meanwhile, so the next request never sees the dead connection."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from shared.db.engine import create_engine, dispose

pytestmark = pytest.mark.postgres


async def backend_pid(engine) -> int:  # noqa: ANN001
    async with engine.connect() as conn:
        return (await conn.execute(text("SELECT pg_backend_pid()"))).scalar_one()


async def terminate(pg_url: str, pid: int) -> None:
    killer = create_engine(pg_url)
    try:
        async with killer.connect() as conn:
            assert (await conn.execute(text("SELECT pg_terminate_backend(:p)"), {"p": pid})).scalar_one()
    finally:
        await killer.dispose()


async def test_a_connection_closed_while_idle_is_replaced_before_use(pg_url: str) -> None:
    engine = create_engine(pg_url, pool_size=1, ping_when_idle=0.0)
    try:
        first = await backend_pid(engine)
        await terminate(pg_url, first)
        second = await backend_pid(engine)  # would raise had the dead connection been handed out
        assert second != first
    finally:
        await dispose(engine)


async def test_a_connection_back_a_moment_ago_is_used_without_a_ping(pg_url: str) -> None:
    # the trade-off, made visible: within the window no ping runs, so a connection the server
    # closed a moment ago fails one statement; the pool then drops it and the next one works
    engine = create_engine(pg_url, pool_size=1, ping_when_idle=3600.0)
    try:
        first = await backend_pid(engine)
        await terminate(pg_url, first)
        with pytest.raises(DBAPIError) as failed:
            await backend_pid(engine)
        assert failed.value.connection_invalidated
        assert await backend_pid(engine) != first
    finally:
        await dispose(engine)
