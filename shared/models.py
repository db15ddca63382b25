"""Canonical models: the hub's own words for what the back office holds.

System APIs map vendor payloads to these; process and experience APIs never
see a vendor shape. Money is ``Decimal`` (a decimal string on the wire) with
its ISO 4217 currency beside it; quantities are ``int``; times are UTC.
New fields always get defaults, so older peers keep decoding.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import msgspec


class Model(msgspec.Struct, frozen=True, kw_only=True):
    """Base for canonical Structs: immutable, keyword-built."""


class PriceBreak(Model):
    min_quantity: int
    unit_price: Decimal


class Item(Model):
    """An item of the ERP's item master with its list pricing."""

    sku: str
    name: str
    currency: str
    list_price: Decimal
    orderable: bool = True
    final_sale: bool = False
    breaks: tuple[PriceBreak, ...] = ()
    modified_at: datetime | None = None


class ItemPage(Model):
    items: tuple[Item, ...]
    next_offset: int | None = None


class Customer(Model):
    customer_id: str
    name: str
    terms: str
    currency: str
    credit_limit: Decimal
    credit_hold: bool = False


class ContractPrices(Model):
    """A customer's contract prices by SKU (empty when the customer has none)."""

    customer_id: str
    prices: dict[str, Decimal] = {}


class StockLevel(Model):
    """Stock of one SKU at one location (a warehouse or a store)."""

    sku: str
    location: str
    on_hand: int
    available: int
    sequence: int = 0
    as_of: datetime | None = None
