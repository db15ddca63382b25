"""Failures on every deployment: backoff and Retry-After, the retry budget, permanent errors,
bugs, and replaying a dead letter exactly once."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime

import pytest

from shared.errors import BackendUnavailable, BusinessRuleViolation, Conflict
from shared.messaging import Message
from shared.messaging.outbox import as_utc
from tests.shared.messaging.conftest import Backbone, Order


def seconds_until(at: datetime, now: datetime) -> float:
    return (as_utc(at) - now).total_seconds()


async def test_transient_failures_back_off_exponentially(backbone: Backbone) -> None:
    calls: list[int] = []

    async def handle(message: Message) -> None:
        calls.append(message.attempts)
        if message.attempts <= 4:
            raise BackendUnavailable("ERP is down")

    await backbone.enqueue("order.accepted", "O-1", Order(order_id="O-1"))
    worker = await backbone.started({"order.accepted": handle})
    for attempt, wait in enumerate([0.5, 1.0, 2.0, 4.0], start=1):  # no jitter in these tests: the ceiling
        before = backbone.clock()
        await worker.drain(timeout=10)
        after = backbone.clock()  # the clock is real time plus an offset: the attempt fell in between
        [row] = await backbone.rows()
        assert (row.attempts, row.last_error) == (attempt, "backend_unavailable: ERP is down")
        assert seconds_until(row.available_at, after) - 0.001 <= wait <= seconds_until(row.available_at, before) + 0.001
        backbone.clock.advance(wait + 0.1)
    await worker.drain(timeout=10)
    assert calls == [1, 2, 3, 4, 5] and await backbone.rows() == []


async def test_a_retry_is_never_sooner_than_retry_after(backbone: Backbone) -> None:
    calls = 0

    async def handle(message: Message) -> None:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise BackendUnavailable("throttled", retry_after=30)

    await backbone.enqueue("order.accepted", "O-1", Order(order_id="O-1"))
    worker = await backbone.started({"order.accepted": handle})
    await worker.drain(timeout=10)
    [row] = await backbone.rows()
    assert 29.5 <= seconds_until(row.available_at, backbone.clock()) <= 30.0
    backbone.clock.advance(29)
    await worker.drain(timeout=10)
    assert calls == 1
    backbone.clock.advance(1.5)
    await worker.drain(timeout=10)
    assert calls == 2 and await backbone.rows() == []


async def test_a_spent_retry_budget_moves_the_message_to_dead_letters(backbone: Backbone) -> None:
    calls = 0

    async def handle(message: Message) -> None:
        nonlocal calls
        calls += 1
        raise BackendUnavailable("ERP is down", backend="erp")

    await backbone.enqueue("order.accepted", "O-1", Order(order_id="O-1", n=7))
    worker = await backbone.started({"order.accepted": handle}, retry_budget_seconds=100)
    for _ in range(10):
        await worker.drain(timeout=10)
        if await backbone.dead():
            break
        backbone.clock.advance(61)  # past the longest backoff
    [dead] = await backbone.dead()
    assert dead.reason.startswith("backend_unavailable: ERP is down")
    assert "retry budget of 100 s" in dead.reason and "Traceback" not in dead.reason
    assert (dead.topic, dead.key, dead.attempts, dead.replayed_at) == ("order.accepted", "O-1", calls, None)
    assert (as_utc(dead.dead_at) - as_utc(dead.first_attempt_at)).total_seconds() >= 100
    assert dead.payload == '{"order_id":"O-1","n":7}' and dead.backend == "erp"  # what a replay asks about
    assert await backbone.rows() == []
    assert backbone.count("order.accepted", "dead") == 1


async def test_a_permanent_error_dead_letters_at_once(backbone: Backbone) -> None:
    async def handle(message: Message) -> None:
        raise BusinessRuleViolation("Customer CUST-HOLD is on credit hold.", code="credit_hold")

    await backbone.enqueue("order.accepted", "O-1", Order(order_id="O-1"))
    worker = await backbone.started({"order.accepted": handle})
    await worker.drain(timeout=10)
    [dead] = await backbone.dead()
    assert (dead.reason, dead.attempts) == ("credit_hold: Customer CUST-HOLD is on credit hold.", 1)
    assert await backbone.rows() == []


async def test_an_unexpected_exception_is_logged_with_its_traceback_and_retried(
    backbone: Backbone, caplog: pytest.LogCaptureFixture
) -> None:
    calls = 0

    async def handle(message: Message) -> None:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise ZeroDivisionError("secret internals")

    await backbone.enqueue("order.accepted", "O-1", Order(order_id="O-1"))
    worker = await backbone.started({"order.accepted": handle})
    with caplog.at_level(logging.ERROR, logger="commerce_hub.messaging"):
        await worker.drain(timeout=10)
    [row] = await backbone.rows()
    assert row.last_error.startswith("internal_error: unexpected ZeroDivisionError")
    assert "secret internals" not in row.last_error
    assert any(r.exc_info and r.exc_info[0] is ZeroDivisionError for r in caplog.records)
    backbone.clock.advance(1)
    await worker.drain(timeout=10)
    assert calls == 2 and await backbone.rows() == [] and await backbone.dead() == []


async def test_a_replay_resumes_exactly_once(backbone: Backbone) -> None:
    seen: list[Message] = []

    async def handle(message: Message) -> None:
        seen.append(message)
        if len(seen) == 1:
            raise BusinessRuleViolation("bad", code="credit_hold")

    await backbone.enqueue("order.accepted", "O-1", Order(order_id="O-1"))
    worker = await backbone.started({"order.accepted": handle})
    await worker.drain(timeout=10)
    [dead] = await backbone.dead()
    letters = backbone.dead_letters(wake=worker.wake)

    results = await asyncio.gather(letters.replay(dead.id), letters.replay(dead.id), return_exceptions=True)
    conflicts = [r for r in results if isinstance(r, Conflict)]
    replayed = [r for r in results if not isinstance(r, BaseException)]
    assert len(conflicts) == 1 and conflicts[0].code == "already_replayed"
    assert len(replayed) == 1 and replayed[0].status == "replayed"
    assert (await letters.get(dead.id)).replayed_at is not None

    await worker.drain(timeout=10)
    assert len(seen) == 2 and await backbone.rows() == []
    original, again = seen
    assert again.id != original.id and again.attempts == 1  # a fresh message: attempts reset
    assert (again.topic, again.key, again.payload) == (original.topic, original.key, original.payload)
    assert again.first_attempt_at > original.first_attempt_at
    with pytest.raises(Conflict):
        await letters.replay(dead.id)
    await worker.drain(timeout=10)
    assert len(seen) == 2
