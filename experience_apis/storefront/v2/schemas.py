"""Storefront v2 wire contract: money as `{amount, currency}` objects (frozen once
published: add fields with defaults only). Request bodies and `Location` are v1's."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
import msgspec

from experience_apis.storefront.v1.schemas import Location, MissingSources, StockPartial
from process_apis.pricing.schemas import BasketResult, LineStatus, PriceSource, ProductPrice


class Money(msgspec.Struct, frozen=True):
    amount: Decimal
    """A decimal string, e.g. `"99.00"`."""
    currency: str
    """ISO 4217 code."""


def _money(amount: Decimal | None, currency: str) -> Money | None:
    return None if amount is None else Money(amount, currency)


class Product(msgspec.Struct):
    sku: str
    name: str
    quantity: int
    unit_price: Money
    list_price: Money
    price_source: PriceSource
    orderable: bool
    available_quantity: int
    in_stock: bool
    locations: list[Location]
    as_of: datetime
    stock_partial: StockPartial = False
    missing_sources: MissingSources = []

    @classmethod
    def of(cls, p: ProductPrice) -> "Product":
        return cls(
            sku=p.sku, name=p.name, quantity=p.quantity,
            unit_price=Money(p.unit_price, p.currency), list_price=Money(p.list_price, p.currency),
            price_source=p.price_source, orderable=p.orderable, available_quantity=p.available_quantity,
            in_stock=p.in_stock, as_of=p.as_of, stock_partial=p.stock_partial,
            missing_sources=list(p.missing_sources),
            locations=[Location(location=loc.location, available=loc.available) for loc in p.locations],
        )


class BasketLineOut(msgspec.Struct):
    sku: str
    quantity: int
    status: LineStatus
    unit_price: Money | None
    extended_price: Money | None
    price_source: PriceSource | None
    available_quantity: int | None
    stock_partial: StockPartial = False
    missing_sources: MissingSources = []


class BasketOut(msgspec.Struct):
    lines: list[BasketLineOut]
    total: Money
    """The sum of the `ok` lines."""

    @classmethod
    def of(cls, result: BasketResult) -> "BasketOut":
        currency = result.currency
        return cls(
            total=Money(result.total, currency),
            lines=[BasketLineOut(
                sku=line.sku, quantity=line.quantity, status=line.status,
                unit_price=_money(line.unit_price, currency), extended_price=_money(line.extended_price, currency),
                price_source=line.price_source, available_quantity=line.available_quantity,
                stock_partial=line.stock_partial, missing_sources=list(line.missing_sources),
            ) for line in result.lines],
        )
