"""Each routing test runs on SQLite and on the real PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.system_apis.erp_routing.harness import TwoErps


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest) -> str:
    return request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "fresh_pg_url")


@pytest.fixture
async def two(database_url: str) -> AsyncIterator[TwoErps]:
    async with TwoErps(database_url) as erps:
        yield erps
