"""Reconciliation rows: the run (its lease), the findings, the listings and the sweep."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import msgspec
from sqlalchemy import delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from process_apis.reconcile.schemas import CheckCounts, Finding, FindingView, Run, RunDetail, Trigger
from shared.db.engine import reading
from shared.db.reconcile_tables import reconcile_findings as findings
from shared.db.reconcile_tables import reconcile_runs as runs
from shared.errors import NotFound, ValidationFailed

LEASE = timedelta(seconds=60)
"""A running run's lease; renewed every third of it. A run whose lease ran out was abandoned
(its process died): the next start closes it as ``failed``."""


def utc(value: datetime | None) -> datetime | None:
    return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value


async def close_abandoned(conn: AsyncConnection, now: datetime) -> None:
    await conn.execute(update(runs).where(runs.c.status == "running", runs.c.lease_until < now).values(
        status="failed", finished_at=now, error="abandoned: its process stopped renewing the lease"))


async def started_since(conn: AsyncConnection, trigger: Trigger, since: datetime) -> bool:
    query = select(runs.c.id).where(runs.c.trigger == trigger, runs.c.started_at >= since).limit(1)
    return (await conn.execute(query)).first() is not None


async def insert_run(conn: AsyncConnection, trigger: Trigger, who: str | None, checks: list[str],
                     now: datetime) -> int:
    """The new ``running`` row; ``IntegrityError`` when another run is running (the unique index)."""
    return (await conn.execute(insert(runs).values(
        trigger=trigger, who=who, checks=checks, status="running", started_at=now, lease_until=now + LEASE,
        counts={name: {} for name in checks}, findings_dropped=0).returning(runs.c.id))).scalar_one()


async def renew(engine: AsyncEngine, run_id: int, now: datetime) -> None:
    async with engine.begin() as conn:
        await conn.execute(update(runs).where(runs.c.id == run_id, runs.c.status == "running")
                           .values(lease_until=now + LEASE))


async def save(engine: AsyncEngine, run_id: int, check: str, batch: list[Finding], counts: dict[str, CheckCounts],
               dropped: int, now: datetime) -> None:
    """Store a batch of findings with the run's counts so far, in one transaction."""
    async with engine.begin() as conn:
        if batch:
            await conn.execute(insert(findings), [
                {"run_id": run_id, "check_name": check, "subject": f.subject[:200], "expected": _cut(f.expected),
                 "actual": _cut(f.actual), "action": f.action, "detail": _cut(f.detail), "at": now} for f in batch])
        await conn.execute(update(runs).where(runs.c.id == run_id).values(
            counts={k: _counts(v) for k, v in counts.items()}, findings_dropped=dropped))


async def finish(engine: AsyncEngine, run_id: int, status: str, error: str | None, now: datetime) -> None:
    async with engine.begin() as conn:
        await conn.execute(update(runs).where(runs.c.id == run_id, runs.c.status == "running").values(
            status=status, error=_cut(error), finished_at=now))


async def sweep(engine: AsyncEngine, before: datetime, batch: int = 500) -> int:
    """Delete finished runs started before ``before`` with their findings, a batch at a time."""
    total = 0
    while True:
        async with engine.begin() as conn:
            ids = [r.id for r in await conn.execute(select(runs.c.id).where(
                runs.c.started_at < before, runs.c.status != "running").order_by(runs.c.id).limit(batch))]
            if ids:
                await conn.execute(delete(findings).where(findings.c.run_id.in_(ids)))
                await conn.execute(delete(runs).where(runs.c.id.in_(ids)))
        total += len(ids)
        if len(ids) < batch:
            return total


async def page(engine: AsyncEngine, limit: int, cursor: str | None) -> tuple[list[Run], str | None]:
    query = select(runs).order_by(runs.c.id.desc()).limit(limit + 1)
    if cursor:
        query = query.where(runs.c.id < _cursor(cursor))
    async with reading(engine) as conn:
        rows = (await conn.execute(query)).all()
    items = [_run(r) for r in rows[:limit]]
    return items, items[-1].id if len(rows) > limit else None


async def detail(engine: AsyncEngine, run_id: str, limit: int, cursor: str | None) -> RunDetail:
    if not run_id.isdigit() or len(run_id) > 18:
        raise NotFound(f"No reconciliation run {run_id[:40]}.", code="unknown_reconciliation")
    query = select(findings).where(findings.c.run_id == int(run_id)).order_by(findings.c.id).limit(limit + 1)
    if cursor:
        query = query.where(findings.c.id > _cursor(cursor))
    async with reading(engine) as conn:
        row = (await conn.execute(select(runs).where(runs.c.id == int(run_id)))).first()
        if row is None:
            raise NotFound(f"No reconciliation run {run_id}.", code="unknown_reconciliation")
        rows = (await conn.execute(query)).all()
    found = [FindingView(id=str(f.id), check=f.check_name, subject=f.subject, action=f.action, expected=f.expected,
                         actual=f.actual, detail=f.detail, at=utc(f.at)) for f in rows[:limit]]
    return RunDetail(**msgspec.structs.asdict(_run(row)), findings=found,
                     next_cursor=found[-1].id if len(rows) > limit else None)


async def get(engine: AsyncEngine, run_id: int) -> Run:
    async with reading(engine) as conn:
        return _run((await conn.execute(select(runs).where(runs.c.id == run_id))).one())


def _run(row: object) -> Run:
    return Run(id=str(row.id), trigger=row.trigger, who=row.who, checks=list(row.checks), status=row.status,
               started_at=utc(row.started_at), finished_at=utc(row.finished_at),
               counts={k: CheckCounts(**v) for k, v in row.counts.items()}, findings_dropped=row.findings_dropped,
               error=row.error)


def _counts(counts: CheckCounts) -> dict[str, int]:
    return {"checked": counts.checked, "repaired": counts.repaired, "reported": counts.reported,
            "failed": counts.failed}


def _cursor(cursor: str) -> int:
    if not cursor.isdigit() or len(cursor) > 18:
        raise ValidationFailed(errors=[{"field": "cursor", "message": "not a cursor from this listing"}])
    return int(cursor)


def _cut(text: str | None) -> str | None:
    return text[:500] if text is not None else None
