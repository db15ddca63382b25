"""The ``ChannelOrderFeed`` fake: a platform polled for orders, with a clock of its own.

Each order is placed at a time (``place``, default the platform's ``now``); ``orders_since``
answers those placed at or after the cursor (``None``: ``lookback`` before ``now``, as the
adapters' first poll), oldest first, and the latest time as the next cursor, Magento's
``YYYY-MM-DD HH:MM:SS``. Every cursor asked with is recorded in ``asked``; ``failure`` is raised.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from shared.models import ChannelOrder, ChannelOrderLine
from system_apis.channel.port import FeedPage


def stamp(when: datetime) -> str:
    return when.strftime("%Y-%m-%d %H:%M:%S")


class FakeOrderFeed:
    def __init__(self, now: datetime = datetime(2026, 12, 1, 9, tzinfo=UTC),
                 lookback: timedelta = timedelta(hours=24)) -> None:
        self.now, self.lookback = now, lookback
        self.placed: list[tuple[str, str]] = []
        """(when, the platform's order id), in the order placed."""
        self.asked: list[str | None] = []
        self.failure: Exception | None = None

    def place(self, ref: str, at: datetime | None = None) -> str:
        """An order placed ``at`` (default ``now``); its time as a cursor."""
        when = stamp(at or self.now)
        self.placed.append((when, ref))
        return when

    async def orders_since(self, cursor: str | None, channel: str) -> FeedPage:
        self.asked.append(cursor)
        if self.failure is not None:
            raise self.failure
        since = cursor or stamp(self.now - self.lookback)
        found = sorted(p for p in self.placed if p[0] >= since)
        return FeedPage(orders=[_order(ref, channel) for _, ref in found], cursor=max([since, *(w for w, _ in found)]))


def _order(ref: str, channel: str) -> ChannelOrder:
    return ChannelOrder(channel=channel, channel_order_ref=ref, currency="USD", total=Decimal("1.10"),
                        lines=(ChannelOrderLine(sku="SKU-1003", quantity=1, unit_price=Decimal("1.10")),))
