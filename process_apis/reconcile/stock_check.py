"""Stock in the WMS and the POS: the book's levels against what the backends report now.

For the SKUs the book holds (loaded ones and any with a level), a page at a time, every stock
source is asked for its levels. Per (sku, location) the backend reported:

- a newer sequence than the book's, or a location the book lacks: the book missed an event;
  ``repaired`` (the level is taken, as the inventory sync would have);
- the same sequence with another value: the book drifted; ``repaired`` the same way;
- an older sequence: the backend went back (restored, reset); ``reported``, never applied
  (an older sequence never overwrites a newer one);
- a location the book holds that no source reports any more (all sources answered):
  ``reported``.

The rows of a source no longer configured (``holds.SERVED``) are neither compared nor reported:
they are kept as history and count for nothing (docs/inventory.md).

A repair goes through ``StockBook.correct`` with the partner ``inventory.changed`` event in
the same transaction, then ``on_changed(sku)`` after the commit, as ``InventorySync`` does:
the composition root drops that SKU's cached answers there, so price answers show it. A
source that is down is a ``failed`` finding for the page, and the other sources still count.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from sqlalchemy import select, union
from sqlalchemy.ext.asyncio import AsyncEngine

from process_apis.inventory.holds import SERVED
from process_apis.inventory.stock import StockBook
from process_apis.notifications import events as partner_events
from process_apis.reconcile.check import Findings
from process_apis.reconcile.schemas import Finding
from shared.db.engine import reading
from shared.db.tables import stock_levels as levels
from shared.db.tables import stock_reservations as reservations
from shared.errors import BackendUnavailable
from shared.messaging.outcomes import reason_of
from shared.models import StockChanged, StockLevel
from system_apis.wms.port import StockPort


class StockCheck:
    name = "stock"

    def __init__(self, engine: AsyncEngine, book: StockBook, sources: dict[str, StockPort], *,
                 on_changed: Callable[[str], Awaitable[object]] | None = None, page: int = 100) -> None:
        self._engine, self._book, self._sources = engine, book, sources
        self._on_changed, self._page = on_changed, page

    async def run(self, found: Findings) -> None:
        after = ""
        while skus := await self._skus(after):
            held = await self._held(skus)
            reported: dict[tuple[str, str], StockLevel] = {}
            complete = True
            for name, source in self._sources.items():
                try:
                    for level in await source.get_stock(skus):
                        reported[(level.sku, level.location)] = level
                except BackendUnavailable as exc:
                    complete = False
                    await found.add(Finding(subject=f"{name}: {skus[0]} .. {skus[-1]}", action="failed",
                                            detail=reason_of(exc)))
            for key, level in sorted(reported.items()):
                found.checked()
                finding = await self._compare(held.get(key), level)
                if finding is not None:
                    await found.add(finding)
            for key in sorted(held.keys() - reported.keys()) if complete else ():
                found.checked()
                await found.add(Finding(subject=f"{key[0]}@{key[1]}", action="reported", expected=_text(held[key]),
                                        detail="the book holds this location; no backend reports it"))
            after = skus[-1]

    async def _compare(self, book: StockLevel | None, level: StockLevel) -> Finding | None:
        subject, actual = f"{level.sku}@{level.location}", _text(level)
        if book is not None and (book.sequence, book.available, book.on_hand) == \
                (level.sequence, level.available, level.on_hand):
            return None
        if book is not None and level.sequence < book.sequence:
            return Finding(subject=subject, action="reported", expected=_text(book), actual=actual,
                           detail="the backend reports an older sequence than the book holds; not applied")
        async with self._engine.begin() as conn:
            changed = await self._book.correct(conn, level)
            if changed:
                await partner_events.inventory_changed(conn, StockChanged(
                    sku=level.sku, location=level.location, on_hand=level.on_hand, available=level.available,
                    sequence=level.sequence))
        if not changed:  # an event applied it meanwhile
            return None
        if self._on_changed is not None:
            await self._on_changed(level.sku)
        why = "missed a newer report" if book is None or level.sequence > book.sequence else "drifted at the same sequence"
        return Finding(subject=subject, action="repaired", expected=_text(book) if book else None, actual=actual,
                       detail=f"the book {why}; the backend's level taken")

    async def _skus(self, after: str) -> list[str]:
        known = union(select(reservations.c.sku.label("sku")).where(reservations.c.sku > after),
                      select(levels.c.sku.label("sku")).where(levels.c.sku > after)).subquery()
        async with reading(self._engine) as conn:
            rows = await conn.execute(select(known.c.sku).order_by(known.c.sku).limit(self._page))
            return [r.sku for r in rows]

    async def _held(self, skus: list[str]) -> dict[tuple[str, str], StockLevel]:
        async with reading(self._engine) as conn:
            rows = await conn.execute(select(levels).where(levels.c.sku.in_(skus), SERVED),
                                      {"sources": sorted(self._sources)})
            return {(r.sku, r.location): StockLevel(sku=r.sku, location=r.location, on_hand=r.on_hand,
                                                    available=r.available, sequence=r.sequence) for r in rows}


def _text(level: StockLevel) -> str:
    return f"available {level.available}, on hand {level.on_hand}, sequence {level.sequence}"
