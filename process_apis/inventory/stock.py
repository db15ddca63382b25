"""The hub's own view of stock, and the reservations that keep channels from overselling.

``stock_levels`` holds one row per (sku, location) as the WMS and the POS last
reported it; a report carries the backend's sequence for that row, and an
older sequence never overwrites a newer one (events may arrive out of order or
twice). A SKU the hub has never seen is loaded from the backends on first use:
every location of it, from every source. Its ``stock_reservations`` row says it
was loaded; an event for a SKU not loaded yet records that one location and
nothing more, so the next read still loads the others.

The book is the one source of truth for what is available: the price and
availability answers (``availability``) and order capture (``reserve``) read
the same rows, and both count ``sum(available) - reserved``.

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

import msgspec
from sqlalchemy import bindparam, delete, func, select, update
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


class SkuStock(msgspec.Struct, frozen=True, kw_only=True):
    """What the book holds for one SKU: available per location as reported, and the holds."""

    sku: str
    locations: dict[str, int] = {}
    reserved: int = 0

    @property
    def free(self) -> int:
        """What an order may still reserve: exactly the condition ``reserve`` checks."""
        return max(sum(self.locations.values()) - self.reserved, 0)


class StockBook:
    def __init__(self, engine: AsyncEngine, sources: Sequence[StockPort]) -> None:
        self._engine = engine
        self._sources = sources

    async def ensure_loaded(self, skus: Sequence[str]) -> None:
        """Load from the backends, every location, the SKUs not loaded yet (no reservation row).

        A SKU no source knows stays unloaded (no row is made for it): asked again, it is
        fetched again, so made-up SKUs leave nothing behind."""
        wanted = sorted(set(skus))
        if not wanted:
            return
        async with reading(self._engine) as conn:
            rows = await conn.execute(select(reservations.c.sku).where(reservations.c.sku.in_(wanted)))
            present = {r.sku for r in rows}
        fetch = [s for s in wanted if s not in present]
        if fetch:
            await self._store(await self._fetch(fetch), force=False)

    async def availability(self, skus: Sequence[str]) -> dict[str, SkuStock]:
        """What the book holds for ``skus`` (loading those not loaded yet), every one answered.

        A loaded SKU (the cache-miss path's usual case) costs one statement: its hold and its
        levels, joined, seen at one instant."""
        wanted = sorted(set(skus))
        found = await self._loaded(wanted)
        missing = [sku for sku in wanted if sku not in found]
        if missing:
            await self._store(await self._fetch(missing), force=False)
            found.update(await self._loaded(missing))
            unknown = [sku for sku in missing if sku not in found]  # no source knows them: events only
            if unknown:
                async with reading(self._engine) as conn:
                    rows = await conn.execute(select(levels.c.sku, levels.c.location, levels.c.available)
                                              .where(levels.c.sku.in_(unknown)))
                    for row in rows:
                        found.setdefault(row.sku, SkuStock(sku=row.sku, locations={})).locations[row.location] = \
                            int(row.available)
        return {sku: found.get(sku) or SkuStock(sku=sku, locations={}) for sku in wanted}

    async def _loaded(self, skus: list[str]) -> dict[str, SkuStock]:
        """The loaded ones of ``skus`` (those with a reservation row), with their levels."""
        query = (select(reservations.c.sku, reservations.c.reserved, levels.c.location, levels.c.available)
                 .select_from(reservations.outerjoin(levels, levels.c.sku == reservations.c.sku))
                 .where(reservations.c.sku.in_(skus)))
        out: dict[str, SkuStock] = {}
        async with reading(self._engine) as conn:
            for row in await conn.execute(query):
                stock = out.setdefault(row.sku, SkuStock(sku=row.sku, locations={}, reserved=int(row.reserved)))
                if row.location is not None:
                    stock.locations[row.location] = int(row.available)
        return out

    async def resync(self) -> int:
        """Read every loaded SKU again from the backends and take their answer as it is, whatever
        the sequences (the backends were reset: their sequences started again). Holds stay.

        How the one-process sandbox brings the hub back in line after ``/sandbox/reset`` and at
        start (the sandbox's state lives in memory, the book in the database). Answers the
        number of SKUs read."""
        async with reading(self._engine) as conn:
            loaded = sorted({r.sku for r in await conn.execute(select(reservations.c.sku))}
                            | {r.sku for r in await conn.execute(select(levels.c.sku).distinct())})
        if loaded:
            await self._store(await self._fetch(loaded), force=True, skus=loaded)
        return len(loaded)

    async def apply(self, conn: AsyncConnection, change: StockChanged) -> bool:
        """Record a backend's report; False when it is older than what the hub holds.

        It never marks the SKU loaded: one location's report says nothing of the others."""
        return await self._upsert(conn, change.sku, change.location, change.on_hand, change.available,
                                  change.sequence)

    async def apply_many(self, conn: AsyncConnection, changes: Sequence[StockChanged]) -> list[bool]:
        """``apply`` for a batch of reports, one statement: per (sku, location) only the newest
        sequence of the batch is written (and only if newer than the row's), so the answer is
        True for the reports that are now the row and False for the others (older, duplicates,
        or beaten by a newer one in the same batch). Rows are written in (sku, location) order,
        the lock order every batch shares."""
        if not changes:
            return []
        newest: dict[tuple[str, str], StockChanged] = {}
        for c in changes:
            held = newest.get((c.sku, c.location))
            if held is None or c.sequence > held.sequence:
                newest[(c.sku, c.location)] = c
        now = datetime.now(UTC)
        stmt = insert(conn, levels).values([dict(sku=c.sku, location=c.location, on_hand=c.on_hand,
                                                 available=c.available, sequence=c.sequence, updated_at=now)
                                            for _, c in sorted(newest.items())])
        stmt = stmt.on_conflict_do_update(
            index_elements=[levels.c.sku, levels.c.location],
            set_={"on_hand": stmt.excluded.on_hand, "available": stmt.excluded.available,
                  "sequence": stmt.excluded.sequence, "updated_at": stmt.excluded.updated_at},
            where=stmt.excluded.sequence > levels.c.sequence,
        ).returning(levels.c.sku, levels.c.location, levels.c.sequence)
        written = {(r.sku, r.location, r.sequence) for r in await conn.execute(stmt)}
        first: set[tuple[str, str, int]] = set()
        out = []
        for c in changes:  # a duplicate of the written report counts once
            key = (c.sku, c.location, c.sequence)
            out.append(key in written and key not in first)
            first.add(key)
        return out

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

    async def _fetch(self, skus: list[str]) -> list[StockLevel]:
        found: list[StockLevel] = []
        for source in self._sources:
            found += await source.get_stock(skus)
        return found

    async def _store(self, found: list[StockLevel], *, force: bool, skus: Sequence[str] = ()) -> None:
        """Mark the SKUs found loaded and record their levels (``force``: replacing what ``skus`` had)."""
        async with self._engine.begin() as conn:
            # the same lock order as order capture: the reservation rows, then the levels
            for sku in sorted({level.sku for level in found}):
                await conn.execute(insert(conn, reservations).values(sku=sku, reserved=0).on_conflict_do_nothing())
            if force:
                await conn.execute(delete(levels).where(levels.c.sku.in_(list(skus))))
            for level in sorted(found, key=lambda lv: (lv.sku, lv.location)):
                await self._upsert(conn, level.sku, level.location, level.on_hand, level.available, level.sequence)

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
