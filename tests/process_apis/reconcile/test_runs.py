"""The reconciliation framework: runs recorded whatever the checks do, findings capped and
counted, one run at a time across processes (two services on one database), abandoned runs
closed, scheduled runs skipped when one ran lately, old runs swept."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from process_apis.reconcile import runner
from process_apis.reconcile.schemas import Finding
from process_apis.reconcile.service import ReconcileService
from shared.db.ops_tables import audit_log
from shared.db.reconcile_tables import reconcile_findings
from shared.errors import BackendUnavailable, Conflict, NotFound, ValidationFailed
from shared.ops.audit import Actor
from tests.commerce_hub.orders_support import until

ACTOR = Actor(consumer="ops-team", key_id="key_1")


class Fixed:
    """A check that finds ``count`` drifts of one action (and compares ``count`` subjects)."""

    def __init__(self, name: str, count: int = 1, action: str = "reported") -> None:
        self.name, self.count, self.action, self.runs = name, count, action, 0

    async def run(self, found) -> None:  # noqa: ANN001
        self.runs += 1
        for n in range(self.count):
            found.checked()
            await found.add(Finding(subject=f"{self.name}-{n}", action=self.action, expected="a", actual="b"))


class Broken:
    name = "broken"

    async def run(self, found) -> None:  # noqa: ANN001
        await found.add(Finding(subject="first", action="reported"))
        raise BackendUnavailable("ERP down", backend="erp")


class Blocking:
    """Runs until released: a run that is still going."""

    name = "slow"

    def __init__(self) -> None:
        self.started, self.release = asyncio.Event(), asyncio.Event()

    async def run(self, found) -> None:  # noqa: ANN001
        self.started.set()
        await self.release.wait()


def service(engine, *checks, **kwargs) -> ReconcileService:  # noqa: ANN001
    built = ReconcileService(engine, **kwargs)
    for check in checks:
        built.register(check)
    return built


async def finished(svc: ReconcileService, run_id: str) -> dict:
    async def done():  # noqa: ANN202
        run = await svc.get_run(run_id)
        return run if run.status != "running" else None

    return await until(done, timeout=10)


async def test_a_failing_check_fails_the_run_and_the_next_check_still_runs(engine) -> None:  # noqa: ANN001
    after = Fixed("after", count=2)
    svc = service(engine, Broken(), after)
    run = await svc.start(None, ACTOR)
    assert (run.status, run.trigger, run.who, run.checks) == ("running", "operator", "ops-team (key_1)",
                                                             ["broken", "after"])
    done = await finished(svc, run.id)
    assert done.status == "failed" and done.error.startswith("check broken: backend_unavailable")
    assert after.runs == 1
    assert [(f.check, f.subject, f.action) for f in done.findings] == [
        ("broken", "first", "reported"), ("broken", "broken", "failed"),
        ("after", "after-0", "reported"), ("after", "after-1", "reported")]
    assert done.counts["after"].checked == 2 and done.counts["broken"].failed == 1
    async with engine.connect() as conn:  # the operator's start is in the audit log
        [entry] = (await conn.execute(select(audit_log))).all()
    assert (entry.action, entry.subject, entry.actor_key_id, entry.details) == (
        "reconciliations.start", run.id, "key_1", {"checks": ["broken", "after"]})


async def test_findings_beyond_the_cap_are_counted_not_stored(engine, monkeypatch) -> None:  # noqa: ANN001
    monkeypatch.setattr(runner, "MAX_FINDINGS", 7)
    monkeypatch.setattr(runner, "BATCH", 3)
    svc = service(engine, Fixed("many", count=12, action="repaired"))
    done = await finished(svc, (await svc.start(["many"], ACTOR)).id)
    assert done.status == "completed" and done.findings_dropped == 5
    assert done.counts["many"].repaired == 12 and done.counts["many"].checked == 12
    async with engine.connect() as conn:
        assert (await conn.execute(select(func.count()).select_from(reconcile_findings))).scalar_one() == 7
    first = await svc.get_run(done.id, limit=4)
    rest = await svc.get_run(done.id, limit=4, cursor=first.next_cursor)
    assert [f.subject for f in first.findings + rest.findings] == [f"many-{n}" for n in range(7)]
    assert rest.next_cursor is None


async def test_one_run_at_a_time_across_processes(engine) -> None:  # noqa: ANN001
    slow, other = Blocking(), Blocking()
    here, there = service(engine, slow), service(engine, other)
    run = await here.start(None, ACTOR)
    await slow.started.wait()
    results = await asyncio.gather(*(there.start(None, ACTOR) for _ in range(4)), here.start(None, ACTOR),
                                   return_exceptions=True)
    assert all(isinstance(r, Conflict) and r.code == "reconciliation_running" for r in results), results
    assert await there.run_scheduled(60) is None  # a scheduled start waits for the next tick
    slow.release.set()
    assert (await finished(here, run.id)).status == "completed"
    page = await there.list_runs()
    assert [r.id for r in page.items] == [run.id]  # nothing else was started
    again = await there.start(None, ACTOR)  # the next one may start
    other.release.set()
    assert (await finished(there, again.id)).status == "completed"
    await here.close()
    await there.close()


async def test_a_run_whose_process_died_is_closed_by_the_next_start(engine) -> None:  # noqa: ANN001
    slow = Blocking()
    dead = service(engine, slow)
    run = await dead.start(None, ACTOR)
    await slow.started.wait()
    # five minutes on, its lease (a minute) has run out: as if its process had died
    later = service(engine, Fixed("quick"), now=lambda: datetime.now(UTC) + timedelta(minutes=5))
    with pytest.raises(Conflict):
        await service(engine, Fixed("quick")).start(None, ACTOR)  # its lease still holds now
    fresh = await later.start(None, ACTOR)
    old = await later.get_run(run.id)
    assert old.status == "failed" and old.error.startswith("abandoned")
    assert (await finished(later, fresh.id)).status == "completed"
    slow.release.set()
    await dead.close()


async def test_scheduled_runs_skip_when_one_ran_within_the_interval(engine) -> None:  # noqa: ANN001
    check = Fixed("quick")
    one, two = service(engine, check), service(engine, check)
    first = await one.run_scheduled(3600)
    assert first is not None and await two.run_scheduled(3600) is None and check.runs == 1
    run = await one.get_run(str(first))
    assert (run.trigger, run.who, run.status) == ("schedule", None, "completed")
    later = service(engine, check, now=lambda: datetime.now(UTC) + timedelta(hours=2))
    assert await later.run_scheduled(3600) is not None and check.runs == 2


async def test_the_schedule_runs_by_itself(engine) -> None:  # noqa: ANN001
    check = Fixed("quick")
    svc = service(engine, check)
    svc.schedule(0.05)
    await until(lambda: asyncio.sleep(0, check.runs >= 1), timeout=10)
    await svc.close()
    runs = (await svc.list_runs()).items
    assert runs and all(r.trigger == "schedule" for r in runs)


async def test_old_runs_are_swept_with_their_findings(engine) -> None:  # noqa: ANN001
    old = service(engine, Fixed("quick", count=3), now=lambda: datetime.now(UTC) - timedelta(days=40))
    stale = await finished(old, (await old.start(None, ACTOR)).id)
    svc = service(engine, Fixed("quick"), retention=timedelta(days=30))
    fresh = await finished(svc, (await svc.start(None, ACTOR)).id)
    await until(lambda: _gone(svc, stale.id), timeout=10)  # swept after the run
    assert (await svc.get_run(fresh.id)).status == "completed"
    async with engine.connect() as conn:
        left = (await conn.execute(select(reconcile_findings.c.run_id).distinct())).scalars().all()
    assert left == [int(fresh.id)]


async def _gone(svc: ReconcileService, run_id: str) -> bool:
    try:
        await svc.get_run(run_id)
    except NotFound:
        return True
    return False


async def test_bad_input(engine) -> None:  # noqa: ANN001
    svc = service(engine, Fixed("quick"))
    with pytest.raises(ValidationFailed) as unknown:
        await svc.start(["quick", "nope"], ACTOR)
    assert unknown.value.errors == [{"field": "checks[1]", "message": "unknown check; one of: quick"}]
    with pytest.raises(ValidationFailed):
        await svc.start([], ACTOR)
    for bad in ("abc", "99999", "1" * 40, ""):
        with pytest.raises(NotFound) as missing:
            await svc.get_run(bad)
        assert missing.value.code == "unknown_reconciliation"
    with pytest.raises(ValidationFailed):
        await svc.list_runs(cursor="x")
    with pytest.raises(ValueError):
        svc.register(Fixed("quick"))
    assert (await svc.list_runs()).items == []


async def test_split_roles_reach_it_over_rpc_with_the_same_answers(engine) -> None:  # noqa: ANN001
    import httpx

    from process_apis.reconcile.port import ReconcilePort
    from shared.rpc import RpcApp, rpc_client

    slow = Blocking()
    app = RpcApp({"reconciliations": (ReconcilePort, service(engine, slow))})
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://process") as http:
        remote = rpc_client(ReconcilePort, "reconciliations", http)
        run = await remote.start(["slow"], ACTOR)
        assert (run.status, run.who, run.checks) == ("running", "ops-team (key_1)", ["slow"])
        await slow.started.wait()
        with pytest.raises(Conflict) as busy:
            await remote.start(None, ACTOR)
        assert busy.value.code == "reconciliation_running"
        with pytest.raises(ValidationFailed):
            await remote.start(["nope"], ACTOR)
        with pytest.raises(NotFound):
            await remote.get_run("424242")
        slow.release.set()
        done = await until(lambda: _status(remote, run.id, "completed"), timeout=10)
        assert done.counts["slow"].checked == 0 and [r.id for r in (await remote.list_runs()).items] == [run.id]


async def _status(remote, run_id: str, status: str):  # noqa: ANN001, ANN202
    run = await remote.get_run(run_id)
    return run if run.status == status else None
