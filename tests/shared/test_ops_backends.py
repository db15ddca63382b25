"""Backend reports for the admin API: a circuit's age is counted from its first opening (failed
probes do not restart it), a guard's report carries p50/p95 and the last error's code only, and
reports of several processes merge to the worst circuit."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from shared.db.engine import create_engine, dispose
from shared.errors import BackendUnavailable
from shared.ops.backends import BackendReports, LastError, Report, merge, report_of
from shared.ops.probes import ProbeResult
from shared.resilience import CircuitBreaker, Guard, RetryPolicy

T0 = datetime(2026, 1, 1, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_circuit_counts_its_age_from_the_first_opening_through_failed_probes() -> None:
    clock = Clock()
    breaker = CircuitBreaker("erp", failure_threshold=1, reset_timeout=1.0, clock=clock)
    clock.now += 5
    assert breaker.state_age() == 5.0  # closed for 5 s
    breaker.record_failure()
    for _ in range(3):  # open, half-open, a failed probe opens it again
        clock.now += 1.5
        breaker.record_failure(breaker.allow())
    assert breaker.state == "open" and breaker.state_age() == 4.5
    clock.now += 1.5
    breaker.record_success(breaker.allow())
    clock.now += 2
    assert breaker.state == "closed" and breaker.state_age() == 2.0


async def test_a_guards_report_has_percentiles_and_the_last_error_code_only() -> None:
    clock = Clock()
    guard = Guard("erp", policy=RetryPolicy(max_attempts=1), clock=clock)

    async def ok() -> str:
        clock.now += 0.010
        return "ok"

    async def down() -> str:
        raise BackendUnavailable("ERP said <html>secret vendor body</html>", backend="erp")

    for _ in range(19):
        await guard.call("get", ok)
    with pytest.raises(BackendUnavailable):
        await guard.call("get", down)
    report = report_of(guard, T0)
    assert report.calls == 20 and report.errors == 1
    assert report.p50_ms == pytest.approx(10.0) and report.p95_ms == pytest.approx(10.0)
    assert report.last_error is not None and report.last_error.code == "backend_unavailable"
    assert "secret" not in repr(report)


def _report(circuit: str, since: datetime, calls: int, errors: int) -> Report:
    return Report(backend="erp", circuit=circuit, circuit_since=since, calls=calls, errors=errors, throttled=0,
                  rejected=0, p50_ms=5.0, p95_ms=calls * 1.0, concurrency_in_use=1, concurrency_limit=16,
                  last_error=LastError("backend_unavailable", since) if errors else None)


def test_reports_of_several_processes_merge_to_the_worst_circuit() -> None:
    view = merge("erp", [_report("closed", T0, 10, 0), _report("open", T0 + timedelta(seconds=3), 30, 6),
                         _report("open", T0 + timedelta(seconds=1), 20, 4)], None)
    assert view.circuit == "open" and view.circuit_since == T0 + timedelta(seconds=1)
    assert view.error_rate == round(10 / 60, 4) and view.p95_ms == 30.0
    assert view.concurrency_in_use == 3 and view.instances == 3 and view.paused is False
    empty = merge("pos", [], T0)
    assert empty.circuit == "closed" and empty.calls == 0 and empty.paused and empty.instances == 0


def test_a_paused_backend_defers_without_spending_the_budget_even_when_it_is_spent() -> None:
    from shared.messaging.config import WorkerConfig
    from shared.messaging.outcomes import decide
    from shared.ops.pauses import BackendPaused

    config = WorkerConfig(retry_budget_seconds=10)
    failure = decide(BackendPaused("ERP is paused", backend="erp", retry_after=5.0), attempts=40,
                     first_attempt_at=T0, now=T0 + timedelta(hours=1), config=config)
    assert not failure.dead and failure.fresh and failure.retry_at == T0 + timedelta(hours=1, seconds=5)
    assert failure.reason.startswith("backend_paused:")
    spent = decide(BackendUnavailable("ERP down"), attempts=40, first_attempt_at=T0, now=T0 + timedelta(hours=1),
                   config=config)
    assert spent.dead and not spent.fresh


async def test_a_system_processs_probes_reach_another_processs_board_through_the_reports(sqlite_url: str) -> None:
    """What a split gateway sees: the system role's last probe per backend, the latest of several."""
    engine = create_engine(sqlite_url)
    try:
        now = datetime.now(UTC)
        down = ProbeResult(state="down", checked_at=now, latency_ms=3.0, detail="answered 503")
        older = ProbeResult(state="up", checked_at=now - timedelta(seconds=5), latency_ms=1.0, detail="answered 200")
        for instance, probe in (("system-a", down), ("system-b", older)):
            system = BackendReports(engine, {"erp": Guard("erp", policy=RetryPolicy())}, period=30, instance=instance)
            system.attach_probes({"erp": probe})
            await system.publish()
        gateway = BackendReports(engine, None, period=30, instance="gateway")
        fresh = await gateway.fresh()
        view = merge("erp", fresh["erp"], None)
        assert view.instances == 2 and view.probe is not None
        assert view.probe.state == "down" and view.probe.detail == "answered 503"
        assert view.probe.checked_at.timestamp() == pytest.approx(now.timestamp())
    finally:
        await dispose(engine)
