"""Partner v1 wire contract (frozen once published: add fields with defaults only)."""

from __future__ import annotations

from decimal import Decimal

import msgspec

from experience_apis.cursors import encode_cursor
from process_apis.pricing.schemas import PriceListPage, PriceSource


class PriceBreak(msgspec.Struct):
    min_quantity: int
    unit_price: Decimal


class PriceListItem(msgspec.Struct):
    sku: str
    name: str
    currency: str
    unit_price: Decimal
    """The bound customer's price for one unit (contract, else list)."""
    price_source: PriceSource
    breaks: list[PriceBreak]
    """The item's quantity breaks, lowest quantity first."""


class PriceList(msgspec.Struct):
    items: list[PriceListItem]
    next_cursor: str | None
    """Pass as `cursor` for the next page; null on the last page."""

    @classmethod
    def of(cls, page: PriceListPage) -> "PriceList":
        return cls(
            next_cursor=encode_cursor(page.next_offset),
            items=[PriceListItem(
                sku=e.sku, name=e.name, currency=e.currency, unit_price=e.unit_price, price_source=e.price_source,
                breaks=[PriceBreak(min_quantity=b.min_quantity, unit_price=b.unit_price)
                        for b in sorted(e.breaks, key=lambda b: b.min_quantity)],
            ) for e in page.items],
        )
