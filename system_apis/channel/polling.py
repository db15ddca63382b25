"""Orders in from a platform that sends no webhooks (Magento open source): polled.

Every ``HUB_CHANNEL_POLL_SECONDS`` the system role asks each channel
connection whose adapter is a ``ChannelOrderFeed`` for the orders placed since
its cursor, and queues each like a webhook's (``accept_order``: the ledger
under ``hook:channel:<connection>`` with the delivery id ``order:<ref>``, then
the outbox), so an order seen on two polls, or by two instances polling at
once, is captured once. The cursor is kept in memory: after a restart the
first poll looks back the adapter's own window (Magento: 24 h) and the ledger
drops what was taken before.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping

import msgspec
from sqlalchemy.ext.asyncio import AsyncEngine

from shared.errors import HubError
from shared.idempotency import IdempotencyLedger, fingerprint
from shared.periodic import run_every
from system_apis.channel.hooks import accept_order
from system_apis.channel.port import ChannelOrderFeed

log = logging.getLogger("commerce_hub.channel_polling")


class ChannelPoller:
    def __init__(self, feeds: Mapping[str, tuple[str, ChannelOrderFeed]], engine: AsyncEngine,
                 ledger: IdempotencyLedger, *, interval: float, wake: Callable[[], None] = lambda: None) -> None:
        """``feeds``: connection name -> (the channel it serves, its adapter)."""
        self._feeds = dict(feeds)
        self._engine = engine
        self._ledger = ledger
        self._interval = interval
        self._wake = wake
        self._cursors: dict[str, str] = {}

    async def poll_once(self) -> int:
        """One round over every feed; how many orders were new. A feed that fails is logged and
        asked again next round from the same cursor."""
        taken = 0
        for name, (channel, feed) in self._feeds.items():
            try:
                page = await feed.orders_since(self._cursors.get(name), channel)
            except HubError as exc:
                log.warning("polling %s for orders failed: %s", name, exc.code)
                continue
            for order in page.orders:
                status = await accept_order(self._engine, self._ledger, name, f"order:{order.channel_order_ref}",
                                            order, fingerprint(msgspec.json.encode(order)), wake=self._wake)
                taken += status == "accepted"
            self._cursors[name] = page.cursor
        return taken

    async def run(self) -> None:
        await run_every(self.poll_once, self._interval, log=log, what="channel order polling")


def order_feeds(connections: list, channels: Mapping[str, object]) -> dict[str, tuple[str, ChannelOrderFeed]]:
    """The channel connections whose adapter polls for orders, by connection name."""
    return {c.name: (c.serves.channel, channels[c.serves.channel]) for c in connections
            if c.serves.channel in channels and hasattr(channels[c.serves.channel], "orders_since")}
