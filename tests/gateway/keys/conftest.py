"""Key services over a real database: SQLite, then PostgreSQL, with a clock the test moves."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from gateway.keys.repository import KeyRepository
from gateway.keys.service import KeyService
from shared.db.engine import create_engine, dispose
from shared.settings import DEFAULT_PLANS
from tests.gateway.support import database_url  # noqa: F401 - a fixture, imported to be found here


class Clock:
    """Wall-clock time the test sets; starts at a fixed moment."""

    def __init__(self) -> None:
        self.now = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(database_url)
    yield engine
    await dispose(engine)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def new_service(engine: AsyncEngine) -> Callable[..., KeyService]:
    """A KeyService on the test database; each call is another instance (another process)."""

    def build(**kwargs: object) -> KeyService:
        return KeyService(KeyRepository(engine), lambda: set(DEFAULT_PLANS), "standard", **kwargs)

    return build


@pytest.fixture
def keys(new_service: Callable[..., KeyService], clock: Clock) -> KeyService:
    return new_service(now=clock)
