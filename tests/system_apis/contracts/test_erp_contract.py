"""The ``ErpPort`` contract: every ERP adapter, against its sandbox's seed data."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from shared.errors import NotFound
from shared.models import CreditMemoRequest, OrderLine, PriceBreak, SalesOrder
from tests.system_apis.contracts.conftest import Subject, kinds

pytestmark = pytest.mark.parametrize("subject", kinds("erp"), indirect=True)
LINE = OrderLine(sku="SKU-1001", quantity=2, unit_price=Decimal("99.00"), extended_price=Decimal("198.00"))
ORDER = SalesOrder(order_id="ord_c1", channel="storefront", channel_order_ref="WEB-1", customer_id="CUST-ACME",
                   currency="USD", lines=(LINE,), total=Decimal("198.00"),
                   created_at=datetime(2026, 12, 1, 10, 0, tzinfo=UTC))


async def test_items_customers_and_contract_prices_read_in_canonical_terms(subject: Subject) -> None:
    erp = subject.adapter("erp")

    drill = await erp.get_item("SKU-1001")
    assert (drill.name, drill.list_price, drill.currency, drill.orderable) == ("Cordless Drill 18V", Decimal("129.00"),
                                                                               "USD", True)
    assert drill.breaks == (PriceBreak(min_quantity=10, unit_price=Decimal("119.00")),)
    assert (await erp.get_item("SKU-1004")).orderable is False
    acme = await erp.get_customer("CUST-ACME")
    assert (acme.terms, acme.credit_limit, acme.credit_hold) == ("NET30", Decimal("5000.00"), False)
    assert (await erp.get_customer("CUST-HOLD")).credit_hold is True
    assert (await erp.get_contract_prices("CUST-ACME")).prices == {"SKU-1001": Decimal("99.00")}


async def test_unknown_records_are_not_found_with_their_codes(subject: Subject) -> None:
    erp = subject.adapter("erp")

    for call, code in ((erp.get_item("SKU-NOPE"), "unknown_sku"), (erp.get_customer("CUST-NOPE"), "unknown_customer"),
                       (erp.get_contract_prices("CUST-NOPE"), "unknown_customer")):
        with pytest.raises(NotFound) as caught:
            await call
        assert caught.value.code == code


async def test_the_lists_are_walked_page_by_page(subject: Subject) -> None:
    erp = subject.adapter("erp")

    skus, offset = [], 0
    while offset is not None:
        page = await erp.list_items(offset=offset, limit=2)
        skus += [i.sku for i in page.items]
        offset = page.next_offset
    assert skus == ["SKU-1001", "SKU-1002", "SKU-1003", "SKU-1004"]
    customers = (await erp.list_customers(limit=100)).items
    assert {c.customer_id for c in customers} == {"CUST-ACME", "CUST-BOLT", "CUST-HOLD"}


async def test_a_sales_order_is_booked_once_and_found_again(subject: Subject) -> None:
    erp = subject.adapter("erp")

    first = await erp.post_sales_order(ORDER)
    again = await erp.post_sales_order(ORDER)

    assert first == again
    found = await erp.find_sales_order("ord_c1")
    assert found is not None and found.erp_order_number == first.erp_order_number
    assert await erp.find_sales_order("ord_never") is None


async def test_a_credit_memo_is_made_once_per_return_and_voided(subject: Subject) -> None:
    erp = subject.adapter("erp")
    memo = CreditMemoRequest(rma_id="rma_c1", order_id="ord_c1", customer_id="CUST-ACME", currency="USD",
                             lines=(LINE,), amount=Decimal("198.00"))

    first = await erp.create_credit_memo(memo)
    assert await erp.create_credit_memo(memo) == first
    await erp.void_credit_memo(first.credit_memo_id)
    await erp.void_credit_memo(first.credit_memo_id)  # voiding twice changes nothing
