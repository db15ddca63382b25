"""Polling a channel that sends no webhooks: each order queued once across rounds, a failing feed
asked again from the same cursor, the other feeds unharmed."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from sqlalchemy import func, select

from shared.db.engine import create_engine
from shared.db.tables import outbox
from shared.errors import BackendUnavailable
from shared.idempotency import IdempotencyLedger
from shared.models import ChannelOrder, ChannelOrderLine
from system_apis.channel.polling import ChannelPoller
from system_apis.channel.port import FeedPage


def _order(ref: str, channel: str) -> ChannelOrder:
    return ChannelOrder(channel=channel, channel_order_ref=ref, currency="USD", total=Decimal("1.10"),
                        lines=(ChannelOrderLine(sku="SKU-1003", quantity=1, unit_price=Decimal("1.10")),))


class Feed:
    def __init__(self, refs: list[str], fail: bool = False) -> None:
        self.refs, self.fail, self.asked = refs, fail, []

    async def orders_since(self, cursor: str | None, channel: str) -> FeedPage:
        self.asked.append(cursor)
        if self.fail:
            raise BackendUnavailable("down", backend="x")
        return FeedPage(orders=[_order(r, channel) for r in self.refs], cursor=f"c{len(self.asked)}")


async def test_each_polled_order_is_queued_once_and_a_failing_feed_keeps_its_cursor(sqlite_url: str) -> None:
    engine = create_engine(sqlite_url)
    ledger = IdempotencyLedger(engine, ttl=timedelta(hours=72))
    good, down = Feed(["3001", "3002"]), Feed([], fail=True)
    poller = ChannelPoller({"mage": ("mage", good), "other": ("other", down)}, engine, ledger, interval=1.0)
    try:
        assert await poller.poll_once() == 2
        good.refs.append("3003")
        assert await poller.poll_once() == 1  # 3001 and 3002 again: duplicates
        async with engine.connect() as conn:
            queued = (await conn.execute(select(func.count()).select_from(outbox))).scalar_one()
    finally:
        await engine.dispose()

    assert queued == 3
    assert good.asked == [None, "c1"] and down.asked == [None, None]
