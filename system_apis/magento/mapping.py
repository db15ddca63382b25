"""Magento 2 <-> canonical, and its ``searchCriteria`` query strings: pure functions, no I/O."""

from __future__ import annotations

from decimal import Decimal

from shared.models import Address, ChannelOrder, ChannelOrderLine
from system_apis.magento.vendor_schemas import MageAddress, MageOrder

PAGE_SIZE = 50


def search(field: str, value: str, condition: str = "eq", *, page: int = 1, sort: str | None = None) -> dict[str, str]:
    """One filter of ``searchCriteria`` (``condition_type`` eq, gteq, in, ...), a page, an ascending sort."""
    prefix = "searchCriteria[filter_groups][0][filters][0]"
    params = {f"{prefix}[field]": field, f"{prefix}[value]": value, f"{prefix}[condition_type]": condition,
              "searchCriteria[pageSize]": str(PAGE_SIZE), "searchCriteria[currentPage]": str(page)}
    if sort:
        params |= {"searchCriteria[sortOrders][0][field]": sort, "searchCriteria[sortOrders][0][direction]": "ASC"}
    return params


def pages(total_count: int) -> int:
    """How many pages ``total_count`` results take: Magento answers a page past the end with the last
    page again, so a walk stops by the count, never by an empty page."""
    return max(1, -(-total_count // PAGE_SIZE))


def to_address(address: MageAddress | None) -> Address | None:
    if address is None or not (address.street and address.city and address.country_id):
        return None
    return Address(name=f"{address.firstname} {address.lastname}".strip(), line1=address.street[0],
                   line2=" ".join(address.street[1:]), city=address.city, region=address.region_code,
                   postal_code=address.postcode, country=address.country_id)


def to_channel_order(order: MageOrder, channel: str) -> ChannelOrder:
    """``channel_order_ref`` is the order's ``entity_id``; a configurable product's child line
    (``parent_item_id``) is skipped: its parent carries the SKU and price ordered."""
    lines = tuple(ChannelOrderLine(sku=item.sku, quantity=int(item.qty_ordered), unit_price=item.price)
                  for item in order.items if item.parent_item_id is None)
    assignments = order.extension_attributes.shipping_assignments
    return ChannelOrder(channel=channel, channel_order_ref=str(order.entity_id), currency=order.order_currency_code,
                        lines=lines, total=order.grand_total, email=order.customer_email or None,
                        ship_to=to_address(assignments[0].shipping.address if assignments else None))


def adjustment(items_total: Decimal, amount: Decimal) -> tuple[Decimal, Decimal]:
    """(adjustment_positive, adjustment_negative) that make a credit memo of these items come to ``amount``."""
    gap = amount - items_total
    return (gap, Decimal("0")) if gap > 0 else (Decimal("0"), -gap)
