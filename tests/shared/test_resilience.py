"""Resilience primitives, driven by a fake clock and a sleep that only moves it."""

from __future__ import annotations

import asyncio
import random

import pytest

from shared.errors import BackendError, BackendThrottled, BackendUnavailable, CircuitOpen, NotFound
from shared.resilience import (
    BackendStats,
    Bulkhead,
    CircuitBreaker,
    Guard,
    RetryPolicy,
    deadline_scope,
)
from tests.clocks import FakeClock


class Script:
    """An ``fn`` for ``Guard.call`` that raises the given errors in turn, then answers "ok"."""

    def __init__(self, *errors: Exception, forever: Exception | None = None) -> None:
        self.errors = list(errors)
        self.forever = forever
        self.calls = 0

    async def __call__(self) -> str:
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        if self.forever is not None:
            raise self.forever
        return "ok"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def make_guard(clock: FakeClock, **kw) -> Guard:
    breaker = kw.pop("breaker", None) or CircuitBreaker("erp", failure_threshold=3, reset_timeout=30, clock=clock)
    return Guard("erp", breaker=breaker, clock=clock, sleep=clock.sleep, **kw)


# RetryPolicy


def test_backoff_ceiling_grows_and_caps() -> None:
    policy = RetryPolicy(base_delay=0.1, multiplier=2.0, max_delay=1.0)
    assert [policy.delay(n, rng=lambda: 1.0) for n in range(1, 6)] == pytest.approx([0.1, 0.2, 0.4, 0.8, 1.0])
    assert policy.delay(3, rng=lambda: 0.0) == 0.0


def test_full_jitter_spans_zero_to_ceiling() -> None:
    policy = RetryPolicy(base_delay=0.1, multiplier=2.0, max_delay=5.0)
    rng = random.Random(7).random
    delays = [policy.delay(3, rng=rng) for _ in range(2000)]
    assert all(0.0 <= d <= 0.4 for d in delays)
    assert min(delays) < 0.04 and max(delays) > 0.36


def test_retry_after_is_a_floor_even_past_max_delay() -> None:
    policy = RetryPolicy(max_delay=2.0)
    assert policy.delay(1, retry_after=1.5, rng=lambda: 0.0) == 1.5
    assert policy.delay(1, retry_after=7.0, rng=lambda: 1.0) == 7.0


# CircuitBreaker


def test_breaker_opens_after_consecutive_failures_then_half_opens_and_closes(clock: FakeClock) -> None:
    breaker = CircuitBreaker("erp", failure_threshold=3, reset_timeout=30, clock=clock)
    for _ in range(2):
        breaker.allow()
        breaker.record_failure()
    assert breaker.state == "closed"
    breaker.allow()
    breaker.record_failure()
    assert breaker.state == "open"
    with pytest.raises(CircuitOpen) as caught:
        breaker.allow()
    assert caught.value.code == "circuit_open" and caught.value.retry_after == 30
    clock.advance(30)
    assert breaker.state == "half_open"
    breaker.allow()  # the one trial call
    with pytest.raises(CircuitOpen):
        breaker.allow()  # no second trial while the first is out
    breaker.record_success()
    assert breaker.state == "closed"


def test_half_open_failure_reopens(clock: FakeClock) -> None:
    breaker = CircuitBreaker("erp", failure_threshold=1, reset_timeout=10, clock=clock)
    breaker.record_failure()
    clock.advance(10)
    breaker.allow()
    breaker.record_failure()
    assert breaker.state == "open"
    clock.advance(9.9)
    assert breaker.state == "open"


def test_a_success_between_failures_resets_the_count(clock: FakeClock) -> None:
    breaker = CircuitBreaker("erp", failure_threshold=2, clock=clock)
    for _ in range(5):
        breaker.record_failure()
        breaker.record_success()
    assert breaker.state == "closed"


def test_released_trial_frees_the_half_open_slot(clock: FakeClock) -> None:
    breaker = CircuitBreaker("erp", failure_threshold=1, reset_timeout=1, clock=clock)
    breaker.record_failure()
    clock.advance(1)
    breaker.allow()
    breaker.release()
    breaker.allow()


# Guard: retries and deadlines


async def test_guard_retries_unavailable_then_succeeds(clock: FakeClock) -> None:
    guard = make_guard(clock)
    fn = Script(BackendUnavailable(backend="erp"), BackendUnavailable(backend="erp"))
    assert await guard.call("get_item", fn) == "ok"
    assert fn.calls == 3 and len(clock.sleeps) == 2


async def test_guard_waits_at_least_retry_after(clock: FakeClock) -> None:
    guard = make_guard(clock)
    fn = Script(BackendThrottled(backend="erp", retry_after=1.5))
    assert await guard.call("get_item", fn) == "ok"
    assert clock.sleeps[0] >= 1.5


async def test_retry_after_past_the_deadline_raises_without_waiting(clock: FakeClock) -> None:
    guard = make_guard(clock)
    fn = Script(BackendThrottled(backend="erp", retry_after=2.0))
    with pytest.raises(BackendThrottled) as caught:
        await guard.call("get_item", fn, deadline=0.5)
    assert caught.value.retry_after == 2.0
    assert fn.calls == 1 and clock.sleeps == []


async def test_deadline_stops_retries(clock: FakeClock) -> None:
    policy = RetryPolicy(max_attempts=100, base_delay=0.1, max_delay=0.1)
    guard = make_guard(clock, policy=policy, breaker=CircuitBreaker("erp", failure_threshold=1000, clock=clock))
    fn = Script(forever=BackendUnavailable(backend="erp"))
    with pytest.raises(BackendUnavailable):
        await guard.call("get_item", fn, deadline=1.0)
    assert sum(clock.sleeps) < 1.0 and fn.calls == len(clock.sleeps) + 1 < 100


async def test_deadline_scope_bounds_calls_inside_it(clock: FakeClock) -> None:
    guard = make_guard(clock)
    fn = Script(BackendThrottled(backend="erp", retry_after=1.0))
    with deadline_scope(0.2, clock=clock), pytest.raises(BackendThrottled):
        await guard.call("get_item", fn)
    assert fn.calls == 1


async def test_guard_gives_up_after_max_attempts(clock: FakeClock) -> None:
    guard = make_guard(clock, policy=RetryPolicy(max_attempts=3))
    fn = Script(forever=BackendUnavailable(backend="erp"))
    with pytest.raises(BackendUnavailable):
        await guard.call("get_item", fn)
    assert fn.calls == 3


@pytest.mark.parametrize("error", [BackendError(backend="erp"), NotFound(code="unknown_sku")])
async def test_permanent_errors_are_not_retried_and_do_not_trip_the_breaker(clock: FakeClock, error) -> None:
    guard = make_guard(clock)
    for _ in range(5):
        fn = Script(forever=error)
        with pytest.raises(type(error)):
            await guard.call("get_item", fn)
        assert fn.calls == 1
    assert guard.breaker.state == "closed"


async def test_no_retry_when_asked(clock: FakeClock) -> None:
    guard = make_guard(clock)
    fn = Script(BackendUnavailable(backend="erp"))
    with pytest.raises(BackendUnavailable):
        await guard.call("post_order", fn, retry=False)
    assert fn.calls == 1


async def test_open_circuit_fails_fast_then_recovers(clock: FakeClock) -> None:
    guard = make_guard(clock, policy=RetryPolicy(max_attempts=3))
    with pytest.raises(BackendUnavailable):
        await guard.call("get_item", Script(forever=BackendUnavailable(backend="erp")))
    assert guard.breaker.state == "open"
    untouched = Script()
    with pytest.raises(CircuitOpen):
        await guard.call("get_item", untouched)
    assert untouched.calls == 0
    clock.advance(30.01)
    assert await guard.call("get_item", untouched) == "ok"
    assert guard.breaker.state == "closed"
    assert guard.snapshot().rejected == 1


async def test_throttling_waits_but_never_opens_the_circuit(clock: FakeClock) -> None:
    guard = make_guard(clock, policy=RetryPolicy(max_attempts=1))
    for _ in range(5):
        with pytest.raises(BackendThrottled):
            await guard.call("get_item", Script(forever=BackendThrottled(backend="erp", retry_after=1.0)))
    assert guard.breaker.state == "closed"
    assert guard.snapshot().throttled == 5
    assert await guard.call("get_item", Script()) == "ok"


async def test_slow_attempt_times_out_as_unavailable(clock: FakeClock) -> None:
    guard = make_guard(clock, timeout=0.01, policy=RetryPolicy(max_attempts=1))

    async def slow() -> str:
        await asyncio.sleep(5)
        return "late"

    with pytest.raises(BackendUnavailable, match="timed out"):
        await guard.call("get_item", slow)
    assert guard.snapshot().error_rate == 1.0


# Bulkhead


async def test_bulkhead_caps_concurrency() -> None:
    bulkhead = Bulkhead("wms", max_concurrent=2, max_wait=5)
    guard = Guard("wms", bulkhead=bulkhead)
    peak = 0

    async def work() -> None:
        nonlocal peak
        peak = max(peak, bulkhead.in_flight)
        await asyncio.sleep(0.01)

    await asyncio.gather(*(guard.call("get_stock", work) for _ in range(8)))
    assert peak == 2 and bulkhead.in_flight == 0


async def test_bulkhead_over_wait_is_unavailable() -> None:
    bulkhead = Bulkhead("wms", max_concurrent=1, max_wait=0.01)
    release = asyncio.Event()
    guard = Guard("wms", bulkhead=bulkhead, policy=RetryPolicy(max_attempts=1))

    async def hold() -> None:
        await release.wait()

    holder = asyncio.create_task(guard.call("get_stock", hold))
    await asyncio.sleep(0)
    with pytest.raises(BackendUnavailable) as caught:
        await guard.call("get_stock", hold)
    assert caught.value.code == "backend_unavailable" and "bulkhead full" in caught.value.detail
    assert guard.breaker.state == "closed" and guard.snapshot().rejected == 1
    release.set()
    await holder


# BackendStats


def test_stats_error_rate_p95_and_throttles(clock: FakeClock) -> None:
    stats = BackendStats("pos", clock=clock)
    for ms in range(1, 21):
        stats.record(ms / 1000, error=ms <= 5, throttled=ms <= 2)
        clock.advance(1)
    health = stats.snapshot("half_open")
    assert health.calls == 20 and health.error_rate == 0.25 and health.throttled == 2
    assert health.p95_latency_ms == pytest.approx(19.0)
    assert health.circuit_state == "half_open" and health.name == "pos"


def test_stats_forget_calls_outside_the_window(clock: FakeClock) -> None:
    stats = BackendStats("pos", window=60, bucket_seconds=10, clock=clock)
    stats.record(0.5, error=True)
    clock.advance(30)
    stats.record(0.01)
    assert stats.snapshot().calls == 2
    clock.advance(45)
    health = stats.snapshot()
    assert (health.calls, health.error_rate, health.p95_latency_ms) == (1, 0.0, pytest.approx(10.0))
    clock.advance(100)
    assert stats.snapshot().p95_latency_ms is None and stats.snapshot().calls == 0
