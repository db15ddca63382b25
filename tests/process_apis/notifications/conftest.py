"""Shared by the delivery fault tests: the embedded default and PostgreSQL (a database of
the test's own) with Redis Streams."""

from __future__ import annotations

import pytest

from shared.db.engine import create_engine, dispose


@pytest.fixture(params=["sqlite", "postgres+redis"])
def backends(request, sqlite_url) -> tuple[str, str | None]:  # noqa: ANN001
    if request.param == "sqlite":
        return sqlite_url, None
    return request.getfixturevalue("fresh_pg_url"), request.getfixturevalue("redis_url")


@pytest.fixture
async def setup(backends):  # noqa: ANN001, ANN201
    url, redis_url = backends
    redis = None
    if redis_url is not None:
        import redis.asyncio as aioredis

        redis = aioredis.Redis.from_url(redis_url)
    engine = create_engine(url)
    yield engine, redis, url, redis_url
    if redis is not None:
        await redis.aclose()
    await dispose(engine)
