"""A polled channel across a hub restart: the new hub (a new HubApp on the same database) goes on
from the cursor the stopped one stored, so an order placed while it was down, older by then than
the platform's 24 h look-back, is captured, and once; and the real Magento and Amazon adapters
are asked from that stored cursor."""

from __future__ import annotations

from contextlib import AsyncExitStack
from datetime import timedelta

import pytest
from sqlalchemy import select

from shared.db.engine import create_engine, dispose
from shared.db.tables import orders
from system_apis.channel.poll_cursors import PollCursors
from tests.commerce_hub.orders_support import until
from tests.conftest import make_settings, start_hub
from tests.fakes.channel import FakeOrderFeed, stamp


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request: pytest.FixtureRequest, sqlite_url: str) -> str:
    return sqlite_url if request.param == "sqlite" else request.getfixturevalue("fresh_pg_url")


def settings(url: str, kind: str = "magento") -> object:
    return make_settings(url, connections={"shop-m": {"kind": kind}}, channel_poll_seconds=0.1,
                         sandbox_autoship_seconds=0)


async def captured(engine: object, ref: str) -> list:
    async with engine.connect() as conn:
        return (await conn.execute(select(orders.c.order_id).where(orders.c.channel_order_ref == ref))).all()


async def test_an_order_placed_while_the_hub_was_down_past_the_look_back_is_captured_once(db_url: str) -> None:
    """Regression: the cursor lived in memory; the restarted hub looked back 24 h only and never
    captured the order placed 36 h before it came back (it failed waiting for 3002)."""
    feed = FakeOrderFeed()
    engine = create_engine(db_url)
    try:
        async with AsyncExitStack() as stack:
            await start_hub(stack, settings(db_url), adapters={"shop-m": feed})
            first = feed.place("3001")
            await until(lambda: captured(engine, "3001"))
            await until(lambda: _asked_from(feed.asked, first))  # the round that took 3001 is over
        stopped_at = feed.now
        feed.now += timedelta(hours=72)
        feed.place("3002", at=stopped_at + timedelta(hours=36))
        asked_before = len(feed.asked)
        async with AsyncExitStack() as stack:
            await start_hub(stack, settings(db_url), adapters={"shop-m": feed})
            await until(lambda: captured(engine, "3002"))
            await until(lambda: _asked_from(feed.asked, stamp(stopped_at + timedelta(hours=36))))
        taken = [len(await captured(engine, ref)) for ref in ("3001", "3002")]
        stored = await PollCursors(engine).load("shop-m")
    finally:
        await dispose(engine)

    assert feed.asked[asked_before] == first  # not None: the stored cursor, not the look-back
    assert taken == [1, 1] and stored == stamp(stopped_at + timedelta(hours=36))


@pytest.mark.parametrize("kind", ["magento", "amazon"])
async def test_a_restarted_hub_asks_the_platform_from_the_stored_cursor(sqlite_url: str, kind: str) -> None:
    """Regression (the old code failed its first assertion: asked 24 h back). The real adapters over
    one sandbox that outlives both hubs: the second hub's first order search is from the cursor the
    first stored (Magento's ``created_at``, Amazon's ``LastUpdatedAfter``), not 24 h back."""
    from tests.system_apis.contracts.harness import UnderTest

    platform = UnderTest(kind, "channel")
    engine = create_engine(sqlite_url)
    path, param = {"magento": ("/V1/orders", "searchCriteria[filter_groups][0][filters][0][value]"),
                   "amazon": ("/orders/v0/orders", "LastUpdatedAfter")}[kind]

    def searches() -> list[str]:
        return [r.url.params.get(param) for r in platform.transport.sent if r.url.path.endswith(path)]

    async def place() -> tuple[str, str]:
        """A new order: its id and its time as the adapter's cursor."""
        made = await platform.control.post(f"/sandbox/{kind}/orders", json={"line_items": [
            {"sku": "SKU-1001", "quantity": 1, "price": "129.00"}]})
        assert made.status_code == 201, made.text
        order = made.json()["order"]
        return str(order["id"]), order.get("created_at") or order.get("LastUpdateDate")

    try:
        async with AsyncExitStack() as stack:
            await start_hub(stack, settings(sqlite_url, kind), adapters={"shop-m": platform.port})
            first, cursor = await place()
            await until(lambda: captured(engine, first))
            await until(lambda: _asked_from(searches(), cursor))  # the round that took it is over
        asked_before = len(searches())
        later, _ = await place()
        async with AsyncExitStack() as stack:
            await start_hub(stack, settings(sqlite_url, kind), adapters={"shop-m": platform.port})
            await until(lambda: captured(engine, later))
        taken = [len(await captured(engine, ref)) for ref in (first, later)]
    finally:
        await dispose(engine)
        await platform.aclose()

    assert searches()[asked_before] == cursor
    assert taken == [1, 1]


async def _asked_from(asked: list, cursor: str) -> bool:
    """Whether the platform was last asked from ``cursor``: the round before stored it."""
    return bool(asked) and asked[-1] == cursor
