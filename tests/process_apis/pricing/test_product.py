"""PricingService.get_product and price_list over fake ports."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import pytest

from process_apis.inventory.stock import StockBook
from process_apis.pricing.service import PricingService
from process_apis.pricing.schemas import BasketLine
from shared.errors import BackendUnavailable, BusinessRuleViolation, NotFound
from tests.cancelled import noting_cancellations
from tests.process_apis.pricing.conftest import NOW
from tests.fakes.erp import FakeErp
from tests.fakes.stock import FakeStock


async def test_a_guest_gets_the_list_price_and_stock_summed_over_every_system(pricing: PricingService) -> None:
    product = await pricing.get_product("SKU-1002")
    assert (product.unit_price, product.price_source, product.list_price) == (Decimal("24.50"), "list", Decimal("24.50"))
    assert [(loc.location, loc.available) for loc in product.locations] == [("DC-WEST", 5), ("STORE-NYC", 3)]
    assert (product.available_quantity, product.in_stock, product.as_of) == (8, True, NOW)


@pytest.mark.parametrize(("customer", "quantity", "price", "source"), [
    (None, 10, "119.00", "break"), ("CUST-ACME", 1, "99.00", "contract"),
    ("CUST-ACME", 10, "99.00", "contract"), ("CUST-BOLT", 10, "119.00", "break"),
])
async def test_the_price_follows_the_customer_and_quantity(
    pricing: PricingService, customer: str | None, quantity: int, price: str, source: str
) -> None:
    product = await pricing.get_product("SKU-1001", quantity, customer)
    assert (product.unit_price, product.price_source, product.quantity) == (Decimal(price), source, quantity)


async def test_an_unknown_customer_breaks_a_business_rule(pricing: PricingService) -> None:
    with pytest.raises(BusinessRuleViolation) as caught:
        await pricing.get_product("SKU-1001", 1, "CUST-NOPE")
    assert caught.value.code == "unknown_customer"


async def test_an_unknown_sku_is_not_found(pricing: PricingService) -> None:
    with pytest.raises(NotFound) as caught:
        await pricing.get_product("SKU-9999")
    assert caught.value.code == "unknown_sku"


async def test_another_currency_than_the_items_is_unsupported(pricing: PricingService) -> None:
    with pytest.raises(BusinessRuleViolation) as caught:
        await pricing.get_product("SKU-1001", currency="EUR")
    assert caught.value.code == "unsupported_currency"


async def test_an_item_without_stock_is_out_of_stock(pricing: PricingService) -> None:
    product = await pricing.get_product("SKU-1004")
    assert (product.orderable, product.available_quantity, product.in_stock, product.locations) == (False, 0, False, ())


async def test_an_erp_failure_reaches_the_caller_as_itself(pricing: PricingService, erp: FakeErp) -> None:
    erp.failing.add("SKU-1001")
    with pytest.raises(BackendUnavailable):
        await pricing.get_product("SKU-1001")


async def test_a_hanging_stock_source_makes_a_partial_answer_on_its_own_deadline(
    pricing: PricingService, stores: FakeStock
) -> None:
    """Issue 11: the stores hang; the warehouses' DC-WEST 5 answers, marked partial."""
    stores.hang = True
    answer = await asyncio.wait_for(pricing.get_product("SKU-1002"), 2)
    assert (answer.available_quantity, answer.stock_partial, answer.missing_sources) == (5, True, ("pos",))
    assert [(loc.location, loc.available) for loc in answer.locations] == [("DC-WEST", 5)]


async def test_an_unknown_sku_leaves_no_stock_read_running_behind_its_answer(
    erp: FakeErp, stores: FakeStock, warehouses: FakeStock, engine  # noqa: ANN001
) -> None:
    """The 404 came while the stock read (a source call, then its recording) still ran: it went
    on behind the answer, owned by nobody. Now it is cancelled and ended first."""
    stores.hang = True
    ended = noting_cancellations(stores, "get_stock")
    lookup = erp.get_item

    async def after_the_stock_read_began(sku: str):  # noqa: ANN202
        while not stores.calls:
            await asyncio.sleep(0.001)
        return await lookup(sku)

    erp.get_item = after_the_stock_read_began
    pricing = PricingService(erp, StockBook(engine, {"wms": warehouses, "pos": stores}, timeout=30), budget=5)
    with pytest.raises(NotFound):
        await asyncio.wait_for(pricing.get_product("SKU-9999"), 2)
    assert ended == [["SKU-9999"]]


async def test_a_cancelled_basket_leaves_no_stock_read_running(
    erp: FakeErp, stores: FakeStock, warehouses: FakeStock, engine  # noqa: ANN001
) -> None:
    """A client gone mid-basket: its stock read ends with it."""
    stores.hang = True
    ended = noting_cancellations(stores, "get_stock")
    erp.hanging.add("SKU-1001")
    pricing = PricingService(erp, StockBook(engine, {"wms": warehouses, "pos": stores}, timeout=30), budget=5)
    basket = asyncio.create_task(pricing.price_basket([BasketLine(sku="SKU-1001", quantity=1)]))
    while not stores.calls:
        await asyncio.sleep(0.001)
    basket.cancel()
    with pytest.raises(asyncio.CancelledError):
        await basket
    assert ended == [["SKU-1001"]]


async def test_stock_not_read_within_the_budget_is_a_backend_unavailable(
    erp: FakeErp, stores: FakeStock, engine  # noqa: ANN001
) -> None:
    """PricingPort promises BackendUnavailable when the back office cannot answer: a bare
    TimeoutError would be a 500 at the edge and crash an RpcApp in a split deployment."""
    stores.hang = True
    pricing = PricingService(erp, StockBook(engine, {"pos": stores}, timeout=30), budget=0.2)
    with pytest.raises(BackendUnavailable):
        await asyncio.wait_for(pricing.get_product("SKU-1001"), 2)


async def test_the_price_list_holds_orderable_items_at_the_customers_price(pricing: PricingService) -> None:
    page = await pricing.price_list("CUST-ACME", limit=10)
    prices = {e.sku: (e.unit_price, e.price_source) for e in page.items}
    assert prices == {"SKU-1001": (Decimal("99.00"), "contract"), "SKU-1002": (Decimal("24.50"), "list"),
                      "SKU-EUR": (Decimal("10.00"), "list")}
    assert page.next_offset is None
    assert [b.min_quantity for b in next(e for e in page.items if e.sku == "SKU-1001").breaks] == [10]


async def test_the_price_list_pages_on(erp: FakeErp, pricing: PricingService) -> None:
    first = await pricing.price_list(limit=2)
    assert first.next_offset == 2 and [e.sku for e in first.items] == ["SKU-1001", "SKU-1002"]
    second = await pricing.price_list(offset=first.next_offset, limit=2)
    assert second.next_offset is None and [e.sku for e in second.items] == ["SKU-EUR"]  # SKU-1004 is not orderable
