"""Reconciliation runs: started by an operator or on a schedule, one at a time across processes.

    service = ReconcileService(engine, retention=timedelta(days=30))
    service.register(ErpOrdersCheck(...)); service.register(StockCheck(...))
    run = await service.start(None, actor)        # the admin API: 202, runs in the background
    service.schedule(every_seconds=3600)          # workers: a run every hour (none if one ran lately)
    await service.close()                         # cancels what runs here (closed as interrupted)

The ``running`` row is the lease (see ``shared.db.reconcile_tables``): a start inserts it, and
a second start anywhere while it runs fails on the unique index: 409 ``reconciliation_running``.
A scheduled start is skipped when any scheduled run started within the interval (several
worker processes each schedule; about one run per interval happens), or when one is running.
After each run, runs older than the retention are swept with their findings.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta
from typing import Callable

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from process_apis.reconcile import repository as repo
from process_apis.reconcile.check import Check
from process_apis.reconcile.runner import Runner
from process_apis.reconcile.schemas import Run, RunDetail, RunPage, Trigger
from shared.errors import Conflict, ValidationFailed
from shared.ops.audit import Actor, record

log = logging.getLogger("commerce_hub.reconcile")


class ReconcileService:
    def __init__(self, engine: AsyncEngine, *, retention: timedelta = timedelta(days=30),
                 now: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self._engine, self._retention, self._now = engine, retention, now
        self._runner = Runner(engine, now=now)
        self._checks: dict[str, Check] = {}
        self._tasks: set[asyncio.Task] = set()

    def register(self, check: Check) -> None:
        """Add a check (in order); an operator may name it, a run without names runs them all."""
        if check.name in self._checks:
            raise ValueError(f"a reconciliation check named {check.name!r} is registered already")
        self._checks[check.name] = check

    @property
    def check_names(self) -> list[str]:
        return list(self._checks)

    async def start(self, checks: list[str] | None, actor: Actor) -> Run:
        names = self._names(checks)
        run_id = await self._open("operator", names, actor)
        assert run_id is not None  # an operator's start is never skipped: it conflicts instead
        run = await repo.get(self._engine, run_id)  # as started: read before it goes on
        task = asyncio.get_running_loop().create_task(self._execute(run_id, names), name=f"reconcile-{run_id}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return run

    async def list_runs(self, limit: int = 50, cursor: str | None = None) -> RunPage:
        items, next_cursor = await repo.page(self._engine, limit, cursor)
        return RunPage(items=items, next_cursor=next_cursor)

    async def get_run(self, run_id: str, limit: int = 100, cursor: str | None = None) -> RunDetail:
        return await repo.detail(self._engine, run_id, limit, cursor)

    async def run_scheduled(self, every_seconds: float) -> int | None:
        """One scheduled run, here and now, unless one ran within ``every_seconds`` or one is
        running; its id, or None when skipped. Never raises (logged)."""
        try:
            run_id = await self._open("schedule", self.check_names, None, every_seconds)
        except Conflict:
            return None
        except Exception:  # noqa: BLE001 - the next tick tries again
            log.exception("could not start a scheduled reconciliation")
            return None
        if run_id is not None:
            await self._execute(run_id, self.check_names)
        return run_id

    def schedule(self, every_seconds: float) -> None:
        """A scheduled run every ``every_seconds`` (0: never), the first one interval from now."""
        if every_seconds <= 0:
            return

        async def loop() -> None:
            while True:
                await asyncio.sleep(every_seconds)
                await self.run_scheduled(every_seconds)

        task = asyncio.get_running_loop().create_task(loop(), name="reconcile-schedule")
        self._tasks.add(task)

    async def close(self) -> None:
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def _names(self, checks: list[str] | None) -> list[str]:
        if checks is None:
            return self.check_names
        errors = [{"field": f"checks[{i}]", "message": f"unknown check; one of: {', '.join(self._checks)}"}
                  for i, name in enumerate(checks) if name not in self._checks]
        if errors or not checks:
            raise ValidationFailed(errors=errors or [{"field": "checks", "message": "name at least one check"}])
        return list(dict.fromkeys(checks))

    async def _open(self, trigger: Trigger, names: list[str], actor: Actor | None,
                    every_seconds: float = 0.0) -> int | None:
        now = self._now()
        try:
            async with self._engine.begin() as conn:
                await repo.close_abandoned(conn, now)
                lately = now - timedelta(seconds=every_seconds * 0.9)
                if every_seconds and await repo.started_since(conn, trigger, lately):
                    return None
                run_id = await repo.insert_run(conn, trigger, actor.label() if actor else None, names, now)
                if actor is not None:
                    await record(conn, actor, "reconciliations.start", now, subject=str(run_id),
                                 details={"checks": names})
        except IntegrityError:
            raise Conflict("A reconciliation run is running; wait for it to finish (list the runs to see it).",
                           code="reconciliation_running") from None
        return run_id

    async def _execute(self, run_id: int, names: list[str]) -> None:
        await self._runner.execute(run_id, [self._checks[name] for name in names])
        try:
            swept = await repo.sweep(self._engine, self._now() - self._retention)
            if swept:
                log.info("reconciliation: %d old runs swept", swept)
        except Exception:  # noqa: BLE001 - swept after the next run instead
            log.exception("could not sweep old reconciliation runs")
