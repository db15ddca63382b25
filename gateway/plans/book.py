"""The plan book: the settings' plans, overridden by plans stored through the admin API.

Every instance keeps the book in memory (the rate limiter reads it on each
request) and reloads it from the database when a ``plans.changed``
notification arrives on the bus, and at least every ``refresh_seconds``
(1 s), so a change is in force on every instance within a second even where
no Redis carries the notification.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime

import msgspec
from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncEngine

from shared.bus import Bus
from shared.db.tables import plans as plans_table
from shared.settings import Plan

log = logging.getLogger("commerce_hub.plans")
TOPIC = "plans.changed"


class PlanChanged(msgspec.Struct):
    name: str


class PlanBook:
    def __init__(self, engine: AsyncEngine, defaults: dict[str, Plan], bus: Bus, refresh_seconds: float = 1.0) -> None:
        self._engine = engine
        self._defaults = defaults
        self._bus = bus
        self._refresh = refresh_seconds
        self._plans: dict[str, Plan] = dict(defaults)
        self._task: asyncio.Task | None = None

    def current(self) -> dict[str, Plan]:
        return self._plans

    async def start(self) -> None:
        await self.reload()

        async def on_change(_payload: bytes) -> None:
            await self.reload()

        self._bus.subscribe(TOPIC, on_change)
        self._task = asyncio.create_task(self._poll(), name="plan-book")

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    async def reload(self) -> None:
        async with self._engine.connect() as conn:
            rows = await conn.execute(select(plans_table.c.name, plans_table.c.rate_per_second, plans_table.c.burst))
            stored = {r.name: Plan(rate_per_second=r.rate_per_second, burst=r.burst) for r in rows}
        self._plans = {**self._defaults, **stored}

    async def put(self, name: str, plan: Plan) -> bool:
        """Create or change a plan; True when it was new."""
        created = name not in self._plans
        values = {"name": name, "rate_per_second": plan.rate_per_second, "burst": plan.burst,
                  "updated_at": datetime.now(UTC)}
        dialect = postgresql if self._engine.dialect.name == "postgresql" else sqlite
        statement = dialect.insert(plans_table).values(**values)
        statement = statement.on_conflict_do_update(index_elements=["name"], set_={
            k: statement.excluded[k] for k in ("rate_per_second", "burst", "updated_at")})
        async with self._engine.begin() as conn:
            await conn.execute(statement)
        self._plans = {**self._plans, name: plan}
        await self._bus.publish(TOPIC, PlanChanged(name=name))
        return created

    async def _poll(self) -> None:
        while True:
            await asyncio.sleep(self._refresh)
            try:
                await self.reload()
            except Exception:  # the database may blip; the last good book stays in force
                log.warning("plan book reload failed; keeping the last plans", exc_info=True)
