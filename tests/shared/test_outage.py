"""The hub's own store unreachable is a 503 ``store_unavailable`` with Retry-After, never a 500
(shared/outage.py; `bench/chaos` saw 500s while PostgreSQL restarted).

Real faults only: a PostgreSQL database closed to connections with its backends terminated (what
a restart looks like to the pool), and a port where nothing listens."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import AsyncIterator, Iterator
from typing import Protocol

import asyncpg
import httpx
import msgspec
import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import create_async_engine

from shared.errors import StoreUnavailable
from shared.messaging.outcomes import is_permanent
from shared.outage import store_outage
from shared.rpc import RpcApp, rpc_client
from shared.settings import SANDBOX_SECRETS
from tests.conftest import PG_URL, fresh_pg_database, hub_and_engine

ADMIN_DSN = PG_URL.replace("postgresql+asyncpg://", "postgresql://")
DEAD = "postgresql+asyncpg://postgres@127.0.0.1:1/nowhere"  # nothing listens on port 1


async def _admin(*sql: str) -> None:
    conn = await asyncpg.connect(ADMIN_DSN, timeout=5)
    try:
        for statement in sql:
            await conn.execute(statement)
    finally:
        await conn.close()


async def close_database(name: str) -> None:
    """What a restarting PostgreSQL is to a pool: its connections cut, new ones refused."""
    await _admin(f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS false',
                 f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'")


async def open_database(name: str) -> None:
    await _admin(f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS true')


@pytest.fixture
def own_pg() -> Iterator[str]:
    with fresh_pg_database() as url:
        yield url


async def _failure(url: str) -> BaseException:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
    except Exception as exc:  # noqa: BLE001 - the failure is what the test reads
        return exc
    finally:
        await engine.dispose()
    raise AssertionError("the query did not fail")


async def test_a_refused_connection_and_a_closed_database_are_store_outages(own_pg: str) -> None:
    assert isinstance(store_outage(await _failure(DEAD)), StoreUnavailable)
    name = own_pg.rsplit("/", 1)[1]
    engine = create_async_engine(own_pg)
    try:
        async with engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
        await close_database(name)
        for _ in range(2):  # the pooled connection cut, then a new one refused
            with pytest.raises(Exception) as caught:  # noqa: PT011 - the driver's own classes
                async with engine.connect() as conn:
                    await conn.execute(text("SELECT 1"))
            outage = store_outage(caught.value)
            assert isinstance(outage, StoreUnavailable), repr(caught.value)
            assert outage.status == 503 and outage.headers["Retry-After"] == "2"
    finally:
        await open_database(name)
        await engine.dispose()


def test_a_bug_or_a_constraint_is_not_an_outage() -> None:
    assert store_outage(RuntimeError("a bug")) is None
    assert store_outage(KeyError("x")) is None
    assert store_outage(IntegrityError("INSERT", {}, Exception("duplicate key"))) is None


def test_a_worker_retries_a_store_outage_met_over_rpc() -> None:
    assert not is_permanent(StoreUnavailable("later"))


class Reader(Protocol):
    async def read(self, sku: str) -> int: ...


class DeadStoreReader:
    async def read(self, sku: str) -> int:
        engine = create_async_engine(DEAD)
        try:
            async with engine.connect() as conn:
                return (await conn.execute(text("SELECT 1"))).scalar_one()
        finally:
            await engine.dispose()


async def test_the_internal_rpc_answers_a_store_outage_as_503_and_the_caller_gets_store_unavailable() -> None:
    app = RpcApp({"reader": (Reader, DeadStoreReader())})
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=transport, base_url="http://process") as http:
        raw = await http.post("/rpc/reader/read", content=msgspec.json.encode({"sku": "SKU-1"}))
        assert raw.status_code == 503, raw.text
        assert raw.json()["code"] == "store_unavailable"
        remote = rpc_client(Reader, "reader", http)
        with pytest.raises(StoreUnavailable):
            await remote.read("SKU-1")


def _stock_event(sequence: int) -> tuple[bytes, dict[str, str]]:
    body = json.dumps({"event_id": f"wms-evt-{sequence}", "event_type": "inventory.adjusted",
                       "occurred_at": "2026-12-06T10:00:00Z",
                       "payload": {"item_code": "SKU-1001", "warehouse_id": "DC-EAST", "on_hand": 7, "available": 7,
                                   "sequence": sequence}}).encode()
    mac = hmac.new(SANDBOX_SECRETS["wms"].encode(), body, hashlib.sha256).hexdigest()
    return body, {"X-Signature": "sha256=" + mac, "Content-Type": "application/json"}


@pytest.fixture
async def closed_hub(own_pg: str) -> AsyncIterator[tuple[object, str]]:
    async with hub_and_engine(own_pg) as (hub, engine):
        yield hub, own_pg.rsplit("/", 1)[1]
        await open_database(own_pg.rsplit("/", 1)[1])  # so the hub can stop cleanly


async def test_a_request_meeting_a_restarting_database_is_503_with_retry_after_then_done_once(
        closed_hub: tuple[object, str]) -> None:
    hub, name = closed_hub
    body, headers = _stock_event(10**9 + 1)
    await close_database(name)
    answer = await hub.http.post("/hooks/wms", content=body, headers=headers)  # type: ignore[attr-defined]
    assert answer.status_code == 503, answer.text
    assert answer.json()["code"] == "store_unavailable"
    assert answer.headers["retry-after"] == "2"
    await open_database(name)
    again = await hub.http.post("/hooks/wms", content=body, headers=headers)  # type: ignore[attr-defined]
    assert again.status_code == 200, again.text
    conn = await asyncpg.connect(ADMIN_DSN.rsplit("/", 1)[0] + f"/{name}")
    try:
        stored = await conn.fetchval("SELECT count(*) FROM outbox WHERE topic = 'stock.changed' AND key = 'SKU-1001'")
    finally:
        await conn.close()
    assert stored >= 1
