"""Pricing and availability rules (CONTRACT section 3), pure functions.

A customer's contract price, when there is one, is its price at every
quantity; otherwise the best quantity break the quantity reaches; otherwise
the list price.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from process_apis.pricing.schemas import LocationStock, PriceSource
from process_apis.inventory.stock import SkuStock
from shared.models import ContractPrices, Item

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


def locations_of(stock: SkuStock) -> tuple[LocationStock, ...]:
    """Available stock per location for one SKU as reported, negatives read as none, by location name."""
    return tuple(LocationStock(location=loc, available=max(qty, 0)) for loc, qty in sorted(stock.locations.items()))


def as_of(item: Item, contract: ContractPrices, now: datetime) -> datetime:
    """When the hub last heard the answer's ERP data (the item, and the customer's contract
    prices when a customer asks) from the ERP: the older of the two; ``now`` for a live read."""
    heard = [t for t in (item.as_of, contract.as_of if contract.customer_id else None) if t is not None]
    return min(heard, default=now)
