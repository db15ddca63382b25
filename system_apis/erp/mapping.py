"""CloudERP -> canonical: pure functions, no I/O."""

from __future__ import annotations

from shared.models import ContractPrices, Customer, Item, ItemPage, PriceBreak
from system_apis.erp.vendor_schemas import ErpCustomer, ErpItem, ErpItemList, ErpItemPrices

DISCONTINUED = "DISCONTINUED"


def to_item(item: ErpItem) -> Item:
    breaks = sorted(item.quantity_pricing, key=lambda qp: qp.min_quantity)
    return Item(
        sku=item.item_id,
        name=item.display_name,
        currency=item.currency_code,
        list_price=item.base_price,
        orderable=item.item_status != DISCONTINUED,
        final_sale=item.final_sale,
        breaks=tuple(PriceBreak(min_quantity=qp.min_quantity, unit_price=qp.unit_price) for qp in breaks),
        modified_at=item.last_modified,
    )


def to_item_page(page: ErpItemList) -> ItemPage:
    """``hasMore`` becomes the offset of the next page (``None`` on the last one)."""
    more = page.has_more and bool(page.items)
    return ItemPage(
        items=tuple(to_item(item) for item in page.items),
        next_offset=page.offset + len(page.items) if more else None,
    )


def to_customer(customer: ErpCustomer) -> Customer:
    return Customer(
        customer_id=customer.customer_id,
        name=customer.company_name,
        terms=customer.terms,
        currency=customer.currency_code,
        credit_limit=customer.credit_limit,
        credit_hold=customer.credit_hold,
    )


def to_contract_prices(prices: ErpItemPrices) -> ContractPrices:
    return ContractPrices(
        customer_id=prices.customer_id,
        prices={price.item_id: price.unit_price for price in prices.item_prices},
    )
