"""Orders in from a platform that sends no webhooks (Magento open source, Amazon): polled.

Every ``HUB_CHANNEL_POLL_SECONDS`` the system role asks each channel
connection whose adapter is a ``ChannelOrderFeed`` for the orders placed since
its cursor, and queues each like a webhook's (``accept_order``: the ledger
under ``hook:channel:<connection>`` with the delivery id ``order:<ref>``, then
the outbox), so an order seen on two polls, or by two instances polling at
once, is captured once.

The cursor survives a restart: it is kept in ``channel_poll_cursors``
(``poll_cursors.py``, migration 0029), read when the poller has none in memory
(its first round, or while the table has none: then the adapter's own look-back,
Magento's and Amazon's 24 h) and written after every order of the page was
accepted, never before: a crash between the two asks that page again and the
ledger drops what was taken (stored first, a crash would skip orders never
queued). A hub stopped for longer than the look-back therefore goes on from where
it stopped instead of losing the orders placed meanwhile. Two instances polling
at once may each store a page: the store keeps the later cursor (bytewise order,
time order for both adapters' fixed-width UTC cursors), never moving it back.
Each instance goes on from its own cursor in memory; one behind another re-reads
orders the ledger drops.
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
from system_apis.channel.poll_cursors import PollCursors
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
        self._stored = PollCursors(engine)

    async def poll_once(self) -> int:
        """One round over every feed; how many orders were new. A feed that fails is logged and
        asked again next round from the same cursor; one whose order cannot be accepted (the
        database) raises, its cursor neither stored nor moved."""
        taken = 0
        for name, (channel, feed) in self._feeds.items():
            cursor = self._cursors.get(name)
            if cursor is None:
                cursor = await self._stored.load(name)
            try:
                page = await feed.orders_since(cursor, channel)
            except HubError as exc:
                log.warning("polling %s for orders failed: %s", name, exc.code)
                continue
            for order in page.orders:
                status = await accept_order(self._engine, self._ledger, name, f"order:{order.channel_order_ref}",
                                            order, fingerprint(msgspec.json.encode(order)), wake=self._wake)
                taken += status == "accepted"
            if page.cursor != cursor:  # every order before it accepted: only now stored
                await self._stored.advance(name, page.cursor)
            self._cursors[name] = page.cursor
        return taken

    async def run(self) -> None:
        await run_every(self.poll_once, self._interval, log=log, what="channel order polling")


def order_feeds(connections: list, channels: Mapping[str, object]) -> dict[str, tuple[str, ChannelOrderFeed]]:
    """The channel connections whose adapter polls for orders, by connection name."""
    return {c.name: (c.serves.channel, channels[c.serves.channel]) for c in connections
            if c.serves.channel in channels and hasattr(channels[c.serves.channel], "orders_since")}
