"""Inventory sync: backend stock reports (WMS and POS events) into the hub's stock book.

The inbound hooks queue each report as ``stock.changed``; this handler applies
it in sequence order per (sku, location), so a late or repeated report never
undoes a newer one. ``on_applied(sku)`` runs after a report changed the book
(committed): the composition root drops that SKU's cached answers then, since
answers are read from the book, not from the backends.

The worker runs many reports' handlers at once; they are applied together (a
group commit, ``shared.batching``): one transaction and one upsert for every report
waiting (the newest sequence per (sku, location) wins), the partner events of
those that changed the book in the same transaction, then one ``on_applied`` per
SKU of the batch, however many of its reports it held. A handler returns once its
report's batch is committed, so the message is acknowledged only after that.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from sqlalchemy.ext.asyncio import AsyncEngine

from process_apis.inventory.stock import StockBook
from process_apis.notifications import events as partner_events
from shared.batching import GroupCommit
from shared.messaging.outbox import Message
from shared.models import StockChanged

STOCK_TOPIC = "stock.changed"


class InventorySync:
    def __init__(self, engine: AsyncEngine, book: StockBook,
                 on_applied: Callable[[str], Awaitable[object]] | None = None) -> None:
        self._engine = engine
        self._book = book
        self._on_applied = on_applied
        self._batch = GroupCommit(self._apply_batch)

    def handlers(self) -> dict:
        return {STOCK_TOPIC: self.apply}

    async def apply(self, message: Message) -> None:
        change = message.decode(StockChanged)
        await self._batch.submit(change)

    async def _apply_batch(self, changes: list[StockChanged]) -> list[bool]:
        async with self._engine.begin() as conn:
            applied = await self._book.apply_many(conn, changes)
            await partner_events.inventory_changed_many(conn, [c for c, a in zip(changes, applied) if a])
        if self._on_applied is not None:
            await asyncio.gather(*(self._on_applied(sku) for sku in dict.fromkeys(
                c.sku for c, a in zip(changes, applied) if a)))
        return applied
