"""Storefront v1 wire contract (frozen once published: add fields with defaults only)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal

import msgspec

from process_apis.pricing.schemas import BasketResult, ProductPrice

Sku = Annotated[str, msgspec.Meta(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._-]+$")]
Currency = Annotated[str, msgspec.Meta(pattern=r"^[A-Z]{3}$", description="ISO 4217 code")]
CustomerId = Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
Quantity = Annotated[int, msgspec.Meta(ge=1, le=1_000_000)]
StockPartial = Annotated[bool, msgspec.Meta(description=(
    "True when a stock source (the WMS's warehouses, the POS's stores) did not answer in time for this SKU: "
    "`available_quantity` counts the sources that answered, plus the missing one's last known levels if "
    "reported within `HUB_STOCK_STALE_SECONDS`. An order reserves by the same count."))]
MissingSources = Annotated[list[str], msgspec.Meta(description=(
    "The stock sources that did not answer for this SKU (`wms`, `pos`); empty when `stock_partial` is false."))]


class Location(msgspec.Struct):
    location: str
    available: int


class Product(msgspec.Struct):
    sku: str
    name: str
    currency: str
    quantity: int
    unit_price: Decimal
    list_price: Decimal
    price_source: Literal["list", "break", "contract"]
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
            sku=p.sku, name=p.name, currency=p.currency, quantity=p.quantity,
            unit_price=p.unit_price, list_price=p.list_price, price_source=p.price_source,
            orderable=p.orderable, available_quantity=p.available_quantity, in_stock=p.in_stock,
            locations=[Location(location=loc.location, available=loc.available) for loc in p.locations],
            as_of=p.as_of, stock_partial=p.stock_partial, missing_sources=list(p.missing_sources),
        )


class BasketLineIn(msgspec.Struct):
    sku: Sku
    quantity: Quantity


class BasketIn(msgspec.Struct):
    lines: Annotated[list[BasketLineIn], msgspec.Meta(min_length=1, max_length=200)]
    customer_id: CustomerId | None = None
    currency: Currency = "USD"


class BasketLineOut(msgspec.Struct):
    sku: str
    quantity: int
    status: Literal["ok", "unknown_sku", "not_orderable", "insufficient_stock", "unavailable"]
    unit_price: Decimal | None
    extended_price: Decimal | None
    price_source: Literal["list", "break", "contract"] | None
    available_quantity: int | None
    stock_partial: StockPartial = False
    missing_sources: MissingSources = []


class BasketOut(msgspec.Struct):
    currency: str
    lines: list[BasketLineOut]
    total: Decimal

    @classmethod
    def of(cls, result: BasketResult) -> "BasketOut":
        return cls(
            currency=result.currency,
            total=result.total,
            lines=[BasketLineOut(**{**msgspec.structs.asdict(line), "missing_sources": list(line.missing_sources)})
                   for line in result.lines],
        )
