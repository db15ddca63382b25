"""``reading``: a read connection in autocommit on both databases; on SQLite without setting and
resetting the isolation level (two hops to aiosqlite's thread per read on the miss path)."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from shared.db.engine import create_engine, reading, dispose


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest) -> str:
    return request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "pg_url")


async def test_each_statement_of_a_read_sees_what_was_committed_before_it(database_url: str) -> None:
    engine = create_engine(database_url)
    table = "reading_probe"
    try:
        async with engine.begin() as conn:
            await conn.execute(text(f"DROP TABLE IF EXISTS {table}"))
            await conn.execute(text(f"CREATE TABLE {table} (n INTEGER)"))
        async with reading(engine) as conn:
            assert (await conn.execute(text(f"SELECT count(*) FROM {table}"))).scalar_one() == 0
            async with engine.begin() as writer:  # another connection, while the read is open
                await writer.execute(text(f"INSERT INTO {table} VALUES (1)"))
            assert (await conn.execute(text(f"SELECT count(*) FROM {table}"))).scalar_one() == 1
        async with engine.begin() as conn:
            await conn.execute(text(f"DROP TABLE {table}"))
    finally:
        await dispose(engine)


async def test_a_sqlite_read_leaves_the_isolation_level_alone(sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    engine = create_engine(sqlite_url)
    dialect = type(engine.dialect)
    levels: list[str] = []
    original = dialect.set_isolation_level

    def counted(self, dbapi_conn, level: str) -> None:  # noqa: ANN001
        levels.append(level)
        original(self, dbapi_conn, level)

    monkeypatch.setattr(dialect, "set_isolation_level", counted)
    try:
        async with reading(engine) as conn:
            assert (await conn.execute(text("SELECT 1"))).scalar_one() == 1
        assert levels == []
    finally:
        await dispose(engine)
