"""Backend health across processes: every process holding guards (the ``system`` role, or
``all``) writes a report per backend to ``backend_reports`` every HUB_OPS_REPORT_SECONDS; the
admin API of any instance merges the fresh ones (and this process's own guards, read live).

Why the database and not the internal RPC: several system instances each hold their own
breakers, and the gateway reaches only one of them per call; reports from all of them, merged,
answer for the fleet. A report older than three periods is an instance that stopped: ignored,
and deleted by the next writer.

Merging: the worst circuit wins (open > half_open > closed; ``circuit_since`` is the earliest
opening of that state); counts add up; ``p50_ms``/``p95_ms`` are the largest instance's
(a conservative bound, not a fleet percentile); ``concurrency_in_use`` adds up.
"""

from __future__ import annotations

import logging
import os
import socket
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Callable, Iterable, Mapping

import msgspec
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncEngine

from shared.db.dialect import insert
from shared.db.tables import backend_reports
from shared.messaging.outbox import as_utc, utcnow
from shared.ops.loop import Every
from shared.ops.probes import ProbeResult
from shared.resilience import Guard

if TYPE_CHECKING:
    from shared.ops.pauses import PauseBook

log = logging.getLogger("commerce_hub.ops")
_SEVERITY = {"closed": 0, "half_open": 1, "open": 2}


class LastError(msgspec.Struct, frozen=True):
    code: str
    """The error's code only (``backend_unavailable``, ``backend_throttled``, ...): never a vendor body."""
    at: datetime


class Report(msgspec.Struct, kw_only=True):
    """One process's view of one backend over its stats window (5 minutes)."""

    backend: str
    circuit: str
    circuit_since: datetime
    calls: int
    errors: int
    throttled: int
    rejected: int
    p50_ms: float | None
    p95_ms: float | None
    concurrency_in_use: int
    concurrency_limit: int
    last_error: LastError | None = None
    probe: ProbeResult | None = None
    """This process's last health probe of the backend (``shared/ops/probes.py``), if it probes."""


class BackendView(msgspec.Struct, kw_only=True):
    """What ``GET /admin/v1/backends`` shows per backend."""

    backend: str
    circuit: str
    circuit_since: datetime | None
    error_rate: float
    throttle_rate: float
    throttled: int
    calls: int
    rejected: int
    p50_ms: float | None
    p95_ms: float | None
    concurrency_in_use: int
    concurrency_limit: int
    last_error: LastError | None
    paused: bool
    paused_since: datetime | None
    instances: int
    """How many processes reported this backend (0: none has yet; figures then are zero)."""
    probe: ProbeResult | None = None
    """The latest health probe any instance made (null: probing off, or none yet)."""


def instance_id() -> str:
    return f"{socket.gethostname()[:40]}:{os.getpid()}"


def report_of(guard: Guard, now: datetime, probe: ProbeResult | None = None) -> Report:
    health = guard.snapshot()
    last = LastError(health.last_error_code, health.last_error_at) if health.last_error_code and health.last_error_at else None
    return Report(backend=guard.name, circuit=health.circuit_state,
                  circuit_since=now - timedelta(seconds=guard.breaker.state_age()), calls=health.calls,
                  errors=health.errors, throttled=health.throttled, rejected=health.rejected,
                  p50_ms=health.p50_latency_ms, p95_ms=health.p95_latency_ms,
                  concurrency_in_use=guard.bulkhead.in_flight, concurrency_limit=guard.bulkhead.max_concurrent,
                  last_error=last, probe=probe)


def merge(name: str, reports: list[Report], paused_at: datetime | None) -> BackendView:
    worst = max((r.circuit for r in reports), key=_SEVERITY.__getitem__, default="closed")
    same = [r.circuit_since for r in reports if r.circuit == worst]
    calls, errors, throttled = (sum(getattr(r, f) for r in reports) for f in ("calls", "errors", "throttled"))
    lasts = [r.last_error for r in reports if r.last_error is not None]
    return BackendView(
        backend=name, circuit=worst, circuit_since=(min(same) if worst != "closed" else max(same)) if same else None,
        error_rate=round(errors / calls, 4) if calls else 0.0, throttle_rate=round(throttled / calls, 4) if calls else 0.0,
        throttled=throttled, calls=calls, rejected=sum(r.rejected for r in reports),
        p50_ms=_largest(r.p50_ms for r in reports), p95_ms=_largest(r.p95_ms for r in reports),
        concurrency_in_use=sum(r.concurrency_in_use for r in reports),
        concurrency_limit=sum(r.concurrency_limit for r in reports),
        last_error=max(lasts, key=lambda e: e.at) if lasts else None,
        paused=paused_at is not None, paused_since=paused_at, instances=len(reports),
        probe=max(probes, key=lambda p: p.checked_at) if (probes := [r.probe for r in reports if r.probe]) else None)


def _largest(values: Iterable[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return round(max(present), 3) if present else None


class BackendReports:
    """Writes this process's reports and reads everyone's."""

    def __init__(self, engine: AsyncEngine, guards: dict[str, Guard] | None, *, period: float,
                 instance: str | None = None, clock: Callable[[], datetime] = utcnow) -> None:
        self._engine, self._guards, self._period = engine, guards or {}, period
        self._instance, self._clock = instance or instance_id(), clock
        self._loop = Every("backend-reports", period, self._publish_once)
        self._probes: Mapping[str, ProbeResult] = {}

    def attach_probes(self, results: Mapping[str, ProbeResult]) -> None:
        """The live last probe per backend (a ``ProbeScheduler``'s ``results``), sent with the reports."""
        self._probes = results

    def local(self) -> list[Report]:
        now = self._clock()
        return [report_of(guard, now, self._probes.get(name)) for name, guard in self._guards.items()]

    async def publish(self) -> None:
        now = self._clock()
        reports = self.local()
        async with self._engine.begin() as conn:
            for report in reports:
                stmt = insert(conn, backend_reports).values(
                    backend=report.backend, instance=self._instance, report=msgspec.json.encode(report).decode(),
                    updated_at=now)
                await conn.execute(stmt.on_conflict_do_update(
                    index_elements=["backend", "instance"],
                    set_={"report": stmt.excluded.report, "updated_at": stmt.excluded.updated_at}))
            await conn.execute(delete(backend_reports).where(backend_reports.c.updated_at < now - self._stale_after * 10))

    async def fresh(self) -> dict[str, list[Report]]:
        """Every backend's fresh reports, this process's own read live rather than from the table."""
        now = self._clock()
        async with self._engine.connect() as conn:
            rows = (await conn.execute(select(backend_reports).where(
                backend_reports.c.updated_at >= now - self._stale_after))).all()
        out: dict[str, list[Report]] = {}
        for row in rows:
            if row.instance == self._instance and row.backend in self._guards:
                continue
            report = msgspec.json.decode(row.report, type=Report)
            report.circuit_since = as_utc(report.circuit_since)
            out.setdefault(row.backend, []).append(report)
        for report in self.local():
            out.setdefault(report.backend, []).append(report)
        return out

    @property
    def _stale_after(self) -> timedelta:
        return timedelta(seconds=self._period * 3)

    def start(self) -> None:
        if self._guards:
            self._loop.start()

    async def stop(self) -> None:
        await self._loop.stop()

    async def _publish_once(self) -> None:
        try:
            await self.publish()
        except Exception as exc:  # the database is away: the next period tries again
            log.warning("backend reports not written (%s)", type(exc).__name__)


class BackendBoard:
    """``GET /admin/v1/backends``: one view per known backend (configured or reported), paused or not."""

    def __init__(self, reports: BackendReports, pauses: "PauseBook", names: Iterable[str] = ()) -> None:
        self._reports, self._pauses, self._names = reports, pauses, tuple(names)

    async def views(self) -> list[BackendView]:
        fresh = await self._reports.fresh()
        paused = await self._pauses.current()
        names = sorted({*self._names, *fresh})
        return [merge(name, fresh.get(name, []), paused.get(name)) for name in names]

    def known(self, name: str) -> bool:
        return name in self._names
