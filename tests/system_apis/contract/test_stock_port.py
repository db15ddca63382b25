"""The ``StockPort`` contract: what the inventory process relies on, checked on every stock
adapter (ShipWorks WMS, StoreLink POS, NCR Counterpoint) against its own sandbox."""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator

import pytest

from shared.errors import BackendThrottled, BackendUnavailable
from system_apis.wms.port import StockPort
from tests.system_apis.contract.erp_harness import ErpUnderTest
from tests.system_apis.contract.stock_harness import STOCK_KINDS, StockKind


@pytest.fixture(params=STOCK_KINDS, ids=[k.name for k in STOCK_KINDS])
async def stock(request: pytest.FixtureRequest) -> AsyncIterator[ErpUnderTest]:
    under_test = ErpUnderTest(request.param)
    yield under_test
    await under_test.aclose()


def _rows(levels: list) -> list[tuple[str, str, int, int]]:
    return [(level.sku, level.location, level.on_hand, level.available) for level in levels]


def _held(kind: StockKind) -> str:
    """A SKU the backend holds at ``kind.location``."""
    return next(row[0] for row in kind.seeded if row[1] == kind.location)


def test_the_adapter_offers_get_stock_with_the_port_s_signature(stock: ErpUnderTest) -> None:
    ours, port = inspect.signature(stock.port.get_stock), inspect.signature(StockPort.get_stock)
    assert list(ours.parameters) == list(port.parameters)[1:]
    assert inspect.iscoroutinefunction(stock.port.get_stock)


async def test_seeded_stock_comes_per_sku_and_location_in_order(stock: ErpUnderTest) -> None:
    kind: StockKind = stock.kind

    levels = await stock.port.get_stock(["SKU-1001", "SKU-1002", "SKU-1003"])

    assert _rows(levels) == list(kind.seeded)
    assert all(level.as_of is not None and level.sequence > 0 for level in levels)


async def test_an_unknown_sku_has_no_rows_and_a_repeated_sku_comes_once(stock: ErpUnderTest) -> None:
    kind: StockKind = stock.kind
    sku = kind.seeded[0][0]

    levels = await stock.port.get_stock([sku, "SKU-9999", sku])

    assert _rows(levels) == [row for row in kind.seeded if row[0] == sku]


async def test_no_skus_is_no_rows_and_no_call(stock: ErpUnderTest) -> None:
    assert await stock.port.get_stock([]) == []
    assert stock.transport.sent == []


async def test_a_count_changed_in_the_backend_is_read_next_with_a_higher_sequence(stock: ErpUnderTest) -> None:
    kind: StockKind = stock.kind
    sku = _held(kind)
    (before,) = [lv for lv in await stock.port.get_stock([sku]) if lv.location == kind.location]

    (await kind.set_count(stock.control, sku, kind.location, 17)).raise_for_status()

    (after,) = [lv for lv in await stock.port.get_stock([sku]) if lv.location == kind.location]
    assert (after.on_hand, after.available) == (17, 17)
    assert after.sequence > before.sequence


async def test_the_sandbox_throttle_is_honoured_with_its_retry_after(stock: ErpUnderTest) -> None:
    await stock.faults(throttle=True)

    with pytest.raises(BackendThrottled) as caught:
        await stock.port.get_stock([_held(stock.kind)])

    assert caught.value.retry_after == 1.0
    assert len(stock.waits) == 2 and all(wait >= 1.0 for wait in stock.waits)
    await stock.heal()
    assert await stock.port.get_stock([_held(stock.kind)])


@pytest.mark.parametrize("fault", [{"outage": True}, {"error_rate": 1.0}], ids=["outage", "errors"])
async def test_an_outage_is_backend_unavailable_and_the_read_after_it_works(stock: ErpUnderTest, fault: dict) -> None:
    await stock.faults(**fault)
    with pytest.raises(BackendUnavailable) as caught:
        await stock.port.get_stock([_held(stock.kind)])
    assert not isinstance(caught.value, BackendThrottled)
    await stock.heal()

    sku = _held(stock.kind)
    assert _rows(await stock.port.get_stock([sku])) == [r for r in stock.kind.seeded if r[0] == sku]
