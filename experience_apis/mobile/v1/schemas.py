"""Mobile v1 wire contract: a compact product for a phone screen (frozen once published:
add fields with defaults only)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Literal

import msgspec

from process_apis.pricing.schemas import ProductPrice

StockLevel = Literal["high", "low", "out"]
HIGH_STOCK_FROM = 10
"""Available units from which a product reads `high` (below: `low`; none: `out`)."""


class StockLevels(msgspec.Struct, frozen=True, kw_only=True):
    """How available units read on a phone: `high` from `high_from` units, `low` from one,
    `out` at none. The app factory takes `high_stock_from` to change the threshold."""

    high_from: int = HIGH_STOCK_FROM

    def of(self, available: int) -> StockLevel:
        if available >= self.high_from:
            return "high"
        return "low" if available > 0 else "out"


class Product(msgspec.Struct):
    sku: str
    name: str
    price: Decimal
    """The signed-in customer's unit price (contract or list) as a decimal string."""
    currency: str
    in_stock: bool
    stock_level: StockLevel

    @classmethod
    def of(cls, p: ProductPrice, levels: StockLevels) -> "Product":
        return cls(sku=p.sku, name=p.name, price=p.unit_price, currency=p.currency,
                   in_stock=p.in_stock, stock_level=levels.of(p.available_quantity))


class OrderListItem(msgspec.Struct):
    order_id: str
    status: str
    total: Decimal
    currency: str
    created_at: datetime


class OrderList(msgspec.Struct):
    items: list[OrderListItem]
    next_cursor: str | None
