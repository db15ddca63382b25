"""Fixtures the response cache's tests share: a wall-clock-like fake clock (entries are stamped
with it) and a client of the real Redis."""

from __future__ import annotations

import pytest
import redis.asyncio as redis

from tests.clocks import FakeClock


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(start=2_000_000_000.0)  # wall-clock-like: entries are stamped with it


@pytest.fixture
async def client(redis_url):  # noqa: ANN001, ANN201
    c = redis.Redis.from_url(redis_url)
    yield c
    await c.aclose()
