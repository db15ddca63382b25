"""Issue 11: availability that degrades per stock source, and the per-channel safety buffer,
on the embedded SQLite and the real PostgreSQL.

The sandbox's seed with a tag on every SKU (tests share the session's PostgreSQL
database): the WMS holds DRILL at DC-EAST 40 and DC-WEST 10, BITS at DC-WEST 5 and
GLASSES at DC-EAST 500; the POS holds BITS at STORE-NYC 3 and NYC (a store-only SKU) at 2.
"""

from __future__ import annotations

import asyncio
import secrets
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from process_apis.inventory.stock import SafetyBuffer, StockBook
from process_apis.pricing.schemas import BasketLine
from process_apis.pricing.service import PricingService
from shared.db.engine import create_engine, dispose
from shared.errors import BackendUnavailable
from shared.models import StockChanged
from tests.fakes.erp import FakeErp
from tests.fakes.stock import FakeStock
from tests.process_apis.pricing.fakes import item, level


class Clock:
    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now


class Shop:
    """The two stock sources, a book over them, and pricing over the book."""

    def __init__(self, engine: AsyncEngine, buffer: SafetyBuffer = SafetyBuffer()) -> None:
        tag = secrets.token_hex(3).upper()
        self.drill, self.bits, self.glasses, self.nyc = f"DRILL-{tag}", f"BITS-{tag}", f"GLASSES-{tag}", f"NYC-{tag}"
        self.engine, self.clock = engine, Clock()
        self.wms = FakeStock(level(self.drill, "DC-EAST", 40), level(self.drill, "DC-WEST", 10),
                             level(self.bits, "DC-WEST", 5), level(self.glasses, "DC-EAST", 500))
        self.pos = FakeStock(level(self.bits, "STORE-NYC", 3), level(self.nyc, "STORE-NYC", 2))
        self.book = StockBook(engine, {"wms": self.wms, "pos": self.pos}, timeout=0.1, stale_seconds=60,
                              buffer=buffer, clock=self.clock)
        erp = FakeErp([item(s, "10.00") for s in (self.drill, self.bits, self.glasses, self.nyc)])
        self.pricing = PricingService(erp, self.book, budget=2.0)

    async def basket(self, *pairs: tuple[str, int], channel: str | None = None) -> list[tuple]:
        result = await self.pricing.price_basket([BasketLine(sku=s, quantity=q) for s, q in pairs], channel=channel)
        return [(line.status, line.available_quantity, line.missing_sources) for line in result.lines]

    async def apply(self, change: StockChanged) -> bool:
        async with self.engine.begin() as conn:
            return await self.book.apply(conn, change)

    async def reserve(self, sku: str, quantity: int, channel: str | None = None) -> bool:
        await self.book.ensure_loaded([sku])
        async with self.engine.begin() as conn:
            return await self.book.reserve(conn, sku, quantity, channel)


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request) -> str:  # noqa: ANN001
    return request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "pg_url")


@pytest.fixture
async def engine(database_url: str):  # noqa: ANN201
    engine = create_engine(database_url)
    yield engine
    await dispose(engine)


@pytest.fixture
def shop(engine: AsyncEngine) -> Shop:
    return Shop(engine)


POS_DOWN = BackendUnavailable("POS answered 503", backend="pos")


async def test_the_pos_down_while_a_basket_is_priced(shop: Shop) -> None:
    """The issue's case: SKU-1003 (DC-EAST only) is ok; SKU-1002 counts DC-WEST's 5 alone."""
    shop.pos.failure = POS_DOWN
    assert await shop.basket((shop.glasses, 2), (shop.bits, 5), (shop.bits, 6)) == [
        ("ok", 500, ("pos",)), ("ok", 5, ("pos",)), ("insufficient_stock", 5, ("pos",))]
    product = await shop.pricing.get_product(shop.bits)
    assert (product.available_quantity, product.stock_partial, [loc.location for loc in product.locations]) == (
        5, True, ["DC-WEST"])


async def test_the_missing_stores_last_known_value_counts_while_fresh(shop: Shop) -> None:
    """A POS report that arrived before the outage counts for ``stale_seconds``, then not."""
    assert await shop.apply(StockChanged(sku=shop.bits, location="STORE-NYC", on_hand=3, available=3, sequence=4,
                                         source="pos"))
    shop.pos.failure = POS_DOWN
    assert await shop.basket((shop.bits, 8)) == [("ok", 8, ("pos",))]
    shop.clock.now += timedelta(seconds=61)
    assert await shop.basket((shop.bits, 8)) == [("insufficient_stock", 5, ("pos",))]
    assert not await shop.reserve(shop.bits, 6)  # order capture counts the same
    assert await shop.reserve(shop.bits, 5)


async def test_the_wms_timing_out_while_the_pos_answers(shop: Shop) -> None:
    """Each source on its own deadline, asked together: the hanging WMS costs 0.1 s, not the budget."""
    shop.wms.hang = True
    started = asyncio.get_running_loop().time()
    assert await shop.basket((shop.bits, 3), (shop.drill, 1)) == [
        ("ok", 3, ("wms",)), ("insufficient_stock", 0, ("wms",))]
    assert asyncio.get_running_loop().time() - started < 1.5
    assert shop.pos.calls == [sorted([shop.bits, shop.drill])]


async def test_a_partial_load_is_completed_when_the_source_recovers(shop: Shop) -> None:
    shop.pos.failure = POS_DOWN
    assert await shop.basket((shop.bits, 1)) == [("ok", 5, ("pos",))]
    shop.pos.failure = None
    assert await shop.basket((shop.bits, 1)) == [("ok", 8, ())]  # the POS is asked again, alone
    assert (shop.wms.calls, shop.pos.calls) == ([[shop.bits]], [[shop.bits], [shop.bits]])
    assert await shop.basket((shop.bits, 1)) == [("ok", 8, ())]  # fully loaded: nobody is asked
    assert len(shop.wms.calls) + len(shop.pos.calls) == 3


async def test_a_sku_only_the_missing_source_knows_is_asked_again(shop: Shop) -> None:
    shop.pos.failure = POS_DOWN
    assert await shop.basket((shop.nyc, 1)) == [("insufficient_stock", 0, ("pos",))]
    shop.pos.failure = None
    assert await shop.basket((shop.nyc, 2)) == [("ok", 2, ())]


async def test_a_resync_with_a_source_down_keeps_its_rows_and_asks_it_again_later(shop: Shop) -> None:
    assert await shop.basket((shop.bits, 1)) == [("ok", 8, ())]
    shop.pos.failure = POS_DOWN
    await shop.book.resync()
    shop.clock.now += timedelta(seconds=61)  # the store's row is no longer fresh
    assert await shop.basket((shop.bits, 1)) == [("ok", 5, ("pos",))]
    shop.pos.failure = None
    assert await shop.basket((shop.bits, 1)) == [("ok", 8, ())]


@pytest.mark.parametrize("channel, promised", [("shopify", 6), ("partner", 8), ("storefront", 7), (None, 7)])
async def test_the_safety_buffer_per_channel_in_answers_and_reservations(
        engine: AsyncEngine, channel: str | None, promised: int) -> None:
    shop = Shop(engine, SafetyBuffer(default=1, by_channel={"shopify": 2, "partner": 0}))
    assert await shop.basket((shop.bits, promised), channel=channel) == [("ok", promised, ())]
    assert await shop.basket((shop.bits, promised + 1), channel=channel) == [("insufficient_stock", promised, ())]
    assert not await shop.reserve(shop.bits, promised + 1, channel)
    assert await shop.reserve(shop.bits, promised, channel)
    assert (await shop.book.availability([shop.bits], channel))[shop.bits].free == 0


async def test_duplicate_and_out_of_order_reports_never_overwrite_a_newer_one(shop: Shop) -> None:
    def report(sequence: int, quantity: int) -> StockChanged:
        return StockChanged(sku=shop.drill, location="DC-WEST", on_hand=quantity, available=quantity,
                            sequence=sequence, source="wms")

    await shop.book.ensure_loaded([shop.drill])
    assert await shop.apply(report(3, 7))
    assert not await shop.apply(report(3, 7))  # a duplicate
    assert not await shop.apply(report(2, 1))  # older, late
    assert await shop.book.available(shop.drill) == (47, 0)
    assert await shop.apply(report(4, 0))
    assert await shop.book.available(shop.drill) == (40, 0)


async def test_concurrent_first_reads_load_once_and_agree(shop: Shop) -> None:
    shop.pos.failure = POS_DOWN
    answers = await asyncio.gather(*(shop.basket((shop.bits, 1), (shop.drill, 1)) for _ in range(6)))
    assert all(answer == [("ok", 5, ("pos",)), ("ok", 50, ("pos",))] for answer in answers), answers
    shop.pos.failure = None
    answers = await asyncio.gather(*(shop.basket((shop.bits, 1), (shop.drill, 1)) for _ in range(6)))
    assert all(answer == [("ok", 8, ()), ("ok", 50, ())] for answer in answers), answers
    asked = len(shop.pos.calls) + len(shop.wms.calls)
    assert await shop.basket((shop.bits, 1)) == [("ok", 8, ())]
    assert len(shop.pos.calls) + len(shop.wms.calls) == asked  # fully loaded: nobody is asked again
