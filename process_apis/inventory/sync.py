"""Inventory sync: backend stock reports (WMS and POS events) into the hub's stock book.

The inbound hooks queue each report as ``stock.changed``, and the reports of one
batched delivery as one ``stock.changed.batch`` (``StockChanges``); this handler applies
them in sequence order per (sku, location), so a late or repeated report never
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
after that. A ``stock.changed.batch`` message joins the batch whole: its reports are
applied in the same transaction as the others waiting, all with the message's receipt time.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from process_apis.inventory.stock import StockBook
from process_apis.notifications import events as partner_events
from shared.batching import GroupCommit
from shared.messaging.outbox import Message
from shared.models import StockChanged, StockChanges

STOCK_TOPIC = "stock.changed"
STOCK_BATCH_TOPIC = "stock.changed.batch"
MAX_REPORTS = 20_000
"""Reports in one apply transaction at most (besides at most 500 messages): batched deliveries carry up to 500."""
BookChanged = Callable[[AsyncConnection, Sequence[str], datetime | None], Awaitable[object]]


class InventorySync:
    def __init__(self, engine: AsyncEngine, book: StockBook,
                 on_applied: Callable[[list[str]], Awaitable[object]] | None = None,
                 on_book_changed: BookChanged | None = None) -> None:
        self._engine = engine
        self._book = book
        self._on_applied = on_applied
        self._on_book_changed = on_book_changed
        self._batch = GroupCommit(self._apply_batch, weight=lambda item: len(item[0]), max_weight=MAX_REPORTS)

    def handlers(self) -> dict:
        return {STOCK_TOPIC: self.apply, STOCK_BATCH_TOPIC: self.apply_batch}

    async def apply(self, message: Message) -> None:
        change = message.decode(StockChanged)
        await self._batch.submit(((change,), message.created_at or message.first_attempt_at))

    async def apply_batch(self, message: Message) -> None:
        """A batched delivery's reports (``StockChanges``), applied together with the others waiting."""
        changes = message.decode(StockChanges).changes
        await self._batch.submit((changes, message.created_at or message.first_attempt_at))

    async def _apply_batch(self, batch: list[tuple[Sequence[StockChanged], datetime | None]]) -> list[int]:
        """The reports of every message waiting; per message, how many of its reports changed the book."""
        pairs = [(change, at) for changes, at in batch for change in changes]
        async with self._engine.begin() as conn:
            applied = await self._book.apply_many(conn, [change for change, _ in pairs], [at for _, at in pairs])
            done = [pair for pair, ok in zip(pairs, applied) if ok]
            await partner_events.inventory_changed_many(conn, [change for change, _ in done])
            if self._on_book_changed is not None and done:
                latest = max((at for _, at in done if at is not None), default=None)
                await self._on_book_changed(conn, sorted({change.sku for change, _ in done}), latest)
        if self._on_applied is not None and done:
            await self._on_applied(list(dict.fromkeys(c.sku for c, _ in done)))
        await self._book.mark_visible([change for change, _ in done])  # checkout sees them now
        counts, start = [], 0
        for changes, _ in batch:
            counts.append(sum(applied[start:start + len(changes)]))
            start += len(changes)
        return counts
