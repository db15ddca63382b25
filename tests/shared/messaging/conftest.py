"""The backbone on each of its deployments: the outbox table on SQLite and on the real
PostgreSQL, and the Redis transport (real Redis over the real PostgreSQL).

Time: workers read a wall clock the test moves forward (``WallClock``), so retry
delays, leases and the republish timeout pass without sleeping. It never runs
behind real time, so rows enqueued with the real clock are due for it too.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec
import pytest
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncEngine

from shared.db.engine import create_engine, dispose
from shared.db.tables import dead_letters, outbox, processed_messages
from shared.messaging import (
    DeadLetterService, Handler, MessagingMetrics, OutboxStore, RedisTransport, TableTransport, Worker, WorkerConfig,
    enqueue, stream_namespace,
)
from shared.metrics import Registry

BACKBONES = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres),
             pytest.param("redis", marks=[pytest.mark.postgres, pytest.mark.redis])]


class WallClock:
    """Real UTC time plus an offset the test grows with ``advance``."""

    def __init__(self) -> None:
        self.offset = timedelta()

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.offset

    def advance(self, seconds: float) -> None:
        self.offset += timedelta(seconds=seconds)


class Order(msgspec.Struct):
    order_id: str
    n: int = 0


class Backbone:
    """Builds workers for one deployment and cleans up after the test."""

    def __init__(self, kind: str, engine: AsyncEngine, redis: Any, database_url: str,
                 redis_url: str | None = None) -> None:
        self.kind, self.engine, self.redis = kind, engine, redis
        self.database_url, self.redis_url = database_url, redis_url
        self.namespace = stream_namespace(database_url)
        self.clock = WallClock()
        self.registry = Registry()
        self.workers: list[Worker] = []
        self.engines: list[AsyncEngine] = []

    def transport(self, config: WorkerConfig, engine: AsyncEngine | None = None) -> TableTransport | RedisTransport:
        store = OutboxStore(engine or self.engine)
        if self.kind == "redis":
            return RedisTransport(store, self.redis, config, namespace=self.namespace, clock=self.clock)
        return TableTransport(store, config, clock=self.clock)

    def worker(self, handlers: dict[str, Handler], *, name: str = "worker", engine: AsyncEngine | None = None,
               **knobs: Any) -> Worker:
        """A worker (not started) with fast polling and no jitter: the n-th retry waits 0.5 * 2**(n-1) s."""
        config = WorkerConfig(**{"poll_seconds": 0.05, **knobs})
        worker = Worker(self.transport(config, engine), handlers, config=config, clock=self.clock,
                        rng=lambda: 1.0, name=name, metrics=MessagingMetrics(self.registry))
        self.workers.append(worker)
        return worker

    async def started(self, handlers: dict[str, Handler], **kwargs: Any) -> Worker:
        worker = self.worker(handlers, **kwargs)
        await worker.start()
        return worker

    def other_engine(self) -> AsyncEngine:
        """Another connection pool on the same database, as another process would have."""
        engine = create_engine(self.database_url)
        self.engines.append(engine)
        return engine

    async def enqueue(self, topic: str, key: str, payload: msgspec.Struct | bytes, *, delay: float = 0.0) -> None:
        async with self.engine.begin() as conn:
            await enqueue(conn, topic, key, payload, delay=delay)

    async def rows(self) -> list[Any]:
        async with self.engine.connect() as conn:
            return (await conn.execute(select(outbox).order_by(outbox.c.id))).all()

    async def dead(self) -> list[Any]:
        async with self.engine.connect() as conn:
            return (await conn.execute(select(dead_letters).order_by(dead_letters.c.dead_at))).all()

    def dead_letters(self, wake: Any = None) -> DeadLetterService:
        return DeadLetterService(self.engine, wake=wake, clock=self.clock)

    def count(self, topic: str, outcome: str) -> float:
        return self.registry.counter("hub_messages_total", "").values.get((topic, outcome), 0.0)

    async def close(self) -> None:
        for worker in self.workers:
            await worker.stop(grace=0)
        for engine in self.engines:
            await dispose(engine)


async def clean(engine: AsyncEngine) -> None:
    """The session's PostgreSQL database is shared by the tests: start each from empty tables."""
    async with engine.begin() as conn:
        for table in (outbox, dead_letters, processed_messages):
            await conn.execute(delete(table))


async def clean_streams(redis: Any, namespace: str) -> None:
    async for key in redis.scan_iter(match=f"{namespace}:*"):
        await redis.delete(key)


@pytest.fixture(params=BACKBONES)
def deployment(request: pytest.FixtureRequest) -> tuple[str, str, str | None]:
    """(kind, database URL, Redis URL or None); parametrize it indirectly to pick some."""
    kind = request.param
    url = request.getfixturevalue("sqlite_url" if kind == "sqlite" else "pg_url")
    return kind, url, request.getfixturevalue("redis_url") if kind == "redis" else None


@pytest.fixture
async def backbone(deployment: tuple[str, str, str | None]) -> AsyncIterator[Backbone]:
    kind, url, redis_url = deployment
    redis = None
    if redis_url is not None:
        import redis.asyncio as aioredis

        redis = aioredis.Redis.from_url(redis_url, socket_timeout=5)
    engine = create_engine(url)
    await clean(engine)
    bb = Backbone(kind, engine, redis, url, redis_url)
    if redis is not None:
        await clean_streams(redis, bb.namespace)
    try:
        yield bb
    finally:
        await bb.close()
        if redis is not None:
            await clean_streams(redis, bb.namespace)
            await redis.aclose()
        await dispose(engine)
