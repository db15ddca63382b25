"""Inventory sync: backend stock reports (WMS and POS events) into the hub's stock book.

The inbound hooks queue each report as ``stock.changed``; this handler applies
it in sequence order per (sku, location), so a late or repeated report never
undoes a newer one. ``on_applied(skus)`` runs after reports changed the book
(committed): the composition root drops those SKUs' cached answers then, since
answers are read from the book, not from the backends. Then the reports are marked
checkout-visible: their receipt and that instant are the inventory lag's samples.
``on_book_changed(conn, skus, received_at)`` runs inside the transaction of the
applied reports: the storefront push marks the SKUs there
(``process_apis.storefront.levels.mark``), with the batch's latest receipt.

The worker runs many reports' handlers at once; they are applied together (a
group commit, ``shared.batching``): one transaction and one upsert for every report
waiting (the newest sequence per (sku, location) wins), the partner events of
those that changed the book in the same transaction, then one ``on_applied`` for
the SKUs of the batch (each once, however many of its reports it held). A handler
returns once its report's batch is committed, so the message is acknowledged only
after that.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from process_apis.inventory.stock import StockBook
from process_apis.notifications import events as partner_events
from shared.batching import GroupCommit
from shared.messaging.outbox import Message
from shared.models import StockChanged

STOCK_TOPIC = "stock.changed"
BookChanged = Callable[[AsyncConnection, Sequence[str], datetime | None], Awaitable[object]]


class InventorySync:
    def __init__(self, engine: AsyncEngine, book: StockBook,
                 on_applied: Callable[[list[str]], Awaitable[object]] | None = None,
                 on_book_changed: BookChanged | None = None) -> None:
        self._engine = engine
        self._book = book
        self._on_applied = on_applied
        self._on_book_changed = on_book_changed
        self._batch = GroupCommit(self._apply_batch)

    def handlers(self) -> dict:
        return {STOCK_TOPIC: self.apply}

    async def apply(self, message: Message) -> None:
        change = message.decode(StockChanged)
        await self._batch.submit((change, message.created_at or message.first_attempt_at))

    async def _apply_batch(self, batch: list[tuple[StockChanged, datetime | None]]) -> list[bool]:
        changes = [change for change, _ in batch]
        async with self._engine.begin() as conn:
            applied = await self._book.apply_many(conn, changes, [at for _, at in batch])
            done = [pair for pair, ok in zip(batch, applied) if ok]
            await partner_events.inventory_changed_many(conn, [change for change, _ in done])
            if self._on_book_changed is not None and done:
                latest = max((at for _, at in done if at is not None), default=None)
                await self._on_book_changed(conn, sorted({change.sku for change, _ in done}), latest)
        if self._on_applied is not None and done:
            await self._on_applied(list(dict.fromkeys(c.sku for c, _ in done)))
        await self._book.mark_visible([change for change, _ in done])  # checkout sees them now
        return applied
