"""Pricing and availability rules (CONTRACT section 3), pure functions.

A customer's contract price, when there is one, is its price at every
quantity; otherwise the best quantity break the quantity reaches; otherwise
the list price.
"""

from __future__ import annotations

from decimal import Decimal

from process_apis.pricing.schemas import LocationStock, PriceSource
from shared.models import Item, StockLevel

CENTS = Decimal("0.01")


def price_for(item: Item, quantity: int, contract_price: Decimal | None) -> tuple[Decimal, PriceSource]:
    if contract_price is not None:
        return contract_price, "contract"
    reached = [b.unit_price for b in item.breaks if quantity >= b.min_quantity]
    if reached and min(reached) < item.list_price:
        return min(reached), "break"
    return item.list_price, "list"


def extended(unit_price: Decimal, quantity: int) -> Decimal:
    return (unit_price * quantity).quantize(CENTS)


def locations_of(levels: list[StockLevel], sku: str) -> tuple[LocationStock, ...]:
    """Available stock per location for one SKU, negatives read as none, by location name."""
    rows = {lvl.location: max(lvl.available, 0) for lvl in levels if lvl.sku == sku}
    return tuple(LocationStock(location=loc, available=qty) for loc, qty in sorted(rows.items()))
