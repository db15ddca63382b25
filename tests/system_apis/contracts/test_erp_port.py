"""The ``ErpPort`` contract: what the process layer relies on, checked on every ERP kind of the
registry against its own vendor-shaped sandbox, and on ``FakeErp`` where no sandbox is read."""

from __future__ import annotations

import inspect
from datetime import UTC, datetime
from decimal import Decimal

import msgspec
import pytest

from shared.errors import BackendError, BackendThrottled, BackendUnavailable, NotFound
from shared.models import Address, CreditMemoRequest, OrderLine, PriceBreak, SalesOrder
from system_apis.erp.port import ErpPort
from tests.system_apis.contracts.conftest import VENDOR_SECRET
from tests.system_apis.contracts.harness import UnderTest

sandbox_only = pytest.mark.sandbox_only

ORDER = SalesOrder(
    order_id="ord_01JF0Q8W5B7X9ZK3M4N6P8R0TV", channel="storefront", channel_order_ref="WEB-5531",
    customer_id="CUST-ACME", currency="USD",
    lines=(OrderLine(sku="SKU-1001", quantity=2, unit_price=Decimal("99.00"), extended_price=Decimal("198.00")),
           OrderLine(sku="SKU-1002", quantity=1, unit_price=Decimal("24.50"), extended_price=Decimal("24.50"))),
    total=Decimal("222.50"),
    ship_to=Address(name="Acme Receiving", line1="1 Main St", city="Springfield", region="IL", postal_code="62701",
                    country="US"),
    created_at=datetime(2026, 11, 22, 10, 0, tzinfo=UTC),
)
GUEST = msgspec.structs.replace(ORDER, order_id="ord_01JF0Q8W5B7X9ZK3M4N6P8R0TW", customer_id=None,
                                channel_order_ref="WEB-5532", ship_to=None)
MEMO = CreditMemoRequest(
    rma_id="rma_01JF0Q8W5B7X9ZK3M4N6P8R0TX", order_id=ORDER.order_id, customer_id="CUST-ACME", currency="USD",
    lines=(OrderLine(sku="SKU-1001", quantity=1, unit_price=Decimal("99.00"), extended_price=Decimal("99.00")),),
    amount=Decimal("99.00"),
)


def test_the_adapter_offers_every_call_of_the_port_with_its_signature(erp: UnderTest) -> None:
    calls = [name for name, _ in inspect.getmembers(ErpPort, inspect.isfunction) if not name.startswith("_")]
    assert len(calls) == 10
    for name in calls:
        ours = inspect.signature(getattr(erp.erp, name))
        port = inspect.signature(getattr(ErpPort, name))
        assert list(ours.parameters) == list(port.parameters)[1:], name
        assert [p.default for p in ours.parameters.values()] == [p.default for p in list(port.parameters.values())[1:]]
        assert inspect.iscoroutinefunction(getattr(erp.erp, name)), name


# --- master data --------------------------------------------------------------------------


async def test_items_carry_list_price_breaks_final_sale_and_orderable(erp: UnderTest) -> None:
    drill = await erp.erp.get_item("SKU-1001")
    assert (drill.sku, drill.name, drill.currency, drill.list_price, drill.orderable, drill.final_sale) == (
        "SKU-1001", "Cordless Drill 18V", "USD", Decimal("129.00"), True, False)
    assert drill.breaks == (PriceBreak(min_quantity=10, unit_price=Decimal("119.00")),)
    assert (await erp.erp.get_item("SKU-1003")).final_sale is True
    discontinued = await erp.erp.get_item("SKU-1004")
    assert (discontinued.orderable, discontinued.breaks) == (False, ())


async def test_customers_carry_terms_credit_limit_and_hold(erp: UnderTest) -> None:
    hold = await erp.erp.get_customer("CUST-HOLD")
    assert (hold.customer_id, hold.terms, hold.currency, hold.credit_limit, hold.credit_hold) == (
        "CUST-HOLD", "NET30", "USD", Decimal("1000.00"), True)
    acme = await erp.erp.get_customer("CUST-ACME")
    assert (acme.name, acme.credit_limit, acme.credit_hold) == ("Acme Corp", Decimal("5000.00"), False)


async def test_contract_prices_are_the_customer_s_own(erp: UnderTest) -> None:
    assert (await erp.erp.get_contract_prices("CUST-ACME")).prices == {"SKU-1001": Decimal("99.00")}
    assert (await erp.erp.get_contract_prices("CUST-BOLT")).prices == {}


@pytest.mark.parametrize(("read", "key", "code"), [("get_item", "SKU-9999", "unknown_sku"),
                                                   ("get_customer", "CUST-NOPE", "unknown_customer"),
                                                   ("get_contract_prices", "CUST-NOPE", "unknown_customer")])
async def test_an_unknown_record_is_not_found_with_its_code(erp: UnderTest, read: str, key: str, code: str) -> None:
    with pytest.raises(NotFound) as caught:
        await getattr(erp.erp, read)(key)
    assert caught.value.code == code


@pytest.mark.parametrize("limit", [1, 3, 4, 100])
async def test_the_item_master_is_walked_page_by_page_in_sku_order(erp: UnderTest, limit: int) -> None:
    skus, offset, pages = [], 0, 0
    while offset is not None:
        page = await erp.erp.list_items(offset, limit)
        assert len(page.items) <= limit
        skus += [item.sku for item in page.items]
        offset, pages = page.next_offset, pages + 1
        assert pages <= 10, "pagination never ended"
    assert skus == ["SKU-1001", "SKU-1002", "SKU-1003", "SKU-1004"]


async def test_customers_and_contract_prices_are_walked_page_by_page(erp: UnderTest) -> None:
    customers, prices = [], []
    for lister, into in ((erp.erp.list_customers, customers), (erp.erp.list_contract_prices, prices)):
        offset: int | None = 0
        while offset is not None:
            page = await lister(offset, 2)
            into += page.items
            offset = page.next_offset
    assert [(c.customer_id, c.credit_hold) for c in customers] == [
        ("CUST-ACME", False), ("CUST-BOLT", False), ("CUST-HOLD", True)]
    assert [(p.customer_id, p.prices) for p in prices] == [
        ("CUST-ACME", {"SKU-1001": Decimal("99.00")}), ("CUST-BOLT", {}), ("CUST-HOLD", {})]


# --- sales orders ---------------------------------------------------------------------------


@pytest.mark.parametrize("order", [ORDER, GUEST], ids=["customer", "guest"])
async def test_a_sales_order_is_booked_once_and_found_again_through_the_port(erp: UnderTest, order: SalesOrder) -> None:
    first = await erp.erp.post_sales_order(order)
    assert await erp.erp.post_sales_order(order) == first

    found = await erp.erp.find_sales_order(order.order_id)
    assert found is not None
    assert (found.erp_order_number, found.total, found.currency) == (first.erp_order_number, order.total, "USD")
    assert await erp.erp.find_sales_order("ord_never_posted") is None


@sandbox_only
@pytest.mark.parametrize("order", [ORDER, GUEST], ids=["customer", "guest"])
async def test_a_posted_order_is_booked_once_and_found_by_the_hub_s_id(erp: UnderTest, order: SalesOrder) -> None:
    assert await erp.erp.find_sales_order(order.order_id) is None

    first = await erp.erp.post_sales_order(order)
    again = await erp.erp.post_sales_order(order)

    assert again == first
    (booked,) = await erp.view("sales-orders", external_ref=order.order_id)
    assert (booked["erp_order_number"], booked["channel_order_ref"]) == (first.erp_order_number,
                                                                         order.channel_order_ref)
    assert booked["lines"] == [{"sku": "SKU-1001", "quantity": 2, "unit_price": "99.00"},
                               {"sku": "SKU-1002", "quantity": 1, "unit_price": "24.50"}]
    found = await erp.erp.find_sales_order(order.order_id)
    assert found is not None
    assert (found.order_id, found.erp_order_number, found.total, found.currency) == (
        order.order_id, first.erp_order_number, Decimal("222.50"), "USD")


@sandbox_only
async def test_a_post_whose_answers_were_lost_is_retried_and_books_exactly_one(erp: UnderTest) -> None:
    erp.transport.lose = 2

    ref = await erp.erp.post_sales_order(ORDER)

    assert len(erp.transport.posts()) >= 3  # the lost two and the one answered (SOAP reads are POSTs too)
    (booked,) = await erp.view("sales-orders", external_ref=ORDER.order_id)
    assert booked["erp_order_number"] == ref.erp_order_number


@sandbox_only
@pytest.mark.parametrize("fault", [{"outage": True}, {"error_rate": 1.0}], ids=["outage", "errors"])
async def test_an_outage_is_backend_unavailable_and_the_retry_after_it_books_one(erp: UnderTest,
                                                                                 fault: dict) -> None:
    await erp.faults(**fault)
    with pytest.raises(BackendUnavailable) as caught:
        await erp.erp.post_sales_order(ORDER)
    assert not isinstance(caught.value, BackendThrottled)
    with pytest.raises(BackendUnavailable):
        await erp.erp.get_item("SKU-1001")
    await erp.heal()

    ref = await erp.erp.post_sales_order(ORDER)

    assert [b["erp_order_number"] for b in await erp.view("sales-orders")] == [ref.erp_order_number]


@sandbox_only
async def test_the_sandbox_throttle_is_honoured_with_its_retry_after(erp: UnderTest) -> None:
    await erp.faults(throttle=True)

    with pytest.raises(BackendThrottled) as caught:
        await erp.erp.get_item("SKU-1001")

    assert caught.value.retry_after == 1.0
    assert len(erp.waits) == 2 and all(wait >= 1.0 for wait in erp.waits)
    await erp.heal()
    assert (await erp.erp.get_item("SKU-1001")).sku == "SKU-1001"


@sandbox_only
async def test_a_throttle_in_the_vendor_s_own_words_is_a_throttle(erp: UnderTest) -> None:
    erp.transport.scripted = [erp.hooks.need("throttle_in_body")]

    item = await erp.erp.get_item("SKU-1002")

    assert item.sku == "SKU-1002"
    assert len(erp.waits) == 1
    assert erp.waits[0] >= (erp.hooks.throttle_default_wait or 0.0)


@sandbox_only
async def test_a_vendor_refusal_is_a_permanent_error_without_the_vendor_s_text(erp: UnderTest) -> None:
    await erp.erp.get_item("SKU-1001")  # master data the adapter may look up first
    await erp.erp.get_customer("CUST-ACME")
    erp.transport.scripted = [erp.hooks.need("refusal")] * 3

    with pytest.raises(BackendError) as caught:
        await erp.erp.post_sales_order(msgspec.structs.replace(ORDER, lines=ORDER.lines[:1], total=Decimal("198.00")))

    assert not isinstance(caught.value, BackendUnavailable)
    assert VENDOR_SECRET not in f"{caught.value} {caught.value.detail} {caught.value.extra}"
    assert caught.value.status == 502


@sandbox_only
async def test_an_order_the_erp_cannot_book_is_a_permanent_error(erp: UnderTest) -> None:
    unknown = OrderLine(sku="SKU-9999", quantity=1, unit_price=Decimal("1.00"), extended_price=Decimal("1.00"))
    with pytest.raises(BackendError) as caught:
        await erp.erp.post_sales_order(msgspec.structs.replace(ORDER, lines=(unknown,), total=Decimal("1.00")))
    assert not isinstance(caught.value, BackendUnavailable)
    assert await erp.view("sales-orders") == []


# --- credit memos ------------------------------------------------------------------------------


async def test_a_credit_memo_is_made_once_per_return_and_voided_twice_through_the_port(erp: UnderTest) -> None:
    first = await erp.erp.create_credit_memo(MEMO)
    assert await erp.erp.create_credit_memo(MEMO) == first

    await erp.erp.void_credit_memo(first.credit_memo_id)
    await erp.erp.void_credit_memo(first.credit_memo_id)  # voiding twice changes nothing


@sandbox_only
@pytest.mark.parametrize("memo", [MEMO, msgspec.structs.replace(MEMO, customer_id=None)], ids=["customer", "guest"])
async def test_a_credit_memo_is_created_once_and_voided_idempotently(erp: UnderTest, memo: CreditMemoRequest) -> None:
    posted = await erp.erp.post_sales_order(ORDER)
    memo = msgspec.structs.replace(memo, erp_order_number=posted.erp_order_number)

    first = await erp.erp.create_credit_memo(memo)
    assert await erp.erp.create_credit_memo(memo) == first
    (open_memo,) = await erp.view("credit-memos", external_ref=memo.rma_id)
    assert (open_memo["status"], open_memo["amount"]) == ("open", "99.00")

    await erp.erp.void_credit_memo(first.credit_memo_id)
    await erp.erp.void_credit_memo(first.credit_memo_id)

    (voided,) = await erp.view("credit-memos", external_ref=memo.rma_id)
    assert voided["status"] == "void"


@sandbox_only
async def test_a_credit_memo_whose_answer_was_lost_is_created_exactly_once(erp: UnderTest) -> None:
    erp.transport.lose = 1

    ref = await erp.erp.create_credit_memo(MEMO)

    assert [m["status"] for m in await erp.view("credit-memos", external_ref=MEMO.rma_id)] == ["open"]
    await erp.erp.void_credit_memo(ref.credit_memo_id)


@pytest.mark.parametrize("memo_id", ["CM-999999", "no-such-memo"])
async def test_voiding_an_unknown_credit_memo_is_not_found_with_its_code(erp: UnderTest, memo_id: str) -> None:
    with pytest.raises(NotFound) as caught:
        await erp.erp.void_credit_memo(memo_id)
    assert caught.value.code == "unknown_credit_memo"
