"""What the storefront should show: marks made with each book change, turned into desired levels.

The push works in two steps so that no stale value can win:

1. ``mark(conn, skus, received_at)``: in the transaction of a stock report or
   a hold, one upsert bumps each SKU's ``storefront_marks.version``. Cheap,
   and committed exactly when the change is.
2. ``DesiredLevels.refresh()``: reads the due marks (their versions first),
   then the book (so it sees every change those versions stand for), and
   writes each (sku, location)'s ``desired`` value. A row is only
   overwritten by a reading of a newer or equal mark version (``basis``), and
   its ``version`` only moves when the value changes, so a burst of reports
   for a SKU leaves one due row per location with the latest value.

What the shop is told per location (``allocate``): the book's available
there (0 at a location of a stock source no longer configured: ``holds.SERVED``),
less the SKU's holds and the storefront channel's safety buffer, taken from
the locations with the most first (ties by name), never below 0.
Holds are per SKU (order capture reserves against the SKU's total), so the
levels the shop shows add up to the channel's available-to-promise,
``max(sum(available) - reserved - buffer, 0)``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import and_, bindparam, case, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from process_apis.inventory.holds import SERVED, SOURCES
from shared.db.dialect import among, insert
from shared.db.engine import reading
from shared.db.storefront_tables import storefront_levels as levels
from shared.db.storefront_tables import storefront_marks as marks
from shared.db.tables import stock_levels, stock_reservations
from shared.messaging.outbox import as_utc, utcnow

REFRESH_BATCH = 1000
"""SKUs read from the book per refresh round."""


async def mark(conn: AsyncConnection, skus: Sequence[str], received_at: datetime | None = None) -> None:
    """The book changed for ``skus`` (in ``conn``'s transaction): their storefront levels are due a
    look. ``received_at``: when the hub received the report behind it (now when not given)."""
    wanted = sorted(set(skus))
    if not wanted:
        return
    at = received_at or utcnow()
    # executemany: compiled once whatever the number of SKUs (a multi-row VALUES is compiled anew each time)
    await conn.execute(_mark_statement(conn), [{"sku": s, "version": 1, "seen_version": 0, "received_at": at}
                                               for s in wanted])


_MARKS: dict[str, object] = {}
"""``mark``'s upsert per dialect name, built once (it runs with every stock report and hold)."""


def _mark_statement(conn: AsyncConnection) -> object:
    stmt = _MARKS.get(conn.dialect.name)
    if stmt is None:
        stmt = insert(conn, marks)
        stmt = _MARKS[conn.dialect.name] = stmt.on_conflict_do_update(index_elements=[marks.c.sku], set_={
            "version": marks.c.version + 1,
            "received_at": case((stmt.excluded.received_at > marks.c.received_at, stmt.excluded.received_at),
                                else_=marks.c.received_at)})
    return stmt


def allocate(available: dict[str, int], reserved: int, buffer: int) -> dict[str, int]:
    """Per location what the shop may sell: ``available`` less ``reserved + buffer``, taken from the
    largest locations first (ties by name); the values add up to the SKU's available-to-promise."""
    shown = {loc: max(qty, 0) for loc, qty in available.items()}
    owed = max(reserved, 0) + max(buffer, 0)
    for loc in sorted(shown, key=lambda loc: (-shown[loc], loc)):
        take = min(owed, shown[loc])
        shown[loc] -= take
        owed -= take
    return shown


class DesiredLevels:
    """Turns due marks into desired rows (step 2 of the module docstring)."""

    def __init__(self, engine: AsyncEngine, *, safety_buffer: int = 0, sources: Sequence[str] | None = None) -> None:
        """``sources``: the configured stock sources (``StockBook.sources``); None: every level."""
        self._engine = engine
        self._buffer = safety_buffer
        self._sources = None if sources is None else sorted(sources)

    async def refresh(self, limit: int = REFRESH_BATCH) -> int:
        """One round over at most ``limit`` due SKUs; answers how many were read."""
        async with reading(self._engine) as conn:
            due = (await conn.execute(select(marks.c.sku, marks.c.version, marks.c.received_at)
                                      .where(marks.c.version > marks.c.seen_version)
                                      .order_by(marks.c.received_at).limit(limit))).all()
            if not due:
                return 0
            skus = [row.sku for row in due]
            book = await _book(conn, skus, self._sources)
            held = await _stored(conn, skus)
        rows = []
        for row in sorted(due, key=lambda r: r.sku):
            available, reserved = book.get(row.sku, ({}, 0))
            shown = allocate(available, reserved, self._buffer)
            for loc in held.get(row.sku, ()):
                shown.setdefault(loc, 0)  # a location the book no longer has: nothing to sell there
            rows += [{"sku": row.sku, "location": loc, "desired": qty, "basis": row.version,
                      "received_at": as_utc(row.received_at)} for loc, qty in sorted(shown.items())]
        async with self._engine.begin() as conn:  # rows locked by SKU, as ``mark`` locks them: no deadlock
            if rows:
                await _write(conn, rows)
            await conn.execute(update(marks).where(marks.c.sku == bindparam("s"),
                                                   marks.c.seen_version < bindparam("v"))
                               .values(seen_version=bindparam("v")),
                               [{"s": row.sku, "v": row.version} for row in sorted(due, key=lambda r: r.sku)])
        return len(due)


async def _book(conn: AsyncConnection, skus: list[str],
                sources: list[str] | None) -> dict[str, tuple[dict[str, int], int]]:
    """Per SKU: available per location as the book holds it (of the ``sources``), and its holds."""
    out: dict[str, tuple[dict[str, int], int]] = {}
    held = dict((await conn.execute(select(stock_reservations.c.sku, stock_reservations.c.reserved)
                                    .where(among(stock_reservations.c.sku, skus, conn.dialect.name)))).all())
    query = (select(stock_levels.c.sku, stock_levels.c.location, stock_levels.c.available)
             .where(among(stock_levels.c.sku, skus, conn.dialect.name)))
    if sources is not None:
        query = query.where(SERVED)
    for row in await conn.execute(query, {} if sources is None else {"sources": sources}):
        out.setdefault(row.sku, ({}, int(held.get(row.sku) or 0)))[0][row.location] = int(row.available)
    for sku, reserved in held.items():
        out.setdefault(sku, ({}, int(reserved or 0)))
    return out


async def _stored(conn: AsyncConnection, skus: list[str]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for row in await conn.execute(select(levels.c.sku, levels.c.location)
                                  .where(among(levels.c.sku, skus, conn.dialect.name))):
        out.setdefault(row.sku, []).append(row.location)
    return out


async def _write(conn: AsyncConnection, rows: list[dict]) -> None:
    """Upsert desired values: a new value bumps ``version``; an older ``basis`` changes nothing.
    Executed many (compiled once), as ``mark``."""
    stmt = insert(conn, levels)
    newer = stmt.excluded.basis >= levels.c.basis
    changed = stmt.excluded.desired != levels.c.desired
    stmt = stmt.on_conflict_do_update(
        index_elements=[levels.c.sku, levels.c.location],
        set_={"desired": stmt.excluded.desired, "basis": stmt.excluded.basis,
              "version": case((changed, levels.c.version + 1), else_=levels.c.version),
              "received_at": case((changed, stmt.excluded.received_at), else_=levels.c.received_at)},
        where=newer,
    )
    await conn.execute(stmt, [{**r, "version": 1, "pushed_version": 0} for r in rows])


async def mark_sources_changed(engine: AsyncEngine, sources: Sequence[str]) -> int:
    """At start: mark the SKUs whose shown levels the configured stock ``sources`` may have changed
    (a source removed from hub.toml or added back since the last start), so the push corrects the
    shop without waiting for their next report: a location showing stock whose level is of a source
    no longer configured, and one showing 0 beside a served level with stock (also a location whose
    stock is all held: re-read, unchanged, never pushed again). Answers how many SKUs."""
    joined = levels.join(stock_levels, and_(stock_levels.c.sku == levels.c.sku,
                                            stock_levels.c.location == levels.c.location))
    gone = and_(levels.c.desired > 0, stock_levels.c.source.is_not(None), stock_levels.c.source.notin_(SOURCES))
    back = and_(levels.c.desired == 0, stock_levels.c.available > 0, SERVED)
    async with engine.begin() as conn:
        skus = list((await conn.execute(select(levels.c.sku).distinct().select_from(joined)
                                        .where(or_(gone, back)).order_by(levels.c.sku),
                                        {"sources": sorted(sources)})).scalars())
        await mark(conn, skus)
    return len(skus)


async def forget_pushed(engine: AsyncEngine) -> None:
    """The shop lost what it was told (the sandbox's reset): every level is due again, as news
    the hub has from now (its propagation lag counts from here, not from the old report)."""
    async with engine.begin() as conn:
        await conn.execute(update(levels).values(pushed_version=0, pushed=None, received_at=utcnow()))


async def due_count(engine: AsyncEngine) -> int:
    """Levels not yet on the shop as the hub wants them, plus SKUs not yet read."""
    async with reading(engine) as conn:
        rows = (await conn.execute(select(func.count()).where(levels.c.version > levels.c.pushed_version))).scalar()
        skus = (await conn.execute(select(func.count()).where(marks.c.version > marks.c.seen_version))).scalar()
    return int(rows or 0) + int(skus or 0)
