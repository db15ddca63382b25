"""Runs the checks of one reconciliation run and records what they find; never raises.

Findings are stored in batches with the run's counts, up to ``MAX_FINDINGS`` per run: beyond
it they are only counted (``counts`` stay complete, ``findings_dropped`` says how many were
not stored). While the run goes on its lease is renewed; a run cut short by a shutdown is
closed as ``failed`` (``interrupted``), one whose process died is closed by the next start.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import UTC, datetime
from typing import Callable

from sqlalchemy.ext.asyncio import AsyncEngine

from process_apis.reconcile import repository as repo
from process_apis.reconcile.check import Check
from process_apis.reconcile.schemas import CheckCounts, Finding
from shared.messaging.outcomes import reason_of

log = logging.getLogger("commerce_hub.reconcile")

MAX_FINDINGS = 1000
"""Findings stored per run; more are counted, not stored."""
BATCH = 100


class Recorder:
    """The ``Findings`` a check writes to: counts per check, findings stored in batches up to the cap."""

    def __init__(self, engine: AsyncEngine, run_id: int, names: list[str], now: Callable[[], datetime]) -> None:
        self._engine, self._run_id, self._now = engine, run_id, now
        self.counts = {name: CheckCounts() for name in names}
        self.check = names[0] if names else ""
        self.stored = self.dropped = 0
        self._batch: list[Finding] = []

    def checked(self, count: int = 1) -> None:
        self.counts[self.check].checked += count

    async def add(self, finding: Finding) -> None:
        counts = self.counts[self.check]
        setattr(counts, finding.action, getattr(counts, finding.action) + 1)
        if self.stored + len(self._batch) >= MAX_FINDINGS:
            self.dropped += 1
            return
        self._batch.append(finding)
        if len(self._batch) >= BATCH:
            await self.flush()

    async def flush(self) -> None:
        batch, self._batch = self._batch, []
        await repo.save(self._engine, self._run_id, self.check, batch, self.counts, self.dropped, self._now())
        self.stored += len(batch)


class Runner:
    def __init__(self, engine: AsyncEngine, *, now: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self._engine, self._now = engine, now

    async def execute(self, run_id: int, checks: list[Check]) -> str:
        """Run ``checks`` in order for the run; its final status. Logs, never raises (but
        passes a cancellation on, after closing the run as ``interrupted``)."""
        renewing = asyncio.create_task(self._renew(run_id), name=f"reconcile-lease-{run_id}")
        status, error = "completed", None
        try:
            recorder = Recorder(self._engine, run_id, [c.name for c in checks], self._now)
            for check in checks:
                recorder.check = check.name
                try:
                    await check.run(recorder)
                except Exception as exc:  # noqa: BLE001 - recorded as the check's failure; the next check runs
                    log.warning("reconciliation check %s failed", check.name, exc_info=True)
                    status, error = "failed", f"check {check.name}: {reason_of(exc)}"
                    await recorder.add(Finding(subject=check.name, action="failed", detail=reason_of(exc)))
                await recorder.flush()
        except asyncio.CancelledError:
            await self._close(run_id, "failed", "interrupted: the process stopped")
            raise
        except Exception as exc:  # noqa: BLE001 - e.g. the database went away: the run fails, the caller goes on
            log.exception("reconciliation run %s failed", run_id)
            status, error = "failed", reason_of(exc)
        finally:
            renewing.cancel()
        await self._close(run_id, status, error)
        return status

    async def _close(self, run_id: int, status: str, error: str | None) -> None:
        try:
            await asyncio.shield(repo.finish(self._engine, run_id, status, error, self._now()))
        except Exception:  # noqa: BLE001 - its lease runs out instead; the next start closes it
            log.exception("could not close reconciliation run %s", run_id)

    async def _renew(self, run_id: int) -> None:
        while True:
            await asyncio.sleep(repo.LEASE.total_seconds() / 3)
            with contextlib.suppress(Exception):  # a missed renewal is retried at the next tick
                await repo.renew(self._engine, run_id, self._now())
