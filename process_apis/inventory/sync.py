"""Inventory sync: backend stock reports (WMS and POS events) into the hub's stock book.

The inbound hooks queue each report as ``stock.changed``; this handler applies
it in sequence order per (sku, location), so a late or repeated report never
undoes a newer one. ``on_applied(sku)`` runs after a report changed the book
(committed): the composition root drops that SKU's cached answers then, since
answers are read from the book, not from the backends. Then the report is marked
checkout-visible: its receipt and that instant are the inventory lag's samples.
``on_book_changed(conn,
skus, received_at)`` runs inside the transaction of an applied report: the
storefront push marks the SKU there (``process_apis.storefront.levels.mark``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from process_apis.inventory.stock import StockBook
from process_apis.notifications import events as partner_events
from shared.messaging.outbox import Message
from shared.models import StockChanged

STOCK_TOPIC = "stock.changed"
BookChanged = Callable[[AsyncConnection, Sequence[str], datetime | None], Awaitable[object]]


class InventorySync:
    def __init__(self, engine: AsyncEngine, book: StockBook,
                 on_applied: Callable[[str], Awaitable[object]] | None = None,
                 on_book_changed: BookChanged | None = None) -> None:
        self._engine = engine
        self._book = book
        self._on_applied = on_applied
        self._on_book_changed = on_book_changed

    def handlers(self) -> dict:
        return {STOCK_TOPIC: self.apply}

    async def apply(self, message: Message) -> None:
        change = message.decode(StockChanged)
        async with self._engine.begin() as conn:
            applied = await self._book.apply(conn, change, received_at=message.created_at)
            if applied:
                await partner_events.inventory_changed(conn, change)
                if self._on_book_changed is not None:  # received: when the hook queued the report
                    await self._on_book_changed(conn, [change.sku], message.created_at or message.first_attempt_at)
        if applied and self._on_applied is not None:
            await self._on_applied(change.sku)
        if applied:  # checkout sees it now: the lag sample's end
            await self._book.mark_visible(change)
