"""Shipments from the fulfilment connections that send no events (a 3PL): polled.

Every ``HUB_FULFILMENT_POLL_SECONDS`` each connection whose adapter is a
``ShipmentFeed`` is asked for the shipments of the orders released to it and
not yet shipped by it (``order_releases``); each shipment not seen before is
queued as ``shipment.confirmed``, exactly as the WMS's hook queues one. Seen
means kept in the idempotency ledger (scope ``poll:shipments:<connection>``, key
``<order id>:<shipment id>``) in the transaction that queues it, so the same
shipment seen on two polls, or by two instances at once, is queued once (and a
refused one is not queued again each round); ``OrderFlows.record_shipment``
skips a shipment id it holds besides. A connection that fails is logged and
asked again next round.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping

import msgspec
from sqlalchemy.ext.asyncio import AsyncEngine

from process_apis.orders import release_parts
from shared.db.engine import reading
from shared.errors import HubError
from shared.idempotency import Claim, IdempotencyLedger, fingerprint
from shared.messaging.outbox import enqueue
from shared.models import ShipmentConfirmed
from system_apis.wms.fulfilment_routes import ShipmentFeed

log = logging.getLogger("commerce_hub.shipment_polling")


class ShipmentTracker:
    def __init__(self, engine: AsyncEngine, ledger: IdempotencyLedger, feeds: Mapping[str, ShipmentFeed], *,
                 interval: float, wake: Callable[[], None] = lambda: None) -> None:
        self._engine = engine
        self._ledger = ledger
        self._feeds = dict(feeds)
        self._interval = interval
        self._wake = wake

    async def poll_once(self) -> int:
        """One round over every feed; how many shipments were queued."""
        queued = 0
        for name, feed in self._feeds.items():
            async with reading(self._engine) as conn:
                waiting = await release_parts.awaiting_shipment(conn, name)
            for order_id in waiting:
                try:
                    found = await feed.shipments(order_id)
                except HubError as exc:
                    log.warning("polling %s for the shipments of %s failed: %s", name, order_id, exc.code)
                    continue
                for shipment in found:
                    queued += await self._queue(name, shipment)
        if queued:
            self._wake()
        return queued

    async def _queue(self, name: str, shipment: ShipmentConfirmed) -> int:
        scope, key = f"poll:shipments:{name}", f"{shipment.order_id}:{shipment.shipment_id}"
        async with self._engine.begin() as conn:
            begun = await self._ledger.begin_in(conn, scope, key, fingerprint(msgspec.json.encode(shipment)))
            if begun.claim is not Claim.NEW:
                return 0
            await enqueue(conn, "shipment.confirmed", shipment.order_id, shipment)
            await self._ledger.complete(conn, scope, key, 200, b'{"status":"queued"}')
        return 1

    async def run(self) -> None:
        while True:
            try:
                await self.poll_once()
            except Exception:  # a database hiccup: the next round tries again
                log.exception("shipment polling round failed")
            await asyncio.sleep(self._interval)
