"""Canonical answers of the price-and-availability process."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Literal

from shared.models import Model, PriceBreak

PriceSource = Literal["list", "break", "contract"]
LineStatus = Literal["ok", "unknown_sku", "not_orderable", "insufficient_stock", "unavailable"]


class LocationStock(Model):
    location: str
    available: int


class ProductPrice(Model):
    """Price and availability of one SKU for one price context."""

    sku: str
    name: str
    currency: str
    quantity: int
    unit_price: Decimal
    list_price: Decimal
    price_source: PriceSource
    orderable: bool
    final_sale: bool
    available_quantity: int
    in_stock: bool
    locations: tuple[LocationStock, ...]
    breaks: tuple[PriceBreak, ...]
    as_of: datetime
    stock_partial: bool = False
    """A stock source did not answer for this SKU: the availability counts the others (and
    the missing source's last known levels while fresh); ``missing_sources`` names it."""
    missing_sources: tuple[str, ...] = ()


class BasketLine(Model):
    sku: str
    quantity: int


class BasketLineResult(Model):
    sku: str
    quantity: int
    status: LineStatus
    unit_price: Decimal | None = None
    extended_price: Decimal | None = None
    price_source: PriceSource | None = None
    available_quantity: int | None = None
    stock_partial: bool = False
    missing_sources: tuple[str, ...] = ()


class BasketResult(Model):
    currency: str
    lines: tuple[BasketLineResult, ...]
    total: Decimal
    """Sum of the extended prices of the lines whose status is ok."""


class PriceListEntry(Model):
    sku: str
    name: str
    currency: str
    unit_price: Decimal
    price_source: PriceSource
    breaks: tuple[PriceBreak, ...]


class PriceListPage(Model):
    items: tuple[PriceListEntry, ...]
    next_offset: int | None = None
