"""Shadow mode: reads answer from the primary, the secondary is compared field by field."""

from __future__ import annotations

import time
from decimal import Decimal

import pytest

from shared.errors import NotFound
from tests.system_apis.erp_routing.harness import TwoErps


def counts(diffs: list) -> dict[str, int]:
    return {d.field: d.count for d in diffs}


async def test_a_price_changed_in_the_secondary_only_is_counted_with_its_pair(two: TwoErps) -> None:
    await two.put("/sandbox/quickbooks/items/SKU-1001/price", {"list_price": "135.00"})

    item = await two.erp.get_item("SKU-1001")
    await two.erp.settled()

    assert item.list_price == Decimal("129.00")  # the primary's answer
    diffs = await two.book.diffs()
    assert counts(diffs) == {"item.list_price": 1}
    sample = diffs[0].samples[0]
    assert (sample.key, sample.primary, sample.secondary) == ("sku:SKU-1001", "129.00", "135.00")

    await two.erp.get_item("SKU-1001")
    await two.erp.get_item("SKU-1002")  # the same in both: nothing recorded
    await two.erp.settled()
    assert counts(await two.book.diffs()) == {"item.list_price": 2}


async def test_the_seed_reads_alike_in_both_erps(two: TwoErps) -> None:
    """The contract's seed data, read through each vendor's shapes, compares equal: no noise."""
    for sku in ("SKU-1001", "SKU-1002", "SKU-1003", "SKU-1004"):
        await two.erp.get_item(sku)
    for customer in ("CUST-ACME", "CUST-BOLT", "CUST-HOLD"):
        await two.erp.get_customer(customer)
        await two.erp.get_contract_prices(customer)
    await two.erp.list_items(0, 100)
    await two.erp.list_customers(0, 100)
    await two.erp.list_contract_prices(0, 100)
    await two.erp.settled()
    assert await two.book.diffs() == []


async def test_a_contract_price_and_a_page_difference_name_the_record(two: TwoErps) -> None:
    await two.put("/sandbox/quickbooks/customers/CUST-ACME/item-prices/SKU-1001", {"unit_price": "95.00"})
    await two.put("/sandbox/quickbooks/customers/CUST-BOLT/credit", {"credit_limit": "750.00"})

    await two.erp.get_contract_prices("CUST-ACME")
    await two.erp.list_customers(0, 100)
    await two.erp.settled()

    diffs = {d.field: d for d in await two.book.diffs()}
    assert diffs["contract.prices.SKU-1001"].samples[0].secondary == "95.00"
    assert diffs["customer.credit_limit"].samples[0].key == "customer:CUST-BOLT"


async def test_secondary_down_never_fails_or_delays_the_answer_and_is_recorded(two: TwoErps) -> None:
    await two.put("/sandbox/quickbooks/faults", {"outage": True})
    item = await two.erp.get_item("SKU-1001")
    assert item.sku == "SKU-1001"

    await two.put("/sandbox/quickbooks/faults", {"outage": False, "latency_ms": 3000})
    began = time.perf_counter()
    customer = await two.erp.get_customer("CUST-ACME")
    assert time.perf_counter() - began < 1.0  # the 3 s secondary is not waited for
    assert customer.customer_id == "CUST-ACME"
    await two.erp.settled()

    errors = {d.field: d for d in await two.book.diffs()}["secondary.error"]
    assert errors.count == 2
    assert {s.secondary for s in errors.samples} == {"no answer within the shadow deadline",
                                                     "BackendUnavailable: backend_unavailable"}


async def test_unknown_in_both_is_no_difference_and_the_primary_not_found_is_raised(two: TwoErps) -> None:
    with pytest.raises(NotFound):
        await two.erp.get_item("SKU-NOPE")
    await two.erp.settled()
    assert await two.book.diffs() == []


async def test_route_mode_never_calls_the_secondary(two: TwoErps) -> None:
    await two.restart(mode="route")
    await two.put("/sandbox/quickbooks/faults", {"outage": True})
    await two.put("/sandbox/quickbooks/items/SKU-1001/price", {"list_price": "135.00"})
    await two.erp.get_item("SKU-1001")
    await two.erp.settled()
    assert await two.book.diffs() == []


async def test_samples_are_capped_per_field_newest_first(two: TwoErps) -> None:
    await two.restart(samples=3)
    two.book._samples = 3  # noqa: SLF001 - the book is built with the setting in the hub
    for price in ("131.00", "132.00", "133.00", "134.00", "135.00"):
        await two.put("/sandbox/quickbooks/items/SKU-1001/price", {"list_price": price})
        await two.erp.get_item("SKU-1001")
        await two.erp.settled()
    (diff,) = await two.book.diffs()
    assert diff.count == 5
    assert [s.secondary for s in diff.samples] == ["135.00", "134.00", "133.00"]
