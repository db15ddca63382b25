"""Issue 11: order capture reserves by the same rule as the answers: per stock source
(a store whose POS is down counts only while its last report is fresh) and over the
channel's safety buffer. SQLite and PostgreSQL (the one-trip path included)."""

from __future__ import annotations

import asyncio

import pytest

from process_apis.inventory.stock import SafetyBuffer, StockBook
from process_apis.orders.backoffice import BackOffice
from process_apis.orders.service import OrderService
from shared.errors import BackendUnavailable, BusinessRuleViolation
from shared.models import StockLevel


class Source:
    """One stock source over the world's levels at some locations; ``down`` answers 503."""

    def __init__(self, levels: list[StockLevel], prefix: str) -> None:
        self.levels = [lv for lv in levels if lv.location.startswith(prefix)]
        self.down = False

    async def get_stock(self, skus: list[str]) -> list[StockLevel]:
        if self.down:
            raise BackendUnavailable("POS answered 503", backend="pos")
        return [lv for lv in self.levels if lv.sku in skus]


def split_sources(world, buffer: SafetyBuffer = SafetyBuffer()) -> Source:  # noqa: ANN001
    """The world's warehouses at a WMS and its store at a POS (returned); its service over both."""
    wms, pos = Source(world.stock.levels, "DC-"), Source(world.stock.levels, "STORE-")
    world.book = StockBook(world.engine, {"wms": wms, "pos": pos}, timeout=0.5, stale_seconds=0, buffer=buffer)
    world.service = OrderService(world.engine, world.ledger, BackOffice(world.erp), world.book)
    return pos


async def test_an_order_needing_the_missing_stores_stock_is_refused_and_says_why(world) -> None:
    """Bits: DC-WEST 5 and STORE-NYC 3, the POS down. Five are taken from the DC; a sixth would
    need the store, which cannot be confirmed: refused, naming the missing source."""
    pos = split_sources(world)
    pos.down = True
    with pytest.raises(BusinessRuleViolation) as refused:
        await world.service.place_order(world.order((world.bits, 6, None), customer=world.acme), "six")
    problem = refused.value
    assert problem.code == "insufficient_stock" and "Stock at pos could not be confirmed" in problem.detail
    assert problem.errors == [{"field": "lines[0].quantity",
                               "message": f"not enough {world.bits} available (not confirmed: pos)"}]
    accepted = await world.service.place_order(world.order((world.bits, 5, None), customer=world.acme), "five")
    assert accepted.order.status == "accepted"
    assert await world.book.available(world.bits) == (5, 5)
    pos.down = False  # the store answers again: its 3 count for the next order
    more = await world.service.place_order(world.order((world.bits, 3, None), customer=world.acme), "three")
    assert more.order.status == "accepted"
    assert await world.book.available(world.bits) == (8, 8)


async def test_two_orders_for_the_last_units_under_a_buffer(world) -> None:
    """Bits: 8 in stock, the storefront's buffer 2, so 6 to promise; 4 are held. Two orders of 2
    race for the last 2 promisable units: exactly one wins, and the buffer is never sold."""
    split_sources(world, SafetyBuffer(by_channel={"storefront": 2}))
    await world.service.place_order(world.order((world.bits, 4, None), customer=world.acme), "first")
    promised = (await world.book.availability([world.bits], "storefront"))[world.bits]
    assert promised.free == 2
    racing = [world.order((world.bits, 2, None), customer=world.acme) for _ in range(2)]
    results = await asyncio.gather(*(world.service.place_order(c, f"race-{i}") for i, c in enumerate(racing)),
                                   return_exceptions=True)
    refused = [r for r in results if isinstance(r, BusinessRuleViolation)]
    assert len(refused) == 1 and refused[0].code == "insufficient_stock", results
    assert await world.book.available(world.bits) == (8, 6)
    assert (await world.book.availability([world.bits], "storefront"))[world.bits].free == 0
    # a partner, with no buffer, may still take the 2 the storefront holds back
    partner = await world.service.place_order(world.order((world.bits, 2, None), customer=world.acme, po="PO-9",
                                                          channel="partner"), "partner")
    assert partner.order.status == "accepted"
