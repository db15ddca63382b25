"""Issue 10, defect 14: price-and-availability answers and order capture agree on what is
available, whatever the stock events, resets and orders before (one source of truth).

A property over generated sequences (seeded, bounded: ten sequences of
20 steps): stock events for known and unknown SKUs and locations, in and
out of sequence order, backends changing behind the hub's back, resets, holds
taken and given back; after every step, for every SKU, the product answer's
``available_quantity`` is exactly the most that order capture can reserve.
"""

from __future__ import annotations

import random

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from process_apis.inventory.stock import StockBook
from process_apis.pricing.service import PricingService
from shared.db.engine import create_engine, dispose
from shared.models import StockChanged, StockLevel
from tests.fakes.erp import FakeErp
from tests.process_apis.pricing.fakes import item

SKUS = ("SKU-A", "SKU-B", "SKU-C")
LOCATIONS = ("DC-EAST", "DC-WEST", "STORE-NYC")
SEED = {("SKU-A", "DC-EAST"): 40, ("SKU-A", "DC-WEST"): 10, ("SKU-B", "DC-WEST"): 5, ("SKU-B", "STORE-NYC"): 3}


class Backend:
    """A stock source whose truth a test changes: one sequence per (sku, location)."""

    def __init__(self) -> None:
        self.rows: dict[tuple[str, str], tuple[int, int]] = {}
        self.reset()

    def reset(self) -> None:  # the sandbox's reset: the seed, sequences from 1 again
        self.rows = {key: (qty, 1) for key, qty in SEED.items()}

    def set(self, sku: str, location: str, qty: int) -> StockChanged:
        _, seq = self.rows.get((sku, location), (0, 0))
        self.rows[(sku, location)] = (qty, seq + 1)
        return StockChanged(sku=sku, location=location, on_hand=max(qty, 0), available=qty, sequence=seq + 1)

    async def get_stock(self, skus: list[str]) -> list[StockLevel]:
        return [StockLevel(sku=s, location=loc, on_hand=max(q, 0), available=q, sequence=seq)
                for (s, loc), (q, seq) in sorted(self.rows.items()) if s in skus]


@pytest.fixture
async def engine(sqlite_url: str):  # noqa: ANN201
    engine = create_engine(sqlite_url)
    yield engine
    await dispose(engine)


async def capture_accepts(engine: AsyncEngine, book: StockBook, sku: str, quantity: int) -> bool:
    """Whether order capture would reserve ``quantity`` now; no hold is kept."""
    await book.ensure_loaded([sku])  # what order capture does before it reserves
    async with engine.connect() as conn:
        tx = await conn.begin()
        try:
            return await book.reserve(conn, sku, quantity)
        finally:
            await tx.rollback()


async def most_capture_can_reserve(engine: AsyncEngine, book: StockBook, sku: str, upto: int) -> int:
    """The largest quantity ``reserve`` accepts now (0 if none)."""
    low, high = 0, upto + 1  # accepts(low) holds (0 trivially); find the edge
    while high - low > 1:
        mid = (low + high) // 2
        low, high = (mid, high) if await capture_accepts(engine, book, sku, mid) else (low, mid)
    return low


async def agree(engine: AsyncEngine, book: StockBook, pricing: PricingService, backend: Backend) -> None:
    """Reservation is monotone in the quantity: the answer is the most capture takes when it
    takes that much and not one more."""
    for sku in SKUS:
        answer = await pricing.get_product(sku)
        shown = answer.available_quantity
        assert shown == 0 or await capture_accepts(engine, book, sku, shown), (sku, shown)
        assert not await capture_accepts(engine, book, sku, shown + 1), (sku, shown)
        basket = await pricing.price_basket([_line(sku)])
        assert basket.lines[0].available_quantity == answer.available_quantity


def _line(sku: str):  # noqa: ANN202
    from process_apis.pricing.schemas import BasketLine
    return BasketLine(sku=sku, quantity=1)


async def apply(engine: AsyncEngine, book: StockBook, change: StockChanged) -> None:
    async with engine.begin() as conn:
        await book.apply(conn, change)


@pytest.mark.parametrize("seed", range(10))
async def test_answers_and_capture_agree_after_any_sequence(engine: AsyncEngine, seed: int) -> None:
    rng = random.Random(seed)
    backend = Backend()
    book = StockBook(engine, {"wms": backend})
    pricing = PricingService(FakeErp([item(s, "10.00") for s in SKUS]), book, budget=2.0)
    late: list[StockChanged] = []  # events held back, delivered later (out of order)
    for _ in range(20):
        step = rng.choice(["event", "event", "late", "deliver_late", "silent", "reset", "hold", "release", "read"])
        sku, location = rng.choice(SKUS), rng.choice(LOCATIONS)
        if step in ("event", "late"):
            change = backend.set(sku, location, rng.randint(-2, 60))
            if step == "late":
                late.append(change)
            else:
                await apply(engine, book, change)
        elif step == "deliver_late" and late:
            await apply(engine, book, late.pop(rng.randrange(len(late))))
        elif step == "silent":  # the backend changes; its event is lost
            backend.set(sku, location, rng.randint(0, 60))
        elif step == "reset":
            backend.reset()
            late.clear()
            await book.resync()
        elif step == "hold":
            await book.ensure_loaded([sku])
            async with engine.begin() as conn:
                await book.reserve(conn, sku, rng.randint(1, 30))
        elif step == "release":
            async with engine.begin() as conn:
                await book.unreserve(conn, sku, rng.randint(1, 30))
        await agree(engine, book, pricing, backend)


async def test_an_event_for_an_unloaded_sku_does_not_hide_its_other_locations(engine: AsyncEngine) -> None:
    """The newcomer's case: POST /sandbox/wms/stock DC-WEST 0 on a fresh hub, then an order."""
    backend = Backend()
    book = StockBook(engine, {"wms": backend})
    pricing = PricingService(FakeErp([item(s, "10.00") for s in SKUS]), book, budget=2.0)
    await apply(engine, book, backend.set("SKU-A", "DC-WEST", 0))
    assert (await pricing.get_product("SKU-A")).available_quantity == 40
    assert await most_capture_can_reserve(engine, book, "SKU-A", 100) == 40
    assert await book.available("SKU-A") == (40, 0)


async def test_a_reset_brings_the_book_back_to_the_seed_whatever_the_sequences(engine: AsyncEngine) -> None:
    backend = Backend()
    book = StockBook(engine, {"wms": backend})
    for qty in (0, 3, 0):
        await apply(engine, book, backend.set("SKU-A", "DC-WEST", qty))
    await apply(engine, book, backend.set("SKU-C", "DC-EAST", 9))  # a row the seed does not have
    await book.ensure_loaded(["SKU-A", "SKU-C"])
    assert await book.available("SKU-A") == (40, 0)
    backend.reset()  # DC-WEST back to 10 at sequence 1, below the book's 3
    assert await book.resync() >= 2
    assert await book.available("SKU-A") == (50, 0)
    assert await book.available("SKU-C") == (0, 0)


async def test_made_up_skus_leave_no_rows_behind(engine: AsyncEngine) -> None:
    book = StockBook(engine, {"wms": Backend()})
    stock = await book.availability(["NOPE-1", "NOPE-2"])
    assert {s.free for s in stock.values()} == {0}
    assert await book.available("NOPE-1") == (0, 0)
    from sqlalchemy import func, select

    from shared.db.tables import stock_reservations
    async with engine.connect() as conn:
        rows = (await conn.execute(select(func.count()).select_from(stock_reservations))).scalar_one()
    assert rows == 0
