"""Price answers through the near caches: a burst of misses reads the database once, each
channel still gets its own buffer, a partial stock answer is not held, and the catalogue events
drop exactly what they are about."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest

from process_apis.catalog.reader import ReplicaReader
from process_apis.inventory.schemas import SafetyBuffer
from process_apis.inventory.stock import StockBook
from process_apis.pricing.near import NearPricing
from process_apis.pricing.schemas import BasketLine
from process_apis.pricing.service import PricingService
from shared.bus import CatalogChanged
from shared.errors import BackendUnavailable
from tests.fakes.erp import FakeErp
from tests.fakes.stock import FakeStock
from tests.process_apis.pricing.fakes import item, level
from tests.process_apis.pricing.test_basket_replica import HEARD, CountingStore


class CountingBook(StockBook):
    def __init__(self, *args, **kwargs) -> None:  # noqa: ANN002, ANN003
        super().__init__(*args, **kwargs)
        self.reads: list[list[str]] = []

    async def availability(self, skus, channel=None):  # noqa: ANN001, ANN201
        self.reads.append(sorted(skus))
        return await super().availability(skus, channel)


@pytest.fixture
def erp() -> FakeErp:
    return FakeErp([item("SKU-1001", "129.00"), item("SKU-1002", "24.50")],
                   contracts={"CUST-ACME": {"SKU-1001": "99.00"}})


@pytest.fixture
async def store(engine, erp: FakeErp) -> CountingStore:  # noqa: ANN001
    store = CountingStore(engine)
    await store.put_items(list(erp.items.values()), HEARD)
    await store.put_contracts([await erp.get_contract_prices("CUST-ACME")], HEARD)
    return store


@pytest.fixture
def wms() -> FakeStock:
    return FakeStock(level("SKU-1001", "DC-EAST", 40), level("SKU-1002", "DC-WEST", 5))


@pytest.fixture
def book(engine, wms: FakeStock) -> CountingBook:  # noqa: ANN001
    return CountingBook(engine, {"wms": wms}, timeout=0.2, buffer=SafetyBuffer(default=0, by_channel={"partner": 3}))


def priced(near: NearPricing, store: CountingStore, erp: FakeErp, book: StockBook) -> PricingService:
    return PricingService(near.records(ReplicaReader(store, erp)), near.stock_of(book), budget=2.0)


async def test_a_burst_of_misses_reads_the_database_once(store: CountingStore, erp: FakeErp, book: CountingBook) -> None:
    pricing = priced(NearPricing(30.0), store, erp, book)
    answers = [await pricing.get_product("SKU-1001", quantity=q, customer_id="CUST-ACME") for q in range(1, 21)]
    assert {(a.unit_price, a.available_quantity) for a in answers} == {(answers[0].unit_price, 40)}
    assert str(answers[0].unit_price) == "99.00"
    assert store.reads == ["item_and_contract"] and book.reads == [["SKU-1001"]]


async def test_without_the_near_cache_every_miss_reads(store: CountingStore, erp: FakeErp, book: CountingBook) -> None:
    pricing = priced(NearPricing(0.0), store, erp, book)
    for q in range(1, 4):
        await pricing.get_product("SKU-1001", quantity=q, customer_id="CUST-ACME")
    assert len(store.reads) == 3 and len(book.reads) == 3


async def test_each_channel_keeps_its_own_buffer(store: CountingStore, erp: FakeErp, book: CountingBook) -> None:
    pricing = priced(NearPricing(30.0), store, erp, book)
    guest = await pricing.get_product("SKU-1001")
    partner = await pricing.get_product("SKU-1001", channel="partner")
    again = await pricing.get_product("SKU-1001")
    assert (guest.available_quantity, partner.available_quantity, again.available_quantity) == (40, 37, 40)
    assert book.reads == [["SKU-1001"]]


async def test_a_partial_stock_answer_is_not_held(store: CountingStore, erp: FakeErp, book: CountingBook,
                                                  wms: FakeStock) -> None:
    wms.failure = BackendUnavailable("down", backend="wms")
    pricing = priced(NearPricing(30.0), store, erp, book)
    first = await pricing.get_product("SKU-1002")
    assert first.stock_partial and first.missing_sources == ("wms",)
    wms.failure = None
    second = await pricing.get_product("SKU-1002")
    assert not second.stock_partial and second.available_quantity == 5
    assert len(book.reads) == 2


async def test_a_stock_event_drops_that_skus_stock_only(store: CountingStore, erp: FakeErp, book: CountingBook) -> None:
    near = NearPricing(30.0)
    pricing = priced(near, store, erp, book)
    for sku in ("SKU-1001", "SKU-1002"):
        await pricing.get_product(sku, customer_id="CUST-ACME")
    store.reads.clear()
    book.reads.clear()
    near.drop(CatalogChanged(sku=None, skus=["SKU-1001"], reason="stock-applied"))
    for sku in ("SKU-1001", "SKU-1002"):
        await pricing.get_product(sku, customer_id="CUST-ACME")
    assert book.reads == [["SKU-1001"]] and store.reads == []


async def test_an_erp_change_drops_the_item_and_every_contract(store: CountingStore, erp: FakeErp,
                                                                book: CountingBook) -> None:
    near = NearPricing(30.0)
    pricing = priced(near, store, erp, book)
    await pricing.get_product("SKU-1002", customer_id="CUST-ACME")
    changed = item("SKU-1001", "140.00")
    await store.put_items([changed], datetime(2026, 11, 22, 9, 30, tzinfo=UTC))
    await store.put_contracts([await erp.get_contract_prices("CUST-ACME")], HEARD)
    await pricing.get_product("SKU-1001", customer_id="CUST-ACME")  # held now
    erp.contracts["CUST-ACME"] = {"SKU-1001": "90.00"}
    await store.put_contracts([await erp.get_contract_prices("CUST-ACME")], HEARD)
    assert str((await pricing.get_product("SKU-1001", customer_id="CUST-ACME")).unit_price) == "99.00"  # held
    near.drop(CatalogChanged(sku="SKU-1001", reason="erp-applied"))
    assert str((await pricing.get_product("SKU-1001", customer_id="CUST-ACME")).unit_price) == "90.00"


async def test_an_event_naming_no_sku_drops_everything(store: CountingStore, erp: FakeErp, book: CountingBook) -> None:
    near = NearPricing(30.0)
    pricing = priced(near, store, erp, book)
    lines = [BasketLine(sku="SKU-1001", quantity=2), BasketLine(sku="SKU-1002", quantity=1)]
    await pricing.price_basket(lines, customer_id="CUST-ACME")
    await pricing.price_basket(lines, customer_id="CUST-ACME")
    assert len(book.reads) == 1 and store.reads.count("items") == 1
    near.drop(CatalogChanged(sku=None, reason="sandbox-reset"))
    await pricing.price_basket(lines, customer_id="CUST-ACME")
    assert len(book.reads) == 2 and store.reads.count("items") == 2


async def test_concurrent_misses_of_one_sku_share_one_stock_read(store: CountingStore, erp: FakeErp,
                                                                 book: CountingBook) -> None:
    pricing = priced(NearPricing(30.0), store, erp, book)
    answers = await asyncio.gather(*(pricing.get_product("SKU-1002", quantity=q) for q in range(1, 33)))
    assert {a.available_quantity for a in answers} == {5}
    assert book.reads == [["SKU-1002"]]
