"""What every part of a role's composition shares: settings, the exit stack that
closes what is built, metrics, readiness checks, the bus, and the routes."""

from __future__ import annotations

import asyncio
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from typing import Callable

import httpx
import msgspec
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from gateway.route import Route
from gateway.plans.book import PlanBook
from shared.bus import Bus, LocalBus, RedisBus
from shared.db.engine import create_engine, dispose
from shared.metrics import Registry
from shared.telemetry import instrument_engine
from shared.settings import Settings, SettingsError


WORK_TOPIC = "outbox.work"


class WorkQueued(msgspec.Struct, frozen=True):
    """A process without workers queued work: workers elsewhere look now, not at their next poll."""


@dataclass
class Context:
    settings: Settings
    role: str
    stack: AsyncExitStack
    metrics: Registry = field(default_factory=Registry)
    checks: dict = field(default_factory=dict)
    routes: list[Route] = field(default_factory=list)
    bus: Bus = field(default_factory=LocalBus)
    bus_connected: Callable[[], bool] = lambda: True
    """Whether the bus delivers right now (Redis pub/sub can drop; in process it cannot)."""
    redis: object | None = None
    engine: AsyncEngine | None = None
    """The role's database engine (see ``database()``)."""
    book: PlanBook | None = None
    """The gateway's plan book; the rate limiter reads it on every request."""
    order_process: object | None = None
    """The order process built for this role (``commerce_hub.process_role``), shared by API and workers."""
    ops: object | None = None
    """The operations parts (``commerce_hub.ops_role``): backend reports, pauses, flows."""
    wakers: list[Callable[[], None]] = field(default_factory=list)
    """Called after a commit that queued work: this process's workers look at once."""
    circuits: object | None = None
    """Where a dead-letter replay reads the backends' circuits (``shared.resilience.circuits``):
    this role's own guards, or the system role over RPC; None when neither is reachable."""

    _announcing: bool = False

    def wake(self) -> None:
        """After a commit that queued work: wake this process's workers, or, in a role without
        workers, tell the workers of other processes over the bus (at most every 20 ms)."""
        for waker in self.wakers:
            waker()
        if not self.wakers and not self._announcing:
            self._announcing = True
            asyncio.get_running_loop().create_task(self._announce_work())

    async def _announce_work(self) -> None:
        try:
            await self.bus.publish(WORK_TOPIC, WorkQueued())
            await asyncio.sleep(0.02)
        finally:
            self._announcing = False

    async def database(self) -> AsyncEngine:
        """The role's one engine for the system of record (with its readiness check)."""
        if self.engine is None:
            engine = create_engine(self.settings.database_url, pool_size=self.settings.db_pool_size,
                                   pool_overflow=self.settings.db_pool_overflow)
            self.stack.push_async_callback(dispose, engine)
            instrument_engine(engine)

            async def ping() -> None:
                async with engine.connect() as conn:
                    await conn.execute(text("SELECT 1"))

            self.checks["database"] = ping
            self.engine = engine
        return self.engine

    async def open_redis(self) -> None:
        """With HUB_REDIS_URL: one client for the role, a readiness check and the Redis bus."""
        if not self.settings.redis_url:
            return
        import redis.asyncio as redis

        # A blocking pool: under a burst, callers wait (up to 2 s) for a connection
        # instead of failing with MaxConnectionsError.
        pool = redis.BlockingConnectionPool.from_url(
            self.settings.redis_url, max_connections=64, timeout=2,
            socket_connect_timeout=2, socket_timeout=2, health_check_interval=10)
        client = redis.Redis(connection_pool=pool)
        self.stack.push_async_callback(client.aclose)
        self.redis = client
        self.checks["redis"] = client.ping
        bus = RedisBus(client)
        bus.start()
        self.stack.push_async_callback(bus.stop)
        self.bus, self.bus_connected = bus, bus.connected.is_set

    def client(self, url: str | None, setting: str, *,
               transport: httpx.AsyncBaseTransport | None = None) -> httpx.AsyncClient:
        """An HTTP client toward another role, closed with the role."""
        if not url:
            raise SettingsError(f"{setting}: required for the {self.role} role")
        client = httpx.AsyncClient(base_url=url, timeout=httpx.Timeout(10.0), transport=transport,
                                   limits=httpx.Limits(max_connections=200, max_keepalive_connections=100))
        self.stack.push_async_callback(client.aclose)
        return client
