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

import logging
from collections.abc import Callable, Mapping

import msgspec
from sqlalchemy.ext.asyncio import AsyncEngine

from process_apis.orders import release_parts
from shared.db.engine import reading
from shared.errors import HubError
from shared.idempotency import IdempotencyLedger, fingerprint, queue_once
from shared.models import ShipmentConfirmed
from shared.periodic import run_every
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
        return await queue_once(self._engine, self._ledger, f"poll:shipments:{name}",
                                f"{shipment.order_id}:{shipment.shipment_id}", fingerprint(msgspec.json.encode(shipment)),
                                "shipment.confirmed", shipment.order_id, shipment)

    async def run(self) -> None:
        await run_every(self.poll_once, self._interval, log=log, what="shipment polling")
