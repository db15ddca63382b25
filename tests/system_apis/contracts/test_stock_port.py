"""The ``StockPort`` contract: what the inventory process relies on, checked on every stock kind
of the registry against its own sandbox (what each holds: ``HOOKS`` in conftest), and on ``FakeStock``."""

from __future__ import annotations

import inspect
import pytest

from shared.errors import BackendThrottled, BackendUnavailable
from system_apis.wms.port import StockPort
from tests.system_apis.contracts.conftest import Hooks
from tests.system_apis.contracts.harness import UnderTest

sandbox_only = pytest.mark.sandbox_only


def _rows(levels: list) -> list[tuple[str, str, int, int]]:
    return [(level.sku, level.location, level.on_hand, level.available) for level in levels]


def _seeded(hooks: Hooks) -> list[tuple[str, str, int, int]]:
    return list(hooks.need("seeded"))  # type: ignore[call-overload]


def _held(hooks: Hooks) -> str:
    """A SKU the backend holds at ``hooks.location``."""
    return next(row[0] for row in _seeded(hooks) if row[1] == hooks.location)


def test_the_adapter_offers_get_stock_with_the_port_s_signature(stock: UnderTest) -> None:
    ours, port = inspect.signature(stock.port.get_stock), inspect.signature(StockPort.get_stock)
    assert list(ours.parameters) == list(port.parameters)[1:]
    assert inspect.iscoroutinefunction(stock.port.get_stock)


async def test_seeded_stock_comes_per_sku_and_location_in_order(stock: UnderTest) -> None:
    hooks: Hooks = stock.hooks

    levels = await stock.port.get_stock(["SKU-1001", "SKU-1002", "SKU-1003", "SKU-1004"])

    assert _rows(levels) == _seeded(hooks)  # SKU-1004 is held nowhere: no rows
    assert all(level.as_of is not None and level.sequence > 0 for level in levels)


async def test_an_unknown_sku_has_no_rows_and_a_repeated_sku_comes_once(stock: UnderTest) -> None:
    hooks: Hooks = stock.hooks
    sku = _seeded(hooks)[0][0]

    levels = await stock.port.get_stock([sku, "SKU-9999", sku])

    assert _rows(levels) == [row for row in _seeded(hooks) if row[0] == sku]


async def test_no_skus_is_no_rows_and_no_call(stock: UnderTest) -> None:
    assert await stock.port.get_stock([]) == []
    if stock.sandboxed:
        assert stock.transport.sent == []


@sandbox_only
async def test_a_count_changed_in_the_backend_is_read_next_with_a_higher_sequence(stock: UnderTest) -> None:
    hooks: Hooks = stock.hooks
    sku = _held(hooks)
    (before,) = [lv for lv in await stock.port.get_stock([sku]) if lv.location == hooks.location]
    set_count = hooks.need("set_count")

    (await set_count(stock.control, sku, hooks.location, 17)).raise_for_status()  # type: ignore[operator]

    (after,) = [lv for lv in await stock.port.get_stock([sku]) if lv.location == hooks.location]
    assert (after.on_hand, after.available) == (17, 17)
    assert after.sequence > before.sequence


@sandbox_only
async def test_the_sandbox_throttle_is_honoured_with_its_retry_after(stock: UnderTest) -> None:
    await stock.faults(throttle=True)

    with pytest.raises(BackendThrottled) as caught:
        await stock.port.get_stock([_held(stock.hooks)])

    assert caught.value.retry_after == 1.0
    assert len(stock.waits) == 2 and all(wait >= 1.0 for wait in stock.waits)
    await stock.heal()
    assert await stock.port.get_stock([_held(stock.hooks)])


@sandbox_only
@pytest.mark.parametrize("fault", [{"outage": True}, {"error_rate": 1.0}], ids=["outage", "errors"])
async def test_an_outage_is_backend_unavailable_and_the_read_after_it_works(stock: UnderTest, fault: dict) -> None:
    await stock.faults(**fault)
    with pytest.raises(BackendUnavailable) as caught:
        await stock.port.get_stock([_held(stock.hooks)])
    assert not isinstance(caught.value, BackendThrottled)
    await stock.heal()

    sku = _held(stock.hooks)
    assert _rows(await stock.port.get_stock([sku])) == [r for r in _seeded(stock.hooks) if r[0] == sku]
