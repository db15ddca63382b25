"""Issue 10, defect 16: a dead-letter replay into an open circuit, and a retry budget that
only real attempts spend.

- A guarded call that tried the backend raises its own failure, never ``CircuitOpen``:
  ``CircuitOpen`` means "not tried", which the worker does not count.
- A circuit-open deferral moves the message's budget clock by the same wait, so a long
  open period followed by one real failure does not dead-letter it (on every backbone).
- A dead letter remembers its backend; its replay reports that backend's circuit
  (in process, over the internal RPC, or ``unknown``) and is due when it may probe.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import httpx
import msgspec
import pytest
from sqlalchemy import update

from shared.db.tables import dead_letters
from shared.errors import BackendUnavailable, CircuitOpen
from shared.messaging import DeadLetterService, Message, WorkerConfig
from shared.messaging.dead_letters import Replayed
from shared.messaging.outbox import as_utc
from shared.messaging.outcomes import decide
from shared.resilience import CircuitBreaker, Guard, RetryPolicy
from shared.resilience import circuits as circuits_module
from shared.resilience.circuits import CircuitPort, CircuitView, GuardCircuits
from shared.rpc import RpcApp, rpc_client
from tests.clocks import FakeClock
from tests.shared.messaging.conftest import Backbone, Order
from tests.shared.messaging.test_dead_letters import add_dead

DB_ONLY = pytest.mark.parametrize(
    "deployment", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True)
T0 = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)
CONFIG = WorkerConfig(retry_budget_seconds=100.0)


# -- the guard: CircuitOpen only when not tried ------------------------------------------


async def test_a_call_whose_own_failures_opened_the_circuit_raises_its_failure_not_circuit_open() -> None:
    clock = FakeClock()
    breaker = CircuitBreaker("erp", failure_threshold=2, reset_timeout=10, clock=clock)
    guard = Guard("erp", breaker=breaker, clock=clock, sleep=clock.sleep, policy=RetryPolicy(max_attempts=3))
    calls = 0

    async def down() -> str:
        nonlocal calls
        calls += 1
        raise BackendUnavailable("ERP answered 503", backend="erp")

    with pytest.raises(BackendUnavailable) as failed:
        await guard.call("post_sales_order", down)
    assert calls == 2 and breaker.state == "open"  # the third attempt was refused by the circuit
    assert not isinstance(failed.value, CircuitOpen) and failed.value.detail == "ERP answered 503"
    with pytest.raises(CircuitOpen):  # the next call is not tried at all: that one is CircuitOpen
        await guard.call("post_sales_order", down)
    assert calls == 2


# -- the budget clock --------------------------------------------------------------------


def test_a_circuit_open_deferral_moves_the_budget_clock_by_the_same_wait() -> None:
    now = T0 + timedelta(seconds=30)
    failure = decide(CircuitOpen("ERP calls are paused", retry_after=4, backend="erp"), attempts=3,
                     first_attempt_at=T0, now=now, config=CONFIG)
    assert failure.retry_at == now + timedelta(seconds=4) and failure.budget_from == T0 + timedelta(seconds=4)
    assert failure.backend == "erp"
    unsure = decide(CircuitOpen("paused"), attempts=2, first_attempt_at=T0, now=now, config=CONFIG, rng=lambda: 1.0)
    assert unsure.budget_from - T0 == unsure.retry_at - now > timedelta(0)
    real = decide(BackendUnavailable("ERP answered 503", backend="erp"), attempts=3, first_attempt_at=T0, now=now,
                  config=CONFIG)
    assert real.budget_from is None and real.backend == "erp" and not real.dead


async def test_time_spent_waiting_for_an_open_circuit_never_counts_toward_the_budget(backbone: Backbone) -> None:
    """A 100 s budget, 1,000 s of open circuit, then a real failure: retried, not dead-lettered.
    (Real failures still end the budget: test_failures.)"""
    script = [CircuitOpen("ERP calls are paused", retry_after=50, backend="erp")] * 20
    script += [BackendUnavailable("ERP answered 503", backend="erp")] * 2 + [None]
    calls: list[int] = []

    async def handle(message: Message) -> None:
        calls.append(message.attempts)
        error = script[len(calls) - 1]
        if error is not None:
            raise error

    await backbone.enqueue("order.accepted", "O-1", Order(order_id="O-1"))
    worker = await backbone.started({"order.accepted": handle}, retry_budget_seconds=100)
    for _ in range(len(script) + 5):
        await worker.drain(timeout=10)
        rows = await backbone.rows()
        if not rows:
            break
        assert not await backbone.dead(), f"dead-lettered after {len(calls)} attempts"
        backbone.clock.advance(max((as_utc(rows[0].available_at) - backbone.clock()).total_seconds(), 0) + 0.1)
    assert len(calls) == len(script) and await backbone.rows() == [] and await backbone.dead() == []

# -- the replay's answer -----------------------------------------------------------------


class Circuits:
    """A ``CircuitPort`` with fixed answers (or an error, or no answer at all)."""

    def __init__(self, *views: CircuitView, error: Exception | None = None, hang: bool = False) -> None:
        self.views, self.error, self.hang = list(views), error, hang

    async def states(self) -> list[CircuitView]:
        if self.hang:
            await asyncio.Event().wait()
        if self.error is not None:
            raise self.error
        return self.views


def replays(backbone: Backbone, circuits: Circuits | None) -> DeadLetterService:
    return DeadLetterService(backbone.engine, clock=backbone.clock, circuits=circuits)


async def dead_on(backbone: Backbone, backend: str | None) -> str:
    [letter_id] = await add_dead(backbone.engine, 1)
    async with backbone.engine.begin() as conn:
        await conn.execute(update(dead_letters).where(dead_letters.c.id == letter_id).values(backend=backend))
    return letter_id


def due_in(row, now: datetime) -> float:  # noqa: ANN001
    return (as_utc(row.available_at) - now).total_seconds()


@DB_ONLY
async def test_a_replay_into_an_open_circuit_says_so_and_is_due_when_it_may_probe(backbone: Backbone) -> None:
    letters = replays(backbone, Circuits(CircuitView(backend="erp", state="open", retry_after=30.0),
                                         CircuitView(backend="wms", state="closed")))
    letter_id = await dead_on(backbone, "erp")
    before = datetime.now(UTC)
    answer = await letters.replay(letter_id)
    assert (answer.backend, answer.backend_circuit) == ("erp", "open")
    assert 29 <= (answer.retry_at - before).total_seconds() <= 31
    [row] = await backbone.rows()
    assert 28 <= due_in(row, before) <= 31 and row.attempts == 0  # not before the probe
    wire = msgspec.json.decode(msgspec.json.encode(answer))
    assert set(wire) == {"id", "status", "backend", "backend_circuit", "retry_at"} and wire["retry_at"].endswith("Z")
    assert (await letters.get(letter_id)).backend == "erp"


@DB_ONLY
@pytest.mark.parametrize("circuits, expected, waits", [
    (Circuits(CircuitView(backend="erp", state="closed")), "closed", False),
    (Circuits(CircuitView(backend="erp", state="half_open", retry_after=1.0)), "half_open", True),
    (Circuits(CircuitView(backend="erp", state="half_open", retry_after=0.0)), "half_open", False),
    (Circuits(CircuitView(backend="wms", state="open", retry_after=9.0)), "unknown", False),
    (Circuits(error=BackendUnavailable("The circuits API did not answer.")), "unknown", False),
    (Circuits(hang=True), "unknown", False),
    (None, "unknown", False),
], ids=["closed", "probe-out", "may-probe", "not-listed", "rpc-down", "rpc-hangs", "no-way-to-ask"])
async def test_the_replay_reports_what_is_known_and_never_guesses(backbone: Backbone, monkeypatch, circuits,
                                                                  expected: str, waits: bool) -> None:
    monkeypatch.setattr(circuits_module, "ASK_SECONDS", 0.2)
    letters = replays(backbone, circuits)
    letter_id = await dead_on(backbone, "erp")
    before = datetime.now(UTC)
    answer = await letters.replay(letter_id)
    assert (answer.backend, answer.backend_circuit, answer.retry_at is not None) == ("erp", expected, waits)
    [row] = await backbone.rows()
    assert (due_in(row, before) > 0.5) is waits


@DB_ONLY
async def test_a_dead_letter_that_names_no_backend_replays_as_before(backbone: Backbone) -> None:
    letters = replays(backbone, Circuits(CircuitView(backend="erp", state="open", retry_after=30.0)))
    letter_id = await dead_on(backbone, None)
    answer = await letters.replay(letter_id)
    assert msgspec.json.decode(msgspec.json.encode(answer)) == {"id": letter_id, "status": "replayed"}
    [row] = await backbone.rows()
    assert due_in(row, datetime.now(UTC)) <= 0


async def test_the_system_roles_breakers_answer_over_the_internal_rpc() -> None:
    clock = FakeClock()
    erp = Guard("erp", breaker=CircuitBreaker("erp", failure_threshold=1, reset_timeout=10, clock=clock), clock=clock)
    wms = Guard("wms", clock=clock)
    erp.breaker.record_failure(erp.breaker.allow())
    clock.advance(4)
    app = RpcApp({"circuits": (CircuitPort, GuardCircuits({"erp": erp, "wms": wms}))})
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://system") as http:
        remote = rpc_client(CircuitPort, "circuits", http)
        views = {v.backend: v for v in await remote.states()}
        now = datetime.now(UTC)
        report = await circuits_module.circuit_of(remote, "erp", now)
    assert views["erp"] == CircuitView(backend="erp", state="open", retry_after=6.0)
    assert views["wms"] == CircuitView(backend="wms", state="closed", retry_after=None)
    assert report.state == "open" and report.retry_at == now + timedelta(seconds=6)


def test_the_replay_answer_without_a_backend_is_the_old_one() -> None:
    assert msgspec.json.encode(Replayed(id="dl_1", status="replayed")) == b'{"id":"dl_1","status":"replayed"}'
