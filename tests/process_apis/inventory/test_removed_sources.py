"""A stock source no longer configured (removed from hub.toml, the hub restarted on the same
database) is gone, not missing: its levels are kept but never counted, in the answers (fully
loaded or not), the holds and the storefront's levels; configured again, it counts again. On
the embedded SQLite and the real PostgreSQL.

Each test's book over the WMS and a 3PL (``tpl``) loads the SKUs first; the books after it are
the restarted hub's, on the same rows. The WMS holds DRILL at DC-EAST 40 and DC-WEST 10 and BITS
at DC-WEST 5; the 3PL DRILL 25 and BITS 7 at 3PL-MV; the POS BITS 3 at STORE-NYC.
"""

from __future__ import annotations

import secrets

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from process_apis.inventory.stock import StockBook
from process_apis.pricing.schemas import BasketLine
from process_apis.pricing.service import PricingService
from process_apis.reconcile.stock_check import StockCheck
from process_apis.storefront import levels as storefront
from shared.db.engine import create_engine, dispose
from shared.db.storefront_tables import storefront_levels
from shared.db.storefront_tables import storefront_marks as marks
from shared.errors import BackendUnavailable
from tests.fakes.erp import FakeErp
from tests.fakes.stock import FakeStock
from tests.process_apis.pricing.fakes import item, level


class Rig:
    def __init__(self, engine: AsyncEngine) -> None:
        tag = secrets.token_hex(3).upper()
        self.drill, self.bits = f"DRILL-{tag}", f"BITS-{tag}"
        self.engine = engine
        self.wms = FakeStock(level(self.drill, "DC-EAST", 40), level(self.drill, "DC-WEST", 10),
                             level(self.bits, "DC-WEST", 5))
        self.tpl = FakeStock(level(self.drill, "3PL-MV", 25), level(self.bits, "3PL-MV", 7))
        self.pos = FakeStock(level(self.bits, "STORE-NYC", 3))
        self.erp = FakeErp([item(s, "10.00") for s in (self.drill, self.bits)])

    def book(self, *names: str, marked: bool = False) -> StockBook:
        """The book of a hub whose stock connections are ``names``."""
        sources = {"wms": self.wms, "tpl": self.tpl, "pos": self.pos}
        return StockBook(self.engine, {name: sources[name] for name in names}, timeout=0.2,
                         on_change=storefront.mark if marked else None)

    async def basket(self, book: StockBook, sku: str, quantity: int) -> tuple[str, int, tuple[str, ...]]:
        priced = await PricingService(self.erp, book, budget=2.0).price_basket([BasketLine(sku=sku, quantity=quantity)])
        [line] = priced.lines
        return line.status, line.available_quantity, line.missing_sources

    async def counted(self, book: StockBook, sku: str) -> tuple[int, dict[str, int], tuple[str, ...]]:
        stock = (await book.availability([sku]))[sku]
        return stock.free, stock.locations, stock.missing


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest) -> str:
    return request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "pg_url")


@pytest.fixture(params=["sqlite", "postgresql"])
def own_database_url(request: pytest.FixtureRequest) -> str:
    """The reconciliation pages through every SKU of the database: one of the test's own."""
    return request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "fresh_pg_url")


@pytest.fixture
async def rig(database_url: str):  # noqa: ANN201
    engine = create_engine(database_url)
    yield Rig(engine)
    await dispose(engine)


async def test_a_fully_loaded_sku_counts_only_the_configured_sources(rig: Rig) -> None:
    """The product answer's and the basket's path: one statement, nobody asked."""
    assert (await rig.counted(rig.book("wms", "tpl"), rig.drill))[0] == 75
    without = rig.book("wms")
    assert await rig.counted(without, rig.drill) == (50, {"DC-EAST": 40, "DC-WEST": 10}, ())
    assert await rig.basket(without, rig.drill, 51) == ("insufficient_stock", 50, ())
    assert await rig.basket(without, rig.drill, 50) == ("ok", 50, ())
    assert (len(rig.wms.calls), len(rig.tpl.calls)) == (1, 1)  # loaded once, by the first hub
    assert await rig.counted(rig.book("wms", "tpl"), rig.drill) == (
        75, {"DC-EAST": 40, "DC-WEST": 10, "3PL-MV": 25}, ())  # configured again: counted again


async def test_a_source_that_replaced_it_is_asked_and_the_removed_one_never_counts(rig: Rig) -> None:
    """The removed 3PL's loads do not make a SKU fully loaded for the POS configured instead; with
    the POS down, the 3PL's level does not count as a missing source's either."""
    assert (await rig.counted(rig.book("wms", "tpl"), rig.bits))[0] == 12
    rig.pos.failure = BackendUnavailable("POS answered 503", backend="pos")
    assert await rig.basket(rig.book("wms", "pos"), rig.bits, 6) == ("insufficient_stock", 5, ("pos",))
    rig.pos.failure = None
    assert await rig.counted(rig.book("wms", "pos"), rig.bits) == (8, {"DC-WEST": 5, "STORE-NYC": 3}, ())
    assert rig.pos.calls == [[rig.bits], [rig.bits]]


async def test_a_renamed_source_takes_over_its_locations_on_its_first_load(rig: Rig) -> None:
    """The 3PL's connection renamed (``tpl`` -> ``shipbob``): its load's answer takes the rows the
    old name kept, though their sequences are the same, and they count as the new name's."""
    assert (await rig.counted(rig.book("wms", "tpl"), rig.drill))[0] == 75
    renamed = StockBook(rig.engine, {"wms": rig.wms, "shipbob": rig.tpl}, timeout=0.2)
    assert await rig.counted(renamed, rig.drill) == (75, {"DC-EAST": 40, "DC-WEST": 10, "3PL-MV": 25}, ())
    assert (await renamed.load([rig.drill])).retired == frozenset()
    assert rig.tpl.calls == [[rig.drill], [rig.drill]]  # asked again under its new name, once
    assert (await rig.counted(renamed, rig.drill))[0] == 75


async def test_holds_count_only_the_configured_sources(rig: Rig) -> None:
    await rig.book("wms", "tpl").ensure_loaded([rig.drill, rig.bits])
    without = rig.book("wms")
    assert await without.available(rig.drill) == (50, 0)
    async with rig.engine.begin() as conn:
        assert not await without.reserve(conn, rig.drill, 51)
        assert await without.reserve_many(conn, {rig.drill: 50, rig.bits: 6}) == {rig.drill}
        assert await without.reserve(conn, rig.bits, 5)


async def test_an_orders_load_names_the_skus_holding_a_removed_sources_levels(rig: Rig) -> None:
    """PostgreSQL's one-trip capture holds against every level: not for those SKUs."""
    await rig.book("wms", "tpl").ensure_loaded([rig.drill])
    without = rig.book("wms", "pos")
    loaded = await without.load([rig.drill, rig.bits])  # bits: loaded now, no 3PL level in the book
    assert (loaded.missing, loaded.retired) == ({}, frozenset({rig.drill}))
    loaded = await without.load([rig.drill])  # fully loaded now: the same from the one statement
    assert (loaded.retired, without.one_trip_holds(None, loaded)) == (frozenset({rig.drill}), False)
    assert without.one_trip_holds(None, await without.load([rig.bits]))


async def test_the_storefront_shows_only_the_configured_sources_after_a_restart(rig: Rig) -> None:
    async def shown() -> dict[str, int]:
        async with rig.engine.connect() as conn:
            return dict((await conn.execute(select(storefront_levels.c.location, storefront_levels.c.desired)
                                            .where(storefront_levels.c.sku == rig.drill))).all())

    async def due() -> bool:
        async with rig.engine.connect() as conn:
            return (await conn.execute(select(marks.c.version > marks.c.seen_version)
                                       .where(marks.c.sku == rig.drill))).scalar_one()

    async def refreshed(*sources: str) -> dict[str, int]:
        while await storefront.DesiredLevels(rig.engine, sources=sources).refresh():
            pass
        return await shown()

    await rig.book("wms", "tpl", marked=True).ensure_loaded([rig.drill])
    assert await refreshed("tpl", "wms") == {"DC-EAST": 40, "DC-WEST": 10, "3PL-MV": 25}
    assert await storefront.mark_sources_changed(rig.engine, ["tpl", "wms"]) >= 0 and not await due()

    await storefront.mark_sources_changed(rig.engine, ["wms"])  # restarted without the 3PL
    assert await due()
    assert await refreshed("wms") == {"DC-EAST": 40, "DC-WEST": 10, "3PL-MV": 0}
    await storefront.mark_sources_changed(rig.engine, ["wms"])  # and again: nothing left to correct
    assert not await due()

    await storefront.mark_sources_changed(rig.engine, ["tpl", "wms"])  # with it again
    assert await due()
    assert await refreshed("tpl", "wms") == {"DC-EAST": 40, "DC-WEST": 10, "3PL-MV": 25}


async def test_the_stock_reconciliation_leaves_a_removed_sources_rows_alone(own_database_url: str) -> None:
    """Not reported run after run as locations no backend reports: they are history."""
    engine = create_engine(own_database_url)
    try:
        await _reconciled(Rig(engine))
    finally:
        await dispose(engine)


async def _reconciled(rig: Rig) -> None:
    await rig.book("wms", "tpl").ensure_loaded([rig.drill])
    without = rig.book("wms")
    found = Found()
    await StockCheck(rig.engine, without, {"wms": rig.wms}).run(found)
    assert [f for f in found.findings if f.subject.startswith(rig.drill)] == []


class Found:
    def __init__(self) -> None:
        self.findings: list = []

    def checked(self, count: int = 1) -> None:
        pass

    async def add(self, finding) -> None:  # noqa: ANN001
        self.findings.append(finding)
