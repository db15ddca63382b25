"""Inventory sync: backend stock reports (WMS and POS events) into the hub's stock book.

The inbound hooks queue each report as ``stock.changed``; this handler applies
it in sequence order per (sku, location), so a late or repeated report never
undoes a newer one.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncEngine

from process_apis.inventory.stock import StockBook
from shared.messaging.outbox import Message
from shared.models import StockChanged

STOCK_TOPIC = "stock.changed"


class InventorySync:
    def __init__(self, engine: AsyncEngine, book: StockBook) -> None:
        self._engine = engine
        self._book = book

    def handlers(self) -> dict:
        return {STOCK_TOPIC: self.apply}

    async def apply(self, message: Message) -> None:
        async with self._engine.begin() as conn:
            await self._book.apply(conn, message.decode(StockChanged))
