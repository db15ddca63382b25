"""Shared fixtures.

Real services: PostgreSQL at ``HUB_TEST_POSTGRES_URL`` (default the local
``test`` database, where each test session makes and drops its own database)
and Redis at ``HUB_TEST_REDIS_URL``. When one is unreachable the tests that
need it are skipped with the reason, except under ``CI=true``, where that is
a failure: CI must run them (``.ci/run`` starts the services first).
"""

from __future__ import annotations

import asyncio
import os
import secrets
from collections.abc import AsyncIterator, Iterator
from contextlib import AsyncExitStack, asynccontextmanager, contextmanager
from pathlib import Path

import httpx
import pytest

from commerce_hub.asgi import HubApp
from shared.db.migrate import upgrade
from shared.settings import Settings, load_settings
from tests.idp import FakeIdp, JwksServer

PG_URL = os.environ.get("HUB_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("HUB_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
ADMIN_KEY = "test-admin-key-0123456789"
IN_CI = os.environ.get("CI", "").lower() == "true"


def _unavailable(service: str, reason: str) -> None:
    message = f"{service} is not reachable ({reason})"
    if IN_CI:
        pytest.fail(f"{message}; CI must run these tests", pytrace=False)
    pytest.skip(message)


async def _pg_admin(sql: str) -> None:
    import asyncpg

    dsn = PG_URL.replace("postgresql+asyncpg://", "postgresql://")
    conn = await asyncpg.connect(dsn, timeout=5)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@contextmanager
def fresh_pg_database() -> Iterator[str]:
    """A new, migrated PostgreSQL database, dropped afterwards."""
    name = f"hub_test_{secrets.token_hex(4)}"
    try:
        asyncio.run(_pg_admin(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # noqa: BLE001 - any failure means the service is not usable
        _unavailable("PostgreSQL", repr(exc)[:200])
    url = PG_URL.rsplit("/", 1)[0] + f"/{name}"
    try:
        upgrade(url)
        yield url
    finally:
        asyncio.run(_pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """A fresh, migrated PostgreSQL database for this test session."""
    with fresh_pg_database() as url:
        yield url


@pytest.fixture
def fresh_pg_url() -> Iterator[str]:
    """A PostgreSQL database of this test's own: no orders or holds of earlier tests."""
    with fresh_pg_database() as url:
        yield url


@pytest.fixture(scope="session")
def redis_url() -> str:
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3).ping()
    except Exception as exc:  # noqa: BLE001
        _unavailable("Redis", repr(exc)[:200])
    return REDIS_URL


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    url = f"sqlite+aiosqlite:///{tmp_path}/hub.db"
    upgrade(url)
    return url


def make_settings(database_url: str, **overrides: object) -> Settings:
    return load_settings(
        env={}, toml_path="/nonexistent", database_url=database_url, bootstrap_admin_key=ADMIN_KEY, **overrides
    )


class Hub:
    """A hub role started in process, spoken to over ASGI with httpx."""

    def __init__(self, app: HubApp, client: httpx.AsyncClient, idp: FakeIdp | None = None) -> None:
        self.app, self.http, self.idp = app, client, idp

    def mobile(self, *scopes: str, customer: str | None = None, sub: str = "user-42") -> dict[str, str]:
        """Headers of a mobile app's request: a bearer token of the hub's identity provider."""
        assert self.idp is not None, "this hub trusts no identity provider"
        token = self.idp.token("ec-1", sub=sub, customer_id=customer, scope=" ".join(scopes))
        return {"Authorization": f"Bearer {token}"}

    async def new_key(self, *scopes: str, customer: str | None = None, plan: str | None = None) -> str:
        body = {"consumer": f"c-{secrets.token_hex(3)}", "scopes": list(scopes), "customer": customer, "plan": plan}
        response = await self.http.post("/admin/v1/keys", json=body, headers={"X-API-Key": ADMIN_KEY})
        assert response.status_code == 201, response.text
        return response.json()["key"]


async def start_hub(stack: AsyncExitStack, settings: Settings, role: str = "all", idp: FakeIdp | None = None,
                    adapters: dict[str, object] | None = None) -> Hub:
    """``adapters``: a fake (``tests/fakes/``) for any backend connection, by name, through the same bootstrap."""
    app = HubApp(settings, role, adapters)
    await app.startup()
    stack.push_async_callback(_shutdown_within, app, 30.0)
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://hub")
    await stack.enter_async_context(client)
    return Hub(app, client, idp)


@asynccontextmanager
async def hub_and_engine(url: str, **overrides: object) -> AsyncIterator[tuple[Hub, object]]:
    """A one-process hub on ``url`` (settings ``overrides``) and an engine of the test's own on its database."""
    from shared.db.engine import create_engine, dispose

    async with AsyncExitStack() as stack:
        hub = await start_hub(stack, make_settings(url, **overrides))
        engine = create_engine(url)
        stack.push_async_callback(dispose, engine)
        yield hub, engine


async def start_mobile_hub(stack: AsyncExitStack, database_url: str, **overrides: object) -> Hub:
    """A one-process hub that trusts a stand-in identity provider (its JWKS on a loopback port)."""
    idp = FakeIdp()
    jwks = await stack.enter_async_context(JwksServer(idp))
    return await start_hub(stack, make_settings(database_url, **jwks.settings(), **overrides), idp=idp)


async def _shutdown_within(app: HubApp, seconds: float) -> None:
    """A hub that cannot stop in time is a bug: fail with what every task was waiting on."""
    try:
        await asyncio.wait_for(asyncio.shield(app.shutdown()), seconds)
    except TimeoutError:
        import io

        dump = io.StringIO()
        for task in asyncio.all_tasks():
            task.print_stack(limit=12, file=dump)
        pytest.fail(f"the hub did not shut down in {seconds} s; tasks:\n{dump.getvalue()[-8000:]}", pytrace=False)


@pytest.fixture
async def hub(sqlite_url: str) -> AsyncIterator[Hub]:
    """The one-process hub on the embedded default (SQLite, in-process everything)."""
    async with AsyncExitStack() as stack:
        yield await start_mobile_hub(stack, sqlite_url)


@pytest.fixture
async def pg_hub(pg_url: str) -> AsyncIterator[Hub]:
    """The one-process hub on the real PostgreSQL."""
    async with AsyncExitStack() as stack:
        yield await start_mobile_hub(stack, pg_url)


@pytest.fixture
def spans() -> Iterator[object]:
    """Every span recorded (sampler always on) into memory, exported synchronously: an
    ``InMemorySpanExporter``. Without it spans are not recorded (no exporter configured)."""
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
    from opentelemetry.sdk.trace.sampling import ALWAYS_ON

    from shared.telemetry import setup_tracing, stop_exporting

    exporter = InMemorySpanExporter()
    setup_tracing("test", exporter=exporter, sampler=ALWAYS_ON, batch=False)
    try:
        yield exporter
    finally:
        stop_exporting()
