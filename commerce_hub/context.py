"""What every part of a role's composition shares: settings, the exit stack that
closes what is built, metrics, readiness checks, the bus, and the routes."""

from __future__ import annotations

from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from typing import Callable

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine

from gateway.edge import Route
from gateway.plans.book import PlanBook
from shared.bus import Bus, LocalBus, RedisBus
from shared.metrics import Registry
from shared.settings import Settings, SettingsError


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
    """The gateway's database engine (keys, plans, signing keys)."""
    book: PlanBook | None = None
    """The gateway's plan book; the rate limiter reads it on every request."""

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

    def client(self, url: str | None, setting: str) -> httpx.AsyncClient:
        """An HTTP client toward another role, closed with the role."""
        if not url:
            raise SettingsError(f"{setting}: required for the {self.role} role")
        client = httpx.AsyncClient(base_url=url, timeout=httpx.Timeout(10.0),
                                   limits=httpx.Limits(max_connections=200, max_keepalive_connections=100))
        self.stack.push_async_callback(client.aclose)
        return client
