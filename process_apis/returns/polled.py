"""Return receipts from the fulfilment connections that send no events (a 3PL): polled.

Every ``HUB_FULFILMENT_POLL_SECONDS`` each connection whose adapter is a
``ReceiptFeed`` is asked, in batches, for the receipts of the RMAs that may be
waiting there: authorized returns of orders released (in part) to it, made in
the last ``window`` (90 days), with an approved line not yet wholly received.
Each receipt not seen before is queued as ``return.received``, exactly as the
WMS's hook queues one, and ``ReturnReceiving`` records it on the RMA. Seen
means kept in the idempotency ledger (scope ``poll:receipts:<connection>``, key
``<rma id>:<digest of its lines>``) in the transaction that queues it, so the
same receipt seen on two polls, or by two instances at once, is queued once,
while a receipt that grows (more units processed) is queued again; the handler
sets what arrived, never adds, besides. A connection that fails is logged and
asked again next round.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta

import msgspec
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from process_apis.returns.receiving import RECEIVED_TOPIC
from process_apis.returns.schemas import ReturnLine
from shared.db.engine import reading
from shared.db.fulfilment_tables import order_releases
from shared.db.tables import returns
from shared.errors import HubError
from shared.idempotency import IdempotencyLedger, fingerprint, queue_once
from shared.models import ReturnReceived
from shared.periodic import run_every
from system_apis.wms.fulfilment_routes import ReceiptFeed

log = logging.getLogger("commerce_hub.receipt_polling")
BATCH = 50
WINDOW = timedelta(days=90)


async def awaiting_receipt(engine: AsyncEngine, connection: str, *, window: timedelta = WINDOW,
                           limit: int = 500) -> list[str]:
    """RMA ids of authorized returns, made within ``window``, of orders released (in part) to
    ``connection``, with an approved line not yet wholly received; oldest first."""
    since = datetime.now(UTC) - window
    released_there = select(order_releases.c.order_id).where(
        order_releases.c.connection == connection, order_releases.c.released_at.is_not(None))
    query = (select(returns.c.rma_id, returns.c.lines)
             .where(returns.c.order_id.in_(released_there), returns.c.status == "authorized",
                    returns.c.created_at >= since)
             .order_by(returns.c.created_at, returns.c.rma_id).limit(limit))
    async with reading(engine) as conn:
        rows = (await conn.execute(query)).all()
    out = []
    for row in rows:
        lines = msgspec.convert(row.lines, tuple[ReturnLine, ...])
        if any(l.decision == "approved" and l.received_quantity < l.quantity for l in lines):
            out.append(row.rma_id)
    return out


class ReceiptTracker:
    def __init__(self, engine: AsyncEngine, ledger: IdempotencyLedger, feeds: Mapping[str, ReceiptFeed], *,
                 interval: float, wake: Callable[[], None] = lambda: None, window: timedelta = WINDOW) -> None:
        self._engine = engine
        self._ledger = ledger
        self._feeds = dict(feeds)
        self._interval = interval
        self._wake = wake
        self._window = window

    async def poll_once(self) -> int:
        """One round over every feed; how many receipts were queued."""
        queued = sum([await self._poll(name, feed) for name, feed in self._feeds.items()])
        if queued:
            self._wake()
        return queued

    async def _poll(self, name: str, feed: ReceiptFeed) -> int:
        """One connection, 50 RMAs a call; a failed call ends its round (asked again next round)."""
        waiting, queued = await awaiting_receipt(self._engine, name, window=self._window), 0
        for start in range(0, len(waiting), BATCH):
            try:
                found = await feed.received_returns(waiting[start:start + BATCH])
            except HubError as exc:
                log.warning("polling %s for return receipts failed: %s", name, exc.code)
                return queued
            queued += sum([await self._queue(name, receipt) for receipt in found])
        return queued

    async def _queue(self, name: str, receipt: ReturnReceived) -> int:
        body = msgspec.json.encode(sorted((l.sku, l.quantity) for l in receipt.lines))
        digest = fingerprint(body)
        return await queue_once(self._engine, self._ledger, f"poll:receipts:{name}", f"{receipt.rma_id}:{digest[:16]}",
                                digest, RECEIVED_TOPIC, receipt.rma_id, receipt)

    async def run(self) -> None:
        await run_every(self.poll_once, self._interval, log=log, what="return receipt polling")
