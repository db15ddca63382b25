"""For the operations plane: the storefront's propagation lag, and the drift check.

``lag_samples(conn, since)``: per level pushed since ``since``, the seconds from
the hub receiving the stock report behind the value to the shop accepting it
(``pushed_at - received_at``). A row keeps its last push only, so a burst
gives one sample per (sku, location): the lag of the value the shop shows.
A row whose newer value is still on its way gives none (its lag is not known yet).

``StorefrontDrift.check(repair=...)``: reads the shop's levels for the SKUs the
hub pushes and compares each settled row (nothing due for it) with what the
hub wants; a difference is a finding. With ``repair`` the row is marked due
again (the pusher sends it; ``action`` ``repaired``), else ``reported``. A
level the shop holds that the hub never pushed, and a level the shop refused
(``last_error``), are reported only.
"""

from __future__ import annotations

from datetime import datetime

import msgspec
from sqlalchemy import and_, bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from shared.db.engine import reading
from shared.db.storefront_tables import storefront_levels as levels
from shared.messaging.outbox import as_utc
from system_apis.channel.port import ChannelPlatformPort

CHECK = "storefront_levels"
LAG_SAMPLE_LIMIT = 1000


class Finding(msgspec.Struct, frozen=True, kw_only=True):
    check: str
    subject: str
    """``<sku>@<location>``."""
    expected: str | None
    actual: str | None
    action: str
    """``repaired`` (marked for re-push) or ``reported``."""
    detail: str = ""


async def lag_samples(conn: AsyncConnection, since: datetime, limit: int = LAG_SAMPLE_LIMIT) -> list[float]:
    """Seconds from report to shop, for levels pushed since ``since`` (newest first, at most ``limit``)."""
    rows = await conn.execute(select(levels.c.pushed_at, levels.c.received_at)
                              .where(levels.c.pushed_at >= since, levels.c.pushed_version == levels.c.version)
                              .order_by(levels.c.pushed_at.desc()).limit(limit))
    return [max((as_utc(pushed) - as_utc(received)).total_seconds(), 0.0) for pushed, received in rows]


class StorefrontDrift:
    def __init__(self, engine: AsyncEngine, platform: ChannelPlatformPort) -> None:
        self._engine = engine
        self._platform = platform

    async def check(self, *, repair: bool) -> list[Finding]:
        return (await self.compare(repair=repair))[1]

    async def compare(self, *, repair: bool) -> tuple[int, list[Finding]]:
        """(levels compared, findings): ``check`` with the count reconciliation reports."""
        async with reading(self._engine) as conn:
            rows = (await conn.execute(select(levels.c.sku, levels.c.location, levels.c.desired, levels.c.version,
                                              levels.c.pushed_version, levels.c.last_error))).all()
        if not rows:
            return 0, []
        shop = {(lv.sku, lv.location): lv.available
                for lv in await self._platform.inventory_levels(sorted({r.sku for r in rows}))}
        findings: list[Finding] = []
        drifted = []
        for r in rows:
            key, subject = (r.sku, r.location), f"{r.sku}@{r.location}"
            actual = shop.get(key)
            if r.version > r.pushed_version:
                if r.last_error and r.last_error not in ("backend_throttled", "backend_unavailable", "circuit_open"):
                    findings.append(Finding(check=CHECK, subject=subject, expected=str(r.desired),
                                            actual=_text(actual), action="reported",
                                            detail=f"the shop refuses it: {r.last_error}"))
                continue  # on its way: not drift
            if actual != r.desired:
                drifted.append({"s": r.sku, "l": r.location, "v": r.version})
                findings.append(Finding(check=CHECK, subject=subject, expected=str(r.desired), actual=_text(actual),
                                        action="repaired" if repair else "reported",
                                        detail="marked for re-push" if repair else "the shop differs from the hub"))
        known = {(r.sku, r.location) for r in rows}
        findings += [Finding(check=CHECK, subject=f"{sku}@{loc}", expected=None, actual=str(qty), action="reported",
                             detail="a level the hub does not push") for (sku, loc), qty in sorted(shop.items())
                     if (sku, loc) not in known]
        if repair and drifted:
            async with self._engine.begin() as conn:
                await conn.execute(update(levels).where(and_(
                    levels.c.sku == bindparam("s"), levels.c.location == bindparam("l"),
                    levels.c.version == bindparam("v"))).values(pushed_version=0), drifted)
        return len(rows), findings


def _text(value: int | None) -> str | None:
    return None if value is None else str(value)


async def lag_ms(conn: AsyncConnection, since: datetime) -> list[float]:
    """``lag_samples`` in milliseconds: the flows view's storefront lag provider."""
    return [seconds * 1000.0 for seconds in await lag_samples(conn, since)]
