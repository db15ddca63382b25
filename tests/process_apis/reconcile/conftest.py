"""Reconciliation over a real database of the test's own (SQLite, and a fresh PostgreSQL: the
one-running-run index is database-wide, so tests never share one)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from shared.db.engine import create_engine, dispose


@pytest.fixture(params=["sqlite_url", pytest.param("fresh_pg_url", marks=pytest.mark.postgres)])
def own_database_url(request: pytest.FixtureRequest) -> str:
    return request.getfixturevalue(request.param)


@pytest.fixture
async def engine(own_database_url: str) -> AsyncIterator[object]:
    engine = create_engine(own_database_url)
    try:
        yield engine
    finally:
        await dispose(engine)
