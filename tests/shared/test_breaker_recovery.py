"""Issue 10, defect 15: a recovered backend is called again as soon as the circuit may probe.

Half-open lets exactly one probe through at a time, closes on its success and
reopens on its failure; an outcome of a call let through before the circuit
opened never moves it; opening and closing are logged with the backend's name.
"""

from __future__ import annotations

import asyncio
import logging

import pytest

from shared.errors import BackendThrottled, BackendUnavailable, CircuitOpen
from shared.resilience import CircuitBreaker, Guard, RetryPolicy
from shared.settings import SettingsError, load_settings
from tests.clocks import FakeClock


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def opened(clock: FakeClock, open_seconds: float = 10.0) -> Guard:
    breaker = CircuitBreaker("erp", failure_threshold=1, reset_timeout=open_seconds, clock=clock)
    breaker.record_failure(breaker.allow())
    assert breaker.state == "open"
    return Guard("erp", breaker=breaker, clock=clock, sleep=clock.sleep, policy=RetryPolicy(max_attempts=1))


class Gate:
    """An ``fn`` that waits until released, then answers or raises."""

    def __init__(self, error: Exception | None = None) -> None:
        self.entered = asyncio.Event()
        self.go = asyncio.Event()
        self.error = error

    async def __call__(self) -> str:
        self.entered.set()
        await self.go.wait()
        if self.error is not None:
            raise self.error
        return "ok"


async def ok() -> str:
    return "ok"


async def test_half_open_lets_exactly_one_probe_through_at_a_time(clock: FakeClock) -> None:
    guard = opened(clock)
    clock.advance(10)
    probe = Gate()
    probing = asyncio.create_task(guard.call("get_item", probe))
    await asyncio.wait_for(probe.entered.wait(), 5)
    others = await asyncio.gather(*(guard.call("get_item", ok) for _ in range(20)), return_exceptions=True)
    assert all(isinstance(o, CircuitOpen) for o in others)
    assert all(o.retry_after is not None and o.retry_after > 0 for o in others)
    probe.go.set()
    assert await probing == "ok"
    assert guard.breaker.state == "closed"
    assert await asyncio.gather(*(guard.call("get_item", ok) for _ in range(5))) == ["ok"] * 5


async def test_a_failed_probe_reopens_for_the_open_period(clock: FakeClock) -> None:
    guard = opened(clock, open_seconds=7)
    clock.advance(7)
    with pytest.raises(BackendUnavailable) as failed:
        await guard.call("get_item", _raise)
    assert not isinstance(failed.value, CircuitOpen)
    with pytest.raises(CircuitOpen) as refused:
        await guard.call("get_item", ok)
    assert refused.value.retry_after == pytest.approx(7)
    clock.advance(7)
    assert await guard.call("get_item", ok) == "ok"
    assert guard.breaker.state == "closed"


async def _raise() -> str:
    raise BackendUnavailable("ERP answered 503", backend="erp")


async def test_a_call_from_before_the_opening_cannot_free_the_probe_slot(clock: FakeClock) -> None:
    breaker = CircuitBreaker("erp", failure_threshold=1, reset_timeout=10, clock=clock)
    guard = Guard("erp", breaker=breaker, clock=clock, sleep=clock.sleep, policy=RetryPolicy(max_attempts=1))
    early = Gate(BackendThrottled(backend="erp", retry_after=1))  # ends with no verdict: a release
    early_task = asyncio.create_task(guard.call("get_item", early))
    await asyncio.wait_for(early.entered.wait(), 5)
    with pytest.raises(BackendUnavailable):
        await guard.call("get_item", _raise)  # opens the circuit
    clock.advance(10)
    probe = Gate()
    probing = asyncio.create_task(guard.call("get_item", probe))
    await asyncio.wait_for(probe.entered.wait(), 5)
    early.go.set()
    with pytest.raises(BackendThrottled):
        await early_task
    with pytest.raises(CircuitOpen):  # still only the one probe out
        await guard.call("get_item", ok)
    probe.go.set()
    assert await probing == "ok"
    assert breaker.state == "closed"


async def test_a_late_success_from_before_the_opening_does_not_close_it(clock: FakeClock) -> None:
    breaker = CircuitBreaker("erp", failure_threshold=1, reset_timeout=10, clock=clock)
    guard = Guard("erp", breaker=breaker, clock=clock, sleep=clock.sleep, policy=RetryPolicy(max_attempts=1))
    early = Gate()
    early_task = asyncio.create_task(guard.call("get_item", early))
    await asyncio.wait_for(early.entered.wait(), 5)
    with pytest.raises(BackendUnavailable):
        await guard.call("get_item", _raise)
    early.go.set()
    assert await early_task == "ok"
    assert breaker.state == "open"


def test_reset_closes_an_open_circuit_at_once(clock: FakeClock) -> None:
    breaker = CircuitBreaker("erp", failure_threshold=1, reset_timeout=30, clock=clock)
    breaker.record_failure(breaker.allow())
    breaker.reset("sandbox faults cleared")
    assert breaker.state == "closed"
    breaker.allow()


def test_opening_and_closing_are_logged_with_the_backend(clock: FakeClock, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="commerce_hub.resilience")
    breaker = CircuitBreaker("wms", failure_threshold=2, reset_timeout=5, clock=clock)
    for _ in range(2):
        breaker.record_failure(breaker.allow())
    clock.advance(5)
    breaker.record_success(breaker.allow())
    records = [(r.levelno, r.getMessage()) for r in caplog.records if r.name == "commerce_hub.resilience"]
    assert [level for level, _ in records] == [logging.WARNING, logging.INFO]
    assert all("wms" in text for _, text in records)
    assert "opened" in records[0][1] and "closed" in records[1][1]


@pytest.mark.parametrize(("name", "value"), [("BREAKER_FAILURE_THRESHOLD", "0"), ("BREAKER_OPEN_SECONDS", "0"),
                                             ("BREAKER_OPEN_SECONDS", "-3"), ("BREAKER_OPEN_SECONDS", "soon")])
def test_bad_breaker_settings_name_the_setting(name: str, value: str) -> None:
    with pytest.raises(SettingsError, match=f"HUB_{name}"):
        load_settings(env={f"HUB_{name}": value}, toml_path="/nonexistent")


def test_breaker_settings_have_sane_defaults() -> None:
    settings = load_settings(env={}, toml_path="/nonexistent")
    assert settings.breaker_failure_threshold == 5 and 0 < settings.breaker_open_seconds <= 30
    tuned = load_settings(env={"HUB_BREAKER_OPEN_SECONDS": "2.5", "HUB_BREAKER_FAILURE_THRESHOLD": "3"},
                          toml_path="/nonexistent")
    assert (tuned.breaker_failure_threshold, tuned.breaker_open_seconds) == (3, 2.5)
