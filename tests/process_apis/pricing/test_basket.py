"""PricingService.price_basket over fake ports: every line answered on its own."""

from __future__ import annotations

from decimal import Decimal

import pytest

from process_apis.inventory.stock import StockBook
from process_apis.pricing.schemas import BasketLine, BasketResult
from process_apis.pricing.service import PricingService
from shared.errors import BackendUnavailable, BusinessRuleViolation
from tests.fakes.erp import FakeErp
from tests.fakes.stock import FakeStock
from tests.process_apis.pricing.fakes import item


def lines(*pairs: tuple[str, int]) -> list[BasketLine]:
    return [BasketLine(sku=sku, quantity=quantity) for sku, quantity in pairs]


def statuses(result: BasketResult) -> dict[str, str]:
    return {line.sku: line.status for line in result.lines}


async def test_each_line_gets_its_own_status(pricing: PricingService) -> None:
    result = await pricing.price_basket(lines(("SKU-1001", 2), ("SKU-9999", 1), ("SKU-1004", 1), ("SKU-1002", 9)))
    assert statuses(result) == {"SKU-1001": "ok", "SKU-9999": "unknown_sku", "SKU-1004": "not_orderable",
                                "SKU-1002": "insufficient_stock"}
    ok, unknown = result.lines[0], result.lines[1]
    assert (ok.unit_price, ok.extended_price, ok.price_source, ok.available_quantity) == (
        Decimal("129.00"), Decimal("258.00"), "list", 50)
    assert (unknown.unit_price, unknown.extended_price, unknown.available_quantity) == (None, None, None)


async def test_the_answer_keeps_the_order_and_repeats_of_the_request(pricing: PricingService, erp: FakeErp) -> None:
    result = await pricing.price_basket(lines(("SKU-1002", 1), ("SKU-1001", 1), ("SKU-1002", 2)))
    assert [(line.sku, line.quantity) for line in result.lines] == [("SKU-1002", 1), ("SKU-1001", 1), ("SKU-1002", 2)]
    assert sorted(erp.lookups) == ["SKU-1001", "SKU-1002"]  # each distinct SKU looked up once


async def test_the_total_is_the_sum_of_the_ok_lines_only(pricing: PricingService) -> None:
    result = await pricing.price_basket(lines(("SKU-1001", 10), ("SKU-1002", 3), ("SKU-1002", 9), ("SKU-1004", 1)),
                                        customer_id="CUST-ACME")
    ok = [line for line in result.lines if line.status == "ok"]
    assert [line.extended_price for line in ok] == [Decimal("990.00"), Decimal("73.50")]
    assert result.total == Decimal("1063.50") and result.currency == "USD"


async def test_an_empty_answer_totals_zero_in_cents(pricing: PricingService) -> None:
    result = await pricing.price_basket(lines(("SKU-9999", 1)))
    assert result.total == Decimal("0.00") and result.total.as_tuple().exponent == -2


@pytest.mark.parametrize("fault", ["failing", "hanging"])
async def test_one_failing_or_hanging_item_lookup_leaves_the_other_lines_priced(
    pricing: PricingService, erp: FakeErp, fault: str
) -> None:
    getattr(erp, fault).add("SKU-1002")
    result = await pricing.price_basket(lines(("SKU-1001", 1), ("SKU-1002", 1)))
    assert statuses(result) == {"SKU-1001": "ok", "SKU-1002": "unavailable"}
    assert result.total == Decimal("129.00")


@pytest.mark.parametrize("fault", [BackendUnavailable("WMS answered 503", backend="wms"), "hang"])
async def test_a_failing_stock_source_makes_lines_partial_never_unavailable(
    pricing: PricingService, warehouses: FakeStock, fault: object
) -> None:
    """Issue 11: the stores' answer still counts; only what the WMS alone holds is short."""
    if fault == "hang":
        warehouses.hang = True
    else:
        warehouses.failure = fault  # type: ignore[assignment]
    result = await pricing.price_basket(lines(("SKU-1001", 1), ("SKU-1002", 3), ("SKU-9999", 1)))
    assert statuses(result) == {"SKU-1001": "insufficient_stock", "SKU-1002": "ok", "SKU-9999": "unknown_sku"}
    assert [(line.available_quantity, line.stock_partial, line.missing_sources) for line in result.lines[:2]] == [
        (0, True, ("wms",)), (3, True, ("wms",))]
    assert result.total == Decimal("73.50")


async def test_a_line_in_another_currency_than_its_item_is_unavailable(
        erp: FakeErp, warehouses: FakeStock, stores: FakeStock, engine) -> None:  # noqa: ANN001
    """A hub selling in USD and EUR: a EUR basket's USD item has no EUR price."""
    pricing = PricingService(erp, StockBook(engine, {"wms": warehouses, "pos": stores}, timeout=0.1), budget=1.0,
                             currencies=("USD", "EUR"))
    result = await pricing.price_basket(lines(("SKU-1001", 1), ("SKU-EUR", 1)), currency="EUR")
    assert statuses(result) == {"SKU-1001": "unavailable", "SKU-EUR": "ok"}
    assert result.currency == "EUR" and result.total == Decimal("10.00")


async def test_a_currency_the_hub_does_not_sell_in_fails_the_request(pricing: PricingService, erp: FakeErp) -> None:
    """Issue 10: a basket in EUR on a USD hub was 200 with `unavailable` lines; it is the request's fault."""
    for call in (pricing.price_basket(lines(("SKU-EUR", 1)), currency="EUR"), pricing.get_product("SKU-EUR", currency="EUR")):
        with pytest.raises(BusinessRuleViolation) as caught:
            await call
        assert (caught.value.code, caught.value.errors[0]["field"]) == ("unsupported_currency", "currency")


async def test_an_unknown_customer_fails_the_whole_basket(pricing: PricingService) -> None:
    with pytest.raises(BusinessRuleViolation) as caught:
        await pricing.price_basket(lines(("SKU-1001", 1)), customer_id="CUST-NOPE")
    assert caught.value.code == "unknown_customer"


async def test_a_contract_customer_gets_the_contract_price_on_every_line(pricing: PricingService) -> None:
    result = await pricing.price_basket(lines(("SKU-1001", 1), ("SKU-1001", 10)), customer_id="CUST-ACME")
    assert {(line.unit_price, line.price_source) for line in result.lines} == {(Decimal("99.00"), "contract")}


async def test_item_lookups_for_distinct_skus_run_concurrently(warehouses: FakeStock, engine) -> None:  # noqa: ANN001
    skus = [f"SKU-{n}" for n in range(8)]
    erp = FakeErp([item(sku, "1.00") for sku in skus])
    erp.gate = len(skus)  # each lookup waits until all are in flight (or 1 s passes)
    pricing = PricingService(erp, StockBook(engine, {"wms": warehouses}), budget=2.0)
    result = await pricing.price_basket(lines(*((s, 1) for s in skus)))
    assert erp.max_in_flight == len(skus)
    assert len(result.lines) == len(skus)


async def test_stock_is_asked_once_per_source_for_all_skus(
    pricing: PricingService, warehouses: FakeStock, stores: FakeStock
) -> None:
    await pricing.price_basket(lines(("SKU-1002", 1), ("SKU-1001", 1), ("SKU-1002", 1)))
    assert warehouses.calls == stores.calls == [["SKU-1001", "SKU-1002"]]
