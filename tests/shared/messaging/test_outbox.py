"""enqueue in the producer's transaction, the processed-message ledger, and what a failure
means (outcomes.decide), on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import msgspec
import pytest
from sqlalchemy import text

from shared.errors import BackendError, BackendThrottled, BackendUnavailable, CircuitOpen, NotFound
from shared.messaging import OutboxStore, WorkerConfig, enqueue, first_time
from shared.messaging.outbox import Message, withdraw
from shared.messaging.outcomes import decide
from tests.shared.messaging.conftest import Backbone, Order

DB_ONLY = pytest.mark.parametrize(
    "deployment", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True)
T0 = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)


@DB_ONLY
async def test_enqueue_belongs_to_the_callers_transaction(backbone: Backbone) -> None:
    class Boom(Exception):
        pass

    with pytest.raises(Boom):
        async with backbone.engine.begin() as conn:
            await enqueue(conn, "order.accepted", "O-1", Order(order_id="O-1"))
            raise Boom
    assert await backbone.rows() == []
    async with backbone.engine.begin() as conn:
        await enqueue(conn, "order.accepted", "O-2", Order(order_id="O-2"), delay=5)
        await enqueue(conn, "order.accepted", "O-3", b'{"order_id":"O-3"}')
    first, second = await backbone.rows()
    assert (first.topic, first.key, first.payload, first.attempts) == ("order.accepted", "O-2", '{"order_id":"O-2","n":0}', 0)
    assert second.payload == '{"order_id":"O-3"}' and int(second.id) > int(first.id)
    assert first.first_attempt_at is None and first.published_at is None and first.claimed_until is None


@DB_ONLY
async def test_withdraw_takes_only_what_is_not_due_and_in_no_ones_hands(backbone: Backbone) -> None:
    async with backbone.engine.begin() as conn:
        await enqueue(conn, "edi.capture", "net", b'{"n":1}', delay=60)  # a safety net: withdrawn
        await enqueue(conn, "edi.capture", "due", b'{"n":2}')  # due now: a worker may hold it
        await enqueue(conn, "edi.capture", "claimed", b'{"n":3}', delay=60)
        await enqueue(conn, "edi.capture", "published", b'{"n":4}', delay=60)
        await enqueue(conn, "other.topic", "net", b'{"n":5}', delay=60)
        await conn.execute(text("UPDATE outbox SET claimed_until = available_at WHERE key = 'claimed'"))
        await conn.execute(text("UPDATE outbox SET published_at = created_at WHERE key = 'published'"))
    async with backbone.engine.begin() as conn:
        assert [await withdraw(conn, "edi.capture", key) for key in ("net", "due", "claimed", "published")] \
            == [1, 0, 0, 0]
    assert sorted((r.topic, r.key) for r in await backbone.rows()) == [
        ("edi.capture", "claimed"), ("edi.capture", "due"), ("edi.capture", "published"), ("other.topic", "net")]


@DB_ONLY
async def test_message_ids_are_never_reused_after_a_delete(backbone: Backbone) -> None:
    ids = []
    for _ in range(2):
        await backbone.enqueue("order.accepted", "O-1", Order(order_id="O-1"))
        [row] = await backbone.rows()
        ids.append(row.id)
        async with backbone.engine.begin() as conn:
            from shared.db.tables import outbox

            await conn.execute(outbox.delete())
    assert ids[1] > ids[0]  # SQLite would reuse the highest rowid without AUTOINCREMENT


@DB_ONLY
async def test_claims_take_the_longest_due_row_first_not_the_oldest_id(backbone: Backbone) -> None:
    store = OutboxStore(backbone.engine)
    await backbone.enqueue("order.accepted", "O-late", Order(order_id="O-late"), delay=5)  # a retry, say
    await backbone.enqueue("order.accepted", "O-due", Order(order_id="O-due"))
    now = backbone.clock()
    [first] = await store.claim(now, now + timedelta(seconds=30), 1, {"order.accepted"})
    assert first.message.key == "O-due"  # the lower id waits for later: not due
    backbone.clock.advance(10)
    later = backbone.clock()
    await backbone.enqueue("order.accepted", "O-new", Order(order_id="O-new"))  # due now: before O-late's 5 s
    [second] = await store.claim(later, later + timedelta(seconds=30), 1, {"order.accepted"})
    [third] = await store.claim(later, later + timedelta(seconds=30), 1, {"order.accepted"})
    assert (second.message.key, third.message.key) == ("O-new", "O-late")
    assert await store.claim(later, later + timedelta(seconds=30), 1, {"order.accepted"}) == []


@pytest.mark.postgres
@pytest.mark.parametrize("deployment", ["postgres"], indirect=True)
async def test_postgres_vacuums_and_analyzes_the_outbox_as_a_queue(backbone: Backbone) -> None:
    async with backbone.engine.connect() as conn:
        options = (await conn.execute(text("SELECT reloptions FROM pg_class WHERE relname = 'outbox'"))).scalar()
    assert "autovacuum_vacuum_threshold=1000" in options and "autovacuum_analyze_scale_factor=0" in options


async def test_a_bytes_payload_must_be_json() -> None:
    with pytest.raises(msgspec.DecodeError):
        await enqueue(None, "t", "k", b"not json")  # type: ignore[arg-type]  # refused before any SQL


def test_a_message_decodes_its_payload() -> None:
    message = Message(id="1", topic="t", key="k", payload=b'{"order_id":"O-1","n":2}', attempts=1)
    assert message.decode(Order) == Order(order_id="O-1", n=2)
    assert message.decode() == {"order_id": "O-1", "n": 2}
    with pytest.raises(msgspec.ValidationError):
        message.decode(list[int])


@DB_ONLY
async def test_first_time_is_true_once_per_consumer_and_message(backbone: Backbone) -> None:
    async with backbone.engine.begin() as conn:
        assert await first_time(conn, "erp-posting", "42") is True
        assert await first_time(conn, "erp-posting", "42") is False
        assert await first_time(conn, "wms-release", "42") is True
    async with backbone.engine.begin() as conn:
        assert await first_time(conn, "erp-posting", "42") is False


CONFIG = WorkerConfig(retry_budget_seconds=900)


def fate(exc: Exception, *, attempts: int = 1, spent: float = 0.0, rng: float = 1.0):  # noqa: ANN201
    return decide(exc, attempts=attempts, first_attempt_at=T0, now=T0 + timedelta(seconds=spent), config=CONFIG,
                  rng=lambda: rng)


@pytest.mark.parametrize("exc", [BackendError("no such item"), NotFound("gone")])
def test_a_permanent_error_is_dead_at_once(exc: Exception) -> None:
    failure = fate(exc)
    assert failure.dead and failure.reason == f"{exc.code}: {exc.detail}"


@pytest.mark.parametrize("exc", [BackendUnavailable("down"), BackendThrottled("slow down"), CircuitOpen("open"),
                                 RuntimeError("bug"), TimeoutError()])
def test_transient_errors_and_bugs_are_retried_with_capped_full_jitter(exc: Exception) -> None:
    assert [(fate(exc, attempts=a).retry_at - T0).total_seconds() for a in (1, 2, 3, 8, 9, 20)] == [
        0.5, 1.0, 2.0, 60.0, 60.0, 60.0]
    assert (fate(exc, attempts=3, rng=0.25).retry_at - T0).total_seconds() == 0.5


def test_retry_after_sets_the_earliest_retry() -> None:
    failure = fate(BackendThrottled("429", retry_after=90), attempts=1, spent=10)
    assert (failure.retry_at - T0).total_seconds() == 100


def test_an_open_circuit_holds_a_message_back_at_most_the_max_delay() -> None:
    # the circuit is this process's view; a restarted worker may find the backend well
    short = fate(CircuitOpen("open", retry_after=5), attempts=1, spent=10)
    long = fate(CircuitOpen("open", retry_after=3600), attempts=1, spent=10)
    assert (short.retry_at - T0).total_seconds() == 15
    assert (long.retry_at - T0).total_seconds() == 10 + CONFIG.retry.max_delay


def test_an_open_circuit_never_spends_the_retry_budget() -> None:
    # issue 10, defect 16: the backend was not tried; the message waits for the probe instead
    failure = fate(CircuitOpen("ERP calls are paused", retry_after=4), attempts=30, spent=900)
    assert not failure.dead
    assert (failure.retry_at - T0).total_seconds() == 904
    assert fate(CircuitOpen("open"), attempts=3, spent=5000).retry_at is not None


def test_the_spent_budget_dead_letters_whatever_the_error() -> None:
    failure = fate(BackendUnavailable("ERP down"), attempts=12, spent=900)
    assert failure.dead and failure.reason == (
        "backend_unavailable: ERP down (retry budget of 900 s spent after 12 attempts)")
    assert fate(RuntimeError("SELECT secret FROM x"), spent=901).reason.startswith(
        "internal_error: unexpected RuntimeError")


def test_a_reason_is_never_longer_than_its_column() -> None:
    assert len(fate(BackendUnavailable("x" * 2000), spent=1000).reason) == 500
    assert len(fate(BackendError("x" * 2000)).reason) == 500
