"""Retention (issue 10, defect 13): the idempotency ledger and the processed-message ledger
are swept by the workers, old rows go, young and in-flight rows stay, a replay within
retention still replays, two sweepers at once neither fail nor double count.

Rows are back-dated against the real clock (the ledger takes a clock, here ``tests.clocks.FakeClock``
set days in the past): the session's PostgreSQL database is shared, and rows other tests wrote
just now are young, so a sweep at the real time removes only this test's rows.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event, func, insert, select
from sqlalchemy.ext.asyncio import AsyncEngine

from shared.db.engine import create_engine, dispose
from shared.db.tables import idempotency_keys, processed_messages
from shared.idempotency import Claim, IdempotencyLedger, Replayed, fingerprint
from shared.messaging import first_time
from shared.messaging.retention import RetentionSweeper
from shared.metrics import Registry
from shared.settings import SettingsError
from tests.clocks import FakeClock
from tests.conftest import ADMIN_KEY, make_settings, start_hub

HOUR = 3600.0
DAY = 24 * HOUR
KEEP = timedelta(hours=48)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request) -> str:  # noqa: ANN001
    return request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "pg_url")


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(database_url)
    yield engine
    await dispose(engine)


def clock_days_ago(days: float) -> tuple[FakeClock, Callable[[], datetime]]:
    """A fake clock starting ``days`` ago, and the ledger's datetime view of it."""
    clock = FakeClock(start=0.0)
    start = datetime.now(UTC) - timedelta(days=days)
    return clock, lambda: start + timedelta(seconds=clock())


def sweeper(engine: AsyncEngine, **kw: object) -> RetentionSweeper:
    return RetentionSweeper(engine, processed_for=timedelta(days=7), **kw)


async def keys_in(engine: AsyncEngine, scope: str) -> set[str]:
    async with engine.connect() as conn:
        rows = await conn.execute(select(idempotency_keys.c.key).where(idempotency_keys.c.scope == scope))
        return {r.key for r in rows}


async def ids_of(engine: AsyncEngine, consumer: str) -> set[str]:
    async with engine.connect() as conn:
        mine = processed_messages.c.consumer == consumer
        rows = await conn.execute(select(processed_messages.c.message_id).where(mine))
        return {r.message_id for r in rows}


async def completed(ledger: IdempotencyLedger, engine: AsyncEngine, scope: str, key: str) -> None:
    assert (await ledger.begin(scope, key, fingerprint(key.encode()))).claim is Claim.NEW
    async with engine.begin() as conn:
        await ledger.complete(conn, scope, key, 201, b'{"id": "x"}')


async def test_old_keys_go_young_and_in_flight_keys_stay(engine: AsyncEngine) -> None:
    scope = f"test-{secrets.token_hex(4)}"
    clock, now = clock_days_ago(3)
    old = IdempotencyLedger(engine, ttl=KEEP, now=now)
    await completed(old, engine, scope, "old-done")
    assert (await old.begin(scope, "old-abandoned", "f")).claim is Claim.NEW  # its process died: lease ran out
    running = IdempotencyLedger(engine, ttl=KEEP, lease=timedelta(days=4), now=now)
    assert (await running.begin(scope, "old-running", "f")).claim is Claim.NEW  # still running, lease live
    clock.advance(2 * DAY)  # one day ago: young
    await completed(old, engine, scope, "young-done")
    assert (await old.begin(scope, "young-in-flight", "f")).claim is Claim.NEW

    counts = await sweeper(engine).sweep()

    assert await keys_in(engine, scope) == {"old-running", "young-done", "young-in-flight"}
    assert counts["idempotency_keys"] >= 2


async def test_a_replay_within_retention_replays_and_after_it_runs_anew(engine: AsyncEngine) -> None:
    scope = f"test-{secrets.token_hex(4)}"
    clock, now = clock_days_ago(3)
    ledger = IdempotencyLedger(engine, ttl=KEEP, now=now)
    runs: list[int] = []

    async def work() -> str:
        runs.append(1)
        async with engine.begin() as conn:
            await ledger.complete(conn, scope, "k", 201, b'{"order_id": "o1"}')
        return "made"

    assert await ledger.run(scope, "k", b"body", work) == "made"
    clock.advance(47 * HOUR)  # within retention: swept at this moment, the key stays and replays
    await RetentionSweeper(engine, processed_for=timedelta(days=7), now=now).sweep()
    assert await ledger.run(scope, "k", b"body", work) == Replayed(b'{"order_id": "o1"}')
    assert len(runs) == 1

    clock.advance(2 * HOUR)  # past retention: swept, the key is new again
    counts = await RetentionSweeper(engine, processed_for=timedelta(days=7), now=now).sweep()
    assert counts["idempotency_keys"] >= 1 and await keys_in(engine, scope) == set()
    assert await ledger.run(scope, "k", b"body", work) == "made"
    assert len(runs) == 2


async def test_an_expired_key_whose_request_still_runs_is_not_taken_over(engine: AsyncEngine) -> None:
    """Before: a caller meeting an expired key deleted it even while its first request ran (lease live)."""
    scope = f"test-{secrets.token_hex(4)}"
    clock, now = clock_days_ago(1)
    ledger = IdempotencyLedger(engine, ttl=timedelta(hours=1), lease=timedelta(hours=3), now=now)
    assert (await ledger.begin(scope, "k", "f")).claim is Claim.NEW
    clock.advance(2 * HOUR)
    assert (await ledger.begin(scope, "k", "f")).claim is Claim.IN_FLIGHT
    clock.advance(2 * HOUR)  # the lease ran out too: its process died, the key may go
    assert (await ledger.begin(scope, "k", "f")).claim is Claim.NEW


async def test_processed_message_ids_go_after_their_retention(engine: AsyncEngine) -> None:
    consumer = f"test-{secrets.token_hex(4)}"
    now = datetime.now(UTC)
    async with engine.begin() as conn:
        await conn.execute(insert(processed_messages), [
            {"consumer": consumer, "message_id": "8-days", "processed_at": now - timedelta(days=8)},
            {"consumer": consumer, "message_id": "6-days", "processed_at": now - timedelta(days=6)},
        ])
        assert await first_time(conn, consumer, "now")
    registry = Registry()

    counts = await sweeper(engine, metrics=registry).sweep()

    assert await ids_of(engine, consumer) == {"6-days", "now"}
    assert counts["processed_messages"] >= 1
    assert f'hub_retention_swept_rows_total{{table="processed_messages"}} {counts["processed_messages"]}' \
        in registry.render()
    async with engine.begin() as conn:  # a redelivery within retention is still recognised
        assert not await first_time(conn, consumer, "6-days")


async def test_a_sweep_deletes_in_bounded_batches_until_none_is_left(engine: AsyncEngine) -> None:
    consumer = f"test-{secrets.token_hex(4)}"
    old = datetime.now(UTC) - timedelta(days=30)
    async with engine.begin() as conn:
        await conn.execute(insert(processed_messages), [
            {"consumer": consumer, "message_id": str(i), "processed_at": old} for i in range(25)])
    statements: list[str] = []

    def record(_conn, _cursor, statement: str, *_: object) -> None:  # noqa: ANN001
        if statement.lstrip().upper().startswith("DELETE"):
            statements.append(statement)

    event.listen(engine.sync_engine, "before_cursor_execute", record)
    try:
        await sweeper(engine, batch=10).sweep()
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", record)
    assert await ids_of(engine, consumer) == set()
    assert all("LIMIT" in s.upper() for s in statements)
    assert len([s for s in statements if "processed_messages" in s]) >= 3  # 10 + 10 + 5


async def _count(engine: AsyncEngine, table, column, value: str) -> int:  # noqa: ANN001
    async with engine.connect() as conn:
        return (await conn.execute(select(func.count()).select_from(table).where(column == value))).scalar_one()


@pytest.mark.postgres
async def test_two_sweepers_at_once_neither_fail_nor_double_count(pg_url: str) -> None:
    engines = [create_engine(pg_url), create_engine(pg_url)]
    try:
        await asyncio.gather(*(sweeper(e).sweep() for e in engines))  # whatever earlier tests left
        consumer, scope = f"test-{secrets.token_hex(4)}", f"test-{secrets.token_hex(4)}"
        old = datetime.now(UTC) - timedelta(days=30)
        async with engines[0].begin() as conn:
            await conn.execute(insert(processed_messages), [
                {"consumer": consumer, "message_id": str(i), "processed_at": old} for i in range(4000)])
            await conn.execute(insert(idempotency_keys), [
                {"scope": scope, "key": str(i), "fingerprint": "f", "state": "done", "created_at": old,
                 "expires_at": old + KEEP} for i in range(3000)])
        sweepers = [sweeper(e, batch=250) for e in engines]

        counts = await asyncio.gather(*(s.sweep() for s in sweepers))

        assert sum(c["processed_messages"] for c in counts) == 4000
        assert sum(c["idempotency_keys"] for c in counts) == 3000
        assert sum(s.swept.values.get(("processed_messages",), 0) for s in sweepers) == 4000
        assert await _count(engines[0], processed_messages, processed_messages.c.consumer, consumer) == 0
        assert await _count(engines[0], idempotency_keys, idempotency_keys.c.scope, scope) == 0
    finally:
        for e in engines:
            await e.dispose()


async def test_a_worker_sweeps_at_start_and_counts_it_in_metrics(sqlite_url: str) -> None:
    engine = create_engine(sqlite_url)
    old = datetime.now(UTC) - timedelta(days=30)
    async with engine.begin() as conn:
        await conn.execute(insert(processed_messages), [
            {"consumer": "c", "message_id": str(i), "processed_at": old} for i in range(3)])
        await conn.execute(insert(idempotency_keys), [
            {"scope": "s", "key": "k", "fingerprint": "f", "state": "done", "created_at": old,
             "expires_at": old + KEEP}])
    try:
        async with AsyncExitStack() as stack:
            hub = await start_hub(stack, make_settings(sqlite_url))
            for _ in range(200):  # bounded poll: the first pass runs as the worker starts
                if not await ids_of(engine, "c") and not await keys_in(engine, "s"):
                    break
                await asyncio.sleep(0.02)
            assert await ids_of(engine, "c") == set() and await keys_in(engine, "s") == set()
            metrics = (await hub.http.get("/metrics", headers={"X-API-Key": ADMIN_KEY})).text
            assert 'hub_retention_swept_rows_total{table="processed_messages"} 3' in metrics
            assert 'hub_retention_swept_rows_total{table="idempotency_keys"} 1' in metrics
    finally:
        await dispose(engine)


async def test_a_hub_without_workers_does_not_sweep(sqlite_url: str) -> None:
    engine = create_engine(sqlite_url)
    old = datetime.now(UTC) - timedelta(days=30)
    async with engine.begin() as conn:
        await conn.execute(insert(processed_messages), [{"consumer": "c", "message_id": "1", "processed_at": old}])
    try:
        async with AsyncExitStack() as stack:
            hub = await start_hub(stack, make_settings(sqlite_url, worker_concurrency=0))
            assert "hub_retention_swept_rows_total" not in (await hub.http.get("/metrics", headers={"X-API-Key": ADMIN_KEY})).text
            assert await ids_of(engine, "c") == {"1"}
    finally:
        await dispose(engine)


@pytest.mark.parametrize(("name", "value"), [
    ("idempotency_key_retention_seconds", 3600), ("webhook_id_retention_seconds", 48 * HOUR),
    ("processed_message_retention_seconds", 3600), ("retention_sweep_seconds", 0), ("retention_batch_rows", 0),
])
def test_a_retention_setting_out_of_bounds_names_itself(name: str, value: float) -> None:
    with pytest.raises(SettingsError, match=f"HUB_{name.upper()}"):
        make_settings("sqlite+aiosqlite:///x.db", **{name: value})


def test_retention_defaults_cover_the_contract_and_the_senders() -> None:
    s = make_settings("sqlite+aiosqlite:///x.db")
    assert s.idempotency_key_retention_seconds >= DAY
    assert s.webhook_id_retention_seconds >= 72 * HOUR
    assert s.processed_message_retention_seconds >= 7 * DAY
