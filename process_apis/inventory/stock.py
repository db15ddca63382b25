"""The hub's own view of stock, and the reservations that keep channels from overselling.

``stock_levels`` holds one row per (sku, location) as the WMS and the POS last
reported it; a report carries the backend's sequence for that row, and an
older sequence never overwrites a newer one (events may arrive out of order or
twice). A SKU the hub has never seen is loaded from the backends on first use.

``stock_reservations`` holds, per SKU, the quantity accepted orders hold and
the WMS has not shipped yet. Reserving is one conditional UPDATE:
``reserved + q <= sum(available)``. Two orders racing for the last unit both
try to update the same row; the database serialises them and re-checks the
condition for the second, which then fails: never both (PostgreSQL row lock,
SQLite's single writer).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import bindparam, func, select, update
from shared.db.engine import reading
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from shared.db.dialect import insert
from shared.db.tables import stock_levels as levels
from shared.db.tables import stock_reservations as reservations
from shared.models import StockChanged, StockLevel
from system_apis.wms.port import StockPort


_FREE = select(func.coalesce(func.sum(levels.c.available), 0)).where(levels.c.sku == bindparam("s")).scalar_subquery()
_RESERVE = update(reservations).where(
    reservations.c.sku == bindparam("s"), reservations.c.reserved + bindparam("q") <= _FREE,
).values(reserved=reservations.c.reserved + bindparam("q"))


class StockBook:
    def __init__(self, engine: AsyncEngine, sources: Sequence[StockPort]) -> None:
        self._engine = engine
        self._sources = sources
        self._known: set[str] = set()

    async def ensure_loaded(self, skus: Sequence[str]) -> None:
        """Load from the backends the SKUs this hub has no stock rows for yet."""
        missing = [s for s in skus if s not in self._known]
        if not missing:
            return
        async with reading(self._engine) as conn:
            rows = await conn.execute(select(reservations.c.sku).where(reservations.c.sku.in_(missing)))
            present = {r.sku for r in rows}
        fetch = [s for s in missing if s not in present]
        if fetch:
            found: list[StockLevel] = []
            for source in self._sources:
                found += await source.get_stock(fetch)
            async with self._engine.begin() as conn:
                # the same lock order as ``apply``: the reservation row, then the levels
                for sku in sorted(fetch):
                    await conn.execute(insert(conn, reservations).values(sku=sku, reserved=0)
                                       .on_conflict_do_nothing())
                for level in sorted(found, key=lambda lv: (lv.sku, lv.location)):
                    await self._upsert(conn, level.sku, level.location, level.on_hand, level.available,
                                       level.sequence)
        self._known.update(missing)

    async def apply(self, conn: AsyncConnection, change: StockChanged) -> bool:
        """Record a backend's report; False when it is older than what the hub holds."""
        await conn.execute(insert(conn, reservations).values(sku=change.sku, reserved=0).on_conflict_do_nothing())
        return await self._upsert(conn, change.sku, change.location, change.on_hand, change.available,
                                  change.sequence)

    async def reserve(self, conn: AsyncConnection, sku: str, quantity: int) -> bool:
        """Hold ``quantity`` of ``sku`` if that much is free; False (nothing held) otherwise."""
        result = await conn.execute(_RESERVE, {"s": sku, "q": quantity})
        return result.rowcount == 1

    async def unreserve(self, conn: AsyncConnection, sku: str, quantity: int) -> None:
        """Give back a hold (shipped or cancelled); never below zero."""
        await conn.execute(update(reservations).where(reservations.c.sku == sku).values(
            reserved=func.max(reservations.c.reserved - quantity, 0) if conn.dialect.name == "sqlite"
            else func.greatest(reservations.c.reserved - quantity, 0)))

    async def available(self, sku: str) -> tuple[int, int]:
        """(sum of available at all locations, reserved) for ``sku``."""
        async with reading(self._engine) as conn:
            total = (await conn.execute(select(func.coalesce(func.sum(levels.c.available), 0))
                                        .where(levels.c.sku == sku))).scalar_one()
            held = (await conn.execute(select(reservations.c.reserved).where(reservations.c.sku == sku))).scalar()
        return int(total), int(held or 0)

    async def _upsert(self, conn: AsyncConnection, sku: str, location: str, on_hand: int, available: int,
                      sequence: int) -> bool:
        now = datetime.now(UTC)
        stmt = insert(conn, levels).values(sku=sku, location=location, on_hand=on_hand, available=available,
                                           sequence=sequence, updated_at=now)
        stmt = stmt.on_conflict_do_update(
            index_elements=[levels.c.sku, levels.c.location],
            set_={"on_hand": stmt.excluded.on_hand, "available": stmt.excluded.available,
                  "sequence": stmt.excluded.sequence, "updated_at": stmt.excluded.updated_at},
            where=stmt.excluded.sequence > levels.c.sequence,
        )
        result = await conn.execute(stmt)
        return result.rowcount == 1
